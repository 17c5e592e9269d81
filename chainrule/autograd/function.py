"""Function: the one mechanism every differentiable op uses, built-in or user-written.

A call ``F.apply(*args)`` runs ``F.forward(ctx, *args)`` and, when some input requires
grad and grad mode is on, records a node: an instance of ``F``'s generated backward class,
which is also the ``ctx`` that forward saw. The engine later calls ``F.backward(ctx, *grads)``.

Built-in ops set ``_array_forward = True``: their forward computes on the inputs' arrays
and returns arrays (no Tensor is made until the result), and their ``save_for_backward``
names arrays that are mapped back to the input or output Tensors they came from.
User Functions see Tensors, exactly as in PyTorch. Everything after forward is shared.
"""
from __future__ import annotations

import functools
import itertools
import re
import types

import numpy as np

from .grad_mode import _state

Tensor = None  # bound by chainrule._tensor after the class is defined (import cycle)

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable",
           "InplaceFunction", "Node"]

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


def _tensor_type_name(arr):
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    return f"torch.{names[arr.dtype.name]}Tensor [{', '.join(str(s) for s in arr.shape)}]"


def _op_name(node):
    """'MulBackward0' -> 'Mul': how the version error names the op that made a tensor."""
    return re.sub(r"Backward\d*$", "", node.name())


class _Saved:
    """One saved tensor, with its version at save time.

    An input (or any other tensor) is kept as it is. A node's own output is kept as its
    array and version counter only: the Tensor would point back at the node, a cycle, so
    ``unpack`` makes a fresh one with the node as grad_fn. Under ``saved_tensors_hooks``
    the pack hook's result is kept instead, and the unpack hook gives the tensor back (no
    version check: the hooks own what was stored). Made by ``_saved``.
    """

    __slots__ = ("tensor", "data", "vc", "version", "output_nr", "packed", "unpack_hook")

    def unpack(self, node):
        if self.unpack_hook is not None:
            t = self.unpack_hook(self.packed)
            if not isinstance(t, Tensor):
                raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                                f"type {type(t).__name__}")
            return t
        t = self.tensor
        if t is None:
            vc = self.vc
            if vc[0] != self.version:
                raise self._modified(node, self.data, vc[0])
            out = _make(self.data, node, self.output_nr)
            out._vc = vc
            return out
        if t._vc[0] != self.version:
            raise self._modified(node, t._data, t._vc[0], t)
        return t

    def _modified(self, node, data, now, t=None):
        if t is None:
            where = f", which is output {self.output_nr} of {_op_name(node)},"
        elif t.grad_fn is not None:
            where = f", which is output {t._output_nr} of {_op_name(t.grad_fn)},"
        else:
            where = ""
        return RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{_tensor_type_name(data)}]{where} is at version {now}; "
            f"expected version {self.version} instead. Hint: enable anomaly detection to "
            "find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False)."
        )


def _saved(tensor, output_nr=-1):
    """A ``_Saved`` for ``tensor``; ``output_nr >= 0`` says it is that output of the node.

    A function rather than ``_Saved.__init__``: calling a class with a Python ``__init__``
    goes through ``type.__call__`` and a C-level call of ``__init__``, several times the
    cost of a plain call, and this runs for each saved tensor of each recorded op.
    """
    s = _new(_Saved)
    s.output_nr = output_nr
    if _saved_hooks:
        pack, s.unpack_hook = _saved_hooks[-1]
        s.packed = pack(tensor.detach() if output_nr >= 0 else tensor)
        s.tensor = s.data = None
        s.version = 0
        return s
    s.unpack_hook = None
    vc = tensor._vc
    s.version = vc[0]
    if output_nr >= 0:
        s.tensor = None
        s.data = tensor._data
        s.vc = vc
    else:
        s.tensor = tensor
    return s


