"""Linear algebra: matmul and its family, einsum, and the ``chainrule.linalg`` kernels.

Forward runs one NumPy/LAPACK call on arrays; every backward is written with chainrule
ops (matmul, solve, inv, svd, ...) so that it is itself differentiable. Batch dimensions
that were broadcast are summed back by the engine, not here. Functions that exist only
under ``torch.linalg`` are defined here too and re-exported by ``chainrule/linalg.py``.
"""
from __future__ import annotations

import math
import string
from collections import namedtuple

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ._common import dims_arg, wrap_dim
from .reduction import amax, amin

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "inner", "addmm", "addmv",
           "addr", "baddbmm", "addbmm", "tensordot", "einsum", "kron", "trace", "det", "logdet",
           "slogdet", "inverse", "norm", "cross", "pinverse", "svd", "matrix_power", "chain_matmul", "cholesky",
           "qr"]


class LinAlgError(RuntimeError):
    """Raised by linear-algebra ops on singular or non-positive-definite input."""


LinAlgError.__module__ = "chainrule.linalg"

_CAP = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
        "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
_CTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
          "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
          "bool": "bool"}


def _cap(a):
    return _CAP[a.dtype.name]


def _ctype(a):
    return _CTYPE[a.dtype.name]


def _const(arr):
    """A constant (no-grad) tensor: masks and identity matrices used inside backward rules."""
    return Tensor._make(np.asarray(arr))


def _check_tensor(x, fname, arg="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _out(result, out):
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if _state.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one of the "
                           "arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out


def _inplace(fn):
    def method(self, *args, **kwargs):
        res = fn(self, *args, **kwargs)
        if res._data.shape != self._data.shape:
            raise RuntimeError(f"Bad in-place call: input tensor size {list(self._data.shape)} and output "
                               f"tensor size {list(res._data.shape)} should match")
        return self._apply_inplace(res)
    method.__name__ = fn.__name__ + "_"
    return method


def _shape_str(s):
    return "x".join(str(d) for d in s)


def _prod(shape):
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _broadcast_batch(sa, sb):
    """Broadcast two batch shapes with PyTorch's error."""
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _check_expand(shape, target):
    """``input`` of addmm and friends must expand to the product's shape."""
    try:
        ok = np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        ok = False
    if ok:
        return
    lead = len(target) - len(shape)
    bad = next((i for i in range(len(target)) if i >= lead and shape[i - lead] not in (1, target[i])), 0)
    cur = shape[bad - lead] if bad >= lead else 0
    raise RuntimeError(f"The expanded size of the tensor ({target[bad]}) must match the existing size ({cur}) "
                       f"at non-singleton dimension {bad}.  Target sizes: [{', '.join(map(str, target))}].  "
                       f"Tensor sizes: [{', '.join(map(str, shape))}]")


# -- matmul ---------------------------------------------------------------------------------------
def _np_matmul(a, b):
    # A batch of matrices times one matrix is a single GEMM over the folded batch (NumPy would
    # loop over the batch); folding a non-contiguous ``a`` costs one copy, still far cheaper.
    if a.ndim >= 3 and b.ndim <= 2:
        r = a.reshape(_prod(a.shape[:-1]), a.shape[-1]) @ b
        return r.reshape(a.shape[:-1] + b.shape[1:])
    return np.matmul(a, b)


def _matmul_grads(g, a, b, need_a, need_b):
    """Gradients of ``a @ b`` for every matmul case; broadcast batch dims are left to the engine."""
    na, nb = a._data.ndim, b._data.ndim
    if na == 1 and nb == 1:
        return (g * b if need_a else None), (g * a if need_b else None)
    ga = gb = None
    if na == 2 and nb == 1:
        if need_a:
            ga = g.unsqueeze(-1) * b
        if need_b:
            gb = matmul(a.mT, g)
        return ga, gb
    a2 = a.unsqueeze(0) if na == 1 else a
    b2 = b.unsqueeze(-1) if nb == 1 else b
    g2 = g
    if na == 1:
        g2 = g2.unsqueeze(-2)
    if nb == 1:
        g2 = g2.unsqueeze(-1)
    if need_a:
        ga = matmul(g2, b2.mT)
        if na == 1:
            ga = ga.squeeze(-2)
    if need_b:
        if na >= 3 and nb <= 2:  # fold the batch into one GEMM instead of summing B products
            sa, sg = a2._data.shape, g2._data.shape
            gb = matmul(a2.reshape(_prod(sa[:-1]), sa[-1]).mT, g2.reshape(_prod(sg[:-1]), sg[-1]))
        else:
            gb = matmul(a2.mT, g2)
        if nb == 1:
            gb = gb.squeeze(-1)
    return ga, gb


class Matmul(Function):
    """``a @ b`` for any ranks; subclasses only rename the node as PyTorch's dispatch would."""
    _array_forward = True
    _node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _np_matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _matmul_grads(g, a, b, ctx.needs_input_grad[0], ctx.needs_input_grad[1])


class Mm(Matmul):
    _node_name = "MmBackward0"


class Bmm(Matmul):
    _node_name = "BmmBackward0"


class Mv(Matmul):
    _node_name = "MvBackward0"


class Dot(Matmul):
    _node_name = "DotBackward0"


class Vdot(Matmul):
    _node_name = "VdotBackward0"


class _VecMat(Matmul):  # 1-D @ 2-D: PyTorch runs unsqueeze, mm, squeeze
    _node_name = "SqueezeBackward4"


class _MatBatchClone(Matmul):  # 2-D @ N-D with a grad-requiring 2-D side: a transposed fold
    _node_name = "CloneBackward0"


class _MatBatchTranspose(Matmul):
    _node_name = "TransposeBackward0"


def _not_impl_bool(a, kernel):
    if a._data.dtype == np.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _dot_checks(a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_cap(a)} and {_cap(b)}")
    if a._data.shape[0] != b._data.shape[0]:
        n, m = a._data.shape[0], b._data.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
                           f"number of elements, but got {n} and {m} elements respectively")
    _not_impl_bool(a, "dot")


def _mv_checks(rows, k, kv, mat, vec, self_dt=None):
    if mat._data.dtype != vec._data.dtype:
        s = _cap(vec) if self_dt is None else self_dt
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {s}, {_cap(mat)}, and {_cap(vec)}")
    if k != kv:
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({kv})")
    _not_impl_bool(mat, "addmv_impl_cpu")


def _mm_checks(s1, s2, m1, m2):
    if m1._data.dtype != m2._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_ctype(m1)} != {_ctype(m2)}")
    if s1[1] != s2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(s1)} and {_shape_str(s2)})")
    _not_impl_bool(m1, "addmm_impl_cpu_")


def _bmm_checks(batch, k, kb, a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {_cap(a)} but found {_cap(b)}")
    if k != kb:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k}] but "
                           f"got: [{batch}, {kb}].")
    _not_impl_bool(a, "bmm")


