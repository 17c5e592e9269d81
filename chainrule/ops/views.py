"""Views: ops whose result shares memory (and the version counter) with their input.

reshape/view, transpose/permute/movedim, squeeze/unsqueeze, flatten/unflatten, expand,
narrow/select/diagonal/unfold/as_strided, unbind/split/chunk, and contiguous.

A view remembers how it was made from its base (``_view_fn``: a linked chain of
``(parent, fn, args, flag)``), so that an in-place op on the view can rewrite the base's
history (``rebase_view``), as PyTorch's CopySlices does, and so that views whose base got
a new history can be re-derived from it (``refresh_views``). ``flag`` records how the view
was made when PyTorch forbids writing into it with autograd on: ``"no_grad"`` (made in
no-grad mode) or ``"multi"`` (an output of unbind/split/chunk).
"""
from __future__ import annotations

import operator
import warnings
import weakref

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state, enable_grad
from ._common import wrap_dim

__all__ = ["reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes",
           "swapdims", "t", "permute", "movedim", "moveaxis", "adjoint", "narrow", "select",
           "diagonal", "unbind", "split", "chunk", "tensor_split", "hsplit", "vsplit", "dsplit",
           "as_strided"]

_as_strided = np.lib.stride_tricks.as_strided


# -- view bookkeeping ---------------------------------------------------------------------------
# Live views of each base that may need their history re-derived after an in-place write:
# id(base) -> [weakref to base, [weakrefs to views], size at which dead refs are pruned].
_registry = {}
_replaying = [False]
_ref = weakref.ref


def _drop(key):
    def callback(ref):
        entry = _registry.get(key)
        if entry is not None and entry[0] is ref:
            del _registry[key]
    return callback


def _register(base, view):
    key = id(base)
    entry = _registry.get(key)
    if entry is None or entry[0]() is not base:
        _registry[key] = [_ref(base, _drop(key)), [_ref(view)], 16]
        return
    refs = entry[1]
    refs.append(_ref(view))
    if len(refs) > entry[2]:
        refs[:] = [r for r in refs if r() is not None]
        entry[2] = max(16, 2 * len(refs))


def _live_views(base):
    entry = _registry.get(id(base))
    if entry is None or entry[0]() is not base:
        return []
    return [v for v in (r() for r in entry[1]) if v is not None]


def mark_view(out, x, fn, *args):
    """Record that ``out`` is ``fn(x, *args)`` and shares ``x``'s memory and version counter."""
    return _mark(out, x, fn, args, None)


def _mark(out, x, fn, args, flag):
    base = x._base
    if base is None:
        base, parent = x, None
    else:
        parent = x._view_fn
        if parent is not None and parent[3] is not None and flag != "no_grad":
            flag = parent[3]
    out._base = base
    out._vc = x._vc
    if _state.grad_enabled:
        # A leaf that requires grad never gets a new history, so its views need no tracking.
        if not _replaying[0] and (base.grad_fn is not None or not base._requires_grad):
            _register(base, out)
    else:
        flag = "no_grad"
    out._view_fn = (parent, fn, args, flag)
    return out


def replay_view(view_fn, base):
    """Apply a recorded chain of view ops to ``base``."""
    chain = []
    while view_fn is not None:
        chain.append(view_fn)
        view_fn = view_fn[0]
    t = base
    for link in reversed(chain):
        t = link[1](t, *link[2])
    return t


def _op_name(t):
    fn = t.grad_fn
    name = fn.name() if fn is not None else "View"
    while name and name[-1].isdigit():
        name = name[:-1]
    return name[:-8] if name.endswith("Backward") else name


def check_inplace_view(view):
    """Raise PyTorch's error if autograd forbids writing into ``view`` (call before writing)."""
    vf = view._view_fn
    flag = None if vf is None else vf[3]
    if flag == "no_grad":
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
            "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
            "your code by moving both the view and the inplace either both inside the no_grad block "
            "(if you don't want the inplace to be tracked) or both outside (if you want the inplace "
            "to be tracked).")
    if flag == "multi":
        raise RuntimeError(
            f"Output {view._output_nr} of {_op_name(view)} is a view and is being modified inplace. This "
            "view is the output of a function that returns multiple views. Such functions do not allow "
            "the output views to be modified inplace. You should replace the inplace operation by an "
            "out-of-place one.")


class CopySlices(Function):
    """The base's new history after an in-place write into one of its views.

    The base's gradient is the incoming one with the view's region zeroed; the written
    value's gradient is the incoming one seen through the view. Both are read by replaying
    the view's chain on arrays laid out like the base, so every step replays exactly.
    """
    _node_name = "torch::autograd::CopySlices"

    @staticmethod
    def forward(ctx, base, value, view_fn):
        ctx.view_fn = view_fn
        arr = base._data
        # The base's axis order in memory (outermost first): gradients are laid out the same way.
        ctx.order = tuple(sorted(range(arr.ndim), key=lambda i: -abs(arr.strides[i])))
        out = Tensor._make(arr)
        out._vc = base._vc
        return out

    @staticmethod
    def backward(ctx, g):
        order = ctx.order
        arr = g._data
        # as_strided replays against its input's own memory: give it a tensor of its own.
        if not _laid_out(arr, order) or (g._base is not None and _has_as_strided(ctx.view_fn)):
            g = _Relayout.apply(g, order)
        gb = None
        if ctx.needs_input_grad[0]:
            shape = arr.shape
            mask = Tensor._make(np.ones(tuple(shape[i] for i in order), arr.dtype).transpose(np.argsort(order)))
            with _no_tracking():
                replay_view(ctx.view_fn, mask)._data[...] = 0
            gb = g * mask
        gv = replay_view(ctx.view_fn, g) if ctx.needs_input_grad[1] else None
        return gb, gv, None


