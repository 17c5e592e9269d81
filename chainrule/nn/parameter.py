"""Parameter and Buffer: tensors that a Module registers when they are assigned to it.

>>> w = chainrule.nn.Parameter(chainrule.ones(2))
>>> w
Parameter containing:
tensor([1., 1.], requires_grad=True)
"""
from __future__ import annotations

import copy

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _init

__all__ = ["Parameter", "Buffer"]


def _alias(self, data, requires_grad):
    """Make ``self`` a leaf sharing ``data``'s array and version counter."""
    if data is None:
        arr = np.empty((0,), dtype=_dtype.get_default_dtype().np)
        _init(self, arr)
    else:
        _init(self, data._data)
        self._vc = data._vc
    if requires_grad:
        if self._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = True


def _check_data(data):
    if data is not None and not isinstance(data, Tensor):
        raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")


def _user_state(t):
    """Attributes a user set on the tensor (autograd's own bookkeeping starts with '_')."""
    return {k: v for k, v in t.__dict__.items() if not k.startswith("_")}


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning one to a Module attribute registers it.

    ``Parameter(data, requires_grad=True)`` shares memory with ``data`` and is a leaf.
    Operations on a Parameter return plain Tensors.
    """

    def __init__(self, data=None, requires_grad=True):
        _check_data(data)
        _alias(self, data, requires_grad)

    def __repr__(self, *, tensor_contents=None):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy()), self._requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self._data, self._requires_grad, _user_state(self)))


def _rebuild_parameter(arr, requires_grad, state):
    p = Parameter(Tensor._make(arr), requires_grad)
    if state:
        p.__dict__.update(state)
    return p


class Buffer(Tensor):
    """A tensor that a Module registers as a buffer when assigned to one of its attributes.

    ``persistent=False`` keeps it out of ``state_dict()``.
    """

    def __init__(self, data=None, *, persistent=True):
        _check_data(data)
        _alias(self, data, data is not None and data._requires_grad)
        self.persistent = persistent

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy()), persistent=self.persistent)
        result._requires_grad = self._requires_grad
        memo[id(self)] = result
        extra = {k: v for k, v in _user_state(self).items() if k != "persistent"}
        if extra:
            result.__dict__.update(copy.deepcopy(extra, memo))
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_buffer, (self._data, self._requires_grad, _user_state(self)))


def _rebuild_buffer(arr, requires_grad, state):
    b = Buffer(Tensor._make(arr), persistent=state.get("persistent", True))
    b._requires_grad = requires_grad
    b.__dict__.update(state)
    return b
