"""dtypes, PyTorch's type promotion, and the default dtype."""
from __future__ import annotations

import numpy as np

# PyTorch's Python scalars are "weak" (they never widen a tensor's dtype), which is NumPy 2's
# rule (NEP 50). NumPy 1.24-1.26 can follow it too when asked; chainrule asks.
if np.lib.NumpyVersion(np.__version__) < "2.0.0" and hasattr(np, "_set_promotion_state"):
    np._set_promotion_state("weak")

__all__ = [
    "dtype", "float16", "half", "float32", "float", "float64", "double",
    "int8", "int16", "int32", "int", "int64", "long", "short", "uint8", "bool",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "can_cast", "is_floating_point", "finfo", "iinfo",
]


class dtype:
    """A tensor element type, e.g. ``chainrule.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank")

    def __init__(self, name, np_type, floating, signed, rank):
        self.name = name
        self.np = np.dtype(np_type)
        self.is_floating_point = floating
        self.is_signed = signed
        self.itemsize = self.np.itemsize
        self._rank = rank  # category: 0 bool, 1 integer, 2 floating

    is_complex = False

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name.__getitem__, (self.name,))

    def to_real(self):
        return self

    def to_complex(self):
        raise TypeError(f"{self!r} has no complex counterpart in chainrule")


bool = dtype("bool", np.bool_, False, False, 0)  # noqa: A001  (torch.bool)
uint8 = dtype("uint8", np.uint8, False, False, 1)
int8 = dtype("int8", np.int8, False, True, 1)
int16 = dtype("int16", np.int16, False, True, 1)
int32 = dtype("int32", np.int32, False, True, 1)
int64 = dtype("int64", np.int64, False, True, 1)
float16 = dtype("float16", np.float16, True, True, 2)
float32 = dtype("float32", np.float32, True, True, 2)
float64 = dtype("float64", np.float64, True, True, 2)
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_by_name = {d.name: d for d in _ALL}
_by_np = {d.np: d for d in _ALL}
_by_np.update({d.np.type: d for d in _ALL})

_default = [float32]


def from_numpy_dtype(np_dtype) -> dtype:
    """The chainrule dtype of a NumPy dtype; TypeError for unsupported ones."""
    try:
        return _by_np[np_dtype]
    except KeyError:
        pass
    try:
        return _by_np[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d) -> dtype:
    """Accept a chainrule dtype, a NumPy dtype, or a Python type (float, int, bool)."""
    if d.__class__ is dtype:
        return d
    import builtins

    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    return from_numpy_dtype(d)


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the default floating dtype: ``set_default_dtype(chainrule.float64)``."""
    if d.__class__ is not dtype:
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` cast to, as PyTorch defines it."""
    for k, x in ((1, a), (2, b)):
        if x.__class__ is not dtype:
            raise TypeError(f"promote_types(): argument 'type{k}' (position {k}) must be torch.dtype, not "
                            f"{type(x).__name__}")
    if a is b:
        return a
    if a._rank != b._rank:
        hi, lo = (a, b) if a._rank > b._rank else (b, a)
        return hi
    if a._rank == 2:
        if {a, b} == {float16, float32}:
            return float32
        return a if a.itemsize >= b.itemsize else b
    if a._rank == 0:
        return a
    return _by_np[np.promote_types(a.np, b.np)]


def _combine(higher, lower):
    # Merge the dtype of a higher-priority group (dimensioned tensors) with a lower one
    # (zero-dim tensors, then Python scalars): the lower one only counts when it is of a
    # higher category.
    if higher is None:
        return lower
    if lower is None or higher._rank == 2:
        return higher
    if higher._rank == 0 or lower._rank == 2 or (lower._rank > higher._rank):
        return promote_types(higher, lower)
    return higher


def _scalar_dtype(x):
    import builtins

    t = type(x)
    if t is builtins.bool or t is np.bool_:
        return bool
    if t is builtins.int or isinstance(x, np.integer):
        return int64
    if t is builtins.float or isinstance(x, np.floating):
        return _default[0]
    raise TypeError(f"unsupported scalar type {t.__name__}")


def result_type(*args) -> dtype:
    """The dtype of an op's result over tensors and Python scalars (PyTorch's rules)."""
    from ._tensor import Tensor

    dim = zero = wrapped = None
    for a in args:
        if isinstance(a, Tensor):
            d = a.dtype
            if a._data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        elif a is not None:
            d = _scalar_dtype(a)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def can_cast(from_: dtype, to: dtype) -> builtins_bool:  # noqa: F821
    """Whether an in-place op may write a ``from_`` result into a ``to`` tensor."""
    return from_._rank <= to._rank


builtins_bool = type(True)


def is_floating_point(t) -> builtins_bool:
    return t.dtype.is_floating_point


class finfo:
    """Machine limits of a floating dtype: ``finfo(chainrule.float32).eps``."""

    def __init__(self, type=None):  # noqa: A002
        type = _default[0] if type is None else to_dtype(type)
        if not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type.")
        f = np.finfo(type.np)
        self.bits, self.eps, self.max, self.min = f.bits, builtins_float(f.eps), builtins_float(f.max), builtins_float(f.min)
        self.tiny = self.smallest_normal = builtins_float(f.tiny)
        self.resolution = 10.0 ** -f.precision
        self.dtype = type.name


class iinfo:
    """Limits of an integer dtype: ``iinfo(chainrule.int64).max``."""

    def __init__(self, type):  # noqa: A002
        type = to_dtype(type)
        if type is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type._rank != 1:
            raise TypeError("torch.iinfo() requires an integer input type.")
        i = np.iinfo(type.np) if type is not bool else np.iinfo(np.uint8)
        self.bits, self.max, self.min = i.bits, int_(i.max), int_(i.min)
        self.dtype = type.name


builtins_float = type(1.0)
int_ = type(1)
