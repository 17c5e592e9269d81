"""Pointwise ops: arithmetic, powers, exponentials, trigonometry, activations, logic.

Forward computes on arrays; backward is written with chainrule ops, so every rule is
itself differentiable. Broadcasting is undone by the engine, not here.

In-place variants (``x.exp_()``) compute out of place and hand the result to
``Tensor._apply_inplace``; ``_commit`` also keeps what the new node saved consistent with
the memory it overwrites (see there). Rounding ops live in rounding.py; where, clamp,
maximum and minimum in selection.py.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _cap
from ..autograd import function as _function
from ..autograd.function import BackwardCFunction, Function, _ndarray
from ..autograd.grad_mode import _state
from ._common import _to, promote

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "neg",
           "negative", "pow", "clone", "abs", "absolute", "exp", "exp2", "expm1", "log", "log2", "log10",
           "log1p", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan",
           "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sigmoid", "relu", "relu_", "erf", "atan2",
           "arctan2", "lerp", "addcmul", "addcdiv",
           "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isposinf",
           "isneginf", "isclose", "allclose", "equal"]


def _float_input(x):
    """Integer and bool inputs of floating ops compute in the default dtype, as in PyTorch."""
    if x._data.dtype.kind != "f":
        return _cast(x, _dtype.get_default_dtype())
    return x


def _check_tensor(x, name, arg="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_cap(dt)}\'')


def _cast_to(x, dt):
    """A tensor or Python number converted to dtype ``dt`` (a recorded cast for tensors)."""
    return _to(x, dt) if x is not None else None


# -- broadcasting errors ------------------------------------------------------------------------
def _broadcast_error(shapes):
    """PyTorch's RuntimeError for shapes that do not broadcast, or None if they do."""
    out = ()
    for s in shapes:
        n = max(len(out), len(s))
        a = (1,) * (n - len(out)) + tuple(out)
        b = (1,) * (n - len(s)) + tuple(s)
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) "
                                    f"at non-singleton dimension {i}")
        out = tuple(x if y == 1 else y for x, y in zip(a, b))
    return None


def _broadcasts(fn):
    """Turn NumPy's broadcasting ValueError into PyTorch's RuntimeError (no cost when shapes fit)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValueError:
            shapes = [a._data.shape for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
            err = _broadcast_error(shapes)
            if err is None:
                raise
            raise err from None
    return wrapper


_make = Tensor._make


# A Python float operand costs NumPy some 1.7k instructions per call more than a 0-d array
# of the other operand's dtype (scalar discovery and a cast), for bitwise the same result:
# NumPy casts the float to that dtype either way (NEP 50 weak scalars; floats float32
# cannot hold are left alone, for NumPy's own warnings). The hot scalar ops keep the last
# float they saw as ``(float, dtype, 0-d array)`` in a one-item list (one tuple, so that
# threads read it whole) and check it inline: the float object and dtype of last time cost
# two ``is`` tests. Other floats go through ``_float_operand``, which keeps the arrays of
# recent values per dtype.
_F64, _F32 = np.dtype(np.float64), np.dtype(np.float32)
_F32_MAX = float(np.finfo(np.float32).max)
_f64_operands, _f32_operands = {}, {}
_NO_OPERAND = (None, None, None)
_mul_operand, _add_operand, _one_operand = [_NO_OPERAND], [_NO_OPERAND], [_NO_OPERAND]


def _float_operand(memo, v, dt):
    """The Python float ``v`` as a read-only 0-d array of dtype ``dt`` (``v`` itself unless
    ``dt`` is float32 or float64), remembered in ``memo`` for the next call."""
    if dt is _F64:
        cache = _f64_operands
    elif dt is _F32 and -_F32_MAX <= v <= _F32_MAX:  # (no cast that overflows, nor nan: NumPy warns)
        cache = _f32_operands
    else:
        return v
    if not v:
        return v  # 0.0 and -0.0 are one dict key
    arr = cache.get(v)
    if arr is None:
        if len(cache) >= 64:
            cache.clear()
        arr = cache[v] = np.array(v, dt)
        arr.flags.writeable = False
    memo[0] = (v, dt, arr)
    return arr


# -- casts and copies ---------------------------------------------------------------------
class ToCopy(Function):
    _array_forward = True
    _node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dt):
        ctx.src = _dtype.from_numpy_dtype(x.dtype)
        return x.astype(dt.np)

    @staticmethod
    def backward(ctx, g):
        return (g.to(ctx.src) if ctx.src.is_floating_point else None), None


def _cast(x, dt):
    return ToCopy.apply(x, dt)


class Clone(Function):
    _array_forward = True
    _node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy of ``input`` that stays in the graph: ``y = x.clone()``."""
    _check_tensor(input, "clone")
    return Clone.apply(input)


# -- arithmetic -----------------------------------------------------------------------------
class Add(Function):
    """``a + alpha * b``; alpha is a keyword so that it is not an input (no edge to record)."""
    _array_forward = True
    _node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, *, alpha=1):
        ctx.alpha = alpha
        if alpha != 1:
            return a + alpha * b
        if type(b) is float:
            v, dt, arr = _add_operand[0]
            b = arr if b is v and a.dtype is dt else _float_operand(_add_operand, b, a.dtype)
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)


class Sub(Function):
    _array_forward = True
    _node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, *, alpha=1):
        ctx.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * -ctx.alpha)


class RSub(Function):
    """scalar - tensor."""
    _array_forward = True
    _node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, s):
        return s - a

    @staticmethod
    def backward(ctx, g):
        return -g, None


