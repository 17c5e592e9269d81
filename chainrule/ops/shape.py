"""Shape ops that copy: cat/stack and friends, repeat/tile, flip/roll/rot90, tril/triu,
diag/diag_embed, broadcasting helpers, atleast_nd, meshgrid and pad.

(Ops whose result is a view of the input live in ``views.py``.)
"""
from __future__ import annotations

import operator
import warnings

import numpy as np

from .. import _dtype
from .._size import Size
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ._common import dims_arg, wrap_dim
from .views import (_DiagonalScatter, _cap, _diag_dims, _diag_view, _fmt, _ints, diagonal, expand, narrow,
                    reshape, select, unsqueeze)

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
           "row_stack", "tile", "flip", "fliplr", "flipud", "roll", "rot90", "tril", "triu", "diag",
           "diag_embed", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "atleast_1d",
           "atleast_2d", "atleast_3d", "meshgrid", "cartesian_prod"]


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


def _int_arg(v, fn, name):
    if isinstance(v, (bool, float, np.floating)) or not hasattr(v, "__index__"):
        raise TypeError(f"{fn}(): argument '{name}' must be int, not {type(v).__name__}")
    return operator.index(v)


def _promoted(tensors):
    rt = _dtype.result_type(*tensors)
    return [t if t.dtype is rt else t.to(rt) for t in tensors]


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool"}


def _out(result, out, name):
    """Write ``result`` into ``out=`` (resizing it), as the ``out`` variants do."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _state.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if name in ("tril", "triu", "diagonal") and result.dtype is not out.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_C_NAMES[result.dtype.name]}, but got "
                           f"{_C_NAMES[out.dtype.name]} instead")
    if not _dtype.can_cast(result.dtype, out.dtype):
        if name in ("cat", "stack"):
            raise TypeError(f"torch.cat(): input types can't be cast to the desired output type {_cap(out.dtype)}")
        raise RuntimeError(f"{name}: result type {_cap(result.dtype)} can't be cast to the desired out= type "
                           f"{_cap(out.dtype)}")
    if out._data.shape != result._data.shape:
        if out._data.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {_fmt(out._data.shape)}, "
                f"which does not match the required output shape {_fmt(result._data.shape)}. This behavior is "
                "deprecated, and in a future PyTorch release outputs will not be resized unless they have zero "
                "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).", UserWarning, stacklevel=3)
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out


# -- cat and stack ------------------------------------------------------------------------------------
class Cat(Function):
    _array_forward = True
    _node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [None if _legacy_empty(x) else x.shape[dim] for x in xs]
        kept = [x for x in xs if not _legacy_empty(x)]
        return np.concatenate(kept, axis=dim) if kept else np.zeros((0,), xs[0].dtype)

    @staticmethod
    def backward(ctx, g):
        grads = [None]
        start = 0
        for n, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            if n is None:
                grads.append(None)
                continue
            grads.append(narrow(g, ctx.dim, start, n) if need else None)
            start += n
        return tuple(grads)


def _legacy_empty(x):
    return x.ndim == 1 and x.shape[0] == 0


def cat(tensors, dim=0, *, axis=None, out=None):
    """Join tensors along an existing dimension ``dim``; the others must match.

    >>> chainrule.cat([chainrule.zeros(2, 3), chainrule.ones(1, 3)]).shape
    torch.Size([3, 3])
    """
    tensors = _tensor_list(tensors, "cat")
    if axis is not None:
        dim = axis
    dim = _int_arg(dim, "cat", "dim")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, t) for i, t in enumerate(tensors) if not _legacy_empty(t._data)]
    tensors = _promoted(tensors)
    if not kept:
        return _out(Cat.apply(0, *tensors), out, "cat")
    ref = kept[0][1]._data.shape
    d = wrap_dim(dim, len(ref))
    for i, t in kept[1:]:
        shape = t._data.shape
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(shape)}")
        for k, (a, b) in enumerate(zip(ref, shape)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                                   f"got size {b} for tensor number {i} in the list.")
    return _out(Cat.apply(d, *tensors), out, "cat")


def concat(tensors, dim=0, *, axis=None, out=None):
    """Alias of ``cat``."""
    return cat(tensors, dim, axis=axis, out=out)


def concatenate(tensors, axis=0, out=None):
    """Alias of ``cat`` (NumPy's name and ``axis``)."""
    return cat(tensors, axis, out=out)


class Stack(Function):
    _array_forward = True
    _node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(select(g, ctx.dim, i) if need else None
                               for i, need in enumerate(ctx.needs_input_grad[1:]))


def stack(tensors, dim=0, *, axis=None, out=None):
    """Join tensors of equal shape along a new dimension ``dim``.

    >>> chainrule.stack([chainrule.zeros(3), chainrule.ones(3)], dim=1).shape
    torch.Size([3, 2])
    """
    tensors = _tensor_list(tensors, "stack")
    if axis is not None:
        dim = axis
    dim = _int_arg(dim, "stack", "dim")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {_fmt(ref)} at entry 0 and "
                               f"{_fmt(t._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(ref) + 1)
    return _out(Stack.apply(d, *_promoted(tensors)), out, "stack")


def _nonempty(tensors, name):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    tensors = _tensor_list(tensors, name)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out=None):
    """Concatenate column-wise: along dim 0 for 1-D tensors, dim 1 otherwise."""
    ts = _atleast(_nonempty([tensors], "hstack"), 1)
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Concatenate row-wise (1-D tensors become rows)."""
    return cat(_atleast(_nonempty([tensors], "vstack"), 2), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Concatenate depth-wise, along dim 2 (after ``atleast_3d``)."""
    return cat(_atleast(_nonempty([tensors], "dstack"), 3), 2, out=out)