def _matmul_kind(a, b):
    """Validate ``a @ b`` exactly as PyTorch's dispatch does and pick the node class."""
    sa, sb = a._data.shape, b._data.shape
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        _dot_checks(a, b)
        return Dot
    if na == 2 and nb == 1:
        _mv_checks(sa[0], sa[1], sb[0], a, b)
        return Mv
    if na == 1 and nb == 2:
        _mm_checks((1, sa[0]), sb, a, b)
        return _VecMat
    if na == 2 and nb == 2:
        _mm_checks(sa, sb, a, b)
        return Mm
    if na >= 3 and nb <= 2:  # fold a's batch into its rows
        rows = _prod(sa[:-1])
        if nb == 1:
            _mv_checks(rows, sa[-1], sb[0], a, b)
        else:
            _mm_checks((rows, sa[-1]), sb, a, b)
        return Matmul
    if na <= 2 and a._requires_grad:  # fold b's batch, transposed (even under no_grad, as PyTorch)
        rows = _prod(sb[:-2]) * sb[-1]
        if na == 1:
            _mv_checks(rows, sb[-2], sa[0], b, a, self_dt=_cap(a))
            return Matmul
        _mm_checks((rows, sb[-2]), (sa[1], sa[0]), b, a)
        # the transposed result needs a copy unless it is already contiguous (a size-1 or empty dim)
        return _MatBatchClone if sa[0] > 1 and sb[-1] > 1 and rows > 0 else _MatBatchTranspose
    batch = _broadcast_batch(sa[:-2], sb[:-2])
    k = sa[-1]
    _bmm_checks(_prod(batch), k, sb[-2], a, b)
    return Matmul


def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch semantics for every rank.

    1-D @ 1-D is a dot product, a 1-D operand is promoted to a matrix (and the added
    dimension removed afterwards), and batch dimensions broadcast.

    >>> chainrule.matmul(chainrule.ones(5, 2, 3), chainrule.ones(3, 4)).shape
    torch.Size([5, 2, 4])
    """
    _check_tensor(input, "matmul")
    _check_tensor(other, "matmul", "other", 2)
    cls = _matmul_kind(input, other)
    return _out(cls.apply(input, other), out)


def _matmul_method(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_method(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def mm(input, mat2, *, out=None):
    """Product of two matrices (no broadcasting): ``(n, k) @ (k, m)``."""
    _check_tensor(input, "mm")
    _check_tensor(mat2, "mm", "mat2", 2)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _mm_checks(input._data.shape, mat2._data.shape, input, mat2)
    return _out(Mm.apply(input, mat2), out)


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-D tensors with the same batch size."""
    _check_tensor(input, "bmm")
    _check_tensor(mat2, "bmm", "mat2", 2)
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    sa, sb = input._data.shape, mat2._data.shape
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected scalar type {_cap(input)} but found {_cap(mat2)}")
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but "
                           f"got: [{sb[0]}, {sb[1]}].")
    _not_impl_bool(input, "bmm")
    return _out(Bmm.apply(input, mat2), out)


def mv(input, vec, *, out=None):
    """Matrix-vector product: ``(n, k) @ (k,)``."""
    _check_tensor(input, "mv")
    _check_tensor(vec, "mv", "vec", 2)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    _mv_checks(input._data.shape[0], input._data.shape[1], vec._data.shape[0], input, vec)
    return _out(Mv.apply(input, vec), out)


