"""``set_num_threads`` / ``get_num_threads``: the threads of chainrule's intra-op parallelism.

chainrule's intra-op threads are those of the OpenBLAS that NumPy loaded (found by name in the
process's mappings and driven through its C API), which split a large GEMM (matmul, linear,
convolution), and one background thread, on which a fused op with a Python loop (the LSTM layer)
runs the GEMMs that do not depend on the loop's next step while the loop goes on: NumPy releases
the GIL inside its kernels, so the two run on two cores. That thread is used only while more than
one thread is allowed; its jobs keep each GEMM small enough for OpenBLAS's single-thread kernel,
because OpenBLAS's own threads, which spin on the cores after a threaded GEMM, would take the
core it needs. (Python threads for elementwise kernels, one short call each, were tried and lost:
handing work to another thread costs tens of microseconds on these machines.)
"""
from __future__ import annotations

import os
import queue
import threading

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


# -- the background thread -----------------------------------------------------------------------------
class _Job:
    """One call handed to the background thread; ``wait()`` blocks until it has run and re-raises its error."""
    __slots__ = ("fn", "args", "done", "error")

    def __init__(self, fn, args):
        self.fn, self.args, self.error = fn, args, None
        self.done = threading.Lock()
        self.done.acquire()

    def run(self):
        try:
            self.fn(*self.args)
        except BaseException as e:  # handed to whoever waits
            self.error = e
        finally:
            self.done.release()

    def wait(self):
        with self.done:
            pass
        if self.error is not None:
            raise self.error


_worker = None  # (pid, queue): one thread per process, started on first use (a forked child starts its own)
_worker_lock = threading.Lock()


def _serve(jobs):
    while True:
        jobs.get().run()


def background(fn, *args) -> _Job:
    """Run ``fn(*args)`` on chainrule's background thread, in submission order; returns the job to ``wait()`` on.

    With one intra-op thread (``set_num_threads(1)``) it runs at once on the calling thread. ``fn`` must
    not wait on another job, and should spend its time inside NumPy kernels, which release the GIL.
    """
    job = _Job(fn, args)
    if get_num_threads() < 2:
        job.run()
        return job
    global _worker
    pid = os.getpid()
    if _worker is None or _worker[0] != pid:
        with _worker_lock:
            if _worker is None or _worker[0] != pid:
                jobs = queue.SimpleQueue()
                threading.Thread(target=_serve, args=(jobs,), name="chainrule-background", daemon=True).start()
                _worker = (pid, jobs)
    _worker[1].put(job)
    return job
