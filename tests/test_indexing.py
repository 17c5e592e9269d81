"""Indexing: t[idx], t[idx] = v, and the index ops, against torch (values, grads, views, errors)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as C
from opcheck import check_gradients, check_op, torch

RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((2, 3, 4))
X2 = RNG.standard_normal((3, 4))
LIBS = (C, torch)


def sq(y):
    """Square the result so second-order checks go through each backward's own backward."""
    return y * y


def _quiet(f, *a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a)


def outcome(fn, L):
    """What ``fn(L)`` did: the error (type, message) it raised, or None."""
    try:
        _quiet(fn, L)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def assert_same(a, b):
    """Equal structures; floats equal up to summation-order rounding."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12)
    else:
        assert a == b


def assert_same_error(fn):
    want = outcome(fn, torch)
    assert want is not None, "torch did not raise"
    assert outcome(fn, C) == want


# == getitem: values, gradients (first and second order) and torch parity ==============================
def T(L, v, dt=None):
    return L.tensor(v, dtype=getattr(L, dt) if dt else None)


GETITEM = [
    ("int", lambda L, x: x[1]),
    ("negative int", lambda L, x: x[-2]),
    ("int, int, int", lambda L, x: x[1, 2, 3]),
    ("slice", lambda L, x: x[1:]),
    ("full slice", lambda L, x: x[:]),
    ("slice with step", lambda L, x: x[:, ::2]),
    ("slice step 2 offset", lambda L, x: x[:, :, 1::2]),
    ("slice past end", lambda L, x: x[0:10, -10:2]),
    ("empty slice", lambda L, x: x[:, 2:1]),
    ("None", lambda L, x: x[None]),
    ("None in middle", lambda L, x: x[:, None, 1]),
    ("Ellipsis", lambda L, x: x[...]),
    ("Ellipsis last dim", lambda L, x: x[..., 1]),
    ("Ellipsis middle", lambda L, x: x[1, ..., None, 2]),
    ("int then slice", lambda L, x: x[0, 1:3]),
    ("0-dim int tensor", lambda L, x: x[T(L, 1)]),
    ("0-dim int tensor in tuple", lambda L, x: x[:, T(L, -1)]),
    ("np.int64", lambda L, x: x[np.int64(1)]),
    ("0-dim ndarray", lambda L, x: x[:, np.array(2)]),
    ("ndarray of ints", lambda L, x: x[np.array([[1, 0], [0, 0]])]),
    ("ndarray mask", lambda L, x: x[:, np.array([True, False, True])]),
    ("int list", lambda L, x: x[[1, 0, 1]]),
    ("repeated int list", lambda L, x: x[:, [2, 2, 0, 2]]),
    ("int tensor", lambda L, x: x[T(L, [1, 0])]),
    ("int32 tensor", lambda L, x: x[:, T(L, [2, 0], "int32")]),
    ("2-D int tensor", lambda L, x: x[T(L, [[0, 1], [1, 1]])]),
    ("negative indices", lambda L, x: x[:, T(L, [-1, -3])]),
    ("two int lists", lambda L, x: x[[0, 1], [2, 0]]),
    ("broadcast int tensors", lambda L, x: x[T(L, [1, 0]), T(L, [[0], [2]])]),
    ("adjacent advanced in middle", lambda L, x: x[:, [0, 2], [1, 3]]),
    ("separated advanced go first", lambda L, x: x[[0, 1], :, [1, 3]]),
    ("advanced then select (torch selects first)", lambda L, x: x[:, [0, 2], 1]),
    ("None between advanced", lambda L, x: x[[1, 0], None, [2, 1]]),
    ("advanced and Ellipsis", lambda L, x: x[[0, 1], ..., [1, 2]]),
    ("advanced after slice", lambda L, x: x[1:, [0, 2]]),
    ("bool mask full", lambda L, x: x[x > 0]),
    ("bool mask 1-D", lambda L, x: x[T(L, [True, False])]),
    ("bool mask 2-D", lambda L, x: x[T(L, [[True, False, True], [False, True, True]])]),
    ("bool mask after slice", lambda L, x: x[:, T(L, [False, True, True])]),
    ("bool mask and int list", lambda L, x: x[T(L, [True, True]), :, [0, 3]]),
    ("2-D mask then int list", lambda L, x: x[T(L, [[True, False, True], [False, True, True]]), [0, 3, 3, 1]]),
    ("slice, 2-D mask, True", lambda L, x: x[1:, T(L, [[True, False, True, False]] * 3), True]),
    ("bool list", lambda L, x: x[[True, False]]),
    ("uint8 mask", lambda L, x: x[T(L, [1, 0], "uint8")]),
    ("python True", lambda L, x: x[True]),
    ("python False", lambda L, x: x[False]),
    ("True inside tuple", lambda L, x: x[0, True]),
    ("0-dim bool tensor", lambda L, x: x[T(L, True)]),
    ("empty list", lambda L, x: x[[]]),
    ("list of slices is a tuple", lambda L, x: x[[0, slice(None)]]),
    ("nested list is a tuple", lambda L, x: x[[[0, 1], [1, 0]]]),
    ("chained", lambda L, x: x[1:][0][::2]),
]


@pytest.mark.parametrize("name,fn", GETITEM, ids=[c[0] for c in GETITEM])
def test_getitem_matches_torch(name, fn):
    check_op(lambda L, x: sq(_quiet(fn, L, x)), X3)


def test_getitem_of_0dim_tensor():
    check_op(lambda L, x: sq(x.sum()[None]), X2)
    check_op(lambda L, x: sq(x.sum()[...]), X2)
    check_op(lambda L, x: sq(x.sum()[True]), X2)


@pytest.mark.parametrize("name,fn", GETITEM, ids=[c[0] for c in GETITEM])
def test_getitem_grad_fn_and_view_semantics(name, fn):
    """Same grad_fn name, same view-or-copy, memory shared exactly when torch shares it."""
    got = {}
    for L in LIBS:
        x = L.tensor(X3, requires_grad=True)
        y = _quiet(fn, L, x)
        name, is_view = y.grad_fn.name(), y._base is x
        d = x.detach()
        yd = _quiet(fn, L, d)
        shares = np.shares_memory(yd.numpy(), d.numpy())
        v0 = yd._version
        with L.no_grad():
            d.add_(1)
        got[L.__name__] = (name, is_view, shares, yd._version - v0)
    assert_same(got["chainrule"], got["torch"])


def test_basic_index_shares_memory_and_version_counter():
    x = C.tensor(X2)
    y = x[1, 1:]
    assert y._base is x
    x[1, 2] = 100.
    assert y[1].item() == 100.
    y[0] = -1.
    assert x[1, 1].item() == -1.
    assert x._version == y._version == 2
    z = x[[1]]  # advanced indexing copies
    z[0, 0] = 5.
    assert x[1, 0].item() != 5.
    assert z._base is None


def test_repeated_indices_accumulate_gradients():
    for L in LIBS:
        x = L.tensor([1., 2., 3.], requires_grad=True)
        x[[0, 0, 2, 0]].sum().backward()
        assert x.grad.tolist() == [3., 0., 1.]
    check_op(lambda L, x: sq(x[[0, 0, 1, 0]]), X2)
    check_op(lambda L, x: sq(x[:, [3, 3]] * x[[2, 2, 2]][:, :2]), X2)


def test_mixed_index_order_is_torchs_not_numpys():
    # NumPy would move the advanced dim first here (the int splits it from the list); torch selects first.
    assert tuple(C.tensor(X3)[:, [0, 1], 0].shape) == (2, 2)
    y = C.tensor(np.zeros((2, 3, 4, 5)))
    assert tuple(y[:, [0, 1, 2], :, 0].shape) == tuple(torch.zeros(2, 3, 4, 5)[:, [0, 1, 2], :, 0].shape) == (2, 3, 4)


GETITEM_ERRORS = [
    ("int out of bounds", lambda L, x: x[5]),
    ("negative int out of bounds", lambda L, x: x[:, -4]),
    ("too many indices", lambda L, x: x[0, 0, 0, 0]),
    ("too many indices 1-D", lambda L, x: x[0][0][0][0, 0]),
    ("negative step", lambda L, x: x[::-1]),
    ("zero step", lambda L, x: x[::0]),
    ("float index", lambda L, x: x[1.0]),
    ("float slice bound", lambda L, x: x[0.5:2]),
    ("float tensor index", lambda L, x: x[T(L, [1.])]),
    ("tensor index out of bounds", lambda L, x: x[T(L, [5])]),
    ("negative tensor index out of bounds", lambda L, x: x[T(L, [0, -3])]),
    ("list index out of bounds on dim 1", lambda L, x: x[:, [0, 3]]),
    ("mask shape", lambda L, x: x[T(L, [True, False, True])]),
    ("mask shape dim 1", lambda L, x: x[:, T(L, [True, False])]),
    ("mask 1-D on 1-D", lambda L, x: x[0, 0][T(L, [True, False, True])]),
    ("mask 2-D second dim", lambda L, x: x[T(L, np.ones((2, 2), bool))]),
    ("unbroadcastable index tensors", lambda L, x: x[T(L, [1, 0]), T(L, [0, 1, 2])]),
    ("int on 0-dim", lambda L, x: x.sum()[0]),
    ("slice on 0-dim", lambda L, x: x.sum()[:]),
    ("tuple on 0-dim", lambda L, x: x.sum()[0, ]),
    ("select before advanced bounds", lambda L, x: x[T(L, [9]), 5]),
    ("string", lambda L, x: x["a"]),
    ("dict", lambda L, x: x[{}]),
    pytest.param("numpy bool scalar", lambda L, x: x[np.bool_(True)],
                 marks=pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.0.0",
                                          reason="with NumPy 1.x torch accepts a NumPy bool as an index")),
    ("index into an empty dim", lambda L, x: L.zeros(0, 3)[[0], [7]]),
    ("int out of bounds on 0-dim", lambda L, x: x.sum()[3]),
    ("2-D byte mask and a number", lambda L, x: x.__setitem__(T(L, np.ones((2, 3)), "uint8"), 1.)),
]


@pytest.mark.parametrize("name,fn", GETITEM_ERRORS,
                         ids=[c.values[0] if hasattr(c, "values") else c[0] for c in GETITEM_ERRORS])
def test_getitem_errors_match_torch(name, fn):
    assert_same_error(lambda L: fn(L, L.tensor(X3)))


def test_empty_results_skip_bounds_checks_like_torch():
    for fn in [lambda L: L.zeros(2, 0)[[5]], lambda L: L.zeros(1, 2, 0, 3)[..., [4, 3, 0]],
               lambda L: L.zeros(0, 0, 2, 2)[[2], False]]:
        assert tuple(fn(C).shape) == tuple(fn(torch).shape)
    x = C.zeros(2, 0)
    x[[5]] = 1.
    assert x._version == 1


def test_list_as_tuple_warns_like_torch():
    x = C.tensor(X3)
    with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing"):
        x[[0, slice(None)]]


# == setitem =================================================================================================
SETITEM = [
    # (name, index builder, value shape or None for a Python number)
    ("int", lambda L: 1, (3, 4)),
    ("int broadcast value", lambda L: 0, (4,)),
    ("int scalar", lambda L: 0, None),
    ("0-dim value", lambda L: 1, ()),
    ("slice", lambda L: (slice(None), slice(1, 3)), (2, 1, 4)),
    ("strided slice", lambda L: (slice(None), slice(None), slice(None, None, 2)), (2,)),
    ("Ellipsis", lambda L: ..., (3, 4)),
    ("Ellipsis scalar", lambda L: ..., None),
    ("full slice", lambda L: slice(None), (2, 3, 4)),
    ("None", lambda L: None, (3, 4)),
    ("True", lambda L: True, ()),
    ("leading ones in value", lambda L: (0, 1), (1, 1, 4)),
    ("int list", lambda L: [1], (3, 4)),
    ("int list scalar", lambda L: (slice(None), [0, 2]), None),
    ("repeated list, value rows", lambda L: (0, [2, 0]), (2, 4)),
    ("int tensor broadcast", lambda L: (slice(None), L.tensor([0, 2])), (4,)),
    ("two int lists", lambda L: ([0, 1], [1, 2]), (2, 4)),
    ("separated advanced", lambda L: ([0, 1], slice(None), [1, 2]), (2, 3)),
    ("select then advanced", lambda L: (1, [0, 2]), (4,)),
    ("advanced after slice", lambda L: (slice(1, None), [2]), ()),
    ("bool mask", lambda L: L.tensor([False, True]), (3, 4)),
    ("bool mask scalar", lambda L: L.tensor(X3 > 0), None),
    ("bool mask 2-D", lambda L: L.tensor(X3[:, :, 0] > 0), (4,)),
    ("bool mask with slice", lambda L: (slice(None), L.tensor([True, False, True])), (4,)),
    ("leading ones, advanced", lambda L: [0], (1, 1, 3, 4)),
    ("2-D mask then int list", lambda L: (L.tensor(X3[:, :, 0] > 0), [3, 1, 0, 2][:int((X3[:, :, 0] > 0).sum())]), ()),
    ("0-dim bool tensor", lambda L: L.tensor(True), (3, 4)),
]


@pytest.mark.parametrize("name,index,vshape", SETITEM, ids=[c[0] for c in SETITEM])
def test_setitem_autograd_matches_torch(name, index, vshape):
    def fn(L, a, *v):
        x = a.clone()
        x[_quiet(index, L)] = v[0] * 1.5 if v else 2.5
        return sq(x)

    arrays = (X3,) if vshape is None else (X3, RNG.standard_normal(vshape))
    check_op(fn, *arrays)


@pytest.mark.parametrize("name,index,vshape", SETITEM, ids=[c[0] for c in SETITEM])
def test_setitem_history_and_version_match_torch(name, index, vshape):
    got = {}
    for L in LIBS:
        a = L.tensor(X3, requires_grad=True)
        x = a.clone()
        v = 2.5 if vshape is None else L.ones(vshape, dtype=L.float64)
        v0 = x._version
        x[_quiet(index, L)] = v
        got[L.__name__] = (x.grad_fn.name(), x._version - v0, x.detach().numpy().tolist())
    assert_same(got["chainrule"], got["torch"])


def test_setitem_gradient_to_overwritten_region_is_zero():
    got = {}
    for L in LIBS:
        a = L.tensor([1., 2., 3.], requires_grad=True)
        v = L.tensor(5., requires_grad=True)
        x = a * 1
        x[1] = v
        x[[0, 0]] = v * 2
        (x * L.tensor([10., 20., 30.])).sum().backward()
        got[L.__name__] = (a.grad.tolist(), v.grad.item())
    assert got["chainrule"][0][:2] == [0., 0.]
    assert_same(got["chainrule"], got["torch"])


def test_setitem_repeated_index_value_gradient():
    got = {}
    for L in LIBS:
        a = L.tensor(X2, requires_grad=True)
        v = L.tensor(X2[:2] * 2, requires_grad=True)
        x = a * 1
        x[[1, 1]] = v
        (x * L.tensor(X2)).sum().backward()
        got[L.__name__] = (a.grad.numpy().tolist(), v.grad.numpy().tolist())
    assert_same(got["chainrule"], got["torch"])


def test_setitem_on_leaf_requiring_grad_raises():
    for index, msg in [(0, "a view of a leaf Variable that requires grad"),
                       ([0], "a leaf Variable that requires grad"),
                       (..., "a leaf Variable that requires grad")]:
        x = C.tensor(X2, requires_grad=True)
        with pytest.raises(RuntimeError, match=msg):
            x[index] = 1.
        assert x._version == 0 and np.array_equal(x.detach().numpy(), X2)
        assert_same_error(lambda L, i=index: L.tensor(X2, requires_grad=True).__setitem__(i, 1.))


def test_setitem_under_no_grad_is_allowed():
    for index in (0, [0], (slice(None), 1)):
        x = C.tensor(X2, requires_grad=True)
        with C.no_grad():
            x[index] = 7.
        assert x.is_leaf and x.requires_grad and x._version == 1
        t = torch.tensor(X2, requires_grad=True)
        with torch.no_grad():
            t[index] = 7.
        np.testing.assert_array_equal(x.detach().numpy(), t.detach().numpy())


def test_setitem_plain_tensor_takes_history_of_value():
    for index, name in [(0, "CopySlices"), ([0], "IndexPutBackward0"), (..., "CopyBackwards")]:
        got = {}
        for L in LIBS:
            x = L.zeros(2, 3)
            w = L.tensor([1., 2., 3.], requires_grad=True)
            x[index] = w * 2
            (x * L.tensor(X2[:2, :3])).sum().backward()
            got[L.__name__] = (x.grad_fn.name(), x.requires_grad, w.grad.numpy().tolist())
        assert name in got["torch"][0]
        assert_same(got["chainrule"], got["torch"])


def test_setitem_dtype_cast_and_integer_targets():
    for index, value in [(0, 1.7), ([0], 1.7), (0, -2.7), (0, "t1.7"), (slice(None), "t(3)")]:
        got = {}
        for L in LIBS:
            x = L.zeros(2, 3, dtype=L.int64)
            v = L.tensor(1.7) if value == "t1.7" else L.tensor([1.9, -2.5, 3.]) if value == "t(3)" else value
            x[index] = v
            got[L.__name__] = (str(x.dtype), x.tolist())
        assert_same(got["chainrule"], got["torch"])
    for L in LIBS:  # float value tensors are cast to the (float32) target by the copy path
        x = L.zeros(3)
        x[1:] = L.tensor([1., 2.], dtype=L.float64)
        assert str(x.dtype) == "torch.float32" and x.tolist() == [0., 1., 2.]


SETITEM_ERRORS = [
    ("list value", 0, lambda L: [1., 2., 3., 4.]),
    ("str value", 0, lambda L: "a"),
    ("ndarray value", 0, lambda L: np.ones(4)),
    ("value too long", 0, lambda L: L.ones(5)),
    ("value too many dims", 0, lambda L: L.ones(2, 3, 4)),
    ("advanced value shape", [0], lambda L: L.ones(2, 4)),
    ("advanced value dtype", [0], lambda L: L.ones(4, dtype=L.float64)),
    ("advanced 0-dim value dtype", [0], lambda L: L.tensor(1, dtype=L.int64)),
    ("out of bounds", 5, lambda L: 1.),
    ("tensor out of bounds", (slice(None), [4]), lambda L: 1.),
    ("mask shape", [True, False], lambda L: 1.),
    ("partial overlap", slice(1, None), "overlap"),
]


@pytest.mark.parametrize("name,index,value", SETITEM_ERRORS, ids=[c[0] for c in SETITEM_ERRORS])
def test_setitem_errors_match_torch_and_leave_input_unchanged(name, index, value):
    def fn(L):
        x = L.tensor(X2, dtype=L.float32)
        v = x[:-1] if value == "overlap" else value(L)
        try:
            x[index] = v
        finally:
            assert x._version == 0 and np.array_equal(x.numpy(), X2.astype(np.float32))
    assert_same_error(fn)


def test_setitem_into_view_made_under_no_grad_raises_like_torch():
    for index in (0, ..., [0], (slice(None), None)):
        def fn(L, index=index):
            b = L.ones(3, requires_grad=True).clone()
            with L.no_grad():
                v = b[1:]
            v[index] = 2.
        assert_same_error(fn)


def test_setitem_false_does_nothing():
    x = C.tensor(X2)
    x[False] = 1.
    assert x._version == 0 and np.array_equal(x.numpy(), X2)


VIEW_TARGETS = [
    ("slice view, int", lambda b: b[1:], 0, (4,)),
    ("slice view, slice", lambda b: b[1:], (slice(None), slice(1, 3)), (2,)),
    ("transposed, int", lambda b: b.t(), 0, (3,)),
    ("transposed, advanced", lambda b: b.t(), [0, 2], (3,)),
    ("selected row, advanced", lambda b: b[0], [0, 2], (2,)),
    ("selected row, mask", lambda b: b[0], [True, False, True, True], (3,)),
    ("reshaped, int", lambda b: b.view(12), 5, ()),
    ("reshaped, Ellipsis", lambda b: b.view(2, 6), ..., (6,)),
    ("view of a view", lambda b: b[1:][0], slice(None), ()),
    ("strided view", lambda b: b[:, ::2], (slice(None), 0), (3,)),
]


@pytest.mark.parametrize("name,view,index,wshape", VIEW_TARGETS, ids=[c[0] for c in VIEW_TARGETS])
def test_setitem_into_view_rebases_like_torch(name, view, index, wshape):
    """Writing through a view gives the base CopySlices; base, view and value grads match torch."""
    got = {}
    for L in LIBS:
        a = L.tensor(X2, requires_grad=True)
        w = L.tensor(np.full(wshape, 2.5), requires_grad=True)
        b = a.clone()
        v = view(b)
        v0 = b._version
        _quiet(v.__setitem__, index, w * 1.5)
        res = [b.grad_fn.name(), b._version - v0, v._version - v0, v.requires_grad, b.detach().numpy().tolist(),
               v.detach().numpy().tolist()]
        ((b * L.tensor(X2)).sum() + (v * v).sum()).backward()
        res += [a.grad.numpy().round(10).tolist(), w.grad.numpy().round(10).tolist()]
        got[L.__name__] = res
    assert_same(got["chainrule"], got["torch"])


def test_setitem_into_view_of_plain_tensor_makes_base_require_grad():
    got = {}
    for L in LIBS:
        b = L.zeros(3, 4)
        w = L.tensor([1., 2.], requires_grad=True)
        v = b[1:]
        v[:, 0] = w * 3
        ((b * L.tensor(X2)).sum() + (v * v).sum()).backward()
        got[L.__name__] = (b.grad_fn.name(), b.requires_grad, v.requires_grad, w.grad.numpy().tolist())
    assert_same(got["chainrule"], got["torch"])


# == gather, scatter, index_*, masked_*, take, put ====================================================
def I(*v):  # noqa: E743
    return np.array(v, dtype=np.int64)


IDX = I([0, 1], [2, 0])
MASK = np.array([True, False, True, False])
MASK2 = X2 > 0

OPS = [
    ("gather dim 1", lambda L, x, i: L.gather(x, 1, i), (X2, IDX)),
    ("gather dim 0 repeated", lambda L, x, i: L.gather(x, 0, i), (X2, I([0, 0, 0, 0], [2, 2, 1, 2]))),
    ("gather smaller index", lambda L, x, i: x.gather(-1, i), (X2, I([3], [0]))),
    ("gather int32 index", lambda L, x, i: L.gather(x, 1, i.int()), (X2, IDX)),
    ("gather 0-dim", lambda L, x, i: L.gather(x.sum(), 0, i), (X2, np.array(0))),
    ("scatter src", lambda L, x, i, s: L.scatter(x, 1, i, s), (X2, IDX, X2[:2, :2])),
    ("scatter value", lambda L, x, i: L.scatter(x, 1, i, 2.0), (X2, IDX)),
    ("scatter value keyword", lambda L, x, i: L.scatter(x, 1, i, value=-1.0), (X2, IDX)),
    ("scatter_add", lambda L, x, i, s: L.scatter_add(x, 1, i, s), (X2, I([0, 0], [1, 1]), X2[:2, :2])),
    ("index_select", lambda L, x, i: L.index_select(x, 1, i), (X2, I(0, 3, 0))),
    ("index_select 0-dim index", lambda L, x, i: x.index_select(0, i), (X2, np.array(2))),
    ("index_select int32", lambda L, x, i: L.index_select(x, 0, i.int()), (X2, I(2, 0))),
    ("index_add", lambda L, x, i, s: L.index_add(x, 1, i, s), (X2, I(0, 0, 2), X2[:, :3])),
    ("index_add alpha", lambda L, x, i, s: x.index_add(0, i, s, alpha=-2.5), (X2, I(2, 2), X2[:2])),
    ("index_copy", lambda L, x, i, s: L.index_copy(x, 1, i, s), (X2, I(3, 0), X2[:, :2])),
    ("index_copy 0-dim", lambda L, x, i, s: L.index_copy(x, 0, i, s), (X2[0], np.array(1), np.array(4.))),
    ("index_fill number", lambda L, x, i: L.index_fill(x, 1, i, 1.5), (X2, I(0, 2))),
    ("index_fill tensor", lambda L, x, i, v: L.index_fill(x, 0, i, v), (X2, I(0, 2, 0), np.array(0.7))),
    ("masked_fill number", lambda L, x, m: L.masked_fill(x, m, 1.5), (X2, MASK)),
    ("masked_fill tensor", lambda L, x, m, v: x.masked_fill(m, v), (X2, MASK2, np.array(-0.3))),
    ("masked_fill broadcasts mask", lambda L, x, m: L.masked_fill(x[0], m, 0.), (X2, MASK2)),
    ("masked_select", lambda L, x, m: L.masked_select(x, m), (X2, MASK2)),
    ("masked_select broadcast", lambda L, x, m: x[0].masked_select(m), (X2, MASK2)),
    ("masked_scatter", lambda L, x, m, s: L.masked_scatter(x, m, s), (X2, MASK2, X2 * 2)),
    ("masked_scatter broadcast mask", lambda L, x, m, s: x.masked_scatter(m, s), (X2, MASK, X2[:2])),
    ("take", lambda L, x, i: L.take(x, i), (X2, I([0, 11], [-1, 5]))),
    ("take repeated", lambda L, x, i: x.take(i), (X2, I(3, 3, 3))),
    ("take transposed", lambda L, x, i: L.take(x.t(), i), (X2, I(1, 2, 5))),
    ("take_along_dim", lambda L, x, i: L.take_along_dim(x, i, dim=1), (X2, I([0], [3], [1]))),
    ("take_along_dim broadcast", lambda L, x, i: L.take_along_dim(x, i, 1), (X2, I([0, 3]))),
    ("take_along_dim flat", lambda L, x, i: x.take_along_dim(i), (X2, I([0, 11]))),
    ("put", lambda L, x, i, s: L.put(x, i, s), (X2, I(0, 11), X2[0, :2])),
    ("put accumulate", lambda L, x, i, s: x.put(i, s, accumulate=True), (X2, I([0, 0], [11, 0]), X2[:2, :2])),
    ("index_put", lambda L, x, i, j, v: x.index_put((i, j), v), (X2, I(0, 2), I(1, 1), X2[0, :2])),
    ("index_put accumulate", lambda L, x, i, v: L.index_put(x, (i,), v, accumulate=True), (X2, I(1, 1), X2[:2])),
]


@pytest.mark.parametrize("name,fn,arrays", OPS, ids=[c[0] for c in OPS])
def test_index_ops_match_torch(name, fn, arrays):
    check_op(lambda L, *a: sq(fn(L, *a)), *arrays)


@pytest.mark.parametrize("name,fn,arrays", OPS, ids=[c[0] for c in OPS])
def test_index_ops_grad_fn_names_match_torch(name, fn, arrays):
    names = []
    for L in LIBS:
        ts = [L.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        names.append(fn(L, *ts).grad_fn.name())
    assert names[0] == names[1]


INPLACE = [
    ("scatter_", lambda x, L, s: x.scatter_(1, L.tensor(IDX), s[:2, :2])),
    ("scatter_ value", lambda x, L, s: x.scatter_(0, L.tensor(IDX), 3.)),
    ("scatter_add_", lambda x, L, s: x.scatter_add_(1, L.tensor(I([0, 0], [1, 1])), s[:2, :2])),
    ("index_add_", lambda x, L, s: x.index_add_(0, L.tensor(I(1, 1)), s[:2], alpha=2)),
    ("index_copy_", lambda x, L, s: x.index_copy_(1, L.tensor(I(3, 1)), s[:, :2])),
    ("index_fill_", lambda x, L, s: x.index_fill_(1, L.tensor(I(0)), s[0, 0])),
    ("masked_fill_", lambda x, L, s: x.masked_fill_(L.tensor(MASK), s[1, 1])),
    ("masked_scatter_", lambda x, L, s: x.masked_scatter_(L.tensor(MASK2), s)),
    ("put_", lambda x, L, s: x.put_(L.tensor(I(5, 0)), s[0, :2])),
    ("index_put_", lambda x, L, s: x.index_put_((L.tensor(I(1)),), s[0])),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_forms_match_torch(name, fn):
    got = {}
    for L in LIBS:
        a = L.tensor(X2, requires_grad=True)
        s = L.tensor(X2 * 3, requires_grad=True)
        x = a * 1
        r = fn(x, L, s)
        res = [r is x, x.grad_fn.name(), x._version, x.detach().numpy().round(10).tolist()]
        (x * L.tensor(X2)).sum().backward()
        res += [a.grad.numpy().round(10).tolist(), None if s.grad is None else s.grad.numpy().round(10).tolist()]
        got[L.__name__] = res
    assert_same(got["chainrule"], got["torch"])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        fn(C.tensor(X2, requires_grad=True), C, C.tensor(X2))


def test_sources_larger_than_the_index_get_zero_padded_gradients():
    # torch's own backward rejects these (its gradient has the index's shape); ours pads with zeros.
    check_gradients(lambda L, x, s: sq(x.scatter(0, L.tensor(I([0, 1], [2, 0])), s)), X2, X2 * 2)
    check_gradients(lambda L, x, s: sq(L.scatter_add(x, 1, L.tensor(I([0, 0], [1, 1])), s)), X2, X2 * 2)
    check_gradients(lambda L, s: sq(L.masked_scatter(L.zeros(3, 4, dtype=L.float64), L.tensor(MASK2), s)),
                    RNG.standard_normal(9))
    s = C.tensor(X2, requires_grad=True)
    C.scatter(C.zeros(3, 4, dtype=C.float64), 0, C.tensor(I([0, 1])), s).sum().backward()
    assert s.grad.numpy().tolist() == [[1., 1., 0., 0.], [0., 0., 0., 0.], [0., 0., 0., 0.]]


def test_scatter_reduce_values_and_no_derivative():
    for reduce, src in [("add", 1.5), ("multiply", 2.0)]:
        got = {}
        for L in LIBS:
            x = L.tensor(X2, dtype=L.float32)
            i = L.tensor(I([0, 0], [1, 1]))
            got[L.__name__] = (L.scatter(x, 1, i, src, reduce=reduce).tolist(),
                               x.clone().scatter_(1, i, L.full((2, 2), src), reduce=reduce).tolist())
        np.testing.assert_allclose(got["chainrule"], got["torch"], rtol=1e-6)
    y = C.scatter(C.tensor(X2, requires_grad=True), 1, C.tensor(IDX), 2.0, reduce="add")
    assert y.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


def test_repeated_index_gradients_accumulate_in_ops():
    cases = [
        lambda L, x: L.index_select(x, 0, L.tensor([1, 1, 1, 0])),
        lambda L, x: L.gather(x, 1, L.tensor([[0, 0, 0]] * 3)),
        lambda L, x: L.take(x, L.tensor([4, 4, 4])),
        lambda L, x: L.take_along_dim(x, L.tensor([[2, 2]]), dim=1),
        lambda L, x: L.masked_select(x, L.tensor(MASK2)) * 2,
    ]
    for fn in cases:
        grads = []
        for L in LIBS:
            x = L.tensor(X2, requires_grad=True)
            fn(L, x).sum().backward()
            grads.append(x.grad.numpy())
        np.testing.assert_array_equal(*grads)


def test_integer_inputs_keep_their_dtype():
    xi = np.arange(12).reshape(3, 4)
    cases = [
        lambda L, x: L.scatter(x, 1, L.tensor(IDX), 2.7),
        lambda L, x: L.index_fill(x, 1, L.tensor([0]), 2.7),
        lambda L, x: L.masked_fill(x, x > 5, 2.7),
        lambda L, x: L.masked_fill(x, x > 5, L.tensor(2.7)),
        lambda L, x: L.index_add(x, 0, L.tensor([0]), L.ones(1, 4, dtype=L.int64), alpha=2),
        lambda L, x: L.gather(x, 1, L.tensor(IDX)),
        lambda L, x: x[x > 5],
        lambda L, x: L.nonzero(x > 5),
        lambda L, x: L.argwhere(x),
    ]
    for fn in cases:
        r = [fn(L, L.tensor(xi)) for L in LIBS]
        assert str(r[0].dtype) == str(r[1].dtype)
        assert r[0].tolist() == r[1].tolist()


def test_nonzero_and_argwhere_match_torch():
    for a in [X2 > 0, np.array(3.), np.array(0.), np.zeros((0, 3)), np.array([0, 1, 2])]:
        r = {}
        for L in LIBS:
            t = L.tensor(a)
            tup = L.nonzero(t, as_tuple=True)
            r[L.__name__] = (L.nonzero(t).tolist(), tuple(L.nonzero(t).shape), t.nonzero().tolist(),
                             [i.tolist() for i in tup], L.argwhere(t).tolist(), tuple(t.argwhere().shape),
                             str(L.nonzero(t).dtype))
        assert r["chainrule"] == r["torch"]


OP_ERRORS = [
    ("gather float index", lambda L, x: L.gather(x, 1, L.tensor([[1.]]))),
    ("gather ndim", lambda L, x: L.gather(x, 1, L.tensor([0]))),
    ("gather index too large", lambda L, x: L.gather(x, 1, L.zeros(4, 2, dtype=L.int64))),
    ("gather out of bounds", lambda L, x: L.gather(x, 1, L.tensor([[5]]))),
    ("gather negative", lambda L, x: L.gather(x, 1, L.tensor([[-1]]))),
    ("gather dim", lambda L, x: L.gather(x, 2, L.tensor([[0]]))),
    ("gather list index", lambda L, x: L.gather(x, 0, [[0]])),
    ("scatter src dtype", lambda L, x: L.scatter(x, 1, L.tensor(IDX), L.ones(2, 2, dtype=L.float64))),
    ("scatter small src", lambda L, x: L.scatter(x, 1, L.tensor(IDX), L.ones(1, 2))),
    ("scatter index too large", lambda L, x: L.scatter(x, 0, L.zeros(2, 5, dtype=L.int64), 1.0)),
    ("scatter ndim", lambda L, x: L.scatter(x, 0, L.zeros(2, dtype=L.int64), 1.0)),
    ("scatter 0-dim tensor value", lambda L, x: L.scatter(x, 1, L.tensor(IDX), L.tensor(2.))),
    ("scatter bad reduce", lambda L, x: L.scatter(x, 1, L.tensor(IDX), 2.0, reduce="max")),
    ("scatter out of bounds", lambda L, x: L.scatter(x, 0, L.tensor([[3]]), 1.0)),
    ("scatter_add number", lambda L, x: L.scatter_add(x, 1, L.tensor(IDX), 2.0)),
    ("scatter_add float index", lambda L, x: L.scatter_add(x, 0, L.zeros(2, 2), L.ones(2, 2))),
    ("index_select 2-D index", lambda L, x: L.index_select(x, 1, L.tensor([[2]]))),
    ("index_select out of bounds", lambda L, x: L.index_select(x, 1, L.tensor([4]))),
    ("index_select negative", lambda L, x: L.index_select(x, 1, L.tensor([-1]))),
    ("index_select float", lambda L, x: L.index_select(x, 1, L.tensor([1.]))),
    ("index_select scalar", lambda L, x: L.index_select(x.sum(), 0, L.tensor([0, 0]))),
    ("index_add count", lambda L, x: L.index_add(x, 1, L.tensor([0, 0]), L.ones(3, 3))),
    ("index_add dtype", lambda L, x: L.index_add(x, 1, L.tensor([0, 0]), L.ones(3, 2, dtype=L.float64))),
    ("index_add out of bounds", lambda L, x: L.index_add(x, 1, L.tensor([0, 9]), L.ones(3, 2))),
    ("index_add slice shape", lambda L, x: L.index_add(x, 0, L.tensor([0]), L.ones(1, 3))),
    ("index_add 2-D index", lambda L, x: L.index_add(x, 0, L.tensor([[0]]), L.ones(1, 4))),
    ("index_add float index", lambda L, x: L.index_add(x, 0, L.tensor([0.]), L.ones(1, 4))),
    ("index_copy count", lambda L, x: L.index_copy(x, 1, L.tensor([0, 2]), L.ones(3, 3))),
    ("index_copy out of bounds", lambda L, x: L.index_copy(x, 1, L.tensor([0, 7]), L.ones(3, 2))),
    ("index_copy slice shape", lambda L, x: L.index_copy(x, 0, L.tensor([0]), L.ones(1, 3))),
    ("index_copy dtype", lambda L, x: L.index_copy(x, 0, L.tensor([0]), L.ones(1, 4, dtype=L.float64))),
    ("index_copy int32", lambda L, x: L.index_copy(x, 0, L.tensor([0], dtype=L.int32), L.ones(1, 4))),
    ("index_copy ndim", lambda L, x: L.index_copy(x, 0, L.tensor([0]), L.ones(4))),
    ("index_fill 1-D value", lambda L, x: L.index_fill(x, 1, L.tensor([0]), L.tensor([1.5]))),
    ("index_fill out of bounds", lambda L, x: L.index_fill(x, 1, L.tensor([0, 9]), 1.)),
    ("index_fill negative out of bounds", lambda L, x: L.index_fill(x, 0, L.tensor([-4]), 1.)),
    ("index_fill 2-D index", lambda L, x: L.index_fill(x, 0, L.tensor([[0]]), 1.)),
    ("index_fill int32", lambda L, x: L.index_fill(x, 0, L.tensor([0], dtype=L.int32), 1.)),
    ("masked_fill 1-D value", lambda L, x: L.masked_fill(x, L.tensor(MASK), L.tensor([1.5]))),
    ("masked_fill long mask", lambda L, x: L.masked_fill(x, L.tensor(MASK).long(), 1.5)),
    ("masked_fill byte mask", lambda L, x: L.masked_fill(x, L.tensor(MASK).byte(), 1.5)),
    ("masked_fill float mask", lambda L, x: L.masked_fill(x, L.tensor(MASK).float(), 1.5)),
    ("masked_fill mask shape", lambda L, x: L.masked_fill(x, L.ones(3, dtype=L.bool), 1.5)),
    ("masked_fill_ broadcast self", lambda L, x: x.masked_fill_(L.ones(2, 3, 4, dtype=L.bool), 1.5)),
    ("masked_select long mask", lambda L, x: L.masked_select(x, L.tensor(MASK).long())),
    ("masked_select mask shape", lambda L, x: L.masked_select(x, L.ones(3, dtype=L.bool))),
    ("masked_scatter short source", lambda L, x: L.masked_scatter(x, L.tensor(MASK), L.ones(5))),
    ("masked_scatter dtype", lambda L, x: L.masked_scatter(x, L.tensor(MASK), L.ones(6, dtype=L.float64))),
    ("masked_scatter long mask", lambda L, x: L.masked_scatter(x, L.tensor(MASK).long(), L.ones(12))),
    ("take out of bounds", lambda L, x: L.take(x, L.tensor([12]))),
    ("take negative out of bounds", lambda L, x: L.take(x, L.tensor([-13]))),
    ("take int32", lambda L, x: L.take(x, L.tensor([1], dtype=L.int32))),
    ("take_along_dim float", lambda L, x: L.take_along_dim(x, L.tensor([[1.]]), 1)),
    ("take_along_dim ndim", lambda L, x: L.take_along_dim(x, L.tensor([0, 3]), dim=1)),
    ("take_along_dim broadcast", lambda L, x: L.take_along_dim(x, L.zeros(2, 1, dtype=L.int64), 1)),
    ("take_along_dim 0-dim", lambda L, x: L.take_along_dim(x.sum(), L.tensor(0), 0)),
    ("put_ count", lambda L, x: x.put_(L.tensor([0, 11]), L.ones(3))),
    ("put_ out of bounds", lambda L, x: x.put_(L.tensor([0, 12]), L.ones(2))),
    ("put_ dtype", lambda L, x: x.put_(L.tensor([0, 1]), L.tensor([1, 2]))),
    ("put_ float index", lambda L, x: x.put_(L.tensor([0.]), L.tensor([1.]))),
]


@pytest.mark.parametrize("name,fn", OP_ERRORS, ids=[c[0] for c in OP_ERRORS])
def test_index_op_errors_match_torch(name, fn):
    assert_same_error(lambda L: fn(L, L.tensor(X2, dtype=L.float32)))
    x = C.tensor(X2, dtype=C.float32)  # checked before anything changes (torch's put_ writes some first)
    with pytest.raises((RuntimeError, IndexError, TypeError)):
        _quiet(fn, C, x)
    assert x._version == 0 and np.array_equal(x.numpy(), X2.astype(np.float32))


# == hypothesis: random index combinations ==============================================================
@st.composite
def index_cases(draw):
    """A shape and an index of mixed kinds (sometimes invalid: then the errors must match)."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    items = []
    for size in shape[:draw(st.integers(1, len(shape)))]:
        kind = draw(st.sampled_from(["int", "slice", "list", "mask", "none", "skip"]))
        if kind == "none":
            items.append(("none",))
            kind = draw(st.sampled_from(["int", "slice", "list"]))
        if kind == "int":
            items.append(("int", draw(st.integers(-size, size - 1))))
        elif kind in ("slice", "skip"):
            start = draw(st.none() | st.integers(-size - 1, size + 1))
            stop = draw(st.none() | st.integers(-size - 1, size + 1))
            items.append(("slice", start, stop, draw(st.none() | st.integers(1, 3))))
        elif kind == "list":
            items.append(("list", draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=3))))
        else:
            items.append(("mask", draw(st.lists(st.booleans(), min_size=size, max_size=size))))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), ("ellipsis",))
    if draw(st.booleans()):
        items.append(("none",))
    return shape, items


