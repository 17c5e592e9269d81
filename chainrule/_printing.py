"""repr/str of tensors in PyTorch's format."""
from __future__ import annotations

import numpy as np

__all__ = ["tensor_repr", "set_printoptions"]

_opts = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print, as ``torch.set_printoptions``."""
    if profile == "default":
        _opts.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        _opts.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        _opts.update(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            _opts[k] = v
    _opts["sci_mode"] = sci_mode


def _fmt_float(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v):
        return f"{int(v)}."
    return f"{v:.{_opts['precision']}f}"


def tensor_repr(t):
    arr = t._data
    if arr.dtype.kind == "f":
        body = np.array2string(arr, separator=", ", formatter={"float_kind": _fmt_float}, prefix="tensor(")
    elif arr.dtype == np.bool_:
        body = np.array2string(arr, separator=", ", formatter={"bool": lambda b: "True" if b else "False"}, prefix="tensor(")
    else:
        body = np.array2string(arr, separator=", ", prefix="tensor(")
    extras = []
    from . import _dtype
    default = _dtype.get_default_dtype()
    if arr.dtype.kind == "f" and t.dtype is not default:
        extras.append(f"dtype={t.dtype!r}")
    elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
