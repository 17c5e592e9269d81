"""Distances and similarities: cosine_similarity, pairwise_distance, pdist (compositions)."""
from __future__ import annotations

import numpy as np

from ._utils import check_tensor, const

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (inputs broadcast).

    >>> F.cosine_similarity(chainrule.tensor([[1., 0.]]), chainrule.tensor([[1., 1.]]))
    tensor([0.7071])
    """
    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2", 2)
    shape = np.broadcast_shapes(x1._data.shape, x2._data.shape)
    a = x1.expand(shape) if tuple(x1._data.shape) != shape else x1
    b = x2.expand(shape) if tuple(x2._data.shape) != shape else x2
    return ((a / _clamped_norm(a, dim, eps)) * (b / _clamped_norm(b, dim, eps))).sum(dim)


def _clamped_norm(x, dim, eps):
    # Clamped at eps like torch: in value only, the gradient is the norm's.
    n = x.norm(2, dim, keepdim=True)
    low = n._data < eps
    if low.any():
        n = n + const(np.where(low, eps - n._data, 0).astype(n._data.dtype))
    return n


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dimension.

    >>> F.pairwise_distance(chainrule.tensor([[0., 0.]]), chainrule.tensor([[3., 4.]]), eps=0.)
    tensor([5.])
    """
    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2", 2)
    nd = max(x1.dim(), x2.dim())
    if nd == 0:
        return (x1 - x2 + eps).abs()
    return (x1 - x2 + eps).norm(p, nd - 1, keepdim=keepdim)


def pdist(input, p=2):
    """Distances between all pairs of rows of ``input`` (N, M): the upper triangle, row by row."""
    check_tensor(input, "pdist")
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    if not i.size:
        return input.new_zeros((0,))
    return (input[i] - input[j]).norm(p, 1)
