"""The autograd engine: ordering, accumulation, retain_graph, errors, depth."""
import numpy as np
import pytest

import chainrule as C
from opcheck import check_op, torch


def test_seed_example_prints_like_torch(capsys):
    p = C.tensor([10.], requires_grad=True)
    q = C.tensor([8.], requires_grad=True)
    r = C.tensor([5.], requires_grad=True)
    out = (r**3) * (q**2) - p**3
    out.backward()
    print(p.grad, q.grad, r.grad)
    assert capsys.readouterr().out == "tensor([-300.]) tensor([2000.]) tensor([4800.])\n"


def test_gradients_accumulate_across_backward_calls():
    x = C.tensor([1., 2.], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [6., 6.]


def test_shared_subexpression_sums_both_paths():
    x = C.tensor(2., requires_grad=True)
    y = x * x
    z = y + y * 3
    z.backward()
    assert x.grad.item() == pytest.approx(16.)


def test_second_backward_raises_torch_message():
    x = C.tensor([1., 2.], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = C.tensor([1., 2.], requires_grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1., 2.]), rtol=1e-6)


def test_backward_on_non_requiring_tensor_raises():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        C.tensor([1.]).sum().backward()


def test_implicit_backward_of_non_scalar_raises():
    x = C.tensor([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_requires_grad_on_int_tensor_raises():
    with pytest.raises(RuntimeError, match="[Oo]nly Tensors of floating point"):
        C.tensor([1, 2], requires_grad=True)


def test_gradient_argument_shape_mismatch_raises():
    x = C.tensor([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(C.ones(3))


def test_grad_returns_without_touching_leaves():
    x = C.tensor(3., requires_grad=True)
    (g,) = C.autograd.grad(x ** 3, x)
    assert g.item() == pytest.approx(27.)
    assert x.grad is None


def test_grad_unused_input():
    x = C.tensor(1., requires_grad=True)
    y = C.tensor(1., requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        C.autograd.grad(x * 2, [x, y])
    assert C.autograd.grad(x * 2, [x, y], allow_unused=True)[1] is None


def test_higher_order_through_create_graph():
    x = C.tensor(2., requires_grad=True)
    y = x ** 4
    (g,) = C.autograd.grad(y, x, create_graph=True)
    (gg,) = C.autograd.grad(g, x, create_graph=True)
    (ggg,) = C.autograd.grad(gg, x)
    assert (g.item(), gg.item(), ggg.item()) == (32., 48., 48.)


def test_broadcasting_is_undone_once():
    a = C.ones(3, 1, requires_grad=True)
    b = C.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    assert a.grad.tolist() == [[4.]] * 3 and b.grad.tolist() == [3.] * 4


def test_grad_dtype_matches_leaf_dtype():
    a = C.ones(3, requires_grad=True)
    b = C.tensor(2., dtype=C.float64, requires_grad=True)
    y = a * b
    assert y.dtype is C.float32
    y.sum().backward()
    assert a.grad.dtype is C.float32 and b.grad.dtype is C.float64


def test_grads_stored_in_leaves_do_not_alias():
    a = C.ones(2, requires_grad=True)
    b = C.ones(2, requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(5)
    assert b.grad.tolist() == [1., 1.]


def test_user_gradient_is_not_aliased():
    a = C.ones(2, requires_grad=True)
    g = C.ones(2)
    (a + 0).backward(g)
    a.grad.add_(1)
    assert g.tolist() == [1., 1.]


def test_million_op_chain_backpropagates():
    x = C.tensor([1.], requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y  # freeing a million-node graph must not recurse


def test_deep_graph_freed_without_recursion():
    x = C.tensor([1.], requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y.exp() * 0 + 1.0
    del y


def test_backward_inputs_only_accumulates_there():
    a = C.tensor(1., requires_grad=True)
    b = C.tensor(1., requires_grad=True)
    (a * b * 2).backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_grad_fn_names_match_torch():
    for expr in ["x * y", "x + y", "x - y", "x / y", "x ** 2", "2 ** x", "x ** y", "x.exp()",
                 "x.sum()", "x.sum(0)", "x.mean()", "-x", "x.tanh()", "x.clone()", "2 - x"]:
        names = []
        for L in (C, torch):
            x = L.tensor([1., 2.], requires_grad=True)
            y = L.tensor([3., 4.], requires_grad=True)
            names.append(eval(expr, {"x": x, "y": y}).grad_fn.name())
        assert names[0] == names[1], expr


@pytest.mark.parametrize("fn", [
    lambda L, a, b: a * b, lambda L, a, b: a + b, lambda L, a, b: a - b, lambda L, a, b: a / b,
    lambda L, a, b: L.add(a, b, alpha=2), lambda L, a, b: a.exp() * b.tanh(),
    lambda L, a, b: (a + 2) ** 3 - b ** 2, lambda L, a, b: 1.5 / (a * a + 1) - 2 - b,
])
def test_basic_arithmetic_ops(fn, rng):
    check_op(fn, rng.standard_normal((3, 4)), rng.standard_normal((4,)))
