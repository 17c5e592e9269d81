"""Helpers shared by the op families: operand promotion and dim handling."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim

__all__ = ["promote", "wrap_dim", "dims_arg", "Tensor"]

wrap_dim = _wrap_dim
_PY_SCALARS = (int, float, bool)


def promote(a, b):
    """Cast tensor operands to PyTorch's result dtype; Python scalars stay scalars.

    A cast of a tensor that requires grad is itself recorded, so gradients flow back
    to the original dtype.
    """
    ta = a.__class__ is Tensor or isinstance(a, Tensor)
    tb = b.__class__ is Tensor or isinstance(b, Tensor)
    if ta and tb:
        if a._data.dtype == b._data.dtype:
            return a, b
    elif ta:
        # A Python float or int never changes a float tensor's dtype: NumPy's weak scalars
        # agree with PyTorch there, so no cast is needed. (Ints meeting int tensors may wrap.)
        bc, k = b.__class__, a._data.dtype.kind
        if k == "f" and (bc is float or bc is int):
            return a, b
        b = _scalar(b)
    elif tb:
        ac, k = a.__class__, b._data.dtype.kind
        if k == "f" and (ac is float or ac is int):
            return a, b
        a = _scalar(a)
    else:
        raise TypeError("expected at least one Tensor operand")
    rt = _dtype.result_type(a, b)
    return _to(a, rt), _to(b, rt)


def _scalar(x):
    if isinstance(x, _PY_SCALARS):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return Tensor._make(x)
    if isinstance(x, (list, tuple)):
        from .creation import tensor
        return tensor(x)
    raise TypeError(f"unsupported operand type: '{type(x).__name__}'")


def _to(x, dt):
    if isinstance(x, Tensor):
        if x._data.dtype != dt.np:
            from .pointwise import _cast
            return _cast(x, dt)
        return x
    # A Python scalar: numpy would otherwise pick its own dtype from it.
    if dt.is_floating_point:
        return float(x) if not isinstance(x, bool) else float(x)
    if dt is _dtype.bool:
        return bool(x)
    v = int(x)
    info = np.iinfo(dt.np)
    if info.min <= v <= info.max:
        return v
    return (v - info.min) % (info.max - info.min + 1) + info.min  # wrap around, as PyTorch's integers do


def dims_arg(dim, ndim):
    """Normalise ``dim`` (None, int or sequence) to a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(int(dim), ndim),)
    out = tuple(sorted(wrap_dim(int(d), ndim) for d in dim))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out
