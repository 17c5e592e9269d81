"""Helpers shared by the functional families: argument expansion, reductions, dtype checks."""
from __future__ import annotations

import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ...autograd.grad_mode import _state

_REDUCTIONS = ("none", "mean", "sum")


def const(arr):
    """A constant Tensor (no history) around ``arr``: masks and coefficients in backward rules."""
    return Tensor._make(np.asarray(arr))


def grad_mode():
    """True when a backward rule must itself be recorded (``create_graph=True``)."""
    return _state.grad_enabled


def ntuple(value, n, name="kernel_size"):
    """Expand an int to an n-tuple; check the length of a sequence."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(value)}")
    return value


def check_tensor(x, fname, arg="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def float_input(x):
    """Integer inputs of floating ops compute in the default dtype."""
    if x._data.dtype.kind != "f":
        return x.to(_dtype.get_default_dtype())
    return x


def legacy_reduction(size_average, reduce, reduction):
    """Map the deprecated ``size_average``/``reduce`` pair onto ``reduction``, as torch does."""
    if size_average is None and reduce is None:
        return reduction
    import warnings
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  UserWarning, stacklevel=3)
    return ret


def check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def reduce(loss, reduction):
    """Apply ``reduction`` ('mean', 'sum' or 'none') to an elementwise loss."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def type_name(x):
    return x.type()
