"""Functional transforms, forward mode, gradcheck, anomaly mode, saved-tensor hooks, checkpoint."""
import tracemalloc
import warnings

import numpy as np
import pytest

import chainrule as C
from opcheck import same_as_torch, torch


def _f(L, x, y):
    return (x * y).tanh() + x.exp() * 0.5


def test_functional_jacobian_hessian_vjp_jvp_hvp_vhp():
    def run(L):
        F = L.autograd.functional
        x = L.tensor([0.3, -0.2, 0.5], dtype=L.float64)
        y = L.tensor([1.0, 2.0, -1.0], dtype=L.float64)
        v = L.tensor([1.0, 0.5, -2.0], dtype=L.float64)
        scalar = lambda a: (a.exp() * a).sum()
        return [
            F.jacobian(lambda a, b: _f(L, a, b), (x, y)),
            F.jacobian(lambda a: _f(L, a, y), x),
            F.hessian(scalar, x),
            F.vjp(lambda a: _f(L, a, y), x, v),
            F.jvp(lambda a: _f(L, a, y), x, v),
            F.hvp(scalar, x, v),
            F.vhp(scalar, x, v),
            F.jacobian(lambda a: a.sum() * a, x, create_graph=True)[0],
        ]
    same_as_torch(run, tol=1e-10)


def test_functional_strict_and_errors():
    def run(L):
        F = L.autograd.functional
        x = L.tensor([1., 2.], dtype=L.float64)
        out = []
        try:
            F.vjp(lambda a: a * 2, x)
        except RuntimeError as e:
            out.append(str(e))
        try:
            F.jacobian(lambda a: L.ones(2, dtype=L.float64), x, strict=True)
        except RuntimeError as e:
            out.append(type(e).__name__)
        out.append(F.jacobian(lambda a: L.ones(2, dtype=L.float64), x))
        return out
    same_as_torch(run)


def test_func_transforms_match_torch_func():
    def run(L):
        f = lambda x: (x.sin() * x).sum()
        g = lambda x, w: (x @ w).tanh()
        x = L.tensor([0.1, 0.7, -0.4], dtype=L.float64)
        w = L.tensor([[1., 2.], [0.5, -1.], [0.3, 0.2]], dtype=L.float64)
        out = [L.func.grad(f)(x), L.func.grad(L.func.grad(lambda t: (t ** 3).sum()))(L.tensor(2., dtype=L.float64))]
        gv = L.func.grad_and_value(f)(x)
        out += [gv[0], gv[1]]
        out.append(L.func.grad(lambda a, b: (g(a, b) ** 2).sum(), argnums=(0, 1))(x, w))
        out.append(L.func.jacrev(g)(x, w))
        out.append(L.func.jacfwd(g)(x, w))
        out.append(L.func.jacrev(g, argnums=1)(x, w))
        out.append(L.func.hessian(f)(x))
        val, fn = L.func.vjp(g, x, w)
        out += [val, fn(L.ones(2, dtype=L.float64))]
        out.append(L.func.jvp(lambda t: g(t, w), (x,), (L.ones(3, dtype=L.float64),)))
        return out
    same_as_torch(run, tol=1e-10)


def test_vmap_per_sample_gradients():
    def run(L):
        rng = np.random.default_rng(0)
        w = L.tensor(rng.standard_normal((3, 2)))
        xs = L.tensor(rng.standard_normal((5, 3)))
        ys = L.tensor(rng.standard_normal((5, 2)))

        def loss(w, x, y):
            return ((x @ w - y) ** 2).mean()
        per = L.func.vmap(L.func.grad(loss), in_dims=(None, 0, 0))(w, xs, ys)
        batched = L.func.vmap(lambda x: x.sum() * x, in_dims=1, out_dims=1)(xs)
        return [per, batched]
    same_as_torch(run, tol=1e-5)


def test_functional_call_uses_given_parameters():
    lin_w = C.tensor([[2.0, 0.0], [0.0, 3.0]])

    class M(C.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = C.nn.Parameter(C.ones(2, 2))

        def forward(self, x):
            return x @ self.w

    m = M()
    x = C.tensor([[1., 1.]])
    assert C.func.functional_call(m, {"w": lin_w}, (x,)).tolist() == [[2., 3.]]
    assert m(x).tolist() == [[2., 2.]]  # restored


FWD_CASES = [
    lambda L, x: x.exp() * x.sin() / (1 + x * x),
    lambda L, x: (x @ x.t()).tanh(),
    lambda L, x: x.sum(0) * x.mean(),
    lambda L, x: L.softmax(x, dim=1),
    lambda L, x: x.reshape(-1)[1:4] ** 2,
    lambda L, x: L.cat([x, x * 2], dim=0).relu(),
    lambda L, x: x.max(dim=1).values,
    lambda L, x: L.sigmoid(x).log(),
]


@pytest.mark.parametrize("i", range(len(FWD_CASES)))
def test_forward_mode_matches_torch_and_reverse(i):
    fn = FWD_CASES[i]
    rng = np.random.default_rng(i)
    xa = rng.standard_normal((3, 3)) * 0.5
    va = rng.standard_normal((3, 3))

    def run(L):
        fw = L.autograd.forward_ad
        x, v = L.tensor(xa), L.tensor(va)
        with fw.dual_level():
            out = fn(L, fw.make_dual(x, v))
            tangent = fw.unpack_dual(out).tangent
        rev = L.autograd.functional.jvp(lambda t: fn(L, t), x, v)[1]
        return [tangent, rev]
    res = same_as_torch(run, tol=1e-10)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-10, atol=1e-12)


