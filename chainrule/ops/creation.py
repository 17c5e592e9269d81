"""Creating tensors: from data, filled, ranges, and the ``*_like`` family.

``tensor`` infers dtypes as PyTorch does: Python floats give the default dtype, ints
int64, bools bool; NumPy scalars, arrays and tensors inside a list bring their own dtype,
and the result is their promotion. ``arange`` and ``linspace`` compute each value the way
PyTorch's CPU kernels do (fused multiply-adds, and for ``arange`` blocks of 8 or 16), so
the values agree bit for bit.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _dtype
from .._size import check_device
from .._tensor import Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "eye",
           "arange", "linspace", "logspace", "zeros_like", "ones_like", "full_like", "empty_like",
           "scalar_tensor", "is_tensor", "numel"]

_SEQ = (list, tuple, range)
_SUPPORTED = "float64, float32, float16, int64, int32, int16, int8, uint8, and bool"


# -- dtype inference ------------------------------------------------------------------------------
def _np_dtype(d):
    """chainrule dtype of a NumPy dtype, with PyTorch's message for unsupported ones."""
    try:
        return _dtype._by_np[d]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type numpy.{np.dtype(d).type.__name__}. "
                        f"The only supported types are: {_SUPPORTED}.") from None


def _leaf_dtype(x):
    """The dtype one scalar element contributes to a ``tensor(...)`` call."""
    t = type(x)
    if t is float:
        return _dtype.get_default_dtype()
    if t is int:
        return _dtype.int64
    if t is bool:
        return _dtype.bool
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (np.generic, np.ndarray)):
        if x.dtype.kind == "c":
            raise TypeError("chainrule does not support complex tensors")
        return _np_dtype(x.dtype)
    if isinstance(x, bool):
        return _dtype.bool
    if isinstance(x, numbers.Integral):
        return _dtype.int64
    if isinstance(x, numbers.Real):
        return _dtype.get_default_dtype()
    if isinstance(x, numbers.Complex):
        raise TypeError("chainrule does not support complex tensors")
    if isinstance(x, str):
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    raise RuntimeError(f"Could not infer dtype of {t.__name__}")


def _is_seq(x):
    return isinstance(x, _SEQ) or (isinstance(x, np.ndarray) and x.ndim > 0)


def _scan(data):
    """Shape, inferred dtype and leaf facts of nested sequences (PyTorch's errors when ragged)."""
    shape = []
    d = data
    while _is_seq(d):
        if isinstance(d, (list, tuple)) and d and isinstance(d[0], str):
            raise ValueError("too many dimensions 'str'")
        if isinstance(d, np.ndarray):
            shape.extend(d.shape)
            break
        shape.append(len(d))
        if not len(d):
            break
        d = d[0]
    ndim = len(shape)
    if 0 in shape:  # nothing to store: PyTorch checks nothing further
        return tuple(shape), _dtype.get_default_dtype(), False, False, False
    plain = set()  # Python scalar types seen
    dts = set()  # dtypes brought by NumPy scalars and arrays, and tensors
    seq_leaf = has_tensor = has_array = False
    stack = [(data, 0)]
    while stack:
        seq, dim = stack.pop()
        if isinstance(seq, np.ndarray):
            if seq.shape != tuple(shape[dim:]):
                k = next(i for i in range(seq.ndim) if i + dim >= ndim or seq.shape[i] != shape[dim + i])
                expected = shape[dim + k] if dim + k < ndim else 0
                raise ValueError(f"expected sequence of length {expected} at dim {dim + k} (got {seq.shape[k]})")
            dts.add(_np_dtype(seq.dtype))
            has_array = True
            continue
        if len(seq) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(seq)})")
        if dim == ndim - 1:
            kinds = set(map(type, seq))
            if kinds <= _PLAIN:
                plain |= kinds
                continue
            for x in seq:
                t = type(x)
                if t in _PLAIN:
                    plain.add(t)
                elif _is_seq(x):
                    seq_leaf = True
                else:
                    has_tensor = has_tensor or isinstance(x, Tensor)
                    dts.add(_leaf_dtype(x))
        else:
            for x in seq:
                if not _is_seq(x):
                    if isinstance(x, str):
                        raise TypeError("new(): invalid data type 'str'")
                    raise TypeError("not a sequence")
                stack.append((x, dim + 1))
    dt = None
    for d in [_leaf_dtype(t()) for t in plain] + list(dts):
        dt = d if dt is None else _dtype.promote_types(dt, d)
    return tuple(shape), dt or _dtype.get_default_dtype(), seq_leaf, has_tensor, has_array


