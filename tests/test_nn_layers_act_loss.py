"""Activation and loss modules against torch: reprs, values, gradients, in-place flags, buffers, errors."""
import warnings

import numpy as np
import pytest

import chainrule
from layercheck import LIBS, build, check_init, check_layer, same_outcome

R = np.random.default_rng(2)


def randn(*shape):
    return R.standard_normal(shape)


ACTIVATIONS = [
    lambda lib: lib.nn.Threshold(0.1, 20),
    lambda lib: lib.nn.Threshold(0.0, -1.5, inplace=True),
    lambda lib: lib.nn.ReLU(),
    lambda lib: lib.nn.ReLU(inplace=True),
    lambda lib: lib.nn.RReLU(),
    lambda lib: lib.nn.RReLU(0.1, 0.3, inplace=True),
    lambda lib: lib.nn.Hardtanh(),
    lambda lib: lib.nn.Hardtanh(-2.0, 0.5, inplace=True),
    lambda lib: lib.nn.ReLU6(),
    lambda lib: lib.nn.ReLU6(True),
    lambda lib: lib.nn.Sigmoid(),
    lambda lib: lib.nn.Hardsigmoid(),
    lambda lib: lib.nn.Hardsigmoid(inplace=True),
    lambda lib: lib.nn.Tanh(),
    lambda lib: lib.nn.SiLU(),
    lambda lib: lib.nn.SiLU(inplace=True),
    lambda lib: lib.nn.Mish(),
    lambda lib: lib.nn.Mish(inplace=True),
    lambda lib: lib.nn.Hardswish(),
    lambda lib: lib.nn.Hardswish(inplace=True),
    lambda lib: lib.nn.ELU(),
    lambda lib: lib.nn.ELU(0.5, inplace=True),
    lambda lib: lib.nn.CELU(),
    lambda lib: lib.nn.CELU(2.0, True),
    lambda lib: lib.nn.SELU(),
    lambda lib: lib.nn.SELU(inplace=True),
    lambda lib: lib.nn.GLU(),
    lambda lib: lib.nn.GLU(0),
    lambda lib: lib.nn.GELU(),
    lambda lib: lib.nn.GELU("tanh"),
    lambda lib: lib.nn.Hardshrink(),
    lambda lib: lib.nn.Hardshrink(0.3),
    lambda lib: lib.nn.LeakyReLU(),
    lambda lib: lib.nn.LeakyReLU(0.2, True),
    lambda lib: lib.nn.LogSigmoid(),
    lambda lib: lib.nn.Softplus(),
    lambda lib: lib.nn.Softplus(2.0, 1.0),
    lambda lib: lib.nn.Softshrink(),
    lambda lib: lib.nn.Softshrink(0.25),
    lambda lib: lib.nn.PReLU(),
    lambda lib: lib.nn.PReLU(4, 0.1),
    lambda lib: lib.nn.Softsign(),
    lambda lib: lib.nn.Tanhshrink(),
    lambda lib: lib.nn.Softmin(1),
    lambda lib: lib.nn.Softmax(-1),
    lambda lib: lib.nn.Softmax2d(),
    lambda lib: lib.nn.LogSoftmax(0),
]


@pytest.mark.parametrize("ctor", ACTIVATIONS)
def test_activation_against_torch(ctor):
    check_init(ctor)
    x = randn(2, 4, 3, 2)
    x[0, 0, 0, 0] = 0.0  # the kink of the piecewise activations
    inplace = getattr(ctor(chainrule), "inplace", False)
    random = isinstance(ctor(chainrule), chainrule.nn.RReLU)
    for train in (False,) if random else (True, False):  # RReLU's training draws: test_rrelu_training
        if inplace:  # in place on a leaf is an error in both; run on a non-leaf as users do
            check_layer(ctor, x, train=train, call=lambda m, t: m(t * 1))
        else:
            check_layer(ctor, x, train=train)


