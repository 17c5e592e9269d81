"""Tensor: one NumPy array, plus what autograd needs to know about it.

Operators and most methods are installed by the op families in ``chainrule.ops``
(each module lists its ``METHODS``); this file holds the core: construction, autograd
state, conversions and the in-place protocol shared by every in-place op.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import _dtype
from ._dtype import _by_np
from ._size import CPU, Size, check_device
from .autograd.function import AccumulateGrad
from .autograd.grad_mode import _state

__all__ = ["Tensor"]

_new = object.__new__


class Tensor:
    """A multi-dimensional array that can record operations for autograd.

    >>> x = chainrule.tensor([1., 2.], requires_grad=True)
    >>> (x * x).sum().backward(); x.grad
    tensor([2., 4.])
    """

    # The five fields every tensor sets are slots; the rest default here, at class level,
    # and land in the instance __dict__ only on the few tensors that use them.
    __slots__ = ("_data", "_requires_grad", "grad_fn", "_output_nr", "_vc", "__dict__", "__weakref__")
    _grad = _base = _view_fn = _hooks = _post_acc_hooks = _acc = _fw = None
    _retains_grad = False

    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor's reflected operator

    def __new__(cls, *args, **kwargs):
        return _new(cls)

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        # torch.Tensor(data) or torch.Tensor(*sizes): float tensors of the default dtype.
        check_device(device)
        dt = _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            a = args[0]
            arr = np.array(a._data if isinstance(a, Tensor) else a, dtype=dt)
        else:
            arr = np.zeros(tuple(int(s) for s in (args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args)), dtype=dt)
        _init(self, arr)
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(arr, grad_fn=None, output_nr=0):
        t = _new(Tensor)
        t._data = arr
        t._requires_grad = grad_fn is not None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._vc = [0]
        return t

    def _new_leaf(self, arr):
        return Tensor._make(arr)

    # -- basic properties -----------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape, or the length of one dimension: ``t.size(0)``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _by_np[self._data.dtype]

    @property
    def device(self):
        return CPU

    is_cuda = False
    is_sparse = False
    is_quantized = False
    is_meta = False
    is_complex_ = False
    layout = "torch.strided"

    def is_complex(self) -> bool:
        return False

    def get_device(self) -> int:
        return -1

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        return 0 if self._base is None else (self.data_ptr() - self._base.data_ptr()) // self._data.itemsize

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __complex__(self):
        return complex(self.item())

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data if dtype is None else self._data.astype(dtype)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  If you were attempting to deepcopy a module, this may be because of a torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")
        new = type(self).__new__(type(self))
        _init(new, self._data.copy())
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = Tensor._make(self._grad._data.copy())
        if hasattr(self, "__dict__"):
            import copy
            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = new
        return new

    # -- conversions ------------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force=False):
        """The array behind this tensor (shared memory). Detach first if it requires grad."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        check_device("cuda")

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
        """Convert dtype (and check device): ``t.to(chainrule.float64)``, ``t.to('cpu')``."""
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, _dtype.dtype) or a in (float, int, bool):
                dtype = a
            elif isinstance(a, str) or a.__class__.__name__ == "device":
                device = a
            elif a is not None:
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        check_device(device)
        if dtype is None or _dtype.to_dtype(dtype) is self.dtype:
            return self.clone() if copy else self
        from .ops.pointwise import _cast
        return _cast(self, _dtype.to_dtype(dtype))

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return _printing_type_name(self)
        if isinstance(dtype, str):
            names = {"torch.FloatTensor": _dtype.float32, "torch.DoubleTensor": _dtype.float64,
                     "torch.HalfTensor": _dtype.float16, "torch.LongTensor": _dtype.int64,
                     "torch.IntTensor": _dtype.int32, "torch.ShortTensor": _dtype.int16,
                     "torch.CharTensor": _dtype.int8, "torch.ByteTensor": _dtype.uint8,
                     "torch.BoolTensor": _dtype.bool}
            dtype = names[dtype]
        return self.to(dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def char(self):
        return self.to(_dtype.int8)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool)

    def type_as(self, other):
        return self.to(other.dtype)

    # -- autograd state ---------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True):
        """Set whether autograd records ops on this leaf tensor (in place; returns self)."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
                "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
                "instead. See github.com/pytorch/pytorch/pull/30531 for more informations.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        """This tensor's values, detached from autograd (shares memory)."""
        t = Tensor._make(self._data)
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def output_nr(self) -> int:
        return self._output_nr

    def _accumulator(self):
        acc = self._acc() if self._acc is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._acc = weakref.ref(acc)
        return acc

    def detach(self):
        """A new tensor with the same data (and version counter) outside the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self):
        """Detach this tensor from the graph that created it, in place."""
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using "
                               "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view "
                               "is set as True, gradients are views of DDP buckets, and hence detach_() "
                               "cannot be called on these gradients. To fix this error, please refer to "
                               "the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is None:
                return
            if t._grad is None:
                t._grad = g.detach().clone() if not _state.grad_enabled else g.clone()
            else:
                t._grad = t._grad + g
        self.grad_fn._register_tensor_hook(self._output_nr, keep, retain=True)
        self._retains_grad = True

    def register_hook(self, hook):
        """Run ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(self._output_nr, hook)
        from .autograd.hooks import RemovableHandle
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Run ``hook(tensor)`` after a gradient is accumulated into this leaf's ``.grad``."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.hooks import RemovableHandle
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        return RemovableHandle(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- copies -------------------------------------------------------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from .ops.creation import tensor
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from .ops.creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from .ops.creation import ones
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from .ops.creation import empty
        return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from .ops.creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    # -- the in-place protocol ------------------------------------------------------------
    def _check_inplace(self):
        """Raise if autograd forbids writing into this tensor now."""
        if _state.grad_enabled and self._requires_grad:
            if self.grad_fn is None and self._base is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            base = self._base
            if base is not None and base.grad_fn is None and base._requires_grad:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")

    def _apply_inplace(self, result):
        """Write ``result`` (computed out of place from self) into self, and take its history."""
        self._check_inplace()
        if not isinstance(result, Tensor):
            raise TypeError("in-place result must be a Tensor")
        rd = result._data
        if rd.shape != self._data.shape:
            if np.broadcast_shapes(rd.shape, self._data.shape) != self._data.shape:
                raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                                   f"broadcast shape {list(np.broadcast_shapes(rd.shape, self._data.shape))}")
        sdt = self.dtype
        if not _dtype.can_cast(result.dtype, sdt):
            raise RuntimeError(f"result type {_cap(result.dtype)} can't be cast to the desired output type {_cap(sdt)}")
        base = self._base
        record = _state.grad_enabled and (result._requires_grad or (base is not None and base._requires_grad))
        if record and base is not None:
            from .ops.views import check_inplace_view
            check_inplace_view(self)  # views of unbind/split outputs, views made under no_grad
        if not self._data.flags.writeable:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                               "single memory location. Please clone() the tensor before performing the operation.")
        np.copyto(self._data, rd, casting="unsafe")
        self._vc[0] += 1
        if record:
            if result.dtype is not sdt:
                result = result.to(sdt)
            if base is not None:
                from .ops.views import rebase_view
                rebase_view(self, result)
            else:
                self.grad_fn = result.grad_fn
                self._output_nr = result._output_nr
                self._requires_grad = True
                from .ops.views import refresh_views
                refresh_views(self)  # views taken of self before the write now see the new history
        if result._fw is not None:
            self._fw = result._fw  # forward-mode tangent of the new value
        return self

    def __setitem__(self, index, value):
        from .ops.indexing import setitem
        setitem(self, index, value)

    def __getitem__(self, index):
        from .ops.indexing import getitem
        return getitem(self, index)

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self)

    def __str__(self):
        return self.__repr__()

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __dir__(self):
        return sorted(set(object.__dir__(self)))


from .autograd import engine as _engine, function as _function  # noqa: E402

_engine.Tensor = _function.Tensor = Tensor
_function._make = Tensor._make


def _cap(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[d.name]


def _printing_type_name(t):
    return f"torch.{_cap(t.dtype)}Tensor"


def _init(t, arr):
    t._data = arr
    t._requires_grad = False
    t.grad_fn = None
    t._output_nr = 0
    t._vc = [0]


def _rebuild(arr, requires_grad):
    t = Tensor._make(arr)
    t._requires_grad = requires_grad
    return t


def _wrap_dim(dim, ndim):
    """Normalise a possibly negative dim, with PyTorch's IndexError when out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim
