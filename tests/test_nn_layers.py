"""Linear, convolution, pooling, embedding and reshaping layers against torch."""
import warnings

import numpy as np
import pytest
import torch

import chainrule
from layercheck import LIBS, build, check_init, check_layer, normal_is_exact, same_outcome

R = np.random.default_rng(0)


def randn(*shape):
    return R.standard_normal(shape)


# -- initialisation: same seed, same bits, same repr ---------------------------------------------------
INIT = [
    lambda lib: lib.nn.Linear(784, 512),
    lambda lib: lib.nn.Linear(5, 3, bias=False),
    lambda lib: lib.nn.Linear(4, 3, dtype=lib.float64),
    lambda lib: lib.nn.Linear(0, 3),
    lambda lib: lib.nn.Bilinear(3, 4, 5),
    lambda lib: lib.nn.Bilinear(3, 4, 5, bias=False),
    lambda lib: lib.nn.Identity(54, unused=True),
    lambda lib: lib.nn.Conv1d(3, 4, 3),
    lambda lib: lib.nn.Conv1d(4, 6, 2, stride=2, padding=1, dilation=2, groups=2, bias=False),
    lambda lib: lib.nn.Conv2d(3, 8, 3),
    lambda lib: lib.nn.Conv2d(4, 8, (3, 2), stride=(2, 1), padding=(1, 0), groups=4, padding_mode="reflect"),
    lambda lib: lib.nn.Conv2d(3, 6, 3, padding="same", dilation=2, padding_mode="circular"),
    lambda lib: lib.nn.Conv2d(3, 6, 3, padding="valid", padding_mode="replicate", dtype=lib.float64),
    lambda lib: lib.nn.Conv3d(2, 4, 2),
    lambda lib: lib.nn.ConvTranspose1d(3, 4, 3, stride=2),
    lambda lib: lib.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
    lambda lib: lib.nn.ConvTranspose2d(3, 2, (2, 3), bias=False, dilation=2),
    lambda lib: lib.nn.ConvTranspose3d(2, 2, 2),
    lambda lib: lib.nn.PReLU(),
    lambda lib: lib.nn.PReLU(3, init=0.1),
    lambda lib: lib.nn.Flatten(),
    lambda lib: lib.nn.Unflatten(1, (2, 5)),
    lambda lib: lib.nn.Unflatten(-1, [2, -1]),
    lambda lib: lib.nn.MaxPool1d(2),
    lambda lib: lib.nn.MaxPool2d(3, 1, 1, return_indices=True, ceil_mode=True),
    lambda lib: lib.nn.MaxPool3d((1, 2, 2), dilation=2),
    lambda lib: lib.nn.AvgPool1d(3, 2, 1),
    lambda lib: lib.nn.AvgPool2d(2),
    lambda lib: lib.nn.AvgPool2d((2, 3), None, 1, True, False, 2),
    lambda lib: lib.nn.AvgPool3d(2),
    lambda lib: lib.nn.LPPool1d(1.5, 2, 1),
    lambda lib: lib.nn.LPPool2d(2, 3),
    lambda lib: lib.nn.AdaptiveAvgPool1d(3),
    lambda lib: lib.nn.AdaptiveAvgPool2d((3, None)),
    lambda lib: lib.nn.AdaptiveMaxPool1d(2, True),
    lambda lib: lib.nn.AdaptiveMaxPool2d(2),
    lambda lib: lib.nn.ZeroPad1d((1, 2)),
    lambda lib: lib.nn.ZeroPad2d(1),
    lambda lib: lib.nn.ZeroPad3d(1),
    lambda lib: lib.nn.ConstantPad1d(2, 0),
    lambda lib: lib.nn.ConstantPad2d((1, 0, 2, 1), 3.5),
    lambda lib: lib.nn.ConstantPad3d(1, -1.0),
    lambda lib: lib.nn.ReflectionPad1d(2),
    lambda lib: lib.nn.ReflectionPad2d((1, 0, 2, 1)),
    lambda lib: lib.nn.ReflectionPad3d(1),
    lambda lib: lib.nn.ReplicationPad1d((1, 0)),
    lambda lib: lib.nn.ReplicationPad2d(2),
    lambda lib: lib.nn.ReplicationPad3d(1),
    lambda lib: lib.nn.CircularPad1d(1),
    lambda lib: lib.nn.CircularPad2d((1, 2, 0, 1)),
    lambda lib: lib.nn.CircularPad3d(1),
    lambda lib: lib.nn.Upsample(scale_factor=2),
    lambda lib: lib.nn.Upsample(size=(3, 4), mode="bilinear"),
    lambda lib: lib.nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=True),
    lambda lib: lib.nn.UpsamplingNearest2d(scale_factor=2),
    lambda lib: lib.nn.UpsamplingBilinear2d(size=4),
    lambda lib: lib.nn.PixelShuffle(2),
    lambda lib: lib.nn.PixelUnshuffle(3),
    lambda lib: lib.nn.ChannelShuffle(2),
    lambda lib: lib.nn.Fold((4, 5), 2),
    lambda lib: lib.nn.Unfold(2, padding=1),
    lambda lib: lib.nn.CosineSimilarity(),
    lambda lib: lib.nn.PairwiseDistance(p=1.0, keepdim=True),
]