def _laid_out(arr, order):
    """Whether ``arr`` is compact with its axes in memory in ``order`` (outermost first)."""
    step = arr.itemsize
    for i in reversed(order):
        n = arr.shape[i]
        if n == 0:
            return True
        if n != 1 and arr.strides[i] != step:
            return False
        step *= n
    return True


def _has_as_strided(view_fn):
    while view_fn is not None:
        if view_fn[1] is _as_strided_replay:
            return True
        view_fn = view_fn[0]
    return False


class _Relayout(Function):
    """The same values in memory laid out in the axis ``order`` (a copy; identity gradient)."""
    _array_forward = True
    _node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, order):
        return np.ascontiguousarray(x.transpose(order)).transpose(np.argsort(order))

    @staticmethod
    def backward(ctx, g):
        return g, None


class _no_tracking:
    def __enter__(self):
        self.prev = _replaying[0]
        _replaying[0] = True

    def __exit__(self, *exc):
        _replaying[0] = self.prev


def _take_tangent(dst, src):
    """Forward AD: ``dst`` (rewritten in place) now carries ``src``'s tangent."""
    if src._fw is not None:
        from ..autograd.forward_ad import _remember
        dst._fw = src._fw
        _remember(dst)


def _regenerate(view, base):
    with _no_tracking():
        v = replay_view(view._view_fn, base)
    view.grad_fn = v.grad_fn
    view._output_nr = v._output_nr
    view._requires_grad = v._requires_grad
    _take_tangent(view, v)


def rebase_view(view, result):
    """After ``view``'s memory was overwritten with ``result``: give base and view new history."""
    check_inplace_view(view)
    base = view._base
    with enable_grad():
        new = CopySlices.apply(base, result, view._view_fn)
        base.grad_fn = new.grad_fn
        base._output_nr = 0
        base._requires_grad = True
        _take_tangent(base, new)
        _regenerate(view, base)
        # Views overlapping the written memory now read new values: re-derive their history.
        # The others still hold the values their old history describes.
        for other in _live_views(base):
            if other is not view and other._view_fn is not None and np.may_share_memory(other._data, view._data):
                _regenerate(other, base)


def refresh_views(base):
    """Re-derive the history of ``base``'s live views after ``base`` itself was written in place."""
    views = _live_views(base)
    if views and base._requires_grad:
        with enable_grad():
            for v in views:
                if v._view_fn is not None:
                    _regenerate(v, base)


def _rechain_views(base, inverse, args):
    """``base``'s layout changed in place (``t_``...): views now start from ``inverse(base)``."""
    for v in _live_views(base):
        chain = []
        vf = v._view_fn
        while vf is not None:
            chain.append(vf)
            vf = vf[0]
        if not chain:
            continue
        link = (None, inverse, args, chain[-1][3])
        for p in reversed(chain):
            link = (link, p[1], p[2], p[3])
        v._view_fn = link


# -- argument helpers ---------------------------------------------------------------------------
def _ints(shape, name, arg="size", position=None):
    """A shape given as varargs or one tuple/list/Size, with PyTorch's TypeError for non-ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for i, s in enumerate(shape):
        ok = not isinstance(s, (bool, np.bool_, float, np.floating)) and hasattr(s, "__index__")
        if not ok:
            kind = type(s).__name__
            if position is not None:
                raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be tuple of ints, but found "
                                f"element of type {kind} at pos {i}")
            raise TypeError(f"{name}(): argument '{arg}' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {kind}\"")
        out.append(operator.index(s))
    return tuple(out)


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _infer_shape(shape, numel):
    neg = -1
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if neg >= 0:
                raise RuntimeError("only one dimension can be inferred")
            neg = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {_fmt(shape)}")
        else:
            known *= s
    if neg >= 0:
        if known == 0:
            if numel == 0:
                raise RuntimeError(
                    f"cannot reshape tensor of 0 elements into shape {_fmt(shape)} because the unspecified "
                    "dimension size -1 can be any value and is ambiguous")
            raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
        return shape[:neg] + (numel // known,) + shape[neg + 1:]
    if known != numel:
        raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
    return shape


def _viewable(arr, shape):
    """Can ``arr`` be seen as ``shape`` (same size, C order) without a copy?

    Worked out from the strides: each run of old dimensions whose sizes multiply to a run of
    new ones must be contiguous within itself. (Asking NumPy, by setting ``.shape`` on a
    view and catching its error, costs some 30 microseconds when the answer is no.)
    """
    if arr.flags.c_contiguous or arr.shape == shape or arr.size == 0:
        return True
    old = [(n, st) for n, st in zip(arr.shape, arr.strides) if n != 1]
    new = [n for n in shape if n != 1]
    i = j = 0
    while i < len(old):
        size, want = old[i][0], new[j]
        i1, j = i + 1, j + 1
        while size != want:
            if size < want:
                size *= old[i1][0]
                i1 += 1
            else:
                want *= new[j]
                j += 1
        for k in range(i, i1 - 1):
            if old[k][1] != old[k + 1][1] * old[k + 1][0]:
                return False
        i = i1
    return True


# -- reshape and view ---------------------------------------------------------------------------
class View(Function):
    _array_forward = True
    _node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return reshape(g, ctx.shape), None


class UnsafeView(View):
    _node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.reshape(np.ascontiguousarray(x), shape)


def _view_replay(x, shape):
    if not _viewable(x._data, shape):  # replayed on a differently laid out tensor: same values
        return UnsafeView.apply(x, shape)
    return mark_view(View.apply(x, shape), x, _view_replay, shape)


def view(input, *shape):
    """The same data with a new shape (``-1`` infers one size); no copy is ever made.

    ``t.view(dtype)`` reinterprets the bytes as another dtype instead.

    >>> chainrule.arange(6).view(2, 3).shape
    torch.Size([2, 3])
    """
    if len(shape) == 1 and (isinstance(shape[0], _dtype.dtype) or shape[0] is float or shape[0] is int
                            or shape[0] is bool):
        return _view_dtype(input, _dtype.to_dtype(shape[0]))
    shape = _infer_shape(_ints(shape, "view"), input._data.size)
    if not _viewable(input._data, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension "
            "spans across two contiguous subspaces). Use .reshape(...) instead.")
    return mark_view(View.apply(input, shape), input, _view_replay, shape)


def _cap(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(d.name, d.name)


def _view_dtype(input, d):
    arr = input._data
    src = input.dtype
    if d is src:
        out = arr.view()
    else:
        si, di = arr.itemsize, d.itemsize
        what = f"to view {_cap(src)} as {_cap(d)} (different element sizes)"
        if si != di:
            if arr.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 {what}")
            st = arr.strides[-1] // si if arr.shape[-1] != 1 else 1
            if st != 1:
                raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {st}")
            if di > si and (arr.shape[-1] * si) % di:
                raise RuntimeError(f"self.size(-1) must be divisible by {di // si} {what}, but got "
                                   f"{arr.shape[-1]}")
        out = arr.view(d.np)
    # PyTorch treats the result as a fresh alias outside autograd (not a differentiable view).
    t = Tensor._make(out)
    t._vc = input._vc
    return t


def reshape(input, *shape):
    """The same data in a new shape: a view when the layout allows, else a copy.

    >>> chainrule.arange(6).reshape(-1, 2).shape
    torch.Size([3, 2])
    """
    shape = _infer_shape(_ints(shape, "reshape", "shape"), input._data.size)
    if _viewable(input._data, shape):
        return mark_view(View.apply(input, shape), input, _view_replay, shape)
    return UnsafeView.apply(input, shape)


def view_as(input, other):
    """``input.view(other.shape)``."""
    return view(input, other._data.shape)


def reshape_as(input, other):
    """``input.reshape(other.shape)``."""
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim`` .. ``end_dim`` into one (a view when possible)."""
    _check_tensor(input, "flatten")
    shape = input._data.shape
    n = len(shape)
    s, e = wrap_dim(start_dim, n), wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if n == 0:
        return reshape(input, (1,))
    if s == e:
        return input
    size = 1
    for d in shape[s:e + 1]:
        size *= d
    return reshape(input, shape[:s] + (size,) + shape[e + 1:])


