"""Pointwise ops: arithmetic, powers, exponentials, trigonometry, activations, comparisons.

Forward computes on arrays; backward is written with chainrule ops, so every rule is
itself differentiable. Broadcasting is undone by the engine, not here.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ._common import promote

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg",
           "negative", "pow", "exp", "tanh", "clone",
           "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal"]


def _float_input(x):
    """Integer and bool inputs of floating ops compute in the default dtype, as in PyTorch."""
    if x._data.dtype.kind != "f":
        return _cast(x, _dtype.get_default_dtype())
    return x


def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


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


def clone(input, *, memory_format=None):
    """A copy of ``input`` that stays in the graph: ``y = x.clone()``."""
    _check_tensor(input, "clone")
    return Clone.apply(input)


# -- arithmetic -----------------------------------------------------------------------------
class Add(Function):
    _array_forward = True
    _node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha), None


class Sub(Function):
    _array_forward = True
    _node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * -ctx.alpha), None


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
        if isinstance(b, np.ndarray):
            ctx.save_for_backward(a, b)
            ctx.scalar = None
        else:
            ctx.save_for_backward(None)  # the scalar counts as saved, so a 2nd backward raises
            ctx.scalar = b
        return a * b

    @staticmethod
    def backward(ctx, g):
        if ctx.scalar is not None:
            _ = ctx.saved_tensors  # raises if freed
            return g * ctx.scalar, None
        a, b = ctx.saved_tensors
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    _array_forward = True
    _node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if isinstance(b, np.ndarray):
            ctx.save_for_backward(a, b)
            ctx.scalar = None
        else:
            ctx.save_for_backward(None)
            ctx.scalar = b
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
        out = a ** b
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
        out = np.power(s, b)
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


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other``, with broadcasting and PyTorch's type promotion."""
    _check_binary(input, other, "add")
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    return _out(Add.apply(a, b, alpha), out)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``."""
    _check_binary(input, other, "sub")
    if input.__class__ is not Tensor and not isinstance(input, Tensor):
        a, b = promote(input, other)
        return _out(RSub.apply(b * alpha if alpha != 1 else b, a), out)
    if input._data.dtype == np.bool_ and (isinstance(other, bool) or (isinstance(other, Tensor) and other.dtype is _dtype.bool)):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    a, b = promote(input, other)
    return _out(Sub.apply(a, b, alpha), out)


subtract = sub


def mul(input, other, *, out=None):
    """Elementwise product with broadcasting."""
    _check_binary(input, other, "mul")
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    return _out(Mul.apply(a, b), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division (integers give floats); ``rounding_mode`` 'trunc' or 'floor' rounds."""
    _check_binary(input, other, "div")
    if rounding_mode is not None:
        from .rounding import _rounded_div
        return _out(_rounded_div(input, other, rounding_mode), out)
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


def neg(input, *, out=None):
    """``-input``."""
    _check_tensor(input, "neg")
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return _out(Neg.apply(input), out)


negative = neg


def pow(input, exponent, *, out=None):  # noqa: A001
    """``input ** exponent`` for tensor or number base and exponent."""
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


def _out(result, out):
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if _state_grad() and (result._requires_grad or out._requires_grad):
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one of the arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out


def _state_grad():
    from ..autograd.grad_mode import _state
    return _state.grad_enabled


# -- exponentials ------------------------------------------------------------------------------
class Exp(Function):
    _array_forward = True
    _node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out


def exp(input, *, out=None):
    """Elementwise e ** x."""
    _check_tensor(input, "exp")
    return _out(Exp.apply(_float_input(input)), out)


class Tanh(Function):
    _array_forward = True
    _node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 - out * out)


def tanh(input, *, out=None):
    """Elementwise hyperbolic tangent."""
    _check_tensor(input, "tanh")
    return _out(Tanh.apply(_float_input(input)), out)


# -- comparisons (no gradient) ----------------------------------------------------------------
def _compare(npfn):
    def cmp(input, other, *, out=None):
        a, b = promote(input, other)
        ad = a._data if isinstance(a, Tensor) else a
        bd = b._data if isinstance(b, Tensor) else b
        return _out(Tensor._make(np.asarray(npfn(ad, bd))), out)
    return cmp


eq = _compare(np.equal)
ne = not_equal = _compare(np.not_equal)
lt = less = _compare(np.less)
le = less_equal = _compare(np.less_equal)
gt = greater = _compare(np.greater)
ge = greater_equal = _compare(np.greater_equal)


def where(condition, input, other):
    from .selection import where as _where
    return _where(condition, input, other)


# -- Tensor methods and operators -------------------------------------------------------------
def _rsub(self, other):
    return sub(other, self)


def _rdiv(self, other):
    return div(other, self)


def _rpow(self, other):
    return pow(other, self)


def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._apply_inplace(fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


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


METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "neg": neg, "negative": neg, "pow": pow, "exp": exp, "tanh": tanh,
    "clone": clone,
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": _rsub, "__mul__": mul,
    "__rmul__": mul, "__truediv__": div, "__rtruediv__": _rdiv, "__div__": div, "__pow__": pow,
    "__rpow__": _rpow, "__neg__": neg, "__pos__": lambda self: self,
    "__eq__": _eq_method, "__ne__": _ne_method, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "not_equal": ne, "less": lt,
    "less_equal": le, "greater": gt, "greater_equal": ge,
}
for _name in ("add", "sub", "mul", "div", "pow", "exp", "tanh", "neg", "subtract", "multiply",
              "divide", "true_divide", "negative"):
    METHODS[_name + "_"] = _inplace(METHODS[_name])
METHODS["__iadd__"] = METHODS["add_"]
METHODS["__isub__"] = METHODS["sub_"]
METHODS["__imul__"] = METHODS["mul_"]
METHODS["__itruediv__"] = METHODS["div_"]
METHODS["__ipow__"] = METHODS["pow_"]
