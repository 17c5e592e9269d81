"""Flatten parameters into one vector and back."""
from __future__ import annotations

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the parameters, flattened, into one vector (differentiable).

    >>> vec = parameters_to_vector(model.parameters())
    """
    from ... import cat
    flat = []
    for p in parameters:
        p.device  # noqa: B018  (PyTorch checks each parameter's device; a non-tensor fails here)
        flat.append(p.reshape(-1))
    return cat(flat)


def vector_to_parameters(vec, parameters) -> None:
    """Set the parameters' data from consecutive slices of ``vec`` (they then share its memory)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
