"""nn.functional attention, resampling, padding, distances and the namespace itself, against torch."""
import numpy as np
import pytest

import chainrule as C
from opcheck import check_op, check_parity, same_as_torch, torch

rng = np.random.default_rng(5)


def _a(*shape):
    return rng.standard_normal(shape)


# -- scaled_dot_product_attention ------------------------------------------------------------------------
Q, K, V = _a(2, 3, 4), _a(2, 5, 4), _a(2, 5, 3)
BOOL_MASK = rng.random((3, 5)) > 0.3
BOOL_MASK[1] = False  # a row that may attend to nothing gives zeros
FLOAT_MASK = _a(2, 3, 5)

SDPA = {
    "plain": dict(),
    "causal": dict(is_causal=True),
    "scale": dict(scale=0.3),
    "bool_mask": dict(attn_mask=BOOL_MASK),
    "float_mask": dict(attn_mask=FLOAT_MASK),
}


@pytest.mark.parametrize("name", SDPA)
def test_scaled_dot_product_attention(name):
    kw = dict(SDPA[name])

    def fn(L, q, k, v):
        extra = dict(kw)
        if "attn_mask" in extra:
            m = extra["attn_mask"]
            extra["attn_mask"] = L.tensor(m) if m.dtype == bool else L.tensor(m, dtype=q.dtype)
        return L.nn.functional.scaled_dot_product_attention(q, k, v, **extra)
    check_op(fn, Q, K, V)


def test_sdpa_heads_gqa_and_dropout():
    q4, k4 = _a(1, 4, 3, 2), _a(1, 2, 3, 2)
    check_op(lambda L, q, k, v: L.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True), q4, k4, k4)

    def run(L):
        L.manual_seed(0)
        q = L.tensor(Q, requires_grad=True)
        y = L.nn.functional.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
        return y, L.autograd.grad(y.sum(), q)[0]
    same_as_torch(run, tol=1e-8)


@pytest.mark.parametrize("fn", [
    lambda L: L.nn.functional.scaled_dot_product_attention(L.randn(2, 3, 4), L.randn(2, 3, 3), L.randn(2, 3, 4)),
    lambda L: L.nn.functional.scaled_dot_product_attention(L.randn(2, 3, 4, requires_grad=True), L.randn(2, 3, 4),
                                                           L.randn(2, 3, 4), attn_mask=L.ones(3, 3, dtype=L.bool),
                                                           is_causal=True),
])
def test_sdpa_errors(fn):
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises(RuntimeError):
        fn(C)


# -- interpolate -------------------------------------------------------------------------------------------
SIZES = [dict(scale_factor=2), dict(size=(5, 7)), dict(size=(2, 3)), dict(scale_factor=1.7),
         dict(scale_factor=(0.6, 2.5)), dict(scale_factor=1.7, recompute_scale_factor=True)]
MODES = [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True), ("bicubic", False),
         ("bicubic", True)]


@pytest.mark.parametrize("kw", SIZES, ids=str)
@pytest.mark.parametrize("mode,ac", MODES, ids=str)
def test_interpolate_2d(mode, ac, kw):
    check_op(lambda L, x: L.nn.functional.interpolate(x, mode=mode, align_corners=ac, **kw), _a(1, 2, 3, 4))


def test_interpolate_1d_3d_area_and_names():
    x = _a(1, 2, 5)
    check_op(lambda L, x: L.nn.functional.interpolate(x, scale_factor=2.5, mode="linear", align_corners=True), x)
    check_op(lambda L, x: L.nn.functional.interpolate(x, size=7, mode="linear"), x)
    check_op(lambda L, x: L.nn.functional.interpolate(x, size=3), x)
    check_op(lambda L, x: L.nn.functional.interpolate(x, size=(2, 3, 5), mode="trilinear"), _a(1, 1, 2, 2, 3))
    check_op(lambda L, x: L.nn.functional.interpolate(x, size=(2, 3), mode="area"), _a(1, 2, 5, 4))
    check_op(lambda L, x: L.nn.functional.interpolate(x, size=3, mode="area"), x)

    def names(L):
        t = L.tensor(_a(1, 1, 3, 3), requires_grad=True)
        return [L.nn.functional.interpolate(t, scale_factor=2, mode=m).grad_fn.name()
                for m in ("nearest", "nearest-exact", "bilinear", "bicubic")]
    same_as_torch(names)


def test_interpolate_larger_matches_torch():
    x = _a(2, 3, 17, 13)
    for mode, ac in MODES:
        check_parity(lambda L, x: L.nn.functional.interpolate(x, size=(30, 9), mode=mode, align_corners=ac), x)


