"""Reductions and scans: sum, mean, prod, var/std, max/min, logsumexp, softmax, sorting.

Forward computes on arrays; every backward is written with chainrule ops so it can be
differentiated again. Ops that return several tensors return PyTorch's named tuples
(``return_types.max(values=..., indices=...)``).

Primitives kept for numerical stability: logsumexp, softmax, log_softmax (they subtract
the maximum); for exactness with zeros: prod and cumprod (their gradients use exclusive
products instead of dividing by the input when it holds zeros).
"""
from __future__ import annotations

import builtins
import sys
import types
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ._common import wrap_dim

__all__ = ["sum", "mean", "nansum", "nanmean", "sum_to_size", "prod", "var", "std", "var_mean", "std_mean",
           "max", "min", "amax", "amin", "argmax", "argmin", "aminmax", "logsumexp",
           "cumsum", "cumprod", "all", "any", "count_nonzero", "median", "mode", "kthvalue",
           "softmax", "log_softmax", "sort", "argsort", "topk", "return_types"]

_py_max = builtins.max


# -- named tuples: torch.return_types ---------------------------------------------------------
class _StructSeq(tuple):
    """A tuple with named fields that prints like ``torch.return_types.<name>(...)``."""

    __slots__ = ()
    _fields: tuple = ()
    n_fields = n_sequence_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, sequence):
        seq = tuple(sequence)
        if len(seq) != len(cls._fields):
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                            f"({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _structseq(name, fields):
    ns = {"__slots__": (), "_fields": fields, "n_fields": len(fields), "n_sequence_fields": len(fields),
          "__module__": "chainrule.return_types", "__qualname__": name}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: self[i])
    return type(name, (_StructSeq,), ns)


return_types = types.ModuleType("chainrule.return_types", "Named tuples returned by reductions.")
for _n in ("max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax", "cummin"):
    setattr(return_types, _n, _structseq(_n, ("values", "indices")))
return_types.aminmax = _structseq("aminmax", ("min", "max"))
sys.modules.setdefault("chainrule.return_types", return_types)


# -- argument helpers ---------------------------------------------------------------------------
_CAP = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
        "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _is_int(d):
    return isinstance(d, (int, np.integer)) and not isinstance(d, bool)


def _dims(x, dim, name):
    """``dim`` (None, int or sequence; None and () mean every dim) as a sorted tuple of axes."""
    nd = x._data.ndim
    if dim is None:
        return tuple(range(nd))
    if _is_int(dim):
        d = wrap_dim(int(dim), nd)
        return (d,) if nd else ()
    if isinstance(dim, (tuple, list)) and builtins.all(_is_int(d) for d in dim):
        seen = []
        for d in dim:
            w = wrap_dim(int(d), nd)
            if w in seen:
                raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
            seen.append(w)
        if not seen or not nd:
            return tuple(range(nd))
        return tuple(sorted(seen))
    raise TypeError(f"{name}(): argument 'dim' must be tuple of ints, not {type(dim).__name__}")


def _dim1(x, dim, name):
    """A single ``dim`` (an int), wrapped; 0 for a 0-d tensor."""
    if not _is_int(dim):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return wrap_dim(int(dim), x._data.ndim)


def _keep_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _kd(t, shape, dims, keepdim):
    """A reduced tensor reshaped to broadcast against the input (its dims kept as 1)."""
    if keepdim or not dims:
        return t
    return t.reshape(_keep_shape(shape, dims))


def _const(arr, like):
    """A constant (no-grad) tensor in ``like``'s dtype: masks and weights in backward rules."""
    return Tensor._make(np.asarray(arr, dtype=like._data.dtype))


def _nonempty_dims(x, dims, name):
    for d in dims:
        if x._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _numel(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _out(result, out):
    """Copy ``result`` (a tensor or a tuple of them) into ``out``, as ``out=`` arguments do."""
    if out is None:
        return result
    if isinstance(result, tuple):
        for r, o in zip(result, out):
            _out(r, o)
        return type(result)(out) if isinstance(result, _StructSeq) else tuple(out)
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    from ..autograd.grad_mode import _state
    if _state.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one of the "
                           "arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out


def _cast(x, dt):
    from .pointwise import _cast as cast
    return cast(x, dt)


def _to_float(x):
    """Integer and bool inputs of floating reductions compute in the default dtype."""
    return x if x._data.dtype.kind == "f" else _cast(x, _dtype.get_default_dtype())


def _acc_dtype(a):
    return np.float32 if a.dtype == np.float16 else None


# -- gather/scatter along one dim (the backward of every index-selecting reduction) ------------
class _Gather(Function):
    _array_forward = True
    _node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, idx, d):
        ctx.idx, ctx.d, ctx.shape = idx, d, x.shape
        if x.ndim == 0:
            return x.copy()
        return np.take_along_axis(x, idx, d)

    @staticmethod
    def backward(ctx, g):
        return _Scatter.apply(g, ctx.idx, ctx.d, ctx.shape), None, None