@pytest.mark.parametrize("ctor", INIT)
def test_init_and_repr(ctor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Linear(0, 3) warns about a zero-element init, in both
        check_init(ctor)


# Embedding draws N(0, 1): bit for bit wherever chainrule's normal_ is (ops/random.py), else within 1 ulp.
EMBEDDING_INIT = [
    ((10, 3), "float32", lambda lib: lib.nn.Embedding(10, 3)),
    ((3, 4), "float32", lambda lib: lib.nn.Embedding(3, 4, padding_idx=1)),
    ((10, 3), "float32",
     lambda lib: lib.nn.Embedding(10, 3, padding_idx=-2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)),
    ((7, 4), "float64", lambda lib: lib.nn.Embedding(7, 4, padding_idx=0, dtype=lib.float64)),
    ((2, 3), "float32", lambda lib: lib.nn.Embedding(2, 3, sparse=True)),
]


@pytest.mark.parametrize("case", EMBEDDING_INIT)
def test_embedding_init_and_repr(case):
    shape, dtype, ctor = case
    check_init(ctor, exact=normal_is_exact(shape, dtype))


def test_init_order_across_modules():
    """Several layers built in sequence consume the generator exactly as torch's do."""
    def net(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(36, 10), nn.Embedding(3, 2),
                             nn.Bilinear(2, 2, 3), nn.ConvTranspose2d(4, 2, 2), nn.PReLU())
    check_init(net, seed=123)


def test_state_dict_round_trip_into_torch():
    cm, tm = build(lambda lib: lib.nn.Conv2d(2, 3, 3, groups=1))
    with chainrule.no_grad():
        cm.weight.mul_(2)
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in cm.state_dict().items()})
    assert np.array_equal(tm.weight.detach().numpy(), cm.weight.detach().numpy())


