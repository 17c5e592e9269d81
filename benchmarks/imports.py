"""import: ``python -c "import chainrule"`` against ``import torch`` (and ``import numpy``, the floor:
chainrule imports it); wall seconds of the whole command and the child's peak memory."""
import statistics
import sys

from ._harness import run_child

NAME = "import"
TITLE = "import: python -c 'import X', wall time of the command"
TARGET = 0.1


def run(quick, repeats):
    names = ["chainrule", "torch", "numpy", "python"]
    got = {k: [] for k in names}
    for r in range(repeats + 1):  # the first round warms the file cache and is dropped
        k = r % len(names)
        for name in names[k:] + names[:k]:
            code = "pass" if name == "python" else f"import {name}"
            wall, rss, _ = run_child([sys.executable, "-c", code])
            if r:
                got[name].append((wall, rss))
    return {name: {"seconds": statistics.median(w for w, _ in runs),
                   "peak_mb": statistics.median(m for _, m in runs),
                   "samples": [w for w, _ in runs]} for name, runs in got.items()}