class _Scatter(Function):
    """Zeros of ``shape`` with ``g`` put at ``idx`` along ``d`` (indices unique per line)."""
    _array_forward = True
    _node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, g, idx, d, shape):
        ctx.idx, ctx.d = idx, d
        if len(shape) == 0:
            return np.array(g).reshape(())
        out = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(out, idx, g, d)
        return out

    @staticmethod
    def backward(ctx, gg):
        return _Gather.apply(gg, ctx.idx, ctx.d), None, None, None


# -- sum and mean -------------------------------------------------------------------------------
class Sum(Function):
    _array_forward = True
    _node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dt):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        acc = dt or _acc_dtype(x)
        out = np.sum(x, axis=dims, keepdims=keepdim, dtype=acc)
        if acc is not None and dt is None:
            out = out.astype(x.dtype)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g):
        return _kd(g, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape), None, None, None


class SumAll(Sum):
    _node_name = "SumBackward0"


def _sum_dtype(x, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    if x._data.dtype.kind in "biu":
        return np.int64  # integer and bool sums widen to int64, as in PyTorch
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    """Sum of all elements, or over ``dim`` (an int or a tuple of ints).

    >>> chainrule.tensor([[1, 2], [3, 4]]).sum(0)
    tensor([4, 6])
    """
    _check_tensor(input, "sum")
    dt = _sum_dtype(input, dtype)
    if dim is None and not keepdim:
        return _out(SumAll.apply(input, None, False, dt), out)
    return _out(Sum.apply(input, _dims(input, dim, "sum"), keepdim, dt), out)


class Nansum(Function):
    _array_forward = True
    _node_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dt):
        ctx.save_for_backward(x)
        ctx.dims, ctx.keepdim = dims, keepdim
        return np.asarray(np.nansum(x, axis=dims, keepdims=keepdim, dtype=dt))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        gk = _kd(g, x._data.shape, ctx.dims, ctx.keepdim)
        return gk * _const(~np.isnan(x._data), gk), None, None, None


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum treating NaN as zero."""
    _check_tensor(input, "nansum")
    return _out(Nansum.apply(input, _dims(input, dim, "nansum"), keepdim, _sum_dtype(input, dtype)), out)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean of the non-NaN elements."""
    _check_tensor(input, "nanmean")
    if dtype is not None:
        input = input.to(dtype)
    if not input.is_floating_point():
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           + _CAP[input.dtype.name])
    dims = _dims(input, dim, "nanmean")
    count = np.sum(~np.isnan(input._data), axis=dims, keepdims=keepdim).astype(input._data.dtype)
    return _out(nansum(input, dims, keepdim) / Tensor._make(count), out)