_PLAIN = {float, int, bool}


def _unwrap(data):
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    if isinstance(data, Tensor):
        if data._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data._data.reshape(()).item()
    return data


def _convert(data, shape, src, dt):
    """Nested Python data (already scanned: its own dtype is ``src``) as an array of dtype ``dt``,
    converting values as PyTorch does (truncation, overflow errors, uint8 wrap-around)."""
    if dt.is_floating_point or dt is _dtype.bool:
        try:
            with np.errstate(over="ignore"):  # too large for the dtype: inf, as in PyTorch
                return np.array(data, dtype=dt.np).reshape(shape)
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None
    if src.is_floating_point:
        vals = np.array(data, dtype=np.float64)
        info = np.iinfo(dt.np)
        if vals.size and not (np.isfinite(vals).all() and vals.min() >= info.min and vals.max() < info.max + 1.0):
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
        return np.trunc(vals).astype(dt.np).reshape(shape)
    try:
        vals = np.array(data, dtype=np.int64)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if dt is not _dtype.int64 and vals.size:
        lo, hi = _INT_LIMITS[dt.name]
        if vals.min() < lo or vals.max() > hi:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return vals.astype(dt.np).reshape(shape)


_INT_LIMITS = {"uint8": (-255, 255), "int8": (-128, 127), "int16": (-(1 << 15), (1 << 15) - 1),
               "int32": (-(1 << 31), (1 << 31) - 1)}


def _check_native(arr):
    if not arr.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. "
                         "Conversion between byte orders is currently not supported.")


