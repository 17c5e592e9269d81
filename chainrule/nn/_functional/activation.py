"""Activation functions.

Most are one primitive each (as in PyTorch, and for speed: one NumPy pass forward, and a
constant mask or a short chainrule expression backward, so higher orders work). Exact
compositions (softsign, tanhshrink, glu, softmin) are written with other ops.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops
from ..._tensor import Tensor
from ...autograd.function import Function
from ...ops.pointwise import _inplace
from ._erf import normal_cdf
from ._utils import check_tensor, const, grad_mode

__all__ = ["relu", "relu_", "relu6", "gelu", "silu", "tanh", "sigmoid", "softmax", "log_softmax", "softmin",
           "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu", "celu_", "softplus", "mish",
           "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "logsigmoid", "softsign", "tanhshrink",
           "threshold", "threshold_", "glu", "prelu", "rrelu", "rrelu_", "softshrink", "hardshrink",
           "gumbel_softmax"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_make = Tensor._make


def _mask(x, cond):
    """A constant 0/1 Tensor in x's dtype: the derivative of a piecewise-linear function."""
    return const(cond.astype(x._data.dtype))


def _float_only(input, kernel):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.type()[6:-6]}'")


def _run(fn, input, inplace, *args):
    if inplace:
        return _inplace(fn)(input, *args)
    return fn(input, *args)