class Mean(Function):
    _array_forward = True
    _node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.n = _numel(x.shape, dims)
        if ctx.n == 0:
            shape = np.sum(x, axis=dims, keepdims=keepdim).shape
            return np.full(shape, np.nan, dtype=x.dtype)
        return np.asarray(np.mean(x, axis=dims, keepdims=keepdim), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        return (_kd(g, ctx.shape, ctx.dims, ctx.keepdim) / ctx.n).expand(ctx.shape), None, None


class MeanAll(Mean):
    _node_name = "MeanBackward0"


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean of all elements, or over ``dim``. Integer inputs need a floating ``dtype``."""
    _check_tensor(input, "mean")
    if dtype is not None:
        dt = _dtype.to_dtype(dtype)
        if not dt.is_floating_point:
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a "
                               f"floating point or complex dtype. Got: {_CAP[dt.name]}")
        input = input.to(dt)
    if not input.is_floating_point():
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {_CAP[input.dtype.name]}")
    if dim is None and not keepdim:
        return _out(MeanAll.apply(input, tuple(range(input._data.ndim)), False), out)
    return _out(Mean.apply(input, _dims(input, dim, "mean"), keepdim), out)


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the reverse of broadcasting it)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = input._data.shape
    if shape == tuple(size):
        return input
    lead = len(shape) - len(size)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(size) if s == 1 and shape[i + lead] != 1)
    out = Sum.apply(input, dims, True, None) if dims else input
    if lead:
        out = out.reshape(tuple(size))
    return out


# -- helpers for exact products: shifts and linear recurrences -----------------------------------
def _along(d, start, stop, ndim):
    sl = [slice(None)] * ndim
    sl[d] = slice(start, stop)
    return tuple(sl)


class _Shift(Function):
    """``out[k] = x[k - s]`` along ``d``, ``fill`` where that falls outside."""
    _array_forward = True
    _node_name = "ShiftBackward0"

    @staticmethod
    def forward(ctx, x, d, s, fill):
        ctx.d, ctx.s = d, s
        out = np.full(x.shape, fill, dtype=x.dtype)
        n = x.ndim
        if s > 0:
            out[_along(d, s, None, n)] = x[_along(d, None, -s, n)]
        else:
            out[_along(d, None, s, n)] = x[_along(d, -s, None, n)]
        return out

    @staticmethod
    def backward(ctx, g):
        return _Shift.apply(g, ctx.d, -ctx.s, 0.0), None, None, None


class _LinRec(Function):
    """The linear recurrence ``h[k] = g[k] + a[k] * h[k+1]`` (``reverse``) or ``h[k-1]`` along ``d``.

    ``a`` at the boundary (last index for ``reverse``, first otherwise) is unused.
    """
    _array_forward = True
    _node_name = "LinearRecurrenceBackward0"

    @staticmethod
    def forward(ctx, g, a, d, reverse):
        ctx.d, ctx.reverse = d, reverse
        h = np.array(np.broadcast_to(g, a.shape), dtype=np.result_type(g, a))
        hv, av = np.moveaxis(h, d, 0), np.moveaxis(a, d, 0)
        n = hv.shape[0]
        if reverse:
            for k in range(n - 2, -1, -1):
                hv[k] += av[k] * hv[k + 1]
        else:
            for k in range(1, n):
                hv[k] += av[k] * hv[k - 1]
        ctx.save_for_backward(a, h)
        return h

    @staticmethod
    def backward(ctx, u):
        a, h = ctx.saved_tensors
        s = 1 if ctx.reverse else -1
        w = _LinRec.apply(u, _Shift.apply(a, ctx.d, s, 0.0), ctx.d, not ctx.reverse)
        ga = w * _Shift.apply(h, ctx.d, -s, 0.0) if ctx.needs_input_grad[1] else None
        return w, ga, None, None


def _cumprod_grad(x, g, d):
    """``sum_{i>=k} g[i] * prod_{j<=i, j!=k} x[j]`` along ``d``: exact when ``x`` holds zeros."""
    left = cumprod(_Shift.apply(x, d, 1, 1.0), d)            # prod_{j<k} x[j]
    right = _LinRec.apply(g, _Shift.apply(x, d, -1, 0.0), d, True)  # sum_{i>=k} g[i] prod_{k<j<=i} x[j]
    return left * right


def _onehot_last(shape, d, like):
    m = np.zeros(shape, dtype=like._data.dtype)
    m[_along(d, -1, None, len(shape))] = 1
    return Tensor._make(m)


# -- prod -------------------------------------------------------------------------------------
class Prod(Function):
    _array_forward = True
    _node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dt):
        out = np.asarray(np.prod(x, axis=dims, keepdims=keepdim, dtype=dt))
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        gk, ok = _kd(g, shape, ctx.dims, ctx.keepdim), _kd(out, shape, ctx.dims, ctx.keepdim)
        if not (x._data == 0).any():
            return gk * ok / x, None, None, None
        if len(ctx.dims) == 1:
            d = ctx.dims[0]
            return _cumprod_grad(x, gk.expand(shape) * _onehot_last(shape, d, gk), d), None, None, None
        # Every dim reduced: work on the flattened input.
        xf = x.reshape(-1)
        gf = gk.reshape(()).expand(xf.shape) * _onehot_last(xf.shape, 0, gk)
        return _cumprod_grad(xf, gf, 0).reshape(shape), None, None, None


class ProdAll(Prod):
    _node_name = "ProdBackward0"


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product of all elements, or along ``dim``; integer and bool inputs give int64."""
    _check_tensor(input, "prod")
    dt = _sum_dtype(input, dtype)
    if dim is None:
        return _out(ProdAll.apply(input, tuple(range(input._data.ndim)), keepdim, dt), out)
    d = _dim1(input, dim, "prod")
    return _out(Prod.apply(input, (d,) if input._data.ndim else (), keepdim, dt), out)


# -- var and std ------------------------------------------------------------------------------
def _correction(name, unbiased, correction):
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both 'unbiased' "
                        "and 'correction'")
    if unbiased is not None:
        if not isinstance(unbiased, bool):
            raise TypeError(f"{name}(): argument 'unbiased' must be bool, not {type(unbiased).__name__}")
        return 1 if unbiased else 0
    return 1 if correction is None else correction


def _moments(x, dims, keepdim, correction, name):
    """Forward of var/std: (variance keeping ``keepdim``, mean with kept dims, dof)."""
    n = _numel(x.shape, dims)
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=5)
    with np.errstate(divide="ignore", invalid="ignore"):
        if n:
            m = np.mean(x, axis=dims, keepdims=True, dtype=_acc_dtype(x)).astype(x.dtype, copy=False)
        else:
            m = np.full(np.sum(x, axis=dims, keepdims=True).shape, np.nan, dtype=x.dtype)
        dev = x - m
        v = np.asarray(np.sum(dev * dev, axis=dims, keepdims=keepdim) / _py_max(0, dof), dtype=x.dtype)
    return v, m, dof


