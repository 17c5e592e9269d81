"""Forward-mode AD: dual tensors carry a tangent through every op.

No op needs a forward rule of its own. An op's output tangent ``J t`` is obtained from its
backward rule by the double-vjp identity: ``u -> J^T u`` is linear in ``u``, so
``J t = d/du <J^T u, t>``. Because every backward rule is written in differentiable ops,
this holds for the whole catalogue. A custom Function may still define ``jvp``.
"""
from __future__ import annotations

from collections import namedtuple

from . import function as _function
from .grad_mode import _state

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level",
           "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
_duals = {}  # level -> tensors holding a tangent at that level (cleared on exit)


def enter_dual_level() -> int:
    """Open a new forward-AD level and return its index."""
    if _function._fw_levels:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    level = len(_function._fw_levels)
    _function._fw_levels.append(level)
    _duals[level] = []
    return level


def exit_dual_level(*, level=None) -> None:
    """Close a level: every tangent made at it is dropped."""
    if not _function._fw_levels:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    top = _function._fw_levels[-1]
    if level is not None and level != top:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    _function._fw_levels.pop()
    for ref in _duals.pop(top, []):
        t = ref()
        if t is not None:
            t._fw = None


class dual_level:
    """Context for forward AD: tangents made inside are dropped on exit.

    >>> with dual_level():
    ...     y = unpack_dual(make_dual(x, v).sin()).tangent    # cos(x) * v
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def _remember(t):
    import weakref
    level = _function._fw_levels[-1]
    _duals[level].append(weakref.ref(t))


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` whose tangent is ``tangent`` (same shape, floating dtype)."""
    if not _function._fw_levels:
        raise RuntimeError("To create a dual Tensor, you must first enter a dual level using "
                           "`forward_ad.dual_level()` or `forward_ad.enter_dual_level()`.")
    Tensor = _function.Tensor
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual expects Tensors for both the primal and the tangent")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point, but got: {tangent.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than that of the "
                           f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
                           f"while the given forward gradient is of size {list(tangent.shape)}.")
    out = _alias(tensor)
    out._fw = tangent.to(tensor.dtype)
    _remember(out)
    return out


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a dual tensor; tangent is None for a plain tensor."""
    if tensor._fw is None:
        return UnpackedDualTensor(tensor, None)
    primal = _alias(tensor)
    return UnpackedDualTensor(primal, tensor._fw)


class _Alias(_function.Function):
    _array_forward = True
    _node_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.view()

    @staticmethod
    def backward(ctx, g):
        return g


def _alias(t):
    """A new tensor sharing ``t``'s memory and version counter, in its graph."""
    out = _Alias.apply(t)
    out._vc = t._vc
    return out


def propagate(cls, ctx, args, kwargs, result):
    """Give the outputs of ``cls.apply(*args)`` their tangents."""
    Tensor = _function.Tensor
    outs = result if isinstance(result, tuple) else (result,)
    tangents_in = [a._fw if isinstance(a, Tensor) else None for a in args]
    if cls.jvp is not _function.Function.jvp:
        levels = list(_function._fw_levels)
        _function._fw_levels.clear()
        try:
            tin = [t if t is not None else (_zeros_like(a) if isinstance(a, Tensor) else None)
                   for a, t in zip(args, tangents_in)]
            touts = cls.jvp(ctx, *tin)
        finally:
            _function._fw_levels.extend(levels)
        touts = touts if isinstance(touts, tuple) else (touts,)
    else:
        touts = _double_vjp(cls, args, kwargs, tangents_in)
    for o, t in zip(outs, touts):
        if isinstance(o, Tensor) and t is not None and o.is_floating_point():
            o._fw = t
            _remember(o)


def _zeros_like(a):
    from ..ops.creation import zeros_like
    return zeros_like(a)


def _double_vjp(cls, args, kwargs, tangents_in):
    from . import grad as autograd_grad
    from ..ops.creation import zeros_like
    Tensor = _function.Tensor
    levels = list(_function._fw_levels)
    _function._fw_levels.clear()  # the replay below must not propagate tangents again
    prev = _state.grad_enabled
    _state.grad_enabled = True
    try:
        prim = []
        wrt = []
        tans = []
        for a, t in zip(args, tangents_in):
            if isinstance(a, Tensor) and t is not None:
                p = a.detach().requires_grad_(True)
                prim.append(p)
                wrt.append(p)
                tans.append(t)
            elif isinstance(a, Tensor):
                prim.append(a.detach())
            else:
                prim.append(a)
        outs = cls.apply(*prim, **kwargs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        diff = [o for o in outs if isinstance(o, Tensor) and o._requires_grad]
        if not diff:
            return (None,) * len(outs)
        us = [zeros_like(o).requires_grad_(True) for o in diff]
        gs = autograd_grad(diff, wrt, grad_outputs=us, create_graph=True, allow_unused=True)
        total = None
        for g, t in zip(gs, tans):
            if g is not None and g._requires_grad:
                term = (g * t.detach()).sum()
                total = term if total is None else total + term
        if total is None:
            jt = [zeros_like(o) for o in diff]
        else:
            jt = autograd_grad(total, us, allow_unused=True, materialize_grads=True)
        it = iter(jt)
        return tuple(next(it).detach() if isinstance(o, Tensor) and o._requires_grad else None for o in outs)
    finally:
        _state.grad_enabled = prev
        _function._fw_levels.extend(levels)
