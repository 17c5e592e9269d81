"""repr/str of tensors, in PyTorch's format.

The rules, as PyTorch prints:

* Floats are formatted together. Over the finite nonzero values that will be shown: if all
  are integers they print as ``1.`` (scientific when max > 1e8 or max/min > 1000);
  otherwise with ``precision`` decimals (scientific when max/min > 1000, max > 1e8 or
  min < 1e-4). ``sci_mode`` overrides the choice. Every value is right-aligned to the
  widest finite nonzero one.
* Ints are right-aligned to the widest; bools too (``True`` gets a space before it).
* Rows hold ``(linewidth - indent) // (width + 2)`` values. More than ``threshold``
  elements print summarised: ``edgeitems`` from each end of every long dimension, ``...``
  between.
* Suffixes: ``dtype=`` unless the dtype is the default float, int64 or bool (any dtype
  but the default float when empty), ``size=`` for empty tensors that are not 1-D, then
  ``grad_fn=<...>`` or ``requires_grad=True``; a suffix that would pass ``linewidth``
  goes on a new line.
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_PROFILES = {
    "default": _DEFAULTS,
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_opts = dict(_DEFAULTS, sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    ``profile`` ("default", "short", "full") sets all four numbers first; the others then
    override it. ``sci_mode`` is True, False, or None (choose automatically); every call
    sets it.

    >>> chainrule.set_printoptions(precision=2)
    >>> chainrule.tensor([1.2345])
    tensor([1.23])
    """
    if profile in _PROFILES:
        _opts.update(_PROFILES[profile])
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            _opts[k] = v
    _opts["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current print options, as a dict."""
    return dict(_opts)


@contextmanager
def printoptions(**kwargs):
    """Set print options inside a ``with`` block only."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# -- formatting values ---------------------------------------------------------------------------
class _Formatter:
    """Formats the values of one tensor, all to one width."""

    __slots__ = ("kind", "int_mode", "sci_mode", "width", "precision")

    def __init__(self, values, kind):
        # values: the shown values, as a flat array; kind: 'f' float, 'b' bool, 'i' integer
        self.kind = kind
        self.precision = _opts["precision"]
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if kind != "f":
            strs = ["True" if v else "False" for v in values.tolist()] if kind == "b" else \
                [str(v) for v in values.tolist()]
            self.width = max((len(s) for s in strs), default=1)
            return
        v64 = values.astype(np.float64, copy=False)
        shown = v64[np.isfinite(v64) & (v64 != 0)]
        if shown.size:
            mag = np.abs(shown)
            lo, hi = float(mag.min()), float(mag.max())
            self.int_mode = bool((np.ceil(shown) == shown).all())
            if self.int_mode:
                self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
            else:
                self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
            if _opts["sci_mode"] is not None:  # only with something to format
                self.sci_mode = _opts["sci_mode"]
            p = self.precision
            vals = shown.tolist()
            if self.sci_mode:
                self.width = max(len(f"{v:.{p}e}") for v in vals)
            elif self.int_mode:
                self.width = max(len(f"{v:.0f}") for v in vals) + 1
            else:
                self.width = max(len(f"{v:.{p}f}") for v in vals)

    def format(self, v):
        if self.kind == "f":
            if self.sci_mode:
                s = f"{v:.{self.precision}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if math.isfinite(v):
                    s += "."
            else:
                s = f"{v:.{self.precision}f}"
        elif self.kind == "b":
            s = "True" if v else "False"
        else:
            s = str(v)
        return s.rjust(self.width)


def _summarized(arr, edge):
    """Only what a summarised print shows: ``edge`` items from each end of each long dim."""
    for ax, n in enumerate(arr.shape):
        if n > 2 * edge:
            idx = np.r_[0:edge, n - edge:n]
            arr = np.take(arr, idx, axis=ax)
    return arr


def _as_py(arr, kind):
    return arr.astype(np.float64).tolist() if kind == "f" else arr.tolist()


def _vector(arr, indent, summarize, fmt, kind):
    edge = _opts["edgeitems"]
    per_line = max(1, int(math.floor((_opts["linewidth"] - indent) / (fmt.width + 2))))
    if summarize and arr.shape[0] > 2 * edge:
        items = ([fmt.format(v) for v in _as_py(arr[:edge], kind)] + [" ..."]
                 + [fmt.format(v) for v in _as_py(arr[-edge:], kind)])
    else:
        items = [fmt.format(v) for v in _as_py(arr, kind)]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(arr, indent, summarize, fmt, kind):
    if arr.ndim == 0:
        return fmt.format(_as_py(arr, kind))
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt, kind)
    edge = _opts["edgeitems"]
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        parts = ([_nested(arr[i], indent + 1, summarize, fmt, kind) for i in range(edge)] + ["..."]
                 + [_nested(arr[i], indent + 1, summarize, fmt, kind) for i in range(n - edge, n)])
    else:
        parts = [_nested(arr[i], indent + 1, summarize, fmt, kind) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _body(arr, indent):
    kind = "f" if arr.dtype.kind == "f" else ("b" if arr.dtype.kind == "b" else "i")
    summarize = arr.size > _opts["threshold"]
    shown = _summarized(arr, _opts["edgeitems"]) if summarize else arr
    fmt = _Formatter(shown.reshape(-1), kind)
    return _nested(arr, indent, summarize, fmt, kind)


def _with_suffixes(text, suffixes, indent):
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    width = _opts["linewidth"]
    for s in suffixes:
        if last + len(s) + 2 > width:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    out.append(")")
    return "".join(out)


def tensor_repr(t) -> str:
    """``repr(t)``, exactly as PyTorch prints it."""
    from . import _dtype

    arr = t._data
    prefix = "tensor("
    indent = len(prefix)
    dt = t.dtype
    default = _dtype.get_default_dtype()
    suffixes = []
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if dt is not default:
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if dt is not default and dt is not _dtype.int64 and dt is not _dtype.bool:
            suffixes.append(f"dtype={dt!r}")
        body = _body(arr, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
