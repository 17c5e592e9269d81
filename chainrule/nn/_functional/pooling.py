"""Pooling over strided window views: max (with indices), average, adaptive average/max.

Max pooling's gradient scatters into the argmax positions and its second derivative gathers
from them (a linear pair); when the windows tile the input (kernel == stride, the usual case)
the argmax is kept as one bit mask per kernel tap instead of flat indices. Average pooling and
its gradient (col2im of the scaled gradient) are another linear pair. Adaptive average pooling
is a separable linear map: one small matrix per spatial axis.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import _state
from ._utils import check_tensor, ntuple, shape_str
from .conv import Geometry, _windows, col2im

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "lp_pool1d", "lp_pool2d"]


# -- gather / scatter at flat spatial positions --------------------------------------------------------
class ScatterFlat(Function):
    """Zeros of ``shape`` (N, C, *size) with g (N, C, *out) added at flat spatial ``idx``."""
    _array_forward = True
    _node_name = "MaxPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, g, idx, shape):
        ctx.idx = idx
        n = shape[0] * shape[1]
        S = math.prod(shape[2:])
        flat = (idx.reshape(n, -1) + (np.arange(n) * S)[:, None]).ravel()
        out = np.bincount(flat, weights=g.reshape(-1), minlength=n * S)
        return out.astype(g.dtype, copy=False).reshape(shape)

    @staticmethod
    def backward(ctx, gg):
        return GatherFlat.apply(gg, ctx.idx), None, None


class GatherFlat(Function):
    """x (N, C, *size) read at flat spatial ``idx`` (N, C, *out)."""
    _array_forward = True
    _node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx = idx
        ctx.shape = x.shape
        N, C = x.shape[:2]
        out = np.take_along_axis(x.reshape(N, C, -1), idx.reshape(N, C, -1), axis=2)
        return out.reshape(idx.shape)

    @staticmethod
    def backward(ctx, g):
        return ScatterFlat.apply(g, ctx.idx, ctx.shape), None


class MaxPool(Function):
    _array_forward = True
    _node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, geo):
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        win = _windows(x, geo, fill)
        nd = len(geo.k)
        taps = list(np.ndindex(*geo.k))
        # One pass per kernel tap for the max (nan propagates), then one per tap, last to first, to
        # find which tap holds it: ties go to the first tap. In a window with nans torch reports
        # its last nan, so those are found first to last.
        views = [win[(Ellipsis,) + tp] for tp in taps]
        out = views[0].copy()
        for v in views[1:]:
            np.maximum(out, v, out=out)
        arg = np.zeros(out.shape, dtype=np.int64)
        for t in range(len(taps) - 1, -1, -1):
            np.putmask(arg, views[t] == out, t)
        if x.dtype.kind == "f":
            nan = out != out
            if nan.any():
                for t, v in enumerate(views):
                    np.putmask(arg, v != v, t)
        # flat input index = (window start) + (tap offset), per spatial dim in row-major order
        strides = [math.prod(geo.size[i + 1:]) for i in range(nd)]
        starts = [(np.arange(geo.out[i]) * geo.stride[i] - geo.lo[i]) for i in range(nd)]
        base = np.zeros(geo.out, dtype=np.int64)
        for i in range(nd):
            base = base + (starts[i] * strides[i]).reshape((-1,) + (1,) * (nd - 1 - i))
        offset = np.array([sum(tp[i] * geo.dilation[i] * strides[i] for i in range(nd)) for tp in taps],
                          dtype=np.int64)
        flat = base + offset[arg]
        padded = any(geo.lo) or any((o - 1) * s + d * (k - 1) + 1 > n for o, s, d, k, n in
                                    zip(geo.out, geo.stride, geo.dilation, geo.k, geo.size))
        if padded and (out == fill).any():
            flat = _fix_padding_picks(flat, arg, taps, starts, geo)
        ctx.idx = flat
        ctx.shape = x.shape
        ctx.mark_non_differentiable(flat)
        return out, flat

    @staticmethod
    def backward(ctx, g, _gi):
        return ScatterFlat.apply(g, ctx.idx, ctx.shape), None


def _fix_padding_picks(flat, arg, taps, starts, geo):
    """Windows whose real elements all equal the padding value (-inf) picked a padding tap;
    point them at the window's first real element instead, as torch does."""
    nd = len(taps[0])
    tap_coords = np.array(taps, dtype=np.int64)
    bad = np.zeros(arg.shape, dtype=bool)
    pos = []
    for i in range(nd):
        st = starts[i].reshape((-1,) + (1,) * (nd - 1 - i))
        p = st + tap_coords[arg, i] * geo.dilation[i]
        bad |= (p < 0) | (p >= geo.size[i])
        pos.append((st, p))
    if not bad.any():
        return flat
    fixed = np.zeros(arg.shape, dtype=np.int64)
    for i in range(nd):
        st, p = pos[i]
        first = st + np.maximum(-(st // geo.dilation[i]), 0) * geo.dilation[i]
        fixed = fixed * geo.size[i] + np.where(bad, first, p)
    return fixed


class MaxPool3D(MaxPool):
    _node_name = "MaxPool3DWithIndicesBackward0"


# -- max pooling over tiling windows -------------------------------------------------------------------
# The common case, kernel == stride with no padding or dilation: the windows tile the input, so a
# reshape to (N, C, o1, k1, o2, k2, ...) gives each kernel tap as a strided view of the input. No
# padding, no flat indices; the backward writes each tap's share of the gradient straight into its
# slots of the result. A window's gradient goes to one element: its first maximum in row-major
# order, or, in a window with nans, its last nan (torch's rule). That choice is kept as one
# bit mask per tap, all ones or all zeros in each element, and applied by AND-ing the gradient's
# bits: exact for every value (inf, nan, -0.0 included) and branch-free, where np.where on a
# mask this random is some 20x slower.
def _tiles(geo):
    """Whether the windows tile the input (its floor-mode remainder, if any, is never read)."""
    return (geo.k == geo.stride and not any(geo.lo) and all(d == 1 for d in geo.dilation)
            and all(o * k <= n for o, k, n in zip(geo.out, geo.k, geo.size)))


def _tap_views(a, geo):
    """One strided view of ``a`` (N, C, *size) per kernel tap (row-major), each shaped (N, C, *out)."""
    crop = a[(slice(None), slice(None)) + tuple(slice(0, o * k) for o, k in zip(geo.out, geo.k))]
    split = crop.reshape(a.shape[:2] + tuple(v for o, k in zip(geo.out, geo.k) for v in (o, k)))
    return [split[i] for i in _tap_indices(geo.k)]


@functools.lru_cache(maxsize=32)
def _tap_indices(k):
    """Indices into the (N, C, o1, k1, o2, k2, ...) split that pick each tap, row-major."""
    return [(slice(None), slice(None)) + tuple(v for t in tap for v in (slice(None), t)) for tap in np.ndindex(*k)]


def _bits(a):
    """``a`` seen as same-width integers, for bitwise selection."""
    return a.view(f"i{a.itemsize}")


def _first_max_masks(views, out):
    """Per tap, -1 (all ones) where that tap is the one a window's gradient goes to, else 0.

    One byte each: NumPy widens them to the gradient's width as it ANDs.
    """
    masks = np.empty((len(views),) + out.shape, dtype=np.int8)
    seen = None
    for t, v in enumerate(views):
        hit = v == out
        if seen is None:
            first = seen = hit
        else:
            first = hit > seen  # a hit in a window with no earlier one
            seen |= hit
        np.negative(first.view(np.int8), out=masks[t])
    nan = out != out
    if nan.any():  # nan == nan is false, so those windows have no hit yet: give them their last nan
        seen = ~nan
        for t in range(len(views) - 1, -1, -1):
            v = views[t]
            last = (v != v) > seen
            seen |= last
            masks[t] |= np.negative(last.view(np.int8))
    return masks


class MaxPoolTiled(Function):
    _array_forward = True
    _node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, geo, need_grad):
        views = _tap_views(x, geo)
        out = _fold(np.maximum, views)  # nan propagates
        if need_grad:
            ctx.masks, ctx.geo, ctx.shape = _first_max_masks(views, out), geo, x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        return TiledScatter.apply(g, ctx.masks, ctx.geo, ctx.shape), None, None


class MaxPool3DTiled(MaxPoolTiled):
    _node_name = "MaxPool3DWithIndicesBackward0"


class TiledScatter(Function):
    """g (N, C, *out) placed at each window's chosen tap of a zero (N, C, *size)."""
    _array_forward = True
    _node_name = "MaxPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, g, masks, geo, shape):
        ctx.masks, ctx.geo = masks, geo
        tiled = all(o * k == n for o, k, n in zip(geo.out, geo.k, geo.size))
        res = (np.empty if tiled else np.zeros)(shape, dtype=g.dtype)  # every tiled slot is written below
        gb = _bits(g + 0)  # torch adds g into zeros, which turns -0.0 into +0.0; so does this
        for m, slot in zip(masks, _tap_views(_bits(res), geo)):
            np.bitwise_and(gb, m, out=slot)
        return res

    @staticmethod
    def backward(ctx, gg):
        return TiledGather.apply(gg, ctx.masks, ctx.geo), None, None, None


class TiledGather(Function):
    """x (N, C, *size) read at each window's chosen tap: (N, C, *out)."""
    _array_forward = True
    _node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, masks, geo):
        ctx.masks, ctx.geo, ctx.shape = masks, geo, x.shape
        out = np.zeros(masks.shape[1:], dtype=f"i{x.itemsize}")
        for m, v in zip(masks, _tap_views(_bits(x), geo)):
            out |= v & m  # exactly one tap per window is selected
        return out.view(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return TiledScatter.apply(g, ctx.masks, ctx.geo, ctx.shape), None, None


def _fold(ufunc, taps):
    """``ufunc`` reduced over a window's taps (arrays of one shape), into a fresh array."""
    taps = iter(taps)
    out = next(taps).copy()
    for v in taps:
        ufunc(out, v, out=out)
    return out


def _window_sum(x, geo):
    win = _windows(x, geo)
    return _fold(np.add, (win[(Ellipsis,) + tap] for tap in np.ndindex(*geo.k)))


class AvgPool(Function):
    _array_forward = True
    _node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geo, div):
        ctx.geo, ctx.div = geo, div
        s = _window_sum(x, geo)
        if x.dtype.kind != "f":
            return (s / div).astype(x.dtype)
        s /= div.astype(x.dtype) if isinstance(div, np.ndarray) else div
        return s

    @staticmethod
    def backward(ctx, g):
        return AvgPoolT.apply(g, ctx.geo, ctx.div), None, None


