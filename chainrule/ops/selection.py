"""Elementwise selection: where, clamp/clip, maximum, minimum.

Gradients follow PyTorch at the ties: clamp passes the gradient where min <= x <= max,
maximum and minimum split it equally between equal inputs.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _cap
from ..autograd.function import Function
from .pointwise import _broadcasts, _cast_to, _check_tensor, _inplace, _not_implemented, _out, promote

__all__ = ["where", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum"]

_MISSING = object()


def _mask(arr, g):
    """A constant 0/1 (or 0.5) tensor from a NumPy mask, in g's dtype."""
    return Tensor._make(np.asarray(arr, dtype=g._data.dtype))


# -- where --------------------------------------------------------------------------------------
class Where(Function):
    _array_forward = True
    _node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b, dt):
        ctx.save_for_backward(cond)
        out = np.where(cond, a, b)
        return out if out.dtype == dt.np else out.astype(dt.np)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        n = ctx.needs_input_grad
        return None, (where(cond, g, 0.0) if n[1] else None), (where(cond, 0.0, g) if n[2] else None), None


def _where_type_error(args):
    got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)
    return TypeError(f"where() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     " * (Tensor condition)\n"
                     " * (Tensor condition, Tensor input, Tensor other, *, Tensor out = None)\n"
                     " * (Tensor condition, Number self, Tensor other)\n"
                     " * (Tensor condition, Tensor input, Number other)\n"
                     " * (Tensor condition, Number self, Number other)\n")


_NUMBER = (int, float, bool, np.number, np.bool_)
_FAST = (int, float, type(None))


@_broadcasts
def where(condition, input=_MISSING, other=_MISSING, *, out=None):
    """``input`` where ``condition`` holds, else ``other``, broadcast; numbers allowed for either.

    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.

    >>> c = chainrule.tensor([True, False])
    >>> chainrule.where(c, chainrule.tensor([1., 2.]), 0.)
    tensor([1., 0.])
    """
    if input is _MISSING and other is _MISSING:
        if not isinstance(condition, Tensor):
            raise _where_type_error((condition,))
        c = condition._data
        return tuple(Tensor._make(i) for i in np.nonzero(c if c.ndim else c.reshape(1)))
    if input is _MISSING or other is _MISSING or not isinstance(condition, Tensor):
        raise _where_type_error(tuple(a for a in (condition, input, other) if a is not _MISSING))
    if condition._data.dtype.kind != "b":
        if condition._data.dtype != np.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{_cap(condition.dtype)}")
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed "
                      "in a future version of PyTorch. Use a boolean condition instead.", UserWarning, stacklevel=2)
        condition = Tensor._make(condition._data.astype(np.bool_))
    ti, to = isinstance(input, Tensor), isinstance(other, Tensor)
    if ti and to and input._data.dtype == other._data.dtype:
        return _out(Where.apply(condition, input, other, input.dtype), out)
    if not (ti or isinstance(input, _NUMBER)) or not (to or isinstance(other, _NUMBER)):
        raise _where_type_error((condition, input, other))
    dt = _dtype.result_type(input, other)
    a, b = _cast_to(input, dt), _cast_to(other, dt)
    return _out(Where.apply(condition, a, b, dt), out)


# -- clamp ----------------------------------------------------------------------------------------
class ClampScalar(Function):
    """clamp with number bounds: the gradient passes where min <= x <= max."""
    _array_forward = True
    _node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        if hi is None:
            return np.maximum(x, lo)
        if lo is None:
            return np.minimum(x, hi)
        return np.minimum(np.maximum(x, lo), hi)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        xd = x._data
        lo, hi = ctx.lo, ctx.hi
        if lo is None:
            keep = xd <= hi
        elif hi is None:
            keep = xd >= lo
        else:
            keep = (xd >= lo) & (xd <= hi)
        return where(Tensor._make(np.asarray(keep)), g, 0.0), None, None


class ClampMinScalar(ClampScalar):
    _node_name = "ClampMinBackward0"


class ClampMaxScalar(ClampScalar):
    _node_name = "ClampMaxBackward0"


class ClampTensor(Function):
    """clamp with tensor bounds; a bound gets the gradient where it is the answer.

    As PyTorch: x where lo <= x <= hi; lo where x < lo < hi (or x < lo with no hi);
    hi where x > hi or lo > hi (or x > hi with no lo).
    """
    _array_forward = True
    _node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        n = ctx.needs_input_grad
        xd = x._data
        ld = None if lo is None else lo._data
        hd = None if hi is None else hi._data
        gx = glo = ghi = None
        if n[0]:
            keep = True
            if ld is not None:
                keep = xd >= ld
            if hd is not None:
                keep = keep & (xd <= hd)
            gx = where(Tensor._make(np.asarray(keep)), g, 0.0)
        if n[1]:
            sel = xd < ld
            if hd is not None:
                sel = sel & (ld < hd)
            glo = where(Tensor._make(np.asarray(sel)), g, 0.0)
        if n[2]:
            sel = xd > hd
            if ld is not None:
                sel = sel | (ld > hd)
            ghi = where(Tensor._make(np.asarray(sel)), g, 0.0)
        return gx, glo, ghi


class ClampMinTensor(ClampTensor):
    _node_name = "ClampMinBackward1"


class ClampMaxTensor(ClampTensor):
    _node_name = "ClampMaxBackward1"


def _clamp_type_error(input, min, max):
    kinds = ", ".join(f"{k}={'Tensor' if isinstance(v, Tensor) else type(v).__name__}"
                      for k, v in (("min", min), ("max", max)) if v is not None)
    return TypeError(f"clamp() received an invalid combination of arguments - got (Tensor, {kinds}), but expected "
                     "one of:\n * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
                     " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")


def _clamp(input, min, max, out, scalar_cls, tensor_cls):
    _check_tensor(input, "clamp")
    if input._data.dtype.kind == "f" and min.__class__ in _FAST and max.__class__ in _FAST \
            and (min is not None or max is not None):
        return _out(scalar_cls.apply(input, min, max), out)  # the common case: float tensor, number bounds
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    tensors = [isinstance(b, Tensor) for b in bounds]
    if any(tensors) and not all(tensors) or not all(isinstance(b, (Tensor, *_NUMBER)) for b in bounds):
        raise _clamp_type_error(input, min, max)
    dt = _dtype.result_type(input, min, max)
    if dt is _dtype.bool and (min is not None and max is not None or not any(tensors)):
        kernel = "clamp" if any(tensors) else ("clamp_scalar" if len(bounds) == 2 else
                                               "clamp_min_scalar" if max is None else "clamp_max_scalar")
        raise _not_implemented(kernel + "_cpu", dt)
    x, lo, hi = _cast_to(input, dt), _cast_to(min, dt), _cast_to(max, dt)
    if any(tensors):
        return _out(tensor_cls.apply(x, lo, hi), out)
    return _out(scalar_cls.apply(x, lo, hi), out)


@_broadcasts
def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:  # noqa: A002
    """Limit each element to [min, max]; bounds are numbers or tensors (broadcast), either may be None.

    Where min > max the result is max. The gradient passes where min <= x <= max.

    >>> chainrule.clamp(chainrule.tensor([-1., 0.5, 2.]), 0, 1)
    tensor([0.0000, 0.5000, 1.0000])
    """
    return _clamp(input, min, max, out, ClampScalar, ClampTensor)


clip = clamp


@_broadcasts
def clamp_min(input: Tensor, min) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``."""
    return _clamp(input, min, None, None, ClampMinScalar, ClampMinTensor)


@_broadcasts
def clamp_max(input: Tensor, max) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``."""
    return _clamp(input, None, max, None, ClampMaxScalar, ClampMaxTensor)


# -- maximum and minimum ----------------------------------------------------------------------------
class Maximum(Function):
    _array_forward = True
    _node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split(ctx, g, a._data, b._data, big=True)


class Minimum(Function):
    _array_forward = True
    _node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split(ctx, g, a._data, b._data, big=False)


def _split(ctx, g, a, b, big):
    # The chosen input gets the whole gradient; equal inputs get half each (NaN: both get it).
    half = np.where(a == b, 0.5, 1.0)
    a_loses = a < b if big else a > b
    b_loses = a > b if big else a < b
    n = ctx.needs_input_grad
    ga = g * _mask(half * ~a_loses, g) if n[0] else None
    gb = g * _mask(half * ~b_loses, g) if n[1] else None
    return ga, gb


def _extreme(name, cls):
    @_broadcasts
    def op(input, other, *, out=None):
        _check_tensor(input, name)
        _check_tensor(other, name, "other", 2)
        a, b = promote(input, other)
        return _out(cls.apply(a, b), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"Elementwise {name} of two tensors, broadcast (NaN propagates); equal elements share the "
                  "gradient equally.")
    op.__annotations__ = {"input": "Tensor", "other": "Tensor", "return": "Tensor"}
    return op


maximum = _extreme("maximum", Maximum)
minimum = _extreme("minimum", Minimum)


def _where_method(self, condition, y):
    return where(condition, self, y)


METHODS = {
    "where": _where_method, "clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "maximum": maximum, "minimum": minimum,
}
for _name in ("clamp", "clip", "clamp_min", "clamp_max"):
    METHODS[_name + "_"] = _inplace(METHODS[_name])

# The in-place forms PyTorch also has as functions: ``torch.exp_(t)``.
for _name in ('clamp_', 'clamp_max_', 'clamp_min_', 'clip_'):
    globals()[_name] = METHODS[_name]
    __all__.append(_name)