def _vec_pair(input, other, name, cls):
    _check_tensor(input, name)
    _check_tensor(other, name, "other" if name == "vdot" else "tensor", 2)
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    _dot_checks(input, other)
    return cls.apply(input, other)


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors of the same dtype."""
    return _out(_vec_pair(input, tensor, "dot", Dot), out)


def vdot(input, other, *, out=None):
    """Inner product of two 1-D tensors (conjugating the first; real tensors only here)."""
    return _out(_vec_pair(input, other, "vdot", Vdot), out)


def outer(input, vec2, *, out=None):
    """Outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``."""
    _check_tensor(input, "outer")
    _check_tensor(vec2, "outer", "vec2", 2)
    for t, nm in ((input, "self"), (vec2, "vec2")):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {nm}, but got {t._data.ndim}-D")
    return _out(input.reshape(-1, 1) * vec2, out)


ger = outer


def inner(input, other, *, out=None):
    """Sum of products over the last dimension of both (a scalar operand multiplies)."""
    _check_tensor(input, "inner")
    _check_tensor(other, "inner", "other", 2)
    if input._data.ndim == 0 or other._data.ndim == 0:
        return _out(input * other, out)
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(sa)} and {list(sb)}")
    return _out(tensordot(input, other, ([-1], [-1])), out)


# -- add + product: addmm, addmv, addr, baddbmm, addbmm ---------------------------------------------
def _scaled(x, s):
    return x if s == 1 else x * s


class _AddProduct(Function):
    """``beta * input + alpha * (m1 ∘ m2)``; subclasses say what the product is."""
    _array_forward = True

    @staticmethod
    def _prod(m1, m2):
        return _np_matmul(m1, m2)

    @classmethod
    def forward(cls, ctx, inp, m1, m2, beta, alpha):
        ctx.save_for_backward(m1, m2)
        ctx.beta, ctx.alpha = beta, alpha
        p = cls._prod(m1, m2)
        if alpha != 1:
            p = p * alpha
        # beta == 0 ignores input entirely (nan and inf in it do not propagate), as in PyTorch
        r = p if beta == 0 else p + (inp if beta == 1 else inp * beta)
        return r.astype(m1.dtype, copy=False)

    @classmethod
    def backward(cls, ctx, g):
        m1, m2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        gi = _scaled(g, ctx.beta) if need[0] else None
        g1, g2 = cls._grads(g, m1, m2, need[1], need[2])
        if g1 is not None:
            g1 = _scaled(g1, ctx.alpha)
        if g2 is not None:
            g2 = _scaled(g2, ctx.alpha)
        return gi, g1, g2, None, None

    @staticmethod
    def _grads(g, m1, m2, n1, n2):
        return _matmul_grads(g, m1, m2, n1, n2)


class Addmm(_AddProduct):
    _node_name = "AddmmBackward0"


class Addmv(_AddProduct):
    _node_name = "AddmvBackward0"


class Baddbmm(_AddProduct):
    _node_name = "BaddbmmBackward0"


class Addr(_AddProduct):
    _node_name = "AddrBackward0"

    @staticmethod
    def _prod(m1, m2):
        return np.multiply.outer(m1, m2)

    @staticmethod
    def _grads(g, m1, m2, n1, n2):
        return (mv(g, m2) if n1 else None), (mv(g.mT, m1) if n2 else None)


class Addbmm(_AddProduct):
    _node_name = "AddbmmBackward0"

    @staticmethod
    def _prod(m1, m2):
        b, n, k = m1.shape
        # sum_b m1[b] @ m2[b] is one GEMM: (n, b*k) @ (b*k, m)
        return m1.transpose(1, 0, 2).reshape(n, b * k) @ m2.reshape(b * k, m2.shape[2])

    @staticmethod
    def _grads(g, m1, m2, n1, n2):
        g3 = g.unsqueeze(0)
        return (matmul(g3, m2.mT) if n1 else None), (matmul(m1.mT, g3) if n2 else None)


def _add_product(cls, input, m1, m2, beta, alpha, target, out):
    _check_expand(input._data.shape, target)
    if input._data.dtype.kind != "f":  # integer tensors take integer scalars (PyTorch truncates)
        beta, alpha = int(beta), int(alpha)
    res = cls.apply(input, m1, m2, beta, alpha)
    return _out(res, out)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape."""
    _check_tensor(input, "addmm")
    for t, nm in ((mat1, "mat1"), (mat2, "mat2")):
        _check_tensor(t, "addmm", nm, 2 if nm == "mat1" else 3)
        if t._data.ndim != 2:
            raise RuntimeError(f"{nm} must be a matrix, got {t._data.ndim}-D tensor")
    s1, s2 = mat1._data.shape, mat2._data.shape
    if s1[1] != s2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(s1)} and {_shape_str(s2)})")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_cap(input)} and {_cap(mat2)}")
    if mat1._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_cap(mat1)} and {_cap(mat2)}")
    _not_impl_bool(mat1, "addmm_impl_cpu_")
    return _add_product(Addmm, input, mat1, mat2, beta, alpha, (s1[0], s2[1]), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``."""
    _check_tensor(input, "addmv")
    _check_tensor(mat, "addmv", "mat", 2)
    _check_tensor(vec, "addmv", "vec", 3)
    if mat._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {mat._data.ndim}, "
                           f"{vec._data.ndim}")
    n, k = mat._data.shape
    if not (input._data.dtype == mat._data.dtype == vec._data.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_cap(input)}, {_cap(mat)}, "
                           f"and {_cap(vec)}")
    if k != vec._data.shape[0] or input._data.ndim > 1 or input._data.size not in (1, n):
        raise RuntimeError(f"size mismatch, got input ({input._data.size if input._data.ndim else 1}), "
                           f"mat ({n}x{k}), vec ({vec._data.shape[0]})")
    _not_impl_bool(mat, "addmv_impl_cpu")
    return _add_product(Addmv, input, mat, vec, beta, alpha, (n,), out)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * outer(vec1, vec2)`` (with type promotion, as in PyTorch)."""
    _check_tensor(input, "addr")
    for t, nm in ((vec1, "vec1"), (vec2, "vec2")):
        _check_tensor(t, "addr", nm, 2 if nm == "vec1" else 3)
        if t._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {nm}, but got {t._data.ndim}-D")
    rt = _dtype.result_type(input, vec1, vec2)
    input, vec1, vec2 = (t if t.dtype is rt else t.to(rt) for t in (input, vec1, vec2))
    return _add_product(Addr, input, vec1, vec2, beta, alpha, (vec1._data.shape[0], vec2._data.shape[0]), out)


def _batch_pair_checks(b1, b2, name):
    for t, nm in ((b1, "batch1"), (b2, "batch2")):
        _check_tensor(t, name, nm, 2 if nm == "batch1" else 3)
        if t._data.ndim != 3:
            raise RuntimeError(f"{nm} must be a 3D tensor")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    _check_tensor(input, "baddbmm")
    _batch_pair_checks(batch1, batch2, "baddbmm")
    sa, sb = batch1._data.shape, batch2._data.shape
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but "
                           f"got: [{sb[0]}, {sb[1]}].")
    _check_expand(input._data.shape, (sa[0], sa[1], sb[2]))
    if input._data.dtype != batch1._data.dtype or input._data.dtype != batch2._data.dtype:
        if input._data.dtype != batch1._data.dtype:
            raise RuntimeError(f"Input dtypes must be the same, got: input {_ctype(input)}, batch1: {_ctype(batch1)}, "
                               f"batch2: {_ctype(batch2)}")
        raise RuntimeError(f"expected scalar type {_cap(batch1)} but found {_cap(batch2)}")
    _not_impl_bool(batch1, "bmm")
    return _add_product(Baddbmm, input, batch1, batch2, beta, alpha, (sa[0], sa[1], sb[2]), out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    _check_tensor(input, "addbmm")
    _batch_pair_checks(batch1, batch2, "addbmm")
    sa, sb = batch1._data.shape, batch2._data.shape
    if sa[0] != sb[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {sa[0]} and {sb[0]}")
    if sa[2] != sb[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({sa[1]}x{sa[2]} and {sb[1]}x{sb[2]})")
    _check_expand(input._data.shape, (sa[1], sb[2]))
    for t in (batch1, batch2):
        if input._data.dtype != t._data.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_cap(input)} and {_cap(t)}")
    _not_impl_bool(batch1, "addmm_impl_cpu_")
    return _add_product(Addbmm, input, batch1, batch2, beta, alpha, (sa[1], sb[2]), out)


# -- tensordot, kron, trace ---------------------------------------------------------------------------
def tensordot(a, b, dims=2, out=None):
    """Contract ``dims`` dimensions of ``a`` with those of ``b``.

    ``dims`` is a count (the last ``dims`` of ``a`` with the first of ``b``) or a pair of
    lists of dimensions. Computed as one matrix product of the permuted, flattened inputs.
    """
    _check_tensor(a, "tensordot", "a")
    _check_tensor(b, "tensordot", "b", 2)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
        shown_a, shown_b = [d - na for d in da], db
    else:
        da, db = dims
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        da = [wrap_dim(int(d), na) for d in da]
        db = [wrap_dim(int(d), nb) for d in db]
        shown_a, shown_b = da, db
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    sa, sb = a._data.shape, b._data.shape
    for x, y, px, py in zip(da, db, shown_a, shown_b):
        if sa[x] != sb[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[x]} in dim {px} and "
                               f"second has size {sb[y]} in dim {py}")
    free_a = [d for d in range(na) if d not in da]
    free_b = [d for d in range(nb) if d not in db]
    k = _prod([sa[d] for d in da])
    pa = a.permute(free_a + da) if free_a + da != list(range(na)) else a
    pb = b.permute(db + free_b) if db + free_b != list(range(nb)) else b
    r = mm(pa.reshape(_prod([sa[d] for d in free_a]), k), pb.reshape(k, _prod([sb[d] for d in free_b])))
    return _out(r.reshape([sa[d] for d in free_a] + [sb[d] for d in free_b]), out)


def kron(input, other, *, out=None):
    """Kronecker product: blocks ``input[i, j] * other``, for tensors of any rank."""
    _check_tensor(input, "kron")
    _check_tensor(other, "kron", "other", 2)
    from .views import UnsafeView
    n = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (n - input._data.ndim) + input._data.shape
    sb = (1,) * (n - other._data.ndim) + other._data.shape
    a = input.reshape([s for d in sa for s in (d, 1)])
    b = other.reshape([s for d in sb for s in (1, d)])
    p = a * b
    return _out(UnsafeView.apply(p, tuple(x * y for x, y in zip(sa, sb))), out)


class Trace(Function):
    _array_forward = True
    _node_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return np.asarray(np.trace(x, dtype=np.int64 if x.dtype.kind in "iub" else None))

    @staticmethod
    def backward(ctx, g):
        return g * _const(np.eye(*ctx.shape, dtype=g._data.dtype))


def trace(input):
    """Sum of the main diagonal of a 2-D tensor (integer inputs give int64)."""
    _check_tensor(input, "trace")
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    _not_impl_bool(input, "trace")
    return Trace.apply(input)


# -- einsum -------------------------------------------------------------------------------------------
_LETTERS = string.ascii_uppercase + string.ascii_lowercase


class Einsum(Function):
    """``np.einsum`` on an equation with explicit, distinct-per-output letters (no ellipsis).

    PyTorch's einsum is a chain of permutes, products and views, so its last node depends on
    the equation; the subclasses below carry the name PyTorch's chain ends with.
    """
    _array_forward = True
    _node_name = "ViewBackward0"  # a contraction of several operands (bmm, then view)

    @staticmethod
    def forward(ctx, eq, *ops):
        ctx.eq = eq
        ctx.save_for_backward(*ops)
        # optimize (a contraction order, BLAS for pairs) pays for its planning only on big inputs
        big = len(ops) > 2 or (len(ops) == 2 and ops[0].size * ops[1].size > 4096)
        r = np.asarray(np.einsum(eq, *ops, optimize=big))
        if r.base is not None and any(np.may_share_memory(r, o) for o in ops):
            r = r.copy()  # a transpose or diagonal comes back as a view of the input
        return r

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        ins, outs = ctx.eq.split("->")
        subs = ins.split(",")
        grads = [None]
        for i in range(len(subs)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            grads.append(_einsum_operand_grad(g, outs, ops, subs, i))
        return tuple(grads)


class _EinsumMul(Einsum):  # several operands, nothing summed: a broadcast product
    _node_name = "MulBackward0"


class _EinsumSum(Einsum):  # one operand with summed indices
    _node_name = "SumBackward1"


class _EinsumPermute(Einsum):  # one operand, only a transpose and/or diagonal
    _node_name = "PermuteBackward0"


def _einsum_operand_grad(g, outs, ops, subs, i):
    s = subs[i]
    shape = ops[i]._data.shape
    sizes = dict(zip(s, shape))
    used = set(s) | set(outs) | set("".join(subs))
    fresh = iter(c for c in _LETTERS if c not in used)
    # A letter repeated in this operand (a diagonal) gets fresh names, tied by identity operands.
    target, deltas, seen = [], [], set()
    for c in s:
        if c in seen:
            f = next(fresh)
            deltas.append(c + f)
            target.append(f)
        else:
            seen.add(c)
            target.append(c)
    others = "".join(subs[j] for j in range(len(subs)) if j != i) + outs + "".join(deltas)
    present = [c for c in target if c in others]  # letters the contraction can produce
    terms = [outs] + [subs[j] for j in range(len(subs)) if j != i] + deltas
    args = [g] + [ops[j] for j in range(len(subs)) if j != i]
    args += [_const(np.eye(sizes[d[0]], dtype=g._data.dtype)) for d in deltas]
    r = einsum(",".join(terms) + "->" + "".join(present), *args)
    if len(present) != len(target):  # letters summed only in this operand: broadcast back
        r = r.reshape([shape[k] if c in others else 1 for k, c in enumerate(target)]).expand(shape)
    return r


def _parse_sublist(args):
    ops, subs = [], []
    args = list(args)
    out = None
    if len(args) % 2 == 1:
        out = args.pop()
    for k in range(0, len(args), 2):
        ops.append(args[k])
        subs.append(args[k + 1])

    def conv(lst):
        return "".join("..." if x is Ellipsis else _LETTERS[26 + x] if x < 26 else _LETTERS[x - 26] for x in lst)
    eq = ",".join(conv(s) for s in subs)
    if out is not None:
        eq += "->" + conv(out)
    return eq, ops


def einsum(*args):
    """Sum of products over the indices of an Einstein-summation equation.

    Supports ``...``, repeated indices (diagonals), implicit output (indices that appear
    once, sorted), and broadcasting of size-1 dimensions.

    >>> chainrule.einsum("ij,jk->ik", a, b)   # a @ b
    >>> chainrule.einsum("ii", a)             # trace
    """
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, or at least one "
                        "operand and its subscripts list")
    if isinstance(args[0], str):
        eq, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
    else:
        eq, ops = _parse_sublist(args)
    for k, t in enumerate(ops):
        _check_tensor(t, "einsum", "operands", k + 2)
    eq = eq.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->", 1)
    else:
        lhs, rhs = eq, None
    subs = lhs.split(",")
    if len(subs) > len(ops):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(subs) < len(ops):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for s in subs + ([rhs] if rhs is not None else []):
        bad = [c for c in s.replace("...", "") if c not in _LETTERS]
        if bad:
            raise RuntimeError(f"einsum(): invalid subscript given at index {s.index(bad[0])} in the equation "
                               f"string, subscripts must be in [a-zA-Z]")
    dt = ops[0]._data.dtype
    for t in ops[1:]:
        if t._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {_cap(ops[0])} but found {_cap(t)}")
    # Name the ellipsis dims with unused letters, right-aligned across operands (they broadcast).
    used = set(lhs + (rhs or ""))
    spare = [c for c in _LETTERS if c not in used]
    ell_n = 0
    for s, t in zip(subs, ops):
        n_named = len(s.replace("...", ""))
        if "..." in s:
            ell_n = max(ell_n, t._data.ndim - n_named)
    ell = "".join(spare[:ell_n])
    explicit = []
    for k, (s, t) in enumerate(zip(subs, ops)):
        nd = t._data.ndim
        if "..." in s:
            m = nd - len(s.replace("...", ""))
            s = s.replace("...", ell[ell_n - m:] if m > 0 else "")
        if len(s) != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                               f"number of dimensions ({nd}) for operand {k}" + ("" if "..." in subs[k] else
                                                                                 " and no ellipsis was given"))
        explicit.append(s)
    if rhs is None:
        counts = {}
        for s in explicit:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        named = sorted(c for c in counts if counts[c] == 1 and c not in ell)
        rhs = ell + "".join(named)
    else:
        rhs = rhs.replace("...", ell)
        for c in rhs:
            if rhs.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if not any(c in s for s in explicit):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   f"operand")
    # Sizes per letter; size-1 dims that broadcast are dropped from their operand.
    size = {}
    for k, (s, t) in enumerate(zip(explicit, ops)):
        seen = {}
        for c, d in zip(s, t._data.shape):
            if c in seen and seen[c] != d:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't "
                                   f"match, {d} != {seen[c]}")
            seen[c] = d
            if d != 1:
                if size.get(c, 1) != 1 and size[c] != d:
                    raise RuntimeError(f"einsum(): subscript {c} has size {d} for operand {k} which does not "
                                       f"broadcast with previously seen size {size[c]}")
                size[c] = d
            else:
                size.setdefault(c, 1)
    final = []
    for s, t in zip(explicit, ops):
        drop = [j for j, c in enumerate(s) if t._data.shape[j] == 1 and size[c] != 1 and s.count(c) == 1]
        if drop:
            t = t.reshape([d for j, d in enumerate(t._data.shape) if j not in drop])
            s = "".join(c for j, c in enumerate(s) if j not in drop)
        final.append((s, t))
    eq2 = ",".join(s for s, _ in final) + "->" + rhs
    summed = any(c not in rhs for s in explicit for c in s)
    if len(ops) == 1:
        cls = _EinsumSum if summed else _EinsumPermute
    else:
        cls = Einsum if summed else _EinsumMul
    return cls.apply(eq2, *[t for _, t in final])


