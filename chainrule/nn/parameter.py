"""Parameter (filled in by its owner)."""
from .._tensor import Tensor


class Parameter(Tensor):
    pass


class Buffer(Tensor):
    pass
