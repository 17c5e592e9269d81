"""Views: reshape, view, transpose, permute, expand, squeeze, unsqueeze, flatten.

A view shares memory and the version counter with its base. It also remembers how it
was made from its base (``_view_fn``), so an in-place op on the view can rewrite the
base's history (``rebase_view``), as PyTorch's CopySlices does.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad
from ._common import wrap_dim

__all__ = ["reshape", "transpose", "swapaxes", "swapdims", "permute", "t", "squeeze", "unsqueeze",
           "flatten", "adjoint"]


def mark_view(out, x, fn, *args):
    """Record that ``out`` is ``fn(x, *args)`` and shares ``x``'s memory."""
    out._base = x._base if x._base is not None else x
    out._vc = x._vc
    out._view_fn = (x._view_fn, fn, args)
    return out


def replay_view(view_fn, base):
    """Apply a recorded chain of view ops to ``base``."""
    chain = []
    while view_fn is not None:
        chain.append(view_fn)
        view_fn = view_fn[0]
    t = base
    for _, fn, args in reversed(chain):
        t = fn(t, *args)
    return t


class CopySlices(Function):
    """The base's new history after an in-place write into one of its views."""
    _node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, value, view_fn):
        ctx.view_fn = view_fn
        ctx.value_shape = value.shape
        out = Tensor._make(base._data)
        out._vc = base._vc
        return out

    @staticmethod
    def backward(ctx, g):
        from .creation import ones_like
        mask = ones_like(g)
        replay_view(ctx.view_fn, mask)._data[...] = 0
        gv = replay_view(ctx.view_fn, g) if ctx.needs_input_grad[1] else None
        return g * mask, gv, None


def rebase_view(view, result):
    """After ``view``'s memory was overwritten with ``result``: give base and view new history."""
    base = view._base
    with enable_grad():
        new = CopySlices.apply(base, result, view._view_fn)
        base.grad_fn = new.grad_fn
        base._output_nr = 0
        base._requires_grad = True
        v = replay_view(view._view_fn, base)
    view.grad_fn = v.grad_fn
    view._output_nr = v._output_nr
    view._requires_grad = True


# -- reshape and view ----------------------------------------------------------------------
def _infer_shape(shape, numel):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"invalid shape dimension {min(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


class View(Function):
    _array_forward = True
    _node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class UnsafeView(View):
    _node_name = "UnsafeViewBackward0"


def _view_fn(x, shape):
    return view(x, shape)


def view(input, *shape):
    """Same data, new shape; the data must be laid out so that no copy is needed."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        from .. import _dtype
        return input.to(_dtype.to_dtype(shape[0])) if False else _view_dtype(input, shape[0])
    shape = _infer_shape(shape, input._data.size)
    arr = input._data
    if shape == arr.shape:
        out = View.apply(input, shape)
    else:
        out = View.apply(input, shape)
        if out._data.size and not np.may_share_memory(out._data, arr):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension "
                "spans across two contiguous subspaces). Use .reshape(...) instead.")
    return mark_view(out, input, _view_fn, shape)


def _view_dtype(input, dt):
    from .. import _dtype
    d = _dtype.to_dtype(dt)
    return Tensor._make(input._data.view(d.np))


def reshape(input, *shape):
    """Same data in a new shape; a view when possible, else a copy. ``-1`` infers one size."""
    shape = _infer_shape(shape, input._data.size)
    arr = input._data
    if arr.flags.c_contiguous or shape == arr.shape:
        return mark_view(View.apply(input, shape), input, _view_fn, shape)
    out = UnsafeView.apply(input, shape)
    if np.may_share_memory(out._data, arr):
        return mark_view(out, input, _view_fn, shape)
    return out


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


# -- transpose and permute -------------------------------------------------------------------
class Transpose(Function):
    _array_forward = True
    _node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.dims = (d0, d1)
        return np.swapaxes(x, d0, d1)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(*ctx.dims), None, None


def transpose(input, dim0, dim1):
    """Swap two dimensions (a view)."""
    n = input._data.ndim
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    return mark_view(Transpose.apply(input, d0, d1), input, transpose, d0, d1)


swapaxes = swapdims = transpose


class T(Function):
    _array_forward = True
    _node_name = "TBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.T

    @staticmethod
    def backward(ctx, g):
        return g.t()


def t(input):
    """Transpose a tensor of at most 2 dimensions."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return mark_view(T.apply(input), input, t)


