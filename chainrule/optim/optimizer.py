"""Optimizer: the base class every optimizer derives from.

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` plus one entry per
hyper-parameter) and ``state`` (a dict per parameter, keyed by the parameter). Updates
run on the parameters' arrays in place, outside autograd, and bump each parameter's
version counter as an in-place op would.

>>> w = chainrule.nn.Parameter(chainrule.ones(2))
>>> opt = chainrule.optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step(); w
Parameter containing:
tensor([0.8000, 0.8000], requires_grad=True)
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..autograd.hooks import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a hyper-parameter that every param group must set."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``."""
    return RemovableHandle(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    return RemovableHandle(_global_optimizer_post_hooks, hook)


# -- helpers shared by the optimizers ----------------------------------------------------
def _typename(obj):
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def _scalar_np_dtype():
    """The dtype of scalar state such as ``step``: float64 under a float64 default, else float32."""
    return np.float64 if _dtype.get_default_dtype() is _dtype.float64 else np.float32


def _scalar_state(value):
    return Tensor._make(np.array(value, dtype=_scalar_np_dtype()))


def _zeros_state(p):
    return Tensor._make(np.zeros_like(p._data))


def _full_state(p, value):
    return Tensor._make(np.full_like(p._data, value))


def _check_tensor_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


def _check_differentiable(differentiable):
    if differentiable:
        raise NotImplementedError("chainrule.optim: differentiable=True is not supported (updates run on "
                                  "arrays outside autograd)")


def _check_fused(fused, foreach, differentiable):
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _closure_loss(closure):
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _lerp_(start, end, weight):
    """``start`` <- ``start + weight * (end - start)`` in place, in PyTorch's two-sided form."""
    w = start.dtype.type(weight)
    d = end - start
    if abs(w) < 0.5:
        d *= w
        start += d
    else:
        d *= start.dtype.type(1) - w
        np.subtract(end, d, out=start)


def _step_value(step_t):
    """Increment a ``step`` state tensor in place and return its new value as a Python float."""
    arr = step_t._data
    if isinstance(arr, np.ndarray) and arr.flags.writeable:
        arr += 1
    else:
        step_t._data = arr = np.asarray(arr + 1)
    step_t._vc[0] += 1
    return float(arr)


def _scale_scalar(t, factor):
    """Multiply a scalar state tensor by ``factor`` in place (in its own dtype); return the new value."""
    arr = t._data
    if isinstance(arr, np.ndarray) and arr.flags.writeable:
        arr *= factor
    else:
        t._data = arr = np.asarray(arr * factor)
    t._vc[0] += 1
    return float(arr)


def _hooked_step(func):
    """Wrap a subclass's ``step`` so that the step pre- and post-hooks run around it (once).

    As in PyTorch, the hooks see ``args`` with the optimizer itself first.
    """

    @functools.wraps(func)
    def step(*args, **kwargs):
        self = args[0]
        if self.__dict__.get("_in_hooked_step"):
            return func(*args, **kwargs)
        for pre in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{func} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
        self._in_hooked_step = True
        try:
            out = func(*args, **kwargs)
        finally:
            self._in_hooked_step = False
        self._optimizer_step_code()
        for post in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post(self, args, kwargs)
        return out

    step.hooked = True
    return step


class Optimizer:
    """Base class for optimizers.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (param
    groups, each with a ``"params"`` entry and optional per-group hyper-parameters);
    ``defaults`` holds the hyper-parameters a group does not set. Subclasses implement
    ``step(closure=None)``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hooked_step(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._init_hooks()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _init_hooks(self):
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._init_hooks()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def _optimizer_step_code(self):
        """Called after ``step`` and before the post-hooks (a place for profilers to attach)."""

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    # -- param groups -------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a param group (a dict with ``"params"``); unset hyper-parameters take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for item in params:
            if isinstance(item, tuple):
                names.append(item[0])
                tensors.append(item[1])
            else:
                tensors.append(item)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True):
        """Reset the gradients of all optimized tensors (to None by default, else to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                if g._data.flags.writeable:
                    g._data[...] = 0
                else:
                    g._data = np.zeros_like(g._data)
                g._vc[0] += 1

    # -- hooks ----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before ``step``; it may return new ``(args, kwargs)``."""
        return RemovableHandle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after ``step``."""
        return RemovableHandle(self._optimizer_step_post_hooks, hook)

    @staticmethod
    def _register(table, hook, prepend):
        h = RemovableHandle(table, hook)
        if prepend:
            table.move_to_end(h.id, last=False)
        return h

    def register_state_dict_pre_hook(self, hook, prepend: bool = False):
        """``hook(optimizer)`` runs before ``state_dict`` builds its result."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False):
        """``hook(optimizer, state_dict)`` runs on the result of ``state_dict``; it may return a new one."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False):
        """``hook(optimizer, state_dict)`` runs before loading; it may return the dict to load."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False):
        """``hook(optimizer)`` runs after ``load_state_dict``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state dicts --------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their integer index in param-group order; the state
        tensors are the optimizer's own (not copies), as in PyTorch.
        """
        for pre in self._optimizer_state_dict_pre_hooks.values():
            pre(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = len(index)
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for post in self._optimizer_state_dict_post_hooks.values():
            result = post(self, sd)
            if result is not None:
                sd = result
        return sd

    def load_state_dict(self, state_dict):
        """Load a dict made by ``state_dict()``: hyper-parameters per group and per-parameter state.

        Floating state tensors are cast to their parameter's dtype (``step`` is kept as is).
        """
        state_dict = state_dict.copy()
        for pre in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        saved_param_groups = state_dict["param_groups"]

        def policy(param, value, param_id, key):
            if key == "step":
                for pg in saved_param_groups:
                    if param_id in pg["params"]:
                        if pg.get("fused", False) or pg.get("capturable", False):
                            return _cast_tensor(value, np.float32)
                        break
                return value
            if param._data.dtype.kind == "f":
                return _cast_tensor(value, param._data.dtype)
            return value

        def cast(param, value, param_id, key=None):
            if isinstance(value, Tensor):
                return policy(param, value, param_id, key)
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(cast(param, v, param_id) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, k)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for post in self._optimizer_load_state_dict_post_hooks.values():
            post(self)

    def _steps_to_tensors(self, *keys, fused_key=None):
        """After loading: turn plain-number ``step`` (and the like) entries into scalar tensors."""
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state.get(p)
                if not st:
                    continue
                for key in keys:
                    if key in st and not isinstance(st[key], Tensor):
                        dt = np.float32 if (fused_key and group.get(fused_key)) else _scalar_np_dtype()
                        st[key] = Tensor._make(np.array(float(st[key]), dtype=dt))


def _cast_tensor(value, np_dtype):
    if value._data.dtype == np_dtype:
        return value
    return Tensor._make(value._data.astype(np_dtype))