def column_stack(tensors, *, out=None):
    """Stack as columns: 0-D and 1-D tensors become columns, then ``hstack``."""
    ts = _nonempty([tensors], "column_stack")
    ts = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in ts]
    return cat(ts, 1, out=out)


# -- repeat and tile ------------------------------------------------------------------------------------
class Repeat(Function):
    _array_forward = True
    _node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape = x.shape
        ctx.reps = reps
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        reps = ctx.reps
        padded = (1,) * (len(reps) - len(ctx.shape)) + tuple(ctx.shape)
        inter = []
        for r, s in zip(reps, padded):
            inter += [r, s]
        sum_dims = tuple(2 * i for i, r in enumerate(reps) if r != 1)
        g = reshape(g, tuple(inter))
        if sum_dims:
            g = g.sum(sum_dims)
        return reshape(g, ctx.shape), None


def repeat(input, *sizes):
    """Repeat the tensor ``sizes[i]`` times along each dim (leading sizes add dims); copies.

    >>> chainrule.tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    reps = _ints(sizes, "repeat", "repeats")
    shape = input._data.shape
    if len(reps) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           "of tensor")
    padded = (1,) * (len(reps) - len(shape)) + shape
    out = [r * s for r, s in zip(reps, padded)]
    for o in out:
        if o < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {o}: {_fmt(out)}")
    return Repeat.apply(input, reps)


def tile(input, dims):
    """Repeat ``input`` by ``dims`` per dimension; missing leading reps count as 1."""
    reps = _ints((dims,) if isinstance(dims, (tuple, list)) else (dims,), "tile", "dims")
    n = input._data.ndim
    if len(reps) < n:
        reps = (1,) * (n - len(reps)) + reps
    return repeat(input, reps)


def _tile_method(self, *dims):
    return tile(self, _ints(dims, "tile", "dims"))


# -- flip, roll, rot90 ------------------------------------------------------------------------------------
class Flip(Function):
    _array_forward = True
    _node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        if not x.ndim:
            return x.copy()
        idx = [slice(None)] * x.ndim
        for d in dims:
            idx[d] = slice(None, None, -1)
        return x[tuple(idx)].copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (copies)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    dims = _ints(dims, "flip", "dims", 2)
    return Flip.apply(input, dims_arg(dims, input._data.ndim) if dims else ())


def fliplr(input):
    """Flip left-right: reverse dim 1 (needs 2 or more dims)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip.apply(input, (1,))


