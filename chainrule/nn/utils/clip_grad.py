"""Gradient clipping: clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_.

All of them work on ``.grad`` in place, outside autograd, as PyTorch's do.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..._tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _norm(arr, p):
    """The vector p-norm of an array, returned in the array's dtype (accumulated in float64)."""
    a = np.abs(arr.reshape(-1)).astype(np.float64)
    if p == math.inf:
        r = a.max(initial=0.0)
    elif p == -math.inf:
        r = a.min() if a.size else 0.0
    elif p == 0:
        r = np.count_nonzero(a)
    elif p == 1:
        r = a.sum()
    elif p == 2:
        r = math.sqrt(np.dot(a, a))
    else:
        r = (a ** p).sum() ** (1.0 / p)
    return np.asarray(r, dtype=arr.dtype)


def _scale_(t, coef):
    """``t.mul_(coef)`` on the array, with ``coef`` in ``t``'s dtype, bumping the version."""
    arr = t._data
    c = arr.dtype.type(coef)
    with np.errstate(invalid="ignore", over="ignore"):
        if arr.flags.writeable:
            np.multiply(arr, c, out=arr)
        else:
            t._data = arr * c
    t._vc[0] += 1


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """The norm of the norms of ``tensors`` (as if concatenated into one vector).

    >>> get_total_norm([chainrule.ones(3), chainrule.ones(2)])
    tensor(2.2361)
    """
    from ... import _dtype
    tensors = _as_list(tensors)
    p = float(norm_type)
    if not tensors:
        return Tensor._make(np.zeros((), dtype=_dtype.get_default_dtype().np))
    norms = [_norm(t._data, p) for t in tensors]
    dt = np.result_type(*[n.dtype for n in norms])
    total = _norm(np.stack([np.asarray(n, dtype=dt) for n in norms]), p)
    total = np.asarray(total, dtype=dt)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return Tensor._make(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None) -> None:
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    tn = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm, dtype=np.float64)
    # In the total norm's dtype, as PyTorch computes it: max_norm / (total + 1e-6), clamped to 1.
    coef = tn.dtype.type(max_norm) / (tn + tn.dtype.type(1e-6))
    coef = min(coef, tn.dtype.type(1.0))
    for g in grads:
        _scale_(g, coef)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so their total norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor). ``norm_type`` may be ``inf``.

    >>> total = clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient of ``parameters`` to ``[-clip_value, clip_value]``, in place."""
    v = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is None:
            continue
        arr = g._data
        lo, hi = arr.dtype.type(-v), arr.dtype.type(v)
        if arr.flags.writeable:
            np.minimum(np.maximum(arr, lo, out=arr), hi, out=arr)
        else:
            g._data = np.minimum(np.maximum(arr, lo), hi)
        g._vc[0] += 2  # PyTorch clamps below, then above: two in-place writes