class Node:
    """A node of the backward graph. Subclasses: a Function's backward class, AccumulateGrad.

    Attributes default at class level, so making a node costs no initialisation: the
    few that a recorded node needs are set by ``_finish``, the rest only when used.
    """

    # One (node, output_nr, shape, dtype) per forward input: the edge the gradient of that
    # input flows along, and the input's shape and dtype for the engine to conform it to.
    # (None, 0, None, None) where no gradient flows.
    _edges = ()
    _pre_hooks = _hooks = _tensor_hooks = _retain_hooks = None
    metadata_ = _trace = None
    _saved = None
    _seq = 0
    _n_out = 1
    _hooked = False  # set once any hook is registered here: the engine checks one flag

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        """``(node, output_nr)`` per input: where each input's gradient goes next."""
        return tuple([e[:2] for e in self._edges])

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward."""
        from .hooks import RemovableHandle
        if self._hooks is None:
            self._hooks = {}
        self._hooked = True
        return RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward; may return new grads."""
        from .hooks import RemovableHandle
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._hooked = True
        return RemovableHandle(self._pre_hooks, fn)

    @property
    def metadata(self):
        if self.metadata_ is None:
            self.metadata_ = {}
        return self.metadata_

    def _register_tensor_hook(self, output_nr, fn, retain=False):
        from .hooks import RemovableHandle
        attr = "_retain_hooks" if retain else "_tensor_hooks"
        table = getattr(self, attr)
        if table is None:
            table = {}
            setattr(self, attr, table)
        self._hooked = True
        return RemovableHandle(table.setdefault(output_nr, {}), fn)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class BackwardCFunction(Node):
    """The ctx of a Function call, and its node in the graph."""

    _fn = None  # the Function class, set on each generated subclass
    _saved = _to_save = _non_diff = _dirty = None
    _marked = False  # mark_dirty or mark_non_differentiable was called: one flag for apply to read
    _released = False
    materialize_grads = True
    _needs = None

    @property
    def needs_input_grad(self):
        """One bool per forward argument: does it need a gradient?"""
        if self._needs is None:
            self._needs = tuple(e[0] is not None for e in self._edges)
        return self._needs

    # -- the ctx API -------------------------------------------------------------
    def save_for_backward(self, *tensors):
        """Keep tensors for backward; read them back as ``ctx.saved_tensors``."""
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._released:
            raise RuntimeError(_FREED)
        saved = self._saved
        if saved is None:
            if self._to_save is not None:  # during forward, or a node that was never recorded
                return tuple(self._to_save)
            return ()
        return tuple(None if s is None else s.unpack(self) for s in saved)

    saved_variables = saved_tensors

    def _saved_array(self, i=0):
        """Saved value ``i`` as an array: for backward rules that compute on arrays."""
        saved = self._saved
        # backward frees ``_saved`` (None): only then read the flag, a class default and so
        # a slow read, that tells freed from never saved
        if saved is None and self._released:
            raise RuntimeError(_FREED)
        s = saved[i]
        if s.tensor is None and s.unpack_hook is None and s.vc[0] == s.version:
            return s.data  # the node's own output, unchanged: no Tensor made
        return s.unpack(self)._data  # checks versions and runs hooks


    def mark_non_differentiable(self, *tensors):
        """Outputs that never require grad (indices, masks)."""
        self._non_diff = tensors
        self._marked = True

    def mark_dirty(self, *tensors):
        """Inputs that forward modified in place (and returns)."""
        self._dirty = tensors
        self._marked = True

    def set_materialize_grads(self, value: bool):
        """If False, backward may receive None for outputs that got no gradient."""
        self.materialize_grads = value

    # -- node API ----------------------------------------------------------------
    def name(self):
        return self._fn._node_name

    def apply(self, *grads):
        return self._backward(*grads)


class FunctionCtx(BackwardCFunction):
    pass


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        node_name = ns.get("_node_name") or name + "Backward"
        cls._node_name = node_name
        # ``_backward`` is the Function's backward as a plain method of the node (ctx is its
        # first argument): the engine calls ``node._backward(*grads)``, a cached method lookup.
        # ``_nograd_backward`` is what the engine calls instead when backward is not recorded
        # (no create_graph): a built-in's rule for that case, or the same backward.
        backward = _as_method(cls)
        cls._backward_cls = type(node_name, (BackwardCFunction,), {
            "_fn": cls, "_backward": backward, "_nograd_backward": _nograd_method(cls) or backward})
        if cls._array_forward and "apply" not in ns:
            cls.apply = _array_apply(cls)


def _as_method(cls):
    """``cls.backward`` as a function whose first argument is the ctx."""
    raw = next(k.__dict__["backward"] for k in cls.__mro__ if "backward" in k.__dict__)
    if isinstance(raw, staticmethod):
        return raw.__func__
    if isinstance(raw, types.FunctionType):
        return raw
    bound = cls.backward  # a classmethod, or another descriptor: call it as the class sees it

    def backward(ctx, *grads):
        return bound(ctx, *grads)
    return backward


def _nograd_method(cls):
    """A built-in's ``_nograd_backward(ctx, *grads)``: its backward for grad mode off, where
    the rule need not build a graph (it may compute on arrays) nor read the thread-local
    grad mode, which costs a few hundred instructions. Only where the class that defines
    ``backward`` defines it too, so that a subclass's own backward is never bypassed."""
    owner = next(k for k in cls.__mro__ if "backward" in k.__dict__)
    raw = owner.__dict__.get("_nograd_backward")
    return raw.__func__ if isinstance(raw, staticmethod) else None


