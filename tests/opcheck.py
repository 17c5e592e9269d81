"""One test idea per op, written once: numerical gradients and parity with torch.

A case is a function ``fn(lib, *tensors)`` written against the shared torch/chainrule API,
so the same line runs under both libraries.
"""
from __future__ import annotations

import numpy as np

import chainrule

try:
    import torch
except ImportError:  # the parity half of each check needs the test extra
    torch = None


def _to_lib(lib, arrays, requires_grad, dtype=None):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            t = lib.tensor(a.astype(dtype) if dtype is not None and a.dtype.kind == "f" else a)
            if requires_grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _outputs(res):
    if isinstance(res, (tuple, list)):
        return [r for r in res if _is_float_tensor(r)]
    return [res] if _is_float_tensor(res) else []


def _is_float_tensor(r):
    return hasattr(r, "dtype") and hasattr(r, "is_floating_point") and r.is_floating_point()


def _scalar_loss(res, weights):
    total = None
    for r, w in zip(_outputs(res), weights):
        term = (r * w).sum()
        total = term if total is None else total + term
    return total


def _weights(lib, res, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(r.shape), dtype=r.dtype) for r in _outputs(res)]


def numeric_grad(f, arrays, eps=1e-6):
    """Central differences of the scalar ``f(arrays)`` with respect to each float array."""
    grads = []
    for a in arrays:
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            grads.append(None)
            continue
        g = np.zeros_like(a)
        flat = a.reshape(-1)
        gf = g.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            hi = f(arrays)
            flat[j] = old - eps
            lo = f(arrays)
            flat[j] = old
            gf[j] = (hi - lo) / (2 * eps)
        grads.append(g)
    return grads


def check_gradients(fn, *arrays, second_order=True, atol=1e-5, rtol=1e-4, eps=1e-6):
    """First and second order float64 central-difference checks of chainrule's autograd."""
    arrays = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    L = chainrule
    probe = fn(L, *_to_lib(L, arrays, False))
    w = _weights(L, probe)
    if not w:
        return

    def loss_value(arrs):
        return float(_scalar_loss(fn(L, *_to_lib(L, arrs, False)), w).item())

    inputs = _to_lib(L, arrays, True)
    diff = [t for t in inputs if isinstance(t, chainrule.Tensor) and t.requires_grad]
    loss = _scalar_loss(fn(L, *inputs), w)
    analytic = chainrule.autograd.grad(loss, diff, allow_unused=True, create_graph=second_order)
    numeric = [g for g in numeric_grad(loss_value, arrays, eps) if g is not None]
    for a, n in zip(analytic, numeric):
        got = np.zeros_like(n) if a is None else a.detach().numpy()
        np.testing.assert_allclose(got, n, atol=atol, rtol=rtol, err_msg="first-order gradient")
    if not second_order:
        return
    # Second order: differentiate v . grad(x) again and compare with differences of grad(x).
    rng = np.random.default_rng(1)
    vs = [rng.standard_normal(n.shape) for n in numeric]

    def grad_dot_v(arrs):
        ins = _to_lib(L, arrs, True)
        d = [t for t in ins if isinstance(t, chainrule.Tensor) and t.requires_grad]
        gs = chainrule.autograd.grad(_scalar_loss(fn(L, *ins), w), d, allow_unused=True)
        return sum(float((g.detach().numpy() * v).sum()) for g, v in zip(gs, vs) if g is not None)

    used = [(a, v) for a, v in zip(analytic, vs) if a is not None and a.requires_grad]
    if not used:
        return
    s = sum((a * chainrule.tensor(v)).sum() for a, v in used)
    second = chainrule.autograd.grad(s, diff, allow_unused=True)
    numeric2 = [g for g in numeric_grad(grad_dot_v, arrays, eps=1e-4) if g is not None]
    for a, n in zip(second, numeric2):
        got = np.zeros_like(n) if a is None else a.numpy()
        np.testing.assert_allclose(got, n, atol=1e-3, rtol=1e-3, err_msg="second-order gradient")


