"""nn.functional losses against torch: every reduction, values and gradients (1st, 2nd order), errors."""
import warnings

import numpy as np
import pytest

import chainrule as C
from opcheck import check_op, check_parity, same_as_torch

rng = np.random.default_rng(4)
X, T = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
W5 = rng.random(5) + 0.2
TGT = np.array([1, 4, 0])
P = rng.random((3, 5)) + 0.3
P /= P.sum(1, keepdims=True)
PR = rng.random((3, 5)) * 0.9 + 0.05  # probabilities away from 0 and 1
TB = rng.random((3, 5))
X4, T4 = rng.standard_normal((2, 3, 2, 2)), rng.integers(0, 3, (2, 2, 2))
Y = np.array([1., -1., 1.])
REDUCTIONS = ["mean", "sum", "none"]


def _t(L, a, like):
    return L.tensor(a, dtype=like.dtype)


REGRESSION = {
    "mse": lambda r: lambda L, x, t: L.nn.functional.mse_loss(x, t, reduction=r),
    "mse_weight": lambda r: lambda L, x, t: L.nn.functional.mse_loss(x, t, reduction=r, weight=_t(L, TB, x)),
    "l1": lambda r: lambda L, x, t: L.nn.functional.l1_loss(x, t, reduction=r),
    "l1_weight": lambda r: lambda L, x, t: L.nn.functional.l1_loss(x, t, reduction=r, weight=_t(L, TB, x)),
    "smooth_l1": lambda r: lambda L, x, t: L.nn.functional.smooth_l1_loss(x, t, reduction=r, beta=0.7),
    "smooth_l1_beta0": lambda r: lambda L, x, t: L.nn.functional.smooth_l1_loss(x, t, reduction=r, beta=0.0),
    "huber": lambda r: lambda L, x, t: L.nn.functional.huber_loss(x, t, reduction=r, delta=0.7),
    "huber_weight": lambda r: lambda L, x, t: L.nn.functional.huber_loss(x, t, reduction=r, weight=_t(L, TB, x)),
    "soft_margin": lambda r: lambda L, x, t: L.nn.functional.soft_margin_loss(x, _t(L, np.sign(T), x), reduction=r),
    "hinge_embedding": lambda r: lambda L, x, t: L.nn.functional.hinge_embedding_loss(x, _t(L, np.sign(T), x),
                                                                                      margin=0.5, reduction=r),
    "poisson_nll": lambda r: lambda L, x, t: L.nn.functional.poisson_nll_loss(x, t.abs(), reduction=r),
    "multilabel_soft_margin": lambda r: lambda L, x, t: L.nn.functional.multilabel_soft_margin_loss(
        x, _t(L, (TB > 0.5) * 1.0, x), reduction=r),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", REGRESSION)
def test_pointwise_losses(name, reduction):
    check_op(REGRESSION[name](reduction), X, T)


def test_mse_broadcasts_with_a_warning_like_torch():
    with pytest.warns(UserWarning, match="Using a target size"):
        check_parity(lambda L, x, t: L.nn.functional.mse_loss(x, t), X, T[:, :1])


CLASSIFICATION = {
    "ce": lambda r: lambda L, x: L.nn.functional.cross_entropy(x, L.tensor(TGT), reduction=r),
    "ce_smooth": lambda r: lambda L, x: L.nn.functional.cross_entropy(x, L.tensor(TGT), reduction=r,
                                                                      label_smoothing=0.2),
    "ce_weight_ignore": lambda r: lambda L, x: L.nn.functional.cross_entropy(
        x, L.tensor(TGT), weight=_t(L, W5, x), reduction=r, ignore_index=4),
    "ce_weight_ignore_smooth": lambda r: lambda L, x: L.nn.functional.cross_entropy(
        x, L.tensor(TGT), weight=_t(L, W5, x), reduction=r, label_smoothing=0.3, ignore_index=4),
    "ce_unbatched": lambda r: lambda L, x: L.nn.functional.cross_entropy(x[0], L.tensor(2), reduction=r),
    "ce_3d": lambda r: lambda L, x: L.nn.functional.cross_entropy(x.reshape(1, 5, 3), L.tensor([[1, 4, 0]]),
                                                                  reduction=r),
    "nll": lambda r: lambda L, x: L.nn.functional.nll_loss(x, L.tensor(TGT), reduction=r),
    "nll_weight_ignore": lambda r: lambda L, x: L.nn.functional.nll_loss(x, L.tensor(TGT), weight=_t(L, W5, x),
                                                                         reduction=r, ignore_index=0),
    "multi_margin": lambda r: lambda L, x: L.nn.functional.multi_margin_loss(x, L.tensor(TGT), reduction=r),
    "multi_margin_p2": lambda r: lambda L, x: L.nn.functional.multi_margin_loss(
        x, L.tensor(TGT), p=2, margin=0.5, weight=_t(L, W5, x), reduction=r),
    "multilabel_margin": lambda r: lambda L, x: L.nn.functional.multilabel_margin_loss(
        x, L.tensor([[1, 4, -1, 0, 0], [0, -1, 2, 2, 2], [3, 2, 1, 0, 4]]), reduction=r),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_losses(name, reduction):
    check_op(CLASSIFICATION[name](reduction), X)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_and_nll_nd(reduction):
    check_op(lambda L, x: L.nn.functional.cross_entropy(x, L.tensor(T4), weight=_t(L, W5[:3], x), reduction=reduction,
                                                        label_smoothing=0.1, ignore_index=1), X4)
    check_op(lambda L, x: L.nn.functional.cross_entropy(x, L.tensor(T4), weight=_t(L, W5[:3], x), reduction=reduction,
                                                        ignore_index=1), X4)
    check_op(lambda L, x: L.nn.functional.nll_loss(x, L.tensor(T4), reduction=reduction), X4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(reduction):
    check_op(lambda L, x, p: L.nn.functional.cross_entropy(x, p, reduction=reduction), X, P)
    check_op(lambda L, x, p: L.nn.functional.cross_entropy(x, p, weight=_t(L, W5, x), label_smoothing=0.1,
                                                           reduction=reduction), X, P)
    check_op(lambda L, x, p: L.nn.functional.cross_entropy(x, p, reduction=reduction), X4, X4.clip(0, 1))


def test_cross_entropy_all_ignored_and_extreme_logits():
    same_as_torch(lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 1, 1]), ignore_index=1))
    big = np.array([[1000., -1000., 0.], [-1e4, 1e4, 3.]])
    check_parity(lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([1, 0])), big)
    check_parity(lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([1, 0]), label_smoothing=0.1), big)


