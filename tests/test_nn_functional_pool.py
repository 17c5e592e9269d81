"""nn.functional pooling against torch: values, indices, gradients (1st and 2nd order), errors."""
import numpy as np
import pytest

import chainrule as C
from opcheck import check_op, check_parity, same_as_torch

rng = np.random.default_rng(1)


def _a(*shape):
    return rng.standard_normal(shape)


MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, dilation=2),
    dict(kernel_size=(3, 2), stride=1, padding=(1, 0)),
]


@pytest.mark.parametrize("kw", MAX2D, ids=str)
def test_max_pool2d(kw):
    check_op(lambda L, x: L.nn.functional.max_pool2d(x, **kw), _a(1, 2, 5, 6))
    check_op(lambda L, x: L.nn.functional.max_pool2d(x, return_indices=True, **kw), _a(2, 1, 5, 6))


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2)),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, padding=1, divisor_override=3),
]


@pytest.mark.parametrize("kw", AVG2D, ids=str)
def test_avg_pool2d(kw):
    check_op(lambda L, x: L.nn.functional.avg_pool2d(x, **kw), _a(1, 2, 5, 6))


def test_pool1d_and_unbatched():
    x = _a(2, 7)
    check_op(lambda L, x: L.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True), x)
    check_op(lambda L, x: L.nn.functional.max_pool1d(x, 2, dilation=2, ceil_mode=True), x[None])
    check_op(lambda L, x: L.nn.functional.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), x)
    check_op(lambda L, x: L.nn.functional.max_pool2d(x, 2, return_indices=True), _a(2, 4, 5))
    check_op(lambda L, x: L.nn.functional.avg_pool2d(x, 2), _a(2, 4, 5))


def test_pool3d():
    check_op(lambda L, x: L.nn.functional.max_pool3d(x, 2, stride=1, padding=1), _a(1, 1, 3, 3, 2))
    check_op(lambda L, x: L.nn.functional.avg_pool3d(x, 2, stride=(1, 2, 1)), _a(1, 1, 3, 4, 2))


def test_max_pool_ties_nan_and_padding_only_inf():
    # ties pick the first element, nan wins, and a window of -inf reals points at a real element
    ties = np.ones((1, 1, 4, 4))
    check_parity(lambda L, x: L.nn.functional.max_pool2d(x, 2, 1, 1, return_indices=True), ties)
    same_as_torch(lambda L: L.nn.functional.max_pool2d(
        L.tensor([[[[1., float("nan")], [3., 2.]]]]), 2, return_indices=True))
    nan = float("nan")  # torch reports the last nan of a window, and the first of tied maxima
    same_as_torch(lambda L: L.nn.functional.max_pool2d(
        L.tensor([[[[nan, 1., nan, 2.], [3., 1., 3., 2.]]]]), (1, 4), return_indices=True))
    same_as_torch(lambda L: L.nn.functional.max_pool2d(L.full((1, 1, 3, 3), -float("inf")), 2, 2, 1,
                                                       return_indices=True))


def test_max_pool_integer_input():
    same_as_torch(lambda L: L.nn.functional.max_pool2d(L.arange(32).reshape(1, 2, 4, 4), 2, return_indices=True))


@pytest.mark.parametrize("out", [1, 2, (3, 4), (5, 6), (4, None), (7, 2)], ids=str)
def test_adaptive_pools(out):
    x = _a(1, 2, 5, 6)
    check_op(lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, out), x)
    check_op(lambda L, x: L.nn.functional.adaptive_max_pool2d(x, out, return_indices=True), x)


def test_adaptive_pools_1d_and_names():
    x = _a(2, 7)
    check_op(lambda L, x: L.nn.functional.adaptive_avg_pool1d(x, 3), x)
    check_op(lambda L, x: L.nn.functional.adaptive_max_pool1d(x, 4, return_indices=True), x[None])
    t = C.randn(1, 2, 5, 5, requires_grad=True)
    F = C.nn.functional
    assert F.adaptive_avg_pool2d(t, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert F.adaptive_max_pool2d(t, 2).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    assert F.max_pool2d(t, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F.avg_pool2d(t, 2).grad_fn.name() == "AvgPool2DBackward0"


def test_lp_pool():
    x = np.abs(_a(1, 2, 4, 4)) + 0.5
    check_op(lambda L, x: L.nn.functional.lp_pool2d(x, 2, 2), x)
    check_op(lambda L, x: L.nn.functional.lp_pool1d(x, 3, 2), x[0])


def test_pool_larger_shapes_match_torch():
    x = _a(4, 3, 17, 15)
    for kw in MAX2D:
        check_parity(lambda L, x: L.nn.functional.max_pool2d(x, return_indices=True, **kw), x)
    for kw in AVG2D:
        check_parity(lambda L, x: L.nn.functional.avg_pool2d(x, **kw), x)


POOL_ERRORS = [
    lambda L: L.nn.functional.max_pool2d(L.randn(2, 3, 5, 5), 3, padding=2),
    lambda L: L.nn.functional.max_pool2d(L.randn(2, 3, 5, 5), 7),
    lambda L: L.nn.functional.max_pool2d(L.randn(2, 3, 5, 5), 0),
    lambda L: L.nn.functional.max_pool2d(L.randn(2, 3, 5, 5), 2, stride=0),
    lambda L: L.nn.functional.max_pool2d(L.randn(2, 3, 5, 5), 2, padding=-1),
    lambda L: L.nn.functional.max_pool2d(L.randn(5, 5), 2),
    lambda L: L.nn.functional.max_pool1d(L.randn(2, 3, 5, 5), 2),
    lambda L: L.nn.functional.avg_pool2d(L.randn(2, 3, 5, 5), 3, padding=2),
    lambda L: L.nn.functional.avg_pool2d(L.randn(2, 3, 5, 5), 7),
    lambda L: L.nn.functional.adaptive_avg_pool2d(L.randn(5, 5), 2),
    lambda L: L.nn.functional.adaptive_avg_pool2d(L.randn(2, 3, 5, 5), (2, 2, 2)),
]


@pytest.mark.parametrize("fn", POOL_ERRORS)
def test_pool_errors_match_torch(fn):
    same_as_torch(fn)
