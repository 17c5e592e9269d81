"""nn.functional normalization, dropout, embedding and one_hot against torch."""
import numpy as np
import pytest

import chainrule as C
from opcheck import check_op, check_parity, same_as_torch

rng = np.random.default_rng(3)


def _a(*shape):
    return rng.standard_normal(shape)


X = _a(3, 4, 5)
W4, B4 = _a(4), _a(4)
RM, RV = _a(4), rng.random(4) + 0.5


def test_batch_norm_training():
    check_op(lambda L, x, w, b: L.nn.functional.batch_norm(x, None, None, w, b, training=True), X, W4, B4)
    check_op(lambda L, x: L.nn.functional.batch_norm(x, None, None, training=True, eps=1e-3), X)
    check_op(lambda L, x: L.nn.functional.batch_norm(x, None, None, training=True), X[:, :, 0])
    check_op(lambda L, x, w: L.nn.functional.batch_norm(x, None, None, w, training=True), _a(2, 4, 2, 2), W4)


def test_batch_norm_eval():
    def fn(L, x, w, b):
        return L.nn.functional.batch_norm(x, L.tensor(RM, dtype=x.dtype), L.tensor(RV, dtype=x.dtype), w, b)
    check_op(fn, X, W4, B4)


def test_batch_norm_updates_running_stats_like_torch():
    def run(L):
        rm, rv = L.zeros(4), L.ones(4)
        x = L.tensor(X.astype(np.float32))
        y = L.nn.functional.batch_norm(x, rm, rv, training=True, momentum=0.3)
        y2 = L.nn.functional.batch_norm(x * 2, rm, rv, training=True, momentum=0.1)
        return y, y2, rm, rv, rm._version
    same_as_torch(run, tol=1e-5)


def test_layer_norm():
    check_op(lambda L, x, w, b: L.nn.functional.layer_norm(x, (5,), w, b), X, _a(5), _a(5))
    check_op(lambda L, x, w: L.nn.functional.layer_norm(x, (4, 5), w, eps=1e-3), X, _a(4, 5))
    check_op(lambda L, x: L.nn.functional.layer_norm(x, [5]), X)


def test_group_norm():
    check_op(lambda L, x, w, b: L.nn.functional.group_norm(x, 2, w, b), X, W4, B4)
    check_op(lambda L, x: L.nn.functional.group_norm(x, 4), X)
    check_op(lambda L, x: L.nn.functional.group_norm(x, 1), X[:, :, 0])
    check_op(lambda L, x, w: L.nn.functional.group_norm(x, 2, w), _a(2, 4, 2, 3), W4)


def test_instance_norm():
    check_op(lambda L, x, w, b: L.nn.functional.instance_norm(x, weight=w, bias=b), X, W4, B4)

    def run(L):
        rm, rv = L.zeros(4), L.ones(4)
        y = L.nn.functional.instance_norm(L.tensor(X.astype(np.float32)), rm, rv)
        return y, rm, rv
    same_as_torch(run, tol=1e-5)


def test_rms_norm_and_normalize():
    check_op(lambda L, x, w: L.nn.functional.rms_norm(x, (5,), w), X, _a(5))
    check_op(lambda L, x: L.nn.functional.rms_norm(x, (4, 5), eps=1e-3), X)
    check_op(lambda L, x: L.nn.functional.normalize(x), X)
    check_op(lambda L, x: L.nn.functional.normalize(x, p=1, dim=-1), X)
    check_parity(lambda L, x: L.nn.functional.normalize(x, eps=10.0), X)


def test_local_response_norm():
    check_op(lambda L, x: L.nn.functional.local_response_norm(x, 3), np.abs(X) + 0.1)
    check_op(lambda L, x: L.nn.functional.local_response_norm(x, 2, k=2.0), _a(1, 4, 2, 2))