def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes`` (one of them may be -1): a view."""
    _check_tensor(input, "unflatten")
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = _ints((sizes,), "unflatten", "sizes", 2)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shape[d] if shape else 1
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    if -1 not in sizes:
        p = 1
        for s in sizes:
            p *= s
        if p != n:
            raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the size of dim "
                               f"{d} ({n}) in the input tensor")
    inner = _infer_shape(sizes, n)
    return view(input, shape[:d] + inner + shape[d + 1:])


# -- transpose and permute ----------------------------------------------------------------------
class Transpose(Function):
    _array_forward = True
    _node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.dims = (d0, d1)
        return np.swapaxes(x, d0, d1) if x.ndim else x.view()

    @staticmethod
    def backward(ctx, g):
        return transpose(g, *ctx.dims), None, None


class TransposeInplace(Transpose):
    _node_name = "TransposeBackward1"


def _transpose_replay(x, d0, d1):
    return mark_view(Transpose.apply(x, d0, d1), x, _transpose_replay, d0, d1)


def transpose(input, dim0, dim1):
    """Swap two dimensions (a view).

    >>> chainrule.zeros(2, 3).transpose(0, 1).shape
    torch.Size([3, 2])
    """
    _check_tensor(input, "transpose")
    n = input._data.ndim
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    return _transpose_replay(input, d0, d1)


def swapaxes(input, axis0, axis1):
    """Alias of ``transpose``."""
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    """Alias of ``transpose``."""
    return transpose(input, dim0, dim1)


class T(Function):
    _array_forward = True
    _node_name = "TBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.T if x.ndim == 2 else x.view()

    @staticmethod
    def backward(ctx, g):
        return t(g)


class TInplace(T):
    _node_name = "TBackward1"


def _t_replay(x):
    return mark_view(T.apply(x), x, _t_replay)


def _check_t(input, name="t"):
    if input._data.ndim > 2:
        raise RuntimeError(f"{name}() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")


def t(input):
    """Transpose a tensor of at most 2 dimensions (0-D and 1-D come back as they are)."""
    _check_tensor(input, "t")
    _check_t(input)
    return _t_replay(input)


class Permute(Function):
    _array_forward = True
    _node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return permute(g, tuple(inv)), None


def _permute_replay(x, dims):
    return mark_view(Permute.apply(x, dims), x, _permute_replay, dims)


def permute(input, *dims):
    """Reorder the dimensions (a view): ``x.permute(2, 0, 1)``."""
    _check_tensor(input, "permute")
    dims = _ints(dims, "permute", "dims")
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = {n} is not "
                           f"equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permute_replay(input, dims)


def _dim_list(d, name):
    if isinstance(d, (tuple, list)):
        return _ints((tuple(d),), name, "dims")
    return (operator.index(d),)


def movedim(input, source, destination):
    """Move dimensions ``source`` to positions ``destination``; the others keep their order."""
    _check_tensor(input, "movedim")
    n = input._data.ndim
    src = _dim_list(source, "movedim")
    dst = _dim_list(destination, "movedim")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    s = tuple(wrap_dim(d, n) for d in src)
    e = tuple(wrap_dim(d, n) for d in dst)
    if len(set(s)) != len(s):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(e)) != len(e):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    order = [None] * n
    for a, b in zip(s, e):
        order[b] = a
    rest = iter(d for d in range(n) if d not in s)
    order = tuple(o if o is not None else next(rest) for o in order)
    return _permute_replay(input, order)


moveaxis = movedim


def _T(self):
    n = self._data.ndim
    if n != 2:
        if n == 0:
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                          UserWarning, stacklevel=2)
        else:
            warnings.warn(
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and "
                "it will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
                "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                UserWarning, stacklevel=2)
    return _permute_replay(self, tuple(range(n - 1, -1, -1)))


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


def _H(self):
    n = self._data.ndim
    if n != 2:
        extra = " For batches of matrices, consider using tensor.mH" if n > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor.{extra}")
    return transpose(self, 0, 1)


def _mH(self):
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got "
                           f"{self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


def adjoint(input):
    """The conjugate transpose of the last two dimensions (a transpose, for real tensors)."""
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


# -- expand ---------------------------------------------------------------------------------------
class Expand(Function):
    _array_forward = True
    _node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        lead = len(shape) - x.ndim
        if shape[lead:] == x.shape and all(s == 1 for s in shape[:lead]):
            return np.reshape(x, shape)  # only size-1 dims added: a plain (writable) view
        # Repeated elements: read-only, as writing through them would hit one element many times.
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g.sum_to_size(ctx.shape), None


def _expand_replay(x, shape):
    return mark_view(Expand.apply(x, shape), x, _expand_replay, shape)


def _expand_shape(input, sizes):
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({input.type()}{{{_fmt(shape)}}}, size={_fmt(sizes)}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            out.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            out.append(cur)
        elif cur == s or cur == 1:
            if s < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {_fmt(sizes)}")
            out.append(s)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {_fmt(sizes)}.  "
                               f"Tensor sizes: {_fmt(shape)}")
    return tuple(out)


def expand(input, *sizes):
    """Broadcast singleton dims to ``sizes`` without copying (a view); -1 keeps a size.

    >>> chainrule.zeros(3, 1).expand(3, 4).shape
    torch.Size([3, 4])
    """
    sizes = _ints(sizes, "expand")
    return _expand_replay(input, _expand_shape(input, sizes))


def expand_as(input, other):
    """``input.expand(other.shape)``."""
    return expand(input, other._data.shape)


# -- squeeze and unsqueeze ---------------------------------------------------------------------------
class Squeeze(Function):
    _array_forward = True
    _node_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.shape = x.shape
        return np.squeeze(x, axis=dims)

    @staticmethod
    def backward(ctx, g):
        return reshape(g, ctx.shape), None


class SqueezeDim(Squeeze):
    _node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    _node_name = "SqueezeBackward2"


class SqueezeInplace(Squeeze):
    _node_name = "SqueezeBackward3"


class SqueezeDimInplace(Squeeze):
    _node_name = "SqueezeBackward4"


class SqueezeDimsInplace(Squeeze):
    _node_name = "SqueezeBackward5"


_SQUEEZE = {0: (Squeeze, SqueezeInplace), 1: (SqueezeDim, SqueezeDimInplace), 2: (SqueezeDims, SqueezeDimsInplace)}


def _squeeze_args(input, dim):
    shape = input._data.shape
    n = len(shape)
    if dim is None:
        return 0, tuple(i for i, s in enumerate(shape) if s == 1)
    if isinstance(dim, (tuple, list)):
        dims = tuple(wrap_dim(operator.index(d), n) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {next(d for d in dims if dims.count(d) > 1)} appears multiple times in the "
                               "list of dims")
        kind = 2
    else:
        dims = (wrap_dim(operator.index(dim), n),)
        kind = 1
    return kind, tuple(sorted({d for d in dims if n and shape[d] == 1}))


def _squeeze_replay(x, kind, dims):
    return mark_view(_SQUEEZE[kind][0].apply(x, dims), x, _squeeze_replay, kind, dims)


def squeeze(input, dim=None):
    """Remove dimensions of size 1: all of them, or those among ``dim`` (an int or a tuple)."""
    _check_tensor(input, "squeeze")
    kind, dims = _squeeze_args(input, dim)
    return _squeeze_replay(input, kind, dims)


class Unsqueeze(Function):
    _array_forward = True
    _node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.expand_dims(x, dim)

    @staticmethod
    def backward(ctx, g):
        return _squeeze_replay(g, 1, (ctx.dim,)), None


class UnsqueezeInplace(Unsqueeze):
    _node_name = "UnsqueezeBackward1"


def _unsqueeze_replay(x, dim):
    return mark_view(Unsqueeze.apply(x, dim), x, _unsqueeze_replay, dim)


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim`` (a view)."""
    _check_tensor(input, "unsqueeze")
    return _unsqueeze_replay(input, wrap_dim(operator.index(dim), input._data.ndim + 1))


