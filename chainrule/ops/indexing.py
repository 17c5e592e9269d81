"""Indexing: ``t[idx]`` and ``t[idx] = v`` with basic, advanced and boolean indices."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state

__all__ = []


def _convert_index(idx):
    """Turn Tensors inside an index into arrays; lists of ints become integer arrays."""
    if isinstance(idx, tuple):
        return tuple(_convert_one(i) for i in idx)
    return _convert_one(idx)


def _convert_one(i):
    if isinstance(i, Tensor):
        if i._data.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return i._data
    if isinstance(i, list):
        return _convert_one(Tensor._make(np.asarray(i))) if i and not any(isinstance(e, (slice, type(None), type(Ellipsis))) for e in i) else i
    return i


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    for i in items:
        if not (i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer))):
            return False
        if isinstance(i, bool):
            return False
    return True


class Index(Function):
    _array_forward = True
    _node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.shape = x.shape
        ctx.idx = idx
        return np.asarray(x[idx])

    @staticmethod
    def backward(ctx, g):
        return IndexAddInto.apply(g, ctx.idx, ctx.shape), None


class Slice(Index):
    _node_name = "SliceBackward0"

    @staticmethod
    def backward(ctx, g):
        return SliceScatter.apply(g, ctx.idx, ctx.shape), None


class Select(Slice):
    _node_name = "SelectBackward0"


class SliceScatter(Function):
    """Zeros of ``shape`` with ``g`` written at a basic index (the backward of a view)."""
    _array_forward = True
    _node_name = "SliceScatterBackward0"

    @staticmethod
    def forward(ctx, g, idx, shape):
        ctx.idx = idx
        out = np.zeros(shape, dtype=g.dtype)
        out[idx] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.idx], None, None


class IndexAddInto(Function):
    """Zeros of ``shape`` with ``g`` added at an advanced index (repeats accumulate)."""
    _array_forward = True
    _node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, idx, shape):
        ctx.idx = idx
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, idx, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, ctx.idx), None, None


def _check_bounds(x, idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    dim = 0
    shape = x._data.shape
    for it in items:
        if it is None:
            continue
        if it is Ellipsis:
            dim = len(shape) - sum(1 for j in items if j is not None and j is not Ellipsis and not (isinstance(j, np.ndarray) and j.dtype == bool)) + dim
            continue
        if isinstance(it, (int, np.integer)) and not isinstance(it, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= it < shape[dim]:
                raise IndexError(f"index {it} is out of bounds for dimension {dim} with size {shape[dim]}")
        elif isinstance(it, np.ndarray) and it.dtype.kind in "iu" and it.size and dim < len(shape):
            lo, hi = it.min(), it.max()
            if hi >= shape[dim] or lo < -shape[dim]:
                bad = hi if hi >= shape[dim] else lo
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {shape[dim]}")
        if isinstance(it, np.ndarray) and it.dtype == bool:
            dim += it.ndim
        else:
            dim += 1
    if dim > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")


def getitem(x, idx):
    idx = _convert_index(idx)
    _check_bounds(x, idx)
    if _is_basic(idx):
        from .views import mark_view
        items = idx if isinstance(idx, tuple) else (idx,)
        cls = Select if any(isinstance(i, (int, np.integer)) for i in items) else Slice
        return mark_view(cls.apply(x, idx), x, getitem, idx)
    return Index.apply(x, idx)


class IndexPut(Function):
    """``x`` with ``value`` written at ``idx``, out of place (``__setitem__`` is built on it)."""
    _array_forward = True
    _node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, value, idx):
        ctx.idx = idx
        ctx.vshape = np.shape(value)
        out = x.copy()
        out[idx] = value
        return out

    @staticmethod
    def backward(ctx, g):
        from .creation import ones_like
        mask = ones_like(g)
        mask._data[ctx.idx] = 0
        gv = g[ctx.idx] if ctx.needs_input_grad[1] else None
        return g * mask, gv, None


def setitem(x, idx, value):
    idx = _convert_index(idx)
    _check_bounds(x, idx)
    vt = isinstance(value, Tensor)
    if vt and value._data.dtype != x._data.dtype:
        value = value.to(x.dtype)
    if _state.grad_enabled and (x._requires_grad or (vt and value._requires_grad)):
        x._check_inplace()
        x._apply_inplace(IndexPut.apply(x, value, idx))
        return
    x._data[idx] = value._data if vt else value
    x._vc[0] += 1


METHODS = {}
