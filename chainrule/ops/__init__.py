"""The op catalogue, one module per family; each lists its Tensor methods in ``METHODS``."""
from __future__ import annotations

import importlib

from .._tensor import Tensor

# Every family module; add a new one here and it is installed and exported.
FAMILIES = ("creation", "random", "pointwise", "rounding", "selection", "reduction", "views", "shape",
            "indexing", "linalg")

_modules = [importlib.import_module(f"{__name__}.{name}") for name in FAMILIES]

for _m in _modules:
    for _name, _fn in getattr(_m, "METHODS", {}).items():
        setattr(Tensor, _name, _fn)

__all__ = [n for m in _modules for n in getattr(m, "__all__", ())]
for _m in _modules:
    for _n in getattr(_m, "__all__", ()):
        globals()[_n] = getattr(_m, _n)
