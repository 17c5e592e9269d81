"""Where a workload's time goes: cProfile over a few steps, top functions by own time.

    python -m benchmarks.profile_step NAME [--lib chainrule|torch|numpy] [--steps N] [--top K]

NAME is one of the in-process workloads (chain, mlp, cnn, transformer, lstm), or ``deep`` (a chain of
``--deep-n`` multiplications and its backward) or ``import``.
"""
import argparse
import cProfile
import io
import os
import pstats
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from benchmarks import run  # noqa: E402


def profile(name, lib="chainrule", steps=5, top=25, deep_n=100_000):
    prof = cProfile.Profile()
    if name == "import":
        prof.enable()
        __import__(lib)
        prof.disable()
    elif name == "deep":
        mod = __import__(lib)
        x0 = mod.ones(1, requires_grad=True)
        prof.enable()
        x = x0
        for _ in range(deep_n):
            x = x * 1.0
        x.sum().backward()
        del x
        prof.disable()
    else:
        import importlib
        mod = run._module(name)
        step = mod.setup_numpy() if lib == "numpy" else mod.setup(importlib.import_module(lib))
        step()  # warm-up, not profiled
        prof.enable()
        for _ in range(steps):
            step()
        prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_step", description=__doc__.split("\n\n")[0])
    p.add_argument("name", choices=run.ALL)
    p.add_argument("--lib", default="chainrule", choices=["chainrule", "torch", "numpy"])
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--deep-n", type=int, default=100_000)
    args = p.parse_args(argv)
    print(profile(args.name, args.lib, args.steps, args.top, args.deep_n))


if __name__ == "__main__":
    main()
