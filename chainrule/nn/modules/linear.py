"""Linear maps: Identity, Linear, Bilinear and LazyLinear.

Parameters, their order and their initialisation are PyTorch's, so after the same
``manual_seed`` a ``Linear(784, 512)`` holds PyTorch's weights bit for bit.

>>> fc = chainrule.nn.Linear(4, 2)
>>> fc(chainrule.randn(3, 4)).shape
torch.Size([3, 2])
"""
from __future__ import annotations

import math

from ..._size import check_device
from ...autograd.grad_mode import no_grad
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


class Identity(Module):
    """Returns its input unchanged; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


def _uniform_bias(bias, fan_in):
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    init.uniform_(bias, -bound, bound)


class Linear(Module):
    """``y = x W^T + b`` with ``weight`` (out_features, in_features) and ``bias`` (out_features).

    Both start as U(-1/sqrt(in_features), 1/sqrt(in_features)) (the weight through
    ``kaiming_uniform_(a=sqrt(5))``, as in PyTorch).
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(empty((out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            _uniform_bias(self.bias, fan_in)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y = x1^T A x2 + b`` with ``weight`` (out, in1, in2), all drawn from U(-1/sqrt(in1), 1/sqrt(in1))."""

    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        check_device(device)
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features), dtype=dtype))
        if bias:
            self.bias = Parameter(empty((out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(Linear):
    """A ``Linear`` whose ``in_features`` is read from the first input it sees.

    Until then ``weight`` and ``bias`` are empty placeholders; the first call sizes them,
    initialises them as ``Linear`` does and turns the module into a plain ``Linear``.
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        Module.__init__(self)
        check_device(device)
        self.in_features = 0
        self.out_features = out_features
        self._factory_dtype = dtype
        self.weight = Parameter(empty((0,), dtype=dtype))
        if bias:
            self.bias = Parameter(empty((0,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self._lazy_hook = self.register_forward_pre_hook(LazyLinear._infer_parameters)

    def has_uninitialized_params(self) -> bool:
        return self.in_features == 0 and type(self) is LazyLinear

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    @staticmethod
    def _infer_parameters(module, args):
        input = args[0]
        in_features = input.shape[-1]
        dtype = module._factory_dtype
        with no_grad():
            module.in_features = in_features
            module.weight = Parameter(empty((module.out_features, in_features), dtype=dtype))
            if module.bias is not None:
                module.bias = Parameter(empty((module.out_features,), dtype=dtype))
            Linear.reset_parameters(module)
        module._lazy_hook.remove()
        del module._lazy_hook
        del module._factory_dtype
        module.__class__ = LazyLinear.cls_to_become
