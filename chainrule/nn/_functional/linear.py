"""linear and bilinear.

``linear`` is one primitive (for speed: a single GEMM with the bias added in place). Its
backward is written with itself: ``dx = g @ W`` is ``linear(g, W.t())`` and ``dW = g.T @ x``
is ``linear(g.t(), x.t())``, so every order of gradient is again a GEMM.
"""
from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import _state
from ._utils import check_tensor, shape_str

_make = Tensor._make

__all__ = ["linear", "bilinear"]


class Mm(Function):
    """x @ w.T for 2-d x (N, in) and w (out, in)."""
    _array_forward = True
    _node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return np.matmul(x, w.T)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        if not _state.grad_enabled:  # no graph to build: the two GEMMs on arrays
            gd = g._data
            return (_make(gd @ w._data) if need[0] else None), (_make(gd.T @ x._data) if need[1] else None)
        gx = Mm.apply(g, w.t()) if need[0] else None
        gw = Mm.apply(g.t(), x.t()) if need[1] else None
        return gx, gw


class Addmm(Function):
    """x @ w.T + b; the engine sums the bias gradient down to b's shape."""
    _array_forward = True
    _node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.bias_shape = b.shape
        ctx.save_for_backward(x, w)
        out = np.matmul(x, w.T)
        # In place when b broadcasts to out's shape; the usual (out_features,) bias is checked without
        # np.broadcast_shapes, which costs more than the add itself at small sizes.
        if b.shape == out.shape[-1:] or out.shape == np.broadcast_shapes(out.shape, b.shape):
            out += b
        else:
            out = out + b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        if not _state.grad_enabled:  # no graph to build: the GEMMs on arrays, the bias sum as a GEMV
            gd = g._data
            gb = None
            if need[2]:
                bshape = ctx.bias_shape
                if bshape == gd.shape:
                    gb = g
                elif len(bshape) == 1 and bshape[0] == gd.shape[1] and gd.flags.c_contiguous:
                    gb = _make(np.ones(gd.shape[0], dtype=gd.dtype) @ gd)
                else:
                    gb = g
            return ((_make(gd @ w._data) if need[0] else None), (_make(gd.T @ x._data) if need[1] else None), gb)
        gx = Mm.apply(g, w.t()) if need[0] else None
        gw = Mm.apply(g.t(), x.t()) if need[1] else None
        return gx, gw, (g if need[2] else None)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` over the last dimension of ``input``.

    >>> F.linear(chainrule.randn(8, 3), chainrule.randn(4, 3), chainrule.zeros(4)).shape
    torch.Size([8, 4])
    """
    if isinstance(input, Tensor) and isinstance(weight, Tensor):
        # The common case (2-d input and weight, a 1-d bias or none, one dtype, matching sizes) goes
        # straight to its node: it is what every Linear layer runs, and the general checks and
        # reshapes below cost more than a small layer's GEMM.
        xd, wd = input._data, weight._data
        if xd.ndim == 2 and wd.ndim == 2 and xd.shape[1] == wd.shape[1] and xd.dtype == wd.dtype:
            if bias is None:
                return Mm.apply(input, weight)
            if isinstance(bias, Tensor):
                bd = bias._data
                if bd.ndim == 1 and bd.shape[0] == wd.shape[0] and bd.dtype == xd.dtype:
                    return Addmm.apply(input, weight, bias)
    check_tensor(input, "linear")
    check_tensor(weight, "linear", "weight", 2)
    xs, ws = tuple(input._data.shape), tuple(weight._data.shape)
    if not xs or not ws:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {len(xs)}D and {len(ws)}D")
    if len(ws) > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {len(ws)}D")
    w = weight if len(ws) == 2 else weight.unsqueeze(0)
    same_dtype = input._data.dtype == weight._data.dtype
    # PyTorch's order: with a bias (addmm) both dtype checks come before the shape check; without
    # one (mm) a 2-d weight's shapes are checked first.
    if bias is not None:
        if bias._data.dtype != weight._data.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_cap(bias)} and {_cap(weight)}")
        if not same_dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_cap(input)} and {_cap(weight)}")
    elif not same_dtype and len(ws) != 2:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cname(input)} != {_cname(weight)}")
    rows = int(np.prod(xs[:-1])) if len(xs) > 1 else 1
    if xs[-1] != w._data.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{xs[-1]} and "
                           f"{w._data.shape[1]}x{w._data.shape[0]})")
    if not same_dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cname(input)} != {_cname(weight)}")
    out_features = w._data.shape[0]
    if bias is not None:
        bs = tuple(bias._data.shape)
        try:
            ok = np.broadcast_shapes(bs, (rows, out_features)) == (rows, out_features)
        except ValueError:
            ok = False
        if not ok:
            bad = next(i for i in range(1, len(bs) + 1) if bs[-i] not in (1, (rows, out_features)[-i]))
            raise RuntimeError(f"The expanded size of the tensor ({(rows, out_features)[-bad]}) must match the existing "
                               f"size ({bs[-bad]}) at non-singleton dimension {2 - bad}.  Target sizes: "
                               f"{shape_str((rows, out_features))}.  Tensor sizes: {shape_str(bs)}")
    x = input if len(xs) == 2 else input.reshape(rows, xs[-1])
    y = Mm.apply(x, w) if bias is None else Addmm.apply(x, w, bias)
    lead = xs[:-1] + ((out_features,) if len(ws) == 2 else ())
    if tuple(y._data.shape) != lead:
        y = y.reshape(lead)
    return y


def _cname(t):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}[t.dtype.name]


def _cap(t):
    return t.type()[6:-6]


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``.

    >>> F.bilinear(chainrule.randn(8, 3), chainrule.randn(8, 5), chainrule.randn(4, 3, 5)).shape
    torch.Size([8, 4])
    """
    check_tensor(input1, "bilinear", "input1")
    check_tensor(input2, "bilinear", "input2", 2)
    check_tensor(weight, "bilinear", "weight", 3)
    s1, s2, ws = tuple(input1._data.shape), tuple(input2._data.shape), tuple(weight._data.shape)
    if len(s1) != len(s2):
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {len(s1)} and {len(s2)}")
    for i, (a, b) in enumerate(zip(s1[:-1], s2[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {a} and {b}")
    if len(ws) != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional, but got a weight of size {shape_str(ws)}")
    if s1[-1] != ws[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {s1[-1]} but expected {ws[1]}")
    if s2[-1] != ws[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {s2[-1]} but expected {ws[2]}")
    if bias is not None and tuple(bias._data.shape) != (ws[0],):
        got = bias._data.shape[-1] if bias._data.ndim else 1
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {got} but expected {ws[0]}")
    out_f, in1, in2 = ws
    # u[..., o, j] = sum_i x1[..., i] W[o, i, j]: one GEMM; then contract j with x2.
    u = linear(input1, weight.permute(0, 2, 1).reshape(out_f * in2, in1))
    u = u.reshape(s1[:-1] + (out_f, in2))
    y = (u * input2.unsqueeze(-2)).sum(-1)
    if bias is not None:
        y = y + bias
    return y
