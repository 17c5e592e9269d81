"""Forward mode across the catalogue: every op's tangent equals finite differences and reverse mode."""
import numpy as np
import pytest

import chainrule as C
import chainrule.nn.functional as F

fw = C.autograd.forward_ad

# (name, fn(x), input shape, domain) -- fn uses one float64 input; other operands are constants.
_W = np.random.default_rng(5).standard_normal((4, 3))
CASES = [
    ("neg", lambda x: -x, (3, 4), None), ("abs", lambda x: x.abs(), (3, 4), "nonzero"),
    ("exp", lambda x: x.exp(), (3, 4), None), ("exp2", lambda x: x.exp2(), (3, 4), None),
    ("expm1", lambda x: x.expm1(), (3, 4), None), ("log", lambda x: x.log(), (3, 4), "pos"),
    ("log2", lambda x: x.log2(), (3, 4), "pos"), ("log10", lambda x: x.log10(), (3, 4), "pos"),
    ("log1p", lambda x: x.log1p(), (3, 4), "pos"), ("sqrt", lambda x: x.sqrt(), (3, 4), "pos"),
    ("rsqrt", lambda x: x.rsqrt(), (3, 4), "pos"), ("square", lambda x: x.square(), (3, 4), None),
    ("reciprocal", lambda x: x.reciprocal(), (3, 4), "pos"), ("sin", lambda x: x.sin(), (3, 4), None),
    ("cos", lambda x: x.cos(), (3, 4), None), ("tan", lambda x: x.tan(), (3, 4), "unit"),
    ("asin", lambda x: x.asin(), (3, 4), "unit"), ("acos", lambda x: x.acos(), (3, 4), "unit"),
    ("atan", lambda x: x.atan(), (3, 4), None), ("sinh", lambda x: x.sinh(), (3, 4), None),
    ("cosh", lambda x: x.cosh(), (3, 4), None), ("tanh", lambda x: x.tanh(), (3, 4), None),
    ("sigmoid", lambda x: x.sigmoid(), (3, 4), None), ("relu", lambda x: x.relu(), (3, 4), "nonzero"),
    ("erf", lambda x: x.erf(), (3, 4), None), ("clamp", lambda x: x.clamp(-0.5, 0.5), (3, 4), "nonzero"),
    ("pow", lambda x: x ** 3, (3, 4), None), ("rpow", lambda x: 2 ** x, (3, 4), None),
    ("powt", lambda x: x.abs() ** x, (3, 4), "pos"), ("atan2", lambda x: C.atan2(x, x * 0.5 + 2), (3, 4), None),
    ("add_sub_mul_div", lambda x: (x + 1) * (x - 2) / (x * x + 1), (3, 4), None),
    ("maximum", lambda x: C.maximum(x, x.flip(0)), (3, 4), None), ("where", lambda x: C.where(x > 0, x * 2, x ** 2), (3, 4), "nonzero"),
    ("lerp", lambda x: C.lerp(x, x.exp(), 0.3), (3, 4), None),
    ("sum", lambda x: x.sum(1), (3, 4), None), ("mean", lambda x: x.mean(), (3, 4), None),
    ("prod", lambda x: x.prod(0), (3, 4), None), ("var", lambda x: x.var(1), (3, 4), None),
    ("std", lambda x: x.std(), (3, 4), None), ("max", lambda x: x.max(1).values, (3, 4), None),
    ("amin", lambda x: x.amin(0), (3, 4), None), ("logsumexp", lambda x: x.logsumexp(1), (3, 4), None),
    ("norm", lambda x: x.norm(), (3, 4), None), ("cumsum", lambda x: x.cumsum(1), (3, 4), None),
    ("cumprod", lambda x: x.cumprod(0), (3, 4), None), ("softmax", lambda x: C.softmax(x, 1), (3, 4), None),
    ("log_softmax", lambda x: C.log_softmax(x, 0), (3, 4), None), ("sort", lambda x: x.sort(1).values, (3, 4), None),
    ("topk", lambda x: x.topk(2).values, (3, 4), None),
    ("reshape", lambda x: x.reshape(2, 6) * 2, (3, 4), None), ("t", lambda x: x.t().exp(), (3, 4), None),
    ("permute", lambda x: x.reshape(3, 2, 2).permute(2, 0, 1) ** 2, (3, 4), None),
    ("expand", lambda x: x[:, :1].expand(3, 5).sin(), (3, 4), None),
    ("cat_stack", lambda x: C.cat([x, x ** 2]) + C.stack([x, x]).sum(0).repeat(2, 1), (3, 4), None),
    ("split_chunk", lambda x: x.split(2, 1)[1] * x.chunk(2, 1)[0], (3, 4), None),
    ("tril_diag", lambda x: x[:3, :3].tril() + x[:3, :3].diag().diag(), (3, 4), None),
    ("flip_roll", lambda x: x.flip(1).roll(1, 0) * x, (3, 4), None),
    ("pad", lambda x: F.pad(x, (1, 2), mode="reflect") ** 2, (3, 4), None),
    ("index_basic", lambda x: x[1:, ::2] * x[0, 1], (3, 4), None),
    ("index_adv", lambda x: x[[0, 2, 2]] * x[x > 0].sum(), (3, 4), "nonzero"),
    ("gather", lambda x: x.gather(1, C.tensor([[0, 1], [2, 2], [3, 0]])), (3, 4), None),
    ("scatter_add", lambda x: C.zeros(3, 5, dtype=C.float64).scatter_add(1, C.tensor([[0, 1, 1, 4]] * 3), x), (3, 4), None),
    ("masked_fill", lambda x: x.masked_fill(x > 0.5, 0.0) * x, (3, 4), "nonzero"),
    ("matmul", lambda x: x @ C.tensor(_W), (3, 4), None), ("mm_self", lambda x: x @ x.t(), (3, 4), None),
    ("einsum", lambda x: C.einsum("ij,kj->ik", x, x.exp()), (3, 4), None),
    ("inv_det", lambda x: C.linalg.inv(x[:, :3] + 3 * C.eye(3, dtype=C.float64)).sum() * C.linalg.det(x[:, :3]), (3, 4), None),
    ("solve", lambda x: C.linalg.solve(x[:, :3] + 3 * C.eye(3, dtype=C.float64), x[:, 3]), (3, 4), None),
    ("linear", lambda x: F.linear(x, C.tensor(_W), C.ones(4, dtype=C.float64)), (3, 3), None),
    ("conv2d", lambda x: F.conv2d(x.reshape(1, 1, 3, 4), x[:2, :2].reshape(1, 1, 2, 2), padding=1), (3, 4), None),
    ("max_pool2d", lambda x: F.max_pool2d(x.reshape(1, 1, 4, 4), 2), (4, 4), None),
    ("avg_pool2d", lambda x: F.avg_pool2d(x.reshape(1, 1, 4, 4), 2), (4, 4), None),
    ("layer_norm", lambda x: F.layer_norm(x, (4,)), (3, 4), None),
    ("batch_norm", lambda x: F.batch_norm(x, None, None, training=True), (3, 4), None),
    ("gelu_silu", lambda x: F.gelu(x) + F.silu(x) + F.softplus(x) + F.elu(x) + F.leaky_relu(x), (3, 4), "nonzero"),
    ("cross_entropy", lambda x: F.cross_entropy(x, C.tensor([0, 3, 1])), (3, 4), None),
    ("mse_bce", lambda x: F.mse_loss(x, C.tensor(_W.T) * 0.3) + F.binary_cross_entropy_with_logits(
        x, C.tensor(_W.T).sigmoid()), (3, 4), None),
    ("sdpa", lambda x: F.scaled_dot_product_attention(x.reshape(1, 3, 4), x.reshape(1, 3, 4), x.reshape(1, 3, 4),
                                                      is_causal=True), (3, 4), None),
]