def test_cross_entropy_grad_fn_name_and_uint8_target():
    x = C.randn(3, 5, requires_grad=True)
    assert C.nn.functional.cross_entropy(x, C.tensor(TGT)).grad_fn.name() == "NllLossBackward0"
    same_as_torch(lambda L: L.nn.functional.cross_entropy(L.tensor(X), L.tensor(TGT, dtype=L.uint8)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropies(reduction):
    check_op(lambda L, x, t: L.nn.functional.binary_cross_entropy(x, t, reduction=reduction), PR, TB)
    check_op(lambda L, x, t: L.nn.functional.binary_cross_entropy(x, t, weight=_t(L, W5, x), reduction=reduction),
             PR, TB)
    check_op(lambda L, x, t: L.nn.functional.binary_cross_entropy_with_logits(x, t, reduction=reduction), X, TB)
    check_op(lambda L, x, t: L.nn.functional.binary_cross_entropy_with_logits(
        x, t, weight=_t(L, W5, x), pos_weight=_t(L, W5[::-1].copy(), x), reduction=reduction), X, TB)


def test_binary_cross_entropy_log_clamp_and_extreme_logits():
    # log(0) is clamped at -100 and the gradient's denominator at 1e-12, as in torch
    check_parity(lambda L, x, t: L.nn.functional.binary_cross_entropy(x, t, reduction="none"),
                 np.array([0., 1., 0.5, 1e-30]), np.array([1., 0., 0.3, 1.]), atol=1e-3, rtol=1e-5)
    check_parity(lambda L, x, t: L.nn.functional.binary_cross_entropy_with_logits(x, t),
                 np.array([-200., 200., 30., -30.]), np.array([1., 0., 0.3, 1.]))


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div(reduction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda L, x, t: L.nn.functional.kl_div(x, t, reduction=reduction), np.log(P[::-1].copy()), P)
        check_op(lambda L, x, t: L.nn.functional.kl_div(x, t, reduction=reduction, log_target=True),
                 np.log(P[::-1].copy()), np.log(P))
    # zeros in the target contribute 0 (xlogy); its gradient there is left out (torch: nan)
    check_parity(lambda L, x: L.nn.functional.kl_div(x, _t(L, P * (TB > 0.5), x), reduction="sum"), np.log(P))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_and_triplet_losses(reduction):
    Z = rng.standard_normal((3, 5))
    check_op(lambda L, a, b: L.nn.functional.cosine_embedding_loss(a, b, _t(L, Y, a), margin=0.2,
                                                                   reduction=reduction), X, T)
    check_op(lambda L, a, b: L.nn.functional.margin_ranking_loss(a, b, _t(L, Y, a), margin=0.2,
                                                                 reduction=reduction), X[:, 0], T[:, 0])
    check_op(lambda L, a, b, c: L.nn.functional.triplet_margin_loss(a, b, c, margin=2., reduction=reduction), X, T, Z)
    check_op(lambda L, a, b, c: L.nn.functional.triplet_margin_loss(a, b, c, p=1, swap=True, reduction=reduction),
             X, T, Z)
    check_op(lambda L, a, b, c: L.nn.functional.triplet_margin_with_distance_loss(a, b, c, reduction=reduction),
             X, T, Z)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_likelihood_losses(reduction):
    check_op(lambda L, a, b: L.nn.functional.poisson_nll_loss(a, b, log_input=False, full=True, reduction=reduction),
             PR + 0.5, TB * 3)
    check_op(lambda L, a, b, v: L.nn.functional.gaussian_nll_loss(a, b, v, reduction=reduction), X, T, TB + 0.1)
    check_op(lambda L, a, b, v: L.nn.functional.gaussian_nll_loss(a, b, v, full=True, reduction=reduction),
             X, T, TB[:, :1] + 0.1)
    check_parity(lambda L, a, b, v: L.nn.functional.gaussian_nll_loss(a, b, v, eps=0.3, reduction=reduction),
                 X, T, TB)


def test_loss_grad_fn_names():
    def names(L):
        x = L.tensor(X, requires_grad=True)
        t = L.tensor(T)
        p = L.tensor(PR, requires_grad=True)
        F = L.nn.functional
        out = [F.mse_loss(x, t), F.smooth_l1_loss(x, t), F.huber_loss(x, t), F.nll_loss(x, L.tensor(TGT)),
               F.nll_loss(L.tensor(X4, requires_grad=True), L.tensor(T4)), F.binary_cross_entropy(p, L.tensor(TB)),
               F.binary_cross_entropy_with_logits(x, L.tensor(TB)), F.mse_loss(x, t, reduction="none")]
        return [o.grad_fn.name() for o in out]
    same_as_torch(names)


LOSS_ERRORS = [
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 2])),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 2, 5])),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 2, -1])),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1., 2., 3.])),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 2, 3]), weight=L.ones(4)),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 2, 3], dtype=L.int32)),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([[1, 2, 3]])),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5, 2), L.zeros(3, 3, dtype=L.long)),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 2, 3]), label_smoothing=1.5),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 2, 3]), reduction="foo"),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5, dtype=L.float64), L.tensor([1, 2, 3]), weight=L.ones(5)),
    lambda L: L.nn.functional.nll_loss(L.randn(3, 5), L.tensor([1, 2, 7])),
    lambda L: L.nn.functional.nll_loss(L.randn(3, 5), L.tensor([1, 2])),
    lambda L: L.nn.functional.nll_loss(L.randn(3, 5, 2, 2), L.zeros(3, 2, 3, dtype=L.long)),
    lambda L: L.nn.functional.nll_loss(L.tensor([[1, 2]]), L.tensor([1])),
    lambda L: L.nn.functional.nll_loss(L.randn(3, 5), L.tensor([1, 2, 3]), weight=L.ones(5, requires_grad=True)),
    lambda L: L.nn.functional.mse_loss(L.randn(3, 5), L.randn(4, 1)),
    lambda L: L.nn.functional.mse_loss(L.randn(3, 5), L.randn(3, 5), weight=L.rand(5)),
    lambda L: L.nn.functional.binary_cross_entropy(L.rand(3), L.rand(4)),
    lambda L: L.nn.functional.binary_cross_entropy(L.tensor([1.5, 0.5]), L.rand(2)),
    lambda L: L.nn.functional.binary_cross_entropy(L.rand(3), L.rand(3), weight=L.rand(3, requires_grad=True)),
    lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.rand(3), L.rand(4)),
    lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.rand(3), L.rand(3),
                                                               pos_weight=L.rand(3, requires_grad=True)),
    lambda L: L.nn.functional.kl_div(L.randn(3), L.rand(3), reduction="foo"),
    lambda L: L.nn.functional.mse_loss(L.tensor([1, 2]), L.tensor([2, 4])),
    lambda L: L.nn.functional.smooth_l1_loss(L.tensor([1, 2]), L.tensor([2, 4])),
    lambda L: L.nn.functional.huber_loss(L.tensor([1, 2]), L.tensor([2, 4])),
    lambda L: L.nn.functional.mse_loss(L.tensor([1, 2]), L.tensor([2., 4.])),
    lambda L: L.nn.functional.l1_loss(L.tensor([1., 2.]), L.tensor([2., 3.], dtype=L.float64)),
]


@pytest.mark.parametrize("fn", LOSS_ERRORS)
def test_loss_errors_match_torch(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_as_torch(fn)


def test_legacy_size_average_reduce():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        check_parity(lambda L, x, t: L.nn.functional.mse_loss(x, t, size_average=False), X, T)
    with pytest.warns(UserWarning):
        check_parity(lambda L, x: L.nn.functional.cross_entropy(x, L.tensor(TGT), reduce=False), X)
