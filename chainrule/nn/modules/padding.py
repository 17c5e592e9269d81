"""Padding layers: constant (and zero), reflection, replication and circular, in 1, 2 and 3 dims.

``padding`` is an int (the same on every side) or a tuple of (left, right[, top, bottom[,
front, back]]) widths, last dim first, as ``F.pad`` takes them.

>>> chainrule.nn.ZeroPad2d(1)(chainrule.ones(1, 1, 2, 2)).shape
torch.Size([1, 1, 4, 4])
"""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]


def _widths(padding, nd):
    if isinstance(padding, int):
        return (padding,) * (2 * nd)
    return tuple(padding)


class _PadNd(Module):
    __constants__ = ["padding"]
    _nd = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._nd)

    def _check_input_dim(self, input):
        pass

    def forward(self, input):
        self._check_input_dim(input)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def _check_input_dim(self, input):
        nd = self._nd
        if input.dim() != nd + 1 and input.dim() != nd + 2:
            raise ValueError(f"expected {nd + 1}D or {nd + 2}D input (got {input.dim()}D input)")


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around."""

    _nd = 1


class CircularPad2d(_CircularPadNd):
    """Pad the last two dims by wrapping around."""

    _nd = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last three dims by wrapping around."""

    _nd = 3


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``."""

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``."""

    _nd = 3


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Pad the last dim with its reflection (the edge not repeated)."""

    _nd = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Pad the last two dims with their reflection."""

    _nd = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Pad the last three dims with their reflection."""

    _nd = 3


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Pad the last dim by repeating its edge values."""

    _nd = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Pad the last two dims by repeating their edge values."""

    _nd = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Pad the last three dims by repeating their edge values."""

    _nd = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"
