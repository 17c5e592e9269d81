"""Indexing: ``t[idx]``, ``t[idx] = v``, and the index ops (gather, scatter, index_*, masked_*).

``t[idx]`` follows PyTorch step by step: ints, slices and None are applied one at a time
as views (select, slice, unsqueeze), then any tensor indices are applied together as one
advanced index (a copy), with NumPy's rule for where the indexed dims go. ``t[idx] = v``
takes the same view, then copies, fills or index-puts into it in place.
"""
from __future__ import annotations

import operator
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function, _fw_levels
from ..autograd.grad_mode import _state
from ._common import wrap_dim
from .views import _expand_shape, expand, mark_view, reshape, unsqueeze

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "index_copy", "index_fill",
           "masked_fill", "masked_select", "masked_scatter", "take", "take_along_dim", "put", "index_put",
           "nonzero", "argwhere"]

_TNAME = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
          "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
          "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_ZERO_DIM = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
             "to convert a 0-dim tensor to a number")


def _tn(arr):
    return _TNAME[arr.dtype.name]


def _is_int(o):
    return isinstance(o, (int, np.integer)) and not isinstance(o, bool)


def _lst(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _recording(*ts):
    """Whether an op on ``ts`` must go through ``Function.apply`` (graph or forward-AD tangents)."""
    if _fw_levels and any(isinstance(t, Tensor) and t._fw is not None for t in ts):
        return True
    if not _state.grad_enabled:
        return False
    return any(isinstance(t, Tensor) and t._requires_grad for t in ts)


def _const(arr):
    return Tensor._make(arr)


# == basic indexing: views ==================================================================
class Select(Function):
    _array_forward = True
    _node_name = "SelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape = x.shape
        ctx.args = (dim, index)
        return x[(slice(None),) * dim + (index, Ellipsis)]

    @staticmethod
    def backward(ctx, g):
        return _Embed.apply(g, ctx.shape, "select", ctx.args), None, None


class Slice(Function):
    _array_forward = True
    _node_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, dim, start, stop, step):
        ctx.shape = x.shape
        ctx.args = (dim, start, stop, step)
        return x[(slice(None),) * dim + (slice(start, stop, step),)]

    @staticmethod
    def backward(ctx, g):
        return _Embed.apply(g, ctx.shape, "slice", ctx.args), None, None, None, None


class Alias(Function):
    _array_forward = True
    _node_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.view()

    @staticmethod
    def backward(ctx, g):
        return g


class _Embed(Function):
    """Zeros of ``shape`` with ``g`` written where a select or slice took it from."""
    _array_forward = True
    _node_name = "SelectBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, kind, args):
        ctx.kind, ctx.args = kind, args
        out = np.zeros(shape, dtype=g.dtype)
        out[_STEP_KEY[kind](*args)] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return _STEP_TENSOR[ctx.kind](gg, *ctx.args), None, None, None


_STEP_KEY = {
    "select": lambda dim, i: (slice(None),) * dim + (i, Ellipsis),
    "slice": lambda dim, a, b, s: (slice(None),) * dim + (slice(a, b, s),),
}


def _select(x, dim, index):
    return mark_view(Select.apply(x, dim, index), x, _select, dim, index)


def _slice(x, dim, start, stop, step):
    return mark_view(Slice.apply(x, dim, start, stop, step), x, _slice, dim, start, stop, step)


def _alias(x):
    return mark_view(Alias.apply(x), x, _alias)


_STEP_NAME = {"select": "Select", "slice": "Slice", "unsqueeze": "Unsqueeze", "alias": "Alias"}
_STEP_TENSOR = {"select": _select, "slice": _slice, "unsqueeze": unsqueeze, "alias": _alias}


def _step_array(a, step):
    kind = step[0]
    if kind == "select":
        return a[(slice(None),) * step[1] + (step[2], Ellipsis)]
    if kind == "slice":
        return a[(slice(None),) * step[1] + (slice(*step[2:]),)]
    if kind == "unsqueeze":
        return np.expand_dims(a, step[1])
    return a.view()


def _apply_steps(x, steps):
    """The view of ``x`` that a list of basic steps makes (one graph node per step when recording)."""
    if _recording(x):
        for st in steps:
            x = _STEP_TENSOR[st[0]](x, *st[1:])
        return x
    a = x._data
    for st in steps:
        a = _step_array(a, st)
    return mark_view(Tensor._make(a), x, _apply_steps, steps)


# == parsing an index =========================================================================
def _seq_warning():
    warnings.warn(
        "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
        "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor "
        "index, x[torch.tensor(seq)], which will result either in an error or a different result",
        UserWarning, stacklevel=4)


