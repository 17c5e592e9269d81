"""ReLU's backward on arrays (bit masking) against torch: nan, inf, -0.0, dtypes, orders."""
import numpy as np
import pytest
import torch

import chainrule as C
from opcheck import check_op

rng = np.random.default_rng(3)


def _grads(L, xa, ga, dtype, create_graph=False):
    x = L.tensor(xa.astype(dtype), requires_grad=True)
    gx, = L.autograd.grad(L.relu(x), x, L.tensor(ga.astype(dtype)), create_graph=create_graph)
    return gx.detach().numpy()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("create_graph", [False, True])
def test_relu_grad_bitwise_like_torch(dtype, create_graph):
    # the gradient passes where the output is > 0 or nan, exactly (inf, nan and -0.0 included)
    xa = rng.standard_normal(200)
    xa[:6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, 1.0]
    ga = rng.standard_normal(200)
    ga[rng.random(200) < 0.2] = np.inf
    ga[rng.random(200) < 0.2] = np.nan
    ga[rng.random(200) < 0.2] = -0.0
    got, want = _grads(C, xa, ga, dtype, create_graph), _grads(torch, xa, ga, dtype, create_graph)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_relu_grad_shapes_and_orders():
    check_op(lambda L, x: L.relu(x), rng.standard_normal((3, 4)) + 0.1)
    np.testing.assert_array_equal(_grads(C, np.array(2.0), np.array(3.0), np.float32), 3.0)  # 0-d
    xa = rng.standard_normal((4, 6))
    x = C.tensor(xa, requires_grad=True)
    g, = C.autograd.grad(C.relu(x.t()), x, C.ones(6, 4))  # a strided output
    np.testing.assert_array_equal(g.numpy(), (xa > 0).astype(float))