def flipud(input):
    """Flip up-down: reverse dim 0 (needs 1 or more dims)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip.apply(input, (0,))


class Roll(Function):
    _array_forward = True
    _node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts = shifts
        ctx.dims = dims
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(g, neg, ctx.dims), None, None


def roll(input, shifts, dims=None):
    """Rotate elements along ``dims`` by ``shifts`` (over the flattened tensor when ``dims`` is None)."""
    shifts = _ints((shifts,) if isinstance(shifts, (tuple, list)) else (shifts,), "roll", "shifts")
    if dims is None:
        if not shifts:
            raise RuntimeError("`shifts` required")
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts[0], None)
    dims = _ints((dims,) if isinstance(dims, (tuple, list)) else (dims,), "roll", "dims")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    n = input._data.ndim
    return Roll.apply(input, shifts, tuple(wrap_dim(d, n) for d in dims))


class Rot90(Function):
    _array_forward = True
    _node_name = "Rot90Backward0"

    @staticmethod
    def forward(ctx, x, k, dims):
        ctx.k = k
        ctx.dims = dims
        return np.ascontiguousarray(np.rot90(x, k, dims))

    @staticmethod
    def backward(ctx, g):
        return Rot90.apply(g, -ctx.k, ctx.dims), None, None


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first towards the second."""
    dims = _ints((tuple(dims),), "rot90", "dims")
    n = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    d0, d1 = wrap_dim(dims[0], n), wrap_dim(dims[1], n)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    return Rot90.apply(input, operator.index(k) % 4, (d0, d1))


# -- tril, triu, diag, diag_embed --------------------------------------------------------------------------
class Tril(Function):
    _array_forward = True
    _node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return Tril.apply(g, ctx.k), None


class Triu(Function):
    _array_forward = True
    _node_name = "TriuBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.triu(x, k)

    @staticmethod
    def backward(ctx, g):
        return Triu.apply(g, ctx.k), None


def tril(input, diagonal=0, *, out=None):
    """The lower triangle of the last two dims (entries above ``diagonal`` become 0)."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return _out(Tril.apply(input, _int_arg(diagonal, "tril", "diagonal")), out, "tril")


def triu(input, diagonal=0, *, out=None):
    """The upper triangle of the last two dims (entries below ``diagonal`` become 0)."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return _out(Triu.apply(input, _int_arg(diagonal, "triu", "diagonal")), out, "triu")


class DiagEmbed(Function):
    _array_forward = True
    _node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        m = x.shape[-1] + abs(offset)
        rest = iter(x.shape[:-1])
        shape = tuple(m if i in (d1, d2) else next(rest) for i in range(x.ndim + 1))
        out = np.zeros(shape, x.dtype)
        _diag_view(out, offset, d1, d2)[...] = x
        return out

    @staticmethod
    def backward(ctx, g):
        return diagonal(g, *ctx.args), None, None, None


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Tensors whose diagonals (over ``dim1``/``dim2``, shifted by ``offset``) are the last dim of
    ``input``; zeros elsewhere."""
    n = input._data.ndim + 1
    d1, d2 = _diag_dims(n, dim1, dim2)
    return DiagEmbed.apply(input, operator.index(offset), d1, d2)


class DiagCopy(Function):
    _array_forward = True
    _node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset):
        ctx.shape = x.shape
        ctx.offset = offset
        return np.diagonal(x, offset).copy()

    @staticmethod
    def backward(ctx, g):
        return _DiagonalScatter.apply(g, ctx.shape, _diag_view, diagonal, (ctx.offset, 0, 1)), None


def diag(input, diagonal=0, *, out=None):
    """1-D input: the square matrix with it on diagonal ``diagonal``. 2-D input: that diagonal (a copy)."""
    n = input._data.ndim
    k = _int_arg(diagonal, "diag", "diagonal")
    if n == 1:
        return _out(DiagEmbed.apply(input, k, 0, 1), out, "diag")
    if n == 2:
        return _out(DiagCopy.apply(input, k), out, "diagonal")
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


# -- broadcasting ------------------------------------------------------------------------------------------
def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` broadcast to: ``broadcast_shapes((2, 1), (3,))`` is (2, 3)."""
    norm = [(operator.index(s),) if not isinstance(s, (tuple, list)) else tuple(operator.index(v) for v in s)
            for s in shapes]
    n = max((len(s) for s in norm), default=0)
    out = [1] * n
    for i, s in enumerate(norm):
        for k in range(1, len(s) + 1):
            a, b = out[-k], s[-k]
            if b == a or b == 1:
                continue
            if a != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {b} at {-k}! Mismatching argument "
                                   f"at index {i} had {s}; but expected shape should be broadcastable to {_fmt(out)}")
            out[-k] = b
    return Size(out)