def _input(shape, domain, seed):
    x = np.random.default_rng(seed).standard_normal(shape) * 0.6
    if domain == "pos":
        x = np.abs(x) + 0.3
    elif domain == "unit":
        x = np.clip(x, -0.8, 0.8)
    elif domain == "nonzero":
        x = np.where(np.abs(x) < 0.1, 0.3, x)
    return x


@pytest.mark.parametrize("name,fn,shape,domain", CASES, ids=[c[0] for c in CASES])
def test_forward_tangent_matches_differences_and_reverse(name, fn, shape, domain):
    xa = _input(shape, domain, len(name))
    va = np.random.default_rng(1).standard_normal(shape)
    with fw.dual_level():
        out = fn(fw.make_dual(C.tensor(xa), C.tensor(va)))
        tangent = fw.unpack_dual(out).tangent
    assert tangent is not None, "no tangent came out"
    eps = 1e-6
    hi = fn(C.tensor(xa + eps * va)).numpy()
    lo = fn(C.tensor(xa - eps * va)).numpy()
    np.testing.assert_allclose(tangent.numpy(), (hi - lo) / (2 * eps), rtol=1e-5, atol=1e-6)
    rev = C.autograd.functional.jvp(fn, C.tensor(xa), C.tensor(va))[1]
    np.testing.assert_allclose(tangent.numpy(), rev.numpy(), rtol=1e-10, atol=1e-12)
