"""Convolutions (1-, 2- and 3-d, transposed) and unfold/fold, all through one im2col kernel
(for stride 1, its flat-layout form ``_Flat``, which copies long contiguous runs).

Three bilinear primitives close under differentiation, so every order of gradient is a
convolution again:

* ``Conv(x, w)``   y = conv(x, w)                        (forward: one GEMM over an im2col view)
* ``ConvT(y, w)``  x = the adjoint of conv in x          (one GEMM, then col2im: a loop over kernel taps)
* ``ConvW(x, y)``  w = the adjoint of conv in w          (one batched GEMM)

d Conv = (ConvT, ConvW), d ConvT = (Conv, ConvW), d ConvW = (ConvT, Conv).
``conv_transposeNd`` is ``ConvT`` with the roles of input and output swapped.
"""
from __future__ import annotations

import functools
import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...autograd.function import Function
from ._utils import check_tensor, ntuple, shape_str

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "unfold", "fold"]


class Geometry:
    """How a convolution lays its windows over the (padded) input.

    ``size`` is the spatial size of the conv's input, ``out`` of its output, ``lo`` the
    zero padding before each spatial dim (the padding after is whatever the sizes need).
    """

    __slots__ = ("size", "out", "k", "lo", "stride", "dilation", "groups")

    def __init__(self, size, out, k, lo, stride, dilation, groups=1):
        self.size, self.out, self.k, self.lo = tuple(size), tuple(out), tuple(k), tuple(lo)
        self.stride, self.dilation, self.groups = tuple(stride), tuple(dilation), groups

    def span(self):
        """Padded length each spatial dim needs to hold every window."""
        return tuple((o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(self.out, self.stride, self.dilation, self.k))


# -- array kernels --------------------------------------------------------------------------------
def _windows(x, geo, fill=0):
    """A strided view (N, C, *out, *k) of ``x`` (N, C, *size), padded with ``fill`` as ``geo`` says."""
    span = geo.span()
    pads = [(0, 0), (0, 0)]
    crop = False
    for lo, n, sp in zip(geo.lo, x.shape[2:], span):
        hi = sp - lo - n
        pads.append((lo, max(hi, 0)))
        crop |= hi < 0
    if any(p != (0, 0) for p in pads):
        x = np.pad(x, pads, constant_values=fill)
    if crop:
        x = x[(slice(None), slice(None)) + tuple(slice(0, sp) for sp in span)]
    st = x.strides
    nd = len(span)
    shape = x.shape[:2] + geo.out + geo.k
    strides = st[:2] + tuple(st[2 + i] * geo.stride[i] for i in range(nd)) + \
        tuple(st[2 + i] * geo.dilation[i] for i in range(nd))
    return as_strided(x, shape, strides, writeable=False)


def im2col(x, geo):
    """(N, C, *size) -> (N, C, *k, *out): the columns each output position reads (a copy)."""
    w = _windows(x, geo)
    nd = len(geo.k)
    perm = (0, 1) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2, 2 + nd))
    return np.ascontiguousarray(w.transpose(perm))


def col2im(cols, geo):
    """The adjoint of ``im2col``: (N, C, *k, *out) summed back into (N, C, *size)."""
    N, C = cols.shape[:2]
    span = geo.span()
    full = tuple(max(sp, lo + n) for sp, lo, n in zip(span, geo.lo, geo.size))
    xp = np.zeros((N, C) + full, dtype=cols.dtype)
    for tap in np.ndindex(*geo.k):
        sl = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                   for t, d, o, s in zip(tap, geo.dilation, geo.out, geo.stride))
        xp[(slice(None), slice(None)) + sl] += cols[(slice(None), slice(None)) + tap]
    if full != geo.size or any(geo.lo):
        xp = xp[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for lo, n in zip(geo.lo, geo.size))]
        xp = np.ascontiguousarray(xp)
    return xp