def _var_grad(gk, x, dims, dof):
    """d var / d x for a keepdim-shaped incoming gradient."""
    with np.errstate(divide="ignore"):
        scale = float(np.float64(2.0) / np.float64(dof))
    return gk * (x - mean(x, dims, keepdim=True)) * scale


def _std_grad(gk, sk, x, dims, dof):
    zero = sk._data == 0
    safe = sk + _const(zero, sk)
    return _var_grad(gk / (2.0 * safe) * _const(~zero, sk), x, dims, dof)


class Var(Function):
    _array_forward = True
    _node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction):
        ctx.save_for_backward(x)
        v, _, ctx.dof = _moments(x, dims, keepdim, correction, "var")
        ctx.dims, ctx.keepdim = dims, keepdim
        return v

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return _var_grad(_kd(g, x._data.shape, ctx.dims, ctx.keepdim), x, ctx.dims, ctx.dof), None, None, None


class Std(Function):
    _array_forward = True
    _node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction):
        v, _, ctx.dof = _moments(x, dims, keepdim, correction, "std")
        out = np.asarray(np.sqrt(v))
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        gk, sk = _kd(g, shape, ctx.dims, ctx.keepdim), _kd(out, shape, ctx.dims, ctx.keepdim)
        return _std_grad(gk, sk, x, ctx.dims, ctx.dof), None, None, None


class VarMean(Function):
    _array_forward = True
    _node_name = "VarMeanBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction, std):
        v, m, ctx.dof = _moments(x, dims, keepdim, correction, "std" if std else "var")
        if std:
            v = np.asarray(np.sqrt(v))
        if not keepdim:
            m = m.reshape(v.shape)
        ctx.save_for_backward(x, v if std else None)
        ctx.dims, ctx.keepdim, ctx.std = dims, keepdim, std
        return v, m

    @staticmethod
    def backward(ctx, gv, gm):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        grad = None
        if gv is not None:
            gk = _kd(gv, shape, ctx.dims, ctx.keepdim)
            if ctx.std:
                grad = _std_grad(gk, _kd(out, shape, ctx.dims, ctx.keepdim), x, ctx.dims, ctx.dof)
            else:
                grad = _var_grad(gk, x, ctx.dims, ctx.dof)
        if gm is not None:
            gmean = (_kd(gm, shape, ctx.dims, ctx.keepdim) / _numel(shape, ctx.dims)).expand(shape)
            grad = gmean if grad is None else grad + gmean
        return grad, None, None, None, None


class StdMean(VarMean):
    _node_name = "StdMeanBackward0"


def _var_args(name, input, dim, unbiased, correction):
    _check_tensor(input, name)
    if isinstance(dim, bool):  # the legacy form var(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    c = _correction(name, unbiased, correction)
    if not input.is_floating_point():
        raise RuntimeError("std and var only support floating point and complex dtypes")
    return _dims(input, dim, name), c


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance over ``dim`` (all dims by default), dividing by ``N - correction`` (default 1).

    >>> chainrule.tensor([1., 2., 3., 4.]).var()
    tensor(1.6667)
    """
    dims, c = _var_args("var", input, dim, unbiased, correction)
    return _out(Var.apply(input, dims, keepdim, c), out)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation over ``dim``: the square root of :func:`var`."""
    dims, c = _var_args("std", input, dim, unbiased, correction)
    return _out(Std.apply(input, dims, keepdim, c), out)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """``(var, mean)`` over ``dim`` in one pass."""
    dims, c = _var_args("var_mean", input, dim, unbiased, correction)
    return _out(VarMean.apply(input, dims, keepdim, c, False), out)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """``(std, mean)`` over ``dim`` in one pass."""
    dims, c = _var_args("std_mean", input, dim, unbiased, correction)
    return _out(StdMean.apply(input, dims, keepdim, c, True), out)