INTERP_ERRORS = [
    lambda L: L.nn.functional.interpolate(L.randn(1, 2, 4, 5)),
    lambda L: L.nn.functional.interpolate(L.randn(1, 2, 4, 5), size=3, scale_factor=2),
    lambda L: L.nn.functional.interpolate(L.randn(1, 2, 4, 5), size=(3,)),
    lambda L: L.nn.functional.interpolate(L.randn(1, 2, 4, 5), size=3, mode="linear"),
    lambda L: L.nn.functional.interpolate(L.randn(1, 2, 4, 5), size=3, align_corners=True),
    lambda L: L.nn.functional.interpolate(L.randn(1, 2, 4, 5), size=3, mode="foo"),
    lambda L: L.nn.functional.interpolate(L.randn(1, 2, 4, 5), scale_factor=(2, 3, 4)),
    lambda L: L.nn.functional.interpolate(L.randn(1, 2, 4, 5), scale_factor=0.1),
    lambda L: L.nn.functional.interpolate(L.randn(4, 5), scale_factor=2),
    lambda L: L.nn.functional.pixel_shuffle(L.randn(1, 2, 4, 5), 2),
    lambda L: L.nn.functional.pixel_unshuffle(L.randn(1, 2, 4, 5), 2),
]


@pytest.mark.parametrize("fn", INTERP_ERRORS)
def test_resampling_errors_match_torch(fn):
    same_as_torch(fn)


# -- pad, pixel shuffle --------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad(mode):
    check_op(lambda L, x: L.nn.functional.pad(x, (1, 2, 2, 1), mode=mode), _a(1, 2, 3, 4))
    if mode == "constant":
        check_op(lambda L, x: L.nn.functional.pad(x, (1, -1, 0, 2), value=2.5), _a(2, 3, 4))


def test_pixel_shuffle_unshuffle_channel_shuffle():
    check_op(lambda L, x: L.nn.functional.pixel_shuffle(x, 2), _a(1, 8, 2, 3))
    check_op(lambda L, x: L.nn.functional.pixel_unshuffle(x, 2), _a(2, 4, 6))
    check_op(lambda L, x: L.nn.functional.channel_shuffle(x, 2), _a(1, 4, 2, 3))


# -- distances -----------------------------------------------------------------------------------------------
X, T = _a(3, 5), _a(3, 5)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity(dim):
    check_op(lambda L, a, b: L.nn.functional.cosine_similarity(a, b, dim), X, T)


def test_cosine_similarity_broadcast_and_eps():
    check_op(lambda L, a, b: L.nn.functional.cosine_similarity(a, b), X, T[:1])
    # below eps the norm is clamped in value only (torch's gradient ignores the clamp): parity only
    check_parity(lambda L, a, b: L.nn.functional.cosine_similarity(a, b, eps=0.5), X * 0.1, T * 0.1)
    check_parity(lambda L, a, b: L.nn.functional.cosine_similarity(a, b, eps=0.5), X * 0.1, T * 0.1,
                 dtype=np.float64, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5])
def test_pairwise_distance(p):
    check_op(lambda L, a, b: L.nn.functional.pairwise_distance(a, b, p), X, T)


def test_pairwise_distance_keepdim_and_pdist():
    check_op(lambda L, a, b: L.nn.functional.pairwise_distance(a, b, keepdim=True), X, T[0])
    check_op(lambda L, a: L.nn.functional.pdist(a), X)
    check_op(lambda L, a: L.nn.functional.pdist(a, 1), X)


# -- the namespace ---------------------------------------------------------------------------------------------
def test_namespace_covers_torch_functional():
    wanted = """linear bilinear conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d max_pool1d
    max_pool2d max_pool3d avg_pool1d avg_pool2d avg_pool3d adaptive_avg_pool1d adaptive_avg_pool2d
    adaptive_max_pool1d adaptive_max_pool2d lp_pool1d lp_pool2d batch_norm layer_norm group_norm rms_norm
    instance_norm local_response_norm normalize dropout dropout1d dropout2d dropout3d alpha_dropout
    feature_alpha_dropout embedding one_hot relu relu_ relu6 gelu silu tanh sigmoid softmax log_softmax softmin
    leaky_relu leaky_relu_ elu elu_ selu celu softplus mish hardtanh hardtanh_ hardsigmoid hardswish logsigmoid
    softsign tanhshrink threshold threshold_ glu prelu rrelu softshrink hardshrink gumbel_softmax pad interpolate
    upsample upsample_nearest upsample_bilinear unfold fold pixel_shuffle pixel_unshuffle channel_shuffle
    cosine_similarity pairwise_distance pdist scaled_dot_product_attention mse_loss l1_loss smooth_l1_loss
    huber_loss cross_entropy nll_loss binary_cross_entropy binary_cross_entropy_with_logits kl_div
    cosine_embedding_loss margin_ranking_loss hinge_embedding_loss soft_margin_loss triplet_margin_loss
    triplet_margin_with_distance_loss poisson_nll_loss gaussian_nll_loss multi_margin_loss multilabel_margin_loss
    multilabel_soft_margin_loss""".split()
    F = C.nn.functional
    missing = [n for n in wanted if not callable(getattr(F, n, None))]
    assert not missing
    assert set(wanted) <= set(F.__all__)
    assert all(hasattr(torch.nn.functional, n) for n in wanted)
