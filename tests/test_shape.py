"""Shape and view ops: values, gradients, grad_fn names, aliasing and errors, against torch."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as C
from chainrule.ops import shape as cshape
from opcheck import check_op, torch


def R(*shape, seed=0):
    return np.random.default_rng(seed + len(shape)).standard_normal(shape)


def _pad(lib):
    return torch.nn.functional.pad if lib is torch else cshape.pad


# -- gradients and values: one line per case ---------------------------------------------------------------
VIEW_CASES = {
    "reshape": (lambda L, x: x.reshape(4, -1), [R(2, 3, 4)]),
    "reshape_fn": (lambda L, x: L.reshape(x, (-1,)), [R(2, 3)]),
    "reshape_copy": (lambda L, x: x.transpose(0, 1).reshape(-1, 2), [R(2, 3, 2)]),
    "view": (lambda L, x: x.view(6, 4), [R(2, 3, 4)]),
    "view_noncontig_ok": (lambda L, x: x.t().view(3, 1, 2), [R(2, 3)]),
    "view_as": (lambda L, x, y: x.view_as(y) * y, [R(2, 6), R(3, 4)]),
    "reshape_as": (lambda L, x, y: x.t().reshape_as(y) * y, [R(2, 6), R(3, 4)]),
    "flatten": (lambda L, x: x.flatten(), [R(2, 3, 2)]),
    "flatten_mid": (lambda L, x: L.flatten(x, 1), [R(2, 3, 2)]),
    "flatten_neg": (lambda L, x: x.transpose(0, 2).flatten(-2, -1), [R(2, 3, 2)]),
    "flatten_0d": (lambda L, x: x.sum().flatten(), [R(3)]),
    "unflatten": (lambda L, x: x.unflatten(-1, (2, 2)), [R(3, 4)]),
    "unflatten_infer": (lambda L, x: L.unflatten(x, 0, (-1, 1)), [R(3, 4)]),
    "squeeze_all": (lambda L, x: x.squeeze(), [R(2, 1, 3, 1)]),
    "squeeze_dim": (lambda L, x: x.squeeze(-1), [R(2, 1, 3, 1)]),
    "squeeze_noop": (lambda L, x: x.squeeze(0), [R(2, 1, 3, 1)]),
    "squeeze_dims": (lambda L, x: L.squeeze(x, (1, 3, 0)), [R(2, 1, 3, 1)]),
    "unsqueeze": (lambda L, x: x.unsqueeze(1), [R(2, 3)]),
    "unsqueeze_neg": (lambda L, x: L.unsqueeze(x, -1), [R(2, 3)]),
    "transpose": (lambda L, x: x.transpose(0, 2), [R(2, 3, 2)]),
    "transpose_neg": (lambda L, x: L.transpose(x, -1, -2), [R(2, 3, 2)]),
    "swapaxes": (lambda L, x: L.swapaxes(x, 0, 1), [R(2, 3)]),
    "swapdims": (lambda L, x: x.swapdims(-1, 0), [R(2, 3)]),
    "t": (lambda L, x: x.t(), [R(2, 3)]),
    "t_1d": (lambda L, x: L.t(x), [R(3)]),
    "T": (lambda L, x: x.T, [R(2, 3)]),
    "mT": (lambda L, x: x.mT, [R(2, 3, 2)]),
    "mH": (lambda L, x: x.mH, [R(2, 3, 2)]),
    "H": (lambda L, x: x.H, [R(2, 3)]),
    "adjoint": (lambda L, x: L.adjoint(x), [R(2, 3, 2)]),
    "permute": (lambda L, x: x.permute(2, 0, 1), [R(2, 3, 2)]),
    "permute_neg": (lambda L, x: L.permute(x, (-1, 0, -2)), [R(2, 3, 2)]),
    "movedim": (lambda L, x: x.movedim(0, -1), [R(2, 3, 2)]),
    "movedim_multi": (lambda L, x: L.movedim(x, (0, 1), (2, 0)), [R(2, 3, 2)]),
    "moveaxis": (lambda L, x: L.moveaxis(x, -1, 0), [R(2, 3, 2)]),
    "expand": (lambda L, x: x.expand(2, 3, 4), [R(3, 1)]),
    "expand_keep": (lambda L, x: x.expand(-1, 4), [R(3, 1)]),
    "expand_to_empty": (lambda L, x: x.expand(0, 3, 0), [R(3, 1)]),
    "expand_as": (lambda L, x, y: x.expand_as(y) * y, [R(3, 1), R(3, 2)]),
    "broadcast_to": (lambda L, x: L.broadcast_to(x, (2, 2, 3)), [R(2, 1)]),
    "narrow": (lambda L, x: x.narrow(1, 1, 2), [R(2, 3, 2)]),
    "narrow_neg": (lambda L, x: L.narrow(x, -1, -2, 2), [R(2, 3)]),
    "select": (lambda L, x: x.select(1, -1), [R(2, 3, 2)]),
    "select_fn": (lambda L, x: L.select(x, 0, 1), [R(2, 3)]),
    "diagonal": (lambda L, x: x.diagonal(), [R(3, 4)]),
    "diagonal_off": (lambda L, x: L.diagonal(x, 1), [R(3, 4)]),
    "diagonal_neg": (lambda L, x: x.diagonal(-1), [R(3, 4)]),
    "diagonal_dims": (lambda L, x: x.diagonal(1, -1, 0), [R(3, 2, 3)]),
    "unbind": (lambda L, x: x.unbind(1), [R(2, 3)]),
    "unbind_partial": (lambda L, x: L.unbind(x, -1)[1] * 2, [R(2, 3)]),
    "split": (lambda L, x: x.split(2, 1), [R(2, 3)]),
    "split_sizes": (lambda L, x: L.split(x, [1, 2], -1), [R(2, 3)]),
    "split_partial": (lambda L, x: x.split(1, 0)[1] * 3, [R(3, 2)]),
    "chunk": (lambda L, x: x.chunk(2, 1), [R(2, 3)]),
    "chunk_many": (lambda L, x: L.chunk(x, 4, -1), [R(2, 5)]),
    "tensor_split": (lambda L, x: L.tensor_split(x, 3, 1), [R(2, 4)]),
    "tensor_split_idx": (lambda L, x: x.tensor_split([1, 3], 0), [R(4, 2)]),
    "hsplit": (lambda L, x: L.hsplit(x, 2), [R(2, 4)]),
    "vsplit": (lambda L, x: x.vsplit([1]), [R(3, 2)]),
    "dsplit": (lambda L, x: L.dsplit(x, 2), [R(1, 2, 4)]),
    "unfold": (lambda L, x: x.unfold(1, 2, 1), [R(2, 4)]),
    "unfold_step": (lambda L, x: x.unfold(-1, 2, 2), [R(2, 5)]),
    "unfold_big": (lambda L, x: x.unfold(0, 3, 1), [R(4, 2)]),
    "unfold_0d": (lambda L, x: x.sum().unfold(0, 1, 1), [R(2)]),
    "as_strided": (lambda L, x: x.as_strided((2, 2), (1, 2)), [R(2, 3)]),
    "as_strided_overlap": (lambda L, x: L.as_strided(x, (3, 2), (1, 1), 1), [R(2, 3)]),
    "as_strided_of_view": (lambda L, x: x[1].as_strided((2,), (2,)), [R(2, 3)]),
    "contiguous": (lambda L, x: x.transpose(0, 1).contiguous(), [R(2, 3)]),
    "chain": (lambda L, x: x.permute(1, 0, 2).reshape(3, 4).t().unsqueeze(0).expand(2, 4, 3)
              .diagonal(0, 1, 2), [R(2, 3, 2)]),
}


@pytest.mark.parametrize("name", VIEW_CASES)
def test_view_op_gradients(name):
    fn, arrays = VIEW_CASES[name]
    check_op(fn, *arrays)


SHAPE_CASES = {
    "cat": (lambda L, a, b: L.cat([a, b]), [R(2, 3), R(1, 3)]),
    "cat_neg_dim": (lambda L, a, b: L.cat((a, b, a), -1), [R(2, 3), R(2, 1)]),
    "cat_legacy_empty": (lambda L, a, b: L.cat([a, L.zeros(0, dtype=a.dtype), b], 1), [R(2, 2), R(2, 1)]),
    "concat": (lambda L, a, b: L.concat([a, b], dim=1), [R(2, 3), R(2, 1)]),
    "concatenate": (lambda L, a, b: L.concatenate([a, b], axis=0), [R(2, 3), R(1, 3)]),
    "stack": (lambda L, a, b: L.stack([a, b]), [R(2, 3), R(2, 3, seed=1)]),
    "stack_last": (lambda L, a, b: L.stack([a, b, a], -1), [R(2, 3), R(2, 3, seed=1)]),
    "stack_mid": (lambda L, a, b: L.stack((a, b), dim=1), [R(2, 3), R(2, 3, seed=1)]),
    "hstack_1d": (lambda L, a, b: L.hstack([a, b]), [R(2), R(3)]),
    "hstack": (lambda L, a, b: L.hstack([a, b]), [R(2, 3), R(2, 1)]),
    "vstack": (lambda L, a, b: L.vstack([a, b]), [R(3), R(3, seed=1)]),
    "row_stack": (lambda L, a, b: L.row_stack([a, b]), [R(2, 3), R(1, 3)]),
    "dstack": (lambda L, a, b: L.dstack([a, b]), [R(2, 3), R(2, 3, 1)]),
    "column_stack": (lambda L, a, b: L.column_stack([a, b]), [R(3), R(3, 2)]),
    "repeat": (lambda L, x: x.repeat(2, 1, 3), [R(2, 3)]),
    "repeat_ones": (lambda L, x: x.repeat(1, 1), [R(2, 3)]),
    "repeat_1d": (lambda L, x: x.repeat(3), [R(2)]),
    "tile": (lambda L, x: L.tile(x, (2,)), [R(2, 3)]),
    "tile_more": (lambda L, x: x.tile(2, 1, 2), [R(2, 3)]),
    "flip": (lambda L, x: x.flip(0), [R(2, 3, 2)]),
    "flip_many": (lambda L, x: L.flip(x, (0, -1)), [R(2, 3, 2)]),
    "fliplr": (lambda L, x: L.fliplr(x), [R(2, 3)]),
    "flipud": (lambda L, x: x.flipud(), [R(3, 2)]),
    "roll_flat": (lambda L, x: x.roll(2), [R(2, 3)]),
    "roll_dim": (lambda L, x: L.roll(x, -1, 1), [R(2, 3)]),
    "roll_dims": (lambda L, x: L.roll(x, (1, 2), (0, -1)), [R(2, 3)]),
    "rot90": (lambda L, x: x.rot90(), [R(2, 3)]),
    "rot90_k2": (lambda L, x: L.rot90(x, 2, (1, 2)), [R(2, 3, 2)]),
    "rot90_neg": (lambda L, x: L.rot90(x, -1, (-1, 0)), [R(2, 3)]),
    "rot90_k3": (lambda L, x: L.rot90(x, 3), [R(2, 3)]),
    "tril": (lambda L, x: x.tril(), [R(3, 4)]),
    "tril_off": (lambda L, x: L.tril(x, -1), [R(2, 3, 3)]),
    "triu": (lambda L, x: L.triu(x, 1), [R(3, 4)]),
    "triu_batched": (lambda L, x: x.triu(-1), [R(2, 3, 3)]),
    "diag_1d": (lambda L, x: L.diag(x), [R(3)]),
    "diag_1d_off": (lambda L, x: x.diag(1), [R(3)]),
    "diag_1d_neg": (lambda L, x: L.diag(x, -2), [R(2)]),
    "diag_2d": (lambda L, x: L.diag(x), [R(3, 4)]),
    "diag_2d_off": (lambda L, x: x.diag(-1), [R(3, 4)]),
    "diag_embed": (lambda L, x: L.diag_embed(x), [R(2, 3)]),
    "diag_embed_off": (lambda L, x: x.diag_embed(1, 0, 2), [R(2, 3)]),
    "diag_embed_neg": (lambda L, x: L.diag_embed(x, -1, -1, 0), [R(3)]),
    "broadcast_tensors": (lambda L, a, b: L.broadcast_tensors(a, b), [R(2, 1), R(3)]),
    "atleast_1d": (lambda L, x: L.atleast_1d(x.sum()), [R(2)]),
    "atleast_2d": (lambda L, a, b: L.atleast_2d(a, b), [R(3), R(2, 3)]),
    "atleast_3d": (lambda L, a, b: L.atleast_3d([a, b, a.sum()]), [R(3), R(2, 3)]),
    "meshgrid_ij": (lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [R(2), R(3)]),
    "meshgrid_xy": (lambda L, a, b: L.meshgrid([a, b, a], indexing="xy"), [R(2), R(3)]),
    "cartesian_prod": (lambda L, a, b: L.cartesian_prod(a, b), [R(2), R(3)]),
    "pad_constant": (lambda L, x: _pad(L)(x, (1, 2)), [R(2, 3)]),
    "pad_constant_2d": (lambda L, x: _pad(L)(x, [1, 0, 0, 2], value=1.5), [R(2, 3)]),
    "pad_constant_crop": (lambda L, x: _pad(L)(x, (-1, 2, 1, -1)), [R(2, 3, 3)]),
    "pad_reflect": (lambda L, x: _pad(L)(x, (2, 1), mode="reflect"), [R(2, 3)]),
    "pad_reflect_2d": (lambda L, x: _pad(L)(x, (1, 2, 1, 0), mode="reflect"), [R(1, 2, 3)]),
    "pad_reflect_3d": (lambda L, x: _pad(L)(x, (1, 1, 0, 1, 1, 0), mode="reflect"), [R(1, 2, 2, 3)]),
    "pad_reflect_neg": (lambda L, x: _pad(L)(x, (-1, 1), mode="reflect"), [R(2, 3)]),
    "pad_replicate": (lambda L, x: _pad(L)(x, (3, 1), mode="replicate"), [R(1, 2, 3)]),
    "pad_replicate_2d": (lambda L, x: _pad(L)(x, (1, 2, 2, 1), mode="replicate"), [R(2, 2, 3)]),
    "pad_replicate_3d": (lambda L, x: _pad(L)(x, (1, 0, 1, 1, 0, 1), mode="replicate"), [R(1, 2, 2, 2)]),
    "pad_circular": (lambda L, x: _pad(L)(x, (2, 3), mode="circular"), [R(1, 2, 3)]),
    "pad_circular_2d": (lambda L, x: _pad(L)(x, (1, 1, 2, 0), mode="circular"), [R(1, 2, 3)]),
    "pad_circular_crop": (lambda L, x: _pad(L)(x, (-1, 2), mode="circular"), [R(2, 3)]),
}


@pytest.mark.parametrize("name", SHAPE_CASES)
def test_shape_op_gradients(name):
    fn, arrays = SHAPE_CASES[name]
    check_op(fn, *arrays)


@settings(max_examples=8, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_broadcast_tensors_and_broadcast_to_random_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(s) for s in shapes.input_shapes)
    check_op(lambda L, x, y: L.broadcast_tensors(x, y), a, b, second_order=False)
    check_op(lambda L, x: L.broadcast_to(x, shapes.result_shape), a, second_order=False)
    assert tuple(C.broadcast_shapes(*shapes.input_shapes)) == shapes.result_shape


# -- grad_fn names, aliasing, strides, version counters --------------------------------------------------
def _first(r):
    return r[0] if isinstance(r, (tuple, list)) else r


@pytest.mark.parametrize("name", list(VIEW_CASES) + list(SHAPE_CASES))
def test_grad_fn_names_match_torch(name):
    fn, arrays = {**VIEW_CASES, **SHAPE_CASES}[name]
    names = {}
    for lib in (C, torch):
        ins = [lib.tensor(a, requires_grad=True) * 1 for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fn(lib, *ins)
        outs = res if isinstance(res, (tuple, list)) else (res,)
        names[lib] = [(o.grad_fn.name() if o.grad_fn is not None else None, o is ins[0]) for o in outs]
    assert names[C] == names[torch]


ALIAS_CASES = {
    "view": lambda L, x: x.view(4, 6),
    "reshape": lambda L, x: x.reshape(-1),
    "reshape_noncontig_view": lambda L, x: x.transpose(1, 2).reshape(2, 4, 3),
    "flatten": lambda L, x: x.flatten(1),
    "unflatten": lambda L, x: x.unflatten(2, (2, 2)),
    "squeeze": lambda L, x: x[:, :1].squeeze(1),
    "unsqueeze": lambda L, x: x.unsqueeze(0),
    "transpose": lambda L, x: x.transpose(0, 2),
    "t": lambda L, x: x[0].t(),
    "T": lambda L, x: x[1].T,
    "mT": lambda L, x: x.mT,
    "permute": lambda L, x: x.permute(1, 2, 0),
    "movedim": lambda L, x: x.movedim(0, 2),
    "narrow": lambda L, x: x.narrow(2, 1, 2),
    "select": lambda L, x: x.select(1, 2),
    "diagonal": lambda L, x: x.diagonal(1, 1, 2),
    "diagonal_neg": lambda L, x: x.diagonal(-1, 0, 2),
    "unbind": lambda L, x: x.unbind(2)[3],
    "split": lambda L, x: x.split(2, 1)[1],
    "chunk": lambda L, x: x.chunk(2, 2)[1],
    "unfold": lambda L, x: x.unfold(2, 2, 2),
    "as_strided": lambda L, x: x.as_strided((3, 2), (4, 1), 5),
    "view_of_view": lambda L, x: x.transpose(0, 1)[1:].select(2, 0),
    "basic_index": lambda L, x: x[1, ::2],
    "atleast_3d": lambda L, x: L.atleast_3d(x[0, 0]),
    "meshgrid": lambda L, x: L.meshgrid(x[0, 0, :1], x[1, 1, 2:3], indexing="ij")[0],
}


@pytest.mark.parametrize("name", ALIAS_CASES)
def test_views_share_memory_strides_and_version_with_base(name):
    fn = ALIAS_CASES[name]
    got = {}
    for lib in (C, torch):
        x = lib.tensor(np.arange(24.).reshape(2, 3, 4))
        v = fn(lib, x)
        lo, hi = x.data_ptr(), x.data_ptr() + x.numel() * x.element_size()
        assert v._base is x
        assert lo <= v.data_ptr() < hi or v.numel() == 0
        v.mul_(-1)  # writes show through in the base, and both see the new version
        keep = [i for i, s in enumerate(v.shape) if s > 1]
        got[lib] = (x.numpy().copy(), x._version, v._version, tuple(v.shape),
                    [v.stride(i) for i in keep], v.storage_offset(), v.is_contiguous())
    c, t = got[C], got[torch]
    np.testing.assert_array_equal(c[0], t[0])
    assert c[1:] == t[1:]


def test_expanded_view_aliases_but_is_not_writable_through_overlap():
    x = C.zeros(3, 1)
    e = x.expand(3, 4)
    assert e._base is x and e.data_ptr() == x.data_ptr() and e.stride() == (1, 0)
    x.add_(1)
    assert e.tolist() == [[1.] * 4] * 3 and e._version == 1
    same = x.expand(3, 1)  # nothing repeated: writing through it is fine, as in torch
    same.mul_(2)
    assert x.tolist() == [[2.], [2.], [2.]]


def test_copies_do_not_alias():
    for lib in (C, torch):
        x = lib.tensor(np.arange(6.).reshape(2, 3))
        for r in (x.t().reshape(-1), x.t().contiguous(), lib.cat([x, x]), lib.stack([x]), x.flip(0),
                  x.roll(1), x.rot90(), x.repeat(1, 1), x.tril(), x.diag(), _pad(lib)(x, (1, 1))):
            assert r._base is None
            r.add_(100)
        assert x.tolist() == [[0., 1., 2.], [3., 4., 5.]]


def test_contiguous_returns_self_when_contiguous():
    x = C.tensor(R(2, 3), requires_grad=True)
    assert x.contiguous() is x
    t = x.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c._base is None and c.grad_fn.name() == "CloneBackward0"
    assert c.stride() == torch.zeros(3, 2).stride()
    c.sum().backward()
    assert x.grad.tolist() == [[1.] * 3] * 2


def test_reshape_of_non_viewable_input_copies_like_torch():
    for lib in (C, torch):
        x = lib.tensor(np.arange(6.).reshape(2, 3))
        assert x.t().reshape(3, 2)._base is x  # stride-compatible: still a view
        assert x[:, ::2].reshape(4)._base is None


def test_view_dtype_reinterprets_bytes():
    for src, dst, shape in [("float32", "int32", (2, 3)), ("float32", "int16", (2, 3)),
                            ("float64", "float32", (2, 3)), ("int16", "float64", (2, 4)),
                            ("int32", "float32", (3,))]:
        a = np.arange(np.prod(shape)).reshape(shape).astype(src) + 1
        c = C.tensor(a).view(getattr(C, dst))
        t = torch.tensor(a).view(getattr(torch, dst))
        assert str(c.dtype) == str(t.dtype) and tuple(c.shape) == tuple(t.shape)
        np.testing.assert_array_equal(c.numpy(), t.numpy())
    y = C.tensor(R(2, 3), requires_grad=True) * 1
    v = y.view(C.float64)
    assert v.data_ptr() == y.data_ptr() and not v.requires_grad and v.grad_fn is None


def test_view_tensor_type_and_non_int_sizes():
    x = C.zeros(2, 3)
    assert tuple(x.view(C.Size([3, 2])).shape) == (3, 2)
    assert tuple(x.view([6]).shape) == (6,)
    with pytest.raises(TypeError, match="tuple of ints,but got float"):
        x.view(2, 3.0)
    with pytest.raises(TypeError, match="tuple of ints,but got float"):
        x.reshape((2, 3.0))


# -- errors: same exception type and message as torch ----------------------------------------------------
def _a(L):
    return L.tensor(np.arange(6.).reshape(2, 3))


ERROR_CASES = {
    "cat_sizes": lambda L: L.cat([_a(L), L.zeros(3, 3)], 1),
    "cat_ndim": lambda L: L.cat([_a(L), L.zeros(2, 2, 2)]),
    "cat_empty_list": lambda L: L.cat([]),
    "cat_dim": lambda L: L.cat([_a(L)], 2),
    "cat_zero_dim": lambda L: L.cat([L.tensor(1.), L.tensor(2.)]),
    "cat_not_list": lambda L: L.cat(_a(L)),
    "cat_not_tensor": lambda L: L.cat([_a(L), 3]),
    "stack_sizes": lambda L: L.stack([_a(L), L.zeros(3, 3)]),
    "stack_empty": lambda L: L.stack([]),
    "stack_dim": lambda L: L.stack([_a(L), _a(L)], 3),
    "vstack_sizes": lambda L: L.vstack([L.zeros(2), L.zeros(3)]),
    "hstack_empty": lambda L: L.hstack([]),
    "reshape_size": lambda L: _a(L).reshape(4, 2),
    "reshape_two_infer": lambda L: _a(L).reshape(-1, -1),
    "reshape_negative": lambda L: _a(L).reshape(-2, 3),
    "reshape_zero_infer": lambda L: _a(L).reshape(0, -1),
    "reshape_empty_infer": lambda L: L.zeros(0, 3).reshape(-1, 0),
    "view_size": lambda L: _a(L).view(5),
    "view_noncontig": lambda L: _a(L).t().view(6),
    "view_expanded": lambda L: _a(L).unsqueeze(1).expand(2, 4, 3).view(8, 3),
    "view_dtype_size": lambda L: _a(L).float().view(L.float64),
    "view_dtype_stride": lambda L: _a(L).float().t().view(L.int16),
    "view_dtype_0d": lambda L: L.tensor(1.).view(L.int16),
    "squeeze_dim": lambda L: _a(L).squeeze(2),
    "squeeze_dims": lambda L: _a(L).squeeze((0, 5)),
    "squeeze_dup": lambda L: _a(L)[:, None].squeeze((1, -2)),
    "movedim_src_repeat": lambda L: _a(L).movedim((0, -2), (1, 0)),
    "unsqueeze_0d": lambda L: L.tensor(1.).unsqueeze(1),
    "diag_embed_0d": lambda L: L.tensor(1.).diag_embed(),
    "narrow_0d": lambda L: L.tensor(1.).narrow(0, 0, 1),
    "unbind_0d": lambda L: L.tensor(1.).unbind(),
    "split_0d": lambda L: L.tensor(1.).split(1),
    "chunk_0d": lambda L: L.tensor(1.).chunk(1),
    "unsqueeze_dim": lambda L: _a(L).unsqueeze(3),
    "unsqueeze_neg": lambda L: _a(L).unsqueeze(-4),
    "transpose_dim": lambda L: _a(L).transpose(0, 2),
    "t_3d": lambda L: L.zeros(2, 3, 4).t(),
    "t__3d": lambda L: L.zeros(2, 3, 4).t_(),
    "mT_1d": lambda L: L.zeros(3).mT,
    "H_1d": lambda L: L.zeros(3).H,
    "H_3d": lambda L: L.zeros(2, 3, 4).H,
    "permute_len": lambda L: _a(L).permute(0),
    "permute_dup": lambda L: _a(L).permute(0, 0),
    "permute_range": lambda L: _a(L).permute(0, 2),
    "movedim_repeat": lambda L: _a(L).movedim((0, 1), (1, 1)),
    "movedim_len": lambda L: _a(L).movedim((0, 1), (0,)),
    "expand_few": lambda L: _a(L).expand(3),
    "expand_mismatch": lambda L: _a(L).expand(3, 3),
    "expand_lead_neg": lambda L: _a(L).expand(-1, 2, 3),
    "broadcast_to": lambda L: L.broadcast_to(_a(L), (3,)),
    "broadcast_tensors": lambda L: L.broadcast_tensors(_a(L), L.zeros(3, 3)),
    "narrow_past": lambda L: _a(L).narrow(1, 2, 2),
    "narrow_start": lambda L: _a(L).narrow(1, -4, 1),
    "narrow_len": lambda L: _a(L).narrow(1, 0, -1),
    "select_range": lambda L: _a(L).select(1, 3),
    "select_neg": lambda L: _a(L).select(1, -4),
    "select_0d": lambda L: L.tensor(1.).select(0, 0),
    "split_zero": lambda L: _a(L).split(0),
    "split_negative": lambda L: _a(L).split(-1),
    "split_sizes_sum": lambda L: _a(L).split([1, 1], 1),
    "chunk_zero": lambda L: _a(L).chunk(0),
    "unfold_size": lambda L: _a(L).unfold(1, 4, 1),
    "unfold_step": lambda L: _a(L).unfold(1, 2, 0),
    "diagonal_same": lambda L: _a(L).diagonal(0, 0, 0),
    "diagonal_1d": lambda L: L.zeros(3).diagonal(),
    "flatten_order": lambda L: _a(L).flatten(1, 0),
    "flatten_range": lambda L: _a(L).flatten(3),
    "unflatten_sizes": lambda L: _a(L).unflatten(1, (2, 2)),
    "unflatten_empty": lambda L: _a(L).unflatten(1, ()),
    "unflatten_neg_dim": lambda L: _a(L).unflatten(-1, (2, 2)),
    "unflatten_float": lambda L: _a(L).unflatten(1, (3.0,)),
    "expand_float": lambda L: _a(L).expand(2, 3.0),
    "permute_float": lambda L: _a(L).permute((0, 1.0)),
    "flip_float": lambda L: L.flip(_a(L), (0.0,)),
    "broadcast_shapes": lambda L: L.broadcast_shapes((2, 1), (3,), (4,)),
    "split_sizes_negative": lambda L: _a(L).split([4, -1], 1),
    "unfold_negative": lambda L: _a(L).unfold(1, -1, 1),
    "narrow_start_past": lambda L: _a(L).narrow(0, 3, 0),
    "tensor_split_zero": lambda L: _a(L).tensor_split(0, 1),
    "hsplit_uneven": lambda L: L.hsplit(_a(L), 2),
    "vsplit_1d": lambda L: L.vsplit(L.zeros(3), 1),
    "as_strided_bounds": lambda L: L.zeros(3).as_strided((2,), (2,), 2),
    "as_strided_len": lambda L: _a(L).as_strided((2,), (1, 2)),
    "as_strided_negative": lambda L: L.zeros(3).as_strided((2,), (-1,)),
    "repeat_few": lambda L: _a(L).repeat(2),
    "repeat_negative": lambda L: _a(L).repeat(-1, 2),
    "flip_dup": lambda L: _a(L).flip(0, 0),
    "flip_range": lambda L: _a(L).flip(2),
    "fliplr_1d": lambda L: L.zeros(3).fliplr(),
    "roll_align": lambda L: _a(L).roll((1, 2), (0,)),
    "roll_flat_many": lambda L: L.roll(_a(L), (1, 2)),
    "roll_range": lambda L: _a(L).roll(1, 5),
    "rot90_same": lambda L: _a(L).rot90(1, (0, 0)),
    "rot90_count": lambda L: _a(L).rot90(1, (0,)),
    "rot90_1d": lambda L: L.zeros(3).rot90(),
    "rot90_range": lambda L: _a(L).rot90(1, (0, 2)),
    "tril_1d": lambda L: L.zeros(3).tril(),
    "triu_1d": lambda L: L.zeros(3).triu(),
    "diag_3d": lambda L: L.zeros(2, 2, 2).diag(),
    "diag_0d": lambda L: L.tensor(1.).diag(),
    "diag_embed_same": lambda L: _a(L).diag_embed(0, 0, 0),
    "diag_embed_range": lambda L: _a(L).diag_embed(0, 0, 3),
    "meshgrid_indexing": lambda L: L.meshgrid(L.zeros(2), L.zeros(3), indexing="foo"),
    "meshgrid_dtype": lambda L: L.meshgrid(L.zeros(2), L.zeros(3, dtype=L.int64), indexing="ij"),
    "cartesian_prod_2d": lambda L: L.cartesian_prod(L.zeros(2, 2)),
    "cat_out_grad": lambda L: L.cat([L.zeros(2, requires_grad=True)], out=L.zeros(2)),
    "stack_out_grad": lambda L: L.stack([L.zeros(2, requires_grad=True)], out=L.zeros(1, 2)),
    "cat_out_dtype": lambda L: L.cat([L.zeros(2)], out=L.zeros(2, dtype=L.int64)),
    "tril_out_dtype": lambda L: L.tril(L.zeros(2, 2), out=L.zeros(2, 2, dtype=L.int64)),
    "triu_out_double": lambda L: L.triu(L.zeros(2, 2), out=L.zeros(2, 2, dtype=L.float64)),
    "diag_out_dtype": lambda L: L.diag(L.zeros(2), out=L.zeros(2, 2, dtype=L.int32)),
    "stack_out_dtype": lambda L: L.stack([L.zeros(2)], out=L.zeros(1, 2, dtype=L.int64)),
    "pad_odd": lambda L: _pad(L)(_a(L), (1,)),
    "pad_long": lambda L: _pad(L)(_a(L), (1,) * 6),
    "pad_float": lambda L: _pad(L)(_a(L), (1.5, 0)),
    "pad_crop_too_much": lambda L: _pad(L)(_a(L), (-2, -2)),
    "pad_mode": lambda L: _pad(L)(_a(L), (1, 1), mode="foo"),
    "pad_reflect_value": lambda L: _pad(L)(_a(L), (1, 1), mode="reflect", value=1.0),
    "pad_reflect_size": lambda L: _pad(L)(_a(L)[None], (3, 3), mode="reflect"),
    "pad_reflect_2d_size": lambda L: _pad(L)(_a(L)[None], (1, 1, 2, 2), mode="reflect"),
    "pad_reflect_3d_size": lambda L: _pad(L)(_a(L)[None, None], (1, 1, 1, 1, 1, 1), mode="reflect"),
    "pad_reflect_dims": lambda L: _pad(L)(_a(L)[0], (1, 1), mode="reflect"),
    "pad_reflect_empty": lambda L: _pad(L)(L.zeros(2, 0, 3), (1, 1), mode="reflect"),
    "pad_reflect_small": lambda L: _pad(L)(_a(L), (-2, -2), mode="reflect"),
    "pad_replicate_dims": lambda L: _pad(L)(_a(L), (1, 1, 1, 1), mode="replicate"),
    "pad_replicate_small": lambda L: _pad(L)(_a(L)[None], (-3, -3, -2, -2), mode="replicate"),
    "pad_circular_wrap": lambda L: _pad(L)(_a(L)[None], (4, 4), mode="circular"),
}


def _err(fn, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn(lib)
        except Exception as e:  # noqa: BLE001 - the oracle's exception is what we compare to
            return e
    return None


@pytest.mark.parametrize("name", ERROR_CASES)
def test_errors_match_torch(name):
    fn = ERROR_CASES[name]
    te = _err(fn, torch)
    ce = _err(fn, C)
    assert te is not None, "torch accepted this case"
    assert ce is not None, f"chainrule accepted it; torch raised {te!r}"
    assert type(ce) is type(te)
    assert str(ce) == str(te)


def test_unflatten_two_inferred_sizes_error_names_the_cause():
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        _a(C).unflatten(1, (-1, -1))


def test_failed_ops_leave_input_unchanged():
    x = C.tensor(R(2, 3), requires_grad=True)
    y = x * 1
    before = y.detach().numpy().copy()
    for bad in (lambda: y.view(5), lambda: y.t().view(6), lambda: y.squeeze(4), lambda: y.expand(3, 3),
                lambda: C.cat([y, C.zeros(3, 3)], 1), lambda: y.narrow(1, 2, 2), lambda: y.t_().t_().unsqueeze_(5)):
        with pytest.raises((RuntimeError, IndexError)):
            bad()
    np.testing.assert_array_equal(y.detach().numpy(), before)
    assert tuple(y.shape) == (2, 3) and y.grad_fn.name() == "TBackward1"


# -- in-place through views ------------------------------------------------------------------------------
def _run_inplace(lib, fn):
    x = lib.tensor(np.arange(12.).reshape(3, 4) / 7, requires_grad=True)
    w = lib.tensor(np.linspace(-1, 1, 4), requires_grad=True)
    y = x * 1
    out = fn(lib, y, w)
    ref = lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape))
    (out * ref).sum().backward()
    return (y.grad_fn.name(), tuple(y.shape), y._version, x.grad.numpy().copy(),
            None if w.grad is None else w.grad.numpy().copy(), out.detach().numpy().copy())


def _seq(*steps):
    """Run steps in order; return the last one's value."""
    def run(lib, y, w):
        env = {"y": y, "w": w}
        val = None
        for s in steps:
            val = s(lib, env)
        return val
    return run