class Mul(Function):
    _array_forward = True
    _node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if isinstance(b, _ndarray):
            ctx._to_save = (a, b)  # save_for_backward, inline: this runs once per product
            ctx.scalar = None
        else:
            # Nothing to save, but the node must count as holding saved values, so that
            # backward frees them and a second backward raises (as PyTorch's does):
            # an empty saved tuple, set here so that recording has nothing to map.
            ctx._saved = ()
            ctx.scalar = b
            if type(b) is float:
                v, dt, arr = _mul_operand[0]
                b = arr if b is v and a.dtype is dt else _float_operand(_mul_operand, b, a.dtype)
        return a * b

    @staticmethod
    def backward(ctx, g):
        if not _state.grad_enabled:
            return Mul._nograd_backward(ctx, g)
        if ctx.scalar is not None:
            if ctx._saved is None:  # freed by a backward without retain_graph (forward set ())
                raise RuntimeError(_function._FREED)
            return g * ctx.scalar, None
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        ga = g * b if needs[0] else None
        gb = g * a if needs[1] else None
        return ga, gb

    @staticmethod
    def _nograd_backward(ctx, g):
        """No graph to build: the same products on arrays."""
        s = ctx.scalar
        if s is not None:
            if ctx._saved is None:  # freed by a backward without retain_graph (forward set ())
                raise RuntimeError(_function._FREED)
            g = g._data
            if type(s) is float:
                v, dt, arr = _mul_operand[0]
                s = arr if s is v and g.dtype is dt else _float_operand(_mul_operand, s, g.dtype)
            return _make(g * s), None
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (_make(g._data * b._data) if needs[0] else None), (_make(g._data * a._data) if needs[1] else None)


class Div(Function):
    _array_forward = True
    _node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if isinstance(b, _ndarray):
            ctx.save_for_backward(a, b)
            ctx.scalar = None
        else:
            ctx.save_for_backward(None)
            ctx.scalar = b
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b

    @staticmethod
    def backward(ctx, g):
        if ctx.scalar is not None:
            _ = ctx.saved_tensors  # raises if freed
            return g / ctx.scalar, None
        a, b = ctx.saved_tensors
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class RDiv(Function):
    """scalar / tensor."""
    _array_forward = True
    _node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, s, b):
        ctx.save_for_backward(b)
        ctx.scalar = s
        with np.errstate(divide="ignore", invalid="ignore"):
            return s / b

    @staticmethod
    def backward(ctx, g):
        b, = ctx.saved_tensors
        return None, -g * ctx.scalar / (b * b)


class Neg(Function):
    _array_forward = True
    _node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class PowScalar(Function):
    """tensor ** number."""
    _array_forward = True
    _node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        if p == 2:
            return x * x
        with np.errstate(divide="ignore", invalid="ignore"):
            return x ** p

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return g * 0, None
        if p == 2:
            return g * (2.0 * x), None
        return g * (p * x ** (p - 1)), None


class PowTensor(Function):
    """tensor ** tensor."""
    _array_forward = True
    _node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(a ** b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g * b * a ** (b - 1)
            ga = where(b == 0, 0.0, ga)
        if ctx.needs_input_grad[1]:
            gb = g * out * where(a == 0, 0.0, a).log()
            gb = where((a == 0) & (b >= 0), 0.0, gb)
        return ga, gb


class RPow(Function):
    """number ** tensor."""
    _array_forward = True
    _node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, s, b):
        out = np.asarray(np.power(s, b))
        ctx.save_for_backward(out)
        ctx.scalar = s
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return None, g * out * float(np.log(ctx.scalar)) if ctx.scalar != 0 else g * 0


def _check_binary(input, other, name):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


@_broadcasts
def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other``, with broadcasting and PyTorch's type promotion.

    >>> chainrule.add(chainrule.tensor([1, 2]), 0.5)
    tensor([1.5000, 2.5000])
    """
    _check_binary(input, other, "add")
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    return _out(Add.apply(a, b, alpha=alpha) if alpha != 1 else Add.apply(a, b), out)


@_broadcasts
def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other``."""
    _check_binary(input, other, "sub")
    _check_bool_sub(input, other)
    if input.__class__ is not Tensor and not isinstance(input, Tensor):
        a, b = promote(input, other)
        return _out(RSub.apply(b * alpha if alpha != 1 else b, a), out)
    if input._data.dtype.kind == "b" and (isinstance(other, bool) or (isinstance(other, Tensor) and other.dtype is _dtype.bool)):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    a, b = promote(input, other)
    return _out(Sub.apply(a, b, alpha=alpha) if alpha != 1 else Sub.apply(a, b), out)


subtract = sub


def _check_bool_sub(input, other):
    ib = isinstance(input, bool) or (isinstance(input, Tensor) and input._data.dtype.kind == "b")
    ob = isinstance(other, bool) or (isinstance(other, Tensor) and other._data.dtype.kind == "b")
    if ib and ob:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if ib or ob:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``."""
    return sub(other, input, alpha=alpha) if alpha == 1 or isinstance(other, Tensor) else sub(other, input * alpha)


@_broadcasts
def mul(input, other, *, out=None) -> Tensor:
    """Elementwise product with broadcasting."""
    _check_binary(input, other, "mul")
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    return _out(Mul.apply(a, b), out)


multiply = mul


@_broadcasts
def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """True division (integers give floats); ``rounding_mode`` 'trunc' or 'floor' rounds.

    >>> chainrule.div(chainrule.tensor([-7, 7]), 2, rounding_mode='trunc')
    tensor([-3,  3])
    """
    _check_binary(input, other, "div")
    if rounding_mode is not None:
        from .rounding import _rounded_div
        return _out(_rounded_div(input, other, rounding_mode), out)
    # True division computes in floating point: an int scalar must not first wrap to the
    # int tensor's dtype (uint8 / -3 divides by -3, as in PyTorch).
    if isinstance(input, Tensor) and input._data.dtype.kind in "biu" and type(other) is int:
        other = float(other)
    elif isinstance(other, Tensor) and other._data.dtype.kind in "biu" and type(input) is int:
        input = float(input)
    a, b = promote(input, other)
    fa = isinstance(a, Tensor)
    dt = (a if fa else b).dtype
    if not dt.is_floating_point:
        d = _dtype.get_default_dtype()
        a = _cast(a, d) if fa else float(a)
        b = _cast(b, d) if isinstance(b, Tensor) else float(b)
    if fa:
        return _out(Div.apply(a, b), out)
    return _out(RDiv.apply(a, b), out)


divide = true_divide = div


def neg(input: Tensor, *, out=None) -> Tensor:
    """``-input``."""
    _check_tensor(input, "neg")
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return _out(Neg.apply(input), out)


negative = neg


@_broadcasts
def pow(input, exponent, *, out=None) -> Tensor:  # noqa: A001
    """``input ** exponent`` for tensor or number base and exponent."""
    _check_bool_pow(input, exponent)
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor) and input._data.dtype.kind == "b" \
            and isinstance(exponent, bool):
        return _out(Tensor._make(np.asarray(input._data | (not exponent))), out)  # x ** True is x; ** False is 1
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        if isinstance(exponent, (int, np.integer)) and not isinstance(exponent, bool) and input._data.dtype.kind in "iu" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        a, e = promote(input, exponent)
        if input._data.dtype.kind == "f" and isinstance(exponent, (int, float)):
            e = exponent
        return _out(PowScalar.apply(a, e), out)
    if isinstance(input, Tensor):
        a, b = promote(input, exponent)
        return _out(PowTensor.apply(a, b), out)
    if not isinstance(exponent, Tensor):
        raise TypeError("pow(): expected a Tensor argument")
    s, b = promote(input, exponent)
    return _out(RPow.apply(s, b), out)


def _check_bool_pow(input, exponent):
    ib = isinstance(input, bool) or (isinstance(input, Tensor) and input._data.dtype.kind == "b")
    eb = isinstance(exponent, bool) or (isinstance(exponent, Tensor) and exponent._data.dtype.kind == "b")
    if ib and eb and isinstance(exponent, Tensor):  # bool ** bool tensor (bool tensor ** True is allowed)
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    if isinstance(input, Tensor) and input._data.dtype.kind in "biu" and not isinstance(exponent, (Tensor, bool)) \
            and isinstance(exponent, (int, np.integer)) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def square(input: Tensor, *, out=None) -> Tensor:
    """``input * input`` (PyTorch records it as ``pow(input, 2)``; bool gives int64)."""
    _check_tensor(input, "square")
    return pow(input, 2, out=out)


def _out(result, out):
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if _state.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one of the arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out


# -- one-input float functions -------------------------------------------------------------------
def _unary_function(node, forward, rule, saves, array_rule=None):
    """A one-input Function; ``rule(g, s)`` gets the saved input or output ``s`` as a Tensor.

    ``array_rule(g, s)``, given for the hottest ops, is the same formula on arrays: used when
    backward is not itself recorded (grad mode off; the engine calls it directly as
    ``_nograd_backward`` without ``create_graph``), it saves the Tensor ops the
    differentiable ``rule`` would run. The op tests check both (first order against torch
    without a graph, second order through ``rule``).
    """
    def fwd(ctx, x):
        out = forward(x)
        if type(out) is not _ndarray:
            out = np.asarray(out)  # ufuncs give NumPy scalars for 0-dim input
        ctx._to_save = (out,) if saves == "output" else (x,)  # save_for_backward, inline
        return out

    def bwd(ctx, g):
        s, = ctx.saved_tensors
        return rule(g, s)

    ns = {"_array_forward": True, "_node_name": node, "forward": staticmethod(fwd), "backward": staticmethod(bwd)}
    if array_rule is not None:
        def nograd(ctx, g):
            return _make(array_rule(g._data, ctx._saved_array()))

        def bwd_either(ctx, g):
            return bwd(ctx, g) if _state.grad_enabled else nograd(ctx, g)
        ns["backward"], ns["_nograd_backward"] = staticmethod(bwd_either), staticmethod(nograd)
    return type(node[:node.index("Backward")], (Function,), ns)


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _sigmoid_array(x):
    # 1 / (1 + e^-x) is accurate at both ends; e^-x overflowing to inf gives the right 0.
    return 1 / (1 + np.exp(-x))


_erf_impl = []


def _erf_array(x):
    """erf through scipy when installed (the fast path), else the NumPy series below."""
    if not _erf_impl:
        try:
            from scipy.special import erf as f
        except ImportError:
            f = _erf_numpy
        _erf_impl.append(f)
    return np.asarray(_erf_impl[0](x), dtype=x.dtype)


def _erf_numpy(x):
    """erf to float64 accuracy with NumPy only.

    |x| < 2.5: erf(x) = 2/sqrt(pi) e^{-x^2} sum_n x (2x^2)^n / (1*3*...*(2n+1)), all terms positive.
    |x| >= 2.5: erfc by its continued fraction x e^{-x^2}/sqrt(pi) / (x^2 + 1/2 / (1 + 1 / (x^2 + 3/2 / (1 + ...)))),
    evaluated from the tail; erf = 1 - erfc. Beyond |x| = 6, erf is +-1 in float64.
    """
    x64 = np.asarray(x, dtype=np.float64)
    ax = np.abs(x64)
    out = np.empty_like(x64)
    small = ax < 2.5
    xs = x64[small]
    if xs.size:
        x2 = xs * xs
        term = xs.copy()
        total = xs.copy()
        for n in range(1, 80):
            term = term * (2.0 * x2) / (2 * n + 1)
            total += term
        out[small] = _TWO_OVER_SQRT_PI * np.exp(-x2) * total
    big = ~small
    xb = ax[big]
    if xb.size:
        # erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        with np.errstate(all="ignore"):
            frac = np.zeros_like(xb)
            for k in range(60, 0, -1):
                frac = (k / 2.0) / (xb + frac)
            erfc = np.exp(-xb * xb) / math.sqrt(math.pi) / (xb + frac)
        out[big] = np.sign(x64[big]) * (1.0 - erfc)
    nan = np.isnan(x64)
    if nan.any():
        out[nan] = np.nan
    return out


def _one(dt):
    """1 as an operand for arrays of dtype ``dt``: see ``_float_operand``."""
    v, d, arr = _one_operand[0]
    return arr if d is dt else _float_operand(_one_operand, 1.0, dt)


def _relu_array(x):
    return np.maximum(x, 0)


def _relu_grad_array(g, out):
    """g where out > 0 or is nan, else 0 (torch zeroes the gradient where out <= 0).

    ``out`` is relu's output, so ``out != 0`` is that mask; multiplying g's bits (as unsigned
    integers) by it keeps or clears each element exactly, nan and -0.0 included, without the
    branch per element that np.where on a mask this random mispredicts (some 20x slower).
    """
    width = f"u{g.itemsize}"
    return (g.view(width) * (out != 0)).view(g.dtype)


Exp = _unary_function("ExpBackward0", np.exp, lambda g, out: g * out, "output", np.multiply)
Exp2 = _unary_function("Exp2Backward0", np.exp2, lambda g, out: g * out * _LN2, "output")
Expm1 = _unary_function("Expm1Backward0", np.expm1, lambda g, out: g * (out + 1), "output")
Log = _unary_function("LogBackward0", np.log, lambda g, x: g / x, "input")
Log2 = _unary_function("Log2Backward0", np.log2, lambda g, x: g / (x * _LN2), "input")
Log10 = _unary_function("Log10Backward0", np.log10, lambda g, x: g / (x * _LN10), "input")
Log1p = _unary_function("Log1PBackward0", np.log1p, lambda g, x: g / (x + 1), "input")
Sqrt = _unary_function("SqrtBackward0", np.sqrt, lambda g, out: g / (2 * out), "output")
Rsqrt = _unary_function("RsqrtBackward0", lambda x: 1 / np.sqrt(x), lambda g, out: -0.5 * g * (out * out * out), "output")
Reciprocal = _unary_function("ReciprocalBackward0", lambda x: 1 / x, lambda g, out: -g * (out * out), "output")
Sin = _unary_function("SinBackward0", np.sin, lambda g, x: g * x.cos(), "input")
Cos = _unary_function("CosBackward0", np.cos, lambda g, x: -g * x.sin(), "input")
Tan = _unary_function("TanBackward0", np.tan, lambda g, out: g * (1 + out * out), "output")
Asin = _unary_function("AsinBackward0", np.arcsin, lambda g, x: g * (1 - x * x).rsqrt(), "input")
Acos = _unary_function("AcosBackward0", np.arccos, lambda g, x: -g * (1 - x * x).rsqrt(), "input")
Atan = _unary_function("AtanBackward0", np.arctan, lambda g, x: g / (x * x + 1), "input")
Sinh = _unary_function("SinhBackward0", np.sinh, lambda g, x: g * x.cosh(), "input")
Cosh = _unary_function("CoshBackward0", np.cosh, lambda g, x: g * x.sinh(), "input")
Tanh = _unary_function("TanhBackward0", np.tanh, lambda g, out: g * (1 - out * out), "output",
                       lambda g, out: g * (_one(out.dtype) - out * out))
Sigmoid = _unary_function("SigmoidBackward0", _sigmoid_array, lambda g, out: g * out * (1 - out), "output",
                          lambda g, out: g * out * (_one(out.dtype) - out))
Erf = _unary_function("ErfBackward0", _erf_array, lambda g, x: g * _TWO_OVER_SQRT_PI * (-(x * x)).exp(), "input")
# relu'(0) = 0 and abs'(0) = 0, as in PyTorch.
Relu = _unary_function("ReluBackward0", _relu_array, lambda g, out: where(out <= 0, 0.0, g), "output",
                       _relu_grad_array)
Abs = _unary_function("AbsBackward0", np.abs, lambda g, x: g * x.sign(), "input")


def _float_unary(name, cls, doc):
    apply = cls.apply

    def op(input, *, out=None):
        if out is None and type(input) is Tensor and input._data.dtype.kind == "f":
            return apply(input)  # the common case, without the checks below
        _check_tensor(input, name)
        return _out(cls.apply(_float_input(input)), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc + "\n\nInteger and bool inputs give the default float dtype."
    op.__annotations__ = {"input": "Tensor", "return": "Tensor"}
    return op


exp = _float_unary("exp", Exp, "Elementwise e ** x.\n\n>>> chainrule.exp(chainrule.tensor([0.]))\ntensor([1.])")
exp2 = _float_unary("exp2", Exp2, "Elementwise 2 ** x.")
expm1 = _float_unary("expm1", Expm1, "Elementwise e ** x - 1, accurate for small x.")
log = _float_unary("log", Log, "Natural logarithm (-inf at 0, nan below).")
log2 = _float_unary("log2", Log2, "Base-2 logarithm.")
log10 = _float_unary("log10", Log10, "Base-10 logarithm.")
log1p = _float_unary("log1p", Log1p, "log(1 + x), accurate for small x.")
sqrt = _float_unary("sqrt", Sqrt, "Square root; its gradient at 0 is inf, as in PyTorch.")
rsqrt = _float_unary("rsqrt", Rsqrt, "1 / sqrt(x).")
reciprocal = _float_unary("reciprocal", Reciprocal, "1 / x.")
sin = _float_unary("sin", Sin, "Sine.")
cos = _float_unary("cos", Cos, "Cosine.")
tan = _float_unary("tan", Tan, "Tangent.")
asin = arcsin = _float_unary("asin", Asin, "Inverse sine (nan outside [-1, 1]).")
acos = arccos = _float_unary("acos", Acos, "Inverse cosine (nan outside [-1, 1]).")
atan = arctan = _float_unary("atan", Atan, "Inverse tangent.")
sinh = _float_unary("sinh", Sinh, "Hyperbolic sine.")
cosh = _float_unary("cosh", Cosh, "Hyperbolic cosine.")
tanh = _float_unary("tanh", Tanh, "Hyperbolic tangent.")
sigmoid = _float_unary("sigmoid", Sigmoid, "The logistic function 1 / (1 + e ** -x).")
erf = _float_unary("erf", Erf, "The error function.")


def abs(input: Tensor, *, out=None) -> Tensor:  # noqa: A001
    """Absolute value; integer dtypes are kept. The gradient at 0 is 0.

    >>> chainrule.abs(chainrule.tensor([-1, 2]))
    tensor([1, 2])
    """
    _check_tensor(input, "abs")
    if input._data.dtype.kind == "b":
        raise _not_implemented("abs_cpu", input.dtype)
    return _out(Abs.apply(input), out)


absolute = abs


def relu(input: Tensor) -> Tensor:
    """max(x, 0); integer dtypes are kept. The gradient at 0 is 0."""
    _check_tensor(input, "relu")
    if input._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


# -- two- and three-input float functions ------------------------------------------------------
class Atan2(Function):
    _array_forward = True
    _node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r = g / (a * a + b * b)
        return (r * b if ctx.needs_input_grad[0] else None), (-r * a if ctx.needs_input_grad[1] else None)


@_broadcasts
def atan2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The angle of the point (other, input): ``atan2(y, x)``, in (-pi, pi]."""
    _check_tensor(input, "atan2")
    _check_tensor(other, "atan2", "other", 2)
    a, b = promote(input, other)
    if not a.dtype.is_floating_point:
        d = _dtype.get_default_dtype()
        a, b = _cast(a, d), _cast(b, d)
    return _out(Atan2.apply(a, b), out)


