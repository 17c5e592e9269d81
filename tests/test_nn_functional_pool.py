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


# -- the tiled fast path: kernel == stride, no padding or dilation ------------------------------------
TILED = [
    ((2, 3, 8, 6), dict(kernel_size=2)),
    ((2, 3, 9, 7), dict(kernel_size=2)),  # floor mode drops the last row and column
    ((1, 2, 7, 9), dict(kernel_size=(3, 2), stride=(3, 2))),
    ((1, 2, 6, 8), dict(kernel_size=2, ceil_mode=True)),  # divisible: ceil mode changes nothing
    ((2, 2, 4, 6), dict(kernel_size=(1, 3))),
]


def _pool_fn(nd):
    return lambda L: getattr(L.nn.functional, f"max_pool{nd}d")


def _grads_exact(data, gout, nd, kw, dtype=np.float32, create_graph=False):
    """Values and input gradients of chainrule and torch; gradients bit for bit (nan, -0.0 and all).

    (Values are compared as numbers: in a window of tied zeros NumPy's maximum may keep a
    different zero's sign than torch.)
    """
    import torch
    res = []
    g = None
    for L in (C, torch):
        x = L.tensor(data.astype(dtype), requires_grad=True)
        y = _pool_fn(nd)(L)(x, **kw)
        g = gout(tuple(y.shape)).astype(dtype) if g is None else g
        gx, = L.autograd.grad(y, x, L.tensor(g), create_graph=create_graph)
        res.append((y.detach().numpy(), gx.detach().numpy(), y.grad_fn.name()))
    (cy, cg, cn), (ty, tg, tn) = res
    assert cn == tn
    for c, t in ((cy, ty), (cg, tg)):
        assert c.shape == t.shape and c.dtype == t.dtype
        np.testing.assert_array_equal(c, t)
    np.testing.assert_array_equal(np.signbit(cg), np.signbit(tg))


@pytest.mark.parametrize("shape,kw", TILED, ids=str)
def test_max_pool_tiled_matches_torch(shape, kw):
    check_op(lambda L, x: L.nn.functional.max_pool2d(x, **kw), _a(*shape))
    g = _a(*shape)
    _grads_exact(_a(*shape), lambda s: rng.standard_normal(s), 2, kw)
    _grads_exact(np.round(_a(*shape)), lambda s: rng.standard_normal(s), 2, kw)  # many ties
    _grads_exact(np.maximum(g, 0), lambda s: rng.standard_normal(s), 2, kw)  # ReLU'd: ties at 0


def test_max_pool_tiled_ties_nan_inf_and_special_gradients():
    ones = np.ones((1, 2, 4, 6))
    _grads_exact(ones, lambda s: rng.standard_normal(s), 2, dict(kernel_size=2))  # the first of tied maxima
    x = _a(2, 3, 8, 6)
    x[rng.random(x.shape) < 0.3] = np.nan  # a window with nans gives its last nan
    x[0, 0, :2, :2] = -np.inf
    x[0, 1, :2, :2] = np.inf
    _grads_exact(x, lambda s: rng.standard_normal(s), 2, dict(kernel_size=2))
    _grads_exact(np.full((1, 1, 4, 4), -np.inf), lambda s: rng.standard_normal(s), 2, dict(kernel_size=2))

    def special(s):  # inf, nan and -0.0 in the incoming gradient land exactly as in torch
        g = rng.standard_normal(s)
        for v in (np.inf, -np.inf, np.nan, -0.0):
            g[rng.random(s) < 0.2] = v
        return g
    _grads_exact(_a(2, 3, 8, 6), special, 2, dict(kernel_size=2))
    for dtype in (np.float16, np.float64):
        _grads_exact(_a(2, 3, 8, 6), special, 2, dict(kernel_size=2), dtype=dtype)


def test_max_pool_tiled_second_order_and_dims():
    # the gradient of the gradient gathers at the chosen elements, ties included
    _grads_exact(np.round(_a(1, 2, 4, 6)), lambda s: rng.standard_normal(s), 2, dict(kernel_size=2), create_graph=True)

    xa = np.round(_a(2, 2, 4, 4))

    def run(L):
        x = L.tensor(xa, requires_grad=True)
        y = L.nn.functional.max_pool2d(x, 2)
        gx, = L.autograd.grad((y ** 3).sum(), x, create_graph=True)
        return L.autograd.grad((gx ** 2).sum(), x)
    same_as_torch(run, tol=1e-8)
    check_op(lambda L, x: L.nn.functional.max_pool3d(x, 2), _a(1, 2, 4, 5, 4))
    check_op(lambda L, x: L.nn.functional.max_pool3d(x, (1, 2, 3)), _a(1, 1, 2, 4, 6))
    check_op(lambda L, x: L.nn.functional.max_pool1d(x, 3), _a(2, 3, 10))
    check_op(lambda L, x: L.nn.functional.max_pool1d(x, 2), _a(3, 7))  # unbatched
    _grads_exact(np.round(_a(1, 2, 4, 4, 4)), lambda s: rng.standard_normal(s), 3, dict(kernel_size=2))


def test_max_pool_tiled_modes_and_paths():
    x = _a(2, 3, 6, 6)
    t = C.tensor(x, requires_grad=True)
    F = C.nn.functional
    with_idx, idx = F.max_pool2d(t, 2, return_indices=True)  # the indices path, as before
    plain = F.max_pool2d(t, 2)
    np.testing.assert_array_equal(plain.detach().numpy(), with_idx.detach().numpy())
    g = C.tensor(_a(2, 3, 3, 3))
    a, = C.autograd.grad(plain, t, g)
    b, = C.autograd.grad(with_idx, t, g)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with C.no_grad():  # no graph: the tap masks are skipped
        np.testing.assert_array_equal(F.max_pool2d(t, 2).numpy(), plain.detach().numpy())
    np.testing.assert_array_equal(F.max_pool2d(C.tensor(x), 2).numpy(), plain.detach().numpy())
    assert F.max_pool3d(C.randn(1, 1, 2, 2, 2, requires_grad=True), 2).grad_fn.name() == \
        "MaxPool3DWithIndicesBackward0"
    fw = C.autograd.forward_ad
    with fw.dual_level():  # forward mode on an input that does not require grad
        v = _a(2, 3, 6, 6)
        out = F.max_pool2d(fw.make_dual(C.tensor(x), C.tensor(v)), 2)
        tangent = fw.unpack_dual(out).tangent.numpy()
    want, = C.autograd.grad(F.max_pool2d(t, 2), t, C.ones(2, 3, 3, 3))
    np.testing.assert_array_equal(tangent, (v * want.numpy()).reshape(2, 3, 3, 2, 3, 2).sum((3, 5)))
