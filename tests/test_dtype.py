"""PyTorch's type promotion and the default dtype, compared with torch over every combination."""
import itertools
import operator
import warnings

import numpy as np
import pytest

import chainrule as C
from chainrule import _dtype
from opcheck import torch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PAIRS = list(itertools.product(NAMES, NAMES))
KINDS = [("dim", "dim"), ("dim", "zero"), ("zero", "dim"), ("zero", "zero")]
SCALARS = [True, 2, 2.5, -3]


@pytest.fixture(autouse=True)
def _torch_default_dtype():
    yield
    torch.set_default_dtype(torch.float32)


def _t(L, name, kind, values=None):
    d = getattr(L, name)
    if values is None:
        values = [True, False, True] if name == "bool" else [1.5, -2.25, 3.0] if "float" in name else [3, 2, 5]
    return L.tensor(values if kind == "dim" else values[0], dtype=d)


def test_promote_types_every_pair():
    for a, b in PAIRS:
        assert repr(C.promote_types(getattr(C, a), getattr(C, b))) == \
            str(torch.promote_types(getattr(torch, a), getattr(torch, b))), (a, b)


def test_result_type_tensors_of_every_kind():
    for (a, b), (ka, kb) in itertools.product(PAIRS, KINDS):
        got = C.result_type(_t(C, a, ka), _t(C, b, kb))
        assert repr(got) == str(torch.result_type(_t(torch, a, ka), _t(torch, b, kb))), (a, ka, b, kb)


def test_result_type_with_python_scalars():
    for name, kind, s in itertools.product(NAMES, ("dim", "zero"), SCALARS):
        assert repr(C.result_type(_t(C, name, kind), s)) == str(torch.result_type(_t(torch, name, kind), s))
        assert repr(C.result_type(s, _t(C, name, kind))) == str(torch.result_type(s, _t(torch, name, kind)))
    for s1, s2 in itertools.product(SCALARS, SCALARS):
        assert repr(C.result_type(s1, s2)) == str(torch.result_type(s1, s2))


OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
       "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "eq": operator.eq,
       "lt": operator.lt, "ge": operator.ge}


