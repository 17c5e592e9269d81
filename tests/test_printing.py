"""repr/str of tensors: compared with torch's strings directly, over many generated tensors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as C
from opcheck import torch


@pytest.fixture(autouse=True)
def _default_print_options():
    yield
    torch.set_printoptions(profile="default")
    C.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def _check(a, grad=False):
    t, c = torch.from_numpy(a.copy()), C.from_numpy(a.copy())
    if grad:
        t, c = t.requires_grad_() * 1, c.requires_grad_() * 1
    assert repr(c) == repr(t)
    assert str(c) == str(t)


def _values(kind, n, rng):
    if kind == "normal":
        return rng.standard_normal(n)
    if kind == "ints":
        return rng.integers(-1000, 1000, n).astype(float)
    if kind == "wide":
        return rng.standard_normal(n) * 10.0 ** rng.integers(-8, 10, n)
    if kind == "tenths":
        return np.round(rng.standard_normal(n) * 10, 1)
    if kind == "special":
        v = rng.standard_normal(n)
        for p, x in ((0.3, np.nan), (0.2, np.inf), (0.2, -np.inf), (0.2, 0.0), (0.1, -0.0)):
            v[rng.random(n) < p] = x
        return v
    if kind == "big_ints":
        return rng.integers(0, 3, n) * 1e9
    if kind == "tiny":
        return rng.random(n) * 1e-3
    if kind == "zeros":
        return np.zeros(n)
    if kind == "edge":  # around the 1e8 and ratio-1000 switches
        return rng.choice([1e8, 1e8 + 1, 0.1, 100.0, 100.1, 1e-4, 9.9e-5, 1.0, 1000.0], n)
    raise ValueError(kind)


KINDS = ["normal", "ints", "wide", "tenths", "special", "big_ints", "tiny", "zeros", "edge"]
SHAPES = [(), (1,), (5,), (13,), (30,), (2, 3), (4, 7), (3, 1, 4), (2, 3, 4, 2), (1001,), (40, 30), (7, 200),
          (2, 600), (11, 11, 11), (0,), (0, 3), (3, 0, 2), (100,), (5, 50)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_float_tensors_print_like_torch(shape):
    rng = np.random.default_rng(len(shape) * 31 + sum(shape))
    n = math.prod(shape)
    for kind in KINDS:
        for dt in (np.float32, np.float64, np.float16):
            with np.errstate(over="ignore"):
                a = _values(kind, n, rng).astype(dt).reshape(shape)
            _check(a)
        _check(_values(kind, n, rng).astype(np.float32).reshape(shape), grad=True)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_int_and_bool_tensors_print_like_torch(shape):
    rng = np.random.default_rng(7)
    n = math.prod(shape)
    for dt in (np.int64, np.int32, np.int16, np.int8, np.uint8):
        info = np.iinfo(dt)
        _check(rng.integers(info.min, info.max, n, endpoint=True).astype(dt).reshape(shape))
        _check(rng.integers(-3, 4, n).astype(dt).reshape(shape) if info.min < 0 else
               rng.integers(0, 4, n).astype(dt).reshape(shape))
    _check((rng.random(n) < 0.5).reshape(shape))
    _check(np.ones(shape, bool))


OPTIONS = [dict(precision=2), dict(precision=8), dict(precision=0), dict(threshold=10), dict(threshold=5, edgeitems=1),
           dict(edgeitems=5, threshold=50), dict(linewidth=40), dict(linewidth=120), dict(linewidth=10),
           dict(sci_mode=True), dict(sci_mode=False), dict(profile="short"), dict(profile="full"),
           dict(profile="full", precision=3)]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_print_options_match_torch(opts):
    torch.set_printoptions(**opts)
    C.set_printoptions(**opts)
    rng = np.random.default_rng(3)
    for shape in [(), (5,), (13,), (4, 7), (3, 1, 4), (40, 30), (7, 200), (0, 3)]:
        n = math.prod(shape)
        for kind in KINDS:
            for dt in (np.float32, np.float64):
                _check(_values(kind, n, rng).astype(dt).reshape(shape), grad=kind == "normal")
        _check(rng.integers(-10 ** 6, 10 ** 6, n).reshape(shape))
        _check((rng.random(n) < 0.5).reshape(shape))


def test_printoptions_state_and_context_manager():
    C.set_printoptions(precision=2, sci_mode=True)
    assert C._printing.get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                                              "sci_mode": True}
    C.set_printoptions(threshold=5)  # every call resets sci_mode, as in torch
    assert C._printing.get_printoptions()["sci_mode"] is None
    C.set_printoptions(profile="default")
    with C._printing.printoptions(precision=1):
        assert repr(C.tensor([1.25])) == "tensor([1.2])"
    assert repr(C.tensor([1.25])) == "tensor([1.2500])"
    C.set_printoptions(profile="nonsense")  # ignored, as in torch
    assert C._printing.get_printoptions()["precision"] == 4


def test_suffixes_match_torch():
    for L in (torch, C):
        L.manual_seed(0)
    for make in (lambda L: L.tensor([1., 2.], requires_grad=True), lambda L: L.tensor([1., 2.], requires_grad=True) * 2,
                 lambda L: (L.tensor([1., 2.], requires_grad=True) * 2).sum(),
                 lambda L: L.zeros(3, 5, dtype=L.float64, requires_grad=True) + 1,
                 lambda L: L.zeros(0, 2, requires_grad=True), lambda L: L.zeros(0, 2, requires_grad=True) * 2,
                 lambda L: L.ones(10, dtype=L.float64) * 1.23456, lambda L: L.ones(8, 9, dtype=L.float64) / 3,
                 lambda L: L.ones(6, dtype=L.float64, requires_grad=True).exp(),
                 lambda L: L.tensor([], dtype=L.int64), lambda L: L.tensor([], dtype=L.bool),
                 lambda L: L.zeros(2, 0, dtype=L.bool), lambda L: L.tensor(5, dtype=L.int8), lambda L: L.tensor(True),
                 lambda L: L.tensor(-0.), lambda L: L.tensor(math.inf), lambda L: L.tensor(1e-5),
                 lambda L: L.tensor(123456.7), lambda L: L.tensor([65504.], dtype=L.float16),
                 lambda L: L.arange(12.).reshape(3, 4)[:, ::2], lambda L: L.arange(6).reshape(2, 3).t()):
        assert repr(make(C)) == repr(make(torch))


def test_default_dtype_float64_changes_suffixes():
    torch.set_default_dtype(torch.float64)
    C.set_default_dtype(C.float64)
    for a in (np.array([1.5, 2.]), np.array([1.5], dtype=np.float32), np.zeros((0,), np.float32), np.zeros((0,)),
              np.zeros((2, 0), np.float64)):
        _check(a)


def test_str_and_print(capsys):
    print(C.tensor([[1, 2], [3, 4]]), C.tensor(2.5))
    assert capsys.readouterr().out == "tensor([[1, 2],\n        [3, 4]]) tensor(2.5000)\n"


_floats = hnp.arrays(dtype=st.sampled_from([np.float32, np.float64]),
                     shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
                     elements=st.floats(allow_nan=True, allow_infinity=True, width=32))


@settings(max_examples=60, deadline=None)
@given(_floats)
def test_hypothesis_float_arrays_print_like_torch(a):
    _check(a)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(dtype=st.sampled_from([np.int64, np.int16, np.uint8, np.bool_]),
                  shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=12)))
def test_hypothesis_int_arrays_print_like_torch(a):
    _check(a)