# -- max, min, amax, amin, argmax, argmin, aminmax ---------------------------------------------------
def _evenly(gk, x, outk, dims):
    xd, od = x._data, outk._data
    mask = xd == od
    if xd.dtype.kind == "f":
        mask |= np.isnan(xd) & np.isnan(od)
    count = np.sum(mask, axis=dims, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = mask / count
    return gk * _const(w, gk)


class Amax(Function):
    _array_forward = True
    _node_name = "AmaxBackward0"
    _np = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, dims, keepdim):
        out = np.asarray(cls._np(x, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        gk, ok = _kd(g, shape, ctx.dims, ctx.keepdim), _kd(out, shape, ctx.dims, ctx.keepdim)
        return _evenly(gk, x, ok, ctx.dims), None, None


class Amin(Amax):
    _node_name = "AminBackward0"
    _np = staticmethod(np.min)


class MaxAll(Amax):
    _node_name = "MaxBackward1"


class MinAll(Amin):
    _node_name = "MinBackward1"


class MaxDim(Function):
    """Values and indices of the maximum along one dim; the gradient goes to the index."""
    _array_forward = True
    _node_name = "MaxBackward0"
    _arg = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx, x, d, keepdim):
        a = x.reshape(1) if x.ndim == 0 else x
        idx = cls._arg(a, axis=d, keepdims=True)
        vals = np.take_along_axis(a, idx, d)
        ctx.idx, ctx.d, ctx.keepdim, ctx.shape = idx, d, keepdim, x.shape
        return _finish_dim(vals, idx, d, keepdim, x.ndim)

    @staticmethod
    def backward(ctx, g, _gi=None):
        return _select_backward(ctx, g), None, None


class MinDim(MaxDim):
    _node_name = "MinBackward0"
    _arg = staticmethod(np.argmin)


def _finish_dim(vals, idx, d, keepdim, ndim):
    """Drop the reduced dim (unless ``keepdim``) from values and int64 indices."""
    idx = idx.astype(np.int64, copy=False)
    if ndim == 0:
        return vals.reshape(()), idx.reshape(())
    if not keepdim:
        vals, idx = np.squeeze(vals, d), np.squeeze(idx, d)
    return vals, idx


def _select_backward(ctx, g):
    """Put ``g`` at the selected index (kept as ``ctx.idx``) of a zero gradient."""
    if len(ctx.shape) == 0:
        return g
    if not ctx.keepdim:
        g = g.unsqueeze(ctx.d)
    return _Scatter.apply(g, ctx.idx, ctx.d, ctx.shape)


def _binary(name, input, other, out):
    from .. import ops  # maximum/minimum live in another family; look them up once all are loaded
    fn = getattr(ops, "maximum" if name == "max" else "minimum")
    return _out(fn(input, other), out)


def _max_min(name, all_cls, dim_cls, input, dim, keepdim, other, out):
    _check_tensor(input, name)
    if other is not None or isinstance(dim, Tensor):
        return _binary(name, input, dim if other is None else other, out)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return _out(all_cls.apply(input, None, False), out)
    d = _dim1(input, dim, name)
    if input._data.ndim:
        _nonempty_dims(input, (d,), name)
    vals, idx = dim_cls.apply(input, d, keepdim)
    return _out(getattr(return_types, name)((vals, idx)), out)


def max(input, dim=None, keepdim=False, *, other=None, out=None):  # noqa: A001
    """The largest element; with ``dim``, ``(values, indices)`` along it; with a tensor, ``maximum``.

    >>> chainrule.tensor([[1., 5.], [7., 2.]]).max(1)
    torch.return_types.max(
    values=tensor([5., 7.]),
    indices=tensor([1, 0]))
    """
    return _max_min("max", MaxAll, MaxDim, input, dim, keepdim, other, out)


def min(input, dim=None, keepdim=False, *, other=None, out=None):  # noqa: A001
    """The smallest element; with ``dim``, ``(values, indices)`` along it; with a tensor, ``minimum``."""
    return _max_min("min", MinAll, MinDim, input, dim, keepdim, other, out)


def _amax_amin(name, cls, input, dim, keepdim, out):
    _check_tensor(input, name)
    dims = _dims(input, dim, name)
    if input._data.size == 0:
        if len(dims) == input._data.ndim and (dim is None or dim == () or dim == []):
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        _nonempty_dims(input, dims, name)
    return _out(cls.apply(input, dims, keepdim), out)


def amax(input, dim=(), keepdim=False, *, out=None):
    """Maximum over ``dim`` (all dims by default); the gradient is shared evenly among ties."""
    return _amax_amin("amax", Amax, input, dim, keepdim, out)


def amin(input, dim=(), keepdim=False, *, out=None):
    """Minimum over ``dim`` (all dims by default); the gradient is shared evenly among ties."""
    return _amax_amin("amin", Amin, input, dim, keepdim, out)


def _arg_reduce(name, npfn, input, dim, keepdim, out):
    _check_tensor(input, name)
    a = input._data
    if a.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = np.asarray(npfn(a.reshape(-1)), dtype=np.int64)
        if keepdim:
            r = r.reshape((1,) * a.ndim)
        return _out(Tensor._make(r), out)
    d = _dim1(input, dim, name)
    if a.ndim == 0:
        return _out(Tensor._make(np.zeros((), np.int64)), out)
    _nonempty_dims(input, (d,), name)
    return _out(Tensor._make(np.asarray(npfn(a, axis=d, keepdims=keepdim), dtype=np.int64)), out)


def argmax(input, dim=None, keepdim=False, *, out=None):
    """Index of the (first) maximum, of the flattened input when ``dim`` is None."""
    return _arg_reduce("argmax", np.argmax, input, dim, keepdim, out)


def argmin(input, dim=None, keepdim=False, *, out=None):
    """Index of the (first) minimum, of the flattened input when ``dim`` is None."""
    return _arg_reduce("argmin", np.argmin, input, dim, keepdim, out)


class Aminmax(Function):
    _array_forward = True
    _node_name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        lo = np.asarray(np.min(x, axis=dims, keepdims=keepdim))
        hi = np.asarray(np.max(x, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, lo, hi)
        ctx.dims, ctx.keepdim = dims, keepdim
        return lo, hi

    @staticmethod
    def backward(ctx, glo, ghi):
        x, lo, hi = ctx.saved_tensors
        shape = x._data.shape
        grad = None
        for g, o in ((glo, lo), (ghi, hi)):
            if g is not None:
                t = _evenly(_kd(g, shape, ctx.dims, ctx.keepdim), x, _kd(o, shape, ctx.dims, ctx.keepdim), ctx.dims)
                grad = t if grad is None else grad + t
        return grad, None, None


def aminmax(input, *, dim=None, keepdim=False, out=None):
    """``(min, max)`` over ``dim`` (all dims by default)."""
    _check_tensor(input, "aminmax")
    if dim is None:
        dims = tuple(range(input._data.ndim))
    else:
        d = _dim1(input, dim, "aminmax")
        dims = (d,) if input._data.ndim else ()
    if _numel(input._data.shape, dims) == 0 or input._data.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    return _out(return_types.aminmax(Aminmax.apply(input, dims, keepdim)), out)


# -- logsumexp -------------------------------------------------------------------------------
class Logsumexp(Function):
    """Stable primitive: subtracts the (finite) maximum before exponentiating."""
    _array_forward = True
    _node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        if x.size:
            m = np.max(x, axis=dims, keepdims=True)
            m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
        else:
            m = np.zeros(np.sum(x, axis=dims, keepdims=True).shape, dtype=x.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
        if not keepdim and dims:
            out = np.squeeze(out, dims)
        out = np.asarray(out)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        gk, ok = _kd(g, shape, ctx.dims, ctx.keepdim), _kd(out, shape, ctx.dims, ctx.keepdim)
        return gk * (x - ok).exp(), None, None


def logsumexp(input, dim, keepdim=False, *, out=None):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    _check_tensor(input, "logsumexp")
    dims = _dims(input, dim, "logsumexp")
    return _out(Logsumexp.apply(_to_float(input), dims, keepdim), out)


# -- cumsum and cumprod ----------------------------------------------------------------------------
def _cum(npfn, x, d, dt):
    if x.ndim == 0:
        return np.asarray(npfn(x.reshape(1), axis=0, dtype=dt).reshape(()))
    return npfn(x, axis=d, dtype=dt)


class _RevCumsum(Function):
    """``out[k] = sum_{i>=k} g[i]`` along ``d``: the adjoint of cumsum."""
    _array_forward = True
    _node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, g, d):
        ctx.d = d
        if g.ndim == 0:
            return g.copy()
        return np.ascontiguousarray(np.flip(np.cumsum(np.flip(g, d), axis=d), d))

    @staticmethod
    def backward(ctx, gg):
        return cumsum(gg, ctx.d), None


class Cumsum(Function):
    _array_forward = True
    _node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, d, dt):
        ctx.d = d
        return _cum(np.cumsum, x, d, dt)

    @staticmethod
    def backward(ctx, g):
        return _RevCumsum.apply(g, ctx.d), None, None


class Cumprod(Function):
    _array_forward = True
    _node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, d, dt):
        out = _cum(np.cumprod, x, d, dt)
        ctx.save_for_backward(x, out)
        ctx.d = d
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        if x._data.ndim == 0:
            return g, None, None
        if not (x._data == 0).any():
            return _RevCumsum.apply(g * out, ctx.d) / x, None, None
        return _cumprod_grad(x, g, ctx.d), None, None