INPLACE_CASES = {
    "slice_mul": _seq(lambda L, e: e["y"][0:2].mul_(3), lambda L, e: e["y"]),
    "transpose_select_add": _seq(lambda L, e: e["y"].transpose(0, 1)[0].add_(e["w"][:3]), lambda L, e: e["y"]),
    "view_mul": _seq(lambda L, e: e["y"].view(-1).mul_(2), lambda L, e: e["y"]),
    "row_mul_tensor": _seq(lambda L, e: e["y"][1].mul_(e["w"]), lambda L, e: e["y"]),
    "zero_": _seq(lambda L, e: e["y"][:, 1:3].zero_(), lambda L, e: e["y"] * e["y"]),
    "copy_": _seq(lambda L, e: e["y"].t()[2].copy_(e["w"][:3] * 2), lambda L, e: e["y"]),
    "view_result_used": _seq(lambda L, e: e.__setitem__("v", e["y"][1:]),
                             lambda L, e: e["v"].mul_(e["w"]), lambda L, e: e["v"] * e["y"][:2]),
    "other_view_sees_write": _seq(lambda L, e: e.__setitem__("v2", e["y"].view(-1)),
                                  lambda L, e: e["y"][0].mul_(e["w"]), lambda L, e: e["v2"]),
    "two_writes": _seq(lambda L, e: e.__setitem__("v", e["y"][1]), lambda L, e: e["v"].mul_(e["w"]),
                       lambda L, e: e["v"][1:].add_(e["w"][1:]), lambda L, e: e["y"]),
    "view_of_view": _seq(lambda L, e: e["y"].permute(1, 0)[1:3].narrow(1, 0, 2).mul_(e["w"][:2]),
                         lambda L, e: e["y"]),
    "diagonal": _seq(lambda L, e: e["y"].diagonal(1).mul_(e["w"][:3]), lambda L, e: e["y"]),
    "unfold": _seq(lambda L, e: e["y"].unfold(1, 2, 2).mul_(3), lambda L, e: e["y"]),
    "as_strided": _seq(lambda L, e: e["y"].as_strided((2, 2), (4, 2), 1).mul_(e["w"][:2]), lambda L, e: e["y"]),
    "as_strided_gradient_is_a_view": _seq(lambda L, e: e["y"].as_strided((2, 2), (4, 2), 1).mul_(e["w"][:2]),
                                          lambda L, e: L.cat([e["y"], e["w"][None]])),
    "rows_written_one_by_one": _seq(lambda L, e: e.__setitem__("rows", [e["y"][i] for i in range(3)]),
                                    lambda L, e: [r.mul_(e["w"] * (i + 1)) for i, r in enumerate(e["rows"])],
                                    lambda L, e: e["rows"][0] * e["y"] + e["rows"][2].sum()),
    "base_t_then_view": _seq(lambda L, e: e.__setitem__("v", e["y"].view(-1)), lambda L, e: e["y"].t_(),
                             lambda L, e: e["v"].mul_(2), lambda L, e: e["y"]),
    "view_unsqueeze_then": _seq(lambda L, e: e.__setitem__("v", e["y"][0]), lambda L, e: e["v"].unsqueeze_(0),
                                lambda L, e: e["v"].mul_(e["w"]), lambda L, e: e["y"]),
    "view_transpose_then": _seq(lambda L, e: e.__setitem__("v", e["y"][:2]), lambda L, e: e["v"].transpose_(0, 1),
                                lambda L, e: e["v"][0].mul_(3), lambda L, e: e["y"] * e["v"].sum()),
    "base_squeeze_then_view": _seq(lambda L, e: e.__setitem__("z", e["y"][None] * 1),
                                   lambda L, e: e.__setitem__("v", e["z"][0, 1]), lambda L, e: e["z"].squeeze_(0),
                                   lambda L, e: e["v"].add_(e["w"]), lambda L, e: e["z"]),
}


