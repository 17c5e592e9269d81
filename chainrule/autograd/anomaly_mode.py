"""detect_anomaly and set_detect_anomaly: NaN checks in backward, forward tracebacks."""
from __future__ import annotations

import traceback
import warnings

from . import function as _function

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

_check_nan = [True]


def is_anomaly_enabled() -> bool:
    return _function._anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan[0]


def _record_trace(node):
    node._trace = "".join(traceback.format_stack()[:-3])


class detect_anomaly:
    """Inside this block a backward that returns NaN raises, naming the Function.

    >>> with chainrule.autograd.detect_anomaly():
    ...     chainrule.sqrt(chainrule.tensor(-1., requires_grad=True)).backward()
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev = (_function._anomaly, _check_nan[0])
        _function._anomaly = True
        _check_nan[0] = self.check_nan

    def __exit__(self, *exc):
        _function._anomaly, _check_nan[0] = self.prev

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with self.__class__(self.check_nan):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off; as a context manager it restores the old setting."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (_function._anomaly, _check_nan[0])
        _function._anomaly = bool(mode)
        _check_nan[0] = check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _function._anomaly, _check_nan[0] = self.prev


def _check_outputs(node, outs):
    """After a node's backward in anomaly mode: raise on NaN, showing the forward traceback."""
    if not _check_nan[0]:
        return
    import numpy as np
    for i, g in enumerate(outs):
        if g is not None and g._data.dtype.kind == "f" and np.isnan(g._data).any():
            if node._trace:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused "
                              f"the error:\n{node._trace}", stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