def _cum_args(name, input, dim, dtype):
    _check_tensor(input, name)
    if dim is None or not _is_int(dim):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return wrap_dim(int(dim), input._data.ndim), _sum_dtype(input, dtype)


def cumsum(input, dim, *, dtype=None, out=None):
    """Running sum along ``dim``; integer and bool inputs give int64."""
    d, dt = _cum_args("cumsum", input, dim, dtype)
    return _out(Cumsum.apply(input, d, dt), out)


def cumprod(input, dim, *, dtype=None, out=None):
    """Running product along ``dim``; its gradient is exact when the input holds zeros."""
    d, dt = _cum_args("cumprod", input, dim, dtype)
    return _out(Cumprod.apply(input, d, dt), out)


# -- all, any, count_nonzero ------------------------------------------------------------------------
def _logical_reduce(name, npfn, input, dim, keepdim, out):
    _check_tensor(input, name)
    a = input._data
    odt = np.uint8 if a.dtype == np.uint8 else np.bool_
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return _out(Tensor._make((a != 0).astype(odt)), out)
    dims = _dims(input, dim, name)
    return _out(Tensor._make(np.asarray(npfn(a, axis=dims, keepdims=keepdim)).astype(odt)), out)


def all(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """True where every element (over ``dim``) is nonzero."""
    return _logical_reduce("all", np.all, input, dim, keepdim, out)


def any(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """True where some element (over ``dim``) is nonzero."""
    return _logical_reduce("any", np.any, input, dim, keepdim, out)


def count_nonzero(input, dim=None):
    """Number of nonzero elements (over ``dim``), as int64."""
    _check_tensor(input, "count_nonzero")
    dims = _dims(input, dim, "count_nonzero")
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=dims), dtype=np.int64))


