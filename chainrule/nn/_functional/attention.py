"""scaled_dot_product_attention.

Without dropout (and without a mask that itself requires grad) it is one primitive, for
speed: ``softmax(q k^T * scale + mask) v`` computed in place on arrays, the probabilities
kept for backward, whose array form is four batched matmuls and a few passes. With
``create_graph`` the backward is rebuilt from q, k, v with chainrule ops. Otherwise (dropout,
a differentiable float mask) it is the composition of matmul, softmax and dropout.
"""
from __future__ import annotations

import math

import numpy as np

from ... import ops
from ..._tensor import Tensor
from ...autograd.function import Function
from ._utils import check_tensor, const, grad_mode

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
    if dropout_p == 0.0 and (attn_mask is None or not attn_mask.requires_grad):
        mask = None
        if is_causal:
            mask = _causal_mask(L, S, query._data.dtype)
        elif attn_mask is not None:
            check_tensor(attn_mask, "scaled_dot_product_attention", "attn_mask", 4)
            m = attn_mask._data
            mask = m if attn_mask.dtype.is_floating_point else np.where(m, 0.0, -np.inf).astype(query._data.dtype)
        if mask is None or _broadcasts(tuple(query.shape[:-1]) + (S,), mask.shape):
            return _Attention.apply(query, key, value, mask, s)
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


_CAUSAL = {}


def _causal_mask(L, S, dt):
    """The additive (L, S) mask of ``is_causal`` (0 on and below the diagonal, -inf above), cached."""
    key = (L, S, dt)
    m = _CAUSAL.get(key)
    if m is None:
        m = np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf).astype(dt)
        m.flags.writeable = False
        if len(_CAUSAL) > 16:
            _CAUSAL.clear()
        _CAUSAL[key] = m
    return m


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False  # the composite path raises PyTorch's error
    return True


def _swap(a):
    return np.swapaxes(a, -1, -2)


class _Attention(Function):
    """(q, k, v, additive mask array or None, scale) -> softmax(q k^T scale + mask) v."""
    _array_forward = True
    _node_name = "ScaledDotProductFlashAttentionForCpuBackward0"

    @staticmethod
    def forward(ctx, q, k, v, mask, scale):
        p = np.matmul(q, _swap(k))
        p *= scale
        if mask is not None:
            if np.broadcast_shapes(p.shape, mask.shape) == p.shape:
                p += mask
            else:
                p = p + mask
        with np.errstate(invalid="ignore", divide="ignore"):
            m = p.max(axis=-1, keepdims=True)
            dead = None
            if mask is not None:
                dead = np.isneginf(m)
                if dead.any():
                    m[dead] = 0  # a row that may attend to nothing gives zeros, not nan
                else:
                    dead = None
            p -= m
            np.exp(p, out=p)
            total = p.sum(axis=-1, keepdims=True)
            if dead is not None:
                total[dead] = 1
            p /= total
        ctx.scale, ctx.mask = scale, mask
        ctx.save_for_backward(q, k, v, p)
        return np.matmul(p, v)

    @staticmethod
    def backward(ctx, g):
        q, k, v, p = ctx.saved_tensors
        scale = ctx.scale
        need = ctx.needs_input_grad
        if grad_mode():  # create_graph: the probabilities as functions of q and k
            scores = ops.matmul(q, k.transpose(-2, -1)) * scale
            if ctx.mask is not None:
                scores = scores + const(ctx.mask)
            p = _safe_softmax(scores)
            dp = ops.matmul(g, v.transpose(-2, -1))
            ds = p * (dp - (dp * p).sum(-1, keepdim=True)) * scale
            gq = ops.matmul(ds, k) if need[0] else None
            gk = ops.matmul(ds.transpose(-2, -1), q) if need[1] else None
            gv = ops.matmul(p.transpose(-2, -1), g) if need[2] else None
            return gq, gk, gv, None, None
        G, pa = g._data, p._data
        ds = np.matmul(G, _swap(v._data))
        gv = _make(np.matmul(_swap(pa), G)) if need[2] else None
        t = ds * pa
        ds -= t.sum(axis=-1, keepdims=True)
        ds *= pa
        ds *= scale
        gq = _make(np.matmul(ds, k._data)) if need[0] else None
        gk = _make(np.matmul(_swap(ds), q._data)) if need[1] else None
        return gq, gk, gv, None, None


_make = Tensor._make