# -- narrow, select, diagonal, unfold, as_strided ------------------------------------------------------
class _ScatterInto(Function):
    """Zeros of ``shape`` with ``g`` written into the region a view op picks (a view's backward).

    ``arr_fn(array, *args)`` is that view on arrays, ``fn(tensor, *args)`` on Tensors.
    """
    _array_forward = True

    @staticmethod
    def forward(ctx, g, shape, arr_fn, fn, args):
        ctx.fn = fn
        ctx.args = args
        out = np.zeros(shape, g.dtype)
        arr_fn(out, *args)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return ctx.fn(gg, *ctx.args), None, None, None, None


class _SliceScatter(_ScatterInto):
    _node_name = "SliceBackwardBackward0"


class _SelectScatter(_ScatterInto):
    _node_name = "SelectBackwardBackward0"


class _DiagonalScatter(_ScatterInto):
    _node_name = "DiagonalBackwardBackward0"


def _narrow_arr(a, dim, start, length):
    return a[(slice(None),) * dim + (slice(start, start + length),)]


class Narrow(Function):
    _array_forward = True
    _node_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, dim, start, length):
        ctx.shape = x.shape
        ctx.args = (dim, start, length)
        return _narrow_arr(x, dim, start, length)

    @staticmethod
    def backward(ctx, g):
        return _SliceScatter.apply(g, ctx.shape, _narrow_arr, _narrow_replay, ctx.args), None, None, None


def _narrow_replay(x, dim, start, length):
    return mark_view(Narrow.apply(x, dim, start, length), x, _narrow_replay, dim, start, length)


def narrow(input, dim, start, length):
    """``length`` elements of dimension ``dim`` from ``start`` on (a view)."""
    _check_tensor(input, "narrow")
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(operator.index(dim), len(shape))
    start, length = operator.index(start), operator.index(length)
    n = shape[d]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _narrow_replay(input, d, start, length)


def _select_arr(a, dim, index):
    return a[(slice(None),) * dim + (index,)]


class Select(Function):
    _array_forward = True
    _node_name = "SelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape = x.shape
        ctx.args = (dim, index)
        return _select_arr(x, dim, index)

    @staticmethod
    def backward(ctx, g):
        return _SelectScatter.apply(g, ctx.shape, _select_arr, _select_replay, ctx.args), None, None


def _select_replay(x, dim, index):
    return mark_view(Select.apply(x, dim, index), x, _select_replay, dim, index)


def select(input, dim, index):
    """The slice at ``index`` of dimension ``dim``, which is removed (a view): ``x.select(1, 0)``."""
    _check_tensor(input, "select")
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(operator.index(dim), len(shape))
    i = operator.index(index)
    n = shape[d]
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {_fmt(shape)} at dimension {d}")
    return _select_replay(input, d, i + n if i < 0 else i)


def _diag_view(a, offset, d1, d2):
    """A writable view of ``a``'s diagonal: the other dims in order, then the diagonal."""
    n1, n2 = a.shape[d1], a.shape[d2]
    length = max(min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2), 0)
    rest = [i for i in range(a.ndim) if i != d1 and i != d2]
    shape = tuple(a.shape[i] for i in rest) + (length,)
    strides = tuple(a.strides[i] for i in rest) + (a.strides[d1] + a.strides[d2],)
    if length:
        idx = [slice(None)] * a.ndim
        if offset >= 0:
            idx[d2] = slice(offset, None)
        else:
            idx[d1] = slice(-offset, None)
        a = a[tuple(idx)]
    return _as_strided(a, shape, strides, writeable=True)