class AvgPoolT(Function):
    _array_forward = True
    _node_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, geo, div):
        ctx.geo, ctx.div = geo, div
        nd = len(geo.k)
        gd = g / (div.astype(g.dtype) if isinstance(div, np.ndarray) else div)
        cols = np.broadcast_to(gd.reshape(gd.shape[:2] + (1,) * nd + gd.shape[2:]), gd.shape[:2] + geo.k + gd.shape[2:])
        return col2im(cols, geo)

    @staticmethod
    def backward(ctx, gg):
        return AvgPool.apply(gg, ctx.geo, ctx.div), None, None


class AvgPool3D(AvgPool):
    _node_name = "AvgPool3DBackward0"


# -- argument handling ---------------------------------------------------------------------------------
def _pool_args(name, nd, kernel_size, stride, padding, dilation):
    try:
        k = ntuple(kernel_size, nd, "kernel_size")
        s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else ntuple(stride, nd, "stride")
        p = ntuple(padding, nd, "padding")
        d = ntuple(dilation, nd, "dilation")
    except RuntimeError:
        raise RuntimeError(f"{name}: kernel_size must either be a single int, or a tuple of {_words(nd)} ints") from None
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError("kernel_size should be greater than zero, but got " +
                           " ".join(f"k{a}: {v}" for a, v in zip("DHW"[-nd:], k)))
    if any(v < 0 for v in s):
        raise RuntimeError("stride should be greater than zero, but got " +
                           " ".join(f"d{a}: {v}" for a, v in zip("DHW"[-nd:], s)))
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got " +
                           " ".join(f"dilation{a}: {v}" for a, v in zip("DHW"[-nd:], d)))
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    return k, s, p, d


