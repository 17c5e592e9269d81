"""nn.init against torch: same seed, same numbers; same errors and warnings."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule

LIBS = (torch, chainrule)
init = chainrule.nn.init


def _outcome(fn, lib):
    try:
        return ("ok", fn(lib))
    except Exception as e:  # noqa: BLE001
        return (type(e).__name__, str(e))


def _normal_is_bit_exact(shape, dtype):
    """Whether chainrule's normal_ already reproduces torch's stream for this shape (ops/random.py)."""
    chainrule.manual_seed(0)
    torch.manual_seed(0)
    a = chainrule.empty(*shape, dtype=getattr(chainrule, dtype)).normal_()
    b = torch.empty(*shape, dtype=getattr(torch, dtype)).normal_()
    return np.array_equal(a.numpy(), b.numpy())


def _seeded(fn, shape, dtype="float32", seed=0):
    out = {}
    for lib in LIBS:
        lib.manual_seed(seed)
        t = lib.empty(*shape, dtype=getattr(lib, dtype))
        fn(lib, t)
        out[lib.__name__] = t.numpy().copy()
    return out["chainrule"], out["torch"]


@pytest.mark.parametrize("gain", [
    ("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
    ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None),
    ("leaky_relu", "a"), ("leaky_relu", True), ("foo", None),
])
def test_calculate_gain(gain):
    name, param = gain
    c = _outcome(lambda lib: lib.nn.init.calculate_gain(name, param), chainrule)
    t = _outcome(lambda lib: lib.nn.init.calculate_gain(name, param), torch)
    assert c == t


@pytest.mark.parametrize("shape", [(3,), (3, 4), (5, 2, 3), (4, 3, 2, 2), (2, 3, 1, 2, 2), (0, 4)])
def test_fan_in_and_fan_out(shape):
    f = lambda lib: lib.nn.init._calculate_fan_in_and_fan_out(lib.empty(*shape))
    assert _outcome(f, chainrule) == _outcome(f, torch)


# Uniform draws are bit-exact with torch's CPU generator; normal draws follow ops/random.py.
UNIFORM = [
    ("uniform_", lambda lib, t: lib.nn.init.uniform_(t)),
    ("uniform_ab", lambda lib, t: lib.nn.init.uniform_(t, -3.0, 0.5)),
    ("kaiming_uniform_linear", lambda lib, t: lib.nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
    ("kaiming_uniform_", lambda lib, t: lib.nn.init.kaiming_uniform_(t)),
    ("kaiming_uniform_relu_out", lambda lib, t: lib.nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu")),
    ("kaiming_uniform_upper", lambda lib, t: lib.nn.init.kaiming_uniform_(t, a=0.1, mode="FAN_IN")),
    ("xavier_uniform_", lambda lib, t: lib.nn.init.xavier_uniform_(t)),
    ("xavier_uniform_gain", lambda lib, t: lib.nn.init.xavier_uniform_(t, gain=lib.nn.init.calculate_gain("tanh"))),
    ("trunc_normal_narrow", lambda lib, t: lib.nn.init.trunc_normal_(t, 0.0, 1.0, -0.1, 0.1)),
    ("trunc_normal_tail", lambda lib, t: lib.nn.init.trunc_normal_(t, 0.0, 1.0, 1.0, 1.5)),
]
NORMAL = [
    ("normal_", lambda lib, t: lib.nn.init.normal_(t)),
    ("normal_ms", lambda lib, t: lib.nn.init.normal_(t, 0.5, 0.2)),
    ("kaiming_normal_", lambda lib, t: lib.nn.init.kaiming_normal_(t)),
    ("kaiming_normal_out", lambda lib, t: lib.nn.init.kaiming_normal_(t, a=0.3, mode="fan_out")),
    ("xavier_normal_", lambda lib, t: lib.nn.init.xavier_normal_(t, gain=2.0)),
    ("trunc_normal_", lambda lib, t: lib.nn.init.trunc_normal_(t)),
    ("trunc_normal_shifted", lambda lib, t: lib.nn.init.trunc_normal_(t, mean=0.5, std=0.2, a=0.0, b=1.0)),
    ("sparse_", lambda lib, t: lib.nn.init.sparse_(t.view(t.shape[0], -1), 0.3)),
]
SHAPES = [(3, 5), (7, 4, 3), (40, 6)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", UNIFORM, ids=[c[0] for c in UNIFORM])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_based_inits_match_torch_exactly(case, shape, dtype):
    c, t = _seeded(case[1], shape, dtype)
    np.testing.assert_array_equal(c, t)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", NORMAL, ids=[c[0] for c in NORMAL])
def test_normal_based_inits_match_torch(case, shape):
    c, t = _seeded(case[1], shape)
    if _normal_is_bit_exact(shape, "float32"):
        np.testing.assert_array_equal(c, t)
    else:  # until ops/random.py's normal_ is bit-exact for this size: a few ulp
        np.testing.assert_array_equal(c == 0, t == 0)
        np.testing.assert_allclose(c, t, rtol=1e-6, atol=1e-7)


def test_linear_default_init_is_exact():
    """What Linear/Conv layers do: ``manual_seed(0); kaiming_uniform_(w, a=sqrt(5))`` equals torch."""
    for shape in [(4, 3), (64, 32), (8, 3, 3, 3)]:
        c, t = _seeded(lambda lib, w: lib.nn.init.kaiming_uniform_(w, a=math.sqrt(5)), shape)
        np.testing.assert_array_equal(c, t)
        fan_in = int(np.prod(shape[1:]))
        assert np.abs(c).max() <= 1 / math.sqrt(fan_in)


def test_generator_argument():
    out = {}
    for lib in LIBS:
        g = lib.Generator().manual_seed(3)
        w = lib.empty(5, 4)
        lib.nn.init.kaiming_uniform_(w, generator=g)
        lib.nn.init.uniform_(w[0], generator=g)
        out[lib.__name__] = w.numpy().copy()
    np.testing.assert_array_equal(out["chainrule"], out["torch"])


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 6)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal(shape, gain):
    c, t = _seeded(lambda lib, w: lib.nn.init.orthogonal_(w, gain=gain), shape)
    np.testing.assert_allclose(c, t, rtol=1e-4, atol=2e-6)  # QR by LAPACK on both sides
    flat = c.reshape(shape[0], -1).astype(np.float64)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(small), atol=1e-5)


@pytest.mark.parametrize("case", [
    lambda lib, t: lib.nn.init.constant_(t, 0.25),
    lambda lib, t: lib.nn.init.ones_(t),
    lambda lib, t: lib.nn.init.zeros_(t),
    lambda lib, t: lib.nn.init.eye_(t.view(t.shape[0], -1)),
    lambda lib, t: lib.nn.init.dirac_(t.view(t.shape[0], t.shape[1], -1)),
    lambda lib, t: lib.nn.init.dirac_(t.view(t.shape[0], t.shape[1], -1), groups=2),
    lambda lib, t: lib.nn.init.dirac_(t.view(t.shape[0], t.shape[1], 1, -1)),
    lambda lib, t: lib.nn.init.dirac_(t.view(t.shape[0], t.shape[1], 1, 1, -1)),
])
@pytest.mark.parametrize("shape", [(4, 2, 3), (6, 3, 5), (2, 4, 1)])
def test_deterministic_inits(case, shape):
    c, t = _seeded(case, shape)
    np.testing.assert_array_equal(c, t)


def test_constant_on_integer_tensor():
    res = [lib.nn.init.constant_(lib.zeros(3, dtype=lib.int64), 2.7).tolist() for lib in LIBS]
    assert res[0] == res[1]


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.init.xavier_uniform_(lib.empty(3)),
    lambda lib: lib.nn.init.kaiming_normal_(lib.empty(3)),
    lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(3, 4), mode="foo"),
    lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(3, 4), nonlinearity="bar"),
    lambda lib: lib.nn.init.eye_(lib.empty(3)),
    lambda lib: lib.nn.init.eye_(lib.empty(2, 2, 2)),
    lambda lib: lib.nn.init.dirac_(lib.empty(2, 3)),
    lambda lib: lib.nn.init.dirac_(lib.empty(3, 2, 3), groups=2),
    lambda lib: lib.nn.init.orthogonal_(lib.empty(3)),
    lambda lib: lib.nn.init.sparse_(lib.empty(3), 0.1),
    lambda lib: lib.nn.init.sparse_(lib.empty(3, 4)),
    lambda lib: lib.nn.init.uniform_(lib.zeros(2, dtype=lib.int64)),
])
def test_errors_match_torch(call):
    c, t = _outcome(call, chainrule), _outcome(call, torch)
    assert c[0] != "ok"
    assert c == t


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(0, 4)),
    lambda lib: lib.nn.init.kaiming_normal_(lib.empty(4, 0)),
    lambda lib: lib.nn.init.xavier_uniform_(lib.empty(0, 4)),
    lambda lib: lib.nn.init.orthogonal_(lib.empty(0, 3)),
    lambda lib: lib.nn.init.trunc_normal_(lib.empty(2), mean=10.0),
    lambda lib: lib.nn.init.uniform(lib.empty(2)),
    lambda lib: lib.nn.init.kaiming_normal(lib.empty(2, 2)),
    lambda lib: lib.nn.init.constant(lib.empty(2), 1.0),
])
def test_warnings_match_torch(call):
    seen = {}
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = call(lib)
        seen[lib.__name__] = ([(x.category.__name__, str(x.message)) for x in w], tuple(r.shape))
    assert seen["chainrule"] == seen["torch"]


@pytest.mark.parametrize("fn", [
    lambda t: init.uniform_(t), lambda t: init.normal_(t), lambda t: init.constant_(t, 3.0),
    lambda t: init.xavier_uniform_(t), lambda t: init.kaiming_normal_(t), lambda t: init.orthogonal_(t),
    lambda t: init.trunc_normal_(t), lambda t: init.eye_(t), lambda t: init.sparse_(t, 0.5),
])
def test_inits_work_in_place_on_parameters_outside_autograd(fn):
    p = chainrule.nn.Parameter(chainrule.zeros(4, 3))
    before = p._version
    alias = p.view(12)
    out = fn(p)
    assert out is p and type(p) is chainrule.nn.Parameter
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version > before
    np.testing.assert_array_equal(alias.detach().numpy(), p.detach().numpy().reshape(-1))
    (p * 2).sum().backward()  # still usable as a leaf
    np.testing.assert_array_equal(p.grad.numpy(), np.full((4, 3), 2, np.float32))


def test_versions_bump_like_torch():
    out = {}
    for lib in LIBS:
        p = lib.nn.Parameter(lib.ones(2, 2))
        vs = []
        for f in (lib.nn.init.ones_, lib.nn.init.zeros_, lib.nn.init.uniform_, lib.nn.init.orthogonal_,
                  lib.nn.init.xavier_uniform_, lib.nn.init.kaiming_uniform_, lib.nn.init.constant_):
            f(p, 1.0) if f is lib.nn.init.constant_ else f(p)
            vs.append(p._version)
        out[lib.__name__] = vs
    assert out["chainrule"] == out["torch"]


def test_distributions():
    """Bounds and moments, independent of the generator's stream."""
    chainrule.manual_seed(1)
    w = init.kaiming_uniform_(chainrule.empty(200, 50), a=math.sqrt(5))
    bound = math.sqrt(3) * init.calculate_gain("leaky_relu", math.sqrt(5)) / math.sqrt(50)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.95 * bound
    t = init.trunc_normal_(chainrule.empty(20000), mean=1.0, std=2.0, a=-1.0, b=2.0).numpy()
    assert t.min() >= -1.0 and t.max() <= 2.0
    n = init.kaiming_normal_(chainrule.empty(400, 100), mode="fan_out", nonlinearity="relu").numpy()
    assert abs(n.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400) * 5
    s = init.sparse_(chainrule.empty(10, 30), 0.35).numpy()
    assert ((s == 0).sum(axis=0) == math.ceil(0.35 * 10)).all()
