"""batch_norm, layer_norm, group_norm (one fused primitive), rms_norm, normalize, instance_norm.

The three ``native`` norms share one primitive: normalise over some axes (after an optional
reshape into groups), then scale and shift. Fused for speed and for the stable, well-known
gradient ``invstd * (g - mean(g) - xhat * mean(g * xhat))``. With ``create_graph`` the
backward recomputes the statistics with chainrule ops so higher orders are exact.
"""
from __future__ import annotations

import math

import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ...autograd.function import Function
from ._utils import check_tensor, const, grad_mode, shape_str

_make = Tensor._make

__all__ = ["batch_norm", "layer_norm", "group_norm", "rms_norm", "normalize", "instance_norm",
           "local_response_norm"]


class _Spec:
    """How to normalise: reshape to ``gshape`` (or not), reduce ``axes``; ``fixed`` = use given stats."""

    __slots__ = ("gshape", "axes", "eps", "fixed", "mean", "invstd", "centered")

    def __init__(self, gshape, axes, eps, fixed, mean, invstd, centered=None):
        self.gshape, self.axes, self.eps, self.fixed = gshape, axes, eps, fixed
        self.mean, self.invstd = mean, invstd
        self.centered = centered  # x - mean, already computed for the statistics (forward scales it in place)


def _mean(x, axes):
    nd = x.ndim
    if axes == tuple(range(nd - len(axes), nd)) and x.flags.c_contiguous and x.size:
        # trailing axes: a matrix-vector product is several times faster than ufunc.reduce on short rows
        k = math.prod([x.shape[a] for a in axes])
        m = x.reshape(-1, k) @ np.full(k, 1.0 / k, dtype=x.dtype)
        return m.reshape(x.shape[:nd - len(axes)] + (1,) * len(axes))
    return x.mean(axis=axes, keepdims=True)


def _stats(xg, axes, eps, keep_centered=False):
    mean = _mean(xg, axes)
    d = xg - mean
    var = _mean(d * d, axes)
    invstd = 1.0 / np.sqrt(var + eps)
    return (mean, var, invstd, d) if keep_centered else (mean, var, invstd)


def _sum_to(a, shape):
    """Sum ``a`` down to ``shape`` (the engine would, one node later; trailing-axis layouts use a GEMV)."""
    if a.shape == shape:
        return a
    lead = a.ndim - len(shape)
    if a.flags.c_contiguous and shape == a.shape[lead:]:
        rows = a.reshape(-1, math.prod(shape))
        return (np.ones(rows.shape[0], dtype=a.dtype) @ rows).reshape(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
    return a.sum(axis=axes).reshape(shape)


class NativeNorm(Function):
    _array_forward = True
    _node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, spec):
        ctx.spec = spec
        ctx.has_w = w is not None
        ctx.shapes = (None if w is None else w.shape, None if b is None else b.shape)
        if spec.centered is not None:
            xhat = spec.centered
            spec.centered = None
            xhat *= spec.invstd
        else:
            xg = x.reshape(spec.gshape) if spec.gshape is not None else x
            xhat = (xg - spec.mean) * spec.invstd
        xhat = xhat.reshape(x.shape)
        ctx.xhat = xhat
        out = xhat * w if w is not None else xhat.copy()
        if b is not None:
            out += b
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        spec = ctx.spec
        need = ctx.needs_input_grad
        axes = spec.axes
        gs = spec.gshape
        if not grad_mode():
            return _backward_arrays(ctx, g, None if w is None else w._data, need)
        if grad_mode():  # create_graph: statistics as functions of x, so the rule differentiates again
            xg = x.reshape(gs) if gs is not None else x
            if spec.fixed:
                invstd = const(spec.invstd)
                xhat_g = (xg - const(spec.mean)) * invstd
            else:
                d = xg - xg.mean(axes, keepdim=True)
                invstd = ((d * d).mean(axes, keepdim=True) + spec.eps) ** -0.5
                xhat_g = d * invstd
            xhat = xhat_g.reshape(x.shape) if gs is not None else xhat_g
        else:
            invstd = const(spec.invstd)
            xhat = const(ctx.xhat)
            xhat_g = xhat.reshape(gs) if gs is not None else xhat
        gx = gw = gb = None
        if need[0]:
            gxh = g * w if w is not None else g
            gxh = gxh.reshape(gs) if gs is not None else gxh
            if spec.fixed:
                gx = gxh * invstd
            else:
                gx = invstd * (gxh - gxh.mean(axes, keepdim=True) - xhat_g * (gxh * xhat_g).mean(axes, keepdim=True))
            if gs is not None:
                gx = gx.reshape(x.shape)
        if need[1]:
            gw = g * xhat
        if need[2]:
            gb = g
        return gx, gw, gb, None


