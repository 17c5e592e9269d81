"""Timing, weight sharing, child processes and the machine description, shared by every workload.

A workload module defines ``NAME``, ``TITLE``, ``TARGET`` (the chainrule/torch ratio it aims for) and
``setup(lib)`` returning a ``step()`` that runs one full iteration and returns its loss; ``setup_numpy()``
is the hand-written NumPy floor where there is one. ``lib`` is the ``torch`` or ``chainrule`` module,
so the model and the step are written once.
"""
import ctypes
import gc
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

SEED = 0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def libs():
    """The two libraries under test, imported once."""
    import chainrule
    import torch
    return {"chainrule": chainrule, "torch": torch}


def nn_class(lib, name, module):
    """``lib.nn.<name>``, or from ``lib.nn.modules.<module>`` while the family is not exported yet."""
    cls = getattr(lib.nn, name, None)
    if cls is None:
        import importlib
        cls = getattr(importlib.import_module(f"{lib.__name__}.nn.modules.{module}"), name)
    return cls


_states = {}


def shared_model(lib, build, key):
    """``build(lib)`` with the same initial weights in every library.

    The weights come from building the model once in torch under ``manual_seed(SEED)`` (so they follow
    PyTorch's initialisation); every library, torch included, then loads that NumPy copy.
    """
    if key not in _states:
        import torch
        torch.manual_seed(SEED)
        _states[key] = {k: v.detach().numpy().copy() for k, v in build(torch).state_dict().items()}
    state = _states[key]
    model = build(lib)
    model.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
    return model


def numpy_state(build, key):
    """The shared initial weights as NumPy arrays (fresh copies), for the NumPy floors."""
    if key not in _states:
        shared_model(libs()["torch"], build, key)
    return {k: v.copy() for k, v in _states[key].items()}


def data_rng(name):
    """A generator for a workload's inputs, the same in every library."""
    return np.random.default_rng([SEED, *name.encode()])


# -- timing --------------------------------------------------------------------------------------------

def as_float(loss):
    if loss is None:
        return None
    if hasattr(loss, "item"):
        return float(loss.item())
    return float(loss)


def time_interleaved(steps, repeats, warmup, min_seconds=0.0):
    """Time each ``step`` ``repeats`` times after ``warmup`` calls, alternating the libraries.

    Within a repeat every library runs once, in an order that rotates from repeat to repeat, so they
    share the machine's noise and none is always first after a collection. ``gc.collect()`` runs before
    each timed call (not timed); the collector stays enabled during the call, as in a real program.
    With ``min_seconds``, quick steps get more repeats, enough for the rounds to span about that long
    (from the last warm-up round's time, collections included): on a shared machine a burst of load lasting a second or two
    would otherwise cover most of the 21 rounds of an 8 ms step and move the medians.
    Returns ``{name: (median_s, [samples], [first losses])}``.
    """
    names = list(steps)
    losses = {n: [] for n in names}
    samples = {n: [] for n in names}
    round_s = 0.0
    for _ in range(warmup):
        t0 = time.perf_counter()
        for n in names:
            gc.collect()  # as in a timed round, where the collections take much of the round's time
            out = steps[n]()
            if len(losses[n]) < 2:
                losses[n].append(as_float(out))
        round_s = time.perf_counter() - t0
    if min_seconds and round_s > 0:
        repeats = max(repeats, min(2000, int(min_seconds / round_s) + 1))
    for r in range(repeats):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            gc.collect()
            t0 = time.perf_counter()
            out = steps[n]()
            t1 = time.perf_counter()
            samples[n].append(t1 - t0)
            if len(losses[n]) < 2:
                losses[n].append(as_float(out))
            del out
    return {n: (statistics.median(samples[n]), samples[n], losses[n]) for n in names}


def spread(samples):
    """Interquartile range over the median, a noise indicator."""
    if len(samples) < 4:
        return None
    q = statistics.quantiles(samples, n=4)
    return (q[2] - q[0]) / statistics.median(samples)


# -- child processes -----------------------------------------------------------------------------------

