"""Run the benchmark suite and print a table of times and ratios.

    python -m benchmarks.run [--quick] [--only NAME ...] [--repeats N]

Every in-process workload runs under chainrule, PyTorch (default thread settings) and, where there is
one, a hand-written NumPy floor, interleaved in one process: warm-up calls, then ``repeats`` rounds in
which each library runs once (order rotating), reporting medians. ``deep`` and ``import`` run each
sample in a fresh interpreter. ``--quick`` (under a minute) uses fewer repeats and a 20,000-long deep
chain; it is for checking that everything runs, not for numbers.
"""
import argparse
import importlib
import math
import os
import sys
import time

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from benchmarks import _harness as H  # noqa: E402

IN_PROCESS = ["chain", "mlp", "cnn", "transformer", "lstm"]
ALL = IN_PROCESS + ["deep", "import"]
LIBS = ("chainrule", "torch", "numpy")


def _module(name):
    return importlib.import_module(f"benchmarks.{'imports' if name == 'import' else name}")


def _close(a, b, rtol):
    return a is not None and b is not None and math.isclose(a, b, rel_tol=rtol, abs_tol=rtol)


def run_in_process(name, libs, repeats, warmup, min_seconds=0.0):
    mod = _module(name)
    steps = {k: mod.setup(v) for k, v in libs.items()}
    if hasattr(mod, "setup_numpy"):
        steps["numpy"] = mod.setup_numpy()
    timed = H.time_interleaved(steps, repeats, warmup, min_seconds)
    label, factor = mod.UNIT
    losses = {k: v[2] for k, v in timed.items()}
    ref = losses["torch"]
    # first loss: same weights, same data; second: after one optimiser step (checks backward + update)
    ok = {k: _close(v[0], ref[0], 1e-4) and _close(v[1], ref[1], 1e-3) for k, v in losses.items()}
    return [{
        "workload": name, "metric": label, "target": mod.TARGET,
        "values": {k: v[0] * factor for k, v in timed.items()},
        "spread": {k: H.spread(v[1]) for k, v in timed.items()},
        "min": {k: min(v[1]) * factor for k, v in timed.items()},
        "losses": losses, "loss_ok": ok,
    }]


def run_deep(quick, repeats):
    mod = _module("deep")
    n, res = mod.run(quick, repeats)
    ok = {k: v["grad"] == 1.0 for k, v in res.items()}
    name = "deep" if n == mod.N else f"deep (n={n:,})"
    note = "; ".join(f"{k}: " + ", ".join(f"{p} {s:.2f}s" for p, s in v["breakdown"].items())
                     + f", RSS after import {v['rss_before_mb']:.0f} MB" for k, v in res.items())
    return [
        {"workload": name, "metric": "s", "target": mod.TARGET, "values": {k: v["seconds"] for k, v in res.items()},
         "spread": {k: H.spread(v["samples"]) for k, v in res.items()}, "loss_ok": ok, "note": note,
         "min": {k: min(v["samples"]) for k, v in res.items()},
         "losses": {k: [v["grad"]] for k, v in res.items()}},
        {"workload": name, "metric": "peak MB", "target": None, "limit_mb": mod.TARGET_MB,
         "values": {k: v["peak_mb"] for k, v in res.items()}, "spread": {}, "loss_ok": ok, "losses": {}},
    ]


def run_import(quick, repeats):
    mod = _module("import")
    res = mod.run(quick, repeats)
    note = f"bare `python -c pass`: {res['python']['seconds']:.3f} s, {res['python']['peak_mb']:.0f} MB"
    values = {k: res[k] for k in LIBS}
    return [
        {"workload": "import", "metric": "s", "target": mod.TARGET, "values": {k: v["seconds"] for k, v in values.items()},
         "spread": {k: H.spread(v["samples"]) for k, v in values.items()}, "loss_ok": {}, "note": note,
         "min": {k: min(v["samples"]) for k, v in values.items()},
         "losses": {}},
        {"workload": "import", "metric": "peak MB", "target": None,
         "values": {k: v["peak_mb"] for k, v in values.items()}, "spread": {}, "loss_ok": {}, "losses": {}},
    ]