def _array_from(data, dt):
    """A new array holding ``data`` (nested sequences, scalars, arrays, tensors) in dtype ``dt``
    (None: infer it)."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr.astype(dt.np) if dt is not None else arr.copy()
    if isinstance(data, np.ndarray):
        if data.dtype.kind == "c":
            raise TypeError("chainrule does not support complex tensors")
        _check_native(data)
        if dt is None or data.dtype.kind not in "biuf":
            src = _np_dtype(data.dtype)  # raises for dtypes chainrule cannot hold
            dt = dt or src
        return np.array(data, dtype=dt.np)
    if _is_seq(data):
        shape, src, seq_leaf, has_tensor, has_array = _scan(data)
        dt = dt or src
        if 0 in shape:
            return np.zeros(shape, dt.np)
        if seq_leaf:
            raise TypeError("must be real number, not list" if dt.is_floating_point
                            else "'list' object cannot be interpreted as an integer")
        if has_tensor:
            data = _unwrap(data)
        if has_array:
            return np.array(data, dtype=dt.np).reshape(shape)
        return _convert(data, shape, src, dt)
    src = _leaf_dtype(data)
    if isinstance(data, (np.generic, np.ndarray)):
        return np.array(data, dtype=(dt or src).np)
    return _convert(data, (), src, dt or src)


def _requires_grad(t, requires_grad):
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


# -- from data --------------------------------------------------------------------------------------
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data``, with PyTorch's dtype inference.

    >>> chainrule.tensor([[1, 2], [3, 4]]).dtype
    torch.int64
    >>> chainrule.tensor([1., 2.])
    tensor([1., 2.])
    """
    check_device(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    return _requires_grad(Tensor._make(_array_from(data, dt)), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor``, but shares memory with a Tensor or ndarray when no conversion is needed.

    >>> a = numpy.array([1., 2.]); t = chainrule.as_tensor(a); a[0] = 5.; t
    tensor([5., 2.], dtype=torch.float64)
    """
    check_device(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        return data if dt is None or dt is data.dtype else data.to(dt)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf" and data.dtype.isnative:
        src = _np_dtype(data.dtype)
        if dt is None or dt is src:
            return Tensor._make(data)
    return Tensor._make(_array_from(data, dt))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """Convert ``obj`` to a tensor, sharing memory when possible (``copy=False`` insists on it)."""
    check_device(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else None
    if isinstance(obj, Tensor):
        if copy:
            t = obj.clone() if dt is None or dt is obj.dtype else obj.to(dt)
        elif dt is None or dt is obj.dtype:
            t = obj
        elif copy is False:
            raise ValueError(f"can't alias tensor with dtype '{_cap(obj.dtype)}' into dtype '{_cap(dt)}'.")
        else:
            t = obj.to(dt)
    elif isinstance(obj, np.ndarray):
        src = _np_dtype(obj.dtype) if obj.dtype.kind in "biuf" else None
        if copy is False and (src is None or (dt is not None and dt is not src)):
            raise ValueError(f"can't alias tensor with dtype '{_cap(src) if src else obj.dtype}' into dtype "
                             f"'{_cap(dt)}'.")
        if not copy and (dt is None or dt is src) and obj.dtype.isnative:
            t = Tensor._make(obj)
        else:
            t = Tensor._make(_array_from(obj, dt))
    else:
        if copy is False and not isinstance(obj, (numbers.Number, np.generic)):
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        t = Tensor._make(_array_from(obj, dt))
    if requires_grad:
        if t.grad_fn is None:
            _requires_grad(t, True)
        else:
            t.requires_grad_(True)
    return t


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``: writes to either show in both.

    >>> a = numpy.zeros(2); t = chainrule.from_numpy(a); t[0] = 1.; a
    array([1., 0.])
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind == "c":
        raise TypeError("chainrule does not support complex tensors")
    _np_dtype(ndarray.dtype) if ndarray.dtype.isnative or ndarray.dtype.kind not in "biuf" else None
    _check_native(ndarray)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    if not ndarray.flags.writeable:
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support non-writable tensors. "
                      "This means writing to this tensor will result in undefined behavior. You may want to copy "
                      "the array to protect its data or make it writable before converting it to a tensor. This "
                      "type of warning will be suppressed for the rest of this program.", UserWarning, stacklevel=2)
    return Tensor._make(ndarray)


def _cap(d):
    from .._tensor import _cap as cap
    return cap(d)


# -- filled tensors ---------------------------------------------------------------------------------
def _size_args(size, name="zeros"):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(Size)`` -> a tuple of ints, checked."""
    if len(size) == 1 and (isinstance(size[0], (tuple, list)) or
                           (isinstance(size[0], Tensor) and size[0].dim() == 1)):
        size = tuple(size[0])
        packed = True
    else:
        packed = False
    if not size and not packed and name in ("zeros", "ones", "empty"):
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    out = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor) and s._data.size == 1 and s._data.dtype.kind in "iu":
            s = int(s.item())
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
            if len(size) == 1 and not packed:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                                f"{type(s).__name__}")
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(s).__name__}\"")
        out.append(int(s))
    if any(s < 0 for s in out):
        if name == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {out}")
    return tuple(out)


def _finish(arr, requires_grad, out=None):
    if out is not None:
        if not isinstance(out, Tensor):
            raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
        out._check_inplace()
        if out._data.shape != arr.shape:
            out._data = np.empty(arr.shape, out._data.dtype)
        np.copyto(out._data, arr, casting="unsafe")
        out._vc[0] += 1
        return out
    return _requires_grad(Tensor._make(arr), requires_grad)


def _dt(dtype):
    return _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def _shape(args, size, name):
    if size is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        args = (size,)
    return _size_args(args, name)


