"""Higher-level autograd: jacobian, hessian, vjp, jvp, hvp, vhp (PyTorch's signatures)."""
from __future__ import annotations

from . import function as _function
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tuple(x, name, fn_name):
    Tensor = _function.Tensor
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                            f"value at index {i} has type {type(t)}.")
    return is_tuple, xs


def _grad_preprocess(inputs, create_graph):
    # Fresh leaves so gradients are taken with respect to exactly these inputs.
    if create_graph:
        # keep the link to the caller's graph so the result can be differentiated again
        return tuple(t if t.requires_grad else t.detach().requires_grad_(True) for t in inputs)
    return tuple(t.detach().requires_grad_(True) for t in inputs)


def _post(xs, is_tuple, create_graph):
    out = tuple(x if x is None or create_graph else x.detach() for x in xs)
    return out if is_tuple else out[0]


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    from . import grad as autograd_grad
    outs, gos = [], []
    grad_outputs = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    for o, g in zip(outputs, grad_outputs):
        if o is not None and o.requires_grad:
            outs.append(o)
            gos.append(g)
    if not outs:
        return (None,) * len(inputs)
    return autograd_grad(outs, inputs, gos, create_graph=create_graph, retain_graph=retain_graph, allow_unused=True)


def _fill_zeros(grads, refs, strict, what, create_graph):
    from ..ops.creation import zeros_like
    out = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is "
                                   f"not allowed in strict mode." if what == "back" else
                                   f"The gradient with respect to input {i} is independent of the inputs of the "
                                   "user-provided function. This is not allowed in strict mode.")
            g = zeros_like(r)
        out.append(g)
    return tuple(out)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: a vector-Jacobian product."""
    with enable_grad():
        is_in_tuple, inputs = _tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph)
        outputs = func(*inputs)
        is_out_tuple, outputs = _tuple(outputs, "outputs of the user-provided function", "vjp")
        if v is None:
            if len(outputs) != 1 or outputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                                   "Tensor with a single element.")
            v = (None,)
        else:
            _, v = _tuple(v, "v", "vjp")
            for o, vv in zip(outputs, v):
                if o.shape != vv.shape:
                    raise RuntimeError(f"Mismatch in shape: v has a shape of {vv.shape} and outputs has a shape of "
                                       f"{o.shape}.")
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        grads = _fill_zeros(grads, inputs, strict, "back", create_graph)
    return _post(outputs, is_out_tuple, create_graph), _post(grads, is_in_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: a Jacobian-vector product (by the double-vjp trick)."""
    from ..ops.creation import zeros_like
    with enable_grad():
        is_in_tuple, inputs = _tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph)
        if v is None:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            from ..ops.creation import ones_like
            v = (ones_like(inputs[0]),)
        else:
            _, v = _tuple(v, "v", "jvp")
            for i, vv in zip(inputs, v):
                if i.shape != vv.shape:
                    raise RuntimeError(f"Mismatch in shape: v has a shape of {vv.shape} and inputs has a shape of "
                                       f"{i.shape}.")
        outputs = func(*inputs)
        is_out_tuple, outputs = _tuple(outputs, "outputs of the user-provided function", "jvp")
        us = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        g = _autograd_grad(outputs, inputs, us, create_graph=True)
        g = _fill_zeros(g, inputs, False, "back", True)
        total = None
        for gi, vi in zip(g, v):
            if gi.requires_grad:
                term = (gi * vi).sum()
                total = term if total is None else total + term
        if total is None:
            if strict:
                raise RuntimeError("The output of the user-provided function is independent of input 0. This is not "
                                   "allowed in strict mode.")
            res = tuple(zeros_like(o) for o in outputs)
        else:
            res = _autograd_grad((total,), us, create_graph=create_graph)
            res = _fill_zeros(res, outputs, False, "back", create_graph)
    return _post(outputs, is_out_tuple, create_graph), _post(res, is_out_tuple, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape`` (nested for tuples)."""
    from ..ops.creation import zeros
    from ..ops.shape import stack
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                         'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                         'Otherwise, prefer to use "reverse-mode".')
    with enable_grad():
        is_in_tuple, inputs = _tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph)
        outputs = func(*inputs)
        is_out_tuple, outputs = _tuple(outputs, "outputs of the user-provided function", "jacobian")
        jac = []
        for o in outputs:
            rows = [[] for _ in inputs]
            flat = o.reshape(-1)
            for e in range(flat.numel()):
                if flat.requires_grad:
                    gs = _autograd_grad((flat[e],), inputs, create_graph=create_graph, retain_graph=True)
                else:
                    gs = (None,) * len(inputs)
                for k, (g, inp) in enumerate(zip(gs, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {len(jac)} of the user-provided function is independent of "
                                               f"input {k}. This is not allowed in strict mode.")
                        g = zeros(inp.shape, dtype=inp.dtype)
                    rows[k].append(g)
            blocks = []
            for k, inp in enumerate(inputs):
                if rows[k]:
                    j = stack(rows[k]).reshape(tuple(o.shape) + tuple(inp.shape))
                else:
                    j = zeros(tuple(o.shape) + tuple(inp.shape), dtype=inp.dtype)
                blocks.append(j if create_graph else j.detach())
            jac.append(tuple(blocks))
    if is_out_tuple:
        return tuple(b if is_in_tuple else b[0] for b in jac)
    return jac[0] if is_in_tuple else jac[0][0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs``."""
    is_in_tuple, inputs = _tuple(inputs, "inputs", "hessian")

    def ensure_single_output(*inp):
        out = func(*inp)
        is_t, t = _tuple(out, "outputs of the user-provided function", "hessian")
        if is_t or t[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        return t[0].reshape(())

    def jac_func(*inp):
        with enable_grad():
            out = ensure_single_output(*inp)
            gs = _autograd_grad((out,), inp, create_graph=True)
            return _fill_zeros(gs, inp, strict, "back", True)

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict)  # one row per gradient
    if is_in_tuple:
        return res
    return res[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``."""
    with enable_grad():
        is_in_tuple, inputs = _tuple(inputs, "inputs", "vhp")
        inputs = _grad_preprocess(inputs, create_graph)
        _, v = _tuple(v, "v", "vhp") if v is not None else (False, None)
        out = func(*inputs)
        _, outs = _tuple(out, "outputs of the user-provided function", "vhp")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The function given to vhp should return a single Tensor with a single element.")
        if v is None:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            from ..ops.creation import ones_like
            v = (ones_like(inputs[0]),)
        g = _fill_zeros(_autograd_grad(outs, inputs, create_graph=True), inputs, strict, "back", True)
        total = None
        for gi, vi in zip(g, v):
            if gi.requires_grad:
                term = (gi * vi).sum()
                total = term if total is None else total + term
        if total is None:
            from ..ops.creation import zeros_like
            res = tuple(zeros_like(i) for i in inputs)
        else:
            res = _fill_zeros(_autograd_grad((total,), inputs, create_graph=create_graph), inputs, strict, "back",
                              create_graph)
    return _post(outs, False, create_graph), _post(res, is_in_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``; the Hessian is symmetric, so this equals vhp."""
    return vhp(func, inputs, v, create_graph=create_graph, strict=strict)