def _array_apply(cls):
    """``apply`` for a built-in op: forward on arrays, then wrap and record.

    This runs once per op, so it is made per class with the node class and the forward
    bound in the closure: the call reads no class attributes and makes no bound method.
    """
    node_cls = cls._backward_cls
    forward = cls.forward

    def apply(*args, **kwargs):
        ctx = node_cls()
        # Unwrap the inputs and, when grad mode is on, note each one's edge (``_edges_of``,
        # fused into this loop): the op is recorded if any input requires grad.
        grad = _state.grad_enabled
        record = False
        arrays = []
        edges = []
        for a in args:
            if isinstance(a, Tensor):
                d = a._data
                arrays.append(d)
                if grad and a._requires_grad:
                    record = True
                    fn = a.grad_fn
                    if fn is None:
                        edges.append((a._accumulator(), 0, d.shape, d.dtype))
                    else:
                        edges.append((fn, a._output_nr, d.shape, d.dtype))
                    continue
            else:
                arrays.append(a)
            edges.append(_NO_EDGE)
        # The usual arities spelled out: a call through ``*arrays`` builds a tuple and, in
        # CPython 3.11, is not inlined into this frame (a C-level call instead).
        if kwargs:
            out = forward(ctx, *arrays, **kwargs)
        elif len(arrays) == 2:
            out = forward(ctx, arrays[0], arrays[1])
        elif len(arrays) == 1:
            out = forward(ctx, arrays[0])
        else:
            out = forward(ctx, *arrays)
        if type(out) is _ndarray and not ctx._marked:  # one array, no dirty or non-diff outputs
            # Tensor._make, inlined
            result = _new(Tensor)
            result._data = out
            result._requires_grad = False
            result.grad_fn = None
            result._output_nr = 0
            result._vc = [0]
            if record:
                if out.dtype.kind == "f":
                    result.grad_fn = ctx
                    result._requires_grad = True
                # _record, inlined
                ctx._seq = _next_seq()
                ctx._edges = edges  # the list itself, not a tuple copy: nothing changes it
                to_save = ctx._to_save
                if to_save:
                    ctx._to_save = None
                    ctx._saved = _save_arrays(ctx, to_save, args, result)
                if _anomaly:
                    from .anomaly_mode import _record_trace
                    _record_trace(ctx)
        else:
            result = _finish(cls, ctx, args, out, edges if record else None)
        if _fw_levels:
            _propagate_tangents(cls, ctx, args, kwargs, result)
        return result

    apply.__doc__ = Function.apply.__doc__
    return staticmethod(apply)


def _propagate_tangents(cls, ctx, args, kwargs, result):
    for a in args:
        if isinstance(a, Tensor) and a._fw is not None:
            from .forward_ad import propagate
            propagate(cls, ctx, args, kwargs, result)
            return