# -- forward and backward against torch ------------------------------------------------------------------
LAYERS = [
    (lambda lib: lib.nn.Linear(5, 3), (randn(4, 5),)),
    (lambda lib: lib.nn.Linear(5, 3, bias=False), (randn(2, 3, 5),)),
    (lambda lib: lib.nn.Linear(5, 3), (randn(5),)),
    (lambda lib: lib.nn.Bilinear(3, 4, 2), (randn(5, 3), randn(5, 4))),
    (lambda lib: lib.nn.Bilinear(3, 4, 2, bias=False), (randn(2, 5, 3), randn(2, 5, 4))),
    (lambda lib: lib.nn.Identity(), (randn(3, 2),)),
    (lambda lib: lib.nn.Conv1d(3, 4, 3), (randn(2, 3, 7),)),
    (lambda lib: lib.nn.Conv1d(4, 6, 2, stride=2, padding=1, dilation=2, groups=2, bias=False), (randn(2, 4, 9),)),
    (lambda lib: lib.nn.Conv1d(2, 2, 3, padding="same", padding_mode="circular"), (randn(2, 6),)),
    (lambda lib: lib.nn.Conv1d(2, 3, 4, padding="same"), (randn(2, 2, 6),)),
    (lambda lib: lib.nn.Conv1d(2, 3, 2, padding="same", dilation=3, padding_mode="replicate"), (randn(2, 2, 7),)),
    (lambda lib: lib.nn.Conv2d(3, 4, 3), (randn(2, 3, 6, 5),)),
    (lambda lib: lib.nn.Conv2d(3, 4, 3, stride=2, padding=1), (randn(2, 3, 6, 5),)),
    (lambda lib: lib.nn.Conv2d(4, 4, (3, 2), padding=(1, 2), dilation=(2, 1), groups=2), (randn(1, 4, 6, 5),)),
    (lambda lib: lib.nn.Conv2d(3, 4, (3, 4), padding="same", dilation=(1, 2)), (randn(2, 3, 6, 7),)),
    (lambda lib: lib.nn.Conv2d(3, 4, 3, padding="valid"), (randn(3, 5, 5),)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (randn(2, 2, 5, 4),)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="replicate", stride=2), (randn(2, 2, 5, 4),)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"), (randn(2, 2, 5, 4),)),
    (lambda lib: lib.nn.Conv2d(2, 2, (2, 4), padding="same", padding_mode="reflect"), (randn(1, 2, 5, 6),)),
    (lambda lib: lib.nn.Conv3d(2, 3, 2, padding=1), (randn(1, 2, 3, 4, 3),)),
    (lambda lib: lib.nn.ConvTranspose1d(3, 2, 3, stride=2, output_padding=1), (randn(2, 3, 4),)),
    (lambda lib: lib.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (randn(2, 4, 3, 4),)),
    (lambda lib: lib.nn.ConvTranspose2d(3, 2, (2, 3), bias=False, dilation=2), (randn(3, 4, 3),)),
    (lambda lib: lib.nn.ConvTranspose3d(2, 2, 2, stride=2), (randn(1, 2, 2, 3, 2),)),
    (lambda lib: lib.nn.MaxPool1d(2), (randn(2, 3, 7),)),
    (lambda lib: lib.nn.MaxPool2d(2), (randn(2, 3, 6, 5),)),
    (lambda lib: lib.nn.MaxPool2d(3, 2, 1, ceil_mode=True), (randn(2, 3, 6, 5),)),
    (lambda lib: lib.nn.MaxPool2d((2, 3), dilation=(1, 2), return_indices=True), (randn(1, 2, 6, 8),)),
    (lambda lib: lib.nn.MaxPool3d(2), (randn(1, 2, 4, 4, 4),)),
    (lambda lib: lib.nn.AvgPool1d(3, 2, 1), (randn(2, 3, 7),)),
    (lambda lib: lib.nn.AvgPool2d(2), (randn(2, 3, 6, 5),)),
    (lambda lib: lib.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (randn(2, 3, 6, 5),)),
    (lambda lib: lib.nn.AvgPool2d(2, divisor_override=3), (randn(1, 2, 4, 4),)),
    (lambda lib: lib.nn.AvgPool3d(2), (randn(1, 2, 4, 4, 4),)),
    (lambda lib: lib.nn.LPPool2d(2, 2), (randn(1, 2, 4, 4),)),
    (lambda lib: lib.nn.LPPool1d(3, 2), (randn(1, 2, 6),)),
    (lambda lib: lib.nn.AdaptiveAvgPool2d(1), (randn(2, 3, 5, 4),)),
    (lambda lib: lib.nn.AdaptiveAvgPool2d((3, None)), (randn(2, 3, 7, 4),)),
    (lambda lib: lib.nn.AdaptiveAvgPool1d(3), (randn(2, 3, 7),)),
    (lambda lib: lib.nn.AdaptiveMaxPool2d((2, 3), return_indices=True), (randn(2, 3, 5, 7),)),
    (lambda lib: lib.nn.AdaptiveMaxPool1d(3), (randn(2, 3, 7),)),
    (lambda lib: lib.nn.Flatten(), (randn(2, 3, 4),)),
    (lambda lib: lib.nn.Flatten(0, 1), (randn(2, 3, 4),)),
    (lambda lib: lib.nn.Unflatten(1, (2, -1)), (randn(2, 6, 3),)),
    (lambda lib: lib.nn.ZeroPad2d((1, 0, 2, 1)), (randn(1, 2, 3, 3),)),
    (lambda lib: lib.nn.ConstantPad1d(2, 1.5), (randn(2, 3),)),
    (lambda lib: lib.nn.ReflectionPad2d(1), (randn(1, 2, 3, 3),)),
    (lambda lib: lib.nn.ReplicationPad1d((1, 3)), (randn(1, 2, 3),)),
    (lambda lib: lib.nn.CircularPad2d(1), (randn(1, 2, 3, 3),)),
    (lambda lib: lib.nn.Upsample(scale_factor=2), (randn(1, 2, 3, 3),)),
    (lambda lib: lib.nn.Upsample(size=(5, 4), mode="bilinear"), (randn(1, 2, 3, 3),)),
    (lambda lib: lib.nn.UpsamplingBilinear2d(scale_factor=2), (randn(1, 2, 3, 3),)),
    (lambda lib: lib.nn.PixelShuffle(2), (randn(1, 8, 2, 3),)),
    (lambda lib: lib.nn.PixelUnshuffle(2), (randn(1, 2, 4, 6),)),
    (lambda lib: lib.nn.ChannelShuffle(2), (randn(1, 4, 2, 2),)),
    (lambda lib: lib.nn.Unfold(2, padding=1), (randn(1, 2, 3, 3),)),
    (lambda lib: lib.nn.Fold((3, 4), 2), (randn(1, 8, 6),)),
    (lambda lib: lib.nn.CosineSimilarity(), (randn(3, 4), randn(3, 4))),
    (lambda lib: lib.nn.PairwiseDistance(), (randn(3, 4), randn(3, 4))),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note about its own internal copy
@pytest.mark.parametrize("case", LAYERS)
def test_layer_against_torch(case):
    ctor, inputs = case
    check_layer(ctor, *inputs)


def test_conv_transpose_output_size():
    check_layer(lambda lib: lib.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), randn(1, 2, 4, 4),
                call=lambda m, x: m(x, output_size=[8, 8]))
    check_layer(lambda lib: lib.nn.ConvTranspose2d(2, 3, 3, stride=2), randn(1, 2, 4, 4),
                call=lambda m, x: m(x, output_size=(1, 3, 10, 9)))


