"""``set_num_threads`` / ``get_num_threads``: the threads of chainrule's intra-op parallelism.

chainrule's only multi-threaded kernels are NumPy's BLAS calls (matmul, linear, convolution as a
GEMM), so its intra-op threads are those of the OpenBLAS that NumPy loaded, found by name in the
process's mappings and driven through its C API. (Python threads for the elementwise kernels were
tried: next to OpenBLAS's own threads, which spin on the cores after every GEMM, they lost time.)
"""
from __future__ import annotations

import numpy as np

__all__ = ["get_num_threads", "set_num_threads"]

_blas = None  # (get, set) of OpenBLAS's thread count, found on first use; False when there is none
_threads = 1  # what set_num_threads was given, for get_num_threads when OpenBLAS cannot be asked


def get_num_threads() -> int:
    """The number of threads used for intra-op parallelism on CPU (NumPy's BLAS threads).

    >>> chainrule.get_num_threads() >= 1
    True
    """
    blas = _find_blas()
    return int(blas[0]()) if blas else _threads


def set_num_threads(n: int) -> None:
    """Set the number of threads used for intra-op parallelism on CPU (NumPy's BLAS threads).

    >>> chainrule.set_num_threads(1)  # every kernel on the calling thread
    """
    global _threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):  # bool is refused, as in PyTorch
        kind = type(n)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise RuntimeError(f"set_num_threads expects an int, but got {name}")
    n = int(n)
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads = n
    blas = _find_blas()
    if blas:
        blas[1](n)


def _find_blas():
    global _blas
    if _blas is None:
        _blas = _openblas_threads() or False
    return _blas


def _openblas_threads():
    """OpenBLAS's ``openblas_get_num_threads`` and ``openblas_set_num_threads`` as NumPy loaded them
    (the names carry a per-build prefix and suffix), or None."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")):
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and set_ is not None:
                get.restype = ctypes.c_int
                get.argtypes = []
                set_.restype = None
                set_.argtypes = [ctypes.c_int]
                return get, set_
    return None
