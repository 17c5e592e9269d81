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
from ._printing import set_printoptions
from ._size import Size, device
from ._tensor import Tensor
from . import autograd  # noqa: E402
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from . import ops  # noqa: E402  (installs Tensor methods)
from .ops import *  # noqa: F401,F403,E402
from . import distributed  # noqa: E402
from . import linalg  # noqa: E402
from .ops import random  # noqa: E402
from . import nn  # noqa: E402
from . import optim  # noqa: E402
from . import utils  # noqa: E402
from . import func  # noqa: E402
from . import viz  # noqa: E402
from .serialization import load, save  # noqa: E402

__version__ = "0.1.0"


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__