def check_parity(fn, *arrays, dtype=np.float32, atol=1e-5, rtol=1e-5, grad=True):
    """Same values, dtypes, shapes and gradients as torch on the same inputs."""
    assert torch is not None, "parity checks need torch (pip install -e .[test])"
    results = {}
    for lib in (chainrule, torch):
        inputs = _to_lib(lib, arrays, grad, dtype)
        res = fn(lib, *inputs)
        outs = res if isinstance(res, (tuple, list)) else [res]
        vals = [(o.detach().numpy().copy(), str(o.dtype), tuple(o.shape)) if hasattr(o, "detach") else o for o in outs]
        grads = []
        if grad and _outputs(res) and any(getattr(t, "requires_grad", False) for t in inputs):
            w = _weights(lib, res)
            _scalar_loss(res, w).backward()
            grads = [None if t.grad is None else t.grad.numpy().copy() for t in inputs
                     if getattr(t, "requires_grad", False)]
        results[lib.__name__] = (vals, grads)
    (cv, cg), (tv, tg) = results["chainrule"], results["torch"]
    assert len(cv) == len(tv)
    for c, t in zip(cv, tv):
        if isinstance(c, tuple):
            assert c[1] == t[1], f"dtype {c[1]} != torch {t[1]}"
            assert c[2] == t[2], f"shape {c[2]} != torch {t[2]}"
            np.testing.assert_allclose(c[0], t[0], atol=atol, rtol=rtol, err_msg="value")
        else:
            assert c == t
    assert len(cg) == len(tg)
    for c, t in zip(cg, tg):
        if c is None or t is None:
            assert c is None and t is None or np.all((c if c is not None else t) == 0)
            continue
        np.testing.assert_allclose(c, t, atol=atol * 10, rtol=rtol * 10, err_msg="gradient")


def check_op(fn, *arrays, second_order=True, dtype=np.float32, atol=1e-5, rtol=1e-5):
    """Both checks: numerical (float64, 1st and 2nd order) and against torch."""
    check_gradients(fn, *arrays, second_order=second_order)
    check_parity(fn, *arrays, dtype=dtype, atol=atol, rtol=rtol)
    check_parity(fn, *arrays, dtype=np.float64, atol=1e-10, rtol=1e-10)


def _normalise(x):
    """Turn a scenario's result into plain data for comparison across libraries."""
    if isinstance(x, BaseException):
        msg = str(x).split("\n")[0]
        return ("raises", type(x).__name__, msg[:1].lower() + msg[1:])  # torch capitalises its first error
    if isinstance(x, (list, tuple)):
        return [_normalise(v) for v in x]
    if isinstance(x, dict):
        return {k: _normalise(v) for k, v in x.items()}
    if hasattr(x, "detach") and hasattr(x, "dtype"):
        return ("tensor", x.detach().numpy().tolist(), str(x.dtype), tuple(x.shape))
    return x


def _run_scenario(fn, lib):
    try:
        return _normalise(fn(lib))
    except Exception as e:  # the exception itself is part of what must match
        return _normalise(e)


def same_as_torch(fn, tol=1e-6):
    """Run ``fn(lib)`` under chainrule and torch; results (or exceptions) must agree."""
    assert torch is not None, "scenario checks need torch"
    got, want = _run_scenario(fn, chainrule), _run_scenario(fn, torch)
    _assert_close(got, want, tol)
    return got


def _assert_close(got, want, tol, path="result"):
    if isinstance(want, tuple) and want and want[0] == "tensor":
        assert isinstance(got, tuple) and got[0] == "tensor", f"{path}: {got!r} vs torch {want!r}"
        assert got[2:] == want[2:], f"{path}: dtype/shape {got[2:]} vs torch {want[2:]}"
        np.testing.assert_allclose(np.asarray(got[1], dtype=float), np.asarray(want[1], dtype=float),
                                   rtol=tol, atol=tol, err_msg=path)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: {got!r} vs torch {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_close(g, w, tol, f"{path}[{i}]")
    elif isinstance(want, float):
        assert got == want or abs(got - want) <= tol * max(1, abs(want)), f"{path}: {got} vs torch {want}"
    else:
        assert got == want, f"{path}: {got!r} vs torch {want!r}"