def _broadcast_pair(a, b):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
    return tuple(out)


def broadcast_to(input, size):
    """``input`` expanded to ``size`` (a view)."""
    return expand(input, size)


def broadcast_tensors(*tensors):
    """Expand all tensors to their common broadcast shape (views; tensors of that shape come back as is)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:
        shape = _broadcast_pair(shape, t._data.shape)
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


# -- atleast_nd, meshgrid, cartesian_prod ------------------------------------------------------------------
def _atleast(tensors, n):
    out = []
    for t in tensors:
        k = t._data.ndim
        if k >= n:
            out.append(t)
        elif k == 0:
            out.append(reshape(t, (1,) * n))
        elif n == 2 or k == 2:  # (m,) -> (1, m); (m, p) -> (m, p, 1)
            out.append(unsqueeze(t, 0 if n == 2 else -1))
        else:  # (m,) -> (1, m, 1)
            out.append(unsqueeze(unsqueeze(t, 0), -1))
    return out


def _atleast_nd(tensors, n):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return _atleast(tensors, n)[0]
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return tuple(_atleast(_tensor_list(tuple(tensors), f"atleast_{n}d"), n))


def atleast_1d(*tensors):
    """0-D tensors become 1-D; others come back as they are."""
    return _atleast_nd(tensors, 1)


def atleast_2d(*tensors):
    """Tensors of fewer than 2 dims gain leading size-1 dims."""
    return _atleast_nd(tensors, 2)


def atleast_3d(*tensors):
    """Tensors of fewer than 3 dims become 3-D: (m,) -> (1, m, 1), (m, p) -> (m, p, 1)."""
    return _atleast_nd(tensors, 3)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors (views): ``indexing='ij'`` (matrix) or ``'xy'`` (Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(list(tensors), "meshgrid")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t!r}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    sizes = [t._data.size for t in tensors]
    pos = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * len(tensors)
    for p, s in zip(pos, sizes):
        shape[p] = s
    out = []
    for t, p in zip(tensors, pos):
        v = reshape(t, tuple(-1 if i == p else 1 for i in range(len(tensors))))
        out.append(expand(v, tuple(shape)))
    return tuple(out)


def cartesian_prod(*tensors):
    """All combinations of the elements of 1-D tensors, one per row (like itertools.product)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {_fmt(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


# -- pad -----------------------------------------------------------------------------------------------------
class ConstantPad(Function):
    _array_forward = True
    _node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, x.shape))
        x = x[crop]
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        if any(lo or hi for lo, hi in grow):
            return np.pad(x, grow, mode="constant", constant_values=value)
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.widths), 0), None, None


def _index_map(mode, n, lo, hi):
    """For each output position along a padded dim, the input position it reads."""
    if mode == "circular":  # negative widths crop first; the rest wraps around what is left
        c0 = max(-lo, 0)
        m = n - c0 - max(-hi, 0)
        return (np.arange(-max(lo, 0), m + max(hi, 0)) % max(m, 1)) + c0
    idx = np.arange(-lo, n + hi)
    if mode == "reflect":
        idx = np.abs(idx)
        return np.where(idx > n - 1, 2 * (n - 1) - idx, idx)
    return np.clip(idx, 0, n - 1)


class _IndexPad(Function):
    """Reflect/replicate/circular padding: a gather along each padded dim."""
    _array_forward = True

    @staticmethod
    def forward(ctx, x, specs):
        ctx.specs = specs
        for spec in specs:
            x = np.take(x, spec[1], axis=spec[0])
        return x

    @staticmethod
    def backward(ctx, g):
        return _PadScatter.apply(g, ctx.specs), None