EMBEDDING = [
    (lambda lib: lib.nn.Embedding(6, 3), np.array([[0, 2, 5], [2, 2, 1]])),
    (lambda lib: lib.nn.Embedding(6, 3, padding_idx=2), np.array([[0, 2, 5], [2, 2, 1]])),
    (lambda lib: lib.nn.Embedding(6, 3, padding_idx=-1, scale_grad_by_freq=True), np.array([0, 5, 5, 1, 1, 1])),
    (lambda lib: lib.nn.Embedding(6, 3, max_norm=0.5), np.array([1, 3, 1])),
]


@pytest.mark.parametrize("case", EMBEDDING)
def test_embedding_against_torch(case):
    ctor, idx = case
    check_layer(ctor, idx)


def test_embedding_from_pretrained():
    table = randn(4, 3)
    for freeze in (True, False):
        def ctor(lib, freeze=freeze):
            return lib.nn.Embedding.from_pretrained(lib.tensor(table, dtype=lib.float32), freeze=freeze,
                                                     padding_idx=1)
        cm, tm = build(ctor)
        assert repr(cm) == repr(tm)
        assert cm.weight.requires_grad == tm.weight.requires_grad == (not freeze)
        check_layer(ctor, np.array([[0, 1], [3, 3]]))
    w = chainrule.ones(3, 2)
    e = chainrule.nn.Embedding.from_pretrained(w)
    with chainrule.no_grad():
        w[0, 0] = 5.0
    assert e.weight[0, 0].item() == 5.0  # the table is shared, not copied
    same_outcome(lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)))


