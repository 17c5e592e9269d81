"""Reductions: sum, mean and friends, with dim and keepdim."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ._common import dims_arg

__all__ = ["sum", "mean", "sum_to_size"]


def _keep_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


class Sum(Function):
    _array_forward = True
    _node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dt):
        ctx.shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        return np.asarray(np.sum(x, axis=dims, keepdims=keepdim, dtype=dt))

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdim and ctx.dims:
            g = g.reshape(_keep_shape(ctx.shape, ctx.dims))
        return g.expand(ctx.shape), None, None, None


class SumAll(Sum):
    _node_name = "SumBackward0"


def _sum_dtype(x, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    if x._data.dtype.kind in "biu":
        return np.int64  # integer sums widen to int64, as in PyTorch
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    """Sum of all elements, or over ``dim`` (an int or a tuple of ints)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"sum(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    dt = _sum_dtype(input, dtype)
    if dim is None:
        return SumAll.apply(input, None, False, dt)
    dims = dims_arg(dim, input._data.ndim)
    return Sum.apply(input, dims, keepdim, dt)


class Mean(Function):
    _array_forward = True
    _node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        ctx.n = int(np.prod([x.shape[d] for d in dims])) if dims is not None else x.size
        return np.asarray(np.mean(x, axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdim and ctx.dims:
            g = g.reshape(_keep_shape(ctx.shape, ctx.dims))
        return (g / ctx.n).expand(ctx.shape), None, None


class MeanAll(Mean):
    _node_name = "MeanBackward0"


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean of all elements, or over ``dim``. Integer inputs need a floating ``dtype``."""
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {input.dtype.name.capitalize() if input.dtype.name != 'int64' else 'Long'}")
    if dim is None:
        return MeanAll.apply(input, None, False)
    return Mean.apply(input, dims_arg(dim, input._data.ndim), keepdim)


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the reverse of broadcasting it)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = input._data.shape
    if shape == tuple(size):
        return input
    lead = len(shape) - len(size)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(size) if s == 1 and shape[i + lead] != 1)
    out = sum(input, dims, keepdim=True) if dims else input
    if lead:
        out = out.reshape(tuple(size))
    return out


METHODS = {"sum": sum, "mean": mean, "sum_to_size": sum_to_size}
