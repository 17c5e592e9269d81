"""scaled_dot_product_attention (a composition of matmul, softmax and dropout)."""
from __future__ import annotations

import math

import numpy as np

from ... import ops
from ._utils import check_tensor, const

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """``softmax(query @ key.T * scale + mask) @ value`` over the last two dims.

    ``attn_mask``: bool (True = may attend) or float (added to the scores), broadcast to
    (..., L, S). ``is_causal`` masks the upper triangle (not together with ``attn_mask``). ``scale`` defaults to ``1 / sqrt(E)``. Rows that may attend to nothing give zeros.

    >>> q = chainrule.randn(2, 4, 8)
    >>> F.scaled_dot_product_attention(q, q, q).shape
    torch.Size([2, 4, 8])
    """
    for name, t, pos in (("query", query, 1), ("key", key, 2), ("value", value, 3)):
        check_tensor(t, "scaled_dot_product_attention", name, pos)
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("scaled_dot_product_attention: query, key and value must be at least 2-dimensional")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"Expected size for the last dimension of query and key to match, but got query "
                           f"{list(query.shape)} and key {list(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"Expected key and value to have the same sequence length (dim -2), but got key "
                           f"{list(key.shape)} and value {list(value.shape)}")
    if not query.is_floating_point():
        raise RuntimeError("Expected query, key, and value to have floating point dtype")
    if key.dtype != query.dtype or value.dtype != query.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if attn_mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk:
            raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query, got "
                               f"{hk} and {hq}")
        rep = hq // hk
        key = _repeat_heads(key, rep)
        value = _repeat_heads(value, rep)
    s = 1.0 / math.sqrt(E) if scale is None else float(scale)
    scores = ops.matmul(query, key.transpose(-2, -1)) * s
    allowed = None
    if is_causal:
        allowed = np.tril(np.ones((L, S), dtype=bool))
    if attn_mask is not None:
        check_tensor(attn_mask, "scaled_dot_product_attention", "attn_mask", 4)
        if attn_mask.dtype.is_floating_point:
            scores = scores + attn_mask
        else:
            allowed = attn_mask._data.astype(bool)
    if allowed is not None:
        scores = scores + const(np.where(allowed, 0.0, -np.inf).astype(scores._data.dtype))
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        from .dropout import dropout
        weights = dropout(weights, dropout_p, True)
    return ops.matmul(weights, value)


def _repeat_heads(t, rep):
    shape = tuple(t.shape)
    x = t.unsqueeze(-3).expand(shape[:-2] + (rep,) + shape[-2:])
    return x.reshape(shape[:-3] + (shape[-3] * rep,) + shape[-2:])


def _safe_softmax(scores):
    """softmax over the last dim; a row of -inf (nothing to attend to) gives zeros, not nan."""
    dead = np.all(scores._data == -np.inf, axis=-1, keepdims=True)
    if not dead.any():
        return ops.softmax(scores, -1)
    fixed = ops.where(const(np.broadcast_to(dead, scores._data.shape)), ops.zeros_like(scores), scores)
    return ops.softmax(fixed, -1) * const((~dead).astype(scores._data.dtype))