class _PadScatter(Function):
    """The adjoint of ``_IndexPad``: sum each output position back into its source."""
    _array_forward = True
    _node_name = "PadBackwardBackward0"

    @staticmethod
    def forward(ctx, g, specs):
        ctx.specs = specs
        for d, idx, lo, hi, n in reversed(specs):
            shape = list(g.shape)
            shape[d] = n
            z = np.zeros(shape, g.dtype)
            pre = (slice(None),) * d
            # The unpadded run maps one to one; the pad positions (few) are added one by one.
            src, dst = max(-lo, 0), max(lo, 0)
            m = n - max(-lo, 0) - max(-hi, 0)
            z[pre + (slice(src, src + m),)] += g[pre + (slice(dst, dst + m),)]
            for j in list(range(dst)) + list(range(dst + m, len(idx))):
                z[pre + (idx[j],)] += g[pre + (j,)]
            g = z
        return g

    @staticmethod
    def backward(ctx, gg):
        return _IndexPad.apply(gg, ctx.specs), None


_PAD_CLASSES = {}


def _pad_class(mode, k):
    name = ("torch::autograd::CopySlices" if mode == "circular" else
            f"{'ReflectionPad' if mode == 'reflect' else 'ReplicationPad'}{k}DBackward0")
    cls = _PAD_CLASSES.get(name)
    if cls is None:
        cls = _PAD_CLASSES[name] = type(f"_{mode.capitalize()}Pad{k}d", (_IndexPad,), {"_node_name": name})
    return cls


_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``; ``pad`` lists (before, after) widths from the last dim backwards.

    ``mode``: ``'constant'`` (fill with ``value``; negative widths crop), ``'reflect'``,
    ``'replicate'`` or ``'circular'`` (these pad the last 1 to 3 dims of a batched input).

    >>> pad(chainrule.ones(1, 2), (1, 1)).tolist()
    [[0.0, 1.0, 1.0, 0.0]]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    for i, p in enumerate(pad):
        if isinstance(p, (bool, float, np.floating)) or not hasattr(p, "__index__"):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(p).__name__} at pos {i}")
    pad = tuple(operator.index(p) for p in pad)
    shape = input._data.shape
    ndim = len(shape)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {ndim}")
    widths = [(0, 0)] * ndim
    for i in range(k):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        for (lo, hi), n in zip(widths, shape):
            if n + lo + hi < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return ConstantPad.apply(input, tuple(widths), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not 1 <= k <= 3 or ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n{_SUPPORTED}")
    if mode == "reflect":
        if 0 in (shape[1:] if ndim == k + 2 else shape):
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
                               f"other non-zero dimensions for input, but got: {_fmt(shape)}")
        for j in range(k):
            d = ndim - 1 - j
            lo, hi = widths[d]
            if lo >= shape[d] or hi >= shape[d]:
                raise RuntimeError(f"Argument #{4 + 2 * j}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input {_fmt(shape)}")
    if mode in ("reflect", "replicate"):
        outs = [shape[d] + sum(widths[d]) for d in range(ndim - k, ndim)]
        if any(o < 1 for o in outs):
            names = "DHW"[3 - k:]
            ins = ", ".join(f"{c}: {shape[ndim - k + i]}" for i, c in enumerate(names))
            got = " ".join(f"{c}: {o}" for c, o in zip(names, outs))
            raise RuntimeError(f"input ({ins}{' ' if k > 1 else ''}) is too small. Calculated output {got}")
    else:
        for d in range(ndim - k, ndim):
            lo, hi = widths[d]
            if lo > shape[d] or hi > shape[d]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if shape[d] + lo + hi < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {shape[d] + lo + hi}")
    specs = tuple((d, _index_map(mode, shape[d], *widths[d]), widths[d][0], widths[d][1], shape[d])
                  for d in range(ndim - k, ndim) if widths[d] != (0, 0))
    return _pad_class(mode, k).apply(input, specs)


def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._apply_inplace(fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


METHODS = {
    "repeat": repeat, "tile": _tile_method, "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll,
    "rot90": rot90, "tril": tril, "triu": triu, "tril_": _inplace(tril), "triu_": _inplace(triu), "diag": diag,
    "diag_embed": diag_embed, "broadcast_to": broadcast_to,
}
