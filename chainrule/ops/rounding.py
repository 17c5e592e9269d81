"""Rounding and integer-style division: sign, floor, ceil, round, trunc, frac, fmod,
remainder, floor_divide and ``div(..., rounding_mode=...)``.

The step functions have zero gradient (PyTorch's convention); fmod and remainder pass the
gradient to their first input and ``-quotient * grad`` to a tensor divisor.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from .pointwise import _broadcasts, _check_tensor, _inplace, _not_implemented, _out, promote

__all__ = ["sign", "sgn", "floor", "ceil", "round", "trunc", "fix", "frac", "fmod", "remainder",
           "floor_divide"]


def _zeros(g):
    from .creation import zeros_like
    return zeros_like(g)


def _step_function(node, npfn, n_params=0):
    """An op of one tensor (and ``n_params`` numbers) whose gradient is zero (floor, sign, ...)."""
    def fwd(ctx, x, *params):
        return npfn(x, *params)

    def bwd(ctx, g):
        return (_zeros(g),) + (None,) * n_params if n_params else _zeros(g)

    cls = type(node[:node.index("Backward")], (Function,), {"_array_forward": True, "_node_name": node,
                                                           "forward": staticmethod(fwd),
                                                           "backward": staticmethod(bwd)})
    return cls


def _round_decimals(x, decimals):
    # As PyTorch: scale by 10**|decimals| in x's dtype, round half to even, scale back
    # (half precision computes in float32, as PyTorch's CPU kernels do).
    if x.dtype == np.float16:
        return _round_decimals(x.astype(np.float32), decimals).astype(np.float16)
    if decimals > 0:
        p = x.dtype.type(10.0 ** decimals)
        return np.rint(x * p) / p
    p = x.dtype.type(10.0 ** -decimals)
    return np.rint(x / p) * p


def _sign_array(x):
    if x.dtype.kind == "f":
        return (x > 0).astype(x.dtype) - (x < 0)  # NaN gives 0, as in PyTorch
    return np.sign(x)


Sign = _step_function("SignBackward0", _sign_array)
Floor = _step_function("FloorBackward0", np.floor)
Ceil = _step_function("CeilBackward0", np.ceil)
Round = _step_function("RoundBackward0", np.rint)
RoundDecimals = _step_function("RoundBackward1", _round_decimals, 1)
Trunc = _step_function("TruncBackward0", np.trunc)


def _copy(x):
    return Tensor._make(x._data.copy())


def _stepper(name, cls, kernel, doc):
    def op(input, *, out=None):
        _check_tensor(input, name)
        k = input._data.dtype.kind
        if k == "b":
            raise _not_implemented(kernel, input.dtype)
        if k != "f":
            return _out(_copy(input), out)  # integers are already whole
        return _out(cls.apply(input), out)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc + " Integer dtypes are returned unchanged (a copy); the gradient is zero."
    op.__annotations__ = {"input": "Tensor", "return": "Tensor"}
    return op


floor = _stepper("floor", Floor, "floor_vml_cpu", "Round down to a whole number.")
ceil = _stepper("ceil", Ceil, "ceil_vml_cpu", "Round up to a whole number.")
trunc = fix = _stepper("trunc", Trunc, "trunc_vml_cpu", "Round toward zero.")


def sign(input: Tensor, *, out=None) -> Tensor:
    """-1, 0 or 1 by the sign of each element (bool stays bool); the gradient is zero.

    >>> chainrule.sign(chainrule.tensor([-2., 0., 3.]))
    tensor([-1.,  0.,  1.])
    """
    _check_tensor(input, "sign")
    if input._data.dtype.kind == "b":
        return _out(_copy(input), out)
    return _out(Sign.apply(input), out)


sgn = sign


def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds, ...).

    >>> chainrule.round(chainrule.tensor([0.5, 1.5, 1.2345]), decimals=0)
    tensor([0., 2., 1.])
    """
    _check_tensor(input, "round")
    k = input._data.dtype.kind
    if k == "b":
        raise _not_implemented("round_vml_cpu" if decimals == 0 else "round_cpu", input.dtype)
    if k != "f":
        if decimals != 0:
            raise _not_implemented("round_cpu", input.dtype)
        return _out(_copy(input), out)
    if decimals == 0:
        return _out(Round.apply(input), out)
    return _out(RoundDecimals.apply(input, int(decimals)), out)


class Frac(Function):
    _array_forward = True
    _node_name = "FracBackward0"

    @staticmethod
    def forward(ctx, x):
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g


def frac(input: Tensor, *, out=None) -> Tensor:
    """The fractional part ``x - trunc(x)`` (same sign as x); floating dtypes only."""
    _check_tensor(input, "frac")
    if input._data.dtype.kind != "f":
        raise _not_implemented("frac_cpu", input.dtype)
    return _out(Frac.apply(input), out)


# -- division with rounding -------------------------------------------------------------------
def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _check_int_divisor(b):
    if np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")


def _trunc_div_array(a, b):
    if np.result_type(a, b).kind == "f":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.trunc(np.true_divide(a, b))
    q = np.floor_divide(a, b)
    # floor and trunc differ by one where the exact quotient is negative and not whole.
    return q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))