# -- matrix functions: inv, det, slogdet, solve -------------------------------------------------------
def _return_type(name, fields):
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"
    return type(name, (base,), {"__repr__": __repr__, "__slots__": ()})


_Slogdet = _return_type("linalg_slogdet", ["sign", "logabsdet"])
_SlogdetTop = _return_type("slogdet", ["sign", "logabsdet"])
_Svd = _return_type("linalg_svd", ["U", "S", "Vh"])
_SvdTop = _return_type("svd", ["U", "S", "V"])
_Eigh = _return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
_Qr = _return_type("linalg_qr", ["Q", "R"])
_InvEx = _return_type("linalg_inv_ex", ["inverse", "info"])
_CholEx = _return_type("linalg_cholesky_ex", ["L", "info"])


def _check_matrix(A, name, square=True, low_precision_ok=False, kernel="lu_cpu"):
    _check_tensor(A, name.split(".")[-1], "A" if name.startswith("linalg.") else "input")
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A._data.shape[-2]} by "
                           f"{A._data.shape[-1]} matrices")
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_cap(A)}")
    if A._data.dtype == np.float16 and not low_precision_ok:
        if name == "linalg.inv":
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
        raise NotImplementedError(f'"{kernel}" not implemented for \'Half\'')


def _zero_pivot(m):
    """1-based index of the first exactly-zero pivot of LU with partial pivoting (0: none)."""
    a = np.array(m, dtype=np.float64)
    n = a.shape[0]
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        a[[j, p]] = a[[p, j]]
        a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return n


