"""Loss functions, each with ``reduction='mean' | 'sum' | 'none'``.

cross_entropy (class indices), nll_loss, mse_loss, smooth_l1/huber and the two binary
cross entropies are primitives: for speed (one pass, no intermediate log-probabilities kept)
and for stability (log-sum-exp, the log clamp of BCE). Their backward rules are chainrule
expressions, so second derivatives work. The rest are compositions.
"""
from __future__ import annotations

import warnings

import numpy as np

from ... import ops
from ...autograd.function import Function
from ...autograd.grad_mode import _state
from ..._tensor import Tensor
from ...ops._common import promote
from ._utils import check_reduction, check_tensor, const, grad_mode, legacy_reduction, shape_str
from ._utils import reduce as _apply_reduction

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "poisson_nll_loss", "gaussian_nll_loss", "multi_margin_loss",
           "multilabel_margin_loss", "multilabel_soft_margin_loss"]


def _reduce_array(loss, reduction):
    if reduction == "mean":
        if not loss.size:
            return np.asarray(np.nan, dtype=loss.dtype)
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _grad_scale(g, reduction, n):
    """The incoming gradient as a factor on each element's loss derivative."""
    if reduction == "mean":
        return g / n if n else g * float("nan")
    return g


def _no_weight_grad(t, fname, arg="weight"):
    if t is not None and _state.grad_enabled and t._requires_grad:
        raise RuntimeError(f"The function '{fname}' is not differentiable with respect to argument '{arg}'. This "
                           "input cannot have requires_grad True.")


def _size_warning(input, target):
    if tuple(target._data.shape) != tuple(input._data.shape):
        warnings.warn(f"Using a target size ({target.shape!r}) that is different to the input size ({input.shape!r}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same "
                      "size.", UserWarning, stacklevel=3)


def _pair(input, target, fname):
    check_tensor(input, fname)
    check_tensor(target, fname, "target", 2)
    try:
        np.broadcast_shapes(input._data.shape, target._data.shape)
    except ValueError:
        a, b = input._data.shape, target._data.shape
        for i in range(1, min(len(a), len(b)) + 1):
            if a[-i] != b[-i] and 1 not in (a[-i], b[-i]):
                raise RuntimeError(f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) at "
                                   f"non-singleton dimension {max(len(a), len(b)) - i}") from None
        raise
    return promote(input, target)