def _floor_div_array(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor_divide(a, b)


class DivRounded(Function):
    """div with rounding_mode: a step function, so both gradients are zero."""
    _array_forward = True
    _node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, mode):
        out = _trunc_div_array(a, b) if mode == "trunc" else _floor_div_array(a, b)
        return np.asarray(out, dtype=np.result_type(a, b))

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (_zeros(g) if n[0] else None), (_zeros(g) if n[1] else None), None


class _NotImplementedGrad(Function):
    """PyTorch records these ops but has no derivative: backward raises."""
    _array_forward = True
    _node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, a, b, npfn, opname):
        ctx.opname = opname
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(npfn(a, b))

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.opname} is not implemented")


def _divide_operands(input, other, kernel):
    a, b = promote(input, other)
    dt = (a if isinstance(a, Tensor) else b).dtype
    if dt is _dtype.bool:
        raise _not_implemented(kernel, dt)
    if not dt.is_floating_point:
        _check_int_divisor(_data(b))
    return a, b


def _rounded_div(input, other, rounding_mode):
    """``div(input, other, rounding_mode=...)`` for 'trunc' and 'floor' (pointwise.div calls this)."""
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    a, b = _divide_operands(input, other, "div_trunc_cpu" if rounding_mode == "trunc" else "div_floor_cpu")
    return DivRounded.apply(a, b, rounding_mode)


@_broadcasts
def floor_divide(input, other, *, out=None) -> Tensor:
    """``input // other``: division rounded toward minus infinity (PyTorch has no gradient for it).

    >>> chainrule.floor_divide(chainrule.tensor([-7, 7]), 2)
    tensor([-4,  3])
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"floor_divide(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    a, b = _divide_operands(input, other, "div_floor_cpu")
    return _out(_NotImplementedGrad.apply(a, b, np.floor_divide, "floor_divide"), out)


class FmodScalar(Function):
    _array_forward = True
    _node_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, None


class FmodTensor(Function):
    _array_forward = True
    _node_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = -g * _rounded_div(a, b, "trunc") if ctx.needs_input_grad[1] else None
        return g, gb


class RemainderScalar(FmodScalar):
    _node_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(a, b)


class RemainderTensor(Function):
    _array_forward = True
    _node_name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = -g * _rounded_div(a, b, "floor") if ctx.needs_input_grad[1] else None
        return g, gb


@_broadcasts
def fmod(input: Tensor, other, *, out=None) -> Tensor:
    """C-style remainder ``input - trunc(input / other) * other``: takes the sign of ``input``.

    >>> chainrule.fmod(chainrule.tensor([-3., 3.]), 2)
    tensor([-1.,  1.])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{'Tensor' if isinstance(other, Tensor) else type(other).__name__}), but expected one of:\n"
                        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, Number other, *, Tensor out = None)\n")
    a, b = _divide_operands(input, other, "fmod_cpu")
    if isinstance(b, Tensor):
        return _out(FmodTensor.apply(a, b), out)
    return _out(FmodScalar.apply(a, b), out)


@_broadcasts
def remainder(input, other, *, out=None) -> Tensor:
    """Python-style modulus ``input - floor(input / other) * other``: takes the sign of ``other``.

    >>> chainrule.remainder(chainrule.tensor([-3., 3.]), 2)
    tensor([1., 1.])
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"remainder(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    a, b = _divide_operands(input, other, "remainder_cpu")
    if not isinstance(a, Tensor):
        return _out(_NotImplementedGrad.apply(a, b, np.remainder, "remainder"), out)
    if isinstance(b, Tensor):
        return _out(RemainderTensor.apply(a, b), out)
    return _out(RemainderScalar.apply(a, b), out)


def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    return method


METHODS = {
    "sign": sign, "sgn": sign, "floor": floor, "ceil": ceil, "round": round, "trunc": trunc, "fix": trunc,
    "frac": frac, "fmod": fmod, "remainder": remainder, "floor_divide": floor_divide,
    "__floordiv__": floor_divide, "__rfloordiv__": _reflected(floor_divide),
    "__mod__": remainder, "__rmod__": _reflected(remainder),
}
for _name in ("sign", "sgn", "floor", "ceil", "round", "trunc", "fix", "frac", "fmod", "remainder", "floor_divide"):
    METHODS[_name + "_"] = _inplace(METHODS[_name])


def _floor_divide_self(self, other):
    r = floor_divide(self, other)
    if r.grad_fn is not None:
        r.grad_fn.opname = "floor_divide_"  # PyTorch names the in-place op in the error
    return r


METHODS["floor_divide_"] = _inplace(_floor_divide_self)
METHODS["__ifloordiv__"] = METHODS["floor_divide_"]
METHODS["__imod__"] = METHODS["remainder_"]

# The in-place forms PyTorch also has as functions: ``torch.exp_(t)``.
for _name in ('ceil_', 'fix_', 'floor_', 'frac_', 'round_', 'trunc_'):
    globals()[_name] = METHODS[_name]
    __all__.append(_name)