class _Scratch(threading.local):
    """Per-thread buffers for a kernel's large temporaries, reused from call to call.

    A freshly allocated block of a few MiB comes back from the OS one page fault per 4 KiB
    (glibc hands big freed blocks back to the OS), and at these sizes the faults can cost more
    than the copy that fills the block. Only arrays that die inside one kernel call live here,
    at most ``LIMIT`` bytes per slot; anything larger is allocated as usual.
    """

    LIMIT = 8 << 20

    def __init__(self):
        self.slots = {}

    def get(self, slot, shape, dtype):
        dtype = np.dtype(dtype)
        n = math.prod(shape) * dtype.itemsize
        if n > self.LIMIT:
            return np.empty(shape, dtype=dtype)
        buf = self.slots.get(slot)
        if buf is None or buf.nbytes < n:
            buf = self.slots[slot] = np.empty(max(n, 1 << 16), dtype=np.uint8)
        return buf[:n].view(dtype).reshape(shape)

    def zeros(self, slot, shape, dtype):
        a = self.get(slot, shape, dtype)
        a.fill(0)
        return a


_scratch = _Scratch()


class _Flat:
    """Stride 1 on a flat padded image: each kernel tap reads one contiguous run.

    Flatten the padded image (row-major, padded sizes ``sp``). Output position ``h`` (a tuple)
    sits at flat ``p = sum(h_i * st_i)`` and tap ``t`` reads ``p + off[t]``, so for all outputs at
    once a tap reads ``flat[off[t]:off[t] + L]``. im2col is then K long contiguous copies and
    col2im K contiguous adds, where the strided window view copies runs of only one row. The price
    is a few junk columns: the flat positions past the end of each output row, which are computed
    and dropped (or, in a gradient laid out this way, are zero, and add nothing).
    Every array here except the final results is scratch (see ``_Scratch``).
    """

    __slots__ = ("sp", "st", "S", "L", "offs", "tap", "inner")

    @staticmethod
    def of(geo):
        return _flat_layout(geo.size, geo.out, geo.k, geo.lo, geo.dilation)

    def __init__(self, size, out, k, lo, dilation):
        span = tuple(o + d * (kk - 1) for o, d, kk in zip(out, dilation, k))
        self.sp = tuple(max(s, a + n) for s, a, n in zip(span, lo, size))
        self.st = tuple(math.prod(self.sp[i + 1:]) for i in range(len(k)))
        self.S = math.prod(self.sp)
        self.L = sum((o - 1) * st for o, st in zip(out, self.st)) + 1
        self.tap = tuple(d * st for d, st in zip(dilation, self.st))
        self.offs = [sum(t * step for t, step in zip(tp, self.tap)) for tp in np.ndindex(*k)]
        self.inner = tuple(slice(a, a + n) for a, n in zip(lo, size))

    def pad(self, x):
        """x (N, C, *size) -> (N, C, S), zero padded."""
        N, C = x.shape[:2]
        if self.sp == x.shape[2:]:
            return np.ascontiguousarray(x).reshape(N, C, self.S)  # ``cols`` needs unit steps in S
        xp = _scratch.zeros("pad", (N, C) + self.sp, x.dtype)
        xp[(slice(None), slice(None)) + self.inner] = x
        return xp.reshape(N, C, self.S)

    def cols(self, xp, k):
        """(N, C, S) -> (N, C * K, L): what each output position reads, tap by tap."""
        N, C = xp.shape[:2]
        it = xp.itemsize
        v = as_strided(xp, (N, C) + k + (self.L,), xp.strides[:2] + tuple(t * it for t in self.tap) + (it,),
                       writeable=False)
        cols = _scratch.get("cols", v.shape, xp.dtype)
        np.copyto(cols, v)
        return cols.reshape(N, C * len(self.offs), self.L)

    def outputs(self, y, out):
        """The output positions of y (N, O, L) as a (N, O, *out) view."""
        it = y.itemsize
        return as_strided(y, y.shape[:2] + out, y.strides[:2] + tuple(st * it for st in self.st))

    def spread(self, g, out, slot):
        """g (N, O, *out) laid out as (N, O, L), zero at the junk positions."""
        gp = _scratch.zeros(slot, g.shape[:2] + (self.L,), g.dtype)
        self.outputs(gp, out)[...] = g
        return gp

    def col2im(self, cols):
        """The adjoint of ``cols``: (N, C, K, L) summed into a new (N, C, *size)."""
        N, C = cols.shape[:2]
        xp = _scratch.zeros("pad", (N, C, self.S), cols.dtype)
        for t, off in enumerate(self.offs):
            xp[:, :, off:off + self.L] += cols[:, :, t]
        return xp.reshape((N, C) + self.sp)[(slice(None), slice(None)) + self.inner].copy()  # out of scratch


