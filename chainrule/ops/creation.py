"""Creating tensors: from data, filled, ranges, and the ``*_like`` family."""
from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype
from .._size import check_device
from .._tensor import Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "eye",
           "arange", "linspace", "logspace", "zeros_like", "ones_like", "full_like", "empty_like",
           "scalar_tensor", "is_tensor", "numel"]


def _infer_np_dtype(data):
    """PyTorch's inference: any float makes the default dtype, ints int64, bools bool."""
    kinds = set()
    stack = [data]
    while stack:
        d = stack.pop()
        if isinstance(d, (list, tuple)):
            stack.extend(d)
        elif isinstance(d, Tensor):
            kinds.add(d._data.dtype.kind if d._data.dtype.kind != "f" else "F" + d._data.dtype.str)
        elif isinstance(d, (bool, np.bool_)):
            kinds.add("b")
        elif isinstance(d, numbers.Integral):
            kinds.add("i")
        elif isinstance(d, numbers.Real):
            kinds.add("f")
        elif isinstance(d, complex):
            raise TypeError("chainrule does not support complex tensors")
        else:
            raise TypeError(f"new(): invalid data type '{type(d).__name__}'")
    if "f" in kinds or any(k.startswith("F") for k in kinds):
        return _dtype.get_default_dtype().np
    if "i" in kinds or "u" in kinds:
        return np.dtype(np.int64)
    if "b" in kinds:
        return np.dtype(np.bool_)
    return _dtype.get_default_dtype().np


def _array_from(data, dtype):
    if isinstance(data, Tensor):
        arr = data._data
        return arr.astype(dtype.np) if dtype is not None else arr.copy()
    if isinstance(data, np.ndarray):
        if dtype is None:
            _dtype.from_numpy_dtype(data.dtype)
            return data.copy()
        return data.astype(dtype.np)
    if isinstance(data, np.generic):
        dt = dtype.np if dtype is not None else _dtype.from_numpy_dtype(data.dtype).np
        return np.array(data, dtype=dt)
    if dtype is None:
        npdt = _infer_np_dtype(data)
    else:
        npdt = dtype.np
    if isinstance(data, (list, tuple)):
        _check_ragged(data)
        data = _unwrap(data)
    try:
        return np.array(data, dtype=npdt)
    except OverflowError:
        raise RuntimeError(f"value cannot be converted to type {np.dtype(npdt)} without overflow") from None


def _unwrap(data):
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    if isinstance(data, Tensor):
        return data._data
    return data


def _check_ragged(data):
    def shape_of(d):
        if isinstance(d, (list, tuple)):
            inner = [shape_of(x) for x in d]
            if inner and any(s != inner[0] for s in inner):
                raise ValueError(f"expected sequence of length {inner[0][0] if inner[0] else 0} at dim 1 (got {len(d)})")
            return (len(d),) + (inner[0] if inner else ())
        if isinstance(d, Tensor):
            return d._data.shape
        return ()
    d = data
    stack = [(data, 0)]
    while stack:
        d, depth = stack.pop()
        if isinstance(d, (list, tuple)) and d:
            lens = {len(x) if isinstance(x, (list, tuple)) else (-1 if not isinstance(x, Tensor) else -2) for x in d}
            if len(lens) > 1:
                first = d[0]
                n = len(first) if isinstance(first, (list, tuple)) else 0
                bad = next(x for x in d if (len(x) if isinstance(x, (list, tuple)) else -1) != n)
                got = len(bad) if isinstance(bad, (list, tuple)) else 0
                raise ValueError(f"expected sequence of length {n} at dim {depth + 1} (got {got})")
            stack.extend((x, depth + 1) for x in d)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Make a tensor that owns a copy of ``data``: ``tensor([1., 2.])`` is float32.

    >>> chainrule.tensor([[1, 2], [3, 4]]).dtype
    torch.int64
    """
    check_device(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    arr = _array_from(data, dt)
    _dtype.from_numpy_dtype(arr.dtype)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a Tensor or ndarray when the dtype matches."""
    check_device(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        return data if dt is None or dt is data.dtype else data.to(dt)
    if isinstance(data, np.ndarray) and (dt is None or dt.np == data.dtype):
        _dtype.from_numpy_dtype(data.dtype)
        return Tensor._make(data)
    return tensor(data, dtype=dt)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    t = as_tensor(obj, dtype=dtype, device=device) if not copy else tensor(obj, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (writes through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _size_args(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(arr, requires_grad):
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dt(dtype):
    return (_dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    check_device(device)
    return _finish(np.zeros(_size_args(size), _dt(dtype)), requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ones."""
    check_device(device)
    return _finish(np.ones(_size_args(size), _dt(dtype)), requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None, pin_memory=False):
    """An uninitialised tensor (chainrule fills it with zeros)."""
    check_device(device)
    return _finish(np.zeros(_size_args(size), _dt(dtype)), requires_grad)


def _fill_dtype(fill_value):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if isinstance(fill_value, (bool, np.bool_)):
        return _dtype.bool
    if isinstance(fill_value, numbers.Integral):
        return _dtype.int64
    return _dtype.get_default_dtype()


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor filled with ``fill_value``; its dtype follows the value, as in PyTorch."""
    check_device(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _fill_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(np.full(_size_args((size,) if isinstance(size, int) else size), fill_value, dt.np), requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return full((), s, dtype=dtype or _dtype.get_default_dtype(), requires_grad=requires_grad)


def _like(input, dtype):
    if not isinstance(input, Tensor):
        raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(input).__name__}")
    return (_dtype.to_dtype(dtype) if dtype is not None else input.dtype).np


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(input._data.shape, _like(input, dtype)), requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.ones(input._data.shape, _like(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.zeros(input._data.shape, _like(input, dtype)), requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _finish(np.full(input._data.shape, fill_value, _like(input, dtype)), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The identity matrix, ``n`` x ``m``."""
    check_device(device)
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    return _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 for integer arguments."""
    check_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dt = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in vals) else _dtype.get_default_dtype()
    else:
        dt = _dtype.to_dtype(dtype)
    n = int(np.ceil((end - start) / step))
    arr = (start + np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64) * step).astype(dt.np)
    return _finish(arr, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    check_device(device)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dt(dtype)
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    # PyTorch fills the first half from start and the second half from end, which
    # makes both ends exact; do the same so values agree bit for bit.
    if steps == 1:
        arr = np.array([start], dtype=np.float64)
    else:
        step = (end - start) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        arr = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if np.dtype(dt).kind == "f" and dt != np.float64:
        # compute in the target precision like PyTorch's kernel does
        s32 = np.asarray((end - start) / (steps - 1) if steps > 1 else 0.0, dtype=dt)
        i = np.arange(steps).astype(dt)
        half = steps // 2
        arr = np.where(i < half, np.asarray(start, dt) + s32 * i, np.asarray(end, dt) - s32 * (np.asarray(steps - 1, dt) - i))
    return _finish(np.asarray(arr).astype(dt), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    lin = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish((base ** lin).astype(_dt(dtype)), requires_grad)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


METHODS = {}