def test_lazy_linear():
    cm, tm = build(lambda lib: lib.nn.LazyLinear(3))
    assert cm.has_uninitialized_params()
    x = randn(2, 5)
    outs = []
    for lib, m in zip(LIBS, (cm, tm)):
        lib.manual_seed(7)
        outs.append(m(lib.tensor(x, dtype=lib.float32)).detach().numpy())
    assert type(cm) is chainrule.nn.Linear and repr(cm) == repr(tm)
    np.testing.assert_array_equal(cm.weight.detach().numpy(), tm.weight.detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, atol=1e-6)


def test_identity_and_flatten_share_memory():
    x = chainrule.randn(2, 3, 4)
    assert chainrule.nn.Identity()(x) is x
    y = chainrule.nn.Flatten()(x)
    assert y.shape == (2, 12)
    with chainrule.no_grad():
        y[0, 0] = 7.0
    assert x[0, 0, 0].item() == 7.0  # a view, as in torch


def test_train_eval_and_dropout_masks():
    x = randn(4, 6)
    for p in (0.0, 0.3, 1.0):
        check_layer(lambda lib, p=p: lib.nn.Dropout(p), x, forward_seed=5)
    check_layer(lambda lib: lib.nn.Dropout(0.5), x, train=False)
    check_layer(lambda lib: lib.nn.Dropout2d(0.5), randn(2, 4, 3, 3), forward_seed=3)
    check_layer(lambda lib: lib.nn.Dropout1d(0.5), randn(2, 4, 3), forward_seed=3)
    check_layer(lambda lib: lib.nn.AlphaDropout(0.2), x, forward_seed=3)
    m = chainrule.nn.Dropout(0.5).eval()
    t = chainrule.tensor(x)
    assert m(t) is t or np.array_equal(m(t).numpy(), x)
    for lib in LIBS:
        assert repr(lib.nn.Dropout(0.2, True)) == "Dropout(p=0.2, inplace=True)"


def test_dropout_inplace():
    a = randn(3, 4)
    res = []
    for lib in LIBS:
        lib.manual_seed(2)
        t = lib.tensor(a, dtype=lib.float32)
        out = lib.nn.Dropout(0.5, inplace=True)(t)
        res.append((t.numpy().copy(), out.numpy().copy()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][0], res[0][1])