def test_rrelu_training():
    """Negative inputs get a slope drawn from U(lower, upper) per element; the gradient is that slope.

    (The draws are not yet torch's stream: F.rrelu's sampling order differs.)
    """
    x = chainrule.tensor(randn(200), requires_grad=True)
    m = chainrule.nn.RReLU(0.1, 0.3)
    y = m(x)
    y.sum().backward()
    neg = x.detach().numpy() < 0
    slope = y.detach().numpy()[neg] / x.detach().numpy()[neg]
    assert np.all((slope >= 0.1) & (slope <= 0.3)) and slope.std() > 0.03
    np.testing.assert_allclose(x.grad.numpy()[neg], slope, rtol=1e-6)
    np.testing.assert_array_equal(y.detach().numpy()[~neg], x.detach().numpy()[~neg])


def test_inplace_modifies_input():
    for name, args in [("ReLU", (True,)), ("LeakyReLU", (0.1, True)), ("ELU", (1.0, True)), ("SiLU", (True,)),
                       ("Hardtanh", (-1.0, 1.0, True)), ("Threshold", (0.5, 0.0, True)), ("Hardswish", (True,))]:
        res = []
        for lib in LIBS:
            t = lib.tensor(randn(3, 4) if lib is chainrule else res[0][0], dtype=lib.float32)
            before = t.numpy().copy()
            out = getattr(lib.nn, name)(*args)(t)
            res.append((before, t.numpy().copy(), out.numpy().copy()))
        np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6, atol=1e-7, err_msg=name)
        np.testing.assert_array_equal(res[0][1], res[0][2])
        assert not np.array_equal(res[0][0], res[0][1]), name


def test_softmax_implicit_dim_warns():
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.Softmax()(lib.randn(2, 3))
        assert any("Implicit dimension choice for softmax" in str(x.message) for x in w)


def test_hardtanh_deprecated_keywords():
    got = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = lib.nn.Hardtanh(min_value=-3.0, max_value=2.0)
        got.append((repr(m), [(x.category, str(x.message)) for x in w]))
    assert got[0] == got[1] and len(got[0][1]) == 2


ACT_ERRORS = [
    lambda lib: lib.nn.Hardtanh(1.0, 0.0),
    lambda lib: lib.nn.Softmax2d()(lib.randn(2, 3)),
    lambda lib: lib.nn.GLU()(lib.randn(2, 3)),
    lambda lib: lib.nn.PReLU(3)(lib.randn(2, 4)),
    lambda lib: lib.nn.ReLU(inplace=True)(lib.randn(2, requires_grad=True)),
]


@pytest.mark.parametrize("fn", ACT_ERRORS)
def test_activation_errors(fn):
    same_outcome(fn)


# -- losses --------------------------------------------------------------------------------------------------
P = 1 / (1 + np.exp(-randn(4, 3)))
LOGITS = randn(4, 5)
CLS = np.array([1, 0, 4, 2])
CLS_IGNORED = np.array([1, -100, 4, 2])
PM1 = np.array([1.0, -1.0, -1.0, 1.0])
W5 = np.abs(randn(5)) + 0.1
W3 = np.abs(randn(3))


