"""Linear algebra: matmul in every rank combination, its family, einsum, and chainrule.linalg."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as C
import chainrule.linalg  # noqa: F401  (the namespace module; also exported as chainrule.linalg)
from opcheck import check_op, check_parity, torch

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape)


def well(*shape):
    """Well-conditioned square matrices: random plus a multiple of the identity."""
    n = shape[-1]
    return randn(*shape) + 2.5 * np.eye(n)


def spd(*shape):
    """Symmetric positive-definite matrices with well separated eigenvalues."""
    n = shape[-1]
    a = randn(*shape)
    return a @ np.swapaxes(a, -1, -2) + np.diag(np.arange(1.0, n + 1)) + n * np.eye(n)


def sym(a):
    return (a + a.mT) * 0.5


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


def same_error(fn, *arrays, grads=()):
    """Run ``fn`` under torch and chainrule: the same exception type and message, inputs unchanged."""
    caught = {}
    for lib in (torch, C):
        ts = [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
        for i in grads:
            ts[i].requires_grad_(True)
        before = [t.detach().numpy().copy() for t in ts if hasattr(t, "detach")]
        with pytest.raises(Exception) as ei:
            fn(lib, *ts)
        after = [t.detach().numpy() for t in ts if hasattr(t, "detach")]
        for b, a in zip(before, after):
            np.testing.assert_array_equal(a, b)
        caught[lib.__name__] = ei.value
    t, c = caught["torch"], caught["chainrule"]
    assert str(c) == str(t)
    assert isinstance(c, type(t).__mro__[0]) or type(t).__name__.lstrip("_") == type(c).__name__
    if isinstance(t, torch.linalg.LinAlgError):
        assert isinstance(c, C.linalg.LinAlgError) and isinstance(c, RuntimeError)
    return c


def node_names_match(fn, *arrays, grads=None):
    names = []
    for lib in (torch, C):
        ts = [lib.tensor(a) for a in arrays]
        for i, t in enumerate(ts):
            if grads is None or i in grads:
                t.requires_grad_(True)
        r = fn(lib, *ts)
        r = r[0] if isinstance(r, tuple) else r
        names.append(r.grad_fn.name())
    assert names[1] == names[0]


# -- matmul ----------------------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((4, 2, 3), (4, 3, 2)),
    ((4, 2, 3), (3, 2)), ((2, 3), (4, 3, 2)), ((4, 2, 3), (3,)), ((3,), (4, 3, 2)),
    ((2, 1, 2, 3), (4, 3, 2)), ((2, 4, 2, 3), (2, 4, 3, 2)), ((3,), (2, 2, 3, 2)), ((2, 2, 2, 3), (3,)),
    ((1, 3), (2, 3, 1)), ((2, 3), (1, 3, 4)), ((2, 0, 3), (3, 2)), ((2, 0), (0, 3)), ((2, 2, 0), (0, 3)),
    ((0, 2, 3), (3,)), ((2, 1, 3), (3, 0)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_values_and_gradients(sa, sb):
    check_op(lambda L, a, b: L.matmul(a, b), randn(*sa), randn(*sb))


def test_matmul_with_empty_batch():
    # first order only: double backward through chainrule's expand to a 0-size dim is not ready yet
    check_parity(lambda L, a, b: a @ b, randn(2, 3), randn(0, 3, 2))
    check_parity(lambda L, a, b: a @ b, randn(2, 3), randn(0, 3, 2), dtype=np.float64)
    node_names_match(lambda L, a, b: a @ b, randn(2, 3), randn(0, 3, 2))


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_operator_and_node_names(sa, sb):
    check_parity(lambda L, a, b: a @ b, randn(*sa), randn(*sb))
    for grads in (None, (0,), (1,)):
        node_names_match(lambda L, a, b: a @ b, randn(*sa), randn(*sb), grads=grads)


@pytest.mark.parametrize("sa,sb", [((4, 2, 3), (3, 2)), ((2, 3), (4, 3, 2)), ((3,), (2, 3, 2)), ((2, 2, 3), (3,))])
@pytest.mark.parametrize("which", [0, 1])
def test_matmul_one_sided_gradient(sa, sb, which):
    a, b = randn(*sa), randn(*sb)
    grads = []
    for lib in (C, torch):
        x, y = lib.tensor(a), lib.tensor(b)
        (x, y)[which].requires_grad_(True)
        (lib.matmul(x, y) * lib.tensor(np.cos(np.arange(_out_size(sa, sb))).reshape(_out_shape(sa, sb)))).sum().backward()
        assert (x, y)[1 - which].grad is None
        grads.append((x, y)[which].grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)
    with torch.no_grad(), C.no_grad():  # the dispatch (and its error wording) depends on requires_grad, not grad mode
        same_error(lambda L, x, y: L.matmul(x, y), np.ones((2, 3), np.float32), np.ones((5, 4, 5), np.float32),
                   grads=(0,))


def _out_shape(sa, sb):
    return np.matmul(np.ones(sa), np.ones(sb)).shape


def _out_size(sa, sb):
    return int(np.prod(_out_shape(sa, sb)))


def test_rmatmul_and_not_implemented():
    a = C.tensor(randn(2, 3))
    b = C.tensor(randn(4, 2))
    np.testing.assert_allclose(a.__rmatmul__(b).numpy(), b.numpy() @ a.numpy(), rtol=1e-6)
    assert a.__matmul__(2.0) is NotImplemented
    with pytest.raises(TypeError):
        a @ [[1.0]]
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        C.matmul(a, 2.0)


@settings(max_examples=10, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.sampled_from(["mm", "vm", "mv"]))
def test_matmul_broadcasts_batch_dims(shapes, n, k, m, kind):
    (ba, bb), _ = shapes
    sa = ba + ((n, k) if kind != "vm" else (k,))
    sb = bb + ((k, m) if kind != "mv" else (k,))
    if kind == "vm":
        sa = (k,)
    if kind == "mv":
        sb = (k,)
    check_op(lambda L, a, b: a @ b, randn(*sa), randn(*sb))


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.uint8, np.float16])
def test_matmul_other_dtypes(dt):
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)), ((3,), (3, 2))]:
        a = RNG.integers(0, 4, sa).astype(dt)
        b = RNG.integers(0, 4, sb).astype(dt)
        r, t = C.matmul(C.tensor(a), C.tensor(b)), torch.matmul(torch.tensor(a), torch.tensor(b))
        assert str(r.dtype) == str(t.dtype) and r.shape == t.shape
        np.testing.assert_allclose(r.numpy().astype(np.float64), t.numpy().astype(np.float64), rtol=1e-3)


MATMUL_ERRORS = [
    ((2, 3), (4, 5), (), "f", "f"), ((2, 3), (4,), (), "f", "f"), ((3,), (4,), (), "f", "f"),
    ((3,), (4, 5), (), "f", "f"), ((5, 2, 3), (5, 4, 5), (), "f", "f"), ((5, 2, 3), (4, 3, 5), (), "f", "f"),
    ((2, 5, 2, 3), (3, 4, 5), (), "f", "f"), ((5, 2, 3), (4,), (), "f", "f"), ((5, 2, 3), (4, 5), (), "f", "f"),
    ((3,), (5, 4, 5), (), "f", "f"), ((2, 3), (5, 4, 5), (), "f", "f"), ((3,), (5, 4, 5), (0,), "f", "f"),
    ((2, 3), (5, 4, 5), (0,), "f", "f"), ((4,), (2, 5, 3, 4), (0,), "f", "f"), ((), (3,), (), "f", "f"),
    ((3,), (), (), "f", "f"), ((2, 3), (3, 4), (), "f", "d"), ((3,), (3,), (), "d", "f"),
    ((2, 3), (3,), (), "f", "d"), ((5, 2, 3), (3,), (), "f", "d"), ((5, 2, 3), (3, 5), (), "d", "f"),
    ((3,), (5, 3, 5), (), "f", "d"), ((2, 3), (5, 3, 5), (), "d", "f"), ((5, 2, 3), (5, 3, 5), (), "f", "d"),
    ((3,), (3, 4), (), "f", "d"), ((2, 3), (5, 3, 4), (0,), "f", "d"), ((3,), (5, 3, 4), (0,), "f", "d"),
    ((2, 3), (3, 4), (), "f", "l"), ((2, 3), (3, 4), (), "b", "b"), ((3,), (3,), (), "b", "b"),
    ((2, 3), (3,), (), "b", "b"), ((2, 2, 3), (2, 3, 4), (), "b", "b"), ((2, 3), (3, 4), (), "f", "h"),
]
_DT = {"f": np.float32, "d": np.float64, "l": np.int64, "b": np.bool_, "h": np.float16}


@pytest.mark.parametrize("sa,sb,grads,da,db", MATMUL_ERRORS)
def test_matmul_errors_match_torch(sa, sb, grads, da, db):
    a = np.ones(sa, dtype=_DT[da])
    b = np.ones(sb, dtype=_DT[db])
    same_error(lambda L, x, y: L.matmul(x, y), a, b, grads=grads)


# -- mm, bmm, mv, dot and the add* family -----------------------------------------------------------
PRODUCT_CASES = [
    ("mm", lambda L, a, b: L.mm(a, b), [(2, 3), (3, 4)]),
    ("bmm", lambda L, a, b: L.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    ("mv", lambda L, a, b: L.mv(a, b), [(2, 3), (3,)]),
    ("dot", lambda L, a, b: L.dot(a, b), [(3,), (3,)]),
    ("vdot", lambda L, a, b: L.vdot(a, b), [(3,), (3,)]),
    ("outer", lambda L, a, b: L.outer(a, b), [(3,), (4,)]),
    ("ger", lambda L, a, b: L.ger(a, b), [(3,), (4,)]),
    ("inner11", lambda L, a, b: L.inner(a, b), [(3,), (3,)]),
    ("inner22", lambda L, a, b: L.inner(a, b), [(2, 3), (4, 3)]),
    ("inner32", lambda L, a, b: L.inner(a, b), [(2, 2, 3), (4, 3)]),
    ("inner0", lambda L, a, b: L.inner(a, b), [(), (4, 3)]),
    ("addmm", lambda L, c, a, b: L.addmm(c, a, b), [(2, 4), (2, 3), (3, 4)]),
    ("addmm_bcast", lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=-2.0), [(4,), (2, 3), (3, 4)]),
    ("addmm_beta0", lambda L, c, a, b: L.addmm(c, a, b, beta=0), [(2, 4), (2, 3), (3, 4)]),
    ("addmv", lambda L, c, a, b: L.addmv(c, a, b, alpha=3.0), [(2,), (2, 3), (3,)]),
    ("addmv_bcast", lambda L, c, a, b: L.addmv(c, a, b, beta=2.0), [(1,), (2, 3), (3,)]),
    ("addr", lambda L, c, a, b: L.addr(c, a, b, beta=2.0, alpha=0.5), [(3, 4), (3,), (4,)]),
    ("baddbmm", lambda L, c, a, b: L.baddbmm(c, a, b, beta=0.5, alpha=1.5), [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
    ("baddbmm_bcast", lambda L, c, a, b: L.baddbmm(c, a, b), [(2, 4), (2, 2, 3), (2, 3, 4)]),
    ("addbmm", lambda L, c, a, b: L.addbmm(c, a, b, beta=-1.0, alpha=2.0), [(2, 4), (3, 2, 3), (3, 3, 4)]),
    ("addmm_method", lambda L, c, a, b: c.addmm(a, b), [(2, 4), (2, 3), (3, 4)]),
    ("addmm_inplace", lambda L, c, a, b: (c * 1).addmm_(a, b, alpha=2.0), [(2, 4), (2, 3), (3, 4)]),
    ("baddbmm_inplace", lambda L, c, a, b: (c * 1).baddbmm_(a, b), [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
    ("tensordot2", lambda L, a, b: L.tensordot(a, b, dims=2), [(2, 3, 2), (3, 2, 2)]),
    ("tensordot0", lambda L, a, b: L.tensordot(a, b, dims=0), [(2, 3), (2,)]),
    ("tensordot_lists", lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [1, 0])), [(2, 3, 4), (4, 2, 2)]),
    ("kron22", lambda L, a, b: L.kron(a, b), [(2, 3), (3, 2)]),
    ("kron21", lambda L, a, b: L.kron(a, b), [(2, 3), (2,)]),
    ("kron3", lambda L, a, b: L.kron(a, b), [(2, 1, 2), (2, 2)]),
    ("trace", lambda L, a: L.trace(a), [(3, 3)]),
    ("trace_rect", lambda L, a: a.trace(), [(2, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", PRODUCT_CASES, ids=[c[0] for c in PRODUCT_CASES])
def test_products(name, fn, shapes):
    arrays = [randn(*s) for s in shapes]
    check_op(fn, *arrays)
    node_names_match(fn, *arrays)


def test_trace_and_products_of_integers():
    a = np.arange(9, dtype=np.int32).reshape(3, 3)
    for fn in (lambda L, x: L.trace(x), lambda L, x: L.mm(x, x), lambda L, x: L.kron(x, x.float())):
        r, t = fn(C, C.tensor(a)), fn(torch, torch.tensor(a))
        assert str(r.dtype) == str(t.dtype)
        np.testing.assert_array_equal(r.numpy(), t.numpy())


PRODUCT_ERRORS = [
    (lambda L, a, b: L.mm(a, b), [(2, 3), (3,)]), (lambda L, a, b: L.mm(a, b), [(3,), (3, 3)]),
    (lambda L, a, b: L.mm(a, b), [(2, 3), (4, 3)]), (lambda L, a, b: L.mm(a, b.double()), [(2, 3), (3, 3)]),
    (lambda L, a, b: L.bmm(a, b), [(2, 3), (4, 3)]), (lambda L, a, b: L.bmm(a, b), [(2, 2, 3), (2, 4, 3)]),
    (lambda L, a, b: L.bmm(a, b), [(2, 2, 3), (3, 3, 3)]), (lambda L, a, b: L.bmm(a, b), [(2, 2, 3), (3, 3)]),
    (lambda L, a, b: L.bmm(a, b.double()), [(2, 2, 3), (2, 3, 3)]),
    (lambda L, a, b: L.mv(a, b), [(2, 3), (4,)]), (lambda L, a, b: L.mv(a, b), [(2, 3), (4, 3)]),
    (lambda L, a, b: L.mv(a, b), [(3,), (3,)]), (lambda L, a, b: L.mv(a, b.double()), [(2, 3), (3,)]),
    (lambda L, a, b: L.dot(a, b), [(2, 3), (4,)]), (lambda L, a, b: L.dot(a, b), [(3,), (4,)]),
    (lambda L, a, b: L.dot(a, b), [(), ()]), (lambda L, a, b: L.dot(a, b.double()), [(3,), (3,)]),
    (lambda L, a, b: L.vdot(a, b), [(2, 3), (3,)]), (lambda L, a, b: L.vdot(a, b), [(3,), (4,)]),
    (lambda L, a, b: L.outer(a, b), [(3, 2), (3,)]), (lambda L, a, b: L.outer(a, b), [(3,), (3, 2)]),
    (lambda L, a, b: L.inner(a, b), [(3, 2), (3,)]), (lambda L, a, b: L.inner(a, b.double()), [(3, 2), (2,)]),
    (lambda L, c, a, b: L.addmm(c, a, b), [(2, 2), (2,), (2, 2)]),
    (lambda L, c, a, b: L.addmm(c, a, b), [(2, 2), (2, 2), (2,)]),
    (lambda L, c, a, b: L.addmm(c, a, b), [(2, 2), (2, 3), (2, 2)]),
    (lambda L, c, a, b: L.addmm(c, a.double(), b), [(2, 2), (2, 2), (2, 2)]),
    (lambda L, c, a, b: L.addmm(c, a, b.double()), [(2, 2), (2, 2), (2, 2)]),
    (lambda L, c, a, b: L.addmm(c.double(), a, b), [(2, 2), (2, 2), (2, 2)]),
    (lambda L, c, a, b: L.addmm(c, a, b), [(3,), (2, 2), (2, 2)]),
    (lambda L, c, a, b: L.addmv(c, a, b), [(3,), (2, 2), (2,)]),
    (lambda L, c, a, b: L.addmv(c, a, b), [(2,), (2,), (2,)]),
    (lambda L, c, a, b: L.addmv(c, a.double(), b), [(2,), (2, 2), (2,)]),
    (lambda L, c, a, b: L.addr(c, a, b), [(2, 2), (2,), (2, 2)]),
    (lambda L, c, a, b: L.addr(c, a, b), [(3,), (2,), (2,)]),
    (lambda L, c, a, b: L.baddbmm(c, a, b), [(2, 2), (2, 2), (2, 2, 2)]),
    (lambda L, c, a, b: L.baddbmm(c, a, b), [(2, 2), (2, 2, 3), (2, 2, 2)]),
    (lambda L, c, a, b: L.baddbmm(c, a, b), [(2, 2), (2, 2, 3), (3, 3, 2)]),
    (lambda L, c, a, b: L.baddbmm(c, a, b), [(3, 2), (2, 2, 3), (2, 3, 2)]),
    (lambda L, c, a, b: L.baddbmm(c.double(), a, b), [(2, 2), (2, 2, 3), (2, 3, 2)]),
    (lambda L, c, a, b: L.baddbmm(c, a, b.double()), [(2, 2), (2, 2, 3), (2, 3, 2)]),
    (lambda L, c, a, b: L.addbmm(c, a, b), [(2, 2), (2, 2), (2, 2, 2)]),
    (lambda L, c, a, b: L.addbmm(c, a, b), [(2, 2), (2, 2, 3), (2, 2, 2)]),
    (lambda L, c, a, b: L.addbmm(c, a, b), [(2, 2), (2, 2, 3), (3, 3, 2)]),
    (lambda L, c, a, b: L.addbmm(c, a, b), [(3, 2), (2, 2, 3), (2, 3, 2)]),
    (lambda L, c, a, b: L.addbmm(c.double(), a, b), [(2, 2), (2, 2, 3), (2, 3, 2)]),
    (lambda L, c, a, b: c.addmm_(a, b), [(2,), (2, 2), (2, 2)]),
    (lambda L, a, b: L.tensordot(a, b, dims=1), [(2, 3), (4, 5)]),
    (lambda L, a, b: L.tensordot(a, b, dims=([1], [0, 1])), [(2, 3), (4, 5)]),
    (lambda L, a, b: L.tensordot(a, b.double(), dims=1), [(2, 3), (3, 5)]),
    (lambda L, a, b: L.tensordot(a, b, dims=-1), [(2, 3), (3, 5)]),
    (lambda L, a: L.trace(a), [(3,)]), (lambda L, a: L.trace(a.bool()), [(3, 3)]),
]


@pytest.mark.parametrize("k", range(len(PRODUCT_ERRORS)))
def test_product_errors_match_torch(k):
    fn, shapes = PRODUCT_ERRORS[k]
    same_error(fn, *[np.ones(s, dtype=np.float32) for s in shapes])


def test_out_argument():
    a, b = randn(2, 3).astype(np.float32), randn(3, 4).astype(np.float32)
    out = C.empty(0)
    r = C.matmul(C.tensor(a), C.tensor(b), out=out)
    assert r is out and out.shape == (2, 4)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-5)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        C.mm(C.tensor(a, requires_grad=True), C.tensor(b), out=C.empty(0))


# -- einsum ----------------------------------------------------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij,ij->ij", [(2, 1), (2, 3)]), ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]), ("i,j", [(3,), (2,)]),
    ("ba,ac", [(2, 3), (3, 4)]), ("b...", [(2, 3, 2)]), ("iij->ji", [(2, 2, 3)]), ("ij,j->i", [(2, 3), (3,)]),
    ("i...i->...", [(2, 3, 2)]), ("ijk,ik->j", [(2, 3, 4), (2, 4)]), ("i,i->", [(3,), (3,)]),
    ("ij,kl->ijkl", [(2, 1), (1, 2)]), ("a...b,b...c->...ac", [(2, 3, 2), (2, 3, 2)]), ("ijji->ij", [(2, 3, 3, 2)]),
    ("AbC,Cb->A", [(2, 3, 2), (2, 3)]), ("ij,ij,ij->", [(2, 3), (2, 1), (1, 3)]), ("...,...", [(2, 3), (3,)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum(eq, shapes):
    arrays = [randn(*s) for s in shapes]
    check_op(lambda L, *ops: L.einsum(eq, *ops), *arrays)
    node_names_match(lambda L, *ops: L.einsum(eq, *ops), *arrays)


def test_einsum_call_forms():
    a, b = randn(2, 3), randn(3, 4)
    check_parity(lambda L, x, y: L.einsum("ij,jk->ik", [x, y]), a, b)
    check_parity(lambda L, x, y: L.einsum(x, [0, 1], y, [1, 2], [0, 2]), a, b)
    check_parity(lambda L, x, y: L.einsum(" i j , j k -> i k ", x, y), a, b)
    a32, b32 = a.astype(np.int64), b.astype(np.int64)
    r = C.einsum("ij,jk->ik", C.tensor(a32), C.tensor(b32))
    assert r.dtype == C.int64
    np.testing.assert_array_equal(r.numpy(), a32 @ b32)


EINSUM_ERRORS = [
    ("ij,jk->ik", [(2, 3), (4, 2)]), ("ij->ik", [(2, 3)]), ("ijk->ij", [(2, 3)]), ("ij,jk->ik", [(2, 3)]),
    ("ii->i", [(2, 3)]), ("ij->ii", [(2, 2)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_ERRORS)
def test_einsum_errors(eq, shapes):
    same_error(lambda L, *ops: L.einsum(eq, *ops), *[np.ones(s, dtype=np.float32) for s in shapes])


def test_einsum_dtype_mismatch():
    same_error(lambda L, a, b: L.einsum("ij,jk->ik", a, b), np.ones((2, 3), np.float32), np.ones((3, 4)))


# -- inv, det, slogdet, solve ------------------------------------------------------------------------
MATRIX_CASES = [
    ("inv", lambda L, a: L.linalg.inv(a), [well(3, 3)]),
    ("inv_batch", lambda L, a: L.linalg.inv(a), [well(2, 3, 3)]),
    ("inverse", lambda L, a: L.inverse(a), [well(3, 3)]),
    ("inverse_method", lambda L, a: a.inverse(), [well(2, 2)]),
    ("det", lambda L, a: L.linalg.det(a), [well(3, 3)]),
    ("det_batch", lambda L, a: L.det(a), [well(2, 3, 3)]),
    ("det_method", lambda L, a: a.det(), [randn(2, 2)]),
    ("slogdet", lambda L, a: tuple(L.linalg.slogdet(a)), [randn(2, 3, 3)]),
    ("slogdet_top", lambda L, a: tuple(L.slogdet(a)), [well(3, 3)]),
    ("logdet", lambda L, a: L.logdet(a), [spd(3, 3)]),
    ("solve_mat", lambda L, a, b: L.linalg.solve(a, b), [well(3, 3), randn(3, 2)]),
    ("solve_vec", lambda L, a, b: L.linalg.solve(a, b), [well(3, 3), randn(3)]),
    ("solve_batch_vec", lambda L, a, b: L.linalg.solve(a, b), [well(2, 3, 3), randn(2, 3)]),
    ("solve_vec_bcast", lambda L, a, b: L.linalg.solve(a, b), [well(2, 3, 3), randn(3)]),
    ("solve_mat_bcast", lambda L, a, b: L.linalg.solve(a, b), [well(3, 3), randn(2, 3, 2)]),
    ("solve_right", lambda L, a, b: L.linalg.solve(a, b, left=False), [well(3, 3), randn(2, 3)]),
    ("matrix_power3", lambda L, a: L.linalg.matrix_power(a, 3), [randn(3, 3)]),
    ("matrix_power_neg", lambda L, a: L.linalg.matrix_power(a, -2), [well(2, 2, 2)]),
    ("matrix_power0", lambda L, a: a.matrix_power(0), [randn(2, 2)]),
    ("multi_dot", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [randn(3), randn(3, 4), randn(4, 2)]),
    ("multi_dot_vv", lambda L, a, b: L.linalg.multi_dot([a, b]), [randn(3), randn(3)]),
    ("multi_dot4", lambda L, a, b, c, d: L.linalg.multi_dot([a, b, c, d]),
     [randn(2, 3), randn(3, 4), randn(4, 1), randn(1, 3)]),
    ("vecdot", lambda L, a, b: L.linalg.vecdot(a, b, dim=0), [randn(3, 2), randn(3, 1)]),
    ("cross", lambda L, a, b: L.linalg.cross(a, b), [randn(2, 3), randn(1, 3)]),
    ("cross_dim", lambda L, a, b: L.cross(a, b, dim=0), [randn(3, 2), randn(3, 2)]),
    ("matmul_ns", lambda L, a, b: L.linalg.matmul(a, b), [randn(2, 3), randn(3)]),
]


@pytest.mark.parametrize("name,fn,arrays", MATRIX_CASES, ids=[c[0] for c in MATRIX_CASES])
def test_matrix_functions(name, fn, arrays):
    check_op(fn, *arrays, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name,fn,arrays", MATRIX_CASES, ids=[c[0] for c in MATRIX_CASES])
def test_matrix_function_node_names(name, fn, arrays):
    node_names_match(fn, *arrays)


def test_det_of_singular_matrix_has_torch_gradient():
    for a in (np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]), np.zeros((2, 2)),
              np.stack([np.eye(2), [[1.0, 0.0], [0.0, 0.0]]])):
        check_parity(lambda L, x: L.linalg.det(x), a, dtype=np.float64, atol=1e-10)


def test_return_types():
    r = C.linalg.slogdet(C.eye(2))
    assert r.sign.item() == 1.0 and r.logabsdet.item() == 0.0
    assert repr(r) == repr(torch.linalg.slogdet(torch.eye(2)))
    s, lad = C.slogdet(C.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert s.item() == -1.0 and lad.item() == 0.0
    assert math.isnan(C.logdet(C.tensor([[0.0, 1.0], [1.0, 0.0]])).item())


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]], dtype=np.float32)
LINALG_ERRORS = [
    (lambda L, a: L.linalg.inv(a), [SINGULAR]),
    (lambda L, a: L.linalg.inv(a), [np.stack([np.eye(2, dtype=np.float32), SINGULAR])]),
    (lambda L, a: L.inverse(a), [np.zeros((3, 3), np.float32)]),
    (lambda L, a: L.linalg.inv(a), [np.zeros((3, 2), np.float32)]),
    (lambda L, a: L.linalg.inv(a), [np.zeros(3, np.float32)]),
    (lambda L, a: L.linalg.inv(a), [np.eye(3, dtype=np.int64)]),
    (lambda L, a: L.linalg.inv(a), [np.eye(3, dtype=np.float16)]),
    (lambda L, a: L.linalg.det(a), [np.eye(3, dtype=np.int64)]),
    (lambda L, a: L.det(a), [np.zeros((3, 2), np.float32)]),
    (lambda L, a: L.det(a), [np.zeros(3, np.float32)]),
    (lambda L, a, b: L.linalg.solve(a, b), [SINGULAR, np.ones(2, np.float32)]),
    (lambda L, a, b: L.linalg.solve(a, b), [np.stack([np.eye(2, dtype=np.float32), 0 * SINGULAR]),
                                            np.ones(2, np.float32)]),
    (lambda L, a, b: L.linalg.solve(a, b), [np.eye(3, dtype=np.float32), np.ones(2, np.float32)]),
    (lambda L, a, b: L.linalg.solve(a, b), [np.eye(3, dtype=np.float32), np.ones((2, 3), np.float32)]),
    (lambda L, a, b: L.linalg.solve(a, b), [np.eye(3, dtype=np.float32), np.ones(3)]),
    (lambda L, a, b: L.linalg.solve(a, b), [np.eye(3, dtype=np.float32), np.ones((2, 4, 3), np.float32)]),
    (lambda L, a, b: L.linalg.solve(a, b, left=False), [np.eye(3, dtype=np.float32), np.ones(2, np.float32)]),
    (lambda L, a, b: L.linalg.solve(a, b, left=False), [np.eye(3, dtype=np.float32), np.ones(3, np.float32)]),
    (lambda L, a, b: L.linalg.solve(a, b, left=False), [np.eye(3, dtype=np.float32), np.ones((3, 2), np.float32)]),
    (lambda L, a: L.linalg.cholesky(a), [-np.eye(3, dtype=np.float32)]),
    (lambda L, a: L.linalg.cholesky(a), [np.stack([np.eye(3, dtype=np.float32), -np.eye(3, dtype=np.float32)])]),
    (lambda L, a: L.linalg.cholesky(a), [np.ones((2, 3), np.float32)]),
    (lambda L, a: L.linalg.eigh(a, UPLO="X"), [np.eye(2, dtype=np.float32)]),
    (lambda L, a: L.linalg.eigh(a), [np.ones((2, 3), np.float32)]),
    (lambda L, a: L.linalg.svd(a), [np.ones((2, 3), np.int64)]),
    (lambda L, a: L.linalg.svd(a), [np.ones(2, np.float32)]),
    (lambda L, a: L.linalg.qr(a, mode="x"), [np.ones((2, 2), np.float32)]),
    (lambda L, a: L.linalg.pinv(a), [np.ones(2, np.float32)]),
    (lambda L, a: L.linalg.pinv(a), [np.ones((2, 2), np.int64)]),
    (lambda L, a: L.linalg.matrix_power(a, 2), [np.ones((2, 3), np.float32)]),
    (lambda L, a: L.linalg.matrix_power(a, 2), [np.ones(2, np.float32)]),
    (lambda L, a: L.linalg.matrix_power(a, -1), [np.eye(2, dtype=np.int64)]),
    (lambda L, a: L.linalg.matrix_power(a, 1.5), [np.eye(2, dtype=np.float32)]),
    (lambda L, a: L.linalg.multi_dot([a]), [np.ones((2, 2), np.float32)]),
    (lambda L, a, b: L.linalg.multi_dot([a, b]), [np.ones((2, 2), np.float32), np.ones((2, 2, 2), np.float32)]),
    (lambda L, a, b: L.linalg.multi_dot([a, b]), [np.ones((2, 2, 2), np.float32), np.ones((2, 2), np.float32)]),
    (lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [np.ones((2, 2), np.float32), np.ones(2, np.float32),
                                                         np.ones((2, 2), np.float32)]),
    (lambda L, a, b: L.linalg.multi_dot([a, b]), [np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)]),
    (lambda L, a, b: L.linalg.multi_dot([a, b]), [np.ones((2, 2), np.float32), np.ones((2, 2))]),
    (lambda L, a, b: L.linalg.vecdot(a, b), [np.ones(2, np.float32), np.ones(2)]),
    (lambda L, a, b: L.linalg.vecdot(a, b), [np.ones(2, np.int64), np.ones(2, np.int64)]),
    (lambda L, a, b: L.linalg.cross(a, b), [np.ones(2, np.float32), np.ones(2, np.float32)]),
    (lambda L, a, b: L.linalg.cross(a, b), [np.ones((4, 3), np.float32), np.ones((2, 3), np.float32)]),
    (lambda L, a, b: L.linalg.cross(a, b), [np.ones(3, np.float32), np.ones(3)]),
]


@pytest.mark.parametrize("k", range(len(LINALG_ERRORS)))
def test_linalg_errors_match_torch(k):
    fn, arrays = LINALG_ERRORS[k]
    same_error(fn, *arrays)


def test_linalg_error_is_runtime_error():
    assert issubclass(C.linalg.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError, match="input matrix is singular"):
        C.linalg.inv(C.tensor(SINGULAR))


def test_inv_ex_reports_info():
    r = C.linalg.inv_ex(C.tensor(np.stack([np.eye(2, dtype=np.float32), SINGULAR])))
    t = torch.linalg.inv_ex(torch.tensor(np.stack([np.eye(2, dtype=np.float32), SINGULAR])))
    np.testing.assert_array_equal(r.info.numpy(), t.info.numpy())
    np.testing.assert_allclose(r.inverse.numpy()[0], t.inverse.numpy()[0])


# -- norms --------------------------------------------------------------------------------------------
NORM_CASES = [
    ("vn2", lambda L, a: L.linalg.vector_norm(a), [randn(3, 4)]),
    ("vn1_dim", lambda L, a: L.linalg.vector_norm(a, 1, dim=1), [randn(3, 4)]),
    ("vn3_keep", lambda L, a: L.linalg.vector_norm(a, 3, dim=(0, 2), keepdim=True), [randn(2, 3, 2)]),
    ("vn_half", lambda L, a: L.linalg.vector_norm(a, 0.5, dim=-1), [randn(2, 3)]),
    ("vn_neg", lambda L, a: L.linalg.vector_norm(a, -1.5, dim=0), [randn(3, 2)]),
    ("vn_inf", lambda L, a: L.linalg.vector_norm(a, math.inf, dim=1), [randn(3, 4)]),
    ("vn_ninf", lambda L, a: L.linalg.vector_norm(a, -math.inf), [randn(3, 4)]),
    ("vn0", lambda L, a: L.linalg.vector_norm(a, 0, dim=1), [randn(3, 4)]),
    ("vn_scalar", lambda L, a: L.linalg.vector_norm(a), [randn()]),
    ("vn_dtype", lambda L, a: L.linalg.vector_norm(a, dtype=L.float64), [randn(3)]),
    ("mn_fro", lambda L, a: L.linalg.matrix_norm(a), [randn(2, 3, 4)]),
    ("mn_nuc", lambda L, a: L.linalg.matrix_norm(a, "nuc"), [randn(3, 4)]),
    ("mn_2", lambda L, a: L.linalg.matrix_norm(a, 2, keepdim=True), [randn(2, 3, 2)]),
    ("mn_m2", lambda L, a: L.linalg.matrix_norm(a, -2), [randn(3, 3)]),
    ("mn_1", lambda L, a: L.linalg.matrix_norm(a, 1), [randn(2, 3, 4)]),
    ("mn_m1", lambda L, a: L.linalg.matrix_norm(a, -1, dim=(0, 2)), [randn(3, 2, 4)]),
    ("mn_inf", lambda L, a: L.linalg.matrix_norm(a, math.inf, keepdim=True), [randn(3, 4)]),
    ("mn_ninf", lambda L, a: L.linalg.matrix_norm(a, -math.inf, dim=(2, 0)), [randn(3, 2, 4)]),
    ("ln_default", lambda L, a: L.linalg.norm(a), [randn(2, 3, 4)]),
    ("ln_vec_ord", lambda L, a: L.linalg.norm(a, 3), [randn(4)]),
    ("ln_mat_ord", lambda L, a: L.linalg.norm(a, 1), [randn(3, 4)]),
    ("ln_dim2", lambda L, a: L.linalg.norm(a, dim=(1, 2)), [randn(2, 3, 4)]),
    ("ln_ord_dim1", lambda L, a: L.linalg.norm(a, 2, dim=1), [randn(2, 3, 4)]),
    ("ln_nuc", lambda L, a: L.linalg.norm(a, "nuc"), [randn(3, 3)]),
    ("norm_default", lambda L, a: L.norm(a), [randn(3, 4)]),
    ("norm_p3", lambda L, a: L.norm(a, p=3), [randn(3, 4)]),
    ("norm_dim", lambda L, a: a.norm(dim=1), [randn(3, 4)]),
    ("norm_fro_dim", lambda L, a: L.norm(a, p="fro", dim=1, keepdim=True), [randn(2, 3, 4)]),
    ("norm_nuc", lambda L, a: L.norm(a, p="nuc"), [randn(3, 3)]),
    ("norm_nuc_dim", lambda L, a: L.norm(a, p="nuc", dim=(0, 2), keepdim=True), [randn(3, 2, 4)]),
    ("norm_inf_dims", lambda L, a: L.norm(a, p=math.inf, dim=(1, 2)), [randn(2, 3, 3)]),
]


@pytest.mark.parametrize("name,fn,arrays", NORM_CASES, ids=[c[0] for c in NORM_CASES])
def test_norms(name, fn, arrays):
    check_op(fn, *arrays, atol=1e-4, rtol=1e-4)
    if name != "vn_scalar":
        node_names_match(fn, *arrays)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, -1.0, math.inf, -math.inf])
def test_vector_norm_gradient_at_zero(p):
    a = np.array([[0.0, 2.0, -2.0], [0.0, 0.0, 0.0]])
    check_parity(lambda L, x: L.linalg.vector_norm(x, p, dim=1), a, dtype=np.float64, atol=1e-12)


def test_vector_norm_ord_zero_has_no_gradient():
    x = C.tensor([1.0, 0.0, 2.0], requires_grad=True)
    C.linalg.vector_norm(x, 0).backward()
    assert x.grad is None and torch.linalg.vector_norm(torch.tensor([1.0, 0.0]), 0).item() == 1.0


NORM_ERRORS = [
    (lambda L, a: L.linalg.norm(a), np.ones(3, np.int64)),
    (lambda L, a: L.linalg.vector_norm(a), np.ones(3, np.int64)),
    (lambda L, a: L.norm(a), np.ones(3, np.int64)),
    (lambda L, a: L.linalg.matrix_norm(a), np.ones(3, np.float32)),
    (lambda L, a: L.linalg.matrix_norm(a, ord=3), np.ones((3, 3), np.float32)),
    (lambda L, a: L.linalg.norm(a, ord=2), np.ones((3, 3, 3), np.float32)),
    (lambda L, a: L.linalg.norm(a, ord="fro"), np.ones(3, np.float32)),
    (lambda L, a: L.linalg.norm(a, ord="abc"), np.ones((3, 3), np.float32)),
    (lambda L, a: L.linalg.vector_norm(a, ord="fro"), np.ones((3, 3), np.float32)),
    (lambda L, a: L.linalg.vector_norm(a, dtype=L.int64), np.ones((3, 3), np.float32)),
    (lambda L, a: L.linalg.vector_norm(a, ord=math.inf), np.ones((0, 3), np.float32)),
    (lambda L, a: L.linalg.vector_norm(a, ord=math.inf, dim=0), np.ones((0, 3), np.float32)),
    (lambda L, a: L.linalg.vector_norm(a, dim=(0, 0)), np.ones((3, 3), np.float32)),
    (lambda L, a: L.linalg.matrix_norm(a, dim=(0, 0)), np.ones((3, 3), np.float32)),
    (lambda L, a: L.linalg.matrix_norm(a, dim=(0, 1, 2)), np.ones((3, 3), np.float32)),
    (lambda L, a: L.norm(a, p="nuc"), np.ones(3, np.float32)),
    (lambda L, a: L.norm(a, p="nuc"), np.ones((2, 3, 3), np.float32)),
    (lambda L, a: L.norm(a, p="nuc", dim=1), np.ones((2, 3, 3), np.float32)),
    (lambda L, a: L.linalg.norm(a, dim=(0, 1, 2)), np.ones((2, 3, 3), np.float32)),
]


@pytest.mark.parametrize("k", range(len(NORM_ERRORS)))
def test_norm_errors_match_torch(k):
    fn, a = NORM_ERRORS[k]
    same_error(fn, a)


def test_norm_of_empty_and_half():
    for lib in (C, torch):
        assert lib.linalg.vector_norm(lib.ones(0, 3)).item() == 0.0
        assert lib.linalg.vector_norm(lib.ones(0, 3), ord=math.inf, dim=1).shape == (0,)
    r = C.linalg.vector_norm(C.ones(3, dtype=C.float16))
    assert r.dtype == C.float16 and abs(r.item() - math.sqrt(3)) < 1e-3


# -- decompositions ---------------------------------------------------------------------------------
DECOMP_CASES = [
    ("svd_tall", lambda L, a: (lambda r: (r.S, r.U * r.U, r.Vh * r.Vh, r.U @ r.Vh))(
        L.linalg.svd(a, full_matrices=False)), [randn(4, 3)]),
    ("svd_wide", lambda L, a: (lambda r: (r.S, r.U * r.U, r.Vh * r.Vh))(
        L.linalg.svd(a, full_matrices=False)), [randn(2, 3)]),
    ("svd_batch", lambda L, a: (lambda r: (r[1], r[0] @ r[2]))(L.linalg.svd(a)), [randn(2, 3, 3)]),
    ("svd_full_S", lambda L, a: L.linalg.svd(a)[1], [randn(3, 2)]),
    ("svd_legacy", lambda L, a: (lambda r: (r.S, r.U @ r.V.mT))(L.svd(a)), [randn(3, 2)]),
    ("svdvals", lambda L, a: L.linalg.svdvals(a), [randn(3, 4)]),
    # eigh and cholesky read one triangle; symmetrising first makes central differences meaningful
    # (and PyTorch's gradient is the symmetric one, checked unsymmetrised below).
    ("eigh", lambda L, a: (lambda r: (r.eigenvalues, r.eigenvectors * r.eigenvectors))(L.linalg.eigh(sym(a))),
     [spd(3, 3)]),
    ("eigh_U", lambda L, a: (lambda r: (r[0], r[1] * r[1]))(L.linalg.eigh(sym(a), UPLO="U")), [spd(2, 3, 3)]),
    ("eigvalsh", lambda L, a: L.linalg.eigvalsh(sym(a)), [spd(3, 3)]),
    ("cholesky", lambda L, a: L.linalg.cholesky(sym(a)), [spd(3, 3)]),
    ("cholesky_upper", lambda L, a: L.linalg.cholesky(sym(a), upper=True), [spd(2, 3, 3)]),
    ("qr", lambda L, a: tuple(L.linalg.qr(a)), [randn(4, 3)]),
    ("qr_square", lambda L, a: tuple(L.linalg.qr(a)), [randn(2, 3, 3)]),
    ("pinv_tall", lambda L, a: L.linalg.pinv(a), [randn(4, 3)]),
    ("pinv_wide", lambda L, a: L.linalg.pinv(a), [randn(2, 3)]),
    ("pinverse", lambda L, a: L.pinverse(a), [randn(3, 2)]),
    ("qr_legacy", lambda L, a: tuple(quiet(L.qr, a)), [randn(3, 2)]),
    ("qr_method", lambda L, a: tuple(quiet(a.qr)), [randn(3, 3)]),
    ("cholesky_legacy", lambda L, a: quiet(L.cholesky, sym(a)), [spd(3, 3)]),
    ("cholesky_method_upper", lambda L, a: quiet(sym(a).cholesky, upper=True), [spd(3, 3)]),
]


@pytest.mark.parametrize("name,fn,arrays", DECOMP_CASES, ids=[c[0] for c in DECOMP_CASES])
def test_decompositions(name, fn, arrays):
    check_op(fn, *arrays, atol=1e-4, rtol=1e-4)
    node_names_match(fn, *arrays)


@pytest.mark.parametrize("fn", [lambda L, a: L.linalg.eigh(a)[0], lambda L, a: L.linalg.eigh(a, "U")[1] ** 2,
                                lambda L, a: L.linalg.cholesky(a), lambda L, a: L.linalg.cholesky(a, upper=True)])
def test_triangle_reading_ops_give_torch_symmetric_gradient(fn):
    check_parity(fn, spd(3, 3), dtype=np.float64, atol=1e-9, rtol=1e-9)


def test_svd_full_matrices_gradient_uses_the_first_k_vectors_as_torch():
    check_parity(lambda L, a: (lambda r: (r.U * r.U, r.Vh * r.Vh, r.S))(L.linalg.svd(a)), randn(4, 2),
                 dtype=np.float64, atol=1e-9, rtol=1e-9)
    check_parity(lambda L, a: (lambda r: (r.U * r.U, r.Vh * r.Vh, r.S))(L.linalg.svd(a)), randn(2, 3),
                 dtype=np.float64, atol=1e-9, rtol=1e-9)


def test_qr_mode_r_and_complete():
    a = randn(4, 3).astype(np.float32)
    for mode in ("r", "complete"):
        r, t = C.linalg.qr(C.tensor(a), mode=mode), torch.linalg.qr(torch.tensor(a), mode=mode)
        assert r.Q.shape == t.Q.shape and r.R.shape == t.R.shape
        np.testing.assert_allclose(np.abs(r.R.numpy()), np.abs(t.R.numpy()), atol=1e-5)


def test_cross_default_dim_warns():
    a, b = randn(3, 2), randn(3, 2)
    with pytest.warns(UserWarning, match="without specifying the dim"):
        r = C.cross(C.tensor(a), C.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(r.numpy(), t.numpy(), rtol=1e-12)