class Function(metaclass=_FunctionMeta):
    """Define a differentiable op with static ``forward(ctx, ...)`` and ``backward(ctx, ...)``.

    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         x, = ctx.saved_tensors
    ...         return 3 * x ** 2 * g
    >>> y = Cube.apply(x)
    """

    _array_forward = False
    _node_name = "FunctionBackward"

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with forward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward and, if any input requires grad, record the node (``ctx``)."""
        ctx = cls._backward_cls()
        edges = _edges_of(args) if _state.grad_enabled else None
        ctx._needs = (tuple(e[0] is not None for e in edges) if edges is not None
                      else (False,) * len(args))
        prev = _state.grad_enabled
        _state.grad_enabled = False
        try:
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            _state.grad_enabled = prev
        result = _finish(cls, ctx, args, out, edges)
        if _fw_levels:
            _propagate_tangents(cls, ctx, args, kwargs, result)
        return result


_fw_levels = []  # open forward-AD levels (forward_ad.py); empty means no tangents anywhere
_saved_hooks = []  # (pack, unpack) pairs from graph.saved_tensors_hooks, innermost last
_make = None  # Tensor._make, bound by chainrule._tensor
_new = object.__new__
# NumPy's module defines ``__getattr__``, which stops CPython 3.11 from specializing
# ``np.<name>`` lookups: hot code reads the class from a global instead.
_ndarray = np.ndarray


def _wrap_output(cls, o, args):
    if cls._array_forward:
        if o.__class__ is not _ndarray and not isinstance(o, _ndarray):
            o = np.asarray(o)
        return _make(o)
    if isinstance(o, Tensor):
        for a in args:
            if a is o:  # an input returned unchanged: the output is a new alias of it
                t = _make(o._data)
                t._vc = o._vc
                return t
        return o
    return o


def _finish(cls, ctx, args, out, edges):
    """Wrap a forward's outputs (any number, dirty inputs included); record the node if
    ``edges`` (from ``_edges_of``) is given."""
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    dirty = ctx._dirty
    if dirty is None:
        outs = tuple(_wrap_output(cls, o, args) if o is not None else None for o in outs)
    else:
        for t in dirty:
            t._vc[0] += 1
        outs = tuple(o if any(o is d for d in dirty) else _wrap_output(cls, o, args) for o in outs)
    if edges is not None:
        _record_outputs(ctx, outs, ctx._non_diff, dirty)
        _record(ctx, args, outs, edges, _save_array if cls._array_forward else _save)
    return outs[0] if single else outs


def _edges_of(args):
    """One edge per input (see ``Node._edges``), or None if no input requires grad."""
    edges = []
    record = False
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            record = True
            fn = a.grad_fn
            d = a._data
            if fn is None:
                edges.append((a._accumulator(), 0, d.shape, d.dtype))
            else:
                edges.append((fn, a._output_nr, d.shape, d.dtype))
        else:
            edges.append(_NO_EDGE)
    return edges if record else None


def _record(ctx, args, outs, edges, save):
    """Make ``ctx`` a graph node: its edges and saved tensors (the caller has set the
    outputs' grad_fn). ``save`` maps one saved value to a ``_Saved``."""
    ctx._seq = _next_seq()
    ctx._edges = tuple(edges)
    to_save = ctx._to_save
    if to_save:
        ctx._to_save = None
        # (a loop, not a comprehension: a comprehension's closure would make the names it
        # uses cells on every call, four allocations per op even when nothing is saved)
        saved = []
        for s in to_save:
            saved.append(None if s is None else save(ctx, s, args, outs))
        ctx._saved = tuple(saved)
    if _anomaly:
        from .anomaly_mode import _record_trace
        _record_trace(ctx)


def _record_outputs(ctx, outs, non_diff, dirty):
    n = len(outs)
    if n != 1:
        ctx._n_out = n
        ctx._out_meta = tuple(None if o is None else (o._data.shape, o._data.dtype) for o in outs)
    for i, o in enumerate(outs):
        if o is None or not isinstance(o, Tensor) or o._data.dtype.kind != "f":
            continue
        if non_diff is not None and any(o is d or o._data is d for d in non_diff):
            continue
        if dirty is not None and any(o is d for d in dirty):
            if o.grad_fn is None and o._requires_grad and o._base is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        o.grad_fn = ctx
        o._output_nr = i
        o._requires_grad = True


_NO_EDGE = (None, 0, None, None)
_next_seq = itertools.count(1).__next__  # creation order of nodes; the engine runs newer nodes first


_anomaly = False  # anomaly mode is on (set by anomaly_mode)


def _save_array(ctx, s, args, outs):
    """A built-in saved an array: save the input or output Tensor that holds it."""
    for a in args:
        if isinstance(a, Tensor) and a._data is s:
            return _saved(a)
    for i, o in enumerate(outs):
        if o is not None and o._data is s:
            return _saved(o, i) if o.grad_fn is ctx else _saved(o)
    if isinstance(s, Tensor):
        return _save(ctx, s, args, outs)
    return _saved(Tensor._make(np.asarray(s)))


def _save_arrays(ctx, to_save, args, result):
    """``ctx._saved`` for a built-in with the one output ``result``: ``_save_array`` for
    each saved array, with its search written out for one output."""
    saved = []
    for s in to_save:
        if s is not None:
            for a in args:
                if isinstance(a, Tensor) and a._data is s:
                    s = _saved(a)
                    break
            else:
                if s is result._data:
                    s = _saved(result, 0) if result.grad_fn is ctx else _saved(result)
                else:
                    s = _save_array(ctx, s, args, (result,))
        saved.append(s)
    return tuple(saved)


def _save(ctx, s, args, outs):
    for i, o in enumerate(outs):
        if o is s and o.grad_fn is ctx:
            return _saved(o, i)
    return _saved(s)


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        self.inplace = inplace


def once_differentiable(fn):
    """Mark a backward as not differentiable: its result can't be differentiated again."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .grad_mode import no_grad
        with no_grad():
            outputs = fn(ctx, *args)
        if not _state.grad_enabled:
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        tup = outputs if isinstance(outputs, tuple) else (outputs,)
        wrapped = _OnceDifferentiableError.apply(*args, *tup)
        if not isinstance(outputs, tuple):
            return wrapped[len(args)]
        return tuple(wrapped[len(args):])

    return wrapper


class _OnceDifferentiableError(Function):
    _node_name = "OnceDifferentiableBackward"

    @staticmethod
    def forward(ctx, *args):
        return tuple(a.detach() if a is not None else None for a in args)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    _seq = 1 << 62  # leaves accumulate as soon as their gradient is complete

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"