def _loss_cases():
    cases = []
    for red in ("mean", "sum", "none"):
        cases += [
            (lambda lib, r=red: lib.nn.MSELoss(reduction=r), (randn(4, 3), randn(4, 3))),
            (lambda lib, r=red: lib.nn.L1Loss(reduction=r), (randn(4, 3), randn(4, 3))),
            (lambda lib, r=red: lib.nn.CrossEntropyLoss(reduction=r), (LOGITS, CLS)),
            (lambda lib, r=red: lib.nn.NLLLoss(reduction=r), (LOGITS, CLS)),
            (lambda lib, r=red: lib.nn.BCELoss(reduction=r), (P, np.round(1 - P))),
            (lambda lib, r=red: lib.nn.BCEWithLogitsLoss(reduction=r), (randn(4, 3), P)),
            (lambda lib, r=red: lib.nn.KLDivLoss(reduction=r), (np.log(P), P)),  # 'mean' warns, in both
            (lambda lib, r=red: lib.nn.HuberLoss(reduction=r, delta=0.5), (randn(4, 3), randn(4, 3))),
        ]
    cases += [
        (lambda lib: lib.nn.SmoothL1Loss(beta=0.5), (randn(4, 3), randn(4, 3))),
        (lambda lib: lib.nn.SmoothL1Loss(reduction="sum"), (randn(4, 3), randn(4, 3))),
        (lambda lib: lib.nn.CrossEntropyLoss(weight=lib.tensor(W5, dtype=lib.float32)), (LOGITS, CLS)),
        (lambda lib: lib.nn.CrossEntropyLoss(ignore_index=-100), (LOGITS, CLS_IGNORED)),
        (lambda lib: lib.nn.CrossEntropyLoss(label_smoothing=0.2), (LOGITS, CLS)),
        (lambda lib: lib.nn.CrossEntropyLoss(weight=lib.tensor(W5, dtype=lib.float32), ignore_index=4,
                                             label_smoothing=0.1), (LOGITS, CLS)),
        (lambda lib: lib.nn.CrossEntropyLoss(), (LOGITS, np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True))),
        (lambda lib: lib.nn.CrossEntropyLoss(), (randn(2, 3, 4), np.array([[0, 2, 1, 1], [2, 2, 0, 1]]))),
        (lambda lib: lib.nn.NLLLoss(weight=lib.tensor(W5, dtype=lib.float32), ignore_index=0), (LOGITS, CLS)),
        (lambda lib: lib.nn.BCELoss(weight=lib.tensor(W3, dtype=lib.float32)),
         (P, np.round(1 - P))),
        (lambda lib: lib.nn.BCEWithLogitsLoss(pos_weight=lib.tensor([1.0, 2.0, 0.5])), (randn(4, 3), P)),
        (lambda lib: lib.nn.BCEWithLogitsLoss(weight=lib.tensor([0.3, 2.0, 1.0]), pos_weight=lib.tensor([2.0])),
         (randn(4, 3), P)),
        (lambda lib: lib.nn.KLDivLoss(reduction="batchmean", log_target=True), (np.log(P), np.log(P[::-1]))),
        (lambda lib: lib.nn.PoissonNLLLoss(), (randn(4, 3), np.abs(randn(4, 3)))),
        (lambda lib: lib.nn.PoissonNLLLoss(log_input=False, full=True), (np.abs(randn(4, 3)) + 0.1,
                                                                         np.abs(randn(4, 3)) * 3)),
        (lambda lib: lib.nn.GaussianNLLLoss(), (randn(4, 3), randn(4, 3), np.abs(randn(4, 3)) + 0.1)),
        (lambda lib: lib.nn.GaussianNLLLoss(full=True, reduction="sum"), (randn(4, 3), randn(4, 3),
                                                                          np.abs(randn(4, 1)) + 0.1)),
        (lambda lib: lib.nn.HingeEmbeddingLoss(margin=0.5), (randn(4), PM1)),
        (lambda lib: lib.nn.SoftMarginLoss(), (randn(4), PM1), (True, False)),
        (lambda lib: lib.nn.MultiLabelMarginLoss(), (randn(2, 4), np.array([[3, 0, -1, 1], [1, 2, 3, -1]]))),
        (lambda lib: lib.nn.MultiLabelSoftMarginLoss(), (randn(4, 3), np.round(P))),
        (lambda lib: lib.nn.MultiLabelSoftMarginLoss(weight=lib.tensor([1.0, 0.5, 2.0])), (randn(4, 3), np.round(P))),
        (lambda lib: lib.nn.CosineEmbeddingLoss(margin=0.2), (randn(4, 3), randn(4, 3), PM1)),
        (lambda lib: lib.nn.MarginRankingLoss(margin=0.1), (randn(4), randn(4), PM1)),
        (lambda lib: lib.nn.MultiMarginLoss(), (LOGITS, CLS)),
        (lambda lib: lib.nn.MultiMarginLoss(p=2, margin=0.5, weight=lib.tensor(W5, dtype=lib.float32)),
         (LOGITS, CLS)),
        (lambda lib: lib.nn.TripletMarginLoss(), (randn(4, 3), randn(4, 3), randn(4, 3))),
        (lambda lib: lib.nn.TripletMarginLoss(margin=0.5, p=1, swap=True), (randn(4, 3), randn(4, 3), randn(4, 3))),
        (lambda lib: lib.nn.TripletMarginWithDistanceLoss(), (randn(4, 3), randn(4, 3), randn(4, 3))),
        (lambda lib: lib.nn.TripletMarginWithDistanceLoss(
            distance_function=lib.nn.CosineSimilarity(), margin=0.3, swap=True),
         (randn(4, 3), randn(4, 3), randn(4, 3))),
    ]
    return cases