arctan2 = atan2


class LerpScalar(Function):
    _array_forward = True
    _node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, start, end, w):
        ctx.w = w
        # Two forms, so that weight 0 gives start and weight 1 gives end exactly.
        if w < 0.5:
            return start + w * (end - start)
        return end - (end - start) * (1 - w)

    @staticmethod
    def backward(ctx, g):
        w = ctx.w
        return (g * (1 - w) if ctx.needs_input_grad[0] else None), (g * w if ctx.needs_input_grad[1] else None), None


class LerpTensor(Function):
    _array_forward = True
    _node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, start, end, w):
        ctx.save_for_backward(start, end, w)
        d = end - start
        return np.where(np.abs(w) < 0.5, start + w * d, end - d * (1 - w))

    @staticmethod
    def backward(ctx, g):
        start, end, w = ctx.saved_tensors
        n = ctx.needs_input_grad
        return ((g * (1 - w)) if n[0] else None, (g * w) if n[1] else None,
                (g * (end - start)) if n[2] else None)


def _scalar_type_name(d):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}[d.name]


@_broadcasts
def lerp(input: Tensor, end: Tensor, weight, *, out=None) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``; weight a number or a tensor.

    >>> chainrule.lerp(chainrule.tensor([0., 10.]), chainrule.tensor([10., 20.]), 0.5)
    tensor([ 5., 15.])
    """
    _check_tensor(input, "lerp")
    if not isinstance(end, Tensor) or not (isinstance(weight, (Tensor, int, float)) and not isinstance(weight, bool)):
        got = ", ".join(type(a).__name__ if not isinstance(a, Tensor) else "Tensor" for a in (input, end, weight))
        raise TypeError(f"lerp() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        " * (Tensor input, Tensor end, Tensor weight, *, Tensor out = None)\n"
                        " * (Tensor input, Tensor end, Number weight, *, Tensor out = None)\n")
    dt = input.dtype
    if end.dtype is not dt:
        raise RuntimeError(f"expected dtype {_scalar_type_name(dt)} for `end` but got dtype {_scalar_type_name(end.dtype)}")
    wt = isinstance(weight, Tensor)
    if wt and weight.dtype is not dt:
        if weight._data.ndim:
            raise RuntimeError(f"expected dtype {_scalar_type_name(dt)} for `weight` but got dtype "
                               f"{_scalar_type_name(weight.dtype)}")
        weight = _cast(weight, dt)
    if not dt.is_floating_point:
        raise _not_implemented("lerp_kernel_tensor" if wt else "lerp_kernel_scalar", dt)
    if wt:
        return _out(LerpTensor.apply(input, end, weight), out)
    return _out(LerpScalar.apply(input, end, float(weight)), out)


class Addcmul(Function):
    _array_forward = True
    _node_name = "AddcmulBackward0"

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.value = value
        ctx.save_for_backward(t1, t2)
        return x + (t1 * t2 if value == 1 else value * t1 * t2)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        n = ctx.needs_input_grad
        v = ctx.value
        gv = g if v == 1 else g * v
        return g, (gv * t2 if n[1] else None), (gv * t1 if n[2] else None), None


class Addcdiv(Function):
    _array_forward = True
    _node_name = "AddcdivBackward0"

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.value = value
        ctx.save_for_backward(t1, t2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return x + (t1 / t2 if value == 1 else value * t1 / t2)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        n = ctx.needs_input_grad
        v = ctx.value
        gv = g if v == 1 else g * v
        return g, (gv / t2 if n[1] else None), (-gv * t1 / (t2 * t2) if n[2] else None), None


def _three(input, tensor1, tensor2, name):
    _check_tensor(input, name)
    _check_tensor(tensor1, name, "tensor1", 2)
    _check_tensor(tensor2, name, "tensor2", 3)
    dt = _dtype.result_type(input, tensor1, tensor2)
    return dt, _cast_to(input, dt), _cast_to(tensor1, dt), _cast_to(tensor2, dt)


def _value(value, dt):
    return int(value) if not dt.is_floating_point else value


@_broadcasts
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:
    """``input + value * tensor1 * tensor2``, broadcast."""
    dt, x, a, b = _three(input, tensor1, tensor2, "addcmul")
    if dt is _dtype.bool:
        raise _not_implemented("addcmul_cpu_out", dt)
    return _out(Addcmul.apply(x, a, b, _value(value, dt)), out)


@_broadcasts
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:
    """``input + value * tensor1 / tensor2``, broadcast (tensor1 and tensor2 may not both be integers)."""
    _check_tensor(input, "addcdiv")
    _check_tensor(tensor1, "addcdiv", "tensor1", 2)
    _check_tensor(tensor2, "addcdiv", "tensor2", 3)
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
            "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as "
            "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
            "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    dt, x, a, b = _three(input, tensor1, tensor2, "addcdiv")
    return _out(Addcdiv.apply(x, a, b, value), out)


# -- comparisons and logic (no gradient) ---------------------------------------------------------
def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _compare(npfn, name):
    @_broadcasts
    def cmp(input, other, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
                            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                            " * (Tensor input, Number other, *, Tensor out = None)\n")
        a, b = promote(input, other)
        return _out(Tensor._make(np.asarray(npfn(_data(a), _data(b)))), out)
    cmp.__name__ = cmp.__qualname__ = name
    cmp.__doc__ = f"Elementwise ``{name}`` comparison, broadcast; a bool tensor."
    return cmp


eq = _compare(np.equal, "eq")
ne = not_equal = _compare(np.not_equal, "ne")
lt = less = _compare(np.less, "lt")
le = less_equal = _compare(np.less_equal, "le")
gt = greater = _compare(np.greater, "gt")
ge = greater_equal = _compare(np.greater_equal, "ge")


def _logical(npfn, name):
    @_broadcasts
    def op(input, other, *, out=None):
        _check_tensor(input, name)
        _check_tensor(other, name, "other", 2)
        return _out(Tensor._make(np.asarray(npfn(input._data, other._data))), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of truth values (nonzero is True); a bool tensor."
    return op


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input: Tensor, *, out=None) -> Tensor:
    """Elementwise not (zero is False); a bool tensor."""
    _check_tensor(input, "logical_not")
    return _out(Tensor._make(np.logical_not(input._data)), out)


def _bitwise(npfn, name):
    @_broadcasts
    def op(input, other, *, out=None):
        _check_binary(input, other, name)
        a, b = promote(input, other)
        dt = (a if isinstance(a, Tensor) else b).dtype
        if dt.is_floating_point:
            raise _not_implemented(f"{name}_cpu", dt)
        return _out(Tensor._make(np.asarray(npfn(_data(a), _data(b)))), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors (and numbers)."
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor, *, out=None) -> Tensor:
    """Bitwise not of an integer tensor; logical not of a bool tensor."""
    _check_tensor(input, "bitwise_not")
    if input.dtype.is_floating_point:
        raise _not_implemented("bitwise_not_cpu", input.dtype)
    return _out(Tensor._make(np.invert(input._data)), out)


def _invert(self):
    if self.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


def _float_test(npfn, name, other_value):
    def op(input):
        _check_tensor(input, name)
        d = input._data
        if d.dtype.kind != "f":
            return Tensor._make(np.full(d.shape, other_value))
        return Tensor._make(np.asarray(npfn(d)))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}``; a bool tensor."
    return op


isnan = _float_test(np.isnan, "isnan", False)
isinf = _float_test(np.isinf, "isinf", False)
isfinite = _float_test(np.isfinite, "isfinite", True)
isposinf = _float_test(np.isposinf, "isposinf", False)
isneginf = _float_test(np.isneginf, "isneginf", False)


@_broadcasts
def isclose(input: Tensor, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (equal infinities count as close)."""
    _check_tensor(input, "isclose")
    _check_tensor(other, "isclose", "other", 2)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_cap(input.dtype)} did not match {_cap(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    a, b = input._data, other._data
    if a.dtype.kind == "b":
        a, b = a.astype(np.int8), b.astype(np.int8)
    with np.errstate(invalid="ignore", over="ignore"):
        return Tensor._make(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input: Tensor, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether every element of ``input`` is close to ``other`` (see ``isclose``)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and the same values."""
    _check_tensor(input, "equal")
    _check_tensor(other, "equal", "other", 2)
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def where(condition, input, other):
    from .selection import where as _where
    return _where(condition, input, other)


# -- fill, zero and copy (Functions that take self, so the result stays in the graph) -------
class Zero(Function):
    _array_forward = True
    _node_name = "ZeroBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.zeros_like(x)

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros_like
        return zeros_like(g)


class FillScalar(Function):
    _array_forward = True
    _node_name = "FillBackward2"

    @staticmethod
    def forward(ctx, x, value):
        return np.full_like(x, value)

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros_like
        return zeros_like(g), None


class FillTensor(Function):
    _array_forward = True
    _node_name = "FillBackward3"

    @staticmethod
    def forward(ctx, x, value):
        return np.full_like(x, value)

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros_like
        return zeros_like(g), g  # the engine sums g down to value's shape ()


class Copy(Function):
    _array_forward = True
    _node_name = "torch::autograd::CopyBackwards"

    @staticmethod
    def forward(ctx, x, src):
        out = np.empty_like(x)
        np.copyto(out, src, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros_like
        return zeros_like(g), g


def _records(self, *others):
    """Whether an in-place write into ``self`` from ``others`` must be recorded by autograd."""
    if not _state.grad_enabled:
        return False
    if self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others):
        return True
    base = self._base
    return base is not None and base._requires_grad


def _direct_write(self, value):
    self._check_inplace()
    np.copyto(self._data, value, casting="unsafe")
    self._vc[0] += 1
    return self


def zero_(self) -> Tensor:
    """Fill with zeros, in place; in the graph, the gradient to the old values is zero."""
    if not _records(self):
        return _direct_write(self, 0)
    self._check_inplace()
    return self._apply_inplace(Zero.apply(self))


def fill_(self, value) -> Tensor:
    """Fill with ``value`` (a number or a 0-dim tensor, which then gets the summed gradient), in place."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
    elif not isinstance(value, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"fill_() received an invalid combination of arguments - got ({type(value).__name__}), "
                        "but expected one of:\n * (Tensor value)\n * (Number value)\n")
    if not _records(self, value):
        return _direct_write(self, _data(value))
    self._check_inplace()
    if isinstance(value, Tensor):
        return self._apply_inplace(FillTensor.apply(self, value))
    return self._apply_inplace(FillScalar.apply(self, value))


def copy_(self, src, non_blocking=False) -> Tensor:
    """Copy ``src`` (broadcast, cast to this dtype) into this tensor; gradient flows to ``src``."""
    if not isinstance(src, Tensor):
        if isinstance(src, (int, float, bool, np.number)):
            from .creation import tensor
            src = tensor(src)
        else:
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    shape = self._data.shape
    if src._data.shape != shape:
        err = _broadcast_error([shape, src._data.shape])
        if err is not None:
            raise err
        full = np.broadcast_shapes(shape, src._data.shape)
        if full != shape:
            raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")
    if not _records(self, src):
        return _direct_write(self, src._data)
    self._check_inplace()
    return self._apply_inplace(Copy.apply(self, src))


# -- the in-place protocol for pointwise ops ------------------------------------------------
def _new_nodes(node, mark):
    """The nodes recorded after counter value ``mark``, reachable from ``node``."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if not isinstance(n, BackwardCFunction) or id(n) in seen or n._seq <= mark:
            continue
        seen.add(id(n))
        yield n
        stack.extend(e[0] for e in n._edges)


def _commit(self, alias, result, mark):
    """Write ``result`` into ``self`` (``Tensor._apply_inplace``), keeping saved tensors right.

    ``result`` was computed from ``alias``, a stand-in for ``self`` (same history, its own
    array object), so a node that saved the self argument saved ``alias``. As PyTorch
    keeps the original self, ``alias`` then gets a copy of the values about to be
    overwritten. A node that saved its output (exp_) gets ``self`` instead, which now holds
    exactly that output: no extra memory, and a later in-place change of ``self`` is
    reported by the version counter, as in PyTorch.
    """
    node = result.grad_fn
    if not isinstance(node, BackwardCFunction) or node._seq <= mark:
        return self._apply_inplace(result)
    outputs = []
    saved_self = False
    for n in _new_nodes(node, mark):
        for s in n._saved or ():
            if s is None:
                continue
            if s.tensor is alias:
                saved_self = True
            elif n is node and s.tensor is None and s.data is result._data:  # the node's own output
                outputs.append(s)
    if saved_self:
        alias._data = alias._data.copy()
        alias._vc = [alias._vc[0]]
    self._apply_inplace(result)
    if outputs and result._data.dtype == self._data.dtype and result._data.shape == self._data.shape:
        for s in outputs:
            s.data, s.vc, s.version = self._data, self._vc, self._vc[0]
    return self


def _stand_in(self):
    """A tensor with self's memory, history and version counter, but its own array object."""
    t = Tensor._make(self._data.view(), self.grad_fn, self._output_nr)
    t._requires_grad = self._requires_grad
    t._vc = self._vc
    if self._fw is not None:
        t._fw = self._fw
    return t


def _inplace(fn):
    """The in-place method ``name_`` of an out-of-place op ``fn(self, ...)``."""
    def method(self, *args, **kwargs):
        self._check_inplace()
        if not _state.grad_enabled:
            return self._apply_inplace(fn(self, *args, **kwargs))
        mark = _function._next_seq()  # every node made from here on has a larger number
        alias = _stand_in(self)
        if _function._saved_hooks:
            # Pack hooks own what is saved, so _commit cannot see it: keep the old values now.
            alias._data = alias._data.copy()
            alias._vc = [alias._vc[0]]
        return _commit(self, alias, fn(alias, *args, **kwargs), mark)
    method.__name__ = method.__qualname__ = getattr(fn, "__name__", "op") + "_"
    method.__doc__ = f"In-place version of ``{getattr(fn, '__name__', 'op')}``."
    return method


_zero_grad_classes = {}


def _zero_grad_function(node):
    """A Function whose output values are given and whose gradient is zero (in-place comparisons)."""
    cls = _zero_grad_classes.get(node)
    if cls is None:
        def fwd(ctx, values, x, *others):
            return values.astype(x.dtype)

        def bwd(ctx, g):
            from .creation import zeros_like
            return (None,) + tuple(zeros_like(g) if n else None for n in ctx.needs_input_grad[1:])
        cls = type(node[:node.index("Backward")], (Function,), {"_array_forward": True, "_node_name": node,
                                                             "forward": staticmethod(fwd),
                                                             "backward": staticmethod(bwd)})
        _zero_grad_classes[node] = cls
    return cls


def _inplace_nondiff(fn, node):
    """In-place comparison/logic method: values written in self's dtype; zero gradient.

    ``node`` is PyTorch's name with a number operand; a tensor operand bumps its last digit.
    """
    def method(self, *args, **kwargs):
        self._check_inplace()
        r = fn(self, *args, **kwargs)
        if _state.grad_enabled:
            others = [a for a in args if isinstance(a, Tensor)]
            if self._requires_grad or any(o._requires_grad for o in others):
                name = node[:-1] + "1" if others else node
                r = _zero_grad_function(name).apply(r._data, self, *others)
        return self._apply_inplace(r)
    method.__name__ = method.__qualname__ = getattr(fn, "__name__", "op") + "_"
    method.__doc__ = f"In-place version of ``{getattr(fn, '__name__', 'op')}`` (written in this tensor's dtype)."
    return method


# -- Tensor methods and operators -------------------------------------------------------------
def _rsub(self, other):
    return sub(other, self)


def _rdiv(self, other):
    # PyTorch computes number / tensor as reciprocal(tensor) * number.
    return mul(reciprocal(self), other)


def _rpow(self, other):
    return pow(other, self)


def _eq_method(self, other):
    if other is None:
        return False
    try:
        return eq(self, other)
    except TypeError:
        return NotImplemented


def _ne_method(self, other):
    if other is None:
        return True
    try:
        return ne(self, other)
    except TypeError:
        return NotImplemented


def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    return method


def _fast(cls, slow, floats_only=False):
    """``tensor <op> other`` without the general path when no promotion can be needed.

    A float tensor with a Python float or int (NumPy's weak scalars agree with PyTorch
    there), or two tensors of one dtype, go straight to the Function; anything else, and
    any broadcasting error (reported in PyTorch's words), takes the general path.
    """
    kinds = "f" if floats_only else "fiu"
    apply = cls.apply

    def method(self, other):
        oc = type(other)
        if oc is float or oc is int:
            if self._data.dtype.kind == "f":
                try:
                    return apply(self, other)
                except ValueError:
                    pass
        elif oc is Tensor:
            d = self._data.dtype
            if d == other._data.dtype and d.kind in kinds:
                try:
                    return apply(self, other)
                except ValueError:
                    pass
        return slow(self, other)
    method.__name__ = slow.__name__
    return method


METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "neg": neg, "negative": neg, "pow": pow, "clone": clone, "square": square,
    "abs": abs, "absolute": abs, "relu": relu, "atan2": atan2, "arctan2": atan2, "lerp": lerp,
    "addcmul": addcmul, "addcdiv": addcdiv,
    "__add__": _fast(Add, add), "__radd__": _fast(Add, add), "__sub__": _fast(Sub, sub),
    "__rsub__": _rsub, "__mul__": _fast(Mul, mul), "__rmul__": _fast(Mul, mul),
    "__truediv__": _fast(Div, div, floats_only=True), "__rtruediv__": _rdiv, "__div__": div, "__pow__": pow,
    "__rpow__": _rpow, "__neg__": neg, "__pos__": lambda self: self, "__abs__": abs,
    "__eq__": _eq_method, "__ne__": _ne_method, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "not_equal": ne, "less": lt,
    "less_equal": le, "greater": gt, "greater_equal": ge,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor, "__invert__": _invert,
    "__rand__": _reflected(bitwise_and), "__ror__": _reflected(bitwise_or), "__rxor__": _reflected(bitwise_xor),
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "isposinf": isposinf, "isneginf": isneginf,
    "isclose": isclose, "allclose": allclose, "equal": equal,
    "zero_": zero_, "fill_": fill_, "copy_": copy_,
}
_FLOAT_UNARY = ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "sin",
                "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                "sigmoid", "erf")
for _name in _FLOAT_UNARY:
    METHODS[_name] = globals()[_name]
for _name in ("add", "sub", "mul", "div", "pow", "neg", "subtract", "multiply", "divide", "true_divide",
              "negative", "square", "abs", "absolute", "relu", "atan2", "arctan2", "lerp", "addcmul",
              "addcdiv", *_FLOAT_UNARY):
    METHODS[_name + "_"] = _inplace(METHODS[_name])
relu_ = METHODS["relu_"]
for _name, _node in (("eq", "EqBackward0"), ("ne", "NeBackward0"), ("lt", "LtBackward0"), ("le", "LeBackward0"),
                     ("gt", "GtBackward0"), ("ge", "GeBackward0"), ("not_equal", "NeBackward0"),
                     ("less", "LtBackward0"), ("less_equal", "LeBackward0"), ("greater", "GtBackward0"),
                     ("greater_equal", "GeBackward0"), ("logical_and", "LogicalAndBackward0"),
                     ("logical_or", "LogicalOrBackward0"), ("logical_xor", "LogicalXorBackward0"),
                     ("logical_not", "LogicalNotBackward0"), ("bitwise_and", "BitwiseAndBackward0"),
                     ("bitwise_or", "BitwiseOrBackward0"), ("bitwise_xor", "BitwiseXorBackward0"),
                     ("bitwise_not", "BitwiseNotBackward0")):
    METHODS[_name + "_"] = _inplace_nondiff(METHODS[_name], _node)
METHODS["__iadd__"] = METHODS["add_"]
METHODS["__isub__"] = METHODS["sub_"]
METHODS["__imul__"] = METHODS["mul_"]
METHODS["__itruediv__"] = METHODS["div_"]
METHODS["__ipow__"] = METHODS["pow_"]
METHODS["__iand__"] = METHODS["bitwise_and_"]
METHODS["__ior__"] = METHODS["bitwise_or_"]
METHODS["__ixor__"] = METHODS["bitwise_xor_"]

# The in-place forms PyTorch also has as functions: ``torch.exp_(t)``.
for _name in ('abs_', 'acos_', 'arccos_', 'arcsin_', 'arctan_', 'asin_', 'atan_', 'cos_', 'cosh_', 'erf_', 'exp2_', 'exp_', 'expm1_', 'log10_', 'log1p_', 'log2_', 'log_', 'neg_', 'negative_', 'reciprocal_', 'rsqrt_', 'sigmoid_', 'sin_', 'sinh_', 'sqrt_', 'square_', 'tan_', 'tanh_'):
    globals()[_name] = METHODS[_name]
    __all__.append(_name)
