"""Checks for nn layer modules against torch.

A case is a constructor ``ctor(lib)`` written once for both libraries. ``check_init`` builds it
in each after the same ``manual_seed`` and wants identical parameter/buffer names, order,
shapes, dtypes and bits, and identical reprs. ``check_layer`` loads torch's state into
chainrule's module and compares outputs, input and parameter gradients and buffers after the
forward, in float32 and float64.
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule

LIBS = (chainrule, torch)


def build(ctor, seed=0):
    """(chainrule module, torch module), each built right after ``manual_seed(seed)``."""
    out = []
    for lib in LIBS:
        lib.manual_seed(seed)
        out.append(ctor(lib))
    return tuple(out)


def _np(t):
    return None if t is None else t.detach().numpy()


def assert_same_state(cm, tm, exact=True, atol=0.0, rtol=0.0):
    """Same named parameters and buffers (names, order, shapes, dtypes, requires_grad, values)."""
    cp, tp = list(cm.named_parameters()), list(tm.named_parameters())
    assert [n for n, _ in cp] == [n for n, _ in tp]
    for (n, c), (_, t) in zip(cp, tp):
        assert c.requires_grad == t.requires_grad, n
    cs, ts = cm.state_dict(), tm.state_dict()
    assert list(cs) == list(ts)
    for k in ts:
        c, t = _np(cs[k]), _np(ts[k])
        assert c.shape == t.shape and c.dtype == t.dtype, (k, c.shape, t.shape, c.dtype, t.dtype)
        if exact:
            assert np.array_equal(c, t, equal_nan=True), f"{k} differs from torch's"
        else:
            np.testing.assert_allclose(c, t, atol=atol, rtol=rtol, err_msg=k)
    assert [n for n, _ in cm.named_buffers()] == [n for n, _ in tm.named_buffers()]


def assert_same_settings(cm, tm):
    """The modules' own attributes (the constructor's settings) have the same names, types and values."""
    def settings(m):
        return {k: v for k, v in m.__dict__.items()
                if (not k.startswith("_") or k == "_reversed_padding_repeated_twice")
                and not hasattr(v, "dtype") and not isinstance(v, (torch.nn.Module, chainrule.nn.Module))}
    sc, st = settings(cm), settings(tm)
    assert sorted(sc) == sorted(st)
    for k, t in st.items():
        assert type(sc[k]).__name__ == type(t).__name__ and repr(sc[k]) == repr(t), (k, sc[k], t)


def normal_is_exact(shape, dtype="float32"):
    """Whether chainrule's ``normal_`` reproduces torch's bits for this shape (see ops/random.py)."""
    out = []
    for lib in LIBS:
        lib.manual_seed(0)
        out.append(lib.empty(*shape, dtype=getattr(lib, dtype)).normal_().numpy())
    return np.array_equal(*out)


def check_init(ctor, seed=0, exact=True):
    """Same seed, same parameters bit for bit (within 1 ulp unless ``exact``), same repr."""
    cm, tm = build(ctor, seed)
    tol = {} if exact else {"exact": False, "atol": 1e-6, "rtol": 1e-6}
    assert_same_state(cm, tm, **tol)
    assert repr(cm) == repr(tm)
    assert_same_settings(cm, tm)
    if hasattr(tm, "reset_parameters"):
        for lib, m in zip(LIBS, (cm, tm)):
            lib.manual_seed(seed + 1)
            m.reset_parameters()
        assert_same_state(cm, tm, **tol)
    return cm, tm


def load_torch_state(cm, tm):
    cm.load_state_dict({k: chainrule.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})


def _as_input(lib, a, dtype, grad):
    if not isinstance(a, np.ndarray):
        return a
    if a.dtype.kind == "f":
        t = lib.tensor(a.astype(dtype))
        if grad:
            t.requires_grad_(True)
        return t
    return lib.tensor(a)


def _tensors(res):
    if isinstance(res, (tuple, list)):
        return [r for r in res if hasattr(r, "detach")]
    return [res]


def check_layer(ctor, *inputs, train=True, dtypes=(np.float32, np.float64), atol=None, rtol=None, seed=0,
                grad=True, forward_seed=None, call=None, requires_grad=None):
    """Outputs, gradients (inputs and parameters) and buffers after forward, against torch.

    ``forward_seed`` reseeds both libraries right before the forward (for random layers);
    ``call(module, *inputs)`` replaces ``module(*inputs)``; ``requires_grad`` (one flag per
    input) limits which float inputs get gradients (default: all).
    """
    flags = requires_grad if requires_grad is not None else (True,) * len(inputs)
    for dt in dtypes:
        tol = (1e-5 if dt == np.float32 else 1e-10)
        a = tol if atol is None else atol * (1 if dt == np.float32 else 1e-5)
        r = tol if rtol is None else rtol * (1 if dt == np.float32 else 1e-5)
        cm, tm = build(ctor, seed)
        load_torch_state(cm, tm)
        results = []
        for lib, m in zip(LIBS, (cm, tm)):
            if dt == np.float64:
                m.double()
            m.train(train)
            xs = [_as_input(lib, x, dt, grad and f) for x, f in zip(inputs, flags)]
            if forward_seed is not None:
                lib.manual_seed(forward_seed)
            res = call(m, *xs) if call is not None else m(*xs)
            outs = _tensors(res)
            vals = [(_np(o).copy(), str(o.dtype).split(".")[-1], tuple(o.shape)) for o in outs]
            grads = []
            floats = [o for o in outs if o.is_floating_point() and o.requires_grad]
            if grad and floats:
                rng = np.random.default_rng(1)
                loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype)).sum() for o in floats)
                loss.backward()
                grads = [_np(x.grad) if getattr(x, "grad", None) is not None else None for x in xs
                         if hasattr(x, "requires_grad") and x.requires_grad]
                grads += [(n, _np(p.grad)) for n, p in m.named_parameters()]
            bufs = [(n, _np(b).copy()) for n, b in m.named_buffers()]
            results.append((vals, grads, bufs, m))
        (cv, cg, cb, _), (tv, tg, tb, _) = results
        assert len(cv) == len(tv)
        for c, t in zip(cv, tv):
            assert c[1:] == t[1:], f"dtype/shape {c[1:]} vs torch {t[1:]}"
            np.testing.assert_allclose(c[0], t[0], atol=a, rtol=r, err_msg="output")
        assert len(cg) == len(tg)
        for c, t in zip(cg, tg):
            name = c[0] if isinstance(c, tuple) else "input"
            c = c[1] if isinstance(c, tuple) else c
            t = t[1] if isinstance(t, tuple) else t
            if c is None or t is None:
                assert c is None and t is None, f"{name}.grad: {c} vs torch {t}"
                continue
            np.testing.assert_allclose(c, t, atol=a * 10, rtol=r * 10, err_msg=f"{name}.grad")
        assert [n for n, _ in cb] == [n for n, _ in tb]
        for (n, c), (_, t) in zip(cb, tb):
            assert c.dtype == t.dtype, n
            np.testing.assert_allclose(c, t, atol=a, rtol=r, err_msg=f"buffer {n}")


def outcome(fn, lib):
    """('ok', repr-free summary) or (exception type name, message) of ``fn(lib)``."""
    try:
        res = fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return (type(e).__name__, str(e))
    if hasattr(res, "detach"):
        return ("ok", tuple(res.shape))
    return ("ok", res if isinstance(res, (str, int, float, bool, tuple)) else type(res).__name__)


def same_outcome(fn):
    c, t = outcome(fn, chainrule), outcome(fn, torch)
    assert c == t, f"chainrule {c!r} vs torch {t!r}"
    return c