def _fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def _verdict(row):
    cr, th = row["values"].get("chainrule"), row["values"].get("torch")
    if "limit_mb" in row:
        return f"< {row['limit_mb']} MB", ("yes" if cr < row["limit_mb"] else "**no**")
    if row["target"] is None:
        return "", ""
    return f"<= {row['target']}", ("yes" if cr / th <= row["target"] else "**no**")


def table(rows):
    head = ("| workload | unit | chainrule | torch | NumPy | chainrule/torch | chainrule/NumPy | target | met "
            "| best-of cr/torch | noise cr/torch | same loss |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        v = row["values"]
        cr, th, npv = v.get("chainrule"), v.get("torch"), v.get("numpy")
        target, met = _verdict(row)
        sp = row["spread"]
        noise = f"{sp['chainrule']:.0%}/{sp['torch']:.0%}" if sp and sp["chainrule"] is not None else ""
        mins = row.get("min", {})
        best = _fmt(mins["chainrule"] / mins["torch"]) if mins else ""
        ok = row["loss_ok"]
        same = "" if not ok else ("yes" if all(ok.values()) else "**no**: " + ", ".join(k for k, o in ok.items() if not o))
        out.append(f"| {row['workload']} | {row['metric']} | {_fmt(cr)} | {_fmt(th)} | {_fmt(npv)} "
                   f"| {_fmt(cr / th)} | {_fmt(cr / npv) if npv else '-'} | {target} | {met} | {best} | {noise} | {same} |")
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="few repeats and a short deep chain (under a minute)")
    p.add_argument("--only", action="append", choices=ALL, metavar="NAME", help=f"one of {', '.join(ALL)}; repeatable")
    p.add_argument("--threads", type=int, metavar="N",
                   help="run torch and NumPy's BLAS with N threads (default: leave each library's default)")
    p.add_argument("--repeats", type=int,
                   help="timed rounds for every workload (default: quick 2, deep and import 1; full 21 and more for quick "
                        "steps, so the rounds span ~5 s, deep 7, import 9)")
    args = p.parse_args(argv)
    names = args.only or ALL
    warmup = 1 if args.quick else 3
    # 21 rounds: on a shared 2-core machine the median of 9 still moved by 10-20% from run to run
    repeats = args.repeats or (2 if args.quick else 21)
    # and, in a full run without --repeats, as many more as make the rounds span ~5 s (see time_interleaved)
    min_seconds = 0.0 if args.quick or args.repeats else 5.0
    deep_repeats = args.repeats or (1 if args.quick else 7)
    import_repeats = args.repeats or (1 if args.quick else 9)

    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"note: {var}={os.environ[var]} is set; for benchmarking run under "
                  "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`", file=sys.stderr)
    libs = H.libs()
    if args.threads:
        H.set_threads(args.threads)
    facts = H.machine()
    print("\n".join(f"- {k}: {v}" for k, v in facts))
    print(f"- threads: {args.threads or 'left at each library default'}")
    span = f" (more for quick steps: rounds spanning ~{min_seconds:g} s)" if min_seconds else ""
    mode = [f"in-process workloads {warmup} warm-up + {repeats} timed rounds{span}"] if set(names) & set(IN_PROCESS) else []
    if "deep" in names:
        mode.append(f"deep {deep_repeats} fresh process(es) per library")
    if "import" in names:
        mode.append(f"import {import_repeats} fresh process(es) per library after one warm-up round")
    print(f"- mode: {'quick' if args.quick else 'full'}: {'; '.join(mode)}\n")
    rows = []
    t0 = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        if name == "deep":
            rows += run_deep(args.quick, deep_repeats)
        elif name == "import":
            rows += run_import(args.quick, import_repeats)
        else:
            rows += run_in_process(name, libs, repeats, warmup, min_seconds)
        print(f"  {name}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    print(table(rows))
    notes = [f"- {r['workload']}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        print("\n" + "\n".join(notes))
    print(f"\n- load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"total {time.perf_counter() - t0:.0f} s")
    return {"rows": rows, "machine": facts}


if __name__ == "__main__":
    main()