def _first_bad(A, check):
    """The batch index and detail of the first matrix for which ``check`` fails."""
    flat = A.reshape((-1,) + A.shape[-2:])
    for i, m in enumerate(flat):
        info = check(m)
        if info:
            return i, info
    return 0, check(flat[0]) if len(flat) else 0


def _batch_prefix(A, i):
    return f"(Batch element {i}): " if A.ndim > 2 else ""


def _np_inv(A):
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        i, info = _first_bad(A, lambda m: _zero_pivot(m) if _singular(m) else 0)
        raise LinAlgError(f"linalg.inv: {_batch_prefix(A, i)}The diagonal element {info} is zero, the inversion "
                          "could not be completed because the input matrix is singular.") from None


def _singular(m):
    try:
        np.linalg.inv(m)
        return False
    except np.linalg.LinAlgError:
        return True


class LinalgInv(Function):
    _array_forward = True
    _node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, A):
        X = _np_inv(A)
        ctx.save_for_backward(X)
        return X

    @staticmethod
    def backward(ctx, g):
        X, = ctx.saved_tensors
        Xt = X.mT
        return -matmul(matmul(Xt, g), Xt)


def inv(A, *, out=None):
    """Inverse of a square matrix (or batch); raises ``LinAlgError`` if one is singular."""
    _check_matrix(A, "linalg.inv")
    return _out(LinalgInv.apply(A), out)


def inverse(input, *, out=None):
    """Same as ``chainrule.linalg.inv``."""
    return inv(input, out=out)


def inv_ex(A, *, check_errors=False, out=None):
    """Inverse plus an int32 ``info`` per matrix (0: success; k: pivot k was zero)."""
    _check_matrix(A, "linalg.inv")
    a = A._data
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.array([_zero_pivot(m) if _singular(m) else 0 for m in flat], dtype=np.int32).reshape(a.shape[:-2])
    if check_errors and info.any():
        inv(A)
    if not info.any():
        return _InvEx(inv(A), Tensor._make(info))
    with np.errstate(all="ignore"):
        x = np.full(a.shape, np.inf, dtype=a.dtype)
        ok = info.reshape(-1) == 0
        xf = x.reshape(flat.shape)
        if ok.any():
            xf[ok] = np.linalg.inv(flat[ok])
    return _InvEx(Tensor._make(x), Tensor._make(info))


class LinalgDet(Function):
    _array_forward = True
    _node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, A):
        d = np.asarray(np.linalg.det(A))
        ctx.save_for_backward(A, d)
        return d

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        zero = d._data == 0
        if zero.any():
            # As in PyTorch, a singular matrix gets a zero gradient (det * inverse, with det == 0);
            # its inverse is replaced by the identity's so that the product stays finite.
            m = _const(zero[..., None, None].astype(A._data.dtype))
            A = A * (1 - m) + m * _eye_like(A._data.shape[-1], A)
        return (g * d).unsqueeze(-1).unsqueeze(-1) * inv(A).mT


def det(A, *, out=None):
    """Determinant of a square matrix (or batch)."""
    _check_matrix(A, "linalg.det")
    return _out(LinalgDet.apply(A), out)


class LinalgSlogdet(Function):
    _array_forward = True
    _node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        sign, lad = np.linalg.slogdet(A)
        ctx.save_for_backward(A)
        return np.asarray(sign), np.asarray(lad)

    @staticmethod
    def backward(ctx, gsign, glad):
        A, = ctx.saved_tensors
        return glad.unsqueeze(-1).unsqueeze(-1) * inv(A).mT


def _slogdet(A, name):
    _check_matrix(A, name)
    return LinalgSlogdet.apply(A)


def slogdet(input):
    """``(sign, log|det|)`` of a square matrix (or batch)."""
    return _SlogdetTop(*_slogdet(input, "linalg.slogdet"))


def linalg_slogdet(A, *, out=None):
    return _Slogdet(*_slogdet(A, "linalg.slogdet"))


def logdet(input):
    """``log(det(input))``: nan for a negative determinant, -inf for a singular matrix."""
    from .selection import where
    sign, lad = _slogdet(input, "linalg.slogdet")
    return where(sign == -1, math.nan, lad)


def _solve_matrices(A, B):
    """``A X = B`` for stacks of matrices, batch dims broadcast first (NumPy 1.x would read a
    B with one dim fewer than A as a stack of vectors)."""
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    return np.linalg.solve(np.broadcast_to(A, batch + A.shape[-2:]), np.broadcast_to(B, batch + B.shape[-2:]))


class LinalgSolve(Function):
    _array_forward = True
    _node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, A, B, vector, left):
        ctx.vector, ctx.left = vector, left
        try:
            if vector:
                X = _solve_matrices(A, B[..., None])[..., 0]
            elif left:
                X = _solve_matrices(A, B)
            else:  # X A = B  <=>  A^T X^T = B^T
                X = np.swapaxes(_solve_matrices(np.swapaxes(A, -1, -2), np.swapaxes(B, -1, -2)), -1, -2)
        except np.linalg.LinAlgError:
            batch = np.broadcast_shapes(A.shape[:-2], B.shape[:B.ndim - (1 if vector else 2)])
            a = np.broadcast_to(A, batch + A.shape[-2:])
            i, _ = _first_bad(a, _singular)
            raise LinAlgError(f"torch.linalg.solve: {_batch_prefix(a, i)}The solver failed because the input "
                              "matrix is singular.") from None
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        gA = None
        if ctx.left:
            gB = solve(A.mT, g)  # A^T gB = g
            if ctx.needs_input_grad[0]:
                gA = -(gB.unsqueeze(-1) * X.unsqueeze(-2)) if ctx.vector else -matmul(gB, X.mT)
        else:
            gB = solve(A.mT, g, left=False)  # gB A^T = g
            if ctx.needs_input_grad[0]:
                gA = -matmul(X.mT, gB)
        return gA, gB, None, None


def solve(A, B, *, left=True, out=None):
    """Solve ``A X = B`` (or ``X A = B`` with ``left=False``); ``B`` may be a (batch of) vector(s)."""
    _check_tensor(A, "solve", "A")
    _check_tensor(B, "solve", "B", 2)
    _check_matrix(A, "linalg.solve")
    if B._data.dtype != A._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {_cap(A)} "
                           f"and B of type {_cap(B)} instead")
    sa, sb = A._data.shape, B._data.shape
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and sb == sa[:-1])
    n = sa[-1]
    shown = (sb[-1], 1) if vector else sb[-2:] if B._data.ndim >= 2 else (sb[-1], 1)
    ok = shown[0] == n if left else shown[1] == n
    if not ok:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {'AX' if left else 'XA'} "
                           f"= B ({n}x{n} and {shown[0]}x{shown[1]})")
    if not vector:
        _broadcast_batch(sa[:-2], sb[:-2])
    return _out(LinalgSolve.apply(A, B, vector, bool(left)), out)