@pytest.mark.parametrize("name", INPLACE_CASES)
def test_inplace_through_view_rewrites_base_history_like_torch(name):
    fn = INPLACE_CASES[name]
    c, t = _run_inplace(C, fn), _run_inplace(torch, fn)
    assert c[:3] == t[:3]
    for a, b in zip(c[3:], t[3:]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_base_written_in_place_updates_existing_views():
    fn = _seq(lambda L, e: e.__setitem__("v", e["y"][0]), lambda L, e: e["y"].mul_(2), lambda L, e: e["v"])
    c, t = _run_inplace(C, fn), _run_inplace(torch, fn)
    np.testing.assert_allclose(c[3], t[3])


def test_inplace_view_of_non_grad_base_gains_history():
    for lib in (C, torch):
        y = lib.zeros(3, 4)
        v2 = y.view(-1)
        w = lib.tensor(np.arange(4.), requires_grad=True)
        y[1].add_(w)
        assert y.requires_grad and v2.requires_grad and y.grad_fn.name() == "torch::autograd::CopySlices"
        (v2 * lib.arange(12.)).sum().backward()
        assert w.grad.tolist() == [4., 5., 6., 7.]


def test_second_order_through_copyslices():
    res = {}
    for lib in (C, torch):
        x = lib.tensor(np.linspace(0.5, 2, 6).reshape(2, 3), requires_grad=True)
        w = lib.tensor([0.3, -0.7, 1.1], dtype=lib.float64, requires_grad=True)
        y = x * x
        y[1].mul_(w * x[0])
        (gx,) = (lib.autograd.grad((y ** 2).sum(), x, create_graph=True))
        g2 = lib.autograd.grad((gx * gx).sum(), (x, w))
        res[lib] = [g.detach().numpy() for g in (gx,) + tuple(g2)]
    for a, b in zip(res[C], res[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("op", ["mul_", "t_", "unsqueeze_"])
def test_inplace_on_view_of_leaf_raises_torch_message(op):
    for lib in (C, torch):
        x = lib.tensor(R(2, 3), requires_grad=True)
        v = x[0:1]
        before = x.detach().numpy().copy()
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                               "in-place operation."):
            getattr(v, op)(*((2,) if op == "mul_" else (0,) if op == "unsqueeze_" else ()))
        np.testing.assert_array_equal(x.detach().numpy(), before)
        assert tuple(v.shape) == (1, 3)


@pytest.mark.parametrize("op", ["t_", "transpose_", "squeeze_", "unsqueeze_"])
def test_metadata_inplace_on_leaf_requiring_grad_raises(op):
    args = {"transpose_": (0, 1), "unsqueeze_": (0,)}.get(op, ())
    for lib in (C, torch):
        x = lib.tensor(R(1, 3), requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            getattr(x, op)(*args)
        assert tuple(x.shape) == (1, 3) and x._version == 0
        with lib.no_grad():
            getattr(x, op)(*args)  # allowed outside autograd: only the metadata changes
        assert x._version == 1


@pytest.mark.parametrize("case", [("t_", ()), ("transpose_", (0, 2)), ("swapaxes_", (-1, 1)),
                                  ("swapdims_", (0, 1)), ("squeeze_", ()), ("squeeze_", (0,)),
                                  ("squeeze_", ((0, 1),)), ("unsqueeze_", (-1,))])
def test_metadata_inplace_ops_match_torch(case):
    op, args = case
    res = {}
    for lib in (C, torch):
        x = lib.tensor(R(1, 3, 2) if op != "t_" else R(3, 2), requires_grad=True)
        y = x * 1
        r = getattr(y, op)(*args)
        assert r is y
        ref = lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(y.shape))
        (y * ref).sum().backward()
        res[lib] = (tuple(y.shape), y.grad_fn.name(), y._version, y.stride(), x.grad.numpy().copy())
    assert res[C][:3] == res[torch][:3]
    np.testing.assert_array_equal(res[C][4], res[torch][4])


def test_multi_output_views_refuse_inplace_with_grad():
    for lib in (C, torch):
        y = lib.tensor(R(3, 4), requires_grad=True) * 1
        for outs, name in ((y.unbind(0), "Unbind"), (y.split(2), "Split"), (y.chunk(2, 1), "Split"),
                           (y.split([1, 2]), "SplitWithSizes")):
            with pytest.raises(RuntimeError, match=f"Output 1 of {name} is a view and is being modified inplace. "
                                                   "This view is the output of a function that returns multiple"):
                outs[1].mul_(2)
        with pytest.raises(RuntimeError, match="Output 0 of View is a view and is being modified inplace"):
            y.unbind(0)[0].view(2, 2).mul_(2)
        with lib.no_grad():
            y.unbind(0)[0].mul_(2)  # fine without autograd


def test_view_made_in_no_grad_refuses_inplace_with_grad():
    for lib in (C, torch):
        y = lib.tensor(R(3), requires_grad=True) * 1
        with lib.no_grad():
            v = y[0:2]
        with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace "
                                               "with grad mode enabled"):
            v.mul_(2)


def test_version_counter_shared_by_views():
    for lib in (C, torch):
        y = lib.tensor(R(2, 3), requires_grad=True) * 1
        v = y.view(-1)
        t = y.t()
        v.mul_(2)
        assert y._version == v._version == t._version == 1
        t.add_(1)
        assert y._version == 2


def test_saved_view_modified_in_place_raises_version_error():
    x = C.tensor(R(2, 3), requires_grad=True)
    y = x * 1
    z = (y.t() * y.t()).sum()  # saves the transposed view
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_tril_triu_inplace_match_torch():
    res = {}
    for lib in (C, torch):
        x = lib.tensor(R(3, 3), requires_grad=True)
        y = x * 1
        y.tril_(-1)
        z = (x * 1).triu_(1)
        ((y + z) * lib.arange(9.).reshape(3, 3)).sum().backward()
        res[lib] = (y.grad_fn.name(), x.grad.numpy().copy(), (y + z).detach().numpy())
    assert res[C][0] == res[torch][0]
    np.testing.assert_allclose(res[C][1], res[torch][1])
    np.testing.assert_allclose(res[C][2], res[torch][2])


# -- dtypes, out=, odd arguments ---------------------------------------------------------------------------
def test_cat_and_stack_promote_dtypes_like_torch():
    for build in (lambda L: L.cat([L.zeros(2, 3), L.ones(1, 3, dtype=L.float64)]),
                  lambda L: L.cat([L.zeros(2, dtype=L.int32), L.ones(1, dtype=L.bool)]),
                  lambda L: L.cat([L.zeros(0, dtype=L.int64), L.ones(2, 2)]),
                  lambda L: L.stack([L.zeros(2, 3), L.ones(2, 3, dtype=L.int64)]),
                  lambda L: L.cat([L.zeros(0), L.zeros(0)])):
        c, t = build(C), build(torch)
        assert str(c.dtype) == str(t.dtype) and tuple(c.shape) == tuple(t.shape)
        np.testing.assert_array_equal(c.numpy(), t.numpy())


def test_cat_gradient_flows_through_dtype_promotion():
    a = C.tensor(R(2, 2), dtype=C.float32, requires_grad=True)
    b = C.tensor(R(1, 2), dtype=C.float64, requires_grad=True)
    out = C.cat([a, b])
    assert out.dtype == C.float64
    out.sum().backward()
    assert a.grad.dtype == C.float32 and a.grad.tolist() == [[1., 1.], [1., 1.]]
    assert b.grad.tolist() == [[1., 1.]]


def test_cat_out_argument():
    out = C.zeros(0)
    r = C.cat([C.ones(2), C.zeros(1)], out=out)
    assert r is out and out.tolist() == [1., 1., 0.]


def test_meshgrid_warns_without_indexing_like_torch():
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        g = C.meshgrid(C.arange(2.), C.arange(3.))
    assert tuple(g[0].shape) == (2, 3)


def test_chunk_and_split_edge_sizes_match_torch():
    for build in (lambda L: L.zeros(0).chunk(3), lambda L: L.zeros(0).split(0), lambda L: L.zeros(5).chunk(4),
                  lambda L: L.zeros(6).chunk(4), lambda L: L.zeros(0, 2).split(0),
                  lambda L: L.zeros(5).tensor_split([1, -1, 10]), lambda L: L.zeros(3, 2).unfold(0, 0, 1)):
        c, t = build(C), build(torch)
        c, t = (c if isinstance(c, tuple) else (c,)), (t if isinstance(t, tuple) else (t,))
        assert [tuple(p.shape) for p in c] == [tuple(p.shape) for p in t]


ZERO_DIM_CASES = [
    lambda L, x: x.squeeze(0), lambda L, x: x.squeeze(), lambda L, x: x.flatten(0, 0), lambda L, x: x.expand(2, 3),
    lambda L, x: x.view(1, 1), lambda L, x: x.reshape(-1), lambda L, x: x.permute(()),
    lambda L, x: x.transpose(0, -1), lambda L, x: x.repeat(2), lambda L, x: x.flip(0), lambda L, x: x.roll(1),
    lambda L, x: x.tile(2), lambda L, x: L.stack([x, x * 2]), lambda L, x: x.unsqueeze(-1), lambda L, x: x.t(),
    lambda L, x: L.atleast_2d(x), lambda L, x: x.unfold(0, 1, 1),
]


@pytest.mark.parametrize("i", range(len(ZERO_DIM_CASES)))
def test_zero_dim_inputs(i):
    check_op(ZERO_DIM_CASES[i], np.array(1.5), second_order=False)


def test_T_warns_on_non_matrix_like_torch():
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        assert tuple(C.zeros(2, 3, 4).T.shape) == (4, 3, 2)


def test_pad_integer_and_bool_inputs_match_torch():
    for build in (lambda L: _pad(L)(L.arange(6).reshape(1, 2, 3), (1, 1), value=7),
                  lambda L: _pad(L)(L.arange(6).reshape(1, 2, 3), (2, 1), mode="reflect"),
                  lambda L: _pad(L)(L.zeros(2, 3, dtype=L.bool), (1, 1), value=2),
                  lambda L: _pad(L)(L.zeros(2, 3), (1, 1), value=True),
                  lambda L: _pad(L)(L.arange(6.).reshape(2, 3), ()),
                  lambda L: _pad(L)(L.zeros(0, 2, 3), (1, 1), mode="reflect")):
        c, t = build(C), build(torch)
        assert str(c.dtype) == str(t.dtype)
        np.testing.assert_array_equal(c.numpy(), t.numpy())


def test_unbind_iteration_matches_torch():
    for lib in (C, torch):
        x = lib.tensor(R(3, 2), requires_grad=True)
        total = sum((row * (i + 1)).sum() for i, row in enumerate(x))
        total.backward()
        assert x.grad.tolist() == [[1., 1.], [2., 2.], [3., 3.]]


def test_viewable_agrees_with_numpy_on_strided_layouts():
    """reshape/view decide view-or-copy from the strides; NumPy's own answer (setting .shape) is the oracle."""
    from chainrule.ops.views import _viewable

    def numpy_says(arr, shape):
        try:
            v = arr.view()
            v.shape = shape
            return True
        except (ValueError, AttributeError):
            return False

    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(400):
        shp = tuple(int(v) for v in rng.choice([1, 2, 3, 4, 6], rng.integers(1, 5)))
        base = np.zeros(tuple(s * int(rng.integers(1, 3)) for s in shp))
        a = base[tuple(slice(0, s * (base.shape[k] // s), base.shape[k] // s) for k, s in enumerate(shp))]
        a = a.transpose(rng.permutation(a.ndim))
        if rng.random() < 0.3:
            a = a[..., ::-1]
        n = a.size
        shapes = {(n,), (1, n), (n, 1)} | {(d, n // d) for d in range(2, n) if n % d == 0}
        shapes |= {(d, e, n // (d * e)) for d in range(1, n + 1) for e in range(1, n + 1) if n % (d * e) == 0}
        for s in sorted(shapes)[:40]:
            assert _viewable(a, s) == numpy_says(a, s), (a.shape, a.strides, s)
            checked += 1
    assert checked > 5000