def _as_items(index):
    """PyTorch's (and old NumPy's) rule for when a list index means a tuple of indices."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, (list, range)):
        if len(index) < 32:
            for o in index:
                if o is None or o is Ellipsis or isinstance(o, (Tensor, slice, list, tuple, np.ndarray, str)):
                    _seq_warning()
                    return tuple(index)
    return (index,)


def _count(items):
    n = 0
    for o in items:
        if isinstance(o, Tensor):
            n += o._data.ndim if o._data.dtype.kind == "b" or o._data.dtype == np.uint8 else 1
        elif not (o is None or o is Ellipsis or isinstance(o, bool)):
            n += 1
    return n


def _seq_index(o):
    """A list (or array) used as an index: an int64 or bool array."""
    if isinstance(o, str):
        raise TypeError("new(): invalid data type 'str'")
    try:
        a = np.asarray(o._data if isinstance(o, Tensor) else o)
    except (ValueError, TypeError) as e:
        raise TypeError(f"could not convert {type(o).__name__} to an index tensor: {e}") from None
    if a.dtype.kind == "b":
        return a
    if a.dtype.kind in "iuf" or a.size == 0:
        return a.astype(np.int64)
    raise TypeError(f"new(): invalid data type '{a.dtype.name}'")


def _slice_args(o, size, optimize):
    try:
        start = None if o.start is None else operator.index(o.start)
        stop = None if o.stop is None else operator.index(o.stop)
        step = 1 if o.step is None else operator.index(o.step)
    except TypeError:
        raise TypeError("slice indices must be integers or None or have an __index__ method") from None
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")
    if optimize and not start and step == 1 and (stop is None or stop >= size):
        return None  # the whole dim: no op
    return slice(start, stop, step).indices(size)


def _parse(shape, index, optimize_single_slice):
    """Split an index into basic steps (views, in PyTorch's order) and advanced indices.

    Returns ``(steps, adv, cur)``: the steps, ``{dim: array}`` of tensor indices on the result of
    the steps, and that result's shape.
    """
    ndim = len(shape)
    if index.__class__ is int and ndim:  # the common case, quickly
        size = shape[0]
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {size}")
        return [("select", 0, index + size if index < 0 else index)], None, list(shape[1:])
    if _is_int(index) and ndim == 0:
        if index:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size 0")
        raise IndexError(_ZERO_DIM)
    if isinstance(index, slice) and ndim == 0:
        _slice_args(index, 0, False)  # its own errors come first
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    single_slice = isinstance(index, slice)
    items = _as_items(index)
    count = _count(items)
    if count > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    cur = list(shape)
    steps = []
    adv = {}
    dim = 0
    for pos, o in enumerate(items):
        if o is None:
            steps.append(("unsqueeze", dim))
            cur.insert(dim, 1)
            dim += 1
            continue
        if o is Ellipsis:
            dim += ndim - count
            continue
        if isinstance(o, bool):
            steps.append(("unsqueeze", dim))
            cur.insert(dim, 1)
            adv[dim] = np.zeros(1 if o else 0, dtype=np.int64)
            dim += 1
            continue
        if isinstance(o, Tensor) or (isinstance(o, np.ndarray) and o.ndim == 0):
            a = o._data if isinstance(o, Tensor) else _seq_index(o)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if a.ndim == 0:
                if a.dtype.kind == "b" or a.dtype == np.uint8:
                    steps.append(("unsqueeze", dim))
                    cur.insert(dim, 1)
                    adv[dim] = np.zeros(1 if a else 0, dtype=np.int64)
                    dim += 1
                    continue
                o = int(a)
            else:
                o = a
        elif isinstance(o, (list, tuple, range, np.ndarray, str)):
            o = _seq_index(o)
            if o.ndim == 0:
                o = o.reshape(1)
        if _is_int(o):
            if dim >= len(cur):
                raise IndexError(_ZERO_DIM if not cur else f"too many indices for tensor of dimension {ndim}")
            size = cur[dim]
            i = int(o)
            if not -size <= i < size:  # PyTorch names the position in the index tuple
                raise IndexError(f"index {i} is out of bounds for dimension {pos} with size {size}")
            steps.append(("select", dim, i + size if i < 0 else i))
            cur.pop(dim)
            continue
        if isinstance(o, slice):
            if dim >= len(cur):
                raise IndexError("slice() cannot be applied to a 0-dim tensor." if not cur
                                 else f"too many indices for tensor of dimension {ndim}")
            r = _slice_args(o, cur[dim], not single_slice or optimize_single_slice)
            if r is not None:
                steps.append(("slice", dim) + r)
                cur[dim] = len(range(*r))
            dim += 1
            continue
        if isinstance(o, np.ndarray):
            if o.dtype == np.uint8:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                              "torch.bool instead.", UserWarning, stacklevel=3)
                o = o.astype(bool)
            adv[dim] = o
            dim += o.ndim if o.dtype.kind == "b" else 1
            continue
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                         f"are valid indices (got {_typename(o)})")
    return steps, adv or None, cur


class _Key:
    """A checked advanced index: the NumPy key, the result's shape, and what the key holds."""
    __slots__ = ("np", "shape", "has_int", "empty")

    def __init__(self, key, shape, has_int):
        self.np = key
        self.shape = shape
        self.has_int = has_int
        self.empty = 0 in shape  # nothing is read or written (and PyTorch checks no index)


def _adv_key(cur, adv):
    """Check tensor indices against the shape they index (PyTorch's errors and order): a ``_Key``."""
    key = []
    bshapes = []  # one per indexed dim, as PyTorch counts them (a k-dim mask is k index tensors)
    checks = []  # (position among those, int index array, size of the dim it indexes)
    has_int = False
    covered = 0  # dims of ``cur`` that ``key`` indexes so far
    for d in sorted(adv):
        a = adv[d]
        while covered < d:
            key.append(slice(None))
            covered += 1
        if a.dtype.kind == "b":
            for j in range(a.ndim):
                if d + j >= len(cur) or a.shape[j] != cur[d + j]:
                    raise IndexError(f"The shape of the mask {_lst(a.shape)} at index {j} does not match the "
                                     f"shape of the indexed tensor {_lst(cur)} at index {d + j}")
            bshapes.extend([(int(np.count_nonzero(a)),)] * a.ndim)
        else:
            if d >= len(cur):
                raise IndexError(f"too many indices for tensor of dimension {len(cur)}")
            checks.append((len(bshapes), a, cur[d]))
            bshapes.append(a.shape)
            has_int = True
        key.append(a)
        covered += a.ndim if a.dtype.kind == "b" else 1
    try:
        b = np.broadcast_shapes(*bshapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(_lst(s) for s in bshapes)) from None
    if 0 not in b and any(size == 0 and a.size for _, a, size in checks):
        raise IndexError("index is out of bounds for dimension with size 0")
    # Where the indexed dims go: in place if the tensor indices are adjacent, else first.
    pos = [i for i, k in enumerate(key) if not isinstance(k, slice)]
    dims = []
    d = 0
    first = None
    for k in key:
        n = k.ndim if not isinstance(k, slice) and k.dtype.kind == "b" else 1
        if isinstance(k, slice):
            dims.append(cur[d])
        else:
            if first is None:
                first = len(dims)
        d += n
    rest = list(cur[d:])
    if pos == list(range(pos[0], pos[-1] + 1)):
        shape = dims[:first] + list(b) + dims[first:] + rest
    else:
        shape = list(b) + dims + rest
    shape = tuple(shape)
    bads = [] if 0 in shape else [(j, a, size, (a >= size) | (a < -size)) for j, a, size in checks if a.size]
    if any(bad.any() for _, _, _, bad in bads):
        # PyTorch reports the first bad element in result order, by its position among the index tensors.
        anybad = np.zeros(b, dtype=bool)
        for _, _, _, bad in bads:
            anybad |= np.broadcast_to(bad, b)
        p = np.unravel_index(int(np.argmax(anybad.reshape(-1))), b)
        for j, a, size, bad in bads:
            if np.broadcast_to(bad, b)[p]:
                v = np.broadcast_to(a, b)[p]
                raise IndexError(f"index {v} is out of bounds for dimension {j} with size {size}")
    return _Key(tuple(key), shape, has_int)


# == advanced indexing: copies ===================================================================
class Index(Function):
    _array_forward = True
    _node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape = x.shape
        ctx.key = key
        return np.zeros(key.shape, x.dtype) if key.empty else x[key.np]

    @staticmethod
    def backward(ctx, g):
        return _IndexAccumulate.apply(g, ctx.key, ctx.shape), None


def _add_along(out, dim, idx, vals):
    """``out[..., idx[k], ...] += vals[..., k, ...]`` along ``dim``, repeated indices summing.

    ``np.add.at`` is slow when each index adds a whole row; sorting the indices and summing
    runs of equal ones with ``reduceat`` is much faster there.
    """
    if vals.size == 0:
        return
    o = np.moveaxis(out, dim, 0)
    v = np.moveaxis(vals, dim, 0)
    if v.ndim == 1 or v[0].size == 1:
        np.add.at(o, idx, v)
        return
    n = o.shape[0]
    idx = np.where(idx < 0, idx + n, idx)
    order = np.argsort(idx, kind="stable")
    si = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], si[1:] != si[:-1])))
    o[si[starts]] += np.add.reduceat(v[order], starts, axis=0)


