"""Pointwise, rounding and selection ops: gradients, torch parity, dtypes, errors, in-place autograd."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as C
from opcheck import check_gradients, check_op, check_parity, torch

SHAPE = (2, 3)


# -- samplers: inputs inside each op's domain and away from its kinks ------------------------------
def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(rng, shape):
    return rng.uniform(-0.9, 0.9, shape)


def off_grid(rng, shape):
    """Away from whole numbers (and from 0): kinks of abs, relu, floor, frac, ... are at integers."""
    return rng.uniform(0.2, 0.8, shape) + rng.integers(-3, 3, shape)


def above_minus_half(rng, shape):
    return rng.uniform(-0.4, 2.0, shape)


UNARY = [
    ("neg", lambda L, x: L.neg(x), normal),
    ("-x", lambda L, x: -x, normal),
    ("abs", lambda L, x: L.abs(x), off_grid),
    ("abs()", lambda L, x: abs(x), off_grid),
    ("exp", lambda L, x: L.exp(x), normal),
    ("exp2", lambda L, x: L.exp2(x), normal),
    ("expm1", lambda L, x: L.expm1(x), normal),
    ("log", lambda L, x: L.log(x), positive),
    ("log2", lambda L, x: x.log2(), positive),
    ("log10", lambda L, x: L.log10(x), positive),
    ("log1p", lambda L, x: L.log1p(x), above_minus_half),
    ("sqrt", lambda L, x: L.sqrt(x), positive),
    ("rsqrt", lambda L, x: x.rsqrt(), positive),
    ("square", lambda L, x: L.square(x), normal),
    ("reciprocal", lambda L, x: L.reciprocal(x), positive),
    ("sin", lambda L, x: L.sin(x), normal),
    ("cos", lambda L, x: x.cos(), normal),
    ("tan", lambda L, x: L.tan(x), unit),
    ("asin", lambda L, x: L.asin(x), unit),
    ("acos", lambda L, x: L.acos(x), unit),
    ("atan", lambda L, x: L.atan(x), normal),
    ("arcsin", lambda L, x: L.arcsin(x), unit),
    ("sinh", lambda L, x: L.sinh(x), normal),
    ("cosh", lambda L, x: L.cosh(x), normal),
    ("tanh", lambda L, x: L.tanh(x), normal),
    ("sigmoid", lambda L, x: L.sigmoid(x), normal),
    ("sigmoid wide", lambda L, x: L.sigmoid(x * 30), normal),
    ("relu", lambda L, x: L.relu(x), off_grid),
    ("erf", lambda L, x: L.erf(x), normal),
    ("erf wide", lambda L, x: L.erf(x * 3), normal),
    ("sign", lambda L, x: L.sign(x), off_grid),
    ("floor", lambda L, x: L.floor(x), off_grid),
    ("ceil", lambda L, x: x.ceil(), off_grid),
    ("round", lambda L, x: L.round(x), off_grid),
    ("round decimals", lambda L, x: L.round(x * 0.37, decimals=1) + x, normal),
    ("round negative decimals", lambda L, x: L.round(x * 1000, decimals=-2) + x, normal),
    ("trunc", lambda L, x: L.trunc(x), off_grid),
    ("frac", lambda L, x: L.frac(x), off_grid),
    ("clamp numbers", lambda L, x: L.clamp(x, -1.0, 1.0), off_grid),
    ("clamp min", lambda L, x: L.clamp(x, min=0.5), off_grid),
    ("clamp max", lambda L, x: x.clamp(max=-0.5), off_grid),
    ("clip", lambda L, x: L.clip(x, -2, 2), off_grid),
    ("clamp_min", lambda L, x: L.clamp_min(x, 0.5), off_grid),
    ("clamp_max", lambda L, x: x.clamp_max(0.5), off_grid),
    ("pow 3", lambda L, x: x ** 3, normal),
    ("pow 0.5", lambda L, x: L.pow(x, 0.5), positive),
    ("rpow", lambda L, x: 2.0 ** x, normal),
    ("rsub", lambda L, x: 1.0 - x, normal),
    ("rdiv", lambda L, x: 2.0 / x, positive),
    ("fmod number", lambda L, x: L.fmod(x, 1.5), off_grid),
    ("remainder number", lambda L, x: x % 1.5, off_grid),
    ("lerp weight tensor only", lambda L, x: L.lerp(L.ones(SHAPE, dtype=x.dtype), L.zeros(SHAPE, dtype=x.dtype), x), normal),
    ("where scalar branches", lambda L, x: L.where(x > 0, x, 0.5), off_grid),
    ("addcmul value", lambda L, x: L.addcmul(x, x, x, value=0.5), normal),
    ("addcdiv value", lambda L, x: L.addcdiv(x, x, x * x + 1, value=-2), normal),
]


@pytest.mark.parametrize("name,fn,sample", UNARY, ids=[u[0] for u in UNARY])
def test_unary_gradients_and_parity(name, fn, sample, rng):
    check_op(fn, sample(rng, SHAPE))


def test_zero_dim_inputs():
    for fn in (lambda L, x: L.exp(x), lambda L, x: L.log(x), lambda L, x: L.sigmoid(x), lambda L, x: L.abs(x),
               lambda L, x: L.floor(x), lambda L, x: L.clamp(x, 0, 2), lambda L, x: L.where(x > 0, x, 0.),
               lambda L, x: L.sign(x), lambda L, x: x ** x, lambda L, x: L.maximum(x, x * 0.5)):
        check_op(fn, np.array(1.3))


# -- binary ops with broadcasting --------------------------------------------------------------------
def divisor(rng, shape):
    """|b| in [2, 2.1]: with |a| in [0.3, 1.7] or [2.5, 3.7], a / b stays off whole numbers."""
    return rng.uniform(2.0, 2.1, shape) * rng.choice([-1.0, 1.0], shape)


def signed_dividend(rng, shape):
    """|a| in [0.3, 1.5] or [2.5, 3.7], either sign."""
    return (rng.choice([0.3, 2.5], shape) + rng.uniform(0, 1.2, shape)) * rng.choice([-1.0, 1.0], shape)


BINARY = [
    ("add", lambda L, a, b: a + b, normal, normal),
    ("add alpha", lambda L, a, b: L.add(a, b, alpha=2.5), normal, normal),
    ("sub", lambda L, a, b: a - b, normal, normal),
    ("sub alpha", lambda L, a, b: L.sub(a, b, alpha=-0.5), normal, normal),
    ("mul", lambda L, a, b: a * b, normal, normal),
    ("div", lambda L, a, b: a / b, normal, positive),
    ("pow", lambda L, a, b: a ** b, positive, normal),
    ("atan2", lambda L, a, b: L.atan2(a, b), normal, normal),
    ("maximum", lambda L, a, b: L.maximum(a, b), normal, normal),
    ("minimum", lambda L, a, b: a.minimum(b), normal, normal),
    ("fmod", lambda L, a, b: L.fmod(a, b), signed_dividend, divisor),
    ("remainder", lambda L, a, b: L.remainder(a, b), signed_dividend, divisor),
    ("mod operator", lambda L, a, b: a % b, signed_dividend, divisor),
    ("lerp number weight", lambda L, a, b: L.lerp(a, b, 0.3), normal, normal),
    ("lerp high weight", lambda L, a, b: a.lerp(b, 0.8), normal, normal),
    ("clamp tensor min", lambda L, a, b: L.clamp(a, min=b), normal, normal),
    ("clamp tensor max", lambda L, a, b: L.clamp(a, max=b), normal, normal),
    ("clamp_min tensor", lambda L, a, b: L.clamp_min(a, b), normal, normal),
    ("clamp_max tensor", lambda L, a, b: a.clamp_max(b), normal, normal),
]

# torch's clamp backward fails when x is smaller than the broadcast shape: x gets the full shape there.
TERNARY = [
    ("where", lambda L, c, a, b: L.where(c > 0, a, b), normal, normal, normal),
    ("lerp tensor weight", lambda L, a, b, w: L.lerp(a, b, w), normal, normal, normal),
    ("clamp tensors", lambda L, x, lo, hi: L.clamp(x, lo, hi), normal, normal, normal),
    ("addcmul", lambda L, x, a, b: L.addcmul(x, a, b, value=1.5), normal, normal, normal),
    ("addcdiv", lambda L, x, a, b: L.addcdiv(x, a, b), normal, normal, positive),
]

small_shapes = dict(max_dims=3, max_side=3)


@pytest.mark.parametrize("name,fn,sa,sb", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=6, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, **small_shapes), seed=st.integers(0, 2**16))
def test_binary_broadcasting(name, fn, sa, sb, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (np.asarray(s(rng, sh), dtype=np.float64) for s, sh in zip((sa, sb), shapes.input_shapes))
    check_op(fn, a, b)


@pytest.mark.parametrize("name,fn,s1,s2,s3", TERNARY, ids=[t[0] for t in TERNARY])
@settings(max_examples=6, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, **small_shapes), seed=st.integers(0, 2**16))
def test_ternary_broadcasting(name, fn, s1, s2, s3, shapes, seed):
    rng = np.random.default_rng(seed)
    in_shapes = list(shapes.input_shapes)
    if name.startswith("clamp"):
        in_shapes[0] = shapes.result_shape
    arrays = [np.asarray(s(rng, sh), dtype=np.float64) for s, sh in zip((s1, s2, s3), in_shapes)]
    check_op(fn, *arrays)


def test_where_with_bool_condition_tensor(rng):
    cond = rng.standard_normal((3, 1)) > 0
    check_op(lambda L, c, a, b: L.where(c, a, b), cond, rng.standard_normal((1, 4)), rng.standard_normal((3, 4)))
    check_op(lambda L, c, a: L.where(c, 2.0, a), cond, rng.standard_normal((3, 4)))


# -- PyTorch's conventions at kinks (compared with torch, no numerical check there) -------------------
KINKS = [
    ("abs at 0", lambda L, x: L.abs(x), [-1.0, 0.0, 2.0]),
    ("relu at 0", lambda L, x: L.relu(x), [-1.0, 0.0, 2.0]),
    ("sqrt at 0", lambda L, x: L.sqrt(x), [0.0, 4.0]),
    ("clamp at bounds", lambda L, x: L.clamp(x, 0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0]),
    ("clamp min > max", lambda L, x: L.clamp(x, 1.0, 0.0), [-1.0, 0.5, 2.0]),
    ("sign floor ceil round trunc", lambda L, x: L.sign(x) + L.floor(x) + L.ceil(x) + L.round(x) + L.trunc(x),
     [-1.5, 0.0, 0.5, 2.0]),
    ("round half to even", lambda L, x: L.round(x), [0.5, 1.5, 2.5, -0.5, -1.5]),
    ("maximum of itself", lambda L, x: L.maximum(x, x), [1.0, -2.0]),
]


@pytest.mark.parametrize("name,fn,values", KINKS, ids=[k[0] for k in KINKS])
def test_gradient_conventions_at_kinks(name, fn, values):
    check_parity(fn, np.array(values))


TIES = [
    ("maximum ties", lambda L, a, b: L.maximum(a, b), [1.0, 2.0, 3.0], [1.0, 5.0, 0.0]),
    ("minimum ties", lambda L, a, b: L.minimum(a, b), [1.0, 2.0, 3.0], [1.0, 5.0, 0.0]),
    ("clamp min tie", lambda L, a, b: L.clamp(a, min=b), [1.0, 2.0, 3.0], [1.0, 5.0, 0.0]),
    ("clamp max tie", lambda L, a, b: L.clamp(a, max=b), [1.0, 2.0, 3.0], [1.0, 5.0, 0.0]),
    ("fmod with tensor divisor", lambda L, a, b: L.fmod(a, b), [-5.0, 5.0, 3.5], [2.0, -2.0, 1.5]),
]


@pytest.mark.parametrize("name,fn,a,b", TIES, ids=[t[0] for t in TIES])
def test_gradient_conventions_at_ties(name, fn, a, b):
    check_parity(fn, np.array(a), np.array(b))


def test_clamp_tensor_bounds_every_ordering():
    # x below, inside, above, equal to each bound; lo < hi, lo == hi, lo > hi.
    x = np.array([0., 1., 2., 3., 4., 5., 0., 0., 5., 3., 4.])
    lo = np.array([1., 1., 1., 4., 4., 6., 4., 2., 2., 4., 4.])
    hi = np.array([3., 3., 3., 2., 4., 7., 2., 2., 2., 2., 4.])
    check_parity(lambda L, x, lo, hi: L.clamp(x, lo, hi), x, lo, hi)


def test_division_by_zero_values_match_torch():
    check_parity(lambda L, a, b: a / b, np.array([1.0, -1.0, 0.0]), np.array([0.0, 0.0, 0.0]), grad=False)
    check_parity(lambda L, a: L.log(a), np.array([0.0, -1.0]), grad=False)
    check_parity(lambda L, a: L.reciprocal(a), np.array([0.0, -0.0]), grad=False)


def test_second_order_of_step_ops_is_zero():
    x = C.tensor([0.3, 1.7], requires_grad=True)
    g, = C.autograd.grad((C.floor(x) * x).sum(), x, create_graph=True)
    assert g.tolist() == pytest.approx([0.0, 1.0])
    h, = C.autograd.grad(g.sum(), x, allow_unused=True, materialize_grads=True)
    assert h.tolist() == [0.0, 0.0]


# -- dtypes: results for mixed operands, compared with torch --------------------------------------
DTYPE_EXPRS = [
    # float functions of integers and bools give the default dtype
    "T.exp(T.tensor([1, 2]))", "T.sqrt(T.tensor([True, False]))", "T.sigmoid(T.tensor([1], dtype=T.int32))",
    "T.erf(T.tensor([0, 1]))", "T.log1p(T.tensor([1, 2], dtype=T.uint8))", "T.reciprocal(T.tensor([2, 4]))",
    "T.exp(T.tensor([1., 2.], dtype=T.float64))", "T.tanh(T.tensor(1))",
    # dtype-keeping ops
    "T.abs(T.tensor([-1, 2]))", "T.neg(T.tensor([1, 2], dtype=T.int8))", "T.relu(T.tensor([-1, 2]))",
    "T.square(T.tensor([3]))", "T.square(T.tensor([True, False]))", "T.sign(T.tensor([True, False]))",
    "T.sign(T.tensor([-2, 0, 3]))", "T.floor(T.tensor([1, 2]))", "T.round(T.tensor([1, 2]))",
    "T.trunc(T.tensor([-2.5, 2.5]))", "T.fix(T.tensor([-2.5, 2.5]))", "T.frac(T.tensor([-2.5, 0., 3.25]))",
    "T.round(T.tensor([0.5, 1.5, 2.5, -0.5, 1.2345]))",
    "T.round(T.tensor([0.5, 1.5, 2.5, -0.5, 1.2345]), decimals=2)",
    "T.round(T.tensor([1234.5, 1.5, 2.5, -0.5, 1.2345]), decimals=-2)",
    "T.round(T.tensor([1.25, 2.35], dtype=T.float16), decimals=1)", "T.sign(T.tensor([float('nan'), -0.0, 2.]))",
    "T.exp(T.tensor([1., 2.], dtype=T.float16))", "T.sigmoid(T.tensor([-100., 100., 0.], dtype=T.float64))",
    "T.relu(T.tensor([float('nan'), -1.]))", "T.clamp(T.tensor([1., float('nan')]), 0, 1)",
    "T.maximum(T.tensor([1., float('nan')]), T.tensor([2., 1.]))", "T.erf(T.tensor([0.5, 2.], dtype=T.float16))",
    # division by zero and other edges
    "T.div(T.tensor([-5., 7., 0.]), 0., rounding_mode='trunc')", "T.tensor([-5., 7., 0.]) // 0.",
    "T.tensor([-5., 7., 0.]) % 0.", "T.fmod(T.tensor([-5., 7., 0.]), 0.)", "T.tensor([5., -7.]) % float('inf')",
    "T.remainder(T.tensor([5, 250], dtype=T.uint8), 3)", "T.div(T.tensor([5, 7], dtype=T.uint8), 2, rounding_mode='trunc')",
    "T.fmod(T.tensor([5, -5], dtype=T.int8), T.tensor([3, -3], dtype=T.int8))", "T.log1p(T.tensor([-1.]))",
    "T.lerp(T.tensor([1e8, 2.]), T.tensor([3., 2e8]), 1.0)", "T.lerp(T.tensor([1., 2.]), T.tensor([3., 2.]), T.tensor([0.5, 1.5]))",
    "T.exp(T.tensor([]))", "T.where(T.tensor([], dtype=T.bool), T.tensor([]), 1.)",
    # binary promotion: tensors, 0-dim tensors, Python scalars
    "T.atan2(T.tensor([1, 2]), T.tensor([3., 4.]))", "T.atan2(T.tensor([1, 2]), T.tensor(3, dtype=T.int32))",
    "T.atan2(T.tensor([1., 2.]), T.tensor(3., dtype=T.float64))",
    "T.maximum(T.tensor([1, 2]), T.tensor([1.5, 0.]))", "T.minimum(T.tensor([True, False]), T.tensor([True, True]))",
    "T.maximum(T.tensor([1, 2], dtype=T.uint8), T.tensor([3, 0], dtype=T.int8))",
    "T.maximum(T.tensor([1, 2], dtype=T.int32), T.tensor(5))",
    "T.fmod(T.tensor([-3., 3.]), 2)", "T.fmod(T.tensor([-3, 3]), 2)", "T.fmod(T.tensor([-3, 3]), 1.5)",
    "T.fmod(T.tensor([-3, 3], dtype=T.int32), T.tensor(2))",
    "T.remainder(T.tensor([-3, 3]), 2)", "T.remainder(2, T.tensor([-3, 3]))", "T.remainder(2.5, T.tensor([-3, 3]))",
    "T.remainder(T.tensor([-3., 3.]), T.tensor([2., -2.], dtype=T.float64))",
    "T.floor_divide(T.tensor([-7, 7]), 2)", "T.floor_divide(T.tensor([-7., 7.]), 2)",
    "T.floor_divide(T.tensor([-7, 7]), T.tensor(2.))",
    "T.div(T.tensor([-7, 7]), 2, rounding_mode='trunc')", "T.div(T.tensor([-7, 7]), T.tensor([2, -2]), rounding_mode='trunc')",
    "T.div(T.tensor([-7., 7.]), 2, rounding_mode='trunc')", "T.div(T.tensor([-7, 7]), 2, rounding_mode='floor')",
    "T.div(7, T.tensor([-2, 3]), rounding_mode='floor')", "T.div(T.tensor([-7, 7], dtype=T.int16), 2.5, rounding_mode='floor')",
    "T.div(T.tensor([-7, 7]), 2)", "T.div(T.tensor([True]), 2, rounding_mode='floor')", "T.tensor([1, 2]) / T.tensor([True, True])",
    "T.tensor([5., 2.]) // 2", "7 // T.tensor([5., 2.])", "T.tensor([5, -2]) // 2", "-7 % T.tensor([5, 2])",
    "T.tensor([5., -2.]) % 3", "2 / T.tensor([5, 2])", "2 / T.tensor([True, False])", "abs(T.tensor([-5, 2]))",
    "T.tensor([1, 2]) + 1.5", "T.tensor([1, 2]) * True", "T.tensor([True]) + True", "T.tensor([1, 2], dtype=T.int32) + T.tensor(5)",
    "T.tensor([1., 2.]) + T.tensor(5., dtype=T.float64)", "T.tensor(1.) + T.tensor([1, 2])",
    "T.tensor([3, 4]) ** 2", "T.tensor([3, 4]) ** 0.5", "2 ** T.tensor([3, 4])", "T.tensor([1, 2]) - 0.5",
    "T.lerp(T.tensor([1., 2.]), T.tensor([3., 5.]), 0.3)", "T.lerp(T.tensor([1., 2.]), T.tensor([3., 5.]), T.tensor([0.3, 0.8]))",
    "T.lerp(T.tensor([1., 2.]), T.tensor([3., 5.]), T.tensor(0.3, dtype=T.float64))", "T.lerp(T.tensor(1.), T.tensor([3., 5.]), 2)",
    "T.addcmul(T.tensor([1, 5, 3]), T.tensor([1, 5, 3]), T.tensor([1, 5, 3]), value=0.5)",
    "T.addcmul(T.tensor([1., 5, 3]), T.tensor([1, 5, 3]), T.tensor([1, 5, 3]), value=2)",
    "T.addcmul(T.tensor([1., 5, 3]), T.tensor([1, 5, 3], dtype=T.float64), T.tensor([1., 5, 3]))",
    "T.addcdiv(T.tensor([1, 5, 3]), T.tensor([1., 5, 3]), T.tensor([1, 5, 3]), value=0.5)",
    "T.clamp(T.tensor([1, 5, 3]), 2, 4.5)", "T.clamp(T.tensor([1, 5, 3]), 0.5)", "T.clamp(T.tensor([1, 5, 3]), 2)",
    "T.clamp(T.tensor([1, 5, 3]), T.tensor([2., 2., 2.]))", "T.clamp(T.tensor([1., 5., 3.]), T.tensor(2, dtype=T.float64))",
    "T.clamp(T.tensor([True, False]), 0)", "T.clamp(T.tensor([True, False]), T.tensor(True))",
    "T.clamp(T.tensor([1., 5., 3.]), 4, 2)", "T.clip(T.tensor([1., 5., 3.]), max=2)",
    "T.tensor([1., 2.]).clamp_min(1.5)", "T.tensor([1., 2.]).clamp_max(T.tensor([1.5, 1.]))",
    "T.where(T.tensor([True, False]), T.tensor([1, 2]), 1.5)", "T.where(T.tensor([True, False]), 1, 0)",
    "T.where(T.tensor([True, False]), 1., 0)", "T.where(T.tensor([True, False]), True, False)",
    "T.where(T.tensor([True, False]), T.tensor([1, 2]), True)", "T.where(T.tensor([True, False]), T.tensor([1.]), T.tensor([1.], dtype=T.float64))",
    "T.where(T.tensor([True, False]), T.tensor([1, 2]), T.tensor([1.5, 2.5]))",
    "T.where(T.tensor([True, False]), T.tensor([1., 2.]), T.tensor(2., dtype=T.float64))",
    "T.where(T.tensor([[True], [False]]), T.tensor([1., 2.]), 0.)", "T.ones(2).where(T.tensor([True, False]), T.zeros(2))",
    "T.where(T.tensor([True, False, True]))", "T.where(T.tensor([[0, 1], [2, 0]]))", "T.where(T.tensor(True))",
    # comparisons and logic give bool; bitwise keeps the integer type
    "T.tensor([1, 2]) == 1.5", "T.tensor([1, 2]) < T.tensor([1.5, 1.5])", "T.tensor([True, False]) != 0",
    "T.tensor([1., 2.]) >= T.tensor(2)", "T.le(T.tensor([1, 2]), 1)",
    "T.logical_and(T.tensor([1., 0.]), T.tensor([2, 2]))", "T.logical_or(T.tensor([0, 0]), T.tensor([0., 3.]))",
    "T.logical_xor(T.tensor([True, False]), T.tensor([[True], [False]]))", "T.logical_not(T.tensor([0., 2.]))",
    "T.tensor([1, 2]) & 3", "T.tensor([True, False]) | True", "True ^ T.tensor([True, False])", "3 | T.tensor([4])",
    "~T.tensor([True, False])", "~T.tensor([1, -2])", "~T.tensor([1, 2], dtype=T.uint8)",
    "T.bitwise_and(2, T.tensor([3]))", "T.bitwise_xor(T.tensor([5], dtype=T.int32), T.tensor([3]))",
    "T.bitwise_or(T.tensor([True]), T.tensor([2], dtype=T.int8))", "T.bitwise_not(T.tensor([0, 5]))",
    "T.isnan(T.tensor([1., float('nan')]))", "T.isinf(T.tensor([1, 2]))", "T.isinf(T.tensor([1., -float('inf')]))",
    "T.isfinite(T.tensor([1., float('inf'), float('nan')]))", "T.isfinite(T.tensor([True]))",
    "T.isposinf(T.tensor([1., float('inf'), -float('inf')]))", "T.isneginf(T.tensor([1., float('inf'), -float('inf')]))",
    "T.isclose(T.tensor([1., 2.]), T.tensor([1., 2.0001]))", "T.isclose(T.tensor([1., 2.]), T.tensor([1., 2.0001]), rtol=1e-3)",
    "T.isclose(T.tensor([float('nan'), float('inf'), 1.]), T.tensor([float('nan'), float('inf'), 1.]))",
    "T.isclose(T.tensor([float('nan'), float('inf'), 1.]), T.tensor([float('nan'), float('inf'), 1.]), equal_nan=True)",
    "T.isclose(T.tensor([1, 2]), T.tensor([2, 2]), atol=1)", "T.isclose(T.tensor([True]), T.tensor([False]), atol=1)",
    "T.allclose(T.tensor([1., 2.]), T.tensor([1., 2.0000001]))", "T.allclose(T.tensor([1., 2.]), T.tensor([1., 2.1]))",
    "T.equal(T.tensor([1., 2.]), T.tensor([1, 2]))", "T.equal(T.tensor([1., 2.]), T.tensor([1.]))",
    "T.equal(T.tensor([1., 2.]), T.tensor([1., 3.]))",
    # in-place ops keep the dtype of self
    "T.tensor([1., 2.]).copy_(T.tensor([3, 4]))", "T.tensor([1, 2]).copy_(T.tensor([3.7, -4.2]))",
    "T.ones(2, 2).copy_(T.tensor([3., 4.]))", "T.tensor([1., 2.]).copy_(2.)",
    "T.tensor([1, 2]).fill_(2.7)", "T.tensor([True, False]).fill_(2)", "T.tensor([1., 2.]).fill_(T.tensor(3))",
    "T.tensor([1., 2.]).zero_()", "T.tensor([1., 2.]).eq_(2)", "T.tensor([1., 0.]).logical_not_()",
    "T.tensor([4, 5]).floor_divide_(2)", "T.tensor([4., 5.]).remainder_(2)", "T.tensor([4, 5]).mul_(T.tensor(2.))",
    "T.tensor([1., 2.], dtype=T.float64).add_(T.tensor([1., 2.]))", "T.tensor([1., 2.]).add_(T.tensor([1., 2.], dtype=T.float64))",
    "T.tensor([1., 2., 3.]).lerp_(T.tensor([3.]), 0.5)", "T.tensor([1., 2.]).sigmoid_()", "T.tensor([-1., 2.]).abs_()",
    "T.tensor([1., 2.]).clamp_(1.5)", "T.tensor([1, 2]).clamp_(max=1)", "T.tensor([1.4, 2.6]).round_()",
    "T.tensor([5, 6]).__iand__(3)", "T.tensor([5, 6]).bitwise_or_(T.tensor(8))",
]


def _run(expr, lib):
    try:
        r = eval(expr, {"T": lib})
    except Exception as e:  # noqa: BLE001 - the exception itself is the result compared
        return ("raised", type(e).__name__, str(e))
    if isinstance(r, tuple):
        return ("tuple", [(str(t.dtype), t.tolist()) for t in r])
    if hasattr(r, "dtype"):
        return ("tensor", str(r.dtype), tuple(r.shape), np.array(r.tolist(), dtype=np.float64))
    return ("value", r)


@pytest.mark.parametrize("expr", DTYPE_EXPRS)
def test_dtypes_and_values_match_torch(expr):
    got, want = _run(expr, C), _run(expr, torch)
    assert got[0] == want[0], (got, want)
    if got[0] == "tensor":
        assert got[1:3] == want[1:3]
        np.testing.assert_allclose(got[3], want[3], rtol=1e-6, atol=1e-7)
    else:
        assert got == want


# -- errors: type and message as torch, input unchanged ------------------------------------------------
ERRORS = [
    "T.abs(T.tensor([True]))", "T.relu(T.tensor([True]))", "T.neg(T.tensor([True]))", "-T.tensor([True])",
    "T.frac(T.tensor([2]))", "T.floor(T.tensor([True]))", "T.round(T.tensor([1, 2]), decimals=1)",
    "T.exp([1.])", "T.sqrt(2.)", "T.atan2(T.tensor([1.]), 2)", "T.maximum(T.tensor([1.]), 2)",
    "T.minimum(2, T.tensor([1.]))", "T.gt(2, T.tensor([1, 3]))", "T.eq([1], T.tensor([1, 3]))", "T.logical_and(T.tensor([1.]), 1)", "T.isclose(T.tensor([1.]), 2)",
    "T.isclose(T.tensor([1, 2]), T.tensor([1., 2.]))", "T.isclose(T.tensor([1.]), T.tensor([1.]), rtol=-1)",
    "T.isclose(T.tensor([1.]), T.tensor([1.]), atol=-1)", "T.equal(T.tensor([1.]), 2)",
    "T.fmod(T.tensor([True]), T.tensor([True]))", "T.remainder(T.tensor([True]), True)",
    "T.floor_divide(T.tensor([True]), T.tensor([True]))",
    "T.fmod(T.tensor([1, 2]), 0)", "T.remainder(T.tensor([1, 2]), T.tensor([1, 0]))", "T.tensor([1, 2]) // 0",
    "T.div(T.tensor([1, 2]), 0, rounding_mode='trunc')", "T.div(T.tensor([1., 2.]), 2, rounding_mode='round')",
    "T.tensor([1.]) & 1", "T.bitwise_not(T.tensor([1.]))",
    "~T.tensor([1.])", "T.tensor([True]) - T.tensor([True])",
    "T.lerp(T.tensor([1., 2.]), T.tensor([3., 5.], dtype=T.float64), 0.3)",
    "T.lerp(T.tensor([1., 2.]), T.tensor([3., 5.]), T.tensor([0.3, 0.8], dtype=T.float64))",
    "T.lerp(T.tensor([1, 2]), T.tensor([3, 5]), 0.3)", "T.lerp(T.tensor([1., 2.]), T.tensor([3., 5.]), T.tensor([1., 3.]) > 2)",
    "T.addcdiv(T.tensor([1, 5, 3]), T.tensor([1, 5, 3]), T.tensor([1, 5, 3]))",
    "T.addcmul(T.tensor([True]), T.tensor([True]), T.tensor([True]))", "T.addcmul(T.tensor([1.]), 2, T.tensor([1.]))",
    "T.clamp(T.ones(3))", "T.clamp(T.tensor([True]), True)", "T.clamp(T.tensor([True]), None, True)",
    "T.clamp(T.tensor([True]), T.tensor(True), T.tensor(False))",
    "T.where(T.tensor([1., 0.]), 1, 0)", "T.where(T.tensor([True]), T.ones(1))",
    "T.ones(2, 3) + T.ones(4)", "T.ones(5, 2, 3) * T.ones(4, 1, 1)", "T.where(T.ones(3) > 0, T.ones(2), 0.)",
    "T.maximum(T.ones(3), T.ones(2))", "T.atan2(T.ones(2, 3), T.ones(3, 2))",
    "T.tensor([1, 2]).add_(1.5)", "T.tensor([1, 2]).exp_()", "T.tensor([1, 2]).div_(2)", "T.tensor([True]).add_(1)",
    "T.tensor([1, 2]).mul_(T.tensor([1.]))", "T.ones(1).mul_(T.ones(3))", "T.ones(2, 3).add_(T.ones(4, 2, 3))",
    "T.tensor([3.]).lerp_(T.tensor([1., 2., 3.]), 0.5)", "T.tensor([1, 2]).sigmoid_()",
    "T.tensor([1., 2.]).copy_(T.tensor([3., 4., 5.]))", "T.tensor([1.]).copy_(T.tensor([3., 4., 5.]))",
    "T.tensor([1., 2.]).copy_([1., 2.])", "T.tensor([1., 2.]).fill_(T.tensor([1., 2.]))",
]


def _same_message(got, want):
    # A few TypeErrors list argument signatures that differ in detail; the first line is compared.
    return got.split("\n")[0].split(" - got")[0] == want.split("\n")[0].split(" - got")[0]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr):
    got, want = _run(expr, C), _run(expr, torch)
    assert want[0] == "raised", want
    assert got[0] == "raised", got
    assert got[1] == want[1], (got, want)
    assert _same_message(got[2], want[2]), (got[2], want[2])


def test_failed_inplace_leaves_input_unchanged():
    for op in (lambda t: t.add_(1.5), lambda t: t.exp_(), lambda t: t.clamp_(0.5), lambda t: t.copy_(C.ones(3)),
               lambda t: t.mul_(C.ones(4, 2))):
        t = C.tensor([1, 2])
        v = t._version
        with pytest.raises(RuntimeError):
            op(t)
        assert t.tolist() == [1, 2] and t._version == v


def test_inplace_on_leaf_requiring_grad_raises_torch_message():
    for name, args in (("exp_", ()), ("zero_", ()), ("fill_", (1.0,)), ("copy_", (C.ones(2),)), ("clamp_", (0.0,)),
                       ("mul_", (2,)), ("sign_", ()), ("eq_", (1.0,))):
        x = C.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            getattr(x, name)(*args)
        assert x.tolist() == [1.0, 2.0] and x.grad_fn is None
    x = C.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[:1].exp_()
    with C.no_grad():
        x.mul_(2).zero_()
    assert x.tolist() == [0.0, 0.0] and x.requires_grad


# -- in-place ops and autograd, against torch --------------------------------------------------------------
INPLACE = [
    "y = x * 1; y.mul_(w); loss = y.sum()",
    "y = x * 1; y.mul_(2); loss = y.sum()",
    "y = x * 1; y *= w; y += x; y -= 2; y /= w; loss = y.sum()",
    "y = x * 2; y.zero_(); loss = y.sum()",
    "y = x * 2; y.fill_(3.); loss = y.sum()",
    "y = x * 2; y.fill_(w[1]); loss = (y * w).sum()",
    "y = T.zeros(4); y.copy_(w); loss = (y * x).sum()",
    "y = T.zeros(2, 4); y.copy_(w); loss = (y * x).sum()",
    "y = x * 1; y.copy_(w[:1]); loss = (y * x).sum()",
    "y = x * 1; y.copy_(w.double()); loss = (y * x).sum()",
    "y = T.ones(4); y.mul_(w); loss = (y * x).sum()",
    "y = x * 1; y.exp_(); loss = y.sum()",
    "y = x * 1; y.sigmoid_(); z = y * w; loss = z.sum()",
    "y = x * 1; y.div_(w); loss = y.sum()",
    "y = x * 1; y.pow_(2); loss = y.sum()",
    "y = x * 1; y.atan2_(w); loss = y.sum()",
    "y = x * 1; y.clamp_(-1., 1.); loss = y.sum()",
    "y = x * 1; y.clamp_(min=w); loss = y.sum()",
    "y = x * 1; y.abs_(); loss = y.sum()",
    "y = x * 1; y.relu_(); loss = y.sum()",
    "y = x * 1; T.relu_(y); loss = y.sum()",
    "y = x * 1; T.exp_(y); T.clamp_(y, 0, 2); T.sqrt_(y); loss = y.sum()",
    "z = x * 1; z.mul_(w.double()); loss = z.sum()",  # grad_fn differs: see _apply_inplace
    "y = x * 1; y.copy_(x.exp()); y.mul_(w); loss = y.sum()",
    "y = x * 1; y.lerp_(w, 0.3); loss = y.sum()",
    "y = x * 1; y.lerp_(w, w); loss = y.sum()",
    "y = x * 1; y.addcmul_(w, w, value=2); loss = y.sum()",
    "y = x * 1; y.addcdiv_(w, w + 5); loss = y.sum()",
    "y = x * 1; y.floor_(); loss = y.sum()",
    "y = x * 1; y.round_(decimals=1); loss = y.sum()",
    "y = x * 1; y.sign_(); loss = y.sum()",
    "y = x * 1; y.frac_(); loss = y.sum()",
    "y = x * 1; y.fmod_(w); loss = y.sum()",
    "y = x * 1; y.remainder_(w); loss = y.sum()",
    "y = x * 1; y %= 2.; loss = y.sum()",
    "y = x * 1; y.gt_(0); loss = y.sum()",
    "y = x * 1; y.eq_(w); loss = y.sum()",
    "y = x * 1; y.square_(); loss = y.sum()",
    "y = x * 1; y.tanh_(); y.mul_(w); loss = y.sum()",
    "y = x * 1; y.add_(y * w); loss = y.sum()",
    "y = x * 1; y[:2].mul_(w[:2]); loss = y.sum()",
    "y = x * 1; y[:2].exp_(); loss = y.sum()",
    "y = x * 1; y[1:3].zero_(); loss = y.sum()",
    "y = x * 1; y[1:3].copy_(w[:1]); loss = y.sum()",
    "y = x * 1; y.exp_(); g, = T.autograd.grad(y.sum(), x, create_graph=True); loss = g.sum()",
    "y = x * 1; y.mul_(w); g, = T.autograd.grad(y.sum(), x, create_graph=True); loss = g.sum()",
    "y = x * 1; y.sigmoid_(); g, = T.autograd.grad(y.sum(), x, create_graph=True); loss = (g * g).sum()",
    "y = x * 1; y.lerp_(w, w); g, = T.autograd.grad(y.sum(), w, create_graph=True); loss = (g * g).sum()",
    # errors: saved tensors modified in place, derivatives PyTorch does not have
    "y = x * 1; y.exp_(); y.add_(1); loss = y.sum()",
    "y = x.exp(); z = y * 1; y.add_(1); loss = z.sum()",
    "y = x.exp(); z = y * w; y.mul_(2); loss = z.sum()",
    "y = x.sigmoid(); y.mul_(2); loss = y.sum()",
    "y = x * 1; y.sigmoid_(); y.mul_(2); loss = y.sum()",
    "y = x * 1; v = y[1:3]; v.exp_(); y.mul_(2); loss = v.sum()",
    "y = x * 1; y.mul_(y); loss = y.sum()",
    "y = x * 1; y.mul_(y.detach()); loss = y.sum()",
    "y = x * w; w2 = w * 1; w2.add_(1); loss = y.sum()",
    "y = x * 1; y.floor_divide_(w); loss = y.sum()",
    "y = x * 1; y //= 2.; loss = y.sum()",
    "loss = T.floor_divide(x, w).sum()",
    "loss = T.remainder(2., w).sum()",
]


def _run_inplace(code, lib):
    x = lib.tensor([0.5, -1.5, 2.0, 0.25], requires_grad=True)
    w = lib.tensor([1.0, 2.0, -3.0, 0.5], requires_grad=True)
    ns = {"T": lib, "x": x, "w": w}
    try:
        exec(code.replace("; ", "\n"), ns)
        y = ns.get("y")
        name = y.grad_fn.name() if y is not None and y.grad_fn is not None else None
        ns["loss"].backward()
    except RuntimeError as e:
        return ("raised", str(e))
    return name, [None if t.grad is None else t.grad.tolist() for t in (x, w)]


@pytest.mark.parametrize("code", INPLACE)
def test_inplace_autograd_matches_torch(code):
    got, want = _run_inplace(code, C), _run_inplace(code, torch)
    assert got[0] == want[0], (got, want)
    if got[0] == "raised":
        assert got[1] == want[1]
        return
    for g, t in zip(got[1], want[1]):
        assert (g is None) == (t is None), (got, want)
        if g is not None:
            np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-6)


def test_inplace_under_saved_tensors_hooks_keeps_old_self():
    results = []
    for lib in (C, torch):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        w = lib.tensor([2.0, 3.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = x * 1
            y.mul_(w)
            y.exp_()
        y.sum().backward()
        results.append((x.grad.tolist(), w.grad.tolist()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_inplace_result_requires_grad_and_bumps_version():
    x = C.tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda y: y.zero_(), lambda y: y.fill_(2.0), lambda y: y.copy_(C.ones(2)), lambda y: y.exp_()):
        y = x * 1
        v = y._version
        assert op(y) is y
        assert y.requires_grad and y._version == v + 1
    src = C.tensor([3.0, 4.0], requires_grad=True)
    y = C.zeros(2)
    y.copy_(src)
    assert y.requires_grad and y.grad_fn.name() == "torch::autograd::CopyBackwards"


def test_inplace_output_is_saved_without_a_copy():
    x = C.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.exp_()
    saved, = y.grad_fn._saved
    assert saved.data is y._data


# -- functional forms and odds and ends -----------------------------------------------------------
def test_where_single_argument_gives_index_tuple():
    c = np.array([[True, False, True], [False, True, False]])
    got = C.where(C.tensor(c))
    assert isinstance(got, tuple) and len(got) == 2
    for g, w in zip(got, torch.where(torch.tensor(c))):
        assert g.dtype is C.int64 and g.tolist() == w.tolist()


def test_where_uint8_condition_warns_like_torch():
    with pytest.warns(UserWarning, match="where received a uint8 condition tensor"):
        r = C.where(C.tensor([1, 0], dtype=C.uint8), C.ones(2), C.zeros(2))
    assert r.tolist() == [1.0, 0.0]


def test_out_argument():
    out = C.empty(3)
    r = C.exp(C.tensor([0.0, 1.0, 2.0]), out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), np.exp([0.0, 1.0, 2.0]), rtol=1e-6)
    C.clamp(C.tensor([-1.0, 0.5, 2.0]), 0, 1, out=out)
    assert out.tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        C.sin(C.ones(3, requires_grad=True), out=out)


def test_grad_fn_names_match_torch():
    exprs = ["T.exp(x)", "T.log1p(x)", "T.square(x)", "T.round(x)", "T.round(x, decimals=2)", "T.clamp(x, 0, 1)",
             "T.clamp(x, w)", "T.clamp_min(x, 0.)", "T.clamp_min(x, w)", "T.clamp_max(x, 0.)", "T.clamp_max(x, w)",
             "T.lerp(x, w, 0.5)", "T.lerp(x, w, w)", "T.fmod(x, 2.)", "T.fmod(x, w)", "T.remainder(x, 2.)",
             "T.remainder(x, w)", "T.floor_divide(x, w)", "T.div(x, w, rounding_mode='floor')", "T.where(x > 0, x, w)",
             "T.maximum(x, w)", "T.minimum(x, w)", "T.addcmul(x, x, w)", "T.addcdiv(x, x, w)", "T.atan2(x, w)",
             "2 / x", "2 ** x", "x ** w", "1 - x", "T.sigmoid(x)", "T.relu(x)", "T.erf(x)", "T.frac(x)", "T.exp2(x)",
             "T.rsqrt(x)", "T.reciprocal(x)", "T.sign(x)", "T.trunc(x)", "abs(x)"]
    for e in exprs:
        names = []
        for lib in (C, torch):
            x = lib.tensor([0.5, 1.5], requires_grad=True)
            w = lib.tensor([1.0, 2.0], requires_grad=True)
            names.append(eval(e, {"T": lib, "x": x, "w": w}).grad_fn.name())
        assert names[0] == names[1], e


def test_erf_numpy_fallback_matches_math_erf():
    from chainrule.ops.pointwise import _erf_numpy
    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 2.4999999, 2.5, 30.0, -np.inf, np.inf]])
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(_erf_numpy(x), want, rtol=2e-15, atol=2e-16)
    assert np.isnan(_erf_numpy(np.array([np.nan]))[0])


def test_float32_stays_float32_and_int_inputs_compute_in_default_dtype():
    x = C.tensor([1.0, 2.0])
    for fn in (C.exp, C.sigmoid, C.erf, C.sqrt, C.sin, C.relu, C.abs, C.floor, C.frac):
        assert fn(x).dtype is C.float32
    assert (x * 2.5).dtype is C.float32 and C.clamp(x, 0, 1.5).dtype is C.float32
    C.set_default_dtype(C.float64)
    assert C.exp(C.tensor([1, 2])).dtype is C.float64
    assert C.atan2(C.tensor([1]), C.tensor([2])).dtype is C.float64


def test_numbers_gradients_with_check_gradients_only_float64():
    # lerp's two branches meet at weight 0.5: both sides give the same gradient.
    for w in (0.49999, 0.5, 0.50001):
        check_gradients(lambda L, a, b, w=w: L.lerp(a, b, w), np.array([1.0, -2.0]), np.array([3.0, 0.5]))


# -- the fast paths of the hottest scalar ops ------------------------------------------------------
SCALARS = [1.01, 0.1, -2.5, 0.0, -0.0, 1e-320, 3e38, 1e39, -1e39, float("inf"), float("-inf"), float("nan"), 65504.0,
           70000.0]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_scalar_mul_add_match_numpy_with_python_floats_bitwise(dtype):
    """Mul/Add hand NumPy a cached 0-d array for a Python float: the values must be bitwise what NumPy gives
    for the float itself, the dtype kept, and the NumPy warnings (overflow to inf) the same."""
    import warnings
    a = np.array([1.5, -0.0, 6e4 if dtype == "float16" else 3e38, 1e-3, np.inf], dtype)
    for s in SCALARS * 2:  # twice: the second time from the cache
        with warnings.catch_warnings(record=True) as want_w:
            warnings.simplefilter("always")
            want_mul, want_add = a * s, a + s
        x = C.tensor(a, requires_grad=True)
        with warnings.catch_warnings(record=True) as got_w:
            warnings.simplefilter("always")
            y, z = x * s, x + s
        assert [type(w.message) for w in got_w] == [type(w.message) for w in want_w]
        for got, want in ((y, want_mul), (z, want_add)):
            assert got.dtype == getattr(C, dtype)
            np.testing.assert_array_equal(got.detach().numpy(), want)
            assert np.array_equal(np.signbit(got.detach().numpy()), np.signbit(want))
        g = np.array([1.0, 2.0, -1.0, 0.5, 1.0], dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y.backward(C.tensor(g))
            np.testing.assert_array_equal(x.grad.numpy(), g * s)


def test_scalar_operand_cache_is_read_only_and_bounded():
    from chainrule.ops import pointwise as pw
    x = C.tensor([1.0, 2.0], dtype=C.float64)
    for i in range(200):
        y = x * (1.0 + i / 1000)
        assert y.tolist() == [1.0 + i / 1000, 2.0 * (1.0 + i / 1000)]
    assert len(pw._f64_operands) <= 64
    assert not any(arr.flags.writeable for arr in pw._f64_operands.values())
    y = x * 1.5
    y.add_(1.0)  # the result never aliases the cached operand
    assert (x * 1.5).tolist() == [1.5, 3.0]


def test_scalar_mul_second_backward_and_create_graph_unchanged():
    x = C.tensor([0.3, -0.7], dtype=C.float64, requires_grad=True)
    y = (x * 1.01 + 0.1).tanh().sum()
    y.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    grads = []
    for lib in (C, torch):
        t = lib.tensor([0.3, -0.7], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((t * 1.01 + 0.1).tanh().sum(), t, create_graph=True)
        (g * 2.5).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    assert np.abs(grads[0]).min() > 0.1


def test_subclass_backward_is_not_bypassed_by_nograd_rule():
    """The engine calls a built-in's grad-mode-off rule directly, but never past a subclass's own backward."""
    from chainrule.ops.pointwise import Mul, Tanh
    calls = []

    class LoggedTanh(Tanh):
        @staticmethod
        def backward(ctx, g):
            calls.append("tanh")
            return Tanh.backward(ctx, g)

    class LoggedMul(Mul):
        @staticmethod
        def backward(ctx, g):
            calls.append("mul")
            return Mul.backward(ctx, g)

    x = C.tensor([0.5, -1.0], dtype=C.float64, requires_grad=True)
    LoggedTanh.apply(LoggedMul.apply(x, 2.0)).sum().backward()
    assert calls == ["tanh", "mul"]
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * (1 - np.tanh(2.0 * np.array([0.5, -1.0])) ** 2))