# -- regression losses ------------------------------------------------------------------------------
class MseLoss(Function):
    _array_forward = True
    _node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, x, t, reduction):
        ctx.reduction = reduction
        ctx.save_for_backward(x, t)
        d = x - t
        ctx.n = d.size
        return _reduce_array(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        gs = _grad_scale(g, ctx.reduction, ctx.n)
        gx = (x - t) * (gs * 2)
        return gx, (-gx if ctx.needs_input_grad[1] else None), None


def _weighted(loss, weight, reduction, mean_by_weight):
    if tuple(weight._data.shape) != tuple(loss._data.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _apply_reduction(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target) ** 2``, reduced.

    >>> F.mse_loss(chainrule.tensor([1., 2.]), chainrule.tensor([1., 4.]))
    tensor(2.)
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    x, t = _pair(input, target, "mse_loss")
    _size_warning(input, target)
    if input._data.dtype.kind != "f" and target._data.dtype.kind != "f":
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{x.type()[6:-6]}'")
    if weight is not None:
        d = x - t
        return _weighted(d * d, weight, reduction, True)
    return MseLoss.apply(x, t, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|``, reduced."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    x, t = _pair(input, target, "l1_loss")
    _size_warning(input, target)
    loss = (x - t).abs()
    if weight is not None:
        return _weighted(loss, weight, reduction, True)
    return _apply_reduction(loss, reduction)


class SmoothL1Loss(Function):
    """Quadratic below ``beta`` (scaled by 1/beta), linear above: smooth_l1 and huber."""
    _array_forward = True
    _node_name = "SmoothL1LossBackward0"

    @staticmethod
    def forward(ctx, x, t, reduction, beta, huber):
        ctx.p = (reduction, beta, huber)
        ctx.save_for_backward(x, t)
        d = x - t
        ad = np.abs(d)
        ctx.n = d.size
        if huber:
            loss = np.where(ad < beta, 0.5 * d * d, beta * (ad - 0.5 * beta))
        else:
            loss = np.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
        return _reduce_array(loss.astype(d.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        reduction, beta, huber = ctx.p
        d = x - t
        dd = d._data
        inside = np.abs(dd) < beta
        lin = np.sign(dd) * (beta if huber else 1.0)
        slope = d * const(inside.astype(dd.dtype) * (1.0 if huber else 1.0 / beta)) + \
            const(np.where(inside, 0, lin).astype(dd.dtype))
        gx = slope * _grad_scale(g, reduction, ctx.n)
        return gx, (-gx if ctx.needs_input_grad[1] else None), None, None, None


class HuberLoss(SmoothL1Loss):
    _node_name = "HuberLossBackward0"


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - beta / 2`` (d = input - target)."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    x, t = _pair(input, target, "smooth_l1_loss")
    _size_warning(input, target)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"\"smooth_l1_cpu\" not implemented for '{x.type()[6:-6]}'")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(x, t, reduction=reduction)
    return SmoothL1Loss.apply(x, t, reduction, float(beta), False)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d**2`` where ``|d| < delta``, else ``delta * (|d| - delta / 2)``."""
    reduction = check_reduction(reduction)
    x, t = _pair(input, target, "huber_loss")
    _size_warning(input, target)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"\"huber_cpu\" not implemented for '{x.type()[6:-6]}'")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(HuberLoss.apply(x, t, "none", float(delta), True), weight, reduction, False)
    return HuberLoss.apply(x, t, reduction, float(delta), True)


# -- classification: nll and cross entropy ----------------------------------------------------------
def _class_args(input, target, weight, ignore_index, fname):
    """Check (N, C, d...) input against (N, d...) integer targets; return flat views and masks."""
    check_tensor(input, fname)
    check_tensor(target, fname, "target", 2)
    xs, ts = tuple(input._data.shape), tuple(target._data.shape)
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.type()[6:-6]}")
    if len(xs) == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if len(xs) == 1:
        if len(ts) != 0:
            raise ValueError(f"Expected input batch_size (1) to match target batch_size ({ts[0] if ts else 1}).")
    elif not ts or xs[0] != ts[0]:
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size "
                         f"({ts[0] if ts else 1}).")
    elif len(xs) == 2 and len(ts) != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif len(xs) > 2 and ts != xs[:1] + xs[2:]:
        if fname == "nll_loss" and len(xs) == 4:
            raise RuntimeError(f"size mismatch (got input: {shape_str(xs)} , target: {shape_str(ts)}")
        raise RuntimeError(f"Expected target size {shape_str(xs[:1] + xs[2:])}, got {shape_str(ts)}")
    C = xs[0] if len(xs) == 1 else xs[1]
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for '{input.type()[6:-6]}'")
    if weight is not None:
        check_tensor(weight, fname, "weight", 3)
        if weight._data.size != C or weight._data.ndim != 1:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                               f"weight tensor of shape: {shape_str(weight.shape)}")
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected scalar type {input.type()[6:-6]} but found {weight.type()[6:-6]}")
        _no_weight_grad(weight, "nll_loss_forward")
    t = target._data.astype(np.int64, copy=False)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
    return C, t, valid


class _ClassTargets:
    """Class-index targets laid out for (N, C, d...) inputs: index, mask and per-element weight."""

    __slots__ = ("idx", "valid", "wt", "w", "denom", "reduction", "smoothing", "C")

    def __init__(self, t, valid, weight, dtype, reduction, smoothing, C):
        self.idx = np.where(valid, t, 0)[:, None]  # (N, 1, d...)
        self.valid = valid[:, None]
        self.w = None if weight is None else weight.astype(dtype, copy=False)
        wt = np.ones(t.shape, dtype) if weight is None else self.w[self.idx[:, 0]]
        self.wt = (wt * valid)[:, None]  # the weight of each element's target, 0 where ignored
        self.denom = self.wt.sum(dtype=dtype)
        self.reduction, self.smoothing, self.C = reduction, smoothing, C

    def weight_shape(self, ndim):
        return (1, -1) + (1,) * (ndim - 2)

    def one_hot_weights(self, shape, dtype):
        """B[n, c, ...] = wt where c is the target, 0 elsewhere."""
        b = np.zeros(shape, dtype)
        np.put_along_axis(b, self.idx, self.wt, axis=1)
        return b

    def finish(self, loss):
        """loss (N, 1, d...) per element -> reduced."""
        loss = loss[:, 0]
        if self.reduction == "none":
            return loss
        s = loss.sum(dtype=loss.dtype)
        if self.reduction == "sum":
            return np.asarray(s)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(s / self.denom, dtype=loss.dtype)

    def scale(self, g):
        """The incoming gradient broadcast against (N, C, d...)."""
        if self.reduction == "none":
            return g.unsqueeze(1)
        if self.reduction == "mean":
            return g / float(self.denom) if self.denom else g * float("nan")
        return g


class NllLoss(Function):
    _array_forward = True
    _node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, tg):
        ctx.tg = tg
        ctx.shape = x.shape
        picked = np.take_along_axis(x, tg.idx, axis=1)
        return tg.finish(-(picked * tg.wt))

    @staticmethod
    def backward(ctx, g):
        tg = ctx.tg
        b = tg.one_hot_weights(ctx.shape, g._data.dtype)
        return tg.scale(g) * const(-b), None


class NllLoss2d(NllLoss):
    _node_name = "NllLoss2DBackward0"


class CrossEntropyLoss(Function):
    """log_softmax over dim 1 and nll in one pass (label smoothing included)."""
    _array_forward = True
    _node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, tg):
        ctx.tg = tg
        ctx.save_for_backward(x)
        m = x.max(axis=1, keepdims=True)
        if not np.all(np.isfinite(m)):
            m = np.where(np.isfinite(m), m, 0)
        z = x - m
        picked = np.take_along_axis(z, tg.idx, axis=1)  # what is needed of z before it becomes exp(z) in place
        eps = tg.smoothing
        if eps:
            w = np.ones(tg.C, x.dtype) if tg.w is None else tg.w
            wsum = w.sum(dtype=x.dtype)
            wz = (z * w.reshape(tg.weight_shape(x.ndim))).sum(axis=1, keepdims=True)
        lse = np.log(np.exp(z, out=z).sum(axis=1, keepdims=True))
        ctx.lse = lse + m
        picked -= lse  # log p of the target
        loss = -(picked * tg.wt)
        if eps:
            # sum_c w_c log p_c = sum_c w_c z_c - lse * sum_c w_c
            smooth = wz - lse * wsum
            loss = (1 - eps) * loss - (eps / tg.C) * smooth * tg.valid
        return tg.finish(loss.astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        tg = ctx.tg
        xa = x._data
        dt = xa.dtype
        eps = tg.smoothing
        # d loss_i / d x_ic = p_ic * A_i - B_ic; without smoothing B is A at the target, 0 elsewhere
        a = tg.wt * (1 - eps)
        b = None
        if eps:
            w = np.ones(tg.C, dt) if tg.w is None else tg.w
            a = a + (eps / tg.C) * w.sum(dtype=dt) * tg.valid
            b = tg.one_hot_weights(xa.shape, dt) * (1 - eps)
            b = (b + (eps / tg.C) * w.reshape(tg.weight_shape(xa.ndim)) * tg.valid).astype(dt, copy=False)
        a = a.astype(dt, copy=False)
        if grad_mode():
            p = ops.softmax(x, 1)
            return tg.scale(g) * (p * const(a) - const(tg.one_hot_weights(xa.shape, dt) if b is None else b)), None
        # On arrays, in place: softmax, times A, minus B (at the targets only, when that is where it lives),
        # times the incoming gradient; the same operations in the same order as the expression above.
        out = np.subtract(xa, ctx.lse)
        np.exp(out, out=out)
        out *= a
        if b is None:
            np.put_along_axis(out, tg.idx, np.take_along_axis(out, tg.idx, axis=1) - a, axis=1)
        else:
            out -= b
        out *= tg.scale(g)._data
        return _make(out), None


_make = Tensor._make


def _unbatch(input, target):
    """Make (C,) inputs with a 0-d target batched."""
    if input._data.ndim == 1:
        return input.unsqueeze(0), target.reshape(1), True
    return input, target, False


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log likelihood of class-index targets given log-probabilities ``input`` (N, C, d...).

    ``mean`` divides by the summed weights of the non-ignored targets.

    >>> F.nll_loss(chainrule.tensor([[-1., -2.]]), chainrule.tensor([1]))
    tensor(2.)
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    C, t, valid = _class_args(input, target, weight, ignore_index, "nll_loss")
    x, _, unb = _unbatch(input, target)
    if unb:
        t, valid = t.reshape(1), valid.reshape(1)
    tg = _ClassTargets(t, valid, None if weight is None else weight._data, x._data.dtype, reduction, 0.0, C)
    out = (NllLoss2d if x._data.ndim == 4 else NllLoss).apply(x, tg)
    return out.squeeze(0) if unb and reduction == "none" else out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between logits ``input`` (N, C, d...) and class indices (N, d...) or class probabilities.

    One fused, stable primitive for index targets (log-sum-exp, then the negative log
    likelihood), with ``weight``, ``ignore_index`` and ``label_smoothing``.

    >>> F.cross_entropy(chainrule.tensor([[0., 0.]]), chainrule.tensor([1]))
    tensor(0.6931)
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    check_tensor(input, "cross_entropy")
    check_tensor(target, "cross_entropy", "target", 2)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target._data.dtype.kind == "f" and target._data.shape == input._data.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    C, t, valid = _class_args(input, target, weight, ignore_index, "cross_entropy")
    x, _, unb = _unbatch(input, target)
    if unb:
        t, valid = t.reshape(1), valid.reshape(1)
    tg = _ClassTargets(t, valid, None if weight is None else weight._data, x._data.dtype, reduction,
                       float(label_smoothing), C)
    out = CrossEntropyLoss.apply(x, tg)
    return out.squeeze(0) if unb and reduction == "none" else out


def _cross_entropy_probs(input, target, weight, reduction, eps):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"log_softmax\" not implemented for '{input.type()[6:-6]}'")
    cdim = 0 if input._data.ndim == 1 else 1
    C = input._data.shape[cdim]
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != C):
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                           f"weight tensor of shape: {shape_str(weight.shape)}")
    logp = ops.log_softmax(input, cdim)
    t = target * (1 - eps) + eps / C if eps else target
    prod = logp * t
    if weight is not None:
        prod = prod * weight.reshape((C,) + (1,) * (input._data.ndim - cdim - 1))
    loss = -prod.sum(cdim)
    if reduction == "mean":
        n = input._data.size // C if C else 0
        return loss.sum() / n if input._data.ndim > 1 else loss
    return _apply_reduction(loss, reduction)


# -- binary cross entropies -------------------------------------------------------------------------
class BinaryCrossEntropy(Function):
    _array_forward = True
    _node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, t, w, reduction):
        ctx.reduction = reduction
        ctx.save_for_backward(x, t, w)
        ctx.n = x.size
        with np.errstate(divide="ignore"):
            lx = np.maximum(np.log(x), -100)
            l1x = np.maximum(np.log1p(-x), -100)
        loss = -(t * lx + (1 - t) * l1x)
        if w is not None:
            loss = loss * w
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w = ctx.saved_tensors
        gs = _grad_scale(g, ctx.reduction, ctx.n)
        if w is not None:
            gs = gs * w
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = gs * (x - t) / ops.clamp_min((1 - x) * x, 1e-12)
        if ctx.needs_input_grad[1]:
            gt = gs * ((1 - x).log() - x.log())  # unclamped, as torch's target gradient
        return gx, gt, None, None


class BinaryCrossEntropyWithLogits(Function):
    _array_forward = True
    _node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, t, w, pw, reduction):
        ctx.reduction = reduction
        ctx.save_for_backward(x, t, w, pw)
        ctx.n = np.broadcast_shapes(x.shape, t.shape)
        ctx.n = int(np.prod(ctx.n))
        sp = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # softplus(-x) = -log sigmoid(x)
        if pw is None:
            loss = (1 - t) * x + sp
        else:
            loss = (1 - t) * x + (1 + (pw - 1) * t) * sp
        if w is not None:
            loss = loss * w
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w, pw = ctx.saved_tensors
        gs = _grad_scale(g, ctx.reduction, ctx.n)
        if w is not None:
            gs = gs * w
        gx = gt = None
        s = ops.sigmoid(x)
        if ctx.needs_input_grad[0]:
            if pw is None:
                gx = gs * (s - t)
            else:
                gx = gs * (s * (1 + (pw - 1) * t) - pw * t)
        if ctx.needs_input_grad[1]:
            from .activation import logsigmoid
            gt = gs * (-x) if pw is None else gs * (-x - (pw - 1) * logsigmoid(x))
        return gx, gt, None, None, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(t log x + (1 - t) log(1 - x))`` with each log clamped at -100, optionally weighted.

    >>> F.binary_cross_entropy(chainrule.tensor([0.5]), chainrule.tensor([1.]))
    tensor(0.6931)
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    check_tensor(input, "binary_cross_entropy")
    check_tensor(target, "binary_cross_entropy", "target", 2)
    if tuple(target._data.shape) != tuple(input._data.shape):
        raise ValueError(f"Using a target size ({target.shape!r}) that is different to the input size "
                         f"({input.shape!r}) is deprecated. Please ensure they have the same size.")
    xd = input._data
    if xd.size and (np.any(xd < 0) or np.any(xd > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    _no_weight_grad(weight, "binary_cross_entropy")
    x, t = promote(input, target)
    w = None
    if weight is not None:
        w = weight if weight._data.dtype == x._data.dtype else weight.to(x.dtype)
        if tuple(w._data.shape) != tuple(x._data.shape):
            w = w.expand(x._data.shape)
    return BinaryCrossEntropy.apply(x, t, w, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from logits.

    ``pos_weight`` multiplies the positive term (broadcast over the last dims).

    >>> F.binary_cross_entropy_with_logits(chainrule.tensor([0.]), chainrule.tensor([1.]))
    tensor(0.6931)
    """
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    check_tensor(input, "binary_cross_entropy_with_logits")
    check_tensor(target, "binary_cross_entropy_with_logits", "target", 2)
    if tuple(target._data.shape) != tuple(input._data.shape):
        raise ValueError(f"Target size ({target.shape!r}) must be the same as input size ({input.shape!r})")
    _no_weight_grad(weight, "binary_cross_entropy_with_logits")
    _no_weight_grad(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    x, t = promote(input, target)
    if x._data.dtype.kind != "f":
        from ... import _dtype
        x, t = x.to(_dtype.get_default_dtype()), t.to(_dtype.get_default_dtype())
    w = None if weight is None else weight.to(x.dtype)
    pw = None if pos_weight is None else pos_weight.to(x.dtype)
    return BinaryCrossEntropyWithLogits.apply(x, t, w, pw, reduction)


# -- compositions -------------------------------------------------------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence ``target * (log target - input)`` with ``input`` given as log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL).
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t == 0 (the log's argument is made 1 there, so no nan reaches a gradient)
        safe = ops.where(target > 0, target, ops.ones_like(target))
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _apply_reduction(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` for target 1, ``max(0, cos(x1, x2) - margin)`` for target -1."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if input1.dim() != input2.dim():
        raise RuntimeError(f"cosine_embedding_loss(): input1 and input2 must have the same number of dimensions, but "
                           f"got {input1.dim()} and {input2.dim()}")
    dim = input1.dim() - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + eps
    m2 = (input2 * input2).sum(dim) + eps
    cos = prod / (m1 * m2).sqrt()
    zeros = ops.zeros_like(cos)
    pos = 1 - cos
    neg = ops.clamp_min(cos - margin, 0)
    loss = ops.where(target == 1, pos, zeros) + ops.where(target == -1, neg, zeros)
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape!r}, input2: {input2.shape!r}, target: {target.shape!r} ")
    loss = ops.clamp_min(-target * (input1 - input2) + margin, 0)
    return _apply_reduction(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` where target is 1, ``max(0, margin - x)`` where target is -1."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    zeros = ops.zeros_like(input)
    margin_clamp = ops.where(target != 1, ops.clamp_min(margin - input, 0), zeros)
    output_margin = ops.where(target != -1, input, zeros)
    return _apply_reduction(output_margin + margin_clamp, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))``."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    from .activation import softplus
    return _apply_reduction(softplus(-target * input), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the pairwise p-norm distance."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    from .distance import pairwise_distance
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction(ops.clamp_min(margin + d_pos - d_neg, 0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """``triplet_margin_loss`` with any distance function (pairwise L2 by default)."""
    reduction = check_reduction(reduction)
    from .distance import pairwise_distance
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, dist(positive, negative))
    return _apply_reduction(ops.clamp_min(margin + d_pos - d_neg, 0), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log likelihood: ``exp(x) - t * x`` (log_input) or ``x - t * log(x + eps)``."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target
        stirling = t * t.log() - t + 0.5 * (2 * np.pi * t).log()
        loss = loss + ops.where(t > 1, stirling, ops.zeros_like(stirling))
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log likelihood ``0.5 * (log var + (input - target)**2 / var)`` (+ const if full)."""
    reduction = check_reduction(reduction)
    if not isinstance(var, Tensor):
        var = ops.full_like(input, float(var))
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    # clamped without changing the gradient (torch clamps a clone in place under no_grad)
    var = var + const(np.maximum(var._data, eps) - var._data)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _apply_reduction(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-class hinge loss: ``sum_{j != y} max(0, margin - x[y] + x[j]) ** p / C``."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    t = target.reshape(-1, 1)
    C = x.shape[1]
    xy = x.gather(1, t)
    z = ops.clamp_min(margin - xy + x, 0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t]
    mask = const((np.arange(C)[None, :] != t._data).astype(x._data.dtype))
    loss = (z * mask).sum(1) / C
    if input.dim() == 1:
        loss = loss.reshape(())
    return _apply_reduction(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss; ``target`` lists class indices per sample, ended by -1."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    x = input if input.dim() == 2 else input.reshape(1, -1)
    t = target._data.reshape(x.shape)
    N, C = x.shape
    is_target = np.zeros((N, C), dtype=bool)
    rows, cols = [], []
    for n in range(N):
        for c in t[n]:
            if c < 0:
                break
            is_target[n, c] = True
            rows.append(n)
            cols.append(c)
    if not rows:
        loss = ops.zeros(N, dtype=x.dtype)
    else:
        r, c = np.asarray(rows), np.asarray(cols)
        xt = x[r, c].unsqueeze(1)
        z = ops.clamp_min(1 - (xt - x[r]), 0) * const((~is_target[r]).astype(x._data.dtype))
        loss = ops.zeros(N, dtype=x.dtype).index_add(0, ops.tensor(r), z.sum(1)) / C
    if input.dim() == 1:
        loss = loss.reshape(())
    return _apply_reduction(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-mean_c (t log sigmoid(x) + (1 - t) log sigmoid(-x))`` per sample."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    from .activation import logsigmoid
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.dim() - 1) / input.shape[-1]
    return _apply_reduction(loss, reduction)
