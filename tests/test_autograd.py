"""The autograd surface against torch: Function, hooks, grad modes, in-place safety."""
import threading

import pytest

import chainrule as C
from opcheck import same_as_torch


def test_custom_function_matches_torch():
    def run(L):
        class Cube(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.save_for_backward(x)
                ctx.k = k
                return x ** 3 * k

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * g * ctx.k, None

        x = L.tensor([1., 2., 3.], requires_grad=True)
        y = Cube.apply(x, 2.0)
        y.sum().backward()
        return [y, x.grad, y.grad_fn.name(), y.requires_grad, y.is_leaf]
    same_as_torch(run)


def test_custom_function_second_order_and_needs_input_grad():
    def run(L):
        seen = []

        class Sq(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                ctx.save_for_backward(x, y)
                return x * x * y

            @staticmethod
            def backward(ctx, g):
                seen.append(ctx.needs_input_grad)
                x, y = ctx.saved_tensors
                return 2 * x * y * g, x * x * g

        x = L.tensor(3., requires_grad=True)
        y = L.tensor(2.)
        out = Sq.apply(x, y)
        (g,) = L.autograd.grad(out, x, create_graph=True)
        (gg,) = L.autograd.grad(g, x)
        return [g, gg, seen]
    same_as_torch(run)


def test_mark_non_differentiable_and_materialize_grads():
    def run(L):
        class SortLike(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                idx = (x > 0).to(L.int64)
                ctx.mark_non_differentiable(idx)
                ctx.set_materialize_grads(False)
                return x * 2, idx

            @staticmethod
            def backward(ctx, g, gidx):
                return None if g is None else g * 2

        x = L.tensor([1., -1.], requires_grad=True)
        a, idx = SortLike.apply(x)
        a.sum().backward()
        return [idx.requires_grad, a.requires_grad, x.grad]
    same_as_torch(run)


def test_mark_dirty_inplace_function():
    def run(L):
        class AddOne(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        x = L.tensor([1., 2.], requires_grad=True)
        y = x * 1
        z = AddOne.apply(y)
        (z * z).sum().backward()
        return [z is y, z, x.grad, y._version]
    same_as_torch(run)


def test_wrong_number_of_gradients_error():
    def run(L):
        class Bad(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x + y

            @staticmethod
            def backward(ctx, g):
                return g

        x = L.tensor(1., requires_grad=True)
        Bad.apply(x, x).backward()
    got = same_as_torch(run)
    assert got[0] == "raises"


def test_once_differentiable():
    def run(L):
        class Sq(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @L.autograd.function.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        x = L.tensor(3., requires_grad=True)
        (g,) = L.autograd.grad(Sq.apply(x), x, create_graph=True)
        out = [g]
        try:
            g.backward()
        except RuntimeError as e:
            out.append(str(e))
        return out
    same_as_torch(run)


def test_tensor_hooks_modify_gradient_and_remove():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        y = x * 3
        calls = []
        h = y.register_hook(lambda g: calls.append(g.tolist()) or g * 10)
        x.register_hook(lambda g: g + 1)
        y.sum().backward(retain_graph=True)
        first = x.grad.clone()
        h.remove()
        x.grad = None
        y.sum().backward()
        return [first, x.grad, calls]
    same_as_torch(run)


def test_retain_grad_and_nonleaf_grad():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        y = x * 2
        y.retain_grad()
        z = y * y
        z.sum().backward()
        return [y.grad, x.grad, y.retains_grad, z.retains_grad]
    same_as_torch(run)


def test_post_accumulate_grad_hook():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        seen = []
        x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        return seen
    same_as_torch(run)


def test_node_hooks():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        y = x.exp()
        seen = []
        y.grad_fn.register_prehook(lambda go: seen.append(("pre", len(go))))
        y.grad_fn.register_hook(lambda gi, go: seen.append(("post", len(gi), len(go))))
        y.sum().backward()
        return seen
    same_as_torch(run)


def test_grad_modes():
    def run(L):
        x = L.tensor([1.], requires_grad=True)
        out = []
        with L.no_grad():
            out.append((x * 2).requires_grad)
            with L.enable_grad():
                out.append((x * 2).requires_grad)
        with L.set_grad_enabled(False):
            out.append(L.is_grad_enabled())
        out.append(L.is_grad_enabled())
        with L.inference_mode():
            out.append((x * 2).requires_grad)

        @L.no_grad()
        def f(t):
            return t * 2
        out.append(f(x).requires_grad)
        L.set_grad_enabled(False)
        out.append((x * 2).requires_grad)
        L.set_grad_enabled(True)
        out.append((x * 2).requires_grad)
        return out
    same_as_torch(run)


def test_grad_mode_is_thread_local():
    result = {}

    def worker():
        result["other"] = C.is_grad_enabled()
    with C.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert result["other"] is True


def test_inplace_on_leaf_requiring_grad_raises():
    def run(L):
        x = L.tensor([1.], requires_grad=True)
        x.add_(1)
    assert same_as_torch(run)[0] == "raises"


def test_inplace_on_leaf_under_no_grad_allowed():
    def run(L):
        x = L.tensor([1.], requires_grad=True)
        with L.no_grad():
            x.mul_(3)
        return [x, x.requires_grad, x.is_leaf]
    same_as_torch(run)


def test_modified_saved_tensor_raises_version_error():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        y = x.exp()
        z = y.exp()
        y.add_(1)
        z.sum().backward()
    got = same_as_torch(run)
    assert got[0] == "raises" and "modified by an inplace operation" in got[2]


def test_inplace_history_rewrites_grad_fn():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        y = x * 2
        y.mul_(3)
        y.add_(x)
        y.sum().backward()
        return [y.grad_fn.name(), x.grad, y._version]
    same_as_torch(run)


def test_detach_and_data():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        d = x.detach()
        d.add_(1)
        y = (x * 2).detach_()
        return [x, d.requires_grad, y.requires_grad, y.is_leaf, x.data.requires_grad, x._version]
    same_as_torch(run)


def test_requires_grad_on_nonleaf_errors():
    def run(L):
        x = L.tensor([1.], requires_grad=True)
        (x * 2).requires_grad_(False)
    assert same_as_torch(run)[0] == "raises"


def test_next_functions_structure():
    x = C.tensor([1.], requires_grad=True)
    y = C.tensor([2.])
    z = x * y + x
    fns = z.grad_fn.next_functions
    assert fns[0][0].name() == "MulBackward0"
    assert fns[1][0].name() == "torch::autograd::AccumulateGrad"
    assert fns[1][0].variable is x
    assert fns[0][0].next_functions[1] == (None, 0)
    assert z.grad_fn.next_functions[0][0].next_functions[0][0] is fns[1][0]


def test_nonleaf_grad_access_warns():
    x = C.tensor([1.], requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None


def test_backward_with_gradient_argument_and_inputs():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        w = L.tensor([3., 4.], requires_grad=True)
        y = x * w
        y.backward(L.tensor([1., 0.5]), inputs=[w])
        return [x.grad, w.grad]
    same_as_torch(run)


def test_autograd_grad_multiple_outputs_and_grad_outputs():
    def run(L):
        x = L.tensor([1., 2.], requires_grad=True)
        a, b = x * 2, x.exp()
        return list(L.autograd.grad([a, b], [x], grad_outputs=[L.ones(2), L.tensor([1., 2.])]))
    same_as_torch(run)