# -- order statistics: sort, argsort, topk, kthvalue, median, mode ----------------------------------------
def _argsort(a, d, descending):
    """Stable argsort along ``d``; descending keeps equal elements in their original order."""
    if not descending:
        return np.argsort(a, axis=d, kind="stable")
    n = a.shape[d]
    idx = np.argsort(np.flip(a, d), axis=d, kind="stable")
    return np.ascontiguousarray(np.flip(n - 1 - idx, d))


class _SelectAlong(Function):
    """Values picked by precomputed indices along one dim (sort, topk, kthvalue, median, mode)."""
    _array_forward = True

    @staticmethod
    def forward(ctx, x, idx, d, keepdim):
        ctx.idx, ctx.d, ctx.keepdim, ctx.shape = idx, d, keepdim, x.shape
        a = x.reshape(1) if x.ndim == 0 else x
        return _finish_dim(np.take_along_axis(a, idx, d), idx, d, keepdim, x.ndim)

    @staticmethod
    def backward(ctx, g, _gi=None):
        return _select_backward(ctx, g), None, None, None


class SortFn(_SelectAlong):
    _node_name = "SortBackward0"


class TopkFn(_SelectAlong):
    _node_name = "TopkBackward0"


class KthvalueFn(_SelectAlong):
    _node_name = "KthvalueBackward0"


class MedianDim(_SelectAlong):
    _node_name = "MedianBackward1"


class ModeFn(_SelectAlong):
    _node_name = "ModeBackward0"


def _as1d(a):
    return a.reshape(1) if a.ndim == 0 else a


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """Sorted values and the indices that sort ``input`` along ``dim`` (NaN sorts as largest).

    The sort is always stable.
    """
    _check_tensor(input, "sort")
    d = _dim1(input, dim, "sort")
    idx = _argsort(_as1d(input._data), d, descending)
    return _out(return_types.sort(SortFn.apply(input, idx, d, True)), out)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim``."""
    _check_tensor(input, "argsort")
    d = _dim1(input, dim, "argsort")
    idx = _argsort(_as1d(input._data), d, descending)
    return Tensor._make(idx.astype(np.int64, copy=False).reshape(input._data.shape))


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, in sorted order."""
    _check_tensor(input, "topk")
    d = _dim1(input, dim, "topk")
    a = _as1d(input._data)
    if not 0 <= k <= a.shape[d]:
        raise RuntimeError("selected index k out of range")
    if input._data.ndim == 0:
        return _out(return_types.topk(TopkFn.apply(input, np.zeros(1, np.int64), 0, True)), out)
    return _out(return_types.topk(TopkFn.apply(input, _topk_index(a, k, d, largest), d, True)), out)


def _topk_index(a, k, d, largest):
    n = a.shape[d]
    kind = a.dtype.kind
    if 0 < k < n // 2 and (kind in "iu" or kind == "f" and not np.isnan(a).any()):
        # Partition first (O(n)), then sort only the k chosen; ~a reverses integer order without overflow.
        key = (-a if kind == "f" else ~a) if largest else a
        part = np.take(np.argpartition(key, k - 1, axis=d), np.arange(k), axis=d)
        order = np.argsort(np.take_along_axis(key, part, d), axis=d, kind="stable")
        return np.take_along_axis(part, order, d)
    return np.take(_argsort(a, d, largest), np.arange(k), axis=d)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
    _check_tensor(input, "kthvalue")
    d = _dim1(input, dim, "kthvalue")
    a = _as1d(input._data)
    if input._data.ndim:
        _nonempty_dims(input, (d,), "kthvalue")
    if not 1 <= k <= a.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    idx = np.take(_argsort(a, d, False), [k - 1], axis=d)
    return _out(return_types.kthvalue(KthvalueFn.apply(input, idx, d, keepdim)), out)