def zeros(*args, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``.

    >>> chainrule.zeros(2)
    tensor([0., 0.])
    """
    check_device(device)
    return _finish(np.zeros(_shape(args, size, "zeros"), _dt(dtype).np), requires_grad, out)


def ones(*args, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)``."""
    check_device(device)
    return _finish(np.ones(_shape(args, size, "ones"), _dt(dtype).np), requires_grad, out)


def empty(*args, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, pin_memory=False) -> Tensor:
    """A tensor whose values are unspecified (chainrule fills it with zeros)."""
    check_device(device)
    return _finish(np.zeros(_shape(args, size, "empty"), _dt(dtype).np), requires_grad, out)


def _fill_dtype(fill_value):
    if isinstance(fill_value, Tensor):
        return fill_value.dtype if fill_value.dtype.is_floating_point else _fill_dtype(fill_value.item())
    if isinstance(fill_value, (bool, np.bool_)):
        return _dtype.bool
    if isinstance(fill_value, (int, np.integer)):
        return _dtype.int64
    if isinstance(fill_value, numbers.Complex) and not isinstance(fill_value, numbers.Real):
        raise TypeError("chainrule does not support complex tensors")
    return _dtype.get_default_dtype()


def _fill_value(v, dt):
    if isinstance(v, Tensor):
        v = v.item()
    if not dt.is_floating_point and dt is not _dtype.bool:
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
        iv = int(v)
        info = np.iinfo(dt.np)
        if not info.min <= iv <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
        return iv
    return v


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value (bool, int64 or the default).

    >>> chainrule.full((2,), 7)
    tensor([7, 7])
    """
    check_device(device)
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        raise TypeError("full(): argument 'size' (position 1) must be tuple of ints, not int")
    shape = _size_args((size,), "full")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _fill_dtype(fill_value)
    return _finish(np.full(shape, _fill_value(fill_value, dt), dt.np), requires_grad, out)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A 0-dim tensor holding ``s``, in the default dtype unless ``dtype`` is given."""
    check_device(device)
    dt = _dt(dtype)
    return _finish(np.full((), _fill_value(s, dt), dt.np), requires_grad)


def _like(input, dtype, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return (_dtype.to_dtype(dtype) if dtype is not None else input.dtype).np


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """Zeros with the shape (and by default the dtype) of ``input``."""
    check_device(device)
    npdt = _like(input, dtype, "zeros_like")
    return _finish(np.zeros(input._data.shape, npdt), requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """Ones with the shape (and by default the dtype) of ``input``."""
    check_device(device)
    npdt = _like(input, dtype, "ones_like")
    return _finish(np.ones(input._data.shape, npdt), requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """An unspecified tensor (zeros here) with the shape and dtype of ``input``."""
    check_device(device)
    npdt = _like(input, dtype, "empty_like")
    return _finish(np.zeros(input._data.shape, npdt), requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    """``fill_value`` everywhere, with the shape and (by default) the dtype of ``input``."""
    check_device(device)
    npdt = _like(input, dtype, "full_like")
    dt = _dtype._by_np[np.dtype(npdt)]
    return _finish(np.full(input._data.shape, _fill_value(fill_value, dt), npdt), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False) -> Tensor:
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    check_device(device)
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(int(n), None if m is None else int(m), dtype=_dt(dtype).np), requires_grad, out)


# -- ranges ------------------------------------------------------------------------------------------
def _number(v, name):
    if isinstance(v, Tensor):
        if v._data.size != 1:
            raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got start with "
                               f"{v.dim()} dimension(s).")
        return v._data.reshape(()).item()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _fma(a, b, c):
    from .random import _fma64
    return _fma64(a, b, c)


def _fma_f32(a, b, c):
    from .random import _fma32
    return _fma32(a, b, c)


def _pow_exact(base, ex):
    """``base ** ex`` as the C library's ``pow`` gives it (see random._libm_fast)."""
    from .random import _libm_fast
    return _libm_fast(lambda x: np.power(x.dtype.type(base), x), lambda v: math.pow(base, v), ex)


def _fmt(x):
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; int64 when all are ints.

    >>> chainrule.arange(5)
    tensor([0, 1, 2, 3, 4])
    >>> chainrule.arange(0, 1, 0.25)
    tensor([0.0000, 0.2500, 0.5000, 0.7500])
    """
    check_device(device)
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange") for v in (start, end, step))
    for v in (start, end, step):
        if not isinstance(v, numbers.Real):
            raise TypeError(f"arange(): argument 'end' must be Number, not {type(v).__name__}")
    all_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    if dtype is None:
        dt = _dtype.int64 if all_int else _dtype.get_default_dtype()
    else:
        dt = _dtype.to_dtype(dtype)
    if dt is _dtype.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_fmt(start)} -> {_fmt(end)}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt is _dtype.int64:
        # computed in int64 throughout: the arguments are truncated first
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    if all(isinstance(v, numbers.Integral) for v in (start, end, step)):
        n = max(0, -((start - end) // step))  # exact ceil((end - start) / step)
    else:
        n = max(0, math.ceil((float(end) - float(start)) / float(step)))
    if not dt.is_floating_point:
        # the size comes from the arguments as given, the values from them truncated
        vals = int(start) + int(step) * np.arange(n, dtype=np.int64)
        arr = vals.astype(dt.np)
    else:
        arr = _float_range(float(start), float(step), n, dt)
    return _finish(arr, requires_grad, out)


def _float_range(start, step, n, dt):
    # PyTorch fills blocks of 2 vectors (2 x 4 doubles, or 2 x 8 floats): a vector's first value
    # is start + step * i (fused), the others add step * j to it; past the last whole block,
    # each value is start + step * i.
    width = {"float64": 4, "float32": 8, "float16": 16}[dt.name]
    full = n // (2 * width) * (2 * width)
    out = np.empty(n, np.float64)
    tail = np.arange(full, n, dtype=np.float64)
    out[full:] = _fma(step, tail, start)
    if full:
        base = _fma(step, np.arange(0, full, width, dtype=np.float64), start)[:, None]
        blocks = out[:full].reshape(-1, width)
        if dt is _dtype.float64:
            blocks[:, 0:1] = base
            blocks[:, 1:2] = base + step
            blocks[:, 2:3] = base + 2.0 * step
            blocks[:, 3:4] = _fma(step, 3.0, base)
        else:
            blocks[:] = base.astype(dt.np).astype(np.float64) + np.arange(width) * step
    return out.astype(dt.np)


def _steps_arg(steps, name):
    if isinstance(steps, Tensor) and steps._data.size == 1 and steps._data.dtype.kind in "iu":
        steps = int(steps.item())
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got steps of type "
                        f"{type(steps).__name__}, but expected int steps")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _linspace_values(start, end, steps, dt):
    """PyTorch's linspace: the first half counts up from start, the second down from end, each
    value one fused multiply-add (in float32 for float32 and float16, double otherwise)."""
    half = steps // 2
    up = np.arange(half, dtype=np.float64)
    down = np.arange(steps - 1 - half, -1, -1, dtype=np.float64)
    if dt is _dtype.float32 or dt is _dtype.float16:
        f = np.float32
        s, e = f(start), f(end)
        step = (e - s) / f(steps - 1)
        return np.concatenate([_fma_f32(step, up, s), _fma_f32(-step, down, e)])
    if dt is not _dtype.float64:  # integer dtypes start from the ends truncated
        start, end = float(int(start)), float(int(end))
    step = (end - start) / (steps - 1)
    vals = np.concatenate([_fma(step, up, start), _fma(-step, down, end)])
    # integer dtypes: computed in double, truncated toward zero
    return vals if dt is _dtype.float64 else np.trunc(vals)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (PyTorch's exact values).

    >>> chainrule.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    check_device(device)
    steps = _steps_arg(steps, "linspace")
    start, end = _number(start, "linspace"), _number(end, "linspace")
    dt = _dt(dtype)
    if dt is _dtype.bool:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if steps == 0:
        arr = np.zeros(0, dt.np)
    elif steps == 1:
        arr = np.array([start], dtype=np.float64).astype(dt.np)
    else:
        arr = _linspace_values(float(start), float(end), steps, dt).astype(dt.np)
    return _finish(arr, requires_grad, out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the exponent.

    >>> chainrule.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    check_device(device)
    steps = _steps_arg(steps, "logspace")
    start, end = float(_number(start, "logspace")), float(_number(end, "logspace"))
    dt = _dt(dtype)
    if dt is _dtype.bool:
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    if steps == 0:
        return _finish(np.zeros(0, dt.np), requires_grad, out)
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    if steps == 1:
        vals = _pow_exact(float(base), np.array([start]))
        return _finish((np.trunc(vals) if not dt.is_floating_point else vals).astype(dt.np), requires_grad, out)
    if dt is _dtype.float64 or not dt.is_floating_point:
        if not dt.is_floating_point:  # integer dtypes use the exponents truncated
            start, end = float(int(start)), float(int(end))
        step = (end - start) / (steps - 1)
        ex = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
        vals = _pow_exact(float(base), ex)
        if not dt.is_floating_point:
            vals = np.trunc(vals)
    else:
        # PyTorch raises to these powers in vectorised float32 code; this is within a few ulp
        start, end = float(np.float32(start)), float(np.float32(end))
        step = (end - start) / (steps - 1)
        ex = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
        vals = np.power(float(base), ex)
    return _finish(vals.astype(dt.np), requires_grad, out)


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a chainrule Tensor."""
    return isinstance(obj, Tensor)


def numel(input) -> int:
    """The number of elements of ``input``."""
    return input.numel()


METHODS = {}
