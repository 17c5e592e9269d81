"""Creating tensors: dtype inference, sharing, filled tensors and exact ranges vs torch."""
import math
import warnings

import numpy as np
import pytest

import chainrule as C
from opcheck import torch


def _arr(t):
    return t.detach().numpy()


def _same(t, c):
    assert repr(c.dtype) == str(t.dtype)
    assert tuple(c.shape) == tuple(t.shape)
    np.testing.assert_array_equal(_arr(c), t.detach().numpy())


def _both(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(torch), fn(C)


@pytest.fixture
def float64_default():
    torch.set_default_dtype(torch.float64)
    C.set_default_dtype(C.float64)
    yield
    torch.set_default_dtype(torch.float32)
    C.set_default_dtype(C.float32)


DATA = [
    [1., 2.], [1, 2], [True, False], [True, 2], [True, 2.5], [], [[]], [[], []], 3, 3.5, True, -0.0,
    np.float64(3.5), np.float32(3.5), np.int32(3), np.int8(-3), np.bool_(True), np.float16(1.5),
    [np.float64(3.5), 1], [np.float32(3.5), 1], [np.int32(3), 1], [np.int16(3), np.int16(4)],
    [np.float16(2.), 1], np.array([1, 2], dtype=np.int32), np.array([1., 2.]), np.array(1.),
    np.array([True]), np.array([[1, 2]], dtype=np.uint8), np.arange(6.).reshape(2, 3)[:, ::2],
    [[1, 2], [3, 4]], ((1, 2), [3, 4]), (1, 2.5), range(4), [range(2), range(2)],
    [[[1., 2.]], [[3., 4.]]], [[1, 2.5], [True, 4]],
    [C.tensor(1.), C.tensor(2.)], [C.tensor(1), C.tensor(2.)], [C.tensor(1, dtype=C.float64), 2],
    [C.tensor(1, dtype=C.int32), 2], [C.tensor(1, dtype=C.int32), C.tensor(2, dtype=C.int32)],
    [C.tensor([1.]), C.tensor([2.])], [[C.tensor(1.), 2], [3, 4]], [1.5, C.tensor(1, dtype=C.float64)],
    [np.array([1, 2]), np.array([3, 4])], [np.array([1., 2]), [3, 4]], [C.tensor(True), False],
    [2 ** 62, -2 ** 63], [1e300, -1e-300], [math.inf, -math.inf, math.nan],
]


def _for_torch(d):
    if isinstance(d, C.Tensor):
        return torch.from_numpy(np.array(_arr(d)))
    if isinstance(d, list):
        return [_for_torch(x) for x in d]
    if isinstance(d, tuple):
        return tuple(_for_torch(x) for x in d)
    return d


@pytest.mark.parametrize("data", DATA, ids=range(len(DATA)))
def test_tensor_infers_dtype_and_values_like_torch(data):
    t, c = torch.tensor(_for_torch(data)), C.tensor(data)
    _same(t, c)
    assert c.is_leaf and not c.requires_grad


@pytest.mark.parametrize("data", [[1., 2.], 2.5, [1, 2.5], [np.float32(1.), 2.], [C.tensor(1.), 2.], [[]], 3])
def test_default_dtype_float64_changes_inference(data, float64_default):
    _same(torch.tensor(_for_torch(data)), C.tensor(data))


CONVERSIONS = [
    ([1, 2], "float64"), ([1.7, -2.7], "int64"), ([1.7, -2.7], "int32"), ([-1], "uint8"), ([-255, 255], "uint8"),
    ([127, -128], "int8"), ([1.5, 0.], "bool"), ([2, 0], "bool"), ([True, False], "uint8"), ([1e300], "float32"),
    ([70000.], "float16"), ([True, 2.5], "int64"), (np.array([300, -1]), "uint8"), (np.array([1.9, -1.9]), "int16"),
    (3.9, "int32"), ([[1, 2], [3, 4]], "float16"), ([C.tensor(2), 1], "float32"), (np.float64(2.5), "float32"),
]


@pytest.mark.parametrize("data,dt", CONVERSIONS)
def test_tensor_with_dtype_converts_like_torch(data, dt):
    _same(torch.tensor(_for_torch(data), dtype=getattr(torch, dt)), C.tensor(data, dtype=getattr(C, dt)))


TENSOR_ERRORS = [
    ([[1, 2], [3]], ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
    ([[1, 2], [3, 4, 5]], ValueError, "expected sequence of length 2 at dim 1 (got 3)"),
    ([[[1, 2], [3, 4]], [[1, 2], [3]]], ValueError, "expected sequence of length 2 at dim 2 (got 1)"),
    ([[1, 2], []], ValueError, "expected sequence of length 2 at dim 1 (got 0)"),
    ([[1, 2], np.array([3, 4, 5])], ValueError, "expected sequence of length 2 at dim 1 (got 3)"),
    ([[1, 2], 3], TypeError, "not a sequence"),
    ([1, [2, 3]], TypeError, "'list' object cannot be interpreted as an integer"),
    ([1.5, [2]], TypeError, "must be real number, not list"),
    (["a"], ValueError, "too many dimensions 'str'"),
    ("a", TypeError, "new(): invalid data type 'str'"),
    ([1, "a"], TypeError, "new(): invalid data type 'str'"),
    (None, RuntimeError, "Could not infer dtype of NoneType"),
    ([1, None], RuntimeError, "Could not infer dtype of NoneType"),
    ({1: 2}, RuntimeError, "Could not infer dtype of dict"),
    ([2 ** 63], ValueError, "Overflow when unpacking long long"),
    ([C.tensor([1., 2.]), C.tensor([3., 4.])], ValueError, "only one element tensors can be converted to Python scalars"),
    (np.array(["a"]), TypeError, "can't convert np.ndarray of type numpy.str_"),
    (np.array([object()]), TypeError, "can't convert np.ndarray of type numpy.object_"),
    (np.ones(2, dtype=">f8"), ValueError, "byte order different from the native byte order"),
]


@pytest.mark.parametrize("data,exc,msg", TENSOR_ERRORS, ids=range(len(TENSOR_ERRORS)))
def test_tensor_errors_match_torch(data, exc, msg):
    with pytest.raises(exc) as te:
        torch.tensor(_for_torch(data))
    assert msg in str(te.value)
    with pytest.raises(exc) as ce:
        C.tensor(data)
    assert msg in str(ce.value)


@pytest.mark.parametrize("data,dt,msg", [
    ([300], "uint8", "value cannot be converted to type uint8 without overflow"),
    ([-1.5], "uint8", "value cannot be converted to type uint8 without overflow"),
    ([128], "int8", "value cannot be converted to type int8 without overflow"),
    ([2 ** 31], "int32", "value cannot be converted to type int32 without overflow"),
    ([1e20], "int64", "value cannot be converted to type int64 without overflow"),
    ([math.nan], "int64", "value cannot be converted to type int64 without overflow"),
])
def test_tensor_overflow_errors(data, dt, msg):
    for L in (torch, C):
        with pytest.raises(RuntimeError, match=msg):
            L.tensor(data, dtype=getattr(L, dt))


def test_unsupported_numpy_dtypes_and_complex_are_refused():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint16. The only supported types are"):
        C.tensor(np.array([1], dtype=np.uint16))
    with pytest.raises(TypeError, match="numpy.uint32"):
        C.from_numpy(np.array([1], dtype=np.uint32))
    with pytest.raises(TypeError, match="complex"):
        C.tensor([1 + 2j])


def test_tensor_requires_grad_and_copy_warning():
    t = C.tensor([1., 2.], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    for L in (torch, C):
        with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
            L.tensor([1, 2], requires_grad=True)
    src = C.tensor([1., 2.])
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        cp = C.tensor(src)
    cp[0] = 5.
    assert src.tolist() == [1., 2.]  # a copy


def test_from_numpy_shares_memory_both_ways():
    a = np.array([1., 2., 3.])
    t = C.from_numpy(a)
    a[1] = 9.
    assert t.tolist() == [1., 9., 3.] and t.dtype is C.float64
    t[0] = -1.
    assert a[0] == -1.
    strided = np.arange(6)[::2]
    assert C.from_numpy(strided).tolist() == [0, 2, 4]
    assert C.from_numpy(np.array(3.)).shape == ()
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got list\)"):
        C.from_numpy([1, 2])
    with pytest.raises(ValueError, match="negative"):
        C.from_numpy(np.arange(3.)[::-1])
    with pytest.raises(ValueError, match="byte order"):
        C.from_numpy(np.ones(2, dtype=">f4"))
    ro = np.ones(2)
    ro.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        C.from_numpy(ro)


def test_as_tensor_and_asarray_share_when_they_can():
    a = np.array([1., 2.])
    t = C.as_tensor(a)
    a[0] = 5.
    assert t.tolist() == [5., 2.]
    t32 = C.as_tensor(a, dtype=C.float32)
    a[0] = 6.
    assert t32.tolist() == [5., 2.] and t32.dtype is C.float32
    assert C.asarray(a).data_ptr() == a.__array_interface__["data"][0]
    assert C.asarray(a, copy=True).data_ptr() != a.__array_interface__["data"][0]
    x = C.tensor([1., 2.], requires_grad=True)
    assert C.as_tensor(x) is x and C.asarray(x) is x
    assert C.as_tensor(x, dtype=C.float64).grad_fn.name() == "ToCopyBackward0"
    y = C.asarray(x, copy=True)
    assert y.grad_fn.name() == "CloneBackward0" and y.data_ptr() != x.data_ptr()
    assert C.asarray(x, dtype=C.float64).grad_fn.name() == "ToCopyBackward0"
    z = C.tensor([1., 2.])
    assert C.asarray(z, requires_grad=True) is z and z.requires_grad
    _same(torch.as_tensor([1, 2]), C.as_tensor([1, 2]))
    _same(torch.asarray(3.5), C.asarray(3.5))
    _same(torch.asarray(np.float64(3.5)), C.asarray(np.float64(3.5)))
    _same(torch.asarray([1, 2], dtype=torch.float32), C.asarray([1, 2], dtype=C.float32))
    for L in (torch, C):
        with pytest.raises(ValueError, match="can't alias tensor with dtype 'Double' into dtype 'Float'"):
            L.asarray(np.arange(4.), dtype=L.float32, copy=False)
        with pytest.raises(ValueError, match="can't alias arbitrary sequence into a tensor"):
            L.asarray([1., 2.], copy=False)


FILLED = [
    lambda L: L.zeros(2, 3), lambda L: L.zeros((2, 3)), lambda L: L.zeros([2, 3]), lambda L: L.zeros(()),
    lambda L: L.zeros(L.Size([4])), lambda L: L.zeros(np.int64(3), 2), lambda L: L.zeros(L.tensor(3)),
    lambda L: L.zeros(size=(2, 1)), lambda L: L.zeros(0, 3), lambda L: L.zeros(2, dtype=L.int32),
    lambda L: L.ones(2, 3, dtype=L.bool), lambda L: L.ones(4, dtype=L.float64), lambda L: L.ones(1, 0),
    lambda L: L.empty(2, 3).shape, lambda L: L.full((2,), 1.5), lambda L: L.full((2,), 3),
    lambda L: L.full((2,), True), lambda L: L.full((2,), 1.5, dtype=L.int64), lambda L: L.full([], 1.5),
    lambda L: L.full((2,), np.float64(1.5)), lambda L: L.full((2,), np.int32(1)), lambda L: L.full((2,), L.tensor(3.)),
    lambda L: L.full((2,), L.tensor(3)), lambda L: L.full((2, 2), -0.0), lambda L: L.eye(3), lambda L: L.eye(2, 3),
    lambda L: L.eye(3, 2, dtype=L.int64), lambda L: L.eye(0), lambda L: L.eye(3, dtype=L.bool),
    lambda L: L.zeros_like(L.tensor([1, 2]), dtype=L.float64), lambda L: L.ones_like(L.tensor([[1., 2]])),
    lambda L: L.full_like(L.tensor([1, 2]), 2.7), lambda L: L.full_like(L.tensor([1., 2]), 7),
    lambda L: L.full_like(L.tensor([True]), 7), lambda L: L.empty_like(L.zeros(2, 2, dtype=L.int8)).shape,
    lambda L: L.scalar_tensor(1), lambda L: L.scalar_tensor(True), lambda L: L.scalar_tensor(2, dtype=L.int32),
    lambda L: L.ones(2, requires_grad=True), lambda L: L.zeros_like(L.ones(2), requires_grad=True),
]


@pytest.mark.parametrize("fn", FILLED, ids=range(len(FILLED)))
def test_filled_tensors_match_torch(fn):
    t, c = _both(fn)
    if isinstance(t, tuple):
        assert tuple(c) == tuple(t)
        return
    _same(t, c)
    assert c.requires_grad == t.requires_grad and c.is_leaf


def test_filled_tensors_follow_the_default_dtype(float64_default):
    for fn in (lambda L: L.zeros(2), lambda L: L.ones(1), lambda L: L.full((1,), 2.), lambda L: L.eye(2),
               lambda L: L.scalar_tensor(1), lambda L: L.arange(0., 2.), lambda L: L.linspace(0, 1, 3),
               lambda L: L.logspace(0, 1, 3), lambda L: L.empty(1)):
        t, c = _both(fn)
        assert repr(c.dtype) == str(t.dtype) == "torch.float64"


FILLED_ERRORS = [
    (lambda L: L.zeros(-1), RuntimeError, "zeros: Dimension size must be non-negative."),
    (lambda L: L.ones(2, -1), RuntimeError, "Trying to create tensor with negative dimension -1: [2, -1]"),
    (lambda L: L.empty(-1), RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
    (lambda L: L.full((-1,), 2.), RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
    (lambda L: L.zeros(), TypeError, 'zeros() missing 1 required positional arguments: "size"'),
    (lambda L: L.zeros(2.5), TypeError, "zeros(): argument 'size' (position 1) must be tuple of ints, not float"),
    (lambda L: L.zeros(2, 2.5), TypeError, "zeros(): argument 'size' failed to unpack the object at pos 2"),
    (lambda L: L.ones(True), TypeError, "must be tuple of ints, not bool"),
    (lambda L: L.zeros(None), TypeError, "must be tuple of ints, not NoneType"),
    (lambda L: L.full(2, 1.5), TypeError, "full(): argument 'size' (position 1) must be tuple of ints, not int"),
    (lambda L: L.full((2,), math.nan, dtype=L.int64), RuntimeError, "value cannot be converted to type int64_t without overflow"),
    (lambda L: L.full((2,), 300, dtype=L.uint8), RuntimeError, "value cannot be converted to type uint8_t without overflow"),
    (lambda L: L.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1"),
    (lambda L: L.eye(2, -1), RuntimeError, "m must be greater or equal to 0, got -1"),
    (lambda L: L.eye(2.5), TypeError, "eye(): argument 'n' (position 1) must be int, not float"),
    (lambda L: L.zeros_like([1]), TypeError, "zeros_like(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda L: L.zeros(2, dtype=L.int32, requires_grad=True), RuntimeError, "Only Tensors of floating point"),
]


@pytest.mark.parametrize("fn,exc,msg", FILLED_ERRORS, ids=range(len(FILLED_ERRORS)))
def test_filled_errors_match_torch(fn, exc, msg):
    for L in (torch, C):
        with pytest.raises(exc) as e:
            fn(L)
        assert msg in str(e.value)


def test_out_argument():
    o = C.empty(5)
    assert C.zeros(5, out=o) is o and o.tolist() == [0.] * 5
    r = C.empty(1, dtype=C.int64)
    C.arange(4, out=r)
    assert r.tolist() == [0, 1, 2, 3]


def _range_cases(seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        start = float(rng.standard_normal() * 10.0 ** rng.integers(-2, 3))
        step = float(rng.choice([0.1, 0.3, 0.01, 1 / 3, 0.7, 2.5, 1e-3, -0.1, -0.37, 1.0, 3.0]))
        step *= 1 if rng.random() < .5 else 1.7
        n = int(rng.integers(0, 90))
        yield start, start + step * n + step * rng.random(), step, int(rng.integers(0, 90))


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "int64", "int32", "int16", "uint8"])
def test_arange_values_are_bit_exact(dt):
    for start, end, step, _ in _range_cases(1, 60):
        if dt in ("int64", "int32", "int16"):
            start, end = round(start), round(end) + 1
        if dt == "uint8":
            start, end, step = abs(round(start)) % 50, abs(round(start)) % 50 + 60, abs(step)
        try:
            t = torch.arange(start, end, step, dtype=getattr(torch, dt))
        except (RuntimeError, ValueError) as e:
            with pytest.raises(type(e)):
                C.arange(start, end, step, dtype=getattr(C, dt))
            continue
        _same(t, C.arange(start, end, step, dtype=getattr(C, dt)))


@pytest.mark.parametrize("args", [(5,), (0, 1, 0.1), (1, 2.5), (0.5, 3), (0, 10, 3), (10, 0, -3), (5, 5), (True,),
                                  (0, 1e-3, 1e-5), (-3, 4, 0.7), (1e20, 1e20 + 1), (C.tensor(3),), (C.tensor(3.),),
                                  (0, 9000, 1.1), (0.1, 40.1, 0.1)])
def test_arange_inference_and_sizes(args):
    targs = tuple(torch.tensor(_arr(a)) if isinstance(a, C.Tensor) else a for a in args)
    _same(torch.arange(*targs), C.arange(*args))


@pytest.mark.parametrize("args,kw,exc,msg", [
    ((0, 10, -1), {}, RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((0, 10, 0), {}, RuntimeError, "step must be nonzero"),
    ((0, math.inf), {}, RuntimeError, "unsupported range: 0 -> inf"),
    ((0, math.nan), {}, RuntimeError, "unsupported range: 0 -> nan"),
    ((0, 1, 0.3), {"dtype": "int64"}, ValueError, "step must be nonzero"),
    ((0, 5), {"dtype": "bool"}, NotImplementedError, "\"arange_cpu\" not implemented for 'Bool'"),
])
def test_arange_errors(args, kw, exc, msg):
    for L in (torch, C):
        k = {n: getattr(L, v) for n, v in kw.items()}
        with pytest.raises(exc) as e:
            L.arange(*args, **k)
        assert msg in str(e.value)


@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32"])
def test_linspace_is_bit_exact(dt):
    for start, end, _, steps in _range_cases(2, 80):
        if dt.startswith("int"):
            start, end = round(start), round(end)
        _same(torch.linspace(start, end, steps, dtype=getattr(torch, dt)),
              C.linspace(start, end, steps, dtype=getattr(C, dt)))
    for steps in (1000, 65537):
        _same(torch.linspace(-3.3, 7.1, steps, dtype=getattr(torch, dt)),
              C.linspace(-3.3, 7.1, steps, dtype=getattr(C, dt)))


def test_linspace_special_cases():
    for fn in (lambda L: L.linspace(0, 1, 0), lambda L: L.linspace(2, 5, 1), lambda L: L.linspace(0, 10, 3),
               lambda L: L.linspace(L.tensor(0.), L.tensor(1.), 3), lambda L: L.linspace(0, 10, 5, dtype=L.int64),
               lambda L: L.linspace(10, 0, 4, dtype=L.int64), lambda L: L.linspace(-3, 10, 7, dtype=L.int32),
               lambda L: L.linspace(0, 1, 5, dtype=L.uint8), lambda L: L.linspace(0, 1, 3, requires_grad=True)):
        t, c = _both(fn)
        _same(t, c)
        assert c.requires_grad == t.requires_grad
    for L in (torch, C):
        with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
            L.linspace(0, 1, -1)
        with pytest.raises(RuntimeError, match="linspace only supports 0-dimensional start and end tensors"):
            L.linspace(L.tensor([0., 1.]), 1., 3)
    with pytest.raises(TypeError):
        C.linspace(0, 1, 2.5)


def test_float16_linspace_is_close():
    # float16 is computed through float32 here; PyTorch's half arithmetic can differ by an ulp
    for start, end, _, steps in _range_cases(3, 20):
        t = torch.linspace(start, end, steps, dtype=torch.float16).numpy().astype(np.float64)
        c = _arr(C.linspace(start, end, steps, dtype=C.float16)).astype(np.float64)
        np.testing.assert_allclose(c, t, rtol=2e-3, atol=2e-3 * max(abs(start), abs(end)))


@pytest.mark.parametrize("dt", ["float64", "int64", "int32"])
def test_logspace_is_exact(dt):
    rng = np.random.default_rng(4)
    for _ in range(60):
        start, end = rng.standard_normal(2) * 3
        steps = int(rng.integers(0, 60))
        base = float(rng.choice([10.0, 2.0, 3.7, math.e]))
        _same(torch.logspace(start, end, steps, base=base, dtype=getattr(torch, dt)),
              C.logspace(start, end, steps, base=base, dtype=getattr(C, dt)))


def test_logspace_float32_is_within_a_few_ulp():
    # PyTorch raises to powers with vectorised float32 code; chainrule rounds the exact power
    rng = np.random.default_rng(5)
    for _ in range(40):
        start, end = rng.standard_normal(2) * 3
        steps = int(rng.integers(1, 60))
        t = torch.logspace(start, end, steps).numpy()
        c = _arr(C.logspace(start, end, steps))
        assert c.dtype == np.float32
        assert (np.abs(c.astype(np.float64) - t) <= 8 * np.spacing(np.abs(t))).all()
    _same(torch.logspace(0, 2, 3), C.logspace(0, 2, 3))
    _same(torch.logspace(0, 3, 4, base=2), C.logspace(0, 3, 4, base=2))


def test_helpers():
    assert C.is_tensor(C.zeros(1)) and not C.is_tensor(np.zeros(1))
    assert C.numel(C.zeros(2, 3)) == 6