# -- piecewise-linear ------------------------------------------------------------------------------
class Threshold(Function):
    _array_forward = True
    _node_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, th, value):
        ctx.th = th
        ctx.save_for_backward(x)
        return np.where(x > th, x, np.asarray(value, dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _mask(x, x._data > ctx.th), None, None


class Hardtanh(Function):
    _array_forward = True
    _node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        ctx.save_for_backward(x)
        return np.clip(x, np.asarray(lo, dtype=x.dtype), np.asarray(hi, dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        d = x._data
        return g * _mask(x, (d > ctx.lo) & (d < ctx.hi)), None, None


class LeakyRelu(Function):
    _array_forward = True
    _node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        ctx.save_for_backward(x)
        return np.where(x > 0, x, x * np.asarray(slope, dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * const(np.where(x._data > 0, 1, ctx.slope).astype(x._data.dtype)), None


class Hardsigmoid(Function):
    _array_forward = True
    _node_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        d = x._data
        # torch's kernel multiplies by 1/6 rounded to float32, in every dtype; so do we.
        return g * const(((d > -3) & (d < 3)).astype(d.dtype) * d.dtype.type(_ONE_SIXTH_F32))


class Hardswish(Function):
    _array_forward = True
    _node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.clip(x + 3, 0, 6) / np.asarray(6, x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        d = x._data
        mid = _mask(x, (d >= -3) & (d <= 3))
        return g * (mid * (x / 3 + 0.5) + _mask(x, d > 3))


class Softshrink(Function):
    _array_forward = True
    _node_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        ctx.save_for_backward(x)
        lam = np.asarray(lambd, x.dtype)
        return np.where(x > lam, x - lam, np.where(x < -lam, x + lam, np.zeros((), x.dtype)))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _mask(x, np.abs(x._data) > ctx.lambd), None


class Hardshrink(Function):
    _array_forward = True
    _node_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        ctx.save_for_backward(x)
        return np.where(np.abs(x) > lambd, x, np.zeros((), x.dtype))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _mask(x, np.abs(x._data) > ctx.lambd), None


class Prelu(Function):
    _array_forward = True
    _node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return np.where(x > 0, x, w * x)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        pos = x._data > 0
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = g * (_mask(x, pos) + _mask(x, ~pos) * w)
        if ctx.needs_input_grad[1]:
            gw = g * x * _mask(x, ~pos)
        return gx, gw


# -- smooth ------------------------------------------------------------------------------------------
class Elu(Function):
    """scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1)): elu, selu and celu."""
    _array_forward = True
    _node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        ctx.p = (alpha, scale, input_scale)
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            neg = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
        return np.where(x > 0, x * scale, neg).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        alpha, scale, s_in = ctx.p
        pos = x._data > 0
        neg = (ops.minimum(x, const(np.zeros((), x._data.dtype))) * s_in).exp() * (alpha * scale * s_in)
        d = _mask(x, pos) * scale + _mask(x, ~pos) * neg
        return g * d, None, None, None


class Celu(Elu):
    _node_name = "CeluBackward0"


class Softplus(Function):
    _array_forward = True
    _node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.p = (beta, threshold)
        ctx.save_for_backward(x)
        z = x * beta
        with np.errstate(over="ignore"):
            soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        return np.where(z > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        beta, th = ctx.p
        big = x._data * beta > th
        return g * (_mask(x, big) + _mask(x, ~big) * ops.sigmoid(x * beta)), None, None


def _log1pexp_neg_abs(z):
    return np.log1p(np.exp(-np.abs(z)))


class LogSigmoid(Function):
    _array_forward = True
    _node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (np.minimum(x, 0) - _log1pexp_neg_abs(x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * ops.sigmoid(-x)


class Silu(Function):
    _array_forward = True
    _node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return x / (1 + np.exp(-x))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        s = ops.sigmoid(x)
        return g * (s * (1 + x * (1 - s)))


class Mish(Function):
    _array_forward = True
    _node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        sp = np.maximum(x, 0) + _log1pexp_neg_abs(x)
        return (x * np.tanh(sp)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        t = Softplus.apply(x, 1.0, 20.0).tanh()
        return g * (t + x * ops.sigmoid(x) * (1 - t * t))


class Gelu(Function):
    """x Phi(x), or its tanh approximation. Forward keeps what backward needs (the derivative
    Phi(x) + x phi(x), or the tanh), so backward without a graph is one or a few multiplications;
    with create_graph it is rebuilt from x with differentiable ops."""
    _array_forward = True
    _node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        dt = x.dtype
        xw = x if dt in (np.float32, np.float64) else x.astype(np.float32)  # half computes in float32
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (xw + 0.044715 * xw * xw * xw))
            out = 1 + t
            out *= xw
            out *= 0.5
            ctx.save_for_backward(x, t)
        else:
            # In the two fresh arrays normal_cdf returns (a new array of this size costs its page faults):
            # the derivative Phi(x) + x phi(x) for backward, when a node may be recorded, then x Phi(x).
            cdf, dens = normal_cdf(xw)
            d = None
            if grad_mode():
                d = np.multiply(xw, dens, out=dens)
                d *= _INV_SQRT_2PI
                d += cdf
            out = np.multiply(cdf, xw, out=cdf)
            ctx.save_for_backward(x, d)
        return out if out.dtype == dt else out.astype(dt)

    @staticmethod
    def backward(ctx, g):
        x, *kept = ctx.saved_tensors
        if grad_mode():
            if ctx.approximate == "tanh":
                t = ((x + 0.044715 * x * x * x) * _SQRT_2_OVER_PI).tanh()
                d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            else:
                d = 0.5 * (1 + ops.erf(x * _INV_SQRT_2)) + x * (x * x * -0.5).exp() * _INV_SQRT_2PI
            return g * d, None
        xd = x._data
        if ctx.approximate == "tanh":
            t = kept[0]._data
            d = 1 - t * t
            d *= xd
            d *= 1 + (3 * 0.044715) * xd * xd
            d *= 0.5 * _SQRT_2_OVER_PI
            d += 0.5 * (1 + t)
        else:
            d = kept[0]._data
        if d.dtype != xd.dtype:
            d = d.astype(xd.dtype)
        return _make(np.asarray(g._data * d)), None


class Glu(Function):
    _array_forward = True
    _node_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        ctx.save_for_backward(x)
        a, b = np.split(x, 2, axis=dim)
        with np.errstate(over="ignore"):
            return a / (1 + np.exp(-b))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        a, b = x.chunk(2, ctx.dim)
        s = ops.sigmoid(b)
        gs = g * s
        return ops.cat([gs, gs * a * (1 - s)], ctx.dim), None


# -- public functions --------------------------------------------------------------------------------
def relu(input, inplace=False):
    """max(x, 0), elementwise.

    >>> F.relu(chainrule.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    check_tensor(input, "relu")
    return _run(ops.relu, input, inplace)


def relu_(input):
    """In-place ``relu``."""
    return relu(input, inplace=True)


def threshold(input, threshold, value, inplace=False):
    """``x if x > threshold else value``."""
    check_tensor(input, "threshold")
    return _run(lambda x: Threshold.apply(x, threshold, value), input, inplace)


_threshold = threshold


def threshold_(input, threshold, value):
    """In-place ``threshold``."""
    return _threshold(input, threshold, value, inplace=True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to [min_val, max_val]; the gradient passes strictly inside."""
    check_tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(lambda x: Hardtanh.apply(x, min_val, max_val), input, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x if x > 0 else negative_slope * x``."""
    check_tensor(input, "leaky_relu")
    _float_only(input, "leaky_relu_cpu")
    return _run(lambda x: LeakyRelu.apply(x, negative_slope), input, inplace)


def leaky_relu_(input, negative_slope=0.01):
    """In-place ``leaky_relu``."""
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    check_tensor(input, "elu")
    _float_only(input, "elu_cpu")
    return _run(lambda x: Elu.apply(x, alpha, 1.0, 1.0), input, inplace)


def elu_(input, alpha=1.0):
    """In-place ``elu``."""
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    check_tensor(input, "selu")
    _float_only(input, "elu_cpu")
    return _run(lambda x: Elu.apply(x, _SELU_ALPHA, _SELU_SCALE, 1.0), input, inplace)


def selu_(input):
    """In-place ``selu``."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    check_tensor(input, "celu")
    _float_only(input, "elu_cpu")
    return _run(lambda x: Celu.apply(x, alpha, 1.0, 1.0 / alpha), input, inplace)


def celu_(input, alpha=1.0):
    """In-place ``celu``."""
    return celu(input, alpha, inplace=True)


def gelu(input, approximate="none"):
    """``x * Phi(x)`` (Phi the standard normal CDF); ``approximate='tanh'`` uses the tanh formula.

    >>> F.gelu(chainrule.tensor([0., 1.]))
    tensor([0.0000, 0.8413])
    """
    check_tensor(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _float_only(input, "GeluKernelImpl")
    return Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (swish)."""
    check_tensor(input, "silu")
    _float_only(input, "silu_cpu")
    return _run(Silu.apply, input, inplace)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    check_tensor(input, "mish")
    _float_only(input, "mish_cpu")
    return _run(Mish.apply, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` where ``beta * x > threshold``."""
    check_tensor(input, "softplus")
    _float_only(input, "softplus_cpu")
    return Softplus.apply(input, beta, threshold)


def hardsigmoid(input, inplace=False):
    """``clamp(x / 6 + 1 / 2, 0, 1)``."""
    check_tensor(input, "hardsigmoid")
    _float_only(input, "hardsigmoid_cpu")
    return _run(Hardsigmoid.apply, input, inplace)


def hardswish(input, inplace=False):
    """``x * hardsigmoid(x)``."""
    check_tensor(input, "hardswish")
    _float_only(input, "hardswish_cpu")
    return _run(Hardswish.apply, input, inplace)


def logsigmoid(input):
    """``log(sigmoid(x))``, computed without overflow."""
    check_tensor(input, "logsigmoid")
    _float_only(input, "log_sigmoid_cpu")
    return LogSigmoid.apply(input)


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    check_tensor(input, "softshrink")
    _float_only(input, "softshrink_check")
    if lambd < 0:
        top = float(np.finfo(input._data.dtype).max)
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {input.type()[6:-6]}, but found "
                           f"{lambd:g}")
    return Softshrink.apply(input, lambd)


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    check_tensor(input, "hardshrink")
    _float_only(input, "hardshrink_cpu")
    return Hardshrink.apply(input, lambd)


def tanh(input):
    """Elementwise hyperbolic tangent."""
    return ops.tanh(input)


def sigmoid(input):
    """Elementwise ``1 / (1 + exp(-x))``."""
    return ops.sigmoid(input)


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - input.tanh()


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``.

    >>> F.softmax(chainrule.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    check_tensor(input, "softmax")
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return ops.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)`` along ``dim``."""
    check_tensor(input, "softmin")
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return ops.softmax(-input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(x))`` along ``dim``, computed stably."""
    check_tensor(input, "log_softmax")
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return ops.log_softmax(input, dim, dtype=dtype)


def glu(input, dim=-1):
    """Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``; ``a * sigmoid(b)``."""
    check_tensor(input, "glu")
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.dim() if dim < 0 else dim
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    return Glu.apply(input, d)


def prelu(input, weight):
    """``x if x > 0 else weight * x``, ``weight`` one value or one per channel (dim 1).

    >>> F.prelu(chainrule.tensor([-2., 3.]), chainrule.tensor([0.25]))
    tensor([-0.5000,  3.0000])
    """
    check_tensor(input, "prelu")
    check_tensor(weight, "prelu", "weight", 2)
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    n = weight.numel()
    nd = input.dim()
    if n != 1:
        if nd == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        ch = input.shape[1] if nd >= 2 else 1
        if n != ch:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} "
                               f"and channel size = {ch}.")
        w = weight.reshape((n,) + (1,) * (nd - 2))
    else:
        w = weight.reshape(()) if nd == 0 else weight.reshape((1,) * max(nd - 1, 1))
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.type()[6:-6]} and "
                           f"{weight.type()[6:-6]}")
    return Prelu.apply(input, w)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: slope drawn from U(lower, upper) in training, their mean in evaluation."""
    check_tensor(input, "rrelu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    _float_only(input, "rrelu_with_noise_cpu")
    slope = ops.empty_like(input).uniform_(lower, upper)
    pos = _mask(input, input._data > 0)

    def fn(x):
        return x * (pos + (1 - pos) * slope)
    return _run(fn, input, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place ``rrelu``."""
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution; ``hard`` gives one-hot samples with soft gradients."""
    gumbels = -ops.empty_like(logits).exponential_().log()
    y = ops.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    y_hard = ops.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y.detach() + y

