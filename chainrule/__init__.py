"""chainrule: PyTorch's autograd and neural-network API, in Python on NumPy.

>>> import chainrule as torch
>>> x = torch.tensor([3.], requires_grad=True)
>>> (x ** 2).backward(); x.grad
tensor([6.])
"""
from __future__ import annotations

import warnings as _warnings

# NumPy warns about inf - inf, log(0), 0/0 inside our kernels; PyTorch stays silent and
# returns inf/nan, so silence those (only for warnings raised from chainrule's own code).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"chainrule\.")

from . import _dtype
from ._dtype import (bool, can_cast, double, dtype, finfo, float, float16, float32, float64, get_default_dtype,  # noqa: A004
                     half, iinfo, int, int8, int16, int32, int64, long, promote_types, result_type,
                     set_default_dtype, short, uint8)
from ._threads import get_num_threads, set_num_threads
from ._printing import set_printoptions
from ._size import Size, device
from ._tensor import Tensor
from . import autograd  # noqa: E402
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from . import ops  # noqa: E402  (installs Tensor methods)
from .ops import *  # noqa: F401,F403,E402
from .ops import random  # noqa: E402

__version__ = "0.1.0"

# The rest loads on first use (PEP 562), so ``import chainrule`` costs little more than
# NumPy's own import: ``chainrule.nn`` or ``import chainrule.nn`` loads nn then.
_LAZY_MODULES = ("nn", "optim", "utils", "func", "viz", "linalg", "distributed", "datasets", "serialization")


def __getattr__(name):
    import importlib
    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("save", "load"):
        return getattr(importlib.import_module(f"{__name__}.serialization"), name)
    raise AttributeError(f"module 'chainrule' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_MODULES) | {"save", "load"})


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__
