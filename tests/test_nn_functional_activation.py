"""nn.functional activations against torch: values, gradients (1st and 2nd order), in-place, errors."""
import numpy as np
import pytest

import chainrule as C
from opcheck import check_op, check_parity, same_as_torch

rng = np.random.default_rng(2)
X = rng.standard_normal((3, 4)) * 3
X[0, :3] = [0.3, -0.2, 2.9]  # near the kinks of the piecewise functions, but not on them


def _f(name, *args, **kw):
    return lambda L, x: getattr(L.nn.functional, name)(x, *args, **kw)


ACTIVATIONS = {
    "relu": _f("relu"),
    "relu6": lambda L, x: L.nn.functional.relu6(x * 3),
    "gelu": _f("gelu"),
    "gelu_tanh": _f("gelu", approximate="tanh"),
    "silu": _f("silu"),
    "tanh": _f("tanh"),
    "sigmoid": _f("sigmoid"),
    "softmax": _f("softmax", 1),
    "softmax_dtype": _f("softmax", 0, dtype=C.float64),
    "log_softmax": _f("log_softmax", 0),
    "softmin": _f("softmin", 1),
    "leaky_relu": _f("leaky_relu", 0.2),
    "elu": _f("elu", 0.7),
    "selu": _f("selu"),
    "celu": _f("celu", 1.5),
    "softplus": _f("softplus"),
    "softplus_beta": _f("softplus", beta=2, threshold=3),
    "mish": _f("mish"),
    "hardtanh": _f("hardtanh", -2, 1.5),
    "hardsigmoid": _f("hardsigmoid"),
    "hardswish": _f("hardswish"),
    "logsigmoid": _f("logsigmoid"),
    "softsign": _f("softsign"),
    "tanhshrink": _f("tanhshrink"),
    "threshold": _f("threshold", 0.5, -1.0),
    "glu": _f("glu", 1),
    "glu0": lambda L, x: L.nn.functional.glu(x[:2], 0),
    "softshrink": _f("softshrink", 1.0),
    "hardshrink": _f("hardshrink", 1.0),
    "rrelu_eval": _f("rrelu", 0.1, 0.3),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation(name):
    fn = ACTIVATIONS[name]
    if name == "softmax_dtype":  # its output is float64 whatever the input: parity only
        for dt in (np.float32, np.float64):
            check_parity(lambda L, x: L.nn.functional.softmax(x, 0, dtype=L.float64), X, dtype=dt)
        return
    check_op(fn, X)


def test_activations_extreme_inputs_are_stable():
    big = np.array([-1000., -50., -20., 0., 20., 50., 1000.])
    for name in ("softplus", "logsigmoid", "silu", "mish", "gelu", "elu", "selu", "celu", "sigmoid"):
        check_parity(_f(name), big)
        check_parity(_f(name), big, dtype=np.float64, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("w", [rng.standard_normal(4), rng.standard_normal(1)], ids=["per-channel", "shared"])
def test_prelu(w):
    check_op(lambda L, x, w: L.nn.functional.prelu(x, w), X, w)
    check_op(lambda L, x, w: L.nn.functional.prelu(x, w), rng.standard_normal((2, 4, 3)), w)


def test_prelu_1d_input():
    check_op(lambda L, x, w: L.nn.functional.prelu(x, w), X[0], rng.standard_normal(1))


INPLACE = [("relu", ()), ("relu6", ()), ("elu", (0.5,)), ("selu", ()), ("celu", (2.0,)), ("leaky_relu", (0.3,)),
           ("hardtanh", (-0.5, 0.5)), ("silu", ()), ("mish", ()), ("hardswish", ()), ("hardsigmoid", ()),
           ("threshold", (0.1, 2.0))]


@pytest.mark.parametrize("name,args", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace(name, args):
    def fn(L, x):
        y = x * 1
        r = getattr(L.nn.functional, name)(y, *args, inplace=True)
        assert r is y
        return y * 2
    check_op(fn, X)


def test_inplace_underscore_functions():
    for name, args in [("relu_", ()), ("elu_", (0.5,)), ("leaky_relu_", (0.1,)), ("hardtanh_", ()),
                       ("threshold_", (0.0, 3.0)), ("selu_", ()), ("celu_", ())]:
        same_as_torch(lambda L: getattr(L.nn.functional, name)(L.tensor(X.copy()), *args))


def test_inplace_on_leaf_requiring_grad_raises_and_leaves_input():
    def run(L):
        x = L.tensor(X.copy(), requires_grad=True)
        try:
            L.nn.functional.relu(x, inplace=True)
        except RuntimeError as e:
            return str(e), x.detach().clone()
    same_as_torch(run)


def test_inplace_saved_input_is_checked():
    # sigmoid saved its output; modifying it in place must make backward fail
    def run(L):
        x = L.tensor(X.copy(), requires_grad=True)
        y = L.sigmoid(x)
        L.nn.functional.relu(y, inplace=True)
        y.sum().backward()
    same_as_torch(run)


def test_grad_fn_names_match_torch():
    def names(L):
        x = L.tensor(X, requires_grad=True)
        F = L.nn.functional
        out = [F.relu(x), F.relu6(x), F.gelu(x), F.silu(x), F.leaky_relu(x), F.elu(x), F.selu(x), F.celu(x),
               F.softplus(x), F.mish(x), F.hardtanh(x), F.hardsigmoid(x), F.hardswish(x), F.logsigmoid(x),
               F.threshold(x, 0., 1.), F.glu(x), F.prelu(x, L.ones(4, dtype=x.dtype)), F.softshrink(x), F.hardshrink(x),
               F.softsign(x), F.tanhshrink(x)]
        return [o.grad_fn.name() for o in out]
    same_as_torch(names)


def test_rrelu_training_slopes_in_range():
    C.manual_seed(0)
    x = C.tensor(-np.ones((200,)), requires_grad=True)
    y = C.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)


def test_gumbel_softmax():
    C.manual_seed(0)
    logits = C.randn(5, 4, requires_grad=True)
    y = C.nn.functional.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(y.sum(-1).detach().numpy(), 1, rtol=1e-5)
    h = C.nn.functional.gumbel_softmax(logits, hard=True)
    assert set(np.unique(h.detach().numpy())) <= {0.0, 1.0} and (h.detach().numpy().sum(-1) == 1).all()
    h.sum().backward()
    assert logits.grad is not None


ACT_ERRORS = [
    lambda L: L.nn.functional.gelu(L.tensor([1, 2])),
    lambda L: L.nn.functional.silu(L.tensor([1, 2])),
    lambda L: L.nn.functional.elu(L.tensor([1, 2])),
    lambda L: L.nn.functional.softplus(L.tensor([1, 2])),
    lambda L: L.nn.functional.relu(L.tensor([-1, 2])),
    lambda L: L.nn.functional.hardtanh(L.tensor([-3, 2])),
    lambda L: L.nn.functional.hardtanh(L.randn(2), 1, -1),
    lambda L: L.nn.functional.glu(L.randn(2, 3)),
    lambda L: L.nn.functional.glu(L.randn(())),
    lambda L: L.nn.functional.gelu(L.randn(2), approximate="foo"),
    lambda L: L.nn.functional.prelu(L.randn(2, 3), L.ones(2)),
    lambda L: L.nn.functional.prelu(L.randn(3), L.ones(3)),
    lambda L: L.nn.functional.prelu(L.randn(2, 3), L.ones(1, 3)),
    lambda L: L.nn.functional.softshrink(L.randn(3), -1.0),
    lambda L: L.nn.functional.prelu(L.randn(3, dtype=L.float64), L.ones(1)),
]


@pytest.mark.parametrize("fn", ACT_ERRORS)
def test_activation_errors_match_torch(fn):
    same_as_torch(fn)


def test_softmax_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = C.nn.functional.softmax(C.randn(2, 3))
    np.testing.assert_allclose(y.sum(1).numpy(), 1, rtol=1e-6)