def _backward_arrays(ctx, gt, w, need):
    """The same rule on arrays, when no graph is being built."""
    g = gt._data
    spec = ctx.spec
    axes, gs = spec.axes, spec.gshape
    xhat = ctx.xhat
    gx = gw = gb = None
    gxhat = g * xhat if need[1] or (need[0] and not spec.fixed) else None
    if need[0]:
        gxh = g * w if w is not None else g.copy()
        if gs is not None:
            gxh = gxh.reshape(gs)
        if spec.fixed:
            gxh *= spec.invstd
            gx = gxh
        else:
            xh = xhat.reshape(gs) if gs is not None else xhat
            if w is not None and gs is None and w.shape == g.shape[g.ndim - w.ndim:] and g.flags.c_contiguous:
                # layer norm: the two means are GEMVs with w, on g and on g * xhat (needed for gw anyway)
                k = w.size
                wv = w.reshape(k) * (1.0 / k)
                lead = g.shape[:g.ndim - w.ndim] + (1,) * w.ndim
                m1 = (g.reshape(-1, k) @ wv).reshape(lead)
                m2 = (gxhat.reshape(-1, k) @ wv).reshape(lead)
            else:
                m1 = _mean(gxh, axes)
                m2 = _mean(gxh * xh, axes)
            m2 = m2 * spec.invstd
            t = xh * m2
            t += m1 * spec.invstd
            gxh *= spec.invstd
            gxh -= t
            gx = gxh
        gx = _make(gx.reshape(g.shape))
    if need[1]:
        gw = _make(_sum_to(gxhat, ctx.shapes[0]))
    if need[2]:
        gb = gt if g.shape == ctx.shapes[1] else _make(_sum_to(g, ctx.shapes[1]))
    return gx, gw, gb, None


class NativeLayerNorm(NativeNorm):
    _node_name = "NativeLayerNormBackward0"


class NativeGroupNorm(NativeNorm):
    _node_name = "NativeGroupNormBackward0"


def _check_float(x, kernel):
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{x.type()[6:-6]}'")