LOSSES = _loss_cases()


@pytest.mark.parametrize("case", LOSSES)
def test_loss_against_torch(case):
    ctor, inputs, *flags = case
    check_init(ctor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KLDivLoss 'mean' warns (test_loss_warnings_match_torch)
        check_layer(ctor, *inputs, requires_grad=flags[0] if flags else None)


def test_loss_weights_are_buffers():
    for lib in LIBS:
        m = lib.nn.CrossEntropyLoss(weight=lib.ones(3))
        assert [n for n, _ in m.named_buffers()] == ["weight"] and list(m.state_dict()) == ["weight"]
        m = lib.nn.BCEWithLogitsLoss(pos_weight=lib.ones(2))
        assert list(m.state_dict()) == ["pos_weight"] and list(m._buffers) == ["weight", "pos_weight"]
        assert m.double().pos_weight.dtype == lib.float64
        assert list(lib.nn.NLLLoss().state_dict()) == [] and list(lib.nn.MSELoss()._buffers) == []
    cm, tm = build(lambda lib: lib.nn.TripletMarginWithDistanceLoss())
    assert repr(cm) == repr(tm) and "(distance_function): PairwiseDistance()" in repr(cm)


def test_legacy_reduction_arguments():
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        got = []
        for lib in LIBS:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                m = lib.nn.MSELoss(size_average=size_average, reduce=reduce)
            got.append((m.reduction, [str(x.message) for x in w]))
        assert got[0] == got[1]


LOSS_ERRORS = [
    lambda lib: lib.nn.MSELoss(reduction="avg")(lib.randn(2), lib.randn(2)),
    lambda lib: lib.nn.CrossEntropyLoss()(lib.randn(3, 4), lib.tensor([0, 4, 1])),
    lambda lib: lib.nn.CrossEntropyLoss()(lib.randn(3, 4), lib.tensor([0, 1])),
    lambda lib: lib.nn.NLLLoss(weight=lib.ones(3))(lib.randn(3, 4), lib.tensor([0, 1, 2])),
    lambda lib: lib.nn.BCELoss()(lib.rand(3), lib.rand(4)),
    lambda lib: lib.nn.MultiMarginLoss(p=3),
    lambda lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)),
    lambda lib: lib.nn.TripletMarginLoss(margin=-1),
    lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=0),
]


@pytest.mark.parametrize("fn", LOSS_ERRORS)
def test_loss_errors(fn):
    same_outcome(fn)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.MSELoss()(lib.randn(3, 1), lib.randn(3)),
    lambda lib: lib.nn.KLDivLoss()(lib.randn(3, 2), lib.rand(3, 2)),
])
def test_loss_warnings_match_torch(fn):
    msgs = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn(lib)
        msgs.append([(x.category, str(x.message)) for x in w])
    assert msgs[0] == msgs[1] and msgs[0]


def test_training_step_matches_torch():
    """A small model trained for a few steps with plain SGD ends with torch's parameters."""
    def net(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Dropout(0.2), nn.Linear(12, 4), nn.LogSoftmax(1))
    cm, tm = build(net, seed=3)
    x, y = randn(5, 1, 4, 4), np.array([0, 3, 1, 2, 3])
    for step in range(3):
        for lib, m in zip(LIBS, (cm, tm)):
            lib.manual_seed(100 + step)
            loss = lib.nn.NLLLoss()(m(lib.tensor(x, dtype=lib.float32)), lib.tensor(y))
            m.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in m.parameters():
                    p -= 0.1 * p.grad
    for (n, c), (_, t) in zip(cm.state_dict().items(), tm.state_dict().items()):
        np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-4, atol=1e-5, err_msg=n)