def _add_at(out, key, vals):
    """``np.add.at(out, key, vals)``, fast when ``key`` is one index array among full slices."""
    arrays = [i for i, k in enumerate(key) if not isinstance(k, slice)]
    if len(arrays) == 1 and key[arrays[0]].dtype.kind != "b":
        d = arrays[0]
        idx = key[d]
        shape = out.shape[:d] + idx.shape + out.shape[d + 1:]
        vals = np.broadcast_to(vals, shape).reshape(out.shape[:d] + (idx.size,) + out.shape[d + 1:])
        _add_along(out, d, idx.reshape(-1), vals)
    else:
        np.add.at(out, key, vals)


class _IndexAccumulate(Function):
    """Zeros of ``shape`` with ``g`` added at an advanced index (repeated indices accumulate)."""
    _array_forward = True
    _node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, key, shape):
        ctx.key = key
        out = np.zeros(shape, dtype=g.dtype)
        if key.empty:
            pass
        elif key.has_int:
            _add_at(out, key.np, g)
        else:  # masks only: no index repeats
            out[key.np] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, ctx.key), None, None


class IndexPut(Function):
    """``x`` with ``value`` written (or added) at an advanced index, out of place."""
    _array_forward = True
    _node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, value, key, accumulate):
        ctx.key = key
        ctx.accumulate = accumulate
        out = x.copy()
        if key.empty:
            pass
        elif accumulate:
            _add_at(out, key.np, value)
        else:
            out[key.np] = value
        return out

    @staticmethod
    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = g if ctx.accumulate else IndexPut.apply(g, 0, ctx.key, False)
        if ctx.needs_input_grad[1]:
            gv = Index.apply(g, ctx.key)
        return gx, gv, None, None


def getitem(x, index):
    """``x[index]``: basic indices give views; tensor, list and bool indices give copies."""
    steps, adv, cur = _parse(x._data.shape, index, False)
    if not adv:
        if not steps:
            return _alias(x) if _recording(x) else mark_view(Tensor._make(x._data.view()), x, _alias)
        return _apply_steps(x, steps)
    return Index.apply(_apply_steps(x, steps) if steps else x, _adv_key(cur, adv))


# == setitem ========================================================================================
class _Copy(Function):
    """``dst.copy_(src)`` out of place: ``src`` already has ``dst``'s shape and dtype."""
    _array_forward = True
    _node_name = "torch::autograd::CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        return np.broadcast_to(src, dst.shape)  # only an empty dst needs broadcasting here

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros_like
        return (zeros_like(g) if ctx.needs_input_grad[0] else None), g


class _Fill(Function):
    """``dst.fill_(value)`` out of place, with a 0-dim tensor (or number) value."""
    _array_forward = True
    _node_name = "FillBackward3"

    @staticmethod
    def forward(ctx, dst, value):
        return np.full(dst.shape, value, dtype=dst.dtype)

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros_like
        return (zeros_like(g) if ctx.needs_input_grad[0] else None), (g.sum() if ctx.needs_input_grad[1] else None)


def _number_array(value, dtype):
    return np.asarray(value).astype(dtype)


def _strip_ones(v):
    """Drop leading size-1 dims of a value (PyTorch allows ``x[0] = t.view(1, 1, n)``)."""
    shape = v._data.shape
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return reshape(v, shape[k:]) if k else v


def _expand_value(v, shape):
    """``v.expand(shape)`` (with its errors); an empty target is left to the copy to broadcast."""
    if 0 in shape:
        _expand_shape(v, shape)
        return v
    return expand(v, shape)


