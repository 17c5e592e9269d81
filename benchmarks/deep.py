"""deep: a chain of 1,000,000 ``x = x * 1.0`` on a 1-element tensor, then backward; seconds and peak memory.

Each run is a fresh interpreter. The time covers forward, backward and releasing the graph (measured
inside the child, after the import); the memory is the child's peak resident set size, import included.
The floor is the same loop in NumPy with the backward written out (``g = g * 1.0``), keeping no graph.
"""
import statistics
import sys

from ._harness import child_json

NAME = "deep"
TITLE = "deep: 1,000,000 x = x*1.0 on 1 element, fwd+bwd"
TARGET = 1.5
TARGET_MB = 2048
N = 1_000_000
N_QUICK = 20_000

_CHILD = """
import json, resource, sys, time
n = int(sys.argv[2])
if sys.argv[1] == "numpy":
    import numpy as np
    x0 = np.ones(1, dtype=np.float32)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    x = x0
    for _ in range(n):
        x = x * 1.0
    t1 = time.perf_counter()
    g = np.ones_like(x)
    for _ in range(n):
        g = g * 1.0
    t2 = time.perf_counter()
    grad = float(g[0])
else:
    lib = __import__(sys.argv[1])
    x0 = lib.ones(1, requires_grad=True)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    x = x0
    for _ in range(n):
        x = x * 1.0
    t1 = time.perf_counter()
    x.sum().backward()
    t2 = time.perf_counter()
    grad = float(x0.grad[0])
del x
t3 = time.perf_counter()
print(json.dumps({"forward": t1 - t0, "backward": t2 - t1, "free": t3 - t2, "seconds": t3 - t0,
                  "grad": grad, "rss_before_mb": rss0 / 1024}))
"""


def run(quick, repeats):
    """Interleaved fresh-process runs; returns ``{lib: {"seconds", "peak_mb", "grad", "samples", ...}}``."""
    n = N_QUICK if quick else N
    names = ["chainrule", "torch", "numpy"]
    got = {k: [] for k in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            _, rss, out = child_json([sys.executable, "-c", _CHILD, name, str(n)])
            out["peak_mb"] = rss
            got[name].append(out)
    result = {}
    for name, runs in got.items():
        result[name] = {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs),
            "samples": [r["seconds"] for r in runs],
            "grad": runs[0]["grad"],
            "breakdown": {p: statistics.median(r[p] for r in runs) for p in ("forward", "backward", "free")},
            "rss_before_mb": statistics.median(r["rss_before_mb"] for r in runs),
        }
    return n, result