def _median_index(a, d):
    """Index of the lower median along ``d`` (kept as a size-1 dim); a NaN wins, the first one."""
    n = a.shape[d]
    idx = np.take(_argsort(a, d, False), [(n - 1) // 2], axis=d)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has = nan.any(axis=d, keepdims=True)
        if has.any():
            idx = np.where(has, np.argmax(nan, axis=d, keepdims=True), idx)
    return idx


class MedianAll(Function):
    _array_forward = True
    _node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x):
        flat = x.reshape(-1)
        if flat.size == 0:
            out = np.array(np.nan, dtype=x.dtype)
        else:
            out = flat[_median_index(flat, 0)].reshape(())
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _evenly(g, x, out, None), None


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``; NaN propagates."""
    _check_tensor(input, "median")
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
    if dim is None:
        return _out(MedianAll.apply(input), out)
    d = _dim1(input, dim, "median")
    if input._data.ndim:
        _nonempty_dims(input, (d,), "median")
    idx = _median_index(_as1d(input._data), d)
    return _out(return_types.median(MedianDim.apply(input, idx, d, keepdim)), out)


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along ``dim`` (the smallest among equally frequent) and its last index."""
    _check_tensor(input, "mode")
    d = _dim1(input, dim, "mode")
    a = _as1d(input._data)
    if input._data.ndim:
        _nonempty_dims(input, (d,), "mode")
    order = _argsort(a, d, False)
    s = np.moveaxis(np.take_along_axis(a, order, d), d, -1)
    n = s.shape[-1]
    pos = np.arange(n)
    start = np.ones(s.shape, bool)
    start[..., 1:] = s[..., 1:] != s[..., :-1]
    end = np.ones(s.shape, bool)
    end[..., :-1] = start[..., 1:]
    first = np.maximum.accumulate(np.where(start, pos, 0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, n - 1), -1), axis=-1), -1)
    best = np.argmax(last - first + 1, axis=-1)[..., None]   # the first run of the greatest length
    where_in_sorted = np.take_along_axis(last, best, -1)     # its last element: the largest index (stable)
    idx = np.take_along_axis(np.moveaxis(order, d, -1), where_in_sorted, -1)
    idx = np.moveaxis(idx, -1, d)
    return _out(return_types.mode(ModeFn.apply(input, idx, d, keepdim)), out)


# -- softmax and log_softmax --------------------------------------------------------------------------
def _soft_args(name, input, dim, dtype):
    _check_tensor(input, name)
    if not _is_int(dim):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = wrap_dim(int(dim), input._data.ndim)
    if dtype is not None:
        input = input.to(dtype)
    if not input.is_floating_point():
        last = "_lastdim" if d == input._data.ndim - 1 or input._data.ndim == 0 else ""
        raise NotImplementedError(f"\"{name}{last}_kernel_impl\" not implemented for '{_CAP[input.dtype.name]}'")
    return input, (d,) if input._data.ndim else ()


class Softmax(Function):
    """Stable primitive: subtracts the maximum along ``dim`` first."""
    _array_forward = True
    _node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        if x.size == 0:
            out = x.copy()
        else:
            with np.errstate(invalid="ignore"):  # rows of -inf give nan, as in PyTorch
                e = np.exp(x - np.max(x, axis=dims, keepdims=True))
                out = np.asarray(e / np.sum(e, axis=dims, keepdims=True))
        ctx.save_for_backward(out)
        ctx.dims = dims
        return out

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return y * (g - sum(g * y, ctx.dims, keepdim=True)), None


class LogSoftmax(Function):
    """Stable primitive: ``x - max - log(sum(exp(x - max)))``."""
    _array_forward = True
    _node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        if x.size == 0:
            out = x.copy()
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                z = x - np.max(x, axis=dims, keepdims=True)
                out = np.asarray(z - np.log(np.sum(np.exp(z), axis=dims, keepdims=True)))
        ctx.save_for_backward(out)
        ctx.dims = dims
        return out

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g - y.exp() * sum(g, ctx.dims, keepdim=True), None


def softmax(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``; ``dtype`` casts the input first.

    >>> chainrule.tensor([1., 1.]).softmax(0)
    tensor([0.5000, 0.5000])
    """
    x, dims = _soft_args("softmax", input, dim, dtype)
    return Softmax.apply(x, dims)


def log_softmax(input, dim, dtype=None):
    """``log(softmax(x))`` along ``dim``, computed stably."""
    x, dims = _soft_args("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(x, dims)


# -- Tensor methods -----------------------------------------------------------------------------------
def _cumsum_(self, dim, *, dtype=None):
    return self._apply_inplace(cumsum(self, dim, dtype=dtype))


def _cumprod_(self, dim, *, dtype=None):
    return self._apply_inplace(cumprod(self, dim, dtype=dtype))


METHODS = {
    "sum": sum, "mean": mean, "nansum": nansum, "nanmean": nanmean, "sum_to_size": sum_to_size,
    "prod": prod, "var": var, "std": std, "max": max, "min": min, "amax": amax, "amin": amin,
    "argmax": argmax, "argmin": argmin, "aminmax": aminmax, "logsumexp": logsumexp,
    "cumsum": cumsum, "cumprod": cumprod, "cumsum_": _cumsum_, "cumprod_": _cumprod_,
    "all": all, "any": any, "count_nonzero": count_nonzero, "median": median, "mode": mode,
    "kthvalue": kthvalue, "softmax": softmax, "log_softmax": log_softmax, "sort": sort,
    "argsort": argsort, "topk": topk,
}