def _outcome(f, *args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = f(*args)
    except Exception as e:  # noqa: BLE001  (the exception type is what is compared)
        return ("error", type(e).__name__)
    return ("ok", str(r.dtype).replace("chainrule", "torch"), np.asarray(r.numpy(), dtype=np.float64))


def _compare(t, c):
    if t[0] == "error":
        assert c == t, f"torch raised {t[1]}, chainrule gave {c[:2]}"
        return
    assert c[0] == "ok", f"chainrule raised {c[1]}"
    assert c[1] == t[1]
    np.testing.assert_allclose(c[2], t[2], rtol=2e-3, equal_nan=True)


def _params():
    for op in OPS:
        for a, b in PAIRS:
            yield pytest.param(op, a, b, id=f"{op}-{a}-{b}")


@pytest.mark.parametrize("op,a,b", list(_params()))
def test_binary_ops_between_tensors_of_every_dtype_pair(op, a, b):
    f = OPS[op]
    for ka, kb in KINDS:
        _compare(_outcome(f, _t(torch, a, ka), _t(torch, b, kb)), _outcome(f, _t(C, a, ka), _t(C, b, kb)))


def _scalar_params():
    for op, name, s in itertools.product(OPS, NAMES, SCALARS):
        yield pytest.param(op, name, s, id=f"{op}-{name}-{s!r}")


@pytest.mark.parametrize("op,name,s", list(_scalar_params()))
def test_binary_ops_with_python_scalars(op, name, s):
    f = OPS[op]
    for kind in ("dim", "zero"):
        _compare(_outcome(f, _t(torch, name, kind), s), _outcome(f, _t(C, name, kind), s))
        _compare(_outcome(f, s, _t(torch, name, kind)), _outcome(f, s, _t(C, name, kind)))


def test_small_int_tensor_with_out_of_range_scalar_wraps():
    assert (C.tensor([1], dtype=C.int8) + 300).tolist() == (torch.tensor([1], dtype=torch.int8) + 300).tolist()


@pytest.mark.parametrize("a,b", [("int64", "int64"), ("int32", "int8"), ("bool", "bool"), ("uint8", "int16")])
def test_integer_division_gives_the_default_float(a, b):
    for L in (torch, C):
        r = _t(L, a, "dim") / _t(L, b, "dim")
        assert str(r.dtype).endswith("float32")
        assert str((_t(L, a, "dim") / 2).dtype).endswith("float32")
    torch.set_default_dtype(torch.float64)
    C.set_default_dtype(C.float64)
    t, c = _t(torch, a, "dim") / _t(torch, b, "dim"), _t(C, a, "dim") / _t(C, b, "dim")
    assert repr(c.dtype) == str(t.dtype) == "torch.float64"
    np.testing.assert_allclose(c.numpy(), t.numpy())


def test_default_dtype_get_and_set():
    assert C.get_default_dtype() is C.float32
    C.set_default_dtype(C.float64)
    torch.set_default_dtype(torch.float64)
    assert C.get_default_dtype() is C.float64
    cases = [lambda L: L.tensor([1.]), lambda L: L.tensor([1, 2]) * 2.5, lambda L: L.tensor([1.], dtype=L.float32) * 2.5,
             lambda L: L.tensor([1.], dtype=L.float16) + 2.5, lambda L: L.tensor([True]) + 2.5,
             lambda L: L.tensor([1, 2]) + L.tensor(2.5, dtype=L.float32), lambda L: L.zeros(2), lambda L: L.arange(2.)]
    for f in cases:
        assert repr(f(C).dtype) == str(f(torch).dtype)
    assert repr(C.result_type(2, 2.5)) == str(torch.result_type(2, 2.5)) == "torch.float64"
    C.set_default_dtype(C.float16)
    assert C.tensor([1.]).dtype is C.float16
    C.set_default_dtype(C.float32)
    for L in (torch, C):
        with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
            L.set_default_dtype(L.int64)
    assert C.get_default_dtype() is C.float32


def test_set_default_dtype_refuses_python_float():
    with pytest.raises(TypeError):
        C.set_default_dtype(float)
    assert C.get_default_dtype() is C.float32


def test_dtype_objects():
    for name in NAMES:
        c, t = getattr(C, name), getattr(torch, name)
        assert repr(c) == str(t) == str(c)
        assert c.is_floating_point == t.is_floating_point
        assert c.is_signed == t.is_signed
        assert c.itemsize == t.itemsize
        assert c.is_complex is False
    assert C.float is C.float32 and C.double is C.float64 and C.half is C.float16
    assert C.long is C.int64 and C.int is C.int32 and C.short is C.int16
    assert _dtype.to_dtype(float) is C.float64 and _dtype.to_dtype(int) is C.int64 and _dtype.to_dtype(bool) is C.bool
    assert C.zeros(1, dtype=float).dtype is C.float64


def test_can_cast_every_pair():
    for a, b in PAIRS:
        assert _dtype.can_cast(getattr(C, a), getattr(C, b)) == torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)


def test_can_cast_is_public():
    assert C.can_cast(C.int64, C.float32)


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name):
    c, t = C.finfo(getattr(C, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal"):
        assert getattr(c, attr) == getattr(t, attr), attr
    assert c.dtype == t.dtype
    assert C.finfo().dtype == torch.finfo().dtype == "float32"


def test_finfo_resolution():
    assert C.finfo(C.float32).resolution == torch.finfo(torch.float32).resolution


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    c, t = C.iinfo(getattr(C, name)), torch.iinfo(getattr(torch, name))
    assert (c.bits, c.max, c.min, c.dtype) == (t.bits, t.max, t.min, t.dtype)


def test_info_errors():
    for L in (torch, C):
        with pytest.raises(TypeError, match="requires a floating point input type"):
            L.finfo(L.int32)
        with pytest.raises(TypeError, match="requires an integer input type"):
            L.iinfo(L.float32)


def test_iinfo_bool_raises():
    with pytest.raises(TypeError):
        C.iinfo(C.bool)