def build(L, items):
    out = []
    for it in items:
        k = it[0]
        out.append(it[1] if k == "int" else slice(*it[1:]) if k == "slice" else L.tensor(it[1]) if k in ("list", "mask")
                   else None if k == "none" else Ellipsis)
    return tuple(out)


def _run_getitem(L, shape, items, w_seed):
    x = L.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape), requires_grad=True)
    y = x[build(L, items)]
    y.backward(L.tensor(np.random.default_rng(w_seed).standard_normal(tuple(y.shape))))
    return (y.grad_fn.name(), y._base is x, tuple(y.shape), y.detach().numpy().tolist(), x.grad.numpy().tolist())


@settings(max_examples=40, deadline=None)
@given(index_cases(), st.integers(0, 100))
def test_random_getitem_matches_torch(case, seed):
    shape, items = case
    r = {}
    for L in LIBS:
        try:
            r[L.__name__] = _run_getitem(L, shape, items, seed)
        except Exception as e:  # noqa: BLE001
            r[L.__name__] = (type(e).__name__, str(e))
    assert_same(r["chainrule"], r["torch"])


@settings(max_examples=30, deadline=None)
@given(index_cases(), st.booleans())
def test_random_setitem_matches_torch(case, scalar):
    shape, items = case
    try:
        target = tuple(torch.zeros(shape)[build(torch, items)].shape)
    except Exception:  # noqa: BLE001
        return
    r = {}
    for L in LIBS:
        a = L.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape), requires_grad=True)
        v = L.tensor(np.full(target[1:] if target else (), 2.0), requires_grad=True)
        x = a * 1
        try:
            x[build(L, items)] = 3.0 if scalar else v * 1.5
        except Exception as e:  # noqa: BLE001  (e.g. repeated-index writes: torch and chainrule both raise or not)
            r[L.__name__] = (type(e).__name__, str(e))
            continue
        (x * L.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))).sum().backward()
        r[L.__name__] = (x.grad_fn.name(), x.detach().numpy().tolist(), a.grad.numpy().tolist(),
                         None if scalar else v.grad.numpy().tolist())
    assert_same(r["chainrule"], r["torch"])