def _check_overlap(dst, src):
    if np.may_share_memory(dst, src):
        same = (dst.__array_interface__["data"][0] == src.__array_interface__["data"][0]
                and dst.strides == src.strides and dst.shape == src.shape)
        if not same and np.shares_memory(dst, src):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to "
                               "tensor refer to a single memory location. Please clone() the tensor before "
                               "performing the operation.")


def _typename(v):
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def setitem(x, index, value):
    """``x[index] = value`` in place: a copy into a view, or an index_put for tensor indices."""
    if isinstance(value, Tensor):
        vt = value
    elif isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        vt = None
    else:
        raise TypeError(f"can't assign a {_typename(value)} to a {x.type()}")
    if index is False:
        return
    if index is True:
        steps, adv, cur = [("unsqueeze", 0)], {}, [1] + list(x._data.shape)
    else:
        steps, adv, cur = _parse(x._data.shape, index, True)
    dt = x._data.dtype
    if adv:
        key = _adv_key(cur, adv)
        rshape = key.shape
        if len(adv) == 1 and (vt is None or vt._data.size == 1) and any(
                isinstance(i, Tensor) and i._data.dtype == np.uint8 and i._data.ndim for i in _as_items(index)):
            # One byte mask and a one-element value: PyTorch's masked_fill_ fast path, which rejects bytes.
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
        if vt is not None:
            if vt._data.dtype != dt:
                raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                                   f"{_tn(x._data)} for the destination and {_tn(vt._data)} for the source.")
            vt = _strip_ones(vt)
            vs = vt._data.shape
            try:
                ok = np.broadcast_shapes(vs, rshape) == rshape
            except ValueError:
                ok = False
            if not ok:
                raise RuntimeError(f"shape mismatch: value tensor of shape {_lst(vs)} cannot be broadcast to "
                                   f"indexing result of shape {_lst(rshape)}")
    base = x._base
    vtan = value._fw if vt is not None else None
    fw = _fw_levels and (x._fw is not None or vtan is not None)
    if _state.grad_enabled and (x._requires_grad or (vt is not None and vt._requires_grad)
                                or (base is not None and base._requires_grad)):
        vf = x._view_fn
        if steps and vf is not None and vf[3] == "no_grad":
            raise RuntimeError(
                f"Output 0 of {_STEP_NAME[steps[-1][0]]} is a view of a view which was created in no_grad mode and "
                "is being modified inplace with grad mode enabled. Given that this use case is ambiguous and "
                "error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace "
                "either both inside the no_grad block (if you don't want the inplace to be tracked) or both "
                "outside (if you want the inplace to be tracked).")
        t = _apply_steps(x, steps) if steps else x
        if adv:
            v = vt if vt is not None else _number_array(value, dt)
            result = IndexPut.apply(t, v, key, False)
        else:
            if vt is None:
                vt = _const(_number_array(value, dt))
            elif vt._data.dtype != dt:
                vt = vt.to(t.dtype)
            if vt._data.shape == t._data.shape:
                _check_overlap(t._data, vt._data)
                result = _Copy.apply(t, vt)
            elif vt._data.ndim == 0:
                result = _Fill.apply(t, vt)
            else:
                vt = _expand_value(_strip_ones(vt), t._data.shape)
                _check_overlap(t._data, vt._data)
                result = _Copy.apply(t, vt)
        t._apply_inplace(result)
    else:
        _write(x, steps, adv and key, vt, value, dt)
    if fw:  # forward AD: the same write, applied to the tangents
        from ..autograd.forward_ad import _remember
        xt = x._fw.clone() if x._fw is not None else _const(np.zeros(x._data.shape, dt))
        _write(xt, steps, adv and key, vtan, 0., dt)
        x._fw = xt
        _remember(x)