def _check_param_dtype(x, params):
    for p in params:
        if p is not None and p._data.dtype != x._data.dtype:
            raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of {x.type()[6:-6]}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and spatial dims, then scale and shift.

    In training the batch statistics are used and ``running_mean``/``running_var`` are updated in
    place: ``running = (1 - momentum) * running + momentum * batch_stat`` (the variance unbiased).
    In evaluation the running statistics are used.

    >>> x = chainrule.randn(8, 3, 4, 4)
    >>> F.batch_norm(x, None, None, training=True).mean((0, 2, 3)).abs().max() < 1e-6
    tensor(True)
    """
    check_tensor(input, "batch_norm")
    if input._data.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    C = input._data.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t._data.size != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t._data.size}")
    _check_float(input, "batch_norm")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be defined in "
                           "evaluation mode")
    _check_param_dtype(input, (weight, bias))
    x = input._data
    nd = x.ndim
    axes = (0,) + tuple(range(2, nd))
    bshape = (1, C) + (1,) * (nd - 2)
    if training:
        n = x.size // C if C else 0
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size({list(x.shape)})")
        mean, var, invstd = _stats(x, axes, eps)
        with _no_grad():
            if running_mean is not None:
                _update(running_mean, mean, momentum)
            if running_var is not None:
                _update(running_var, var * (n / (n - 1)), momentum)
        spec = _Spec(None, axes, eps, False, mean, invstd)
    else:
        mean = running_mean._data.reshape(bshape).astype(x.dtype, copy=False)
        invstd = (1.0 / np.sqrt(running_var._data.reshape(bshape) + eps)).astype(x.dtype, copy=False)
        spec = _Spec(None, axes, eps, True, mean, invstd)
    w = weight.reshape(bshape) if weight is not None else None
    b = bias.reshape(bshape) if bias is not None else None
    return NativeNorm.apply(input, w, b, spec)


def _no_grad():
    from ...autograd.grad_mode import no_grad
    return no_grad()


def _update(running, stat, momentum):
    r = running._data
    r *= 1 - momentum
    r += (momentum * stat.reshape(r.shape)).astype(r.dtype, copy=False)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift elementwise.

    >>> F.layer_norm(chainrule.randn(2, 5), (5,)).shape
    torch.Size([2, 5])
    """
    check_tensor(input, "layer_norm")
    ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    ns = tuple(int(s) for s in ns)
    xs = tuple(input._data.shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{shape_str(t.shape)} and normalized_shape = {shape_str(ns)}")
    k = len(ns)
    if k == 0 or len(xs) < k or xs[-k:] != ns:
        raise RuntimeError(f"Given normalized_shape={shape_str(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{shape_str(xs)}")
    _check_float(input, "LayerNormKernelImpl")
    _check_param_dtype(input, (weight, bias))
    axes = tuple(range(len(xs) - k, len(xs)))
    mean, _, invstd, centered = _stats(input._data, axes, eps, keep_centered=True)
    spec = _Spec(None, axes, eps, False, mean, invstd, centered)
    return NativeLayerNorm.apply(input, weight, bias, spec)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each of ``num_groups`` channel groups per sample, then scale and shift per channel.

    >>> F.group_norm(chainrule.randn(2, 4, 3), 2).shape
    torch.Size([2, 4, 3])
    """
    check_tensor(input, "group_norm")
    xs = tuple(input._data.shape)
    if len(xs) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {len(xs)}")
    N, C = xs[:2]
    if num_groups <= 0 or C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {shape_str(xs)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {shape_str(t.shape)} and input of shape {shape_str(xs)}")
    _check_float(input, "GroupNormKernelImpl")
    _check_param_dtype(input, (weight, bias))
    gshape = (N, num_groups, math.prod(xs[1:]) // num_groups if N * num_groups else 0)
    mean, _, invstd = _stats(input._data.reshape(gshape), (2,), eps)
    spec = _Spec(gshape, (2,), eps, False, mean, invstd)
    bshape = (C,) + (1,) * (len(xs) - 2)
    w = weight.reshape(bshape) if weight is not None else None
    b = bias.reshape(bshape) if bias is not None else None
    return NativeGroupNorm.apply(input, w, b, spec)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample over its spatial dims."""
    check_tensor(input, "instance_norm")
    xs = tuple(input._data.shape)
    N, C = xs[:2]
    if use_input_stats:
        y = group_norm(input, C, weight, bias, eps)
        if running_mean is not None or running_var is not None:
            x = input._data
            axes = tuple(range(2, x.ndim))
            n = math.prod(xs[2:])
            mean = x.mean(axis=axes).mean(0)
            var = (x.var(axis=axes) * (n / max(n - 1, 1))).mean(0)
            if running_mean is not None:
                _update(running_mean, mean, momentum)
            if running_var is not None:
                _update(running_var, var, momentum)
        return y
    return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``input / sqrt(mean(input ** 2 over normalized_shape) + eps) * weight``; ``eps`` defaults to the dtype's eps.

    >>> F.rms_norm(chainrule.randn(2, 5), (5,)).shape
    torch.Size([2, 5])
    """
    check_tensor(input, "rms_norm")
    ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    ns = tuple(int(s) for s in ns)
    xs = tuple(input._data.shape)
    k = len(ns)
    if k == 0 or len(xs) < k or xs[-k:] != ns:
        raise RuntimeError(f"Given normalized_shape={shape_str(ns)}, expected input with shape "
                           f"[*{', '.join(map(str, ns))}], but got input of size{shape_str(xs)}")
    if weight is not None and tuple(weight._data.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{shape_str(weight.shape)} and normalized_shape = {shape_str(ns)}")
    if eps is None:
        eps = float(_dtype.finfo(input.dtype).eps)
    dims = tuple(range(len(xs) - k, len(xs)))
    y = input * ((input * input).mean(dims, keepdim=True) + eps) ** -0.5
    return y * weight if weight is not None else y


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p over dim, eps)``.

    >>> F.normalize(chainrule.tensor([[3., 4.]]))
    tensor([[0.6000, 0.8000]])
    """
    check_tensor(input, "normalize")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    res = input / denom
    if out is not None:
        out._data[...] = res._data
        out._vc[0] += 1
        return out
    return res


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalise each element by the sum of squares of ``size`` neighbouring channels."""
    from .pooling import avg_pool2d
    from .vision import pad
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = (input * input).unsqueeze(1)
    if dim == 3:
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = div.reshape(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        from .pooling import avg_pool3d
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.reshape(sizes)
    div = (div * alpha + k) ** beta
    return input / div