def _words(n):
    return {1: "one", 2: "two", 3: "three"}[n]


def _out_size(n, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _geometry(x, nd, k, s, p, d, ceil_mode):
    size = tuple(x._data.shape[2:])
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    out = tuple(_out_size(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(size, k, s, p, d))
    if any(o < 1 for o in out):
        C = x._data.shape[1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (C,) + size))}). Calculated output size: "
                           f"({'x'.join(map(str, (C,) + out))}). Output size is too small")
    return Geometry(size, out, k, p, s, d)


def _batched(input, nd, name):
    check_tensor(input, name)
    n = input._data.ndim
    if n == nd + 1:
        return input.unsqueeze(0), True
    if n != nd + 2 or any(v == 0 for v in input._data.shape[1:]):
        if name.startswith("max_pool1d"):
            raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
                               f"for input, but got:{shape_str(input.shape)}")
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    return input, False


def _max_poolnd(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched = _batched(input, nd, name)
    k, s, p, d = _pool_args(name, nd, kernel_size, stride, padding, dilation)
    geo = _geometry(x, nd, k, s, p, d, ceil_mode)
    if not return_indices and x._data.dtype.kind == "f" and _tiles(geo):
        # the tap masks are for backward (or a forward-mode tangent): skip them when neither can come
        need_grad = x._requires_grad and _state.grad_enabled or x._fw is not None
        out = (MaxPool3DTiled if nd == 3 else MaxPoolTiled).apply(x, geo, need_grad)
        return out.squeeze(0) if unbatched else out
    out, idx = (MaxPool3D if nd == 3 else MaxPool).apply(x, geo)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of (N, C, L); ``return_indices`` also gives the argmax positions."""
    check_tensor(input, "max_pool1d")
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{shape_str(input.shape)}")
    k, s, p, d = _pool_args("max_pool1d", 1, kernel_size, stride, padding, dilation)
    r = max_pool2d(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p, (1,) + d, ceil_mode, return_indices)
    if not return_indices:
        return r.squeeze(-2)
    return r[0].squeeze(-2), r[1].squeeze(-2)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of (N, C, H, W), padded with -inf.

    >>> F.max_pool2d(chainrule.randn(1, 1, 4, 4), 2).shape
    torch.Size([1, 1, 2, 2])
    """
    return _max_poolnd(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of (N, C, D, H, W)."""
    return _max_poolnd(3, "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_divisor(geo, count_include_pad, divisor_override, dtype):
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return float(divisor_override)
    nd = len(geo.k)
    div = None
    for i in range(nd):
        n, k, s, p = geo.size[i], geo.k[i], geo.stride[i], geo.lo[i]
        start = np.arange(geo.out[i]) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        c = (end - start).reshape((-1,) + (1,) * (nd - 1 - i))
        div = c if div is None else div * c
    if np.all(div == div.flat[0]):
        return float(div.flat[0])
    return div.astype(dtype)


def _avg_poolnd(nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x, unbatched = _batched(input, nd, name)
    k, s, p, d = _pool_args(name, nd, kernel_size, stride, padding, 1)
    geo = _geometry(x, nd, k, s, p, d, ceil_mode)
    div = _avg_divisor(geo, count_include_pad, divisor_override,
                       x._data.dtype if x._data.dtype.kind == "f" else np.float64)
    out = (AvgPool3D if nd == 3 else AvgPool).apply(x, geo, div)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over sliding windows of (N, C, L)."""
    check_tensor(input, "avg_pool1d")
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {shape_str(input.shape)}")
    k, s, p, _ = _pool_args("avg_pool1d", 1, kernel_size, stride, padding, 1)
    return avg_pool2d(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p, ceil_mode,
                      count_include_pad).squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over sliding windows of (N, C, H, W).

    ``count_include_pad`` counts the zero padding in the divisor; ``divisor_override`` replaces it.

    >>> F.avg_pool2d(chainrule.ones(1, 1, 4, 4), 2)
    tensor([[[[1., 1.],
              [1., 1.]]]])
    """
    return _avg_poolnd(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over sliding windows of (N, C, D, H, W)."""
    return _avg_poolnd(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over window of x ** p) ** (1 / p)``."""
    kh, kw = ntuple(kernel_size, 2)
    return (avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode) * (kh * kw)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over window of x ** p) ** (1 / p)`` over (N, C, L)."""
    k = ntuple(kernel_size, 1)[0]
    return (avg_pool1d(input.pow(norm_type), k, stride, 0, ceil_mode) * k).pow(1.0 / norm_type)


# -- adaptive pooling ----------------------------------------------------------------------------------
def _adaptive_bounds(n, o):
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


class Separable(Function):
    """Apply one matrix along each of the last len(mats) axes: a separable linear map."""
    _array_forward = True
    _node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, mats):
        ctx.mats = mats
        return apply_separable(x, mats)

    @staticmethod
    def backward(ctx, g):
        return SeparableT.apply(g, ctx.mats), None


class SeparableT(Function):
    _array_forward = True
    _node_name = "AdaptiveAvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, mats):
        ctx.mats = mats
        return apply_separable(g, tuple(None if m is None else m.T for m in mats))

    @staticmethod
    def backward(ctx, gg):
        return Separable.apply(gg, ctx.mats), None


def apply_separable(x, mats):
    nd = len(mats)
    out = x
    for i, m in enumerate(mats):
        if m is None:
            continue
        ax = x.ndim - nd + i
        m = m.astype(x.dtype, copy=False)
        if ax == x.ndim - 1:
            out = np.matmul(out, m.T)
        else:
            out = np.moveaxis(np.matmul(m, np.moveaxis(out, ax, -2)), -2, ax)
    return np.ascontiguousarray(out)


def _output_size(output_size, size, nd, name):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    out = tuple(n if o is None else int(o) for o, n in zip(output_size, size))
    return out


def _adaptive_input(input, nd, name):
    check_tensor(input, name)
    n = input._data.ndim
    if n == nd + 1:
        return input.unsqueeze(0), True
    if n != nd + 2:
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {shape_str(input.shape)}")
    return input, False


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size: window i spans [floor(i*n/o), ceil((i+1)*n/o)).

    >>> F.adaptive_avg_pool2d(chainrule.randn(1, 3, 7, 7), 1).shape
    torch.Size([1, 3, 1, 1])
    """
    x, unbatched = _adaptive_input(input, 2, "adaptive_avg_pool2d")
    size = tuple(x._data.shape[2:])
    out = _output_size(output_size, size, 2, "adaptive_avg_pool2d")
    if out == (1, 1):
        y = x.mean((-1, -2), keepdim=True)
    else:
        mats = []
        for n, o in zip(size, out):
            lo, hi = _adaptive_bounds(n, o)
            j = np.arange(n)
            m = ((j >= lo[:, None]) & (j < hi[:, None])) / (hi - lo)[:, None].astype(np.float64)
            mats.append(None if n == o else m)
        y = Separable.apply(x, tuple(mats))
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) to a fixed length."""
    check_tensor(input, "adaptive_avg_pool1d")
    if input._data.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {shape_str(input.shape)}")
    o = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


class AdaptiveMaxPool(Function):
    _array_forward = True
    _node_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out):
        N, C = x.shape[:2]
        size = x.shape[2:]
        bounds = [_adaptive_bounds(n, o) for n, o in zip(size, out)]
        res = np.empty((N, C) + out, dtype=x.dtype)
        idx = np.empty((N, C) + out, dtype=np.int64)
        for cell in np.ndindex(*out):
            sl = tuple(slice(b[0][c], b[1][c]) for b, c in zip(bounds, cell))
            block = x[(slice(None), slice(None)) + sl]
            bs = block.shape[2:]
            flat = block.reshape(N, C, -1)
            a = np.argmax(flat, axis=-1)
            res[(slice(None), slice(None)) + cell] = np.take_along_axis(flat, a[..., None], -1)[..., 0]
            loc = np.unravel_index(a, bs)
            f = np.zeros_like(a)
            for i in range(len(out)):
                f = f * size[i] + loc[i] + sl[i].start
            idx[(slice(None), slice(None)) + cell] = f
        ctx.idx, ctx.shape = idx, x.shape
        ctx.mark_non_differentiable(idx)
        return res, idx

    @staticmethod
    def backward(ctx, g, _gi):
        return ScatterFlat.apply(g, ctx.idx, ctx.shape), None


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (windows as in ``adaptive_avg_pool2d``)."""
    x, unbatched = _adaptive_input(input, 2, "adaptive_max_pool2d")
    out = _output_size(output_size, tuple(x._data.shape[2:]), 2, "adaptive_max_pool2d")
    y, idx = AdaptiveMaxPool.apply(x, out)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) to a fixed length."""
    check_tensor(input, "adaptive_max_pool1d")
    o = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    y, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), True)
    y, idx = y.squeeze(-2), idx.squeeze(-2)
    return (y, idx) if return_indices else y