class Diagonal(Function):
    _array_forward = True
    _node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.shape = x.shape
        ctx.args = (offset, d1, d2)
        return _diag_view(x, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return _DiagonalScatter.apply(g, ctx.shape, _diag_view, _diagonal_replay, ctx.args), None, None, None


def _diagonal_replay(x, offset, d1, d2):
    return mark_view(Diagonal.apply(x, offset, d1, d2), x, _diagonal_replay, offset, d1, d2)


def _diag_dims(n, dim1, dim2):
    d1, d2 = wrap_dim(operator.index(dim1), n), wrap_dim(operator.index(dim2), n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over ``dim1``/``dim2`` (shifted by ``offset``) as the last dim (a view)."""
    _check_tensor(input, "diagonal")
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2)
    return _diagonal_replay(input, operator.index(offset), d1, d2)


def _unfold_arr(a, dim, size, step):
    if a.ndim == 0:
        return a.reshape(1)
    n = a.shape[dim]
    nw = (n - size) // step + 1
    shape = a.shape[:dim] + (nw,) + a.shape[dim + 1:] + (size,)
    strides = a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:] + (a.strides[dim],)
    return _as_strided(a, shape, strides, writeable=step >= size)


class _UnfoldScatter(Function):
    """Sum the windows of ``g`` back into an input of ``shape`` (unfold's backward)."""
    _array_forward = True
    _node_name = "UnfoldBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        ctx.args = (dim, size, step)
        if not shape:
            return g.reshape(())
        out = np.zeros(shape, g.dtype)
        nw = g.shape[dim]
        pre = (slice(None),) * dim
        if size <= nw:
            for k in range(size):
                out[pre + (slice(k, k + step * (nw - 1) + 1, step),)] += g[..., k]
        else:
            for w in range(nw):
                out[pre + (slice(w * step, w * step + size),)] += np.moveaxis(g[pre + (w,)], -1, dim)
        return out

    @staticmethod
    def backward(ctx, gg):
        return _unfold_replay(gg, *ctx.args), None, None, None, None


class Unfold(Function):
    _array_forward = True
    _node_name = "UnfoldBackward0"

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.shape = x.shape
        ctx.args = (dim, size, step)
        return _unfold_arr(x, dim, size, step)

    @staticmethod
    def backward(ctx, g):
        return _UnfoldScatter.apply(g, ctx.shape, *ctx.args), None, None, None


def _unfold_replay(x, dim, size, step):
    return mark_view(Unfold.apply(x, dim, size, step), x, _unfold_replay, dim, size, step)


def unfold(input, dimension, size, step):
    """All windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim (a view)."""
    _check_tensor(input, "unfold")
    shape = input._data.shape
    d = wrap_dim(operator.index(dimension), len(shape))
    size, step = operator.index(size), operator.index(step)
    n = shape[d] if shape else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _unfold_replay(input, d, size, step)


def _grid(offset, size, stride):
    """The storage position (in elements) of every element of a strided layout."""
    pos = np.asarray(offset, dtype=np.int64)
    n = len(size)
    for i, (s, st) in enumerate(zip(size, stride)):
        pos = pos + (np.arange(s, dtype=np.int64) * st).reshape((-1,) + (1,) * (n - i - 1))
    return np.broadcast_to(pos, tuple(size))


def _storage(t):
    """The flat array ``t``'s memory lives in (its base's data, which must be contiguous)."""
    root = t._base if t._base is not None else t
    arr = root._data
    if not arr.flags.c_contiguous:
        raise RuntimeError("as_strided: chainrule supports it only on tensors whose base is contiguous")
    return arr.reshape(-1)


class AsStrided(Function):
    _array_forward = True
    _node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, x, flat, size, stride, offset):
        item = x.itemsize
        start = (x.__array_interface__["data"][0] - flat.__array_interface__["data"][0]) // item if x.size else 0
        ctx.pos = (_grid(offset, size, stride), _grid(start, x.shape, tuple(s // item for s in x.strides)),
                   flat.size, x.shape)
        if 0 in size:
            return np.zeros(size, x.dtype)
        return _as_strided(flat[offset:], size, tuple(s * item for s in stride), writeable=True)

    @staticmethod
    def backward(ctx, g):
        return _AsStridedScatter.apply(g, *ctx.pos), None, None, None, None


class _AsStridedScatter(Function):
    """Gradient of as_strided: sum ``g`` into storage positions, read the input's positions back."""
    _array_forward = True
    _node_name = "AsStridedBackwardBackward0"

    @staticmethod
    def forward(ctx, g, out_pos, in_pos, n, shape):
        ctx.pos = (out_pos, in_pos, n, shape)
        store = np.zeros(n, g.dtype)
        np.add.at(store, out_pos, g)
        return store[in_pos]

    @staticmethod
    def backward(ctx, gg):
        return _AsStridedGather.apply(gg, *ctx.pos), None, None, None, None


class _AsStridedGather(Function):
    """The adjoint of ``_AsStridedScatter`` (as_strided's second derivative)."""
    _array_forward = True
    _node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, gg, out_pos, in_pos, n, shape):
        ctx.pos = (out_pos, in_pos, n, shape)
        store = np.zeros(n, gg.dtype)
        np.add.at(store, in_pos, gg)
        return store[out_pos]

    @staticmethod
    def backward(ctx, g):
        return _AsStridedScatter.apply(g, *ctx.pos), None, None, None, None


def _as_strided_replay(x, size, stride, offset):
    return mark_view(AsStrided.apply(x, _storage(x), size, stride, offset), x, _as_strided_replay,
                     size, stride, offset)


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s memory with the given sizes, strides and offset (in elements).

    Prefer the other view ops: this one depends on the memory layout.
    """
    _check_tensor(input, "as_strided")
    size = _ints((size,), "as_strided")
    stride = _ints((stride,), "as_strided", "stride")
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{_fmt(stride)}")
    flat = _storage(input)
    offset = input.storage_offset() if storage_offset is None else operator.index(storage_offset)
    item = input._data.itemsize
    need = offset + 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    if need > flat.size:
        raise RuntimeError(
            f"setStorage: sizes {_fmt(size)}, strides {_fmt(stride)}, storage offset {offset}, and itemsize "
            f"{item} requiring a storage size of {need * item} are out of bounds for storage of size "
            f"{flat.size * item}")
    return _as_strided_replay(input, size, stride, offset)


# -- unbind, split, chunk ----------------------------------------------------------------------------------
def _fill_grads(grads, shapes, like):
    """Missing output gradients of a multi-output view op become zeros."""
    return [g if g is not None else Tensor._make(np.zeros(s, like._data.dtype)) for g, s in zip(grads, shapes)]


class Unbind(Function):
    _array_forward = True
    _node_name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        ctx.shape = x.shape
        return tuple(_select_arr(x, dim, i) for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        from .shape import stack
        like = next((g for g in grads if g is not None), None)
        if like is None:
            return None, None
        shape = ctx.shape[:ctx.dim] + ctx.shape[ctx.dim + 1:]
        return stack(_fill_grads(grads, [shape] * len(grads), like), ctx.dim), None


def unbind(input, dim=0):
    """The slices along ``dim``, as a tuple of views: ``a, b = x.unbind(1)``."""
    _check_tensor(input, "unbind")
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(operator.index(dim), input._data.ndim)
    outs = Unbind.apply(input, d)
    for i, o in enumerate(outs):
        _mark(o, input, _select_replay, (d, i), "multi")
    return outs


class Split(Function):
    _array_forward = True
    _node_name = "SplitBackward0"

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        ctx.shapes = []
        outs = []
        start = 0
        for s in sizes:
            o = _narrow_arr(x, dim, start, s)
            outs.append(o)
            ctx.shapes.append(o.shape)
            start += s
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        from .shape import cat
        like = next((g for g in grads if g is not None), None)
        if like is None:
            return None, None, None
        return cat(_fill_grads(grads, ctx.shapes, like), ctx.dim), None, None


class SplitWithSizes(Split):
    _node_name = "SplitWithSizesBackward0"


def _split_outputs(cls, input, d, sizes):
    outs = cls.apply(input, d, sizes)
    start = 0
    for o, s in zip(outs, sizes):
        _mark(o, input, _narrow_replay, (d, start, s), "multi")
        start += s
    return outs


def split(tensor, split_size_or_sections, dim=0):
    """Cut ``tensor`` along ``dim`` into pieces of ``split_size`` (the last may be smaller), or of
    the given list of sizes. Returns a tuple of views.

    >>> [p.shape[0] for p in chainrule.arange(5).split(2)]
    [2, 2, 1]
    """
    _check_tensor(tensor, "split")
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(operator.index(dim), len(shape))
    n = shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _ints((tuple(split_size_or_sections),), "split_with_sizes", "split_sizes")
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but "
                               f"got split_sizes={_fmt(sizes)}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {d}), but got split_sizes={_fmt(sizes)}")
        return _split_outputs(SplitWithSizes, tensor, d, sizes)
    size = operator.index(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0:
        if n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = (0,)
    else:
        sizes = tuple(min(size, n - s) for s in range(0, n, size)) or (0,)
    return _split_outputs(Split, tensor, d, sizes)


def chunk(input, chunks, dim=0):
    """Cut ``input`` into ``chunks`` pieces of equal size (the last may be smaller; there may be
    fewer). Returns a tuple of views."""
    _check_tensor(input, "chunk")
    chunks = operator.index(chunks)
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(operator.index(dim), input._data.ndim)
    n = input._data.shape[d]
    if n == 0:
        return _split_outputs(Split, input, d, (0,) * chunks)
    return split(input, -(-n // chunks), d)


def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``sections`` nearly equal views, or at the given ``indices`` (like NumPy's array_split)."""
    _check_tensor(input, "tensor_split")
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(operator.index(dim), input._data.ndim)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (list, tuple)):
        bounds = [0]
        for i in indices_or_sections:
            i = operator.index(i)
            i = min(max(i + n if i < 0 else i, 0), n)
            bounds.append(max(i, bounds[-1]))
        bounds.append(n)
    else:
        k = operator.index(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds = [0]
        for i in range(k):
            bounds.append(bounds[-1] + q + (1 if i < r else 0))
    sizes = tuple(b - a for a, b in zip(bounds[:-1], bounds[1:]))
    outs = []
    for start, s in zip(bounds, sizes):
        outs.append(_narrow_replay(input, d, start, s))
    return tuple(outs)


def _split_n(input, sections, dim, name, need):
    if input._data.ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but got a tensor with "
                           f"{input._data.ndim} dimensions!")
    if isinstance(sections, int):
        n = input._data.shape[dim]
        if sections == 0 or n % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {n} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 for 1-D tensors); sections must divide evenly."""
    return _split_n(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor of 2 or more dims; sections must divide evenly."""
    return _split_n(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor of 3 or more dims; sections must divide evenly."""
    return _split_n(input, indices_or_sections, 2, "dsplit", 3)


# -- contiguous ----------------------------------------------------------------------------------------
class Contiguous(Function):
    _array_forward = True
    _node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.ascontiguousarray(x)

    @staticmethod
    def backward(ctx, g):
        return g


def contiguous(input, memory_format=None):
    """``input`` itself when it is laid out C-contiguously, else a contiguous copy (in the graph)."""
    if input._data.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


# -- in-place metadata ops: t_, transpose_, squeeze_, unsqueeze_ ---------------------------------------
def _meta_inplace(self, cls, apply_args, fn, args, inverse, inv_args):
    """Change ``self``'s shape/strides in place; its history gains ``cls``'s node, like PyTorch.

    ``fn(t, *args)`` replays the change on a tensor; ``inverse(t, *inv_args)`` undoes it
    (the views of ``self`` are re-expressed through it).
    """
    base = self._base
    if _state.grad_enabled and (self._requires_grad or (base is not None and base._requires_grad)):
        self._check_inplace()
        if base is not None:
            check_inplace_view(self)
    out = cls.apply(self, *apply_args)
    self._data = out._data
    self._vc[0] += 1
    _take_tangent(self, out)
    if out.grad_fn is not None:
        self.grad_fn = out.grad_fn
        self._output_nr = 0
        self._requires_grad = True
    if base is not None:
        vf = self._view_fn
        self._view_fn = (vf, fn, args, None if vf is None else vf[3])
    else:
        _rechain_views(self, inverse, inv_args)
    return self


def _t_(self):
    """Transpose a tensor of at most 2 dims in place."""
    _check_t(self, "t_")
    return _meta_inplace(self, TInplace, (), _t_replay, (), _t_replay, ())


def _transpose_(self, dim0, dim1):
    """Swap two dimensions in place."""
    n = self._data.ndim
    d = (wrap_dim(dim0, n), wrap_dim(dim1, n))
    return _meta_inplace(self, TransposeInplace, d, _transpose_replay, d, _transpose_replay, d)


def _squeeze_(self, dim=None):
    """Remove size-1 dimensions in place."""
    kind, dims = _squeeze_args(self, dim)
    old = self._data.shape
    return _meta_inplace(self, _SQUEEZE[kind][1], (dims,), _squeeze_replay, (kind, dims), _view_replay, (old,))


def _unsqueeze_(self, dim):
    """Insert a size-1 dimension at ``dim`` in place."""
    d = wrap_dim(operator.index(dim), self._data.ndim + 1)
    return _meta_inplace(self, UnsqueezeInplace, (d,), _unsqueeze_replay, (d,), _squeeze_replay, (1, (d,)))


def _split_method(self, split_size, dim=0):
    return split(self, split_size, dim)


METHODS = {
    "view": view, "reshape": reshape, "view_as": view_as, "reshape_as": reshape_as,
    "flatten": flatten, "unflatten": unflatten, "squeeze": squeeze, "unsqueeze": unsqueeze,
    "transpose": transpose, "swapaxes": swapaxes, "swapdims": swapdims, "t": t,
    "permute": permute, "movedim": movedim, "moveaxis": moveaxis, "expand": expand,
    "expand_as": expand_as, "narrow": narrow, "select": select, "diagonal": diagonal,
    "unfold": unfold, "as_strided": as_strided, "unbind": unbind, "split": _split_method,
    "chunk": chunk, "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
    "contiguous": contiguous, "adjoint": adjoint,
    "T": property(_T), "mT": property(_mT), "H": property(_H), "mH": property(_mH),
    "t_": _t_, "transpose_": _transpose_, "swapaxes_": _transpose_, "swapdims_": _transpose_,
    "squeeze_": _squeeze_, "unsqueeze_": _unsqueeze_,
}
