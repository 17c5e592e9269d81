"""nn.utils (gradient clipping, parameters <-> vector) against torch."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule

LIBS = (torch, chainrule)


def _params(lib, grads, dtypes=None):
    """Parameters whose .grad are the given arrays (None: no grad)."""
    out = []
    for i, g in enumerate(grads):
        dt = getattr(lib, (dtypes or ["float32"] * len(grads))[i])
        shape = (2,) if g is None else g.shape
        p = lib.nn.Parameter(lib.ones(*shape, dtype=dt))
        if g is not None:
            p.grad = lib.tensor(g, dtype=dt)
        out.append(p)
    return out


def _grads(rng, shapes, scale=1.0):
    return [rng.standard_normal(s).astype(np.float32) * scale for s in shapes]


def _run(fn, grads, dtypes=None):
    """fn(lib, params) under both libs: (result, grads after, grad versions) for each."""
    res = {}
    for lib in LIBS:
        ps = _params(lib, grads, dtypes)
        try:
            r = fn(lib, ps)
        except Exception as e:  # noqa: BLE001
            r = (type(e).__name__, str(e))
        res[lib.__name__] = (r, [None if p.grad is None else p.grad.numpy().copy() for p in ps],
                             [None if p.grad is None else p.grad._version for p in ps])
    return res["chainrule"], res["torch"]


def _check(c, t, rtol=1e-6):
    (cr, cg, cv), (tr, tg, tv) = c, t
    if isinstance(tr, tuple):
        assert cr == tr
    elif tr is None:
        assert cr is None
    else:
        assert str(cr.dtype) == str(tr.dtype) and tuple(cr.shape) == tuple(tr.shape)
        assert not cr.requires_grad and cr.grad_fn is None
        np.testing.assert_allclose(cr.numpy(), tr.numpy(), rtol=rtol, atol=0)
    for a, b in zip(cg, tg):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-7)
    assert cv == tv


NORMS = [2.0, 1, 3.0, 0.5, math.inf, "inf", -math.inf, 0]


@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm(norm_type, max_norm):
    rng = np.random.default_rng(0)
    grads = _grads(rng, [(3, 4), (5,), (2, 2, 2)]) + [None]
    _check(*_run(lambda lib, ps: lib.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type), grads))


@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1])
def test_clip_grad_norm_mixed_dtypes(norm_type):
    rng = np.random.default_rng(1)
    grads = _grads(rng, [(3,), (2, 2)], scale=3.0)
    for order in (["float32", "float64"], ["float64", "float32"]):
        _check(*_run(lambda lib, ps: lib.nn.utils.clip_grad_norm_(ps, 1.0, norm_type), grads, order))


@pytest.mark.parametrize("call", [
    lambda lib, ps: lib.nn.utils.clip_grad_norm_(ps[0], 0.1),
    lambda lib, ps: lib.nn.utils.clip_grad_norm_(iter(ps), 0.1),
    lambda lib, ps: lib.nn.utils.clip_grad_norm_([], 1.0),
    lambda lib, ps: lib.nn.utils.clip_grad_norm_(ps[3:], 1.0),
    lambda lib, ps: lib.nn.utils.clip_grad_norm_(ps, 1.0, foreach=True),
    lambda lib, ps: lib.nn.utils.clip_grad_norm_(ps, 1.0, norm_type="fro"),
    lambda lib, ps: lib.nn.utils.get_total_norm([p.grad for p in ps[:3]], 3.0),
    lambda lib, ps: lib.nn.utils.get_total_norm([p.grad for p in ps[:3]]),
    lambda lib, ps: lib.nn.utils.clip_grads_with_norm_(ps, 1.0, lib.tensor(8.0)),
    lambda lib, ps: lib.nn.utils.clip_grads_with_norm_(ps, 1.0, lib.tensor(0.5)),
    lambda lib, ps: lib.nn.utils.clip_grad_value_(ps, 0.3),
    lambda lib, ps: lib.nn.utils.clip_grad_value_(ps[0], 0.1),
    lambda lib, ps: lib.nn.utils.clip_grad_value_(ps, -0.5),
    lambda lib, ps: lib.nn.utils.clip_grad_value_(iter(ps), 10),
])
def test_clipping_variants(call):
    rng = np.random.default_rng(2)
    grads = _grads(rng, [(3, 4), (5,), (2, 2, 2)], scale=2.0) + [None]
    _check(*_run(call, grads))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf])
def test_nonfinite_grads(bad, norm_type):
    grads = [np.array([3.0, bad, 0.0], np.float32), np.array([1.0, 2.0], np.float32)]
    c, t = _run(lambda lib, ps: lib.nn.utils.clip_grad_norm_(ps, 1.0, norm_type, error_if_nonfinite=True), grads)
    assert t[0][0] == "RuntimeError"
    _check(c, t)  # raises before touching the gradients
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c, t = _run(lambda lib, ps: lib.nn.utils.clip_grad_norm_(ps, 1.0, norm_type), grads)
    (cr, cg, _), (tr, tg, _) = c, t
    np.testing.assert_array_equal(cr.numpy(), tr.numpy())
    for a, b in zip(cg, tg):
        np.testing.assert_array_equal(a, b)


def test_clip_grad_norm_deprecated_alias():
    out = []
    for lib in LIBS:
        p = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.tensor([3.0, 4.0])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = lib.nn.utils.clip_grad_norm(p, 1.0)
        out.append((r.item(), p.grad.tolist(), [(x.category.__name__, str(x.message).replace("chainrule", "torch"))
                                                for x in w]))
    assert out[0] == out[1]


def test_clip_grad_norm_on_a_model():
    out = {}
    for lib in LIBS:
        lib.manual_seed(0)
        model = lib.nn.Sequential()
        w = lib.nn.Parameter(lib.tensor(np.linspace(-2, 3, 12, dtype=np.float32).reshape(3, 4)))
        model.register_parameter("w", w)
        (w * w * 10).sum().backward()
        total = lib.nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
        out[lib.__name__] = (total.item(), w.grad.numpy().copy())
    assert math.isclose(out["chainrule"][0], out["torch"][0], rel_tol=1e-6)
    np.testing.assert_allclose(out["chainrule"][1], out["torch"][1], rtol=1e-6)
    assert math.isclose(np.linalg.norm(out["chainrule"][1]), 2.0, rel_tol=1e-5)


# -- parameters <-> vector ----------------------------------------------------------------------------
def test_parameters_to_vector_values_and_grad():
    out = {}
    for lib in LIBS:
        ps = [lib.nn.Parameter(lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))),
              lib.nn.Parameter(lib.tensor([7.0, 8.0]))]
        vec = lib.nn.utils.parameters_to_vector(ps)
        (vec * lib.arange(8.0)).sum().backward()
        out[lib.__name__] = (vec.detach().numpy().tolist(), str(vec.dtype), vec.grad_fn.name(),
                             [p.grad.numpy().tolist() for p in ps])
    assert out["chainrule"] == out["torch"]


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.utils.parameters_to_vector([lib.ones(2), lib.ones(2, 2, dtype=lib.float64)]),
    lambda lib: lib.nn.utils.parameters_to_vector([lib.ones(2), 3]),
    lambda lib: lib.nn.utils.vector_to_parameters([1.0], [lib.ones(2)]),
    lambda lib: lib.nn.utils.vector_to_parameters(lib.arange(3.0), [lib.ones(2), lib.ones(2)]),
])
def test_conversion_results_and_errors(call):
    res = []
    for lib in LIBS:
        try:
            r = call(lib)
            res.append(("ok", None if r is None else (r.tolist(), str(r.dtype))))
        except Exception as e:  # noqa: BLE001
            res.append((type(e).__name__, str(e) if not isinstance(e, RuntimeError) else ""))
    assert res[0] == res[1]


def test_vector_to_parameters_shares_memory():
    out = {}
    for lib in LIBS:
        ps = [lib.nn.Parameter(lib.ones(3)), lib.nn.Parameter(lib.ones(2, 2))]
        vec = lib.arange(10.0)
        assert lib.nn.utils.vector_to_parameters(vec, ps) is None
        vec[0] = 100.0
        out[lib.__name__] = ([p.detach().numpy().tolist() for p in ps], [type(p).__name__ for p in ps],
                             [p.requires_grad for p in ps])
    assert out["chainrule"] == out["torch"]