def test_custom_function_jvp_is_used():
    class Double(C.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def jvp(ctx, t):
            return t * 100  # deliberately different, to see that it is called

    fw = C.autograd.forward_ad
    with fw.dual_level():
        out = Double.apply(fw.make_dual(C.tensor([1.]), C.tensor([1.])))
        assert fw.unpack_dual(out).tangent.item() == 100


def test_make_dual_errors():
    fw = C.autograd.forward_ad
    with pytest.raises(RuntimeError, match="dual level"):
        fw.make_dual(C.ones(2), C.ones(2))
    with fw.dual_level(), pytest.raises(RuntimeError, match="different size"):
        fw.make_dual(C.ones(2), C.ones(3))


def test_gradcheck_and_gradgradcheck():
    x = C.tensor(np.linspace(0.1, 0.9, 4), dtype=C.float64, requires_grad=True)
    assert C.autograd.gradcheck(lambda t: (t.exp() * t).sum() * t, (x,))
    assert C.autograd.gradgradcheck(lambda t: (t.exp() * t).tanh(), (x,))

    class Wrong(C.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(C.autograd.GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        C.autograd.gradcheck(Wrong.apply, (x,))
    assert C.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    assert C.autograd.gradcheck(lambda t: t.exp(), (x,), check_forward_ad=True)


def test_detect_anomaly_names_function_and_shows_forward():
    def run(L):
        x = L.tensor([-1.0, 4.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with L.autograd.detect_anomaly():
                y = (x.sqrt() * 0).sum()
                try:
                    y.backward()
                except RuntimeError as e:
                    msg = str(e)
        forward_shown = any("Traceback of forward call" in str(m.message) for m in w)
        return [msg, forward_shown]
    got = same_as_torch(run)
    assert got == ["Function 'SqrtBackward0' returned nan values in its 0th output.", True]


def test_saved_tensors_hooks_pack_unpack():
    packed = []

    def pack(t):
        packed.append(t.shape)
        return t.detach().numpy().copy()  # store as a plain array

    def unpack(a):
        return C.from_numpy(a)
    x = C.tensor([1., 2.], requires_grad=True)
    with C.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [2., 4.]
    assert len(packed) == 2


def _held_after(fn):
    """Run ``fn`` and return its result with the bytes still allocated afterwards."""
    tracemalloc.start()
    out = fn()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, current


def test_checkpoint_same_gradients_less_memory():
    from chainrule.utils.checkpoint import checkpoint
    rng = np.random.default_rng(0)
    ws = [C.tensor(rng.standard_normal((128, 128)) * 0.05, requires_grad=True) for _ in range(16)]
    x = C.tensor(rng.standard_normal((64, 128)))

    def block(h, *block_ws):
        for w in block_ws:
            h = (h @ w).tanh()
        return h

    def plain():
        return block(x, *ws).sum()

    def ckpt():  # two checkpointed segments of eight layers: only their inputs and outputs stay
        h = checkpoint(block, x, *ws[:8], use_reentrant=False)
        return checkpoint(block, h, *ws[8:], use_reentrant=False).sum()

    loss_p, held_p = _held_after(plain)
    loss_p.backward()
    g_plain = [w.grad.numpy().copy() for w in ws]
    for w in ws:
        w.grad = None
    loss_c, held_c = _held_after(ckpt)
    loss_c.backward()
    for w, g in zip(ws, g_plain):
        np.testing.assert_allclose(w.grad.numpy(), g, rtol=1e-12)
    assert held_c < held_p * 0.3, (held_c, held_p)


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_checkpoint_matches_torch():
    def run(L):
        from importlib import import_module
        ck = import_module(L.__name__ + ".utils.checkpoint").checkpoint
        x = L.tensor([[0.5, -1.0]], dtype=L.float64, requires_grad=True)
        w = L.tensor([[1., 2.], [3., 4.]], dtype=L.float64, requires_grad=True)
        y = ck(lambda a, b: (a @ b).sin() * a, x, w, use_reentrant=False)
        y.sum().backward()
        return [y, x.grad, w.grad]
    same_as_torch(run, tol=1e-12)


def test_viz_graph_of_mlp_and_deep_chain(tmp_path):
    w1 = C.ones(4, 3, requires_grad=True)
    b1 = C.zeros(3, requires_grad=True)
    x = C.ones(2, 4)
    y = ((x @ w1) + b1).tanh().sum()
    dot = C.viz.make_dot(y, params={"w1": w1, "b1": b1}, show_values=True)
    assert "w1" in dot and "(4, 3)" in dot and "TanhBackward0" in dot and "MmBackward0" in dot
    assert dot.count("->") >= 5
    p = C.viz.render(dot, str(tmp_path / "g.dot"))
    assert open(p).read() == dot
    z = C.tensor([1.], requires_grad=True)
    h = z
    for _ in range(10_000):
        h = h * 1.0
    big = C.viz.make_dot(h)
    assert big.count("MulBackward0") == 10_000