def test_norm_grad_fn_names():
    x = C.randn(2, 4, 3, requires_grad=True)
    F = C.nn.functional
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"
    assert F.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"
    assert F.group_norm(x, 2).grad_fn.name() == "NativeGroupNormBackward0"


NORM_ERRORS = [
    lambda L: L.nn.functional.batch_norm(L.randn(2, 3, 4), L.zeros(4), L.ones(3)),
    lambda L: L.nn.functional.batch_norm(L.randn(2, 3, 4), L.zeros(3), L.ones(3), L.ones(4)),
    lambda L: L.nn.functional.batch_norm(L.randn(1, 3, 1), L.zeros(3), L.ones(3), training=True),
    lambda L: L.nn.functional.batch_norm(L.randn(2, 3, 4), None, None, training=False),
    lambda L: L.nn.functional.batch_norm(L.tensor([[1, 2], [3, 4]]), None, None, training=True),
    lambda L: L.nn.functional.layer_norm(L.randn(2, 3, 4), (3,)),
    lambda L: L.nn.functional.layer_norm(L.randn(2, 3, 4), (4,), L.ones(3)),
    lambda L: L.nn.functional.layer_norm(L.randn(2, 3, 4), (4,), L.ones(4, dtype=L.float64)),
    lambda L: L.nn.functional.group_norm(L.randn(2, 3, 4), 2),
    lambda L: L.nn.functional.group_norm(L.randn(2, 3, 4), 3, L.ones(2)),
    lambda L: L.nn.functional.rms_norm(L.randn(2, 3, 4), (3,)),
]


@pytest.mark.parametrize("fn", NORM_ERRORS)
def test_norm_errors_match_torch(fn):
    same_as_torch(fn)


def test_failed_batch_norm_leaves_running_stats():
    rm, rv = C.zeros(3), C.ones(3)
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 4"):
        C.nn.functional.batch_norm(C.randn(2, 3), rm, rv, C.ones(4), training=True)
    assert rm.tolist() == [0.0] * 3 and rv.tolist() == [1.0] * 3 and rm._version == 0


# -- dropout -------------------------------------------------------------------------------------------
DROPOUTS = [
    lambda L, x: L.nn.functional.dropout(x, 0.3),
    lambda L, x: L.nn.functional.dropout(x, 0.0),
    lambda L, x: L.nn.functional.dropout(x, 1.0),
    lambda L, x: L.nn.functional.dropout(x, 0.5, training=False),
    lambda L, x: L.nn.functional.dropout1d(x, 0.5),
    lambda L, x: L.nn.functional.dropout1d(x[0], 0.5),
    lambda L, x: L.nn.functional.dropout2d(x.unsqueeze(-1), 0.5),
    lambda L, x: L.nn.functional.dropout3d(x.unsqueeze(-1).unsqueeze(-1), 0.6),
    lambda L, x: L.nn.functional.alpha_dropout(x, 0.2, True),
    lambda L, x: L.nn.functional.feature_alpha_dropout(x, 0.4, True),
    lambda L, x: L.nn.functional.dropout(x * 1, 0.3, inplace=True),
]


@pytest.mark.parametrize("fn", DROPOUTS)
def test_dropout_matches_torch_under_the_same_seed(fn):
    def run(L):
        L.manual_seed(7)
        x = L.tensor(np.arange(1., 25.).reshape(2, 3, 4), requires_grad=True)
        y = fn(L, x)
        (g,) = L.autograd.grad((y * y).sum(), x)
        return y, g
    same_as_torch(run)


