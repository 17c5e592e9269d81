"""Resampling and rearranging images: pad, interpolate (nearest, linear, cubic, area), pixel_shuffle.

Every interpolation mode is separable: one small (out, in) matrix per spatial axis, applied
by the linear primitive ``Separable`` (its gradient applies the transposes).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ...ops.shape import pad as _pad
from ._utils import check_tensor
from .pooling import Separable, SeparableT, adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle"]


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``: ``pad`` lists (before, after) widths from the last dim backwards.

    Modes ``'constant'`` (with ``value``), ``'reflect'``, ``'replicate'``, ``'circular'``.

    >>> F.pad(chainrule.ones(1, 2), (1, 1))
    tensor([[0., 1., 1., 0.]])
    """
    return _pad(input, pad, mode, value)


_NAMES = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact", "linear": "UpsampleLinear",
          "bilinear": "UpsampleBilinear", "trilinear": "UpsampleTrilinear", "bicubic": "UpsampleBicubic"}
_CLASSES = {}


def _separable_class(mode, nd):
    key = (mode, nd)
    cls = _CLASSES.get(key)
    if cls is None:
        name = f"{_NAMES[mode]}{nd}D"
        back = type(name + "BackwardBackward", (SeparableT,), {"_node_name": name + "BackwardBackward0"})
        cls = type(name, (Separable,), {"_node_name": name + "Backward0"})

        def fwd_backward(ctx, g, back=back):
            return back.apply(g, ctx.mats), None

        def back_backward(ctx, gg, cls=None):
            return _CLASSES[key].apply(gg, ctx.mats), None
        cls.backward = staticmethod(fwd_backward)
        back.backward = staticmethod(back_backward)
        _CLASSES[key] = cls
    return cls


def _nearest_matrix(n_in, n_out, scale, exact):
    s = np.float32(n_in / n_out if scale is None else 1.0 / scale)
    dst = np.arange(n_out, dtype=np.float32)
    if exact:
        dst = dst + np.float32(0.5)
    src = np.minimum(np.floor(dst * s).astype(np.int64), n_in - 1)
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), src] = 1.0
    return m


def _source_coords(n_in, n_out, scale, align_corners, dtype, cubic):
    dst = np.arange(n_out, dtype=dtype)
    if align_corners:
        s = dtype.type((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        return dst * s
    s = dtype.type(n_in / n_out if scale is None or scale <= 0 else 1.0 / scale)
    src = (dst + dtype.type(0.5)) * s - dtype.type(0.5)
    return src if cubic else np.maximum(src, dtype.type(0))


def _linear_matrix(n_in, n_out, scale, align_corners, dtype):
    src = _source_coords(n_in, n_out, scale, align_corners, dtype, False)
    i0 = np.floor(src).astype(np.int64)
    i0 = np.minimum(i0, n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = (src - i0).astype(np.float64)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(m, (rows, i0), 1 - lam)
    np.add.at(m, (rows, i1), lam)
    return m


def _cubic_weights(t, a=-0.75):
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def _cubic_matrix(n_in, n_out, scale, align_corners, dtype):
    src = _source_coords(n_in, n_out, scale, align_corners, dtype, True)
    i0 = np.floor(src).astype(np.int64)
    lam = (src - i0).astype(np.float64)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    for k, t in zip(range(-1, 3), (lam + 1, lam, 1 - lam, 2 - lam)):
        np.add.at(m, (rows, np.clip(i0 + k, 0, n_in - 1)), _cubic_weights(t))
    return m


_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_NEEDS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dims of (N, C, *spatial) to ``size`` or by ``scale_factor``.

    Modes: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-d input), ``'bilinear'`` and
    ``'bicubic'`` (4-d), ``'trilinear'`` (5-d), ``'area'`` (adaptive average pooling).

    >>> F.interpolate(chainrule.ones(1, 1, 2, 2), scale_factor=2).shape
    torch.Size([1, 1, 4, 4])
    """
    check_tensor(input, "interpolate")
    nd = input.dim() - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if mode not in _MODES or nd not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode in _NEEDS and _NEEDS[mode] != nd:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_NEEDS[mode] + 2}D input")
    if antialias:
        raise NotImplementedError("antialias=True is not supported")
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(spatial)} and output size of {size}. Please provide "
                                 "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 "format.")
            out = tuple(int(s) for s in size)
        else:
            out = (int(size),) * nd
        scales = (None,) * nd
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(spatial)} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            sf = tuple(float(s) for s in scale_factor)
        else:
            sf = (float(scale_factor),) * nd
        out = tuple(int(math.floor(float(n) * s)) for n, s in zip(spatial, sf))
        scales = (None,) * nd if recompute_scale_factor else sf
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(o <= 0 for o in out) or any(n <= 0 for n in spatial):
        names = "DHW"[3 - nd:]
        ins = ", ".join(f"{c}: {n}" for c, n in zip(names, spatial))
        outs = ", ".join(f"{c}: {n}" for c, n in zip(names, out))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({ins}) output ({outs})")
    if mode == "area":
        if nd == 1:
            return adaptive_avg_pool1d(input, out)
        if nd == 2:
            return adaptive_avg_pool2d(input, out)
        raise NotImplementedError("area interpolation of 5-d inputs is not supported")
    dtype = input._data.dtype if input.is_floating_point() else np.dtype(np.float32)
    mats = []
    for n_in, n_out, s in zip(spatial, out, scales):
        if mode in ("nearest", "nearest-exact"):
            mats.append(_nearest_matrix(n_in, n_out, s, mode == "nearest-exact"))
        elif mode == "bicubic":
            mats.append(_cubic_matrix(n_in, n_out, s, align_corners, dtype))
        else:
            mats.append(_linear_matrix(n_in, n_out, s, align_corners, dtype))
    mats = tuple(m.astype(dtype) for m in mats)
    return _separable_class(mode, nd).apply(input, mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r).

    >>> F.pixel_shuffle(chainrule.randn(1, 8, 2, 3), 2).shape
    torch.Size([1, 2, 4, 6])
    """
    check_tensor(input, "pixel_shuffle")
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W): the inverse of ``pixel_shuffle``."""
    check_tensor(input, "pixel_unshuffle")
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """Split the channels (dim 1) into ``groups`` and interleave them."""
    check_tensor(input, "channel_shuffle")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)