_flat_layout = functools.lru_cache(maxsize=64)(_Flat)  # a layout is fixed by its geometry; a step reuses a few


def _conv(x, w, geo, b=None):
    """conv(x, w) + b: x (N, C, *size), w (O, C/g, *k), b (O,) or None -> (N, O, *out)."""
    N, C = x.shape[:2]
    O = w.shape[0]
    g = geo.groups
    K = math.prod(geo.k)
    P = math.prod(geo.out)
    wm = w.reshape(g, O // g, (C // g) * K)
    stride1 = geo.stride == (1,) * len(geo.k)
    if K == 1 and not any(geo.lo) and stride1 and geo.out == geo.size:
        cols = x.reshape(N, g, C // g, P)  # a 1x1 convolution reads the input as it is
    elif stride1:
        f = _Flat.of(geo)
        cols = f.cols(f.pad(x), geo.k).reshape(N, g, (C // g) * K, f.L)
        out = np.matmul(wm, cols, out=_scratch.get("out", (N, g, O // g, f.L), np.result_type(wm, cols)))
        out = f.outputs(out.reshape(N, O, f.L), geo.out)
        if b is None:
            return out.copy()  # out of scratch
        return np.add(out, _bias_shape(b, len(geo.k)), out=np.empty(out.shape, dtype=out.dtype))
    else:
        cols = im2col(x, geo).reshape(N, g, (C // g) * K, P)
    out = np.matmul(wm, cols).reshape((N, O) + geo.out)
    if b is not None:
        out += _bias_shape(b, len(geo.k))
    return out


def _conv_t(y, w, geo):
    """The adjoint of conv in x: y (N, O, *out), w (O, C/g, *k) -> (N, C, *size)."""
    N, O = y.shape[:2]
    g = geo.groups
    Cg = w.shape[1]
    nd = len(geo.k)
    reach = tuple(d * (k - 1) for d, k in zip(geo.dilation, geo.k))
    if O <= g * Cg and geo.stride == (1,) * nd and all(lo <= r for lo, r in zip(geo.lo, reach)):
        # Stride 1: the adjoint is a convolution of y with the flipped, transposed kernel; cheaper than
        # col2im when y has no more channels than the result.
        wt = w.reshape((g, O // g, Cg) + geo.k).swapaxes(1, 2)[(Ellipsis,) + (slice(None, None, -1),) * nd]
        wt = wt.reshape((g * Cg, O // g) + geo.k)
        adj = Geometry(geo.out, geo.size, geo.k, tuple(r - lo for r, lo in zip(reach, geo.lo)), geo.stride,
                       geo.dilation, g)
        return _conv(y, wt, adj)
    K = math.prod(geo.k)
    P = math.prod(geo.out)
    wm = w.reshape(g, O // g, Cg * K).transpose(0, 2, 1)
    if geo.stride == (1,) * nd:
        f = _Flat.of(geo)
        yp = f.spread(y, geo.out, "out").reshape(N, g, O // g, f.L)
        cols = np.matmul(wm, yp, out=_scratch.get("cols", (N, g, Cg * K, f.L), np.result_type(wm, yp)))
        return f.col2im(cols.reshape(N, g * Cg, K, f.L))
    cols = np.matmul(wm, y.reshape(N, g, O // g, P))
    return col2im(cols.reshape((N, g * Cg) + geo.k + geo.out), geo)


def _conv_w(x, y, geo):
    """The adjoint of conv in w: x (N, C, *size), y (N, O, *out) -> (O, C/g, *k)."""
    N, C = x.shape[:2]
    O = y.shape[1]
    g = geo.groups
    K = math.prod(geo.k)
    P = math.prod(geo.out)
    if geo.stride == (1,) * len(geo.k):
        f = _Flat.of(geo)
        cols = f.cols(f.pad(x), geo.k).reshape(N, g, (C // g) * K, f.L)
        ym = f.spread(y, geo.out, "out").reshape(N, g, O // g, f.L)
    else:
        cols = im2col(x, geo).reshape(N, g, (C // g) * K, P)
        ym = y.reshape(N, g, O // g, P)
    gw = np.matmul(ym, cols.transpose(0, 1, 3, 2)).sum(0)
    return gw.reshape((O, C // g) + geo.k)


def _bias_shape(b, nd):
    return b.reshape((1, -1) + (1,) * nd)


# -- primitives -------------------------------------------------------------------------------------
class Conv(Function):
    _array_forward = True
    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geo):
        ctx.geo = geo
        ctx.save_for_backward(x, w)
        return _conv(x, w, geo, b)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        geo = ctx.geo
        need = ctx.needs_input_grad
        gx = ConvT.apply(g, w, None, geo) if need[0] else None
        gw = ConvW.apply(x, g, geo) if need[1] else None
        gb = g.sum((0,) + tuple(range(2, g.ndim))) if need[2] else None
        return gx, gw, gb, None


class ConvT(Function):
    _array_forward = True
    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, y, w, b, geo):
        ctx.geo = geo
        ctx.save_for_backward(y, w)
        out = _conv_t(y, w, geo)
        if b is not None:
            out += _bias_shape(b, len(geo.k))
        return out

    @staticmethod
    def backward(ctx, g):
        y, w = ctx.saved_tensors
        geo = ctx.geo
        need = ctx.needs_input_grad
        gy = Conv.apply(g, w, None, geo) if need[0] else None
        gw = ConvW.apply(g, y, geo) if need[1] else None
        gb = g.sum((0,) + tuple(range(2, g.ndim))) if need[2] else None
        return gy, gw, gb, None


class ConvW(Function):
    _array_forward = True
    _node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, y, geo):
        ctx.geo = geo
        ctx.save_for_backward(x, y)
        return _conv_w(x, y, geo)

    @staticmethod
    def backward(ctx, gw):
        x, y = ctx.saved_tensors
        geo = ctx.geo
        need = ctx.needs_input_grad
        gx = ConvT.apply(y, gw, None, geo) if need[0] else None
        gy = Conv.apply(x, gw, None, geo) if need[1] else None
        return gx, gy, None


# -- argument checking ------------------------------------------------------------------------------
def _check_numbers(stride, dilation, padding=None):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if padding is not None and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")


def _check_dtypes(input, weight, bias, name):
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"\"{name}\" not implemented for 'Bool'")
    for other in (weight, bias):
        if other is not None and other._data.dtype != input._data.dtype:
            kind = "weight" if other is weight else "bias"
            raise RuntimeError(f"Input type ({input.type()}) and {kind} type ({other.type()}) should be the same "
                               "or input should be a MKLDNN tensor and weight is a dense tensor")


def _batched(input, nd, name):
    """Accept (C, *size) as an unbatched input; return the batched tensor and whether it was."""
    check_tensor(input, name)
    if input._data.ndim == nd + 1:
        return input.unsqueeze(0), True
    if input._data.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
                           f"input of size: {shape_str(input.shape)}")
    return input, False


def _check_weight(weight, groups, nd, transposed):
    check_tensor(weight, "conv", "weight", 2)
    ws = tuple(weight._data.shape)
    if len(ws) != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional weight for a {nd}-d convolution, but got weight of "
                           f"size {shape_str(ws)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if ws[0] < 1:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {shape_str(ws)} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{shape_str(ws)}] instead")


def _check_bias(bias, n, weight, transposed):
    if bias is None:
        return
    check_tensor(bias, "conv", "bias", 3)
    if bias._data.ndim != 1 or bias._data.shape[0] != n:
        t = "transposed=1, " if transposed else ""
        raise RuntimeError(f"Given {t}weight of size {shape_str(weight.shape)}, expected bias to be 1-dimensional "
                           f"with {n} elements, but got bias of size {shape_str(bias.shape)} instead")


def _convnd(nd, name, input, weight, bias, stride, padding, dilation, groups):
    x, unbatched = _batched(input, nd, name)
    _check_weight(weight, groups, nd, False)
    stride = ntuple(stride, nd, "stride")
    dilation = ntuple(dilation, nd, "dilation")
    k = tuple(weight._data.shape[2:])
    size = tuple(x._data.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = tuple(d * (kk - 1) for d, kk in zip(dilation, k))
            lo = tuple(t // 2 for t in total)
            hi = tuple(t - t // 2 for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = ntuple(padding, nd, "padding")
    _check_numbers(stride, dilation, lo)
    _check_dtypes(x, weight, bias, name)
    C = x._data.shape[1]
    ws = tuple(weight._data.shape)
    if ws[1] * groups != C:
        raise RuntimeError(f"Given groups={groups}, weight of size {shape_str(ws)}, expected input"
                           f"{shape_str(x.shape)} to have {ws[1] * groups} channels, but got {C} channels instead")
    _check_bias(bias, ws[0], weight, False)
    padded = tuple(n + a + b for n, a, b in zip(size, lo, hi))
    eff = tuple(d * (kk - 1) + 1 for d, kk in zip(dilation, k))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size")
    out = tuple((p - e) // s + 1 for p, e, s in zip(padded, eff, stride))
    geo = Geometry(size, out, k, lo, stride, dilation, groups)
    y = Conv.apply(x, weight, bias, geo)
    return y.squeeze(0) if unbatched else y


def _conv_transposend(nd, name, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, unbatched = _batched(input, nd, name)
    _check_weight(weight, groups, nd, True)
    stride = ntuple(stride, nd, "stride")
    dilation = ntuple(dilation, nd, "dilation")
    padding = ntuple(padding, nd, "padding")
    output_padding = ntuple(output_padding, nd, "output_padding")
    _check_numbers(stride, dilation, padding)
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    _check_dtypes(x, weight, bias, name)
    ws = tuple(weight._data.shape)
    C = x._data.shape[1]
    if ws[0] != C:
        raise RuntimeError(f"Given transposed=1, weight of size {shape_str(ws)}, expected input{shape_str(x.shape)} "
                           f"to have {ws[0]} channels, but got {C} channels instead")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        dims = ("height", "width") if nd == 2 else ("depth", "height", "width")[-nd:] if nd == 3 else ("width",)
        parts = [f"output_padding_{n}: {v}" for n, v in zip(dims, output_padding)]
        parts += [f"stride_{n}: {v}" for n, v in zip(dims, stride)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(dims, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    _check_bias(bias, ws[1] * groups, weight, True)
    k = ws[2:]
    insize = tuple(x._data.shape[2:])
    size = tuple((n - 1) * s - 2 * p + d * (kk - 1) + op + 1
                 for n, s, p, d, kk, op in zip(insize, stride, padding, dilation, k, output_padding))
    if any(s <= 0 for s in size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, insize))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, size))}). Output size is too small")
    # The transposed conv is the adjoint of the conv from its output (size) to its input (insize).
    geo = Geometry(size, insize, k, padding, stride, dilation, groups)
    y = ConvT.apply(x, weight, bias, geo)
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation) of ``input`` (N, C, L) with ``weight`` (O, C/groups, k).

    ``padding`` may be an int, a tuple, ``'valid'`` or ``'same'``.

    >>> F.conv1d(chainrule.randn(2, 3, 10), chainrule.randn(4, 3, 3)).shape
    torch.Size([2, 4, 8])
    """
    return _convnd(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of ``input`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw).

    >>> F.conv2d(chainrule.randn(1, 3, 8, 8), chainrule.randn(6, 3, 3, 3), padding=1).shape
    torch.Size([1, 6, 8, 8])
    """
    return _convnd(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of ``input`` (N, C, D, H, W) with ``weight`` (O, C/groups, kd, kh, kw)."""
    return _convnd(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-d convolution ("deconvolution"); ``weight`` is (C_in, C_out/groups, k)."""
    return _conv_transposend(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution; ``weight`` is (C_in, C_out/groups, kh, kw).

    >>> F.conv_transpose2d(chainrule.randn(1, 4, 5, 5), chainrule.randn(4, 2, 3, 3), stride=2).shape
    torch.Size([1, 2, 11, 11])
    """
    return _conv_transposend(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-d convolution; ``weight`` is (C_in, C_out/groups, kd, kh, kw)."""
    return _conv_transposend(3, "conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


# -- unfold / fold -----------------------------------------------------------------------------------
class Im2Col(Function):
    _array_forward = True
    _node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo = geo
        N, C = x.shape[:2]
        return im2col(x, geo).reshape(N, C * math.prod(geo.k), math.prod(geo.out))

    @staticmethod
    def backward(ctx, g):
        return Col2Im.apply(g, ctx.geo), None


class Col2Im(Function):
    _array_forward = True
    _node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, geo):
        ctx.geo = geo
        N = cols.shape[0]
        K = math.prod(geo.k)
        return col2im(cols.reshape((N, cols.shape[1] // K) + geo.k + geo.out), geo)

    @staticmethod
    def backward(ctx, g):
        return Im2Col.apply(g, ctx.geo), None


def _fold_geometry(size, kernel_size, dilation, padding, stride):
    k = ntuple(kernel_size, 2, "kernel_size")
    d = ntuple(dilation, 2, "dilation")
    p = ntuple(padding, 2, "padding")
    s = ntuple(stride, 2, "stride")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} kernel_width: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} dilation_width: {d[1]}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    out = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip(size, p, d, k, s))
    return Geometry(size, out, k, p, s, d), (k, d, p, s)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks (im2col): (N, C, H, W) -> (N, C * kh * kw, L).

    >>> F.unfold(chainrule.randn(1, 2, 4, 4), 2).shape
    torch.Size([1, 8, 9])
    """
    check_tensor(input, "unfold")
    x = input
    unbatched = x._data.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    elif x._data.ndim != 4:
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {x._data.ndim}D)")
    geo, _ = _fold_geometry(tuple(x._data.shape[2:]), kernel_size, dilation, padding, stride)
    if any(o < 1 for o in geo.out):
        raise RuntimeError(f"Given input with spatial size ({', '.join(map(str, geo.size))}), kernel_size="
                           f"({', '.join(map(str, geo.k))}), dilation=({', '.join(map(str, geo.dilation))}), padding="
                           f"({', '.join(map(str, geo.lo))}), calculated shape of the array of sliding blocks as "
                           f"({', '.join(map(str, geo.out))}), but its components must be at least one.")
    y = Im2Col.apply(x, geo)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into a tensor (col2im), summing overlaps: the adjoint of ``unfold``.

    >>> F.fold(chainrule.randn(1, 8, 9), (4, 4), 2).shape
    torch.Size([1, 2, 4, 4])
    """
    check_tensor(input, "fold")
    x = input
    unbatched = x._data.ndim == 2
    if unbatched:
        x = x.unsqueeze(0)
    elif x._data.ndim != 3:
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {x._data.ndim}D)")
    size = ntuple(output_size, 2, "output_size")
    geo, (k, d, p, s) = _fold_geometry(size, kernel_size, dilation, padding, stride)
    K = math.prod(k)
    CK, L = x._data.shape[1:]
    if CK % K:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={CK} and kernel_size=({k[0]}, {k[1]}).")
    if L != math.prod(geo.out):
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, "
                           f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {geo.out[0]} * {geo.out[1]} = "
                           f"{math.prod(geo.out)}, but got input.size(2)={L}.")
    y = Col2Im.apply(x, geo)
    return y.squeeze(0) if unbatched else y
