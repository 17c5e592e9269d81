"""Dropout: elementwise, per channel (1d/2d/3d), and alpha dropout.

A composition (``input * mask / (1 - p)``) drawing its mask with chainrule's generator
the way PyTorch does, so the same seed drops the same elements.
"""
from __future__ import annotations

import warnings

import numpy as np

from ... import ops
from ..._tensor import Tensor
from ._utils import check_tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_like(input, p):
    """Bernoulli(1 - p) noise laid out like ``input`` and drawn in its memory order.

    PyTorch draws the mask into ``empty_like(input)``, which keeps a transposed input's
    strides, and samples in memory order; doing the same gives the same mask per seed.
    """
    arr = np.empty_like(input._data)
    strides = arr.strides
    order = sorted(range(arr.ndim), key=lambda d: -strides[d])
    dense = arr.transpose(order)
    if not dense.flags.c_contiguous:  # an overlapping or gapped layout: fall back to logical order
        arr = np.empty(input._data.shape, input._data.dtype)
        dense = arr
    Tensor._make(dense).bernoulli_(1 - p)
    return Tensor._make(arr)


def _apply(input, p, training, inplace, feature, alpha):
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    shape = tuple(input.shape)
    if feature:
        shape = shape[:2] + (1,) * (len(shape) - 2)
    if feature:
        noise = ops.empty(shape, dtype=input.dtype).bernoulli_(1 - p)
    else:
        noise = _noise_like(input, p)
    b = None
    if alpha:
        a = 1.0 / ((_ALPHA * _ALPHA * p + 1) * (1 - p)) ** 0.5
        b = (noise - 1) * (_ALPHA * a) + _ALPHA * a * p
        noise.mul_(a)
    else:
        noise.div_(1 - p)
    if inplace:
        input.mul_(noise)
        return input.add_(b) if b is not None else input
    out = input * noise
    return out + b if b is not None else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only).

    >>> F.dropout(chainrule.ones(4), 0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    check_tensor(input, "dropout")
    _check_p(p)
    return _apply(input, p, training, inplace, False, False)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps the mean and variance of SELU activations."""
    check_tensor(input, "alpha_dropout")
    _check_p(p)
    return _apply(input, p, training, inplace, False, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels."""
    check_tensor(input, "feature_alpha_dropout")
    _check_p(p)
    return _apply(input, p, training, inplace, True, True)


def _feature(input, p, training, inplace, batched_dim):
    """Channel dropout; an unbatched input gets a batch dim of 1 around the call."""
    if input.dim() == batched_dim - 1:
        out = _apply(input.unsqueeze(0), p, training, False, True, False).squeeze(0)
        if inplace and training and p:
            input.copy_(out)
            return input
        return out
    return _apply(input, p, training, inplace, True, False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    check_tensor(input, "dropout1d")
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature(input, p, training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) inputs with probability ``p``."""
    check_tensor(input, "dropout2d")
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
                      UserWarning, stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", UserWarning, stacklevel=2)
    return _apply(input, p, training, inplace, True, False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability ``p``."""
    check_tensor(input, "dropout3d")
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
                      UserWarning, stacklevel=2)
    return _feature(input, p, training, inplace, 5) if nd in (4, 5) else _apply(input, p, training, inplace, True,
                                                                                False)
