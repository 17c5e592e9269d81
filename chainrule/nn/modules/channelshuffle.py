"""ChannelShuffle: interleave the channels of ``groups`` groups (ShuffleNet).

>>> chainrule.nn.ChannelShuffle(2)(chainrule.arange(4.).reshape(1, 4, 1, 1)).flatten()
tensor([0., 2., 1., 3.])
"""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """(N, g*k, ...) viewed as (N, g, k, ...), transposed to (N, k, g, ...) and flattened back."""

    __constants__ = ["groups"]

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