def _write(x, steps, key, vt, value, dt):
    """``x[index] = value`` on arrays, with the index already parsed and checked."""
    a = x._data
    for st in steps:
        a = _step_array(a, st)
    if key:
        if not key.empty:
            a[key.np] = vt._data if vt is not None else _number_array(value, dt)
    else:
        if vt is None:
            src = _number_array(value, dt)
        else:
            src = vt._data
            if src.shape != a.shape and src.ndim:
                src = _expand_value(_strip_ones(vt.detach()), a.shape)._data
            _check_overlap(a, src)
        np.copyto(a, src, casting="unsafe")
    x._vc[0] += 1


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` written (or added, if ``accumulate``) at ``input[indices]``."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 3) must be Tensor, not {type(values).__name__}")
    items = tuple(i if i is not None else slice(None) for i in indices)
    for i in items:
        if isinstance(i, Tensor) and i._data.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    steps, adv, cur = _parse(input._data.shape, items, True)
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_tn(input._data)} for the destination and {_tn(values._data)} for the source.")
    if not adv:
        out = input.clone()
        out[items] = values
        return out
    key = _adv_key(cur, adv)
    rshape = key.shape
    v = _strip_ones(values)
    try:
        ok = np.broadcast_shapes(v._data.shape, rshape) == rshape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_lst(v._data.shape)} cannot be broadcast to "
                           f"indexing result of shape {_lst(rshape)}")
    return IndexPut.apply(input, v, key, bool(accumulate))


# == shared argument checks ======================================================================
def _need_tensor(x, fname, argname, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _out(result, out):
    if out is None:
        return result
    if _state.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one of the "
                           "arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out


def _as1d(a):
    return a.reshape(1) if a.ndim == 0 else a


def _along(idx, dim):
    """The NumPy key that picks ``x[i][j][idx[i][j][k]]`` (for dim 2): index ``idx`` along ``dim``."""
    n = idx.ndim
    key = []
    for d in range(n):
        if d == dim:
            key.append(idx)
        else:
            shp = [1] * n
            shp[d] = idx.shape[d]
            key.append(np.arange(idx.shape[d]).reshape(shp))
    return tuple(key)


def _check_range(idx, size, dim, exc=RuntimeError, neg_ok=False, prefix=""):
    if idx.size:
        lo = -size if neg_ok else 0
        bad = (idx >= size) | (idx < lo)
        if bad.any():
            v = idx.reshape(-1)[int(np.argmax(bad.reshape(-1)))]
            raise exc(f"{prefix}index {v} is out of bounds for dimension {dim} with size {size}")


class _PadTo(Function):
    """Zeros of ``shape`` with ``g`` in the leading corner (for sources larger than the index)."""
    _array_forward = True
    _node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, g, shape):
        ctx.key = tuple(slice(0, s) for s in g.shape)
        out = np.zeros(shape, dtype=g.dtype)
        out[ctx.key] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return getitem(gg, ctx.key), None


def _pad_to(g, shape):
    return g if g._data.shape == tuple(shape) else _PadTo.apply(g, tuple(shape))


class _NotImplemented(Function):
    _array_forward = True
    _node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, x, src, op, dim, index, reduce):
        ctx.op = op
        return _scatter_np(x, dim, index, src, reduce)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.op} is not implemented")


# == gather / scatter ================================================================================
class Gather(Function):
    _array_forward = True
    _node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape = x.shape
        ctx.dim = dim
        ctx.save_for_backward(index)
        if x.ndim == 0:
            return _as1d(x)[_along(_as1d(index), 0)].reshape(index.shape)
        return x[_along(index, dim)]

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        zeros = _const(np.zeros(ctx.shape, dtype=g._data.dtype))
        return ScatterAdd.apply(zeros, ctx.dim, index, g), None, None


def _dims_ok(input, index, fname, other=None, other_name=None):
    ni, nx = max(index._data.ndim, 1), max(input._data.ndim, 1)
    if other is not None and max(other._data.ndim, 1) != ni:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {other_name} tensor")
    if ni != nx:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {fname} tensor")


def _index_dtype(index, fname):
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index")


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Values of ``input`` along ``dim`` at ``index``: ``out[i][j] = input[i][index[i][j]]`` (dim=1).

    >>> chainrule.tensor([[1., 2.], [3., 4.]]).gather(1, chainrule.tensor([[1], [0]]))
    tensor([[2.],
            [3.]])
    """
    _need_tensor(input, "gather", "input", 1)
    _need_tensor(index, "gather", "index", 3)
    x, idx = input._data, index._data
    d = wrap_dim(dim, x.ndim)
    _index_dtype(index, "gather")
    _dims_ok(input, index, "input")
    if x.ndim:
        for k in range(x.ndim):
            if k != d and idx.shape[k] > x.shape[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index {_lst(idx.shape)} to be "
                                   f"no larger than self {_lst(x.shape)} apart from dimension {d}")
    _check_range(idx, x.shape[d] if x.ndim else 1, d)
    return _out(Gather.apply(input, d, index), out)


def _scatter_checks(input, d, index, src, fname):
    x, idx = input._data, index._data
    _index_dtype(index, "scatter")
    if src is not None and src._data.dtype != x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _dims_ok(input, index, "self", src, "src")
    if x.ndim and idx.ndim:
        bad = any(k != d and idx.shape[k] > x.shape[k] for k in range(x.ndim))
        if src is not None:
            if bad or any(idx.shape[k] > src._data.shape[k] for k in range(idx.ndim)):
                raise RuntimeError(f"Expected index {_lst(idx.shape)} to be no larger than self {_lst(x.shape)} "
                                   f"apart from dimension {d} and to be no larger size than src "
                                   f"{_lst(src._data.shape)}")
        elif bad:
            raise RuntimeError(f"Expected index {_lst(idx.shape)} to be no larger than self {_lst(x.shape)} "
                               f"apart from dimension {d}")
    _check_range(idx, x.shape[d] if x.ndim else 1, d)


def _src_part(src, index):
    """The part of ``src`` that ``index`` covers (sources may be larger than the index)."""
    if src.ndim == 0 or src.shape == index.shape:
        return src.reshape(index.shape) if src.ndim == 0 and index.ndim == 0 else src
    return src[tuple(slice(0, s) for s in index.shape)]


def _scatter_np(x, dim, index, src, reduce=None):
    out = x.copy()
    o, i = (out.reshape(1), _as1d(index)) if out.ndim == 0 else (out, index)
    s = _as1d(src) if isinstance(src, np.ndarray) and x.ndim == 0 else src
    s = _src_part(s, i) if isinstance(s, np.ndarray) else s
    key = _along(i, dim)
    if reduce == "add":
        np.add.at(o, key, s)
    elif reduce == "multiply":
        np.multiply.at(o, key, s)
    else:
        o[key] = s
    return out


class Scatter(Function):
    _array_forward = True
    _node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.src_shape = src.shape
        ctx.save_for_backward(index)
        return _scatter_np(x, dim, index, src)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gx = scatter(g, ctx.dim, index, 0.0) if ctx.needs_input_grad[0] else None
        gs = _pad_to(gather(g, ctx.dim, index), ctx.src_shape) if ctx.needs_input_grad[3] else None
        return gx, None, None, gs


class ScatterValue(Function):
    _array_forward = True
    _node_name = "ScatterBackward1"

    @staticmethod
    def forward(ctx, x, dim, index, value):
        ctx.dim = dim
        ctx.save_for_backward(index)
        return _scatter_np(x, dim, index, value)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        return scatter(g, ctx.dim, index, 0.0), None, None, None


class ScatterAdd(Function):
    _array_forward = True
    _node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.src_shape = src.shape
        ctx.save_for_backward(index)
        return _scatter_np(x, dim, index, src, "add")

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gs = _pad_to(gather(g, ctx.dim, index), ctx.src_shape) if ctx.needs_input_grad[3] else None
        return g, None, None, gs


def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None, _op="scatter"):
    """``input`` with ``src`` (a tensor) or ``value`` (a number) written along ``dim`` at ``index``.

    ``reduce='add'`` or ``'multiply'`` combines with the existing values instead (no gradient).
    """
    _need_tensor(input, "scatter", "input", 1)
    _need_tensor(index, "scatter", "index", 3)
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if value is not None and not isinstance(value, (bool, int, float, np.number)):
        raise TypeError(f"scatter(): argument 'value' must be Number, not {type(value).__name__}")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    d = wrap_dim(dim, input._data.ndim)
    _scatter_checks(input, d, index, src, "scatter")
    if reduce is not None:
        if src is not None:
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                          "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        s = src if src is not None else _number_array(value, input._data.dtype)
        if _recording(input, src):
            res = _NotImplemented.apply(input, s, _op, d, index._data, reduce)
        else:
            res = _const(_scatter_np(input._data, d, index._data, s._data if src is not None else s, reduce))
        return _out(res, out)
    if src is not None:
        return _out(Scatter.apply(input, d, index, src), out)
    return _out(ScatterValue.apply(input, d, index, _number_array(value, input._data.dtype)), out)


def scatter_add(input, dim, index, src, *, out=None):
    """``input`` with ``src`` added along ``dim`` at ``index`` (repeated indices accumulate)."""
    _need_tensor(input, "scatter_add", "input", 1)
    _need_tensor(index, "scatter_add", "index", 3)
    _need_tensor(src, "scatter_add", "src", 4)
    d = wrap_dim(dim, input._data.ndim)
    _scatter_checks(input, d, index, src, "scatter_add")
    return _out(ScatterAdd.apply(input, d, index, src), out)


# == index_select / index_add / index_copy / index_fill ============================================
def _dim_key(dim, idx):
    return (slice(None),) * dim + (idx,)


class IndexSelect(Function):
    _array_forward = True
    _node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape = x.shape
        ctx.dim = dim
        ctx.save_for_backward(index)
        if x.ndim == 0:
            return x.reshape(1)[index.reshape(-1)].reshape(())
        return np.take(x, index.reshape(-1), axis=dim)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        zeros = _const(np.zeros(ctx.shape, dtype=g._data.dtype))
        return IndexAdd.apply(zeros, ctx.dim, index, g, 1), None, None


def index_select(input, dim, index, *, out=None):
    """The slices of ``input`` along ``dim`` at the positions in the 1-D ``index``.

    >>> chainrule.tensor([[1., 2.], [3., 4.]]).index_select(1, chainrule.tensor([1, 1]))
    tensor([[2., 2.],
            [4., 4.]])
    """
    _need_tensor(input, "index_select", "input", 1)
    _need_tensor(index, "index_select", "index", 3)
    x, idx = input._data, index._data
    d = wrap_dim(dim, x.ndim)
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if x.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    size = x.shape[d] if x.ndim else 1
    if idx.size:
        bad = (idx >= size) | (idx < 0)
        if bad.any():
            v = idx.reshape(-1)[int(np.argmax(bad.reshape(-1)))]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={v} axis_dim={size}")
    return _out(IndexSelect.apply(input, d, index), out)


class IndexAdd(Function):
    _array_forward = True
    _node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        ctx.dim = dim
        ctx.alpha = alpha
        ctx.src_shape = source.shape
        ctx.save_for_backward(index)
        out = x.copy()
        src = source if alpha == 1 else source * np.asarray(alpha, dtype=x.dtype)
        if x.ndim == 0:
            np.add.at(out.reshape(1), index.reshape(-1), src.reshape(-1))
        else:
            _add_along(out, dim, index.reshape(-1), src.reshape(src.shape if src.ndim else (1,)))
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gs = None
        if ctx.needs_input_grad[3]:
            gs = index_select(g, ctx.dim, index)
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
            if gs._data.shape != ctx.src_shape:
                gs = reshape(gs, ctx.src_shape)
        return g, None, None, gs, None


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """``input`` with ``alpha * source`` added to the slices along ``dim`` at ``index``."""
    _need_tensor(input, "index_add", "input", 1)
    _need_tensor(index, "index_add", "index", 3)
    _need_tensor(source, "index_add", "source", 4)
    x, idx, s = input._data, index._data, source._data
    d = wrap_dim(dim, x.ndim)
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_tn(idx)}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_tn(idx)} and size: {_lst(idx.shape)}")
    if s.dtype != x.dtype:
        raise RuntimeError(f"index_add_(): self ({_tn(x)}) and source ({_tn(s)}) must have the same scalar type")
    sd = s.shape[d] if s.ndim else 1
    if idx.size != sd:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({sd}), for dim: {d}")
    if (x.ndim or s.ndim) and (s.ndim != x.ndim or any(k != d and s.shape[k] != x.shape[k] for k in range(x.ndim))):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {_lst(x.shape)} source.shape = {_lst(s.shape)}")
    _check_range(idx, x.shape[d] if x.ndim else 1, d)
    if x.dtype.kind != "f":
        alpha = int(alpha) if x.dtype.kind != "b" else bool(alpha)
    return _out(IndexAdd.apply(input, d, index, source, alpha), out)


class IndexCopy(Function):
    _array_forward = True
    _node_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, source):
        ctx.dim = dim
        ctx.src_shape = source.shape
        ctx.save_for_backward(index)
        out = x.copy()
        if x.ndim == 0:
            out.reshape(1)[index.reshape(-1)] = source.reshape(-1)
        else:
            out[_dim_key(dim, index.reshape(-1))] = source.reshape(source.shape if source.ndim else (1,))
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gx = index_fill(g, ctx.dim, index, 0.0) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[3]:
            gs = index_select(g, ctx.dim, index)
            if gs._data.shape != ctx.src_shape:
                gs = reshape(gs, ctx.src_shape)
        return gx, None, None, gs


def index_copy(input, dim, index, source, *, out=None):
    """``input`` with the slices along ``dim`` at ``index`` replaced by those of ``source``."""
    _need_tensor(input, "index_copy", "input", 1)
    _need_tensor(index, "index_copy", "index", 3)
    _need_tensor(source, "index_copy", "source", 4)
    x, idx, s = input._data, index._data, source._data
    d = wrap_dim(dim, x.ndim)
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_tn(idx)}")
    if s.dtype != x.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_tn(x)} and (source) {_tn(s)}")
    if idx.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got " + str(idx.ndim) + ")")
    if x.ndim and s.ndim and x.ndim != s.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({s.ndim}), destination dimensionality ({x.ndim})")
    sd = s.shape[d] if s.ndim else 1
    if idx.size != sd:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) ({sd})")
    if x.ndim and s.ndim:
        for k in range(x.ndim):
            if k != d and x.shape[k] != s.shape[k]:
                j = k if k < d else k - 1
                raise RuntimeError("index_copy_(): Source/destination tensor must have same slice shapes. "
                                   f"Destination slice shape: {x.shape[k]} at dimension {j} and source slice "
                                   f"shape: {s.shape[k]} at dimension {j}.")
    _check_range(idx, x.shape[d] if x.ndim else 1, d, IndexError, prefix="index_copy_(): ")
    return _out(IndexCopy.apply(input, d, index, source), out)


class IndexFill(Function):
    _array_forward = True
    _node_name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, value):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        v = np.asarray(value).astype(x.dtype)
        if x.ndim == 0:
            out.reshape(1)[index.reshape(-1)] = v
        else:
            out[_dim_key(dim, index.reshape(-1))] = v
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gx = index_fill(g, ctx.dim, index, 0.0) if ctx.needs_input_grad[0] else None
        gv = None
        if ctx.needs_input_grad[3]:
            size = g._data.shape[ctx.dim] if g._data.ndim else 1
            uniq = np.unique(index._data.reshape(-1) % max(size, 1))
            gv = index_select(g, ctx.dim, _const(uniq)).sum()
        return gx, None, None, gv


class IndexFillTensor(IndexFill):
    _node_name = "IndexFillBackward1"


def index_fill(input, dim, index, value):
    """``input`` with the slices along ``dim`` at ``index`` set to ``value`` (number or 0-dim tensor)."""
    _need_tensor(input, "index_fill", "input", 1)
    _need_tensor(index, "index_fill", "index", 3)
    x, idx = input._data, index._data
    d = wrap_dim(dim, x.ndim)
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
    elif not isinstance(value, (bool, int, float, np.number)):
        raise TypeError(f"index_fill(): argument 'value' must be Number, not {type(value).__name__}")
    _check_range(idx, x.shape[d] if x.ndim else 1, d, IndexError, neg_ok=True)
    if isinstance(value, Tensor):
        return IndexFillTensor.apply(input, d, index, value)
    return IndexFill.apply(input, d, index, value)


# == masked ops ==========================================================================================
def _mask_check(mask, fname, style):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{fname}(): argument 'mask' (position 2) must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        if style == "select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        name = _CNAME[mask._data.dtype.name] if style == "fill" else _tn(mask._data)
        raise RuntimeError(f"{fname}_ only supports boolean masks, but got mask with dtype {name}")


def _bshape(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        na, nb = len(a), len(b)
        n = max(na, nb)
        for i in range(n - 1, -1, -1):
            sa = a[i - (n - na)] if i - (n - na) >= 0 else 1
            sb = b[i - (n - nb)] if i - (n - nb) >= 0 else 1
            if sa != sb and sa != 1 and sb != 1:
                raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                                   f"non-singleton dimension {i}") from None
        raise


class MaskedFill(Function):
    _array_forward = True
    _node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return np.where(mask, np.asarray(value).astype(x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        m = ctx.mask
        gx = MaskedFill.apply(g, m, 0) if ctx.needs_input_grad[0] else None
        gv = None
        if ctx.needs_input_grad[2]:
            gv = MaskedFill.apply(g, ~m, 0).sum()
        return gx, None, gv


class MaskedFillTensor(MaskedFill):
    _node_name = "MaskedFillBackward1"


def masked_fill(input, mask, value):
    """``input`` with ``value`` (a number or 0-dim tensor) where the bool ``mask`` is True.

    >>> x = chainrule.tensor([1., -2., 3.])
    >>> x.masked_fill(x < 0, 0.)
    tensor([1., 0., 3.])
    """
    _need_tensor(input, "masked_fill", "input", 1)
    _mask_check(mask, "masked_fill", "fill")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
    elif not isinstance(value, (bool, int, float, np.number)):
        raise TypeError(f"masked_fill(): argument 'value' must be Number, not {type(value).__name__}")
    _bshape(mask._data.shape, input._data.shape)
    if isinstance(value, Tensor):
        return MaskedFillTensor.apply(input, mask._data, value)
    return MaskedFill.apply(input, mask._data, value)


class MaskedSelect(Function):
    _array_forward = True
    _node_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, x, mask):
        shape = np.broadcast_shapes(x.shape, mask.shape)
        ctx.mask = np.broadcast_to(mask, shape)
        ctx.shape = shape
        return np.broadcast_to(x, shape)[ctx.mask]

    @staticmethod
    def backward(ctx, g):
        zeros = _const(np.zeros(ctx.shape, dtype=g._data.dtype))
        return MaskedScatter.apply(zeros, ctx.mask, g), None


def masked_select(input, mask, *, out=None):
    """A 1-D tensor of the values of ``input`` where ``mask`` is True (the two broadcast)."""
    _need_tensor(input, "masked_select", "input", 1)
    _mask_check(mask, "masked_select", "select")
    _bshape(mask._data.shape, input._data.shape)
    return _out(MaskedSelect.apply(input, mask._data), out)


class MaskedScatter(Function):
    _array_forward = True
    _node_name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, x, mask, source):
        shape = np.broadcast_shapes(x.shape, mask.shape)
        m = np.broadcast_to(mask, shape)
        ctx.mask = m
        ctx.src_shape = source.shape
        out = np.array(np.broadcast_to(x, shape))
        n = int(np.count_nonzero(m))
        out[m] = source.reshape(-1)[:n]
        return out

    @staticmethod
    def backward(ctx, g):
        m = ctx.mask
        gx = MaskedFill.apply(g, m, 0) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[2]:
            gs = MaskedSelect.apply(g, m)
            numel = int(np.prod(ctx.src_shape))
            gs = reshape(_pad_to(gs, (numel,)), ctx.src_shape)
        return gx, None, gs


def masked_scatter(input, mask, source):
    """``input`` with the elements of ``source``, in order, copied where ``mask`` is True."""
    _need_tensor(input, "masked_scatter", "input", 1)
    _mask_check(mask, "masked_scatter", "scatter")
    _need_tensor(source, "masked_scatter", "source", 3)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_tn(input._data)} and {_tn(source._data)}")
    shape = _bshape(mask._data.shape, input._data.shape)
    n = int(np.count_nonzero(np.broadcast_to(mask._data, shape)))
    if source._data.size < n:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(input, mask._data, source)


# == take / put ================================================================================
def _flat_range(idx, n):
    if idx.size:
        bad = (idx >= n) | (idx < -n)
        if bad.any():
            v = idx.reshape(-1)[int(np.argmax(bad.reshape(-1)))]
            raise IndexError(f"out of range: tried to access index {v} on a tensor of {n} elements.")


class Take(Function):
    _array_forward = True
    _node_name = "TakeBackward0"

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape = x.shape
        ctx.save_for_backward(index)
        return x.reshape(-1)[index]

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        zeros = _const(np.zeros(ctx.shape, dtype=g._data.dtype))
        return Put.apply(zeros, index, g, True), None


def take(input, index, *, out=None):
    """Elements of ``input`` as if it were 1-D, at ``index`` (the result has ``index``'s shape)."""
    _need_tensor(input, "take", "input", 1)
    _need_tensor(index, "take", "index", 2)
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_tn(index._data)}")
    _flat_range(index._data, input._data.size)
    return _out(Take.apply(input, index), out)


class Put(Function):
    _array_forward = True
    _node_name = "PutBackward0"

    @staticmethod
    def forward(ctx, x, index, source, accumulate):
        ctx.accumulate = accumulate
        ctx.src_shape = source.shape
        ctx.save_for_backward(index)
        out = x.copy()
        flat = out.reshape(-1)
        if accumulate:
            np.add.at(flat, index.reshape(-1), source.reshape(-1))
        else:
            flat[index.reshape(-1)] = source.reshape(-1)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = g if ctx.accumulate else Put.apply(g, index, np.zeros(ctx.src_shape, g._data.dtype), False)
        if ctx.needs_input_grad[2]:
            gs = reshape(Take.apply(g, index), ctx.src_shape)
        return gx, None, gs, None


def put(input, index, source, accumulate=False):
    """``input`` with ``source`` written (or added) at flat positions ``index``, out of place."""
    _need_tensor(input, "put", "input", 1)
    _need_tensor(index, "put", "index", 2)
    _need_tensor(source, "put", "source", 3)
    if index._data.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_tn(index._data)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_tn(input._data)} and source.dtype = {_tn(source._data)}")
    if source._data.size != index._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {index._data.size}")
    _flat_range(index._data, input._data.size)
    return Put.apply(input, index, source, bool(accumulate))


def take_along_dim(input, indices, dim=None, *, out=None):
    """``gather`` with ``indices`` broadcast against ``input``; flattened when ``dim`` is None."""
    _need_tensor(input, "take_along_dim", "input", 1)
    _need_tensor(indices, "take_along_dim", "indices", 2)
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {_tn(indices._data)}")
    if dim is None:
        return _out(gather(reshape(input, (-1,)), 0, reshape(indices, (-1,))), out)
    x, idx = input._data, indices._data
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, x.ndim)
    if x.ndim != idx.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    xs, js = list(x.shape), list(idx.shape)
    xs[d] = js[d] = 1
    b = list(_bshape(tuple(xs), tuple(js)))
    xb, ib = list(b), list(b)
    xb[d], ib[d] = x.shape[d], idx.shape[d]
    inp = input if tuple(xb) == x.shape else expand(input, tuple(xb))
    ind = indices if tuple(ib) == idx.shape else expand(indices, tuple(ib))
    return _out(gather(inp, d, ind), out)


# == nonzero ========================================================================================
def nonzero(input, *, out=None, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple of 1-D tensors.

    >>> chainrule.nonzero(chainrule.tensor([0, 3, 0, 5]))
    tensor([[1],
            [3]])
    """
    _need_tensor(input, "nonzero", "input", 1)
    a = input._data
    if as_tuple:
        return tuple(_const(i.astype(np.int64)) for i in np.nonzero(_as1d(a)))
    return _out(_const(np.argwhere(a).astype(np.int64)), out)


def argwhere(input):
    """Indices of the non-zero elements, one row per element (``nonzero``)."""
    _need_tensor(input, "argwhere", "input", 1)
    return _const(np.argwhere(input._data).astype(np.int64))


# == Tensor methods ====================================================================================
def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._apply_inplace(fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


METHODS = {
    "gather": gather, "scatter": scatter, "scatter_add": scatter_add, "index_select": index_select,
    "index_add": index_add, "index_copy": index_copy, "index_fill": index_fill, "masked_fill": masked_fill,
    "masked_select": masked_select, "masked_scatter": masked_scatter, "take": take,
    "take_along_dim": take_along_dim, "put": put, "index_put": index_put, "nonzero": nonzero,
    "argwhere": argwhere,
}


def _scatter_(self, *args, **kwargs):
    return self._apply_inplace(scatter(self, *args, _op="scatter_", **kwargs))


METHODS["scatter_"] = _scatter_
for _n in ("scatter_add", "index_add", "index_copy", "index_fill", "masked_fill", "masked_scatter",
           "put", "index_put"):
    METHODS[_n + "_"] = _inplace(METHODS[_n])