# == forward-mode AD ====================================================================================
FORWARD = [
    lambda L, x: x[1],
    lambda L, x: x[:, ::2],
    lambda L, x: x[[0, 0]],
    lambda L, x: x[x > 0],
    lambda L, x: x.gather(1, L.tensor(I([0, 0], [1, 2], [3, 3]))),
    lambda L, x: x.masked_fill(x > 0, 0.),
    lambda L, x: x.take(L.tensor(I(1, 5))),
    lambda L, x: _set(x.clone(), 0, 5.),
    lambda L, x: _set(x.clone(), [0], x[1] * 2),
    lambda L, x: _set(L.zeros(3, 4, dtype=L.float64), (slice(None), 1), x[:, 0]),
]


def _set(x, index, value):
    x[index] = value
    return x


@pytest.mark.parametrize("i", range(len(FORWARD)))
def test_forward_mode_tangents_match_torch(i):
    got = {}
    for L in LIBS:
        fa = L.autograd.forward_ad
        with fa.dual_level():
            x = fa.make_dual(L.tensor(X2), L.tensor(X2 * 3 + 1))
            p, t = fa.unpack_dual(FORWARD[i](L, x))
            got[L.__name__] = (p.detach().numpy().tolist(), t.numpy().tolist())
    assert_same(got["chainrule"], got["torch"])
