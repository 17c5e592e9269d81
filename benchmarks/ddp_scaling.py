"""DDP scaling on one machine: samples/s of the mlp workload at 1 and 2 ranks, and communication time.

The mlp workload is one SGD step (zero_grad, forward, cross-entropy, backward, step) of a
784-512-256-10 ReLU MLP, batch 128, float32. Run ``python benchmarks/ddp_scaling.py``: it
launches itself with ``mpiexec -n 1`` and ``mpiexec -n 2`` (one BLAS thread per rank, so
the ranks do not fight over cores) and prints a Markdown table.

- weak scaling: every rank steps on its own batch of 128 (global batch 128 x ranks);
- strong scaling: one global batch of 128 split across the ranks;
- comm/step: time inside DDP's communication per step: flattening buckets and starting
  their allreduce during backward, plus waiting for them at the end of backward;
- exposed wait/step: the part of that spent blocked after backward (not overlapped);
- allreduce 2.1 MB: one blocking MPI allreduce of the whole gradient, for reference.
"""
import json
import os
import shutil
import subprocess
import sys
import time

STEPS, WARMUP = 200, 20


def worker(out_path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import numpy as np

    import chainrule as torch
    import chainrule.distributed as dist
    import chainrule.nn as nn
    import chainrule.nn.functional as F
    from chainrule.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    results = {}

    def run(per_rank, use_ddp):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        net = DDP(model) if use_ddp else model
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        g = torch.Generator().manual_seed(rank)
        x = torch.randn(per_rank, 784, generator=g)
        y = torch.randint(0, 10, (per_rank,), generator=g)
        times = []
        for i in range(WARMUP + STEPS):
            if i == WARMUP and use_ddp:
                r = net._reducer
                r.launch_s = r.wait_s = 0.0
            dist.barrier()
            t0 = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
            times.append(time.perf_counter() - t0)
        step = float(np.median(times[WARMUP:]))
        out = {"step_ms": step * 1e3, "samples_per_s": per_rank * n / step}
        if use_ddp:
            r = net._reducer
            out["comm_ms"] = (r.launch_s + r.wait_s) / STEPS * 1e3
            out["wait_ms"] = r.wait_s / STEPS * 1e3
            out["buckets"] = len(r.buckets)
        return out

    results["plain"] = run(128, False)  # at 2 ranks: both compute at once, no communication
    results["weak"] = run(128, True)
    results["strong"] = run(128 // n, True)
    grad = np.zeros(784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10, dtype=np.float32)
    comm = dist.group.WORLD._comm
    from mpi4py import MPI
    ts = []
    for _ in range(50):
        comm.Barrier()
        t0 = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, grad, MPI.SUM)
        ts.append(time.perf_counter() - t0)
    results["allreduce_ms"] = float(np.median(ts[5:])) * 1e3
    results["allreduce_mb"] = grad.nbytes / 1e6
    # every rank's numbers; rank 0 writes the slowest (the step ends when the last rank ends)
    gathered = [None] * n
    dist.all_gather_object(gathered, results)
    if rank == 0:
        with open(out_path, "w") as f:
            json.dump(gathered, f)
    dist.destroy_process_group()


def main():
    mpiexec = shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("mpiexec not found: pip install 'chainrule[distributed]'")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = {}
    load = os.getloadavg()[0]
    for n in (1, 2):
        path = f"/tmp/ddp_scaling_{os.getpid()}_{n}.json"
        subprocess.run([mpiexec, "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker", path],
                       check=True, env=env)
        with open(path) as f:
            rows[n] = json.load(f)
        os.remove(path)

    def worst(n, key, field):
        return max(r[key][field] for r in rows[n])

    print(f"mlp workload 784-512-256-10, float32, SGD; {STEPS} steps after {WARMUP} warm-up, median step; "
          f"1 BLAS thread per rank; {os.cpu_count()} cores, load average before the run "
          f"{load:.1f}\n")
    print("| setup | ranks | batch per rank | step (ms) | samples/s | comm/step (ms) | exposed wait/step (ms) |")
    print("|---|---|---|---|---|---|---|")
    for n in (1, 2):
        step = worst(n, "plain", "step_ms")
        label = "no DDP" if n == 1 else "no DDP, ranks independent (no communication)"
        print(f"| {label} | {n} | 128 | {step:.2f} | {128 * n / step * 1e3:.0f} | - | - |")
    for kind, label in (("weak", "DDP, weak scaling"), ("strong", "DDP, strong scaling")):
        for n in (1, 2):
            per = 128 if kind == "weak" else 128 // n
            step = worst(n, kind, "step_ms")
            print(f"| {label} | {n} | {per} | {step:.2f} | {per * n / step * 1e3:.0f} | "
                  f"{worst(n, kind, 'comm_ms'):.2f} | {worst(n, kind, 'wait_ms'):.2f} |")
    print(f"\nblocking MPI allreduce of the whole gradient ({rows[2][0]['allreduce_mb']:.1f} MB float32), "
          f"2 ranks: {max(r['allreduce_ms'] for r in rows[2]):.2f} ms; DDP uses "
          f"{rows[2][0]['weak']['buckets']} buckets (bucket_cap_mb=25, first bucket 1 MiB)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        main()