class Permute(Function):
    _array_forward = True
    _node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return g.permute(tuple(np.argsort(ctx.dims).tolist())), None


def permute(input, *dims):
    """Reorder dimensions (a view): ``x.permute(2, 0, 1)``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = {n} is not "
                           f"equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return mark_view(Permute.apply(input, dims), input, permute, dims)


def _T(self):
    n = self._data.ndim
    if n == 2:
        return permute(self, (1, 0))
    return permute(self, tuple(range(n - 1, -1, -1)))


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


def adjoint(input):
    return transpose(input, -2, -1)


# -- expand -----------------------------------------------------------------------------------
class Expand(Function):
    _array_forward = True
    _node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g.sum_to_size(ctx.shape), None


def expand(input, *sizes):
    """Broadcast singleton dims to ``sizes`` without copying; -1 keeps a size."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({input.type()}{{[{', '.join(map(str, shape))}]}}, size=[{', '.join(map(str, sizes))}]): the "
            "number of sizes provided (%d) must be greater or equal to the number of dimensions in the tensor (%d)"
            % (len(sizes), len(shape)))
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        s = int(s)
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}")
            out.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            out.append(cur)
        elif cur == s or cur == 1:
            out.append(s)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                               f"Tensor sizes: [{', '.join(map(str, shape))}]")
    out = tuple(out)
    if out == shape:
        return mark_view(Expand.apply(input, out), input, expand, out)
    return mark_view(Expand.apply(input, out), input, expand, out)


def expand_as(input, other):
    return expand(input, other._data.shape)


# -- squeeze, unsqueeze, flatten -------------------------------------------------------------
class Squeeze(Function):
    _array_forward = True
    _node_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.shape = x.shape
        return np.squeeze(x, axis=dims)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class SqueezeDim(Squeeze):
    _node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    _node_name = "SqueezeBackward2"


def squeeze(input, dim=None):
    """Remove dimensions of size 1 (all, or those named by ``dim``)."""
    shape = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
        return mark_view(Squeeze.apply(input, dims), input, squeeze, None)
    if isinstance(dim, (tuple, list)):
        dims = tuple(wrap_dim(d, len(shape)) for d in dim)
        cls = SqueezeDims
    else:
        dims = (wrap_dim(dim, len(shape)),)
        cls = SqueezeDim
    keep = tuple(d for d in dims if len(shape) and shape[d] == 1)
    return mark_view(cls.apply(input, keep), input, squeeze, dim)


class Unsqueeze(Function):
    _array_forward = True
    _node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.expand_dims(x, dim)

    @staticmethod
    def backward(ctx, g):
        return g.squeeze(ctx.dim), None


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim``."""
    d = wrap_dim(dim, input._data.ndim + 1)
    return mark_view(Unsqueeze.apply(input, d), input, unsqueeze, d)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim`` .. ``end_dim`` into one."""
    shape = input._data.shape
    n = len(shape)
    if n == 0:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, n), wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    new = shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
    return reshape(input, new)


METHODS = {
    "view": view, "reshape": reshape, "view_as": view_as, "reshape_as": reshape_as,
    "transpose": transpose, "swapaxes": transpose, "swapdims": transpose, "t": t,
    "permute": permute, "expand": expand, "expand_as": expand_as, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "flatten": flatten, "adjoint": adjoint,
    "T": property(_T), "mT": property(_mT), "H": property(_T), "mH": property(_mT),
}
for _n in ("transpose", "t", "squeeze", "unsqueeze", "swapaxes", "swapdims"):
    def _make_inplace(fn):
        def method(self, *args, **kwargs):
            r = fn(self, *args, **kwargs)
            self._data = r._data
            self._vc[0] += 1
            return self
        return method
    METHODS[_n + "_"] = _make_inplace(METHODS[_n])