# -- argument and input errors ----------------------------------------------------------------------------
ERRORS = [
    lambda lib: lib.nn.Conv2d(3, 8, 3)(lib.randn(2, 4, 5, 5)),
    lambda lib: lib.nn.Conv2d(4, 8, 3, groups=2)(lib.randn(2, 3, 5, 5)),
    lambda lib: lib.nn.Conv2d(3, 8, 3)(lib.randn(5, 5)),
    lambda lib: lib.nn.Conv2d(3, 8, 5)(lib.randn(1, 3, 3, 3)),
    lambda lib: lib.nn.Conv1d(3, 8, 3)(lib.randn(2, 3, 4, 4)),
    lambda lib: lib.nn.Conv2d(3, 8, 3, groups=2),
    lambda lib: lib.nn.Conv2d(4, 6, 3, groups=4),
    lambda lib: lib.nn.Conv2d(4, 6, 3, groups=0),
    lambda lib: lib.nn.Conv2d(3, 6, 3, padding="same", stride=2),
    lambda lib: lib.nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect"),
    lambda lib: lib.nn.ConvTranspose2d(3, 6, 3)(lib.randn(1, 4, 5, 5)),
    lambda lib: lib.nn.ConvTranspose2d(2, 3, 3, stride=2)(lib.randn(1, 2, 4, 4), output_size=(12, 9)),
    lambda lib: lib.nn.ConvTranspose2d(2, 3, 3, stride=2)(lib.randn(1, 2, 4, 4), output_size=(9,)),
    lambda lib: lib.nn.Linear(4, 3)(lib.randn(2, 5)),
    lambda lib: lib.nn.Bilinear(2, 3, 4)(lib.randn(5, 2), lib.randn(4, 3)),
    lambda lib: lib.nn.Embedding(5, 2)(lib.tensor([5])),
    lambda lib: lib.nn.Embedding(5, 2)(lib.tensor([1.0])),
    lambda lib: lib.nn.Embedding(5, 2, padding_idx=5),
    lambda lib: lib.nn.Embedding(5, 2, padding_idx=-6),
    lambda lib: lib.nn.Embedding(5, 2, _weight=lib.ones(4, 2)),
    lambda lib: lib.nn.MaxPool2d(2)(lib.randn(2, 3)),
    lambda lib: lib.nn.Unflatten(1, 6),
    lambda lib: lib.nn.Unflatten(1, (2, 3.0)),
    lambda lib: lib.nn.Unflatten(1, 6),
    lambda lib: lib.nn.Unflatten(1, (2, 4))(lib.randn(2, 6)),
    lambda lib: lib.nn.Dropout(1.5),
    lambda lib: lib.nn.Dropout2d(-0.1),
    lambda lib: lib.nn.CircularPad2d(1)(lib.randn(3, 3)),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    same_outcome(fn)


def test_errors_listing_a_set():
    """torch prints a set of choices, whose order varies between runs: compare all but the order."""
    for fn, start, end in [(lambda lib: lib.nn.Conv2d(3, 6, 3, padding="full"), "Invalid padding string 'full', "
                            "should be one of {", "}"),
                           (lambda lib: lib.nn.Conv2d(3, 6, 3, padding_mode="mirror"), "padding_mode must be one of {",
                            "}, but got padding_mode='mirror'")]:
        for lib in LIBS:
            with pytest.raises(ValueError) as e:
                fn(lib)
            msg = str(e.value)
            assert msg.startswith(start) and msg.endswith(end), msg


def test_wrong_channels_message():
    with pytest.raises(RuntimeError) as e:
        chainrule.nn.Conv2d(3, 8, 3)(chainrule.randn(2, 4, 5, 5))
    assert str(e.value) == ("Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 5, 5] to have 3 "
                            "channels, but got 4 channels instead")


def test_module_api_on_layers():
    """dtype/device factory kwargs, .double(), parameters() and zero_grad() behave as torch's."""
    for lib in LIBS:
        m = lib.nn.Conv2d(2, 3, 3, dtype=lib.float64)
        assert m.weight.dtype == lib.float64 and m.bias.dtype == lib.float64
        m = lib.nn.Linear(2, 3).double()
        assert m.weight.dtype == lib.float64
        assert [tuple(p.shape) for p in lib.nn.ConvTranspose2d(4, 6, 3, groups=2).parameters()] == [(4, 3, 3, 3),
                                                                                                    (6,)]
    with pytest.raises(AssertionError):
        chainrule.nn.Linear(2, 3, device="cuda")
    assert chainrule.nn.Linear(2, 3, device="cpu").weight.shape == (3, 2)