# A lean launcher (no site, only built-in modules) starts the measured command and reports its own
# child's rusage. Measuring straight from this process would not work on Linux: a forked child's
# ru_maxrss starts from the parent's resident size (the high-water mark survives exec), so every child
# of a process holding torch would show at least that process's size.
_LAUNCHER = """
import os, sys, time
t0 = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
t1 = time.perf_counter()
sys.stdout.flush()
print("@@launcher", os.waitstatus_to_exitcode(status), t1 - t0, usage.ru_maxrss, flush=True)
"""


def child_env():
    """The environment for child interpreters: this one's, but with bytecode caching allowed.

    ``PYTHONDONTWRITEBYTECODE`` (set on some machines) would make every fresh ``import chainrule``
    compile its sources again, which no installed package does; torch and NumPy ship their caches.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_child(argv):
    """Run ``argv`` (a fresh interpreter); return (wall seconds, peak RSS in MiB, its last output line).

    The wall time is measured by the launcher around spawning and reaping the child, and the peak RSS
    is that child's own ``ru_maxrss`` from ``os.wait4``.
    """
    launcher = [sys.executable, "-S", "-E", "-c", _LAUNCHER]
    p = subprocess.run(launcher + list(argv), cwd=ROOT, env=child_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines or not lines[-1].startswith("@@launcher"):
        raise RuntimeError(f"{' '.join(argv)} failed:\n{p.stdout}")
    _, code, wall, maxrss = lines[-1].split()
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({code}):\n{p.stdout}")
    return float(wall), int(maxrss) / 1024.0, lines[-2] if len(lines) > 1 else ""


def child_json(argv):
    wall, rss, line = run_child(argv)
    return wall, rss, json.loads(line)


# -- the machine ---------------------------------------------------------------------------------------

def _openblas():
    """The OpenBLAS that NumPy loaded, as (ctypes library, symbol prefix, symbol suffix), or None."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
    except OSError:
        paths = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "")):
            if hasattr(lib, f"{prefix}_get_corename{suffix}"):
                return lib, prefix, suffix
    return None


def _openblas_core():
    """(core name, threads) of NumPy's OpenBLAS, asked from the library itself."""
    found = _openblas()
    if found is None:
        return "unknown", None
    lib, prefix, suffix = found
    core = getattr(lib, f"{prefix}_get_corename{suffix}")
    nthreads = getattr(lib, f"{prefix}_get_num_threads{suffix}")
    core.restype = ctypes.c_char_p
    nthreads.restype = ctypes.c_int
    return core().decode(), nthreads()


def set_threads(n):
    """Run torch and chainrule (NumPy's OpenBLAS) with ``n`` threads, here and in child processes."""
    import torch

    import chainrule
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    torch.set_num_threads(n)
    chainrule.set_num_threads(n)
    found = _openblas()
    if found is not None:
        lib, prefix, suffix = found
        getattr(lib, f"{prefix}_set_num_threads{suffix}")(ctypes.c_int(n))


def _cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine():
    """The facts a timing depends on, as (label, value) pairs."""
    import torch

    import chainrule
    cfg = np.show_config(mode="dicts") if "mode" in np.show_config.__code__.co_varnames else {}
    blas = cfg.get("Build Dependencies", {}).get("blas", {})
    core, nthreads = _openblas_core()
    torch_blas = "mkl" if "BLAS_INFO=mkl" in torch.__config__.show() else "see torch.__config__.show()"
    env = {k: os.environ[k] for k in sorted(os.environ)
           if k.startswith(("OPENBLAS", "OMP_", "MKL_", "GOTO", "NUMEXPR"))}
    return [
        ("CPU", f"{_cpu_model()} ({platform.machine()})"),
        ("cores", f"{os.cpu_count()} logical, {len(os.sched_getaffinity(0))} usable"),
        ("OS", platform.platform()),
        ("Python", sys.version.split()[0]),
        ("chainrule", getattr(chainrule, "__version__", "dev")),
        ("NumPy", f"{np.__version__}, BLAS {blas.get('name', '?')} {blas.get('version', '')}".rstrip()),
        ("OpenBLAS kernel", f"{core}, {nthreads} threads"),
        ("torch", f"{torch.__version__}, BLAS {torch_blas}, {torch.get_num_threads()} intra-op threads"),
        ("thread env", ", ".join(f"{k}={v}" for k, v in env.items()) or "none set"),
        ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]
