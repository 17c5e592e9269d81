"""Module: the base class of every layer and model.

A Module keeps its parameters, buffers and submodules in three ordered dicts, filled by
assigning attributes (``self.w = Parameter(...)``, ``self.fc = Linear(...)``). Everything
else (``parameters()``, ``state_dict()``, ``to()``, printing) walks those dicts.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ... import _dtype
from ..._size import check_device
from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import _state, no_grad
from ...autograd.hooks import RemovableHandle as _BaseHandle
from ..parameter import Buffer, Parameter

__all__ = ["Module", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_buffer_registration_hook", "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]


class RemovableHandle(_BaseHandle):
    """A hook handle that also clears the hook from the module's side tables on ``remove()``."""

    def __init__(self, table, fn, extra=()):
        super().__init__(table, fn)
        self._extra = extra

    def remove(self):
        super().remove()
        for d in self._extra:
            if isinstance(d, set):
                d.discard(self.id)
            else:
                d.pop(self.id, None)


def _register(table, fn, prepend=False, extra=()):
    h = RemovableHandle(table, fn, extra)
    if prepend:
        table.move_to_end(h.id, last=False)
    return h


# -- global hooks (apply to every module) ---------------------------------------------
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: set = set()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_buffer_registration_hooks: OrderedDict = OrderedDict()
_global_module_registration_hooks: OrderedDict = OrderedDict()
_global_parameter_registration_hooks: OrderedDict = OrderedDict()


def register_module_forward_pre_hook(hook):
    """Run ``hook(module, args)`` before every module's forward."""
    return _register(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, always_call=False):
    """Run ``hook(module, args, output)`` after every module's forward."""
    h = _register(_global_forward_hooks, hook, extra=(_global_forward_hooks_always_called,))
    if always_call:
        _global_forward_hooks_always_called.add(h.id)
    return h


def register_module_full_backward_pre_hook(hook):
    """Run ``hook(module, grad_output)`` when gradients w.r.t. any module's outputs are ready."""
    return _register(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """Run ``hook(module, grad_input, grad_output)`` when any module's input grads are ready."""
    return _register(_global_backward_hooks, hook)


def register_module_buffer_registration_hook(hook):
    return _register(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook):
    return _register(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    return _register(_global_parameter_registration_hooks, hook)


# -- helpers ---------------------------------------------------------------------------
def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    mod = getattr(obj, "__module__", "") or ""
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__qualname__
    if mod in ("", "builtins"):
        return qual
    return f"{mod}.{qual}"


def _addindent(text, n):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * n
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"

    __str__ = __repr__


def _forward_unimplemented(self, *input):
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


_TO_SIGNATURES = (
    "but expected one of:\n"
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n")


def _argname(a):
    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, _dtype.dtype):
        return "torch.dtype"
    return type(a).__name__


def _is_device(a):
    return isinstance(a, (str, int)) and not isinstance(a, bool) or type(a).__name__ == "device"


def _parse_to(args, kwargs):
    """(device, dtype, non_blocking) from the overloads of ``Module.to``."""
    kw = dict(kwargs)
    device = kw.pop("device", None)
    dtype = kw.pop("dtype", None)
    non_blocking = kw.pop("non_blocking", False)
    kw.pop("memory_format", None)
    kw.pop("copy", None)
    if kw:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kw))}'")
    pos = list(args)
    bad = False
    if pos and isinstance(pos[0], Tensor):
        t = pos.pop(0)
        dtype, device = t.dtype, t.device
    elif pos and isinstance(pos[0], _dtype.dtype):
        dtype = pos.pop(0)
    elif pos and (pos[0] is None or _is_device(pos[0])):
        device = pos.pop(0)
        if pos and (pos[0] is None or isinstance(pos[0], _dtype.dtype)):
            dtype = pos.pop(0)
    if pos and isinstance(pos[0], bool):
        non_blocking = pos.pop(0)
    if pos and isinstance(pos[0], bool):
        pos.pop(0)  # copy
    if pos:
        bad = True
    if bad:
        got = ", ".join(_argname(a) for a in args)
        raise TypeError(f"to() received an invalid combination of arguments - got ({got}), {_TO_SIGNATURES}")
    if dtype is not None:
        dtype = _dtype.to_dtype(dtype)
    return device, dtype, non_blocking


class _BackwardHookFunction(Function):
    """Identity on a module's input or output tensors: its node is where module backward hooks run."""

    _node_name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, *tensors):
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return grads