def test_dropout_identity_and_errors():
    x = C.randn(3)
    assert C.nn.functional.dropout(x, training=False) is x
    same_as_torch(lambda L: L.nn.functional.dropout(L.randn(3), 1.5))
    same_as_torch(lambda L: L.nn.functional.dropout1d(L.randn(2, 3, 4, 5), 0.5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        C.nn.functional.dropout2d(C.randn(2, 3, 4))


# -- embedding / one_hot -------------------------------------------------------------------------------
IDX = np.array([[1, 3, 0], [3, 3, 2]])


def test_embedding():
    check_op(lambda L, w: L.nn.functional.embedding(L.tensor(IDX), w), _a(5, 3))


@pytest.mark.parametrize("kw", [dict(padding_idx=3), dict(padding_idx=-1), dict(scale_grad_by_freq=True),
                                dict(padding_idx=0, scale_grad_by_freq=True)], ids=str)
def test_embedding_gradient_rules(kw):
    # padding_idx and scale_grad_by_freq change the gradient on purpose: parity with torch, not calculus
    fn = lambda L, w: L.nn.functional.embedding(L.tensor(IDX), w, **kw)  # noqa: E731
    check_parity(fn, _a(5, 3))
    check_parity(fn, _a(5, 3), dtype=np.float64, atol=1e-10, rtol=1e-10)

    def second(L):
        w = L.tensor(np.ones((5, 3)), requires_grad=True)
        y = L.nn.functional.embedding(L.tensor(IDX), w, **kw)
        g = L.tensor(np.arange(18.).reshape(2, 3, 3), requires_grad=True)
        gw, = L.autograd.grad(y, w, g, create_graph=True)
        return L.autograd.grad((gw * gw).sum(), g)
    if "scale_grad_by_freq" not in kw:
        same_as_torch(second)
    else:  # torch's double backward drops the 1/count factor; ours differentiates the first-order rule exactly
        got, = second(C)
        coef = 1.0 / np.bincount(IDX.ravel(), minlength=5)[IDX]
        if "padding_idx" in kw:
            coef = coef * (IDX != kw["padding_idx"])
        g = np.arange(18.).reshape(2, 3, 3) * coef[..., None]
        gw = np.zeros((5, 3))
        np.add.at(gw, IDX.ravel(), g.reshape(-1, 3))
        np.testing.assert_allclose(got.numpy(), 2 * coef[..., None] * gw[IDX])


def test_embedding_max_norm_renormalises_in_place():
    w0 = _a(5, 3) * 3

    def run(L):
        w = L.tensor(w0, requires_grad=True)
        y = L.nn.functional.embedding(L.tensor(IDX), w, max_norm=1.5)
        y.sum().backward()
        return y, w.detach().clone(), w.grad
    same_as_torch(run, tol=1e-6)


def test_embedding_int32_indices_and_errors():
    same_as_torch(lambda L: L.nn.functional.embedding(L.tensor(IDX, dtype=L.int32), L.ones(5, 2)))
    for fn in (lambda L: L.nn.functional.embedding(L.tensor([1.]), L.randn(3, 2)),
               lambda L: L.nn.functional.embedding(L.tensor([3]), L.randn(3, 2)),
               lambda L: L.nn.functional.embedding(L.tensor([-1]), L.randn(3, 2)),
               lambda L: L.nn.functional.embedding(L.tensor([1]), L.randn(3))):
        same_as_torch(fn)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        C.nn.functional.embedding(C.tensor([1]), C.randn(3, 2), padding_idx=3)


def test_one_hot():
    same_as_torch(lambda L: L.nn.functional.one_hot(L.tensor(IDX)))
    same_as_torch(lambda L: L.nn.functional.one_hot(L.tensor(IDX), 6))
    same_as_torch(lambda L: L.nn.functional.one_hot(L.tensor(2)))
    same_as_torch(lambda L: L.nn.functional.one_hot(L.tensor([], dtype=L.long), 3))
    for fn in (lambda L: L.nn.functional.one_hot(L.tensor([1.])),
               lambda L: L.nn.functional.one_hot(L.tensor([-1])),
               lambda L: L.nn.functional.one_hot(L.tensor([3]), 2),
               lambda L: L.nn.functional.one_hot(L.tensor([], dtype=L.long))):
        same_as_torch(fn)