# -- norms ------------------------------------------------------------------------------------------
def _fmt_ord(o):
    if isinstance(o, float) and o.is_integer():
        return str(int(o))
    return str(o)


class LinalgVectorNorm(Function):
    _array_forward = True
    _node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        acc = np.float32 if x.dtype == np.float16 else None
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if p == 2:
                r = np.sqrt(np.sum(np.square(x), axis=dims, keepdims=keepdim, dtype=acc))
            elif p == 1:
                r = np.sum(np.abs(x), axis=dims, keepdims=keepdim, dtype=acc)
            elif p == math.inf:
                r = np.max(np.abs(x), axis=dims, keepdims=keepdim, initial=0.0 if x.size == 0 else None)
            elif p == -math.inf:
                r = np.min(np.abs(x), axis=dims, keepdims=keepdim)
            elif p == 0:
                r = np.sum(x != 0, axis=dims, keepdims=keepdim)
            else:
                r = np.sum(np.abs(x) ** p, axis=dims, keepdims=keepdim, dtype=acc) ** (1.0 / p)
        r = np.asarray(r).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, r)
        return r

    @staticmethod
    def backward(ctx, g):
        x, r = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return None, None, None, None
        if not ctx.keepdim and ctx.dims:
            shape = tuple(1 if i in ctx.dims else s for i, s in enumerate(x._data.shape))
            g, r = g.reshape(shape), r.reshape(shape)
        xd, rd = x._data, r._data
        sgn = _const(np.sign(xd))
        if p == 1:
            return g * sgn, None, None, None
        zero_r = rd == 0
        if p == 2:
            return x * (g / (r + _const(zero_r.astype(rd.dtype)))), None, None, None
        if p in (math.inf, -math.inf):
            mask = (np.abs(xd) == rd).astype(xd.dtype)
            count = mask.sum(axis=ctx.dims, keepdims=True)
            return g * _const(sgn._data * mask / count), None, None, None
        ax = x * sgn + _const((xd == 0).astype(xd.dtype))  # |x|, with 1 where x == 0 (masked by sgn)
        scale = g / (r + _const(zero_r.astype(rd.dtype))) ** (p - 1)
        if zero_r.any():
            scale = scale * _const((~zero_r).astype(rd.dtype))
        return sgn * ax ** (p - 1) * scale, None, None, None


def _norm_dims(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        return None
    return dims_arg(dim, ndim)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """The ``ord``-norm of ``x`` as a flat vector, or over ``dim``.

    ``ord`` is any real number or +/-inf; 0 counts non-zero entries.
    """
    _check_tensor(x, "linalg_vector_norm", "input")
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype)
        if not dtype.is_floating_point:
            raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, but got "
                               f"{_CAP[dtype.name]}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {_cap(x)}")
    dims = _norm_dims(dim, x._data.ndim)
    p = float(ord)
    if p < 0 or p == math.inf:
        shape = x._data.shape
        if dims is None and x._data.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt_ord(ord)} norm on an empty tensor "
                               "because the operation does not have an identity")
        for d in dims or ():
            if shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt_ord(ord)} norm on the dimension "
                                   f"{d}because this dimension is empty and the operation does not have an identity")
    if dtype is not None and dtype is not x.dtype:
        x = x.to(dtype)
    return _out(LinalgVectorNorm.apply(x, p, dims, keepdim), out)