class _BackwardHook:
    """Wires one forward call's full backward (pre-)hooks into the graph."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_args = 0
        self.input_pos = None
        self.grad_outputs = None

    def _wrap(self, values):
        """Pass the tensors that require grad among ``values`` through one identity node."""
        pos = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v._requires_grad]
        if not pos:
            return values, None, pos
        outs = _BackwardHookFunction.apply(*[values[i] for i in pos])
        if not isinstance(outs, tuple):
            outs = (outs,)
        new = list(values)
        for i, o in zip(pos, outs):
            new[i] = o
        return tuple(new), outs[0].grad_fn, pos

    def setup_input_hook(self, args):
        self.n_args = len(args)
        if not self.hooks:
            return args
        new, node, pos = self._wrap(args)
        if node is not None:
            self.input_pos = pos
            node.register_prehook(self._on_input_grads)
        return new

    def setup_output_hook(self, result):
        single = isinstance(result, Tensor)
        values = (result,) if single else result
        new, node, pos = self._wrap(values)
        if node is not None:
            n_out = len(values)

            def on_output_grads(grads):
                full = [None] * n_out
                for i, g in zip(pos, grads):
                    full[i] = g
                full = tuple(full)
                changed = False
                for hook in self.pre_hooks:
                    r = hook(self.module, full)
                    if r is not None:
                        r = tuple(r) if isinstance(r, (tuple, list)) else (r,)
                        if len(r) != n_out:
                            raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got {len(r)}, but expected {n_out}")
                        full = r
                        changed = True
                self.grad_outputs = full
                if self.input_pos is None and self.hooks:
                    self._run_without_inputs()
                if changed:
                    return tuple(full[i] for i in pos)
                return None

            node.register_prehook(on_output_grads)
        if single:
            return new[0]
        return type(result)(*new) if hasattr(result, "_fields") else tuple(new)

    def _run_without_inputs(self):
        warnings.warn(
            "Full backward hook is firing when gradients are computed with respect to module outputs since no "
            "inputs require gradients. See https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
            "#torch.nn.Module.register_full_backward_hook for more details.", stacklevel=5)
        grad_input = (None,) * self.n_args
        for hook in self.hooks:
            r = hook(self.module, grad_input, self.grad_outputs)
            if r is not None and not all(g is None for g in (r if isinstance(r, tuple) else (r,))):
                raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                   "return None or None for all gradients.")

    def _on_input_grads(self, grads):
        full = [None] * self.n_args
        for i, g in zip(self.input_pos, grads):
            full[i] = g
        full = tuple(full)
        changed = False
        for hook in self.hooks:
            r = hook(self.module, full, self.grad_outputs)
            if r is not None:
                r = tuple(r) if isinstance(r, (tuple, list)) else (r,)
                if len(r) != self.n_args:
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(r)}, but expected {self.n_args}")
                full = r
                changed = True
        self.grad_outputs = None
        if changed:
            return tuple(full[i] for i in self.input_pos)
        return None


class Module:
    """Base class for all neural network modules; subclass it and define ``forward``.

    >>> class Net(chainrule.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = chainrule.nn.Parameter(chainrule.ones(3))
    ...     def forward(self, x):
    ...         return (x * self.w).sum()
    """

    dump_patches = False
    _version = 1
    call_super_init = False
    training: bool
    forward = _forward_unimplemented

    def __init__(self, *args, **kwargs):
        if not self.call_super_init and kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if not self.call_super_init and args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given")
        s = object.__setattr__
        s(self, "training", True)
        s(self, "_parameters", {})
        s(self, "_buffers", {})
        s(self, "_non_persistent_buffers_set", set())
        s(self, "_backward_pre_hooks", OrderedDict())
        s(self, "_backward_hooks", OrderedDict())
        s(self, "_is_full_backward_hook", None)
        s(self, "_forward_hooks", OrderedDict())
        s(self, "_forward_hooks_with_kwargs", {})
        s(self, "_forward_hooks_always_called", {})
        s(self, "_forward_pre_hooks", OrderedDict())
        s(self, "_forward_pre_hooks_with_kwargs", {})
        s(self, "_state_dict_hooks", OrderedDict())
        s(self, "_state_dict_pre_hooks", OrderedDict())
        s(self, "_load_state_dict_pre_hooks", OrderedDict())
        s(self, "_load_state_dict_post_hooks", OrderedDict())
        s(self, "_modules", {})
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    # -- registration -------------------------------------------------------------------
    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a buffer: state that is not a parameter (running statistics, say).

        ``persistent=False`` keeps it out of ``state_dict()``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' (torch Tensor or None required)")
        if isinstance(tensor, Buffer):
            persistent = tensor.persistent
        for hook in _global_buffer_registration_hooks.values():
            out = hook(self, name, tensor)
            if out is not None:
                tensor = out
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param) -> None:
        """Add a parameter (a ``Parameter`` or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                f"explicitly. To express '{name}' as a function of another Tensor, compute the value in "
                "the forward() method.")
        for hook in _global_parameter_registration_hooks.values():
            out = hook(self, name, param)
            if out is not None:
                param = out
        self._parameters[name] = param

    def add_module(self, name: str, module) -> None:
        """Add a child module, reachable as ``self.<name>``."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        for hook in _global_module_registration_hooks.values():
            out = hook(self, name, module)
            if out is not None:
                module = out
        self._modules[name] = module

    def register_module(self, name: str, module) -> None:
        """Alias for ``add_module``."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as ``"encoder.layers.0"``."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Replace (or, unless ``strict``, add) the submodule at a dotted path."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError("`" + "module" + f"` is not an nn.Module, found {type(module)}")
        parent = self.get_submodule(".".join(atoms[:-1]))
        name = atoms[-1]
        if strict and not hasattr(parent, name):
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError("`" + name + "` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``"fc.weight"``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path such as ``"bn.running_mean"``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        if name not in mod._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return getattr(mod, name)

    def get_extra_state(self):
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called. "
                           "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def set_extra_state(self, state) -> None:
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called. "
                           "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    # -- attribute protocol -----------------------------------------------------------------
    def __getattr__(self, name: str):
        d = self.__dict__
        if "_parameters" in d:
            p = d["_parameters"]
            if name in p:
                return p[name]
        if "_buffers" in d:
            b = d["_buffers"]
            if name in b:
                return b[name]
        if "_modules" in d:
            m = d["_modules"]
            if name in m:
                return m[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")

        def remove_from(*dicts_or_sets):
            for x in dicts_or_sets:
                if name in x:
                    if isinstance(x, dict):
                        del x[name]
                    else:
                        x.discard(name)

        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            remove_from(d, self._parameters, self._buffers, self._non_persistent_buffers_set)
            for hook in _global_module_registration_hooks.values():
                out = hook(self, name, value)
                if out is not None:
                    value = out
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if buffers is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            if isinstance(value, Buffer):
                persistent = value.persistent
            else:
                persistent = name not in self._non_persistent_buffers_set
            remove_from(d, self._parameters, self._modules)
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self)) + list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted({k for k in keys if not k[0].isdigit()})

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name, default in (("_forward_pre_hooks", OrderedDict), ("_forward_hooks", OrderedDict),
                              ("_forward_hooks_with_kwargs", dict), ("_forward_hooks_always_called", dict),
                              ("_forward_pre_hooks_with_kwargs", dict), ("_state_dict_hooks", OrderedDict),
                              ("_state_dict_pre_hooks", OrderedDict), ("_load_state_dict_pre_hooks", OrderedDict),
                              ("_load_state_dict_post_hooks", OrderedDict), ("_backward_pre_hooks", OrderedDict),
                              ("_backward_hooks", OrderedDict), ("_non_persistent_buffers_set", set)):
            if name not in self.__dict__:
                self.__dict__[name] = default()
        self.__dict__.setdefault("_is_full_backward_hook", None)

    # -- calling --------------------------------------------------------------------------
    def _call_impl(self, *args, **kwargs):
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or self._backward_pre_hooks
                or _global_forward_pre_hooks or _global_forward_hooks or _global_backward_hooks
                or _global_backward_pre_hooks):
            return self.forward(*args, **kwargs)

        full_hooks, pre_bw_hooks = [], []
        if self._backward_pre_hooks or _global_backward_pre_hooks:
            pre_bw_hooks = [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]
        if self._backward_hooks or _global_backward_hooks:
            full_hooks = [*_global_backward_hooks.values(), *self._backward_hooks.values()]

        called_always = set()
        result = None
        try:
            for hid, hook in (*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()):
                if hid in self._forward_pre_hooks_with_kwargs:
                    r = hook(self, args, kwargs)
                    if r is not None:
                        if isinstance(r, tuple) and len(r) == 2:
                            args, kwargs = r
                        else:
                            raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                               f"new_kwargs), but got {r}.")
                else:
                    r = hook(self, args)
                    if r is not None:
                        args = r if isinstance(r, tuple) else (r,)

            bw = None
            if (full_hooks or pre_bw_hooks) and _state.grad_enabled:
                bw = _BackwardHook(self, full_hooks, pre_bw_hooks)
                args = bw.setup_input_hook(args)

            result = self.forward(*args, **kwargs)

            for hid, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                if hid in self._forward_hooks_always_called or hid in _global_forward_hooks_always_called:
                    called_always.add(hid)
                if hid in self._forward_hooks_with_kwargs:
                    r = hook(self, args, kwargs, result)
                else:
                    r = hook(self, args, result)
                if r is not None:
                    result = r

            if bw is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple "
                                  f"of Tensors but received {type(result)}", stacklevel=2)
                else:
                    result = bw.setup_output_hook(result)
            return result
        except Exception:
            for hid, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                if hid in called_always:
                    continue
                if hid in self._forward_hooks_always_called or hid in _global_forward_hooks_always_called:
                    try:
                        if hid in self._forward_hooks_with_kwargs:
                            r = hook(self, args, kwargs, result)
                        else:
                            r = hook(self, args, result)
                        if r is not None:
                            result = r
                    except Exception as e:
                        warnings.warn("forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {e}", stacklevel=2)
                        continue
            raise

    __call__ = _call_impl

    # -- hooks ------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Run ``hook(module, args)`` (or ``hook(module, args, kwargs)``) before ``forward``.

        It may return new args (a tuple, or one value), or ``(args, kwargs)`` with ``with_kwargs``.
        """
        h = _register(self._forward_pre_hooks, hook, prepend, (self._forward_pre_hooks_with_kwargs,))
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[h.id] = True
        return h

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False):
        """Run ``hook(module, args, output)`` after ``forward``; a non-None return replaces the output."""
        h = _register(self._forward_hooks, hook, prepend,
                      (self._forward_hooks_with_kwargs, self._forward_hooks_always_called))
        if with_kwargs:
            self._forward_hooks_with_kwargs[h.id] = True
        if always_call:
            self._forward_hooks_always_called[h.id] = True
        return h

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """Run ``hook(module, grad_output)`` when the gradients w.r.t. the outputs are computed."""
        return _register(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """Run ``hook(module, grad_input, grad_output)`` when the gradients w.r.t. the inputs are computed.

        A non-None return replaces ``grad_input``.
        """
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self._is_full_backward_hook = True
        return _register(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """Deprecated; behaves as ``register_full_backward_hook`` here."""
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self._is_full_backward_hook = False
        return _register(self._backward_hooks, hook)

    def register_state_dict_pre_hook(self, hook):
        """Run ``hook(module, prefix, keep_vars)`` before ``state_dict()`` collects this module."""
        return _register(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """Run ``hook(module, state_dict, prefix, local_metadata)`` after this module's entries are added."""
        return _register(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook):
        return _register(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook):
        """Run ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` before this module's entries are loaded."""
        return _register(self._load_state_dict_pre_hooks, functools.partial(_call_with_module, hook, self))

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        fn = functools.partial(_call_with_module, hook, self) if with_module else hook
        return _register(self._load_state_dict_pre_hooks, fn)

    def register_load_state_dict_post_hook(self, hook):
        """Run ``hook(module, incompatible_keys)`` after ``load_state_dict`` loads this module."""
        return _register(self._load_state_dict_post_hooks, hook)

    # -- iteration ---------------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or v in memo:
                    continue
                if remove_duplicate:
                    memo.add(v)
                yield (module_prefix + ("." if module_prefix else "") + k, v)

    def parameters(self, recurse: bool = True):
        """An iterator over the module's parameters (each once), submodules' included if ``recurse``."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """An iterator over ``(dotted_name, parameter)`` pairs."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        """An iterator over the module's buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """An iterator over ``(dotted_name, buffer)`` pairs."""
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def children(self):
        """An iterator over the immediate child modules."""
        for _, m in self.named_children():
            yield m

    def named_children(self):
        """An iterator over ``(name, child)`` pairs of immediate children (each module once)."""
        memo = set()
        for name, m in self._modules.items():
            if m is not None and m not in memo:
                memo.add(m)
                yield name, m

    def modules(self):
        """An iterator over all modules in the tree, this one first (each once)."""
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """An iterator over ``(dotted_name, module)`` for the whole tree, this one first as ``prefix``."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    # -- mode and gradients ---------------------------------------------------------------------
    def train(self, mode: bool = True):
        """Set training mode (affects Dropout, BatchNorm, ...) here and in every submodule."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        """Set ``requires_grad`` of every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (default), or to zeros in place."""
        for p in self.parameters():
            g = p.grad
            if g is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g._data[...] = 0
                g._vc[0] += 1

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and then on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def share_memory(self):
        """A no-op here (there is one process); returns self."""
        return self

    # -- conversions -------------------------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        if recurse:
            for m in self.children():
                m._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            with no_grad():
                new = fn(p)
            if new is not p:
                p.data = new
            g = p._grad
            if g is not None:
                with no_grad():
                    new_g = fn(g)
                if new_g is not g:
                    g.data = new_g
        for key, b in self._buffers.items():
            if b is not None:
                self._buffers[key] = fn(b)
        return self

    def to(self, *args, **kwargs):
        """Convert floating-point parameters and buffers to a dtype, in place; returns self.

        ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``. Parameters keep
        their identity (their data is replaced), as in PyTorch.
        """
        device, dtype, non_blocking = _parse_to(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")
        if isinstance(device, int) and not isinstance(device, bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        check_device(device)
        if dtype is None:
            return self

        def convert(t):
            return t.to(dtype) if t.is_floating_point() else t
        return self._apply(convert)

    def to_empty(self, *, device=None, recurse: bool = True):
        """Replace parameters and buffers with uninitialised tensors of the same shape; returns self."""
        check_device(device)
        from ...ops.creation import empty_like
        return self._apply(lambda t: empty_like(t), recurse=recurse)

    def cpu(self):
        """Parameters and buffers are already on the CPU; returns self."""
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        check_device("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}")
        return self

    def type(self, dst_type):
        """Cast all parameters and buffers (integer ones too) to ``dst_type``; returns self."""
        return self._apply(lambda t: t.type(dst_type))

    def float(self):
        """Cast floating-point parameters and buffers to float32; returns self."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        """Cast floating-point parameters and buffers to float64; returns self."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        """Cast floating-point parameters and buffers to float16; returns self."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    # -- state dict ----------------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of every parameter and persistent buffer, keyed by dotted name.

        Values are detached (they share memory with the module) unless ``keep_vars``.
        """
        if args:
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict "
                "for details.", FutureWarning, stacklevel=2)
            if destination is None and len(args) > 0:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        meta = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = meta
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            r = hook(self, destination, prefix, meta)
            if r is not None:
                destination = r
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        local = {k: v for k, v in self._parameters.items() if v is not None}
        for k, v in self._buffers.items():
            if v is not None and k not in self._non_persistent_buffers_set:
                local[k] = v
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            src = state_dict[key]
            if not isinstance(src, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or '
                                  f"Tensor-like object from checkpoint but received {type(src)}")
                continue
            if param.ndim == 0 and src.shape == (1,):
                src = src.reshape(())
            if src.shape != param.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {src.shape} from "
                                  f"checkpoint, the shape in current model is {param.shape}.")
                continue
            try:
                with no_grad():
                    if assign:
                        if isinstance(param, Parameter):
                            if not isinstance(src, Parameter):
                                src = Parameter(src, requires_grad=param.requires_grad)
                            else:
                                src.requires_grad_(param.requires_grad)
                        setattr(self, name, src)
                    else:
                        _copy_into(param, src)
            except Exception as ex:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model '
                                  f"are {param.size()} and whose dimensions in the checkpoint are {src.size()}, "
                                  f"an exception occurred : {ex.args}.")
        extra_key = prefix + "_extra_state"
        has_extra = type(self).set_extra_state is not Module.set_extra_state
        if has_extra:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix) and not (has_extra and key == extra_key):
                    rest = key[len(prefix):]
                    head, dot, _ = rest.partition(".")
                    if (dot and head not in self._modules) or (not dot and rest not in local):
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module and its descendants.

        With ``strict`` (default), missing or unexpected keys raise RuntimeError. With ``assign``,
        the tensors are installed as the module's own instead of copied into its existing ones.
        Returns ``_IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata

        # Each module loads its own entries, then its children load theirs (module trees are shallow).
        def load(module, local_sd, prefix=""):
            meta = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                meta["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_sd, prefix, meta, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_sd = {k: v for k, v in local_sd.items() if k.startswith(child_prefix)}
                    load(child, child_sd, child_prefix)
            incompatible = _IncompatibleKeys(missing, unexpected)
            for hook in module._load_state_dict_post_hooks.values():
                r = hook(module, incompatible)
                if r is not None:
                    raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not"
                                         "expected to return new values, if incompatible_keys need to be modified,"
                                         "it should be done inplace.")

        load(self, state_dict)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # -- printing ---------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The module's own settings, shown inside its repr; override it in layers."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(m), 2) for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"


def _call_with_module(hook, module, *args):
    return hook(module, *args)


def _copy_into(dst, src):
    """``dst.copy_(src)`` for equal shapes, without recording autograd (callers hold no_grad)."""
    arr = src._data
    d = dst._data
    if not d.flags.writeable:
        dst._data = d = d.copy()
    d[...] = arr.astype(d.dtype, copy=False) if arr.dtype != d.dtype else arr
    dst._vc[0] += 1

