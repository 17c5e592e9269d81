"""Reductions and scans: values, dtypes, gradients (1st and 2nd order), named tuples, errors."""
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as C
from opcheck import check_op, check_parity, torch

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))          # no ties: max/min/sort/median are differentiable here
B = rng.standard_normal((2, 3, 4))
V = rng.standard_normal(5)
W = rng.standard_normal((2, 9))          # long enough rows for topk's partition path
S = np.array(0.7)                       # 0-d
INF = float("inf")

# One line per (op, dims, keepdim) combination: fn(lib, *tensors) runs under torch and chainrule.
GRAD_CASES = {
    "sum": (lambda L, x: x.sum(), A),
    "sum_dim": (lambda L, x: x.sum(1), A),
    "sum_dims_keep": (lambda L, x: L.sum(x, (0, 2), keepdim=True), B),
    "sum_none_keep": (lambda L, x: x.sum(None, True), A),
    "sum_dtype": (lambda L, x: x.sum(0, dtype=L.float64), A),
    "mean": (lambda L, x: x.mean(), B),
    "mean_dim_keep": (lambda L, x: L.mean(x, -1, True), B),
    "mean_dims": (lambda L, x: x.mean((0, 1)), B),
    "nansum": (lambda L, x: x.nansum(1), A),
    "nanmean": (lambda L, x: x.nanmean(0), A),
    "prod": (lambda L, x: x.prod(), V),
    "prod_dim": (lambda L, x: x.prod(1), A),
    "prod_dim_keep": (lambda L, x: x.prod(0, keepdim=True), B),
    "var": (lambda L, x: x.var(), A),
    "var_dim": (lambda L, x: x.var(1), A),
    "var_dims_keep_c0": (lambda L, x: x.var((0, 2), keepdim=True, correction=0), B),
    "var_unbiased_false": (lambda L, x: L.var(x, 0, False), A),
    "var_correction_2": (lambda L, x: x.var(1, correction=2), A),
    "std": (lambda L, x: x.std(), A),
    "std_dim_keep": (lambda L, x: x.std(-1, keepdim=True), B),
    "std_correction": (lambda L, x: x.std((0, 1), correction=0), B),
    "var_mean": (lambda L, x: L.var_mean(x, 1), A),
    "var_mean_all": (lambda L, x: L.var_mean(x, correction=0), A),
    "std_mean": (lambda L, x: L.std_mean(x, (0, 1), keepdim=True), B),
    "max": (lambda L, x: x.max(), A),
    "max_dim": (lambda L, x: x.max(1), A),
    "max_dim_keep": (lambda L, x: L.max(x, 0, keepdim=True), B),
    "min": (lambda L, x: x.min(), A),
    "min_dim": (lambda L, x: x.min(-1), B),
    "amax": (lambda L, x: x.amax(), A),
    "amax_dims": (lambda L, x: x.amax((0, 2)), B),
    "amin_keep": (lambda L, x: x.amin(1, keepdim=True), A),
    "aminmax": (lambda L, x: L.aminmax(x), A),
    "aminmax_dim": (lambda L, x: L.aminmax(x, dim=0, keepdim=True), A),
    "logsumexp": (lambda L, x: x.logsumexp(1), A),
    "logsumexp_dims_keep": (lambda L, x: x.logsumexp((0, 2), keepdim=True), B),
    "norm": (lambda L, x: x.norm(), A),
    "norm_fro_dims": (lambda L, x: x.norm("fro", dim=(1, 2), keepdim=True), B),
    "norm_p1": (lambda L, x: x.norm(1, 0), A),
    "norm_inf": (lambda L, x: x.norm(INF, dim=1), A),
    "norm_ninf": (lambda L, x: x.norm(-INF), A),
    "norm_p3": (lambda L, x: L.norm(x, 3, (0, 2)), B),
    "norm_p05": (lambda L, x: x.norm(0.5, 1, True), A),
    "norm_pm1": (lambda L, x: x.norm(-1), V),
    "cumsum": (lambda L, x: x.cumsum(1), A),
    "cumsum_0": (lambda L, x: L.cumsum(x, 0), B),
    "cumprod": (lambda L, x: x.cumprod(1), A),
    "cumprod_neg": (lambda L, x: x.cumprod(-1), B),
    "softmax": (lambda L, x: x.softmax(1), A),
    "softmax_0": (lambda L, x: L.softmax(x, 0), B),
    "log_softmax": (lambda L, x: x.log_softmax(-1), A),
    "log_softmax_1": (lambda L, x: L.log_softmax(x, 1), B),
    "softmax_dtype": (lambda L, x: L.softmax(x, 0, dtype=L.float64), A),
    "sort": (lambda L, x: x.sort(1), A),
    "sort_desc": (lambda L, x: L.sort(x, 0, descending=True), B),
    "sort_stable": (lambda L, x: L.sort(x, stable=True), A),
    "topk": (lambda L, x: x.topk(2), A),
    "topk_smallest": (lambda L, x: L.topk(x, 2, dim=0, largest=False), A),
    "topk_3d": (lambda L, x: x.topk(3, 1), B),
    "topk_partitioned": (lambda L, x: (*x.topk(3, 1), *x.topk(2, 1, largest=False)), W),
    "kthvalue": (lambda L, x: x.kthvalue(2, 1), A),
    "kthvalue_keep": (lambda L, x: x.kthvalue(2, 0, True), B),
    "median": (lambda L, x: x.median(), A),
    "median_dim": (lambda L, x: x.median(1), A),
    "median_dim_keep": (lambda L, x: L.median(x, 0, keepdim=True), B),
    "scalar_sum": (lambda L, x: x.sum(0), S),
    "scalar_var": (lambda L, x: x.var(0, correction=0), S),
    "scalar_max": (lambda L, x: x.max(0), S),
    "scalar_lse": (lambda L, x: x.logsumexp(0), S),
    "scalar_softmax": (lambda L, x: x.log_softmax(0), S),
    "scalar_cumprod": (lambda L, x: x.cumprod(0), S),
    "scalar_sort": (lambda L, x: x.sort(0), S),
    "scalar_norm": (lambda L, x: x.norm(3), S),
    "composed": (lambda L, x: (x.softmax(1) * x.logsumexp(1, keepdim=True)).cumsum(0).amax(1), A),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_gradients_and_parity(name):
    fn, arr = GRAD_CASES[name]
    check_op(fn, arr)


# Zeros in the input: prod and cumprod must not divide by them (first and second order).
Z1 = np.array([2., 0., 3., 0.5, 5.])
Z2 = np.array([2., 0., 3., 0., 5.])
ZM = np.array([[1.5, 0., 2., -1.], [0., 0., 3., 2.], [1., 2., -3., .5]])
ZERO_CASES = {
    "prod_one_zero": (lambda L, x: x.prod(), Z1),
    "prod_two_zeros": (lambda L, x: x.prod(), Z2),
    "prod_dim_zeros": (lambda L, x: x.prod(1), ZM),
    "prod_all_zeros_2d": (lambda L, x: x.prod(), np.array([[1.5, 2.], [0., 3.]])),
    "cumprod_one_zero": (lambda L, x: x.cumprod(0), Z1),
    "cumprod_two_zeros": (lambda L, x: x.cumprod(0), Z2),
    "cumprod_dim_zeros": (lambda L, x: x.cumprod(1), ZM),
    "cumprod_dim0_zeros": (lambda L, x: x.cumprod(0), ZM),
}


@pytest.mark.parametrize("name", list(ZERO_CASES))
def test_zeros_in_input(name):
    fn, arr = ZERO_CASES[name]
    check_op(fn, arr)


# Ties and edge values: not differentiable numerically, so torch is the only oracle.
TIE_CASES = {
    "max_ties": (lambda L, x: x.max(), np.array([1., 3., 3., 0.])),
    "min_ties": (lambda L, x: x.min(), np.array([[1., 0.], [0., 3.]])),
    "max_dim_ties_first_index": (lambda L, x: x.max(1), np.array([[1., 3., 3.], [2., 2., 0.]])),
    "min_dim_ties": (lambda L, x: x.min(0), np.array([[1., 3., 3.], [1., 2., 3.]])),
    "amax_ties": (lambda L, x: x.amax(1), np.array([[1., 3., 3.], [2., 2., 2.]])),
    "amin_ties_all": (lambda L, x: x.amin(), np.array([[1., 3.], [1., 1.]])),
    "aminmax_ties": (lambda L, x: L.aminmax(x), np.array([2., 2., 1., 1.])),
    "aminmax_dim_ties": (lambda L, x: L.aminmax(x, dim=1), np.array([[2., 2., 1., 1.], [0., 5., 5., 0.]])),
    "median_ties": (lambda L, x: x.median(), np.array([2., 1., 2., 1.])),
    "median_dim_ties": (lambda L, x: x.median(1), np.array([[2., 1., 2., 1., 3., 2.], [1., 1., 1., 1., 1., 1.]])),
    "median_nan": (lambda L, x: x.median(1), np.array([[2., np.nan, 1., np.nan], [1., 2., 3., 4.]])),
    "median_all_nan": (lambda L, x: x.median(), np.array([2., np.nan, 1.])),
    "mode": (lambda L, x: x.mode(1), np.array([[2., 1., 1., 2., 3.], [3., 3., 1., 1., 3.], [1., 2., 2., 1., 0.]])),
    "mode_dim0": (lambda L, x: x.mode(0, True), np.array([[2., 1.], [1., 1.], [2., 0.]])),
    "sort_ties_stable": (lambda L, x: x.sort(stable=True), np.array([[3., 1., 3., 1., 2.]])),
    "sort_desc_ties_stable": (lambda L, x: x.sort(descending=True, stable=True), np.array([[3., 1., 3., 1., 2.]])),
    "sort_nan": (lambda L, x: x.sort(), np.array([3., np.nan, 1., np.nan])),
    "sort_nan_desc": (lambda L, x: x.sort(descending=True), np.array([3., np.nan, 1.])),
    "argmax_ties_nan": (lambda L, x: (x.argmax(), x.argmin(), x.max(0).indices), np.array([1., np.nan, 3., np.nan])),
    "max_nan": (lambda L, x: x.max(), np.array([1., np.nan, 3.])),
    "norm_inf_ties": (lambda L, x: x.norm(INF), np.array([-3., 1., 3.])),
    "norm_at_zero": (lambda L, x: (x.norm(), x.norm(3), x.norm(INF)), np.zeros(3)),
    "norm2_at_zero_row": (lambda L, x: x.norm(dim=1), np.array([[0., 0.], [3., 4.]])),
    "norm_p1_at_zero": (lambda L, x: x.norm(1), np.array([0., 1., -2.])),
    "norm_p05_at_zero": (lambda L, x: x.norm(0.5), np.array([0., 1., -2.])),
    "std_constant": (lambda L, x: (x.std(), x.std(1)), np.array([[2., 2., 2.], [1., 2., 4.]])),
    "logsumexp_inf": (lambda L, x: x.logsumexp(1), np.array([[-INF, -INF], [INF, 1.], [-INF, 1.]])),
    "softmax_neg_inf": (lambda L, x: x.softmax(1), np.array([[-INF, 1.], [2., 1.]])),
    "log_softmax_large": (lambda L, x: x.log_softmax(0), np.array([1000., 0., -1000.])),
    "softmax_large": (lambda L, x: x.softmax(0), np.array([1000., 999., -1000.])),
    "var_correction_too_big": (lambda L, x: (x.var(0, correction=4), x.std(0, correction=2)), np.array([[1., 2.], [3., 5.]])),
    "var_correction_too_big_zero": (lambda L, x: x.var(correction=3), np.array([1., 1., 1.])),
    "var_single": (lambda L, x: (x.var(), x.std(correction=0)), np.array([1.5])),
    "empty_sum_mean_prod": (lambda L, x: (x.sum(0), x.mean(0), x.prod(0), x.logsumexp(0), x.norm(dim=0)), np.zeros((0, 3))),
    "empty_var": (lambda L, x: x.var(0), np.zeros((0, 3))),
    "empty_median": (lambda L, x: x.median(), np.zeros(0)),
    "empty_max_other_dim": (lambda L, x: x.max(1), np.zeros((0, 3))),
    "empty_sort_topk": (lambda L, x: (x.sort().values, x.topk(0).values, x.cumsum(0), x.softmax(1)), np.zeros((3, 0))),
}


@pytest.mark.parametrize("name", list(TIE_CASES))
def test_ties_and_edges_match_torch(name):
    fn, arr = TIE_CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parity(fn, arr, dtype=np.float64, atol=1e-12, rtol=1e-12)
        check_parity(fn, arr, dtype=np.float32)


I = rng.integers(-3, 4, (3, 4))
BOOL = I > 0
U8 = np.array([[0, 3, 255], [1, 0, 2]], dtype=np.uint8)
I32 = np.array([[5, -2, 7], [1, 1, 0]], dtype=np.int32)
INT_CASES = {
    "sum": lambda L, x: (x.sum(), x.sum(1), x.sum((0, 1), keepdim=True)),
    "sum_dtype": lambda L, x: (x.sum(dtype=L.float32), x.sum(0, dtype=L.int32)),
    "mean_dtype": lambda L, x: x.mean(1, dtype=L.float64),
    "nansum": lambda L, x: x.nansum(0),
    "prod": lambda L, x: (x.prod(), x.prod(0), x.prod(1, dtype=L.float64)),
    "max_min": lambda L, x: (x.max(), x.min(), *x.max(1), *x.min(0, keepdim=True)),
    "amax_amin": lambda L, x: (x.amax(), x.amin(0), x.amax((0, 1), True)),
    "aminmax": lambda L, x: (*L.aminmax(x), *L.aminmax(x, dim=1)),
    "argmax_argmin": lambda L, x: (x.argmax(), x.argmin(1), x.argmax(0, keepdim=True), x.argmin(keepdim=True)),
    "cumsum_cumprod": lambda L, x: (x.cumsum(0), x.cumprod(1), x.cumsum(1, dtype=L.float32)),
    "logsumexp": lambda L, x: x.logsumexp(1),
    "softmax_dtype": lambda L, x: (x.softmax(0, dtype=L.float64), L.log_softmax(x, 1, dtype=L.float32)),
    "all_any": lambda L, x: (x.all(), x.any(), x.all(1), x.any(0, keepdim=True), x.all((0, 1)), x.any(())),
    "count_nonzero": lambda L, x: (x.count_nonzero(), x.count_nonzero(0), x.count_nonzero((0, 1))),
    "sort": lambda L, x: (*x.sort(stable=True), *x.sort(dim=0, descending=True, stable=True),
                          x.argsort(dim=1, stable=True)),
    "topk": lambda L, x: (x.topk(1).values, x.topk(1, largest=False).values, x.topk(2, 0).values),
    "median": lambda L, x: (x.median(), x.median(1).values),
    "mode": lambda L, x: x.mode(1),
}


@pytest.mark.parametrize("name", list(INT_CASES))
@pytest.mark.parametrize("arr", [I, I32, U8], ids=["int64", "int32", "uint8"])
def test_integer_inputs_match_torch(name, arr):
    check_parity(INT_CASES[name], arr, grad=False)


BOOL_CASES = ["sum", "prod", "max_min", "amax_amin", "cumsum_cumprod", "logsumexp", "all_any", "count_nonzero"]


@pytest.mark.parametrize("name", BOOL_CASES)
def test_bool_inputs_match_torch(name):
    check_parity(INT_CASES[name], BOOL, grad=False)


def test_integer_sums_widen_to_int64():
    for dt in (C.int8, C.int16, C.int32, C.uint8, C.bool):
        x = C.ones(3, dtype=dt)
        assert x.sum().dtype is C.int64
        assert x.prod().dtype is C.int64
        assert x.cumsum(0).dtype is C.int64
        assert x.cumprod(0).dtype is C.int64
    assert C.tensor([1., 2.], dtype=C.float16).sum().dtype is C.float16


GRAD_FN_CASES = [
    lambda L, x: x.sum(), lambda L, x: x.sum(0), lambda L, x: x.mean(), lambda L, x: x.mean(0),
    lambda L, x: x.prod(), lambda L, x: x.prod(0), lambda L, x: x.var(), lambda L, x: x.std(0),
    lambda L, x: L.var_mean(x)[0], lambda L, x: L.std_mean(x, 0)[1], lambda L, x: x.max(),
    lambda L, x: x.max(0)[0], lambda L, x: x.min(), lambda L, x: x.min(1).values, lambda L, x: x.amax(),
    lambda L, x: x.amin(0), lambda L, x: L.aminmax(x).max, lambda L, x: x.logsumexp(0), lambda L, x: x.norm(),
    lambda L, x: x.norm(1, 0), lambda L, x: x.cumsum(0), lambda L, x: x.cumprod(1), lambda L, x: x.median(),
    lambda L, x: x.median(0).values, lambda L, x: x.softmax(0), lambda L, x: x.log_softmax(1),
    lambda L, x: x.sort()[0], lambda L, x: x.topk(2).values, lambda L, x: x.kthvalue(1).values,
    lambda L, x: x.mode(0).values, lambda L, x: x.nansum(),
]


@pytest.mark.parametrize("i", range(len(GRAD_FN_CASES)))
def test_grad_fn_names_match_torch(i):
    names = []
    for L in (C, torch):
        x = L.tensor(A, requires_grad=True)
        names.append(GRAD_FN_CASES[i](L, x).grad_fn.name())
    assert names[0] == names[1]


def test_named_tuple_prints_unpacks_and_names_fields_like_torch():
    for fn in (lambda L, x: x.max(1), lambda L, x: L.min(x, 0, keepdim=True), lambda L, x: x.sort(),
               lambda L, x: x.topk(1), lambda L, x: x.kthvalue(2), lambda L, x: x.median(0),
               lambda L, x: x.mode(1), lambda L, x: L.aminmax(x), lambda L, x: L.aminmax(x, dim=0)):
        arr = np.array([[1., 5.], [7., 2.]])
        c = fn(C, C.tensor(arr, dtype=C.float32, requires_grad=True))
        t = fn(torch, torch.tensor(arr, dtype=torch.float32, requires_grad=True))
        assert repr(c) == repr(t)
        assert type(c).__name__ == type(t).__name__ and len(c) == len(t) == 2
        first, second = c
        assert first is c[0] and second is c[1]
    r = C.tensor([[1., 5.], [7., 2.]]).max(1)
    assert r.values is r[0] and r.indices is r[1]
    assert isinstance(r, tuple) and r.indices.dtype is C.int64
    assert C.return_types.max is type(r)
    back = pickle.loads(pickle.dumps(r))
    assert repr(back) == repr(r)
    mm = C.aminmax(C.tensor([3., 1.]))
    assert (mm.min.item(), mm.max.item()) == (1., 3.)


def test_max_with_other_delegates_to_maximum():
    check_parity(lambda L, x, y: (L.max(x, y), L.min(x, y), x.max(y)), A, A[::-1].copy())


def test_var_warns_when_degrees_of_freedom_not_positive():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        C.tensor([1., 2.]).var(correction=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        C.tensor([1., 2.]).var()


def test_legacy_unbiased_positional_forms():
    check_parity(lambda L, x: (L.var(x, False), L.std(x, True), L.std(x, 0, False, True), x.var(1, True)),
                 A, grad=False)


def test_prod_zero_gradient_values_match_torch_hand_cases():
    for arr in (Z1, Z2, ZM):
        check_parity(lambda L, x: (x.prod(0), x.cumprod(0)), arr, dtype=np.float64, atol=1e-12)


def test_cumsum_cumprod_inplace():
    for name in ("cumsum_", "cumprod_"):
        c, t = C.tensor(A), torch.tensor(A)
        assert getattr(c, name)(1) is c
        getattr(t, name)(1)
        np.testing.assert_allclose(c.numpy(), t.numpy())
        assert c._version == 1


def test_out_argument():
    out = C.empty(0)
    r = C.sum(C.tensor(A), 1, out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), A.sum(1))
    v, i = C.empty(0), C.empty(0, dtype=C.int64)
    r = C.max(C.tensor(A), 0, out=(v, i))
    assert r.values is v and r.indices is i
    np.testing.assert_array_equal(i.numpy(), A.argmax(0))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        C.sum(C.tensor(A, requires_grad=True), 0, out=C.empty(0))


def test_backward_through_index_outputs_reaches_only_values():
    x = C.tensor(A, requires_grad=True)
    v, i = x.sort(1, descending=True)
    assert not i.requires_grad and i.grad_fn is None
    (v[:, 0]).sum().backward()
    expected = np.zeros_like(A)
    expected[np.arange(3), A.argmax(1)] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_third_order_through_cumprod_with_zero():
    # d^3/dx^3 of cumprod: compare the third derivative with torch's.
    res = []
    for L in (C, torch):
        x = L.tensor(Z1, requires_grad=True)
        y = (x.cumprod(0) * L.tensor([1., -2., 3., 0.5, 1.], dtype=x.dtype)).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        gg, = L.autograd.grad((g * g).sum(), x, create_graph=True)
        ggg, = L.autograd.grad((gg * x).sum(), x)
        res.append(ggg.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-10, atol=1e-10)


M = np.arange(12.).reshape(3, 4)
ERROR_CASES = {
    # (fn, input, exception type, message fragment checked in both libraries)
    "sum_dim": (lambda L, x: x.sum(2), M, IndexError,
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    "mean_dim": (lambda L, x: x.mean(-3), M, IndexError, "but got -3"),
    "prod_dim": (lambda L, x: x.prod(2), M, IndexError, "Dimension out of range"),
    "var_dim": (lambda L, x: x.var(2), M, IndexError, "Dimension out of range"),
    "max_dim": (lambda L, x: x.max(2), M, IndexError, "Dimension out of range"),
    "amax_dim": (lambda L, x: x.amax((0, 2)), M, IndexError, "Dimension out of range"),
    "argmax_dim": (lambda L, x: x.argmax(5), M, IndexError, "but got 5"),
    "logsumexp_dim": (lambda L, x: x.logsumexp(2), M, IndexError, "Dimension out of range"),
    "norm_dim": (lambda L, x: x.norm(dim=2), M, IndexError, "Dimension out of range"),
    "cumsum_dim": (lambda L, x: x.cumsum(2), M, IndexError, "Dimension out of range"),
    "cumprod_dim": (lambda L, x: x.cumprod(-3), M, IndexError, "Dimension out of range"),
    "softmax_dim": (lambda L, x: x.softmax(2), M, IndexError, "Dimension out of range"),
    "sort_dim": (lambda L, x: x.sort(2), M, IndexError, "Dimension out of range"),
    "topk_dim": (lambda L, x: x.topk(1, 2), M, IndexError, "Dimension out of range"),
    "median_dim": (lambda L, x: x.median(2), M, IndexError, "Dimension out of range"),
    "all_dim": (lambda L, x: x.all(2), M, IndexError, "Dimension out of range"),
    "count_nonzero_dim": (lambda L, x: x.count_nonzero(2), M, IndexError, "Dimension out of range"),
    "scalar_dim": (lambda L, x: x.sum(1), np.array(5.), IndexError,
                   "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    "dup_dims": (lambda L, x: x.sum((0, -2)), M, RuntimeError, "dim 0 appears multiple times in the list of dims"),
    "dup_dims_amax": (lambda L, x: x.amax((1, -1)), M, RuntimeError, "dim 1 appears multiple times"),
    "mean_int": (lambda L, x: x.mean(), np.arange(3), RuntimeError,
                 "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                 "dtype. Got: Long"),
    "mean_bool": (lambda L, x: (x > 0).mean(), M, RuntimeError, "Got: Bool"),
    "mean_int_dtype": (lambda L, x: x.mean(dtype=L.int64), np.arange(3), RuntimeError,
                       "Optional dtype must be either a floating point or complex dtype. Got: Long"),
    "var_int": (lambda L, x: x.var(), np.arange(3), RuntimeError,
                "std and var only support floating point and complex dtypes"),
    "std_int": (lambda L, x: x.std(0), np.arange(3), RuntimeError, "std and var only support"),
    "max_empty": (lambda L, x: x.max(), np.zeros(0), RuntimeError,
                  "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction "
                  "dim with the 'dim' argument."),
    "min_empty_dim": (lambda L, x: x.min(0), np.zeros((0, 3)), IndexError,
                      "min(): Expected reduction dim 0 to have non-zero size."),
    "amax_empty": (lambda L, x: x.amax(), np.zeros(0), RuntimeError,
                   "amax(): Expected reduction dim to be specified for input.numel() == 0"),
    "amin_empty_dim": (lambda L, x: x.amin(0), np.zeros((0, 3)), IndexError,
                       "amin(): Expected reduction dim 0 to have non-zero size."),
    "argmax_empty": (lambda L, x: x.argmax(), np.zeros((0, 3)), IndexError,
                     "argmax(): Expected reduction dim to be specified for input.numel() == 0."),
    "argmin_empty_dim": (lambda L, x: x.argmin(0), np.zeros((0, 3)), IndexError,
                         "argmin(): Expected reduction dim 0 to have non-zero size."),
    "argmax_bool": (lambda L, x: (x > 0).argmax(), M, RuntimeError, "argmax(): does not support bool input"),
    "aminmax_empty": (lambda L, x: L.aminmax(x), np.zeros(0), RuntimeError,
                      "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity."),
    "median_empty_dim": (lambda L, x: x.median(0), np.zeros((0, 3)), IndexError,
                         "median(): Expected reduction dim 0 to have non-zero size."),
    "median_bool": (lambda L, x: (x > 0).median(), M, NotImplementedError, "not implemented for 'Bool'"),
    "topk_k": (lambda L, x: x.topk(5), M, RuntimeError, "selected index k out of range"),
    "topk_negative_k": (lambda L, x: x.topk(-1), M, RuntimeError, "selected index k out of range"),
    "kthvalue_k": (lambda L, x: x.kthvalue(0), M, RuntimeError,
                   "kthvalue(): selected number k out of range for dimension 1"),
    "kthvalue_k_big": (lambda L, x: x.kthvalue(4, 0), M, RuntimeError, "out of range for dimension 0"),
    "norm_int": (lambda L, x: x.norm(), np.arange(3), RuntimeError,
                 "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    "norm_order": (lambda L, x: x.norm(p="abc"), M, RuntimeError, "linalg.matrix_norm: Order abc not supported."),
    "norm_inf_empty": (lambda L, x: x.norm(INF), np.zeros((0, 3)), RuntimeError,
                       "cannot compute the inf norm on an empty tensor"),
    "softmax_int": (lambda L, x: x.softmax(0), np.arange(6).reshape(2, 3), NotImplementedError,
                    "\"softmax_kernel_impl\" not implemented for 'Long'"),
    "log_softmax_int_last": (lambda L, x: x.log_softmax(1), np.arange(6).reshape(2, 3), NotImplementedError,
                             "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    "softmax_bool": (lambda L, x: (x > 0).softmax(-1), M, NotImplementedError, "not implemented for 'Bool'"),
    "sum_not_tensor": (lambda L, x: L.sum(5), M, TypeError,
                       "sum(): argument 'input' (position 1) must be Tensor, not int"),
    "sum_float_dim": (lambda L, x: x.sum(1.5), M, TypeError, ""),
    "cumsum_no_dim": (lambda L, x: x.cumsum(), M, TypeError, ""),
    "cumsum_none_dim": (lambda L, x: L.cumsum(x, None), M, TypeError, ""),
    "softmax_no_dim": (lambda L, x: x.softmax(), M, TypeError, ""),
    "max_tuple_dim": (lambda L, x: x.max((0, 1)), M, TypeError, ""),
    "var_both_corrections": (lambda L, x: x.var(0, unbiased=True, correction=1), M, TypeError, ""),
}


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_errors_match_torch(name):
    fn, arr, exc, fragment = ERROR_CASES[name]
    for L in (torch, C):  # torch first: the case itself is checked against the oracle
        x = L.tensor(arr.copy())
        before = x.numpy().copy()
        with pytest.raises(exc) as info:
            fn(L, x)
        assert fragment in str(info.value), (L.__name__, str(info.value))
        np.testing.assert_array_equal(x.numpy(), before)


@settings(max_examples=10, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_random_dims_and_keepdim_match_torch(shape, data):
    nd = len(shape)
    dims = tuple(data.draw(st.sets(st.integers(-nd, nd - 1).filter(lambda d: True), min_size=1, max_size=nd)
                           .filter(lambda s: len({d % nd for d in s}) == len(s))))
    keep = data.draw(st.booleans())
    d = data.draw(st.integers(-nd, nd - 1))
    arr = np.random.default_rng(len(shape) + sum(shape)).standard_normal(shape)

    def fn(L, x):
        return (x.sum(dims, keepdim=keep), x.mean(dims, keep), x.var(dims, keepdim=keep, correction=0),
                x.amax(dims, keep), x.logsumexp(dims, keep), x.norm(2, dim=dims, keepdim=keep),
                x.max(d, keep)[0], x.prod(d, keep), x.softmax(d), x.cumsum(d), x.sort(d)[0], x.median(d, keep)[0])
    check_parity(fn, arr, dtype=np.float64, atol=1e-10, rtol=1e-10)