_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', +/-1, +/-2, +/-inf."""
    _check_tensor(A, "linalg_matrix_norm", "A")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got {_cap(A)}")
    if isinstance(ord, str) and ord not in ("fro", "nuc") or not isinstance(ord, str) and ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {_fmt_ord(ord)} not supported.")
    dim = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    n = A._data.ndim
    d0, d1 = wrap_dim(dim[0], n), wrap_dim(dim[1], n)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return _out(vector_norm(A, 2, (d0, d1), keepdim), out)
    if ord in ("nuc", 2, -2):
        perm = [d for d in range(n) if d not in (d0, d1)] + [d0, d1]
        s = svdvals(A.permute(perm))
        last = s._data.ndim - 1
        if ord == "nuc":
            r = s.sum(-1, keepdim=keepdim)
        else:
            r = (amax if ord == 2 else amin)(s, last, keepdim)
        if keepdim:  # back from (..., 1, 1) at the end to d0, d1
            r = r.unsqueeze(-1).permute([perm.index(d) for d in range(n)])
        return _out(r, out)
    # 1/-1: max/min column sum; inf/-inf: max/min row sum.
    inner_d, outer_d = (d0, d1) if ord in (1, -1) else (d1, d0)
    v = vector_norm(A, 1, inner_d, keepdim)
    if not keepdim and inner_d < outer_d:
        outer_d -= 1
    return _out((amax if ord in (1, math.inf) else amin)(v, outer_d, keepdim), out)


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """``torch.linalg.norm``: a vector norm for 1 dim, a matrix norm for 2 dims."""
    _check_tensor(A, "linalg_norm", "input")
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                               f"[{', '.join(map(str, dims))}]")
    else:
        dims = None
    if ord is not None:
        if dims is None:
            if A._data.ndim not in (1, 2):
                raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                                   f"Got {A._data.ndim}D.")
            dims = tuple(range(A._data.ndim))
        if len(dims) == 2 or isinstance(ord, str):
            return matrix_norm(A, ord, dims, keepdim, dtype=dtype, out=out)
        return vector_norm(A, ord, dims, keepdim, dtype=dtype, out=out)
    return vector_norm(A, 2, dims, keepdim, dtype=dtype, out=out)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Legacy ``torch.norm``: ``p`` a number (vector norm over ``dim``), 'fro' or 'nuc'."""
    _check_tensor(input, "norm")
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    if isinstance(p, str):
        if p == "fro":
            return vector_norm(input, 2, dim, keepdim, dtype=dtype, out=out)
        if p == "nuc":
            dim = tuple(range(input._data.ndim)) if dim is None else dim
            return matrix_norm(input, "nuc", dim, keepdim, dtype=dtype, out=out)
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype, out=out)


def _norm_method(self, p="fro", dim=None, keepdim=False, dtype=None):
    return norm(self, p, dim, keepdim, dtype=dtype)


# -- decompositions: svd, eigh, cholesky, qr, pinv --------------------------------------------------
def _eye_like(n, t):
    return _const(np.eye(n, dtype=t._data.dtype))


class LinalgSvd(Function):
    _array_forward = True
    _node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, A, full_matrices):
        U, S, Vh = np.linalg.svd(A, full_matrices=full_matrices)
        ctx.full = full_matrices and A.shape[-1] != A.shape[-2]
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        if ctx.full:
            # The extra columns of U (rows of Vh) are not determined by A: as PyTorch does, only the
            # first k take part, and their gradients are dropped.
            k = S._data.shape[-1]
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU = None if gU is None else gU[..., :k]
            gVh = None if gVh is None else gVh[..., :k, :]
        return (_svd_backward(gU, gS, gVh, U, S, Vh), None)


def _nonzero(g):
    return g is not None and bool((g._data != 0).any())


def _svd_backward(gU, gS, gVh, U, S, Vh):
    """Gradient of the reduced SVD ``A = U diag(S) Vh`` (distinct, non-zero singular values)."""
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    k = S._data.shape[-1]
    core = Vh * 0 if gS is None else gS.unsqueeze(-1) * Vh  # diag(gS) Vh
    extra = None
    if _nonzero(gU) or _nonzero(gVh):
        gU = U * 0 if gU is None else gU
        gV = Vh.mT * 0 if gVh is None else gVh.mT
        V = Vh.mT
        s2 = S * S
        eye = _eye_like(k, S)
        F = (1 - eye) / (s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye)  # 1 / (s_j^2 - s_i^2), 0 on the diagonal
        UtgU = matmul(U.mT, gU)
        VtgV = matmul(V.mT, gV)
        J = F * (UtgU - UtgU.mT)
        K = F * (VtgV - VtgV.mT)
        core = core + matmul(J * S.unsqueeze(-2), Vh) + S.unsqueeze(-1) * matmul(K, Vh)
        sinv = 1 / S
        if m > k:  # the part of gU outside span(U)
            extra = matmul((gU - matmul(U, UtgU)) * sinv.unsqueeze(-2), Vh)
        if n > k:  # the part of gV outside span(V)
            core = core + sinv.unsqueeze(-1) * (gV - matmul(V, VtgV)).mT
    out = matmul(U, core)
    return out if extra is None else out + extra


def _svd_checks(A, name):
    _check_matrix(A, name, square=False, kernel="linalg_svd_cpu")


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """``A = U diag(S) Vh``; with ``full_matrices=True`` only the first min(m, n) singular vectors
    carry gradient (the rest are not determined by ``A``), as in PyTorch."""
    _svd_checks(A, "linalg.svd")
    return _Svd(*LinalgSvd.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None, out=None):
    """Singular values of ``A`` in descending order."""
    _svd_checks(A, "linalg.svdvals")
    return _out(LinalgSvd.apply(A, False)[1], out)


def svd(input, some=True, compute_uv=True, *, out=None):
    """Legacy ``torch.svd``: returns ``(U, S, V)`` with ``V`` (not ``Vh``)."""
    _svd_checks(input, "linalg.svd")
    U, S, Vh = LinalgSvd.apply(input, not some)
    if not compute_uv:
        return _SvdTop(U * 0, S, Vh.mT * 0)
    return _SvdTop(U, S, Vh.mT)


class LinalgEigh(Function):
    _array_forward = True
    _node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, uplo):
        w, V = np.linalg.eigh(A, UPLO=uplo)
        ctx.save_for_backward(w, V)
        return w, V

    @staticmethod
    def backward(ctx, gw, gV):
        w, V = ctx.saved_tensors
        inner_ = gw.unsqueeze(-1) * _eye_like(w._data.shape[-1], w)
        if (gV._data != 0).any():
            eye = _eye_like(w._data.shape[-1], w)
            F = (1 - eye) / (w.unsqueeze(-2) - w.unsqueeze(-1) + eye)
            M = matmul(V.mT, gV)
            inner_ = inner_ + F * ((M - M.mT) * 0.5)
        return matmul(matmul(V, inner_), V.mT), None


def _eigh_checks(A, UPLO, name):
    _check_matrix(A, name, kernel="linalg_eigh_cpu")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix."""
    _eigh_checks(A, UPLO, "linalg.eigh")
    return _Eigh(*LinalgEigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) of a symmetric matrix."""
    _eigh_checks(A, UPLO, "linalg.eigvalsh")
    return _out(LinalgEigh.apply(A, UPLO)[0], out)


def _leading_minor(m):
    for k in range(1, m.shape[0] + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


class LinalgCholesky(Function):
    _array_forward = True
    _node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, A, upper):
        try:
            L = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            i, k = _first_bad(A, _leading_minor)
            raise LinAlgError(f"linalg.cholesky: {_batch_prefix(A, i)}The factorization could not be completed "
                              f"because the input is not positive-definite (the leading minor of order {k} is not "
                              "positive-definite).") from None
        ctx.upper = upper
        out = np.swapaxes(L, -1, -2) if upper else L
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        L, = ctx.saved_tensors
        if ctx.upper:
            L, g = L.mT, g.mT
        n = L._data.shape[-1]
        # Phi: lower triangle of L^T gL with the diagonal halved.
        phi = _const(np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)).to(L.dtype)
        P = matmul(L.mT, g) * phi
        Y = solve(L.mT, P)
        gA = solve(L.mT, Y.mT).mT
        return (gA + gA.mT) * 0.5, None


def linalg_cholesky(A, *, upper=False, out=None):
    """Lower (or upper) Cholesky factor of a symmetric positive-definite matrix."""
    _check_matrix(A, "linalg.cholesky", kernel="linalg_cholesky_ex")
    return _out(LinalgCholesky.apply(A, bool(upper)), out)


class _CholeskyLegacy(LinalgCholesky):
    _node_name = "CholeskyBackward0"


def cholesky(input, upper=False, *, out=None):
    """Deprecated ``torch.cholesky``; use ``chainrule.linalg.cholesky``."""
    import warnings
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                  "PyTorch release.", UserWarning, stacklevel=2)
    _check_matrix(input, "linalg.cholesky", kernel="linalg_cholesky_ex")
    return _out(_CholeskyLegacy.apply(input, bool(upper)), out)


class LinalgQr(Function):
    _array_forward = True
    _node_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, A, mode):
        Q, R = np.linalg.qr(A, mode=mode)
        ctx.mode = mode
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        m, n = Q._data.shape[-2], R._data.shape[-1]
        if m < n or (ctx.mode == "complete" and m > n):
            raise NotImplementedError("The derivative of linalg.qr is only implemented here for mode='reduced' "
                                      "with m >= n (and square inputs in mode='complete')")
        k = R._data.shape[-2]
        low = _const(np.tril(np.ones((k, k)), -1)).to(R.dtype)
        M = matmul(R, gR.mT) - matmul(gQ.mT, Q)
        Ml = M * low
        sym = Ml + Ml.mT + M * _eye_like(k, R)
        b = gQ + matmul(Q, sym)
        return solve(R, b.mT).mT, None


_QrTop = _return_type("qr", ["Q", "R"])


def qr(input, some=True, *, out=None):
    """Deprecated ``torch.qr``: ``some=False`` gives the complete decomposition."""
    import warnings
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
                  "release.", UserWarning, stacklevel=2)
    return _QrTop(*linalg_qr(input, "reduced" if some else "complete"))


def linalg_qr(A, mode="reduced", *, out=None):
    """QR decomposition; ``mode`` is 'reduced', 'complete' or 'r'."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    _check_matrix(A, "linalg.qr", square=False, kernel="linalg_qr_cpu")
    Q, R = LinalgQr.apply(A, "reduced" if mode == "r" else mode)
    if mode == "r":
        Q = Tensor._make(np.empty((0,), dtype=A._data.dtype))
    return _Qr(Q, R)


class LinalgPinv(Function):
    _array_forward = True
    _node_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, A, atol, rtol):
        U, S, Vh = np.linalg.svd(A, full_matrices=False)
        smax = S[..., :1] if S.shape[-1] else np.zeros(S.shape[:-1] + (1,), S.dtype)
        tol = np.maximum(atol, rtol * smax)
        keep = S > tol
        with np.errstate(divide="ignore"):
            sinv = np.where(keep, 1 / np.where(keep, S, 1), 0).astype(A.dtype)
        X = np.swapaxes(Vh, -1, -2) * sinv[..., None, :] @ np.swapaxes(U, -1, -2)
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        m, n = A._data.shape[-2], A._data.shape[-1]
        Xt = X.mT
        gA = -matmul(matmul(Xt, g), Xt)
        gA = gA + matmul(_eye_like(m, A) - matmul(A, X), matmul(g.mT, matmul(X, Xt)))
        gA = gA + matmul(matmul(matmul(Xt, X), g.mT), _eye_like(n, A) - matmul(X, A))
        return gA, None, None


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """Moore-Penrose pseudo-inverse via SVD; singular values at or below
    ``max(atol, rtol * s_max)`` are treated as zero (default ``rtol``: eps * max(m, n))."""
    _check_tensor(A, "linalg_pinv", "input")
    if A._data.ndim < 2 or A._data.dtype not in (np.float32, np.float64):
        shape = ", ".join(map(str, A._data.shape))
        raise RuntimeError(f"linalg.pinv({_cap(A)}{{[{shape}]}}): expected a tensor with 2 or more dimensions of "
                           "float, double, cfloat or cdouble types")
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else float(np.finfo(A._data.dtype).eps) * max(A._data.shape[-2:])
    return _out(LinalgPinv.apply(A, float(atol or 0.0), float(rtol)), out)


def pinverse(input, rcond=1e-15):
    """Legacy ``torch.pinverse``: ``linalg.pinv`` with relative cutoff ``rcond``."""
    return pinv(input, rtol=rcond)


# -- cross, matrix_power, multi_dot, vecdot ------------------------------------------------------------
class LinalgCross(Function):
    _array_forward = True
    _node_name = "LinalgCrossBackward0"

    @staticmethod
    def forward(ctx, a, b, dim):
        ctx.dim = dim
        ctx.save_for_backward(a, b)
        return np.cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        d = ctx.dim
        ga = LinalgCross.apply(b, g, d) if ctx.needs_input_grad[0] else None
        gb = LinalgCross.apply(g, a, d) if ctx.needs_input_grad[1] else None
        return ga, gb, None


def _cross(input, other, dim, name):
    _check_tensor(input, name)
    _check_tensor(other, name, "other", 2)
    if input._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    n = input._data.ndim
    d = wrap_dim(dim, n)
    sa, sb = input._data.shape, other._data.shape
    if sa[d] != 3 or sb[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {sa[d]} and {sb[d]}")
    _broadcast_batch(sa, sb)
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {_cap(input)} but found {_cap(other)}")
    return LinalgCross.apply(input, other, d - n)


def linalg_cross(input, other, *, dim=-1, out=None):
    """Cross product of 3-vectors along ``dim`` (batch dims broadcast)."""
    return _out(_cross(input, other, dim, "linalg_cross"), out)


def cross(input, other, dim=None, *, out=None):
    """Legacy ``torch.cross``: ``dim=None`` means the first dimension of size 3 (deprecated)."""
    if dim is None:
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        _check_tensor(input, "cross")
        dim = next((i for i, s in enumerate(input._data.shape) if s == 3), -1)
    return _out(_cross(input, other, dim, "cross"), out)


class _Identity(Function):
    """matrix_power(A, 0): the identity, whose gradient with respect to A is zero."""
    _array_forward = True
    _node_name = "torch::autograd::CopyBackwards"

    @staticmethod
    def forward(ctx, A):
        return np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape).copy()

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros_like
        return zeros_like(g)


def matrix_power(A, n, *, out=None):
    """``A`` multiplied by itself ``n`` times; negative ``n`` uses the inverse."""
    _check_tensor(A, "linalg_matrix_power", "input")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A._data.shape[-2]} by {A._data.shape[-1]} matrices")
    if n == 0:
        return _out(_Identity.apply(A), out)
    if n < 0:
        A = inv(A)
        n = -n
    result, base = None, A
    while True:  # binary powering: O(log n) products
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if not n:
            break
        base = matmul(base, base)
    return _out(result, out)


def multi_dot(tensors, *, out=None):
    """Product of a chain of matrices in the cheapest order (first/last may be 1-D)."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for k, t in enumerate(ts):
        _check_tensor(t, "linalg_multi_dot", "tensors", 1)
        nd = t._data.ndim
        if k == 0 and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {nd}D")
        if k == len(ts) - 1 and k and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {nd}D")
        if 0 < k < len(ts) - 1 and nd != 2:
            raise RuntimeError(f"multi_dot(): tensor {k} must be 2D but got {nd}D")
        if t._data.dtype != ts[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_ctype(ts[0])} and tensor {k} {_ctype(t)}")
    first_vec, last_vec = ts[0]._data.ndim == 1, ts[-1]._data.ndim == 1
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    for k in range(len(ts) - 1):
        sa, sb = ts[k]._data.shape, ts[k + 1]._data.shape
        if sa[1] != sb[0]:
            shown_a = list(sa[1:]) if k == 0 and first_vec else list(sa)
            shown_b = list(sb[:1]) if k + 1 == len(ts) - 1 and last_vec else list(sb)
            raise RuntimeError(f"multi_dot(): tensors {k} and {k + 1} with shapes {shown_a} and {shown_b} cannot "
                               "be multiplied")
    r = _chain(ts)
    shape = ([] if first_vec else [r._data.shape[0]]) + ([] if last_vec else [r._data.shape[1]])
    return _out(r.reshape(shape), out)


def _chain(ts):
    n = len(ts)
    if n == 2:
        return mm(ts[0], ts[1])
    dims = [t._data.shape[0] for t in ts] + [ts[-1]._data.shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def build(i, j):
        if i == j:
            return ts[i]
        k = split[i][j]
        return mm(build(i, k), build(k + 1, j))
    return build(0, n - 1)


def chain_matmul(*matrices, out=None):
    """Deprecated alias of ``linalg.multi_dot`` for 2-D tensors."""
    if len(matrices) == 1:
        return _out(matrices[0].clone(), out)
    return multi_dot(matrices, out=out)


def vecdot(x, y, *, dim=-1, out=None):
    """Dot product of vectors along ``dim`` (batch dims broadcast)."""
    _check_tensor(x, "linalg_vecdot", "x")
    _check_tensor(y, "linalg_vecdot", "y", 2)
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type {_cap(x)} "
                           f"and y of type {_cap(y)} instead")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got {_cap(x)}")
    return _out((x * y).sum(dim), out)


# -- Tensor methods -------------------------------------------------------------------------------------
METHODS = {
    "matmul": matmul, "__matmul__": _matmul_method, "__rmatmul__": _rmatmul_method,
    "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "vdot": vdot, "outer": outer, "ger": ger, "inner": inner,
    "addmm": addmm, "addmv": addmv, "addr": addr, "baddbmm": baddbmm, "addbmm": addbmm,
    "kron": kron, "trace": trace, "det": det, "logdet": logdet, "slogdet": slogdet, "inverse": inverse,
    "norm": _norm_method, "cross": cross, "pinverse": pinverse, "svd": svd, "matrix_power": matrix_power,
    "cholesky": cholesky, "qr": qr,
}
for _n in ("addmm", "addmv", "addr", "baddbmm", "addbmm"):
    METHODS[_n + "_"] = _inplace(METHODS[_n])
