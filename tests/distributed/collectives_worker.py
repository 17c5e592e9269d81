"""Run under ``mpiexec -n N``: every collective against the same computation done in one process.

Each rank can make every rank's input (``data(r, ...)`` is seeded by ``r``), so it computes
the expected result locally with NumPy and compares. Prints ``rank R ok NAME`` per check
and ``rank R done N`` at the end; any failure raises (and aborts every rank).
"""
import os
import sys
import warnings
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import numpy as np  # noqa: E402

import chainrule as torch  # noqa: E402
import chainrule.distributed as dist  # noqa: E402
from chainrule.distributed import ReduceOp  # noqa: E402


def _say(line):
    """One write per line (ranks share the output pipe: lines must not interleave)."""
    os.write(1, (line + "\n").encode())

dist.init_process_group("mpi", timeout=timedelta(seconds=20))
rank, n = dist.get_rank(), dist.get_world_size()
count = 0


def ok(name):
    global count
    count += 1
    _say(f"rank {rank} ok {name}")


def data(r, shape, dtype, seed=0):
    rng = np.random.default_rng(1000 * seed + r)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in ("int64", "int32", "uint8", "int8"):
        lo = 0 if dtype == "uint8" else -5
        return rng.integers(lo, 6, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def same(got, want, dtype):
    got = got.numpy() if isinstance(got, torch.Tensor) else got
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if np.dtype(dtype).kind == "f":
        tol = {"float16": 1e-2, "float32": 1e-5, "float64": 1e-12}[dtype]
        np.testing.assert_allclose(got, want.astype(dtype), rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(got, want.astype(dtype))


def reduce_all(arrs, op, dtype):
    """The reduction of every rank's array, computed here."""
    s = np.stack(arrs)
    if dtype == "bool":
        anyop = {ReduceOp.SUM, ReduceOp.MAX, ReduceOp.BOR}
        if op == ReduceOp.BXOR:
            return np.logical_xor.reduce(s, axis=0)
        return s.any(0) if op in anyop else s.all(0)
    wide = s.astype(np.float64) if s.dtype.kind == "f" else s.astype(np.int64)
    if op == ReduceOp.SUM:
        return wide.sum(0)
    if op == ReduceOp.PRODUCT:
        return wide.prod(0)
    if op == ReduceOp.MIN:
        return wide.min(0)
    if op == ReduceOp.MAX:
        return wide.max(0)
    if op == ReduceOp.BAND:
        return np.bitwise_and.reduce(s, axis=0)
    if op == ReduceOp.BOR:
        return np.bitwise_or.reduce(s, axis=0)
    if op == ReduceOp.BXOR:
        return np.bitwise_xor.reduce(s, axis=0)
    total = wide.sum(0)  # AVG
    if s.dtype.kind == "f":
        return total / n
    return np.sign(total) * (np.abs(total) // n)


FLOAT_OPS = [ReduceOp.SUM, ReduceOp.AVG, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX]
INT_OPS = FLOAT_OPS + [ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR]
BOOL_OPS = [ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX, ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR]

# -- all_reduce: every dtype and op, sync and async -------------------------------------
for dtype, ops in [("float32", FLOAT_OPS), ("float64", FLOAT_OPS), ("float16", [ReduceOp.SUM, ReduceOp.MAX]),
                   ("int64", INT_OPS), ("int32", INT_OPS), ("uint8", [ReduceOp.SUM, ReduceOp.MAX, ReduceOp.BOR]),
                   ("bool", BOOL_OPS)]:
    for k, op in enumerate(ops):
        arrs = [data(r, (3, 4), dtype, seed=k) for r in range(n)]
        t = torch.from_numpy(arrs[rank].copy())
        v = t._version
        dist.all_reduce(t, op=op)
        same(t, reduce_all(arrs, op, dtype), dtype)
        assert t._version > v
        t = torch.from_numpy(arrs[rank].copy())
        w = dist.all_reduce(t, op=op, async_op=True)
        assert w.wait() is True and w.is_completed() and w.is_success()
        assert w.result()[0] is t
        same(t, reduce_all(arrs, op, dtype), dtype)
ok("all_reduce dtypes x ops")

# a transposed (non-contiguous) view writes through to its base; 0-d tensors work
arrs = [data(r, (4, 3), "float64") for r in range(n)]
base = torch.from_numpy(arrs[rank].copy())
view = base.t()
dist.all_reduce(view)
same(base, reduce_all(arrs, ReduceOp.SUM, "float64"), "float64")
assert view._version == base._version and base._version > 0
s = torch.tensor(float(rank + 1), dtype=torch.float64)
dist.all_reduce(s, op=ReduceOp.PRODUCT)
assert s.shape == () and s.item() == float(np.prod(np.arange(1, n + 1)))
# a leaf that requires grad is reduced without autograd complaining
p = torch.ones(3, requires_grad=True)
dist.all_reduce(p)
assert p.requires_grad and p.grad_fn is None and np.all(p.detach().numpy() == n)
ok("all_reduce views, 0-d, leaves")

# several async ops in flight at once, completed in reverse order
ts = [torch.from_numpy(data(rank, (5,), "float32", seed=50 + i)) for i in range(4)]
works = [dist.all_reduce(t, op=ReduceOp.MAX, async_op=True) for t in ts]
for w in reversed(works):
    w.wait()
for i, t in enumerate(ts):
    same(t, reduce_all([data(r, (5,), "float32", seed=50 + i) for r in range(n)], ReduceOp.MAX, "float32"), "float32")
ok("all_reduce async overlap")

# -- broadcast ------------------------------------------------------------------------------
for src in range(n):
    for dtype in ("float32", "int64", "bool"):
        t = torch.from_numpy(data(rank, (2, 3), dtype, seed=7))
        assert dist.broadcast(t, src=src) is None
        same(t, data(src, (2, 3), dtype, seed=7), dtype)
    t = torch.from_numpy(data(rank, (6,), "float64", seed=8))
    w = dist.broadcast(t, src, async_op=True)
    w.wait()
    same(t, data(src, (6,), "float64", seed=8), "float64")
ok("broadcast")

# -- all_gather (equal and uneven sizes), all_gather_into_tensor -----------------------------
outs = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(n)]
dist.all_gather(outs, torch.from_numpy(data(rank, (2, 3), "float64", seed=9)))
for r in range(n):
    same(outs[r], data(r, (2, 3), "float64", seed=9), "float64")
outs = [torch.zeros(r + 1, dtype=torch.int64) for r in range(n)]
w = dist.all_gather(outs, torch.from_numpy(data(rank, (rank + 1,), "int64", seed=10)), async_op=True)
w.wait()
for r in range(n):
    same(outs[r], data(r, (r + 1,), "int64", seed=10), "int64")
out = torch.zeros(n * 2, 3)
dist.all_gather_into_tensor(out, torch.from_numpy(data(rank, (2, 3), "float32", seed=11)))
same(out, np.concatenate([data(r, (2, 3), "float32", seed=11) for r in range(n)]), "float32")
out = torch.zeros(n, 2, 3)
dist.all_gather_into_tensor(out, torch.from_numpy(data(rank, (2, 3), "float32", seed=11)))
same(out, np.stack([data(r, (2, 3), "float32", seed=11) for r in range(n)]), "float32")
ok("all_gather")

# -- reduce_scatter, reduce_scatter_tensor -------------------------------------------------
for op in (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MAX):
    ins = [torch.from_numpy(data(rank, (i + 2,), "float64", seed=20 + i)) for i in range(n)]
    out = torch.zeros(rank + 2, dtype=torch.float64)
    dist.reduce_scatter(out, ins, op=op)
    same(out, reduce_all([data(r, (rank + 2,), "float64", seed=20 + rank) for r in range(n)], op, "float64"),
         "float64")
big = [data(r, (n * 2, 3), "float32", seed=30) for r in range(n)]
out = torch.zeros(2, 3)
dist.reduce_scatter_tensor(out, torch.from_numpy(big[rank]), op=ReduceOp.SUM)
same(out, reduce_all(big, ReduceOp.SUM, "float32")[2 * rank:2 * rank + 2], "float32")
ok("reduce_scatter")

# -- reduce to each root --------------------------------------------------------------------
for dst in range(n):
    for op in (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MIN):
        mine = data(rank, (4,), "float64", seed=40)
        t = torch.from_numpy(mine.copy())
        dist.reduce(t, dst=dst, op=op)
        want = reduce_all([data(r, (4,), "float64", seed=40) for r in range(n)], op, "float64")
        same(t, want if rank == dst else mine, "float64")
ok("reduce")

# -- gather / scatter ------------------------------------------------------------------------
for root in range(n):
    mine = torch.from_numpy(data(rank, (3,), "int64", seed=41))
    lst = [torch.zeros(3, dtype=torch.int64) for _ in range(n)] if rank == root else None
    dist.gather(mine, lst, dst=root)
    if rank == root:
        for r in range(n):
            same(lst[r], data(r, (3,), "int64", seed=41), "int64")
    out = torch.zeros(2, 2)
    lst = [torch.from_numpy(data(root, (2, 2), "float32", seed=42 + r)) for r in range(n)] if rank == root else None
    w = dist.scatter(out, lst, src=root, async_op=True)
    w.wait()
    same(out, data(root, (2, 2), "float32", seed=42 + rank), "float32")
ok("gather scatter")

# -- all_to_all, all_to_all_single ----------------------------------------------------------
ins = [torch.from_numpy(data(rank, (2,), "float64", seed=60 + j)) for j in range(n)]
outs = [torch.zeros(2, dtype=torch.float64) for _ in range(n)]
dist.all_to_all(outs, ins)
for i in range(n):
    same(outs[i], data(i, (2,), "float64", seed=60 + rank), "float64")
inp = torch.from_numpy(data(rank, (n * 2, 3), "float64", seed=61))
out = torch.zeros(n * 2, 3, dtype=torch.float64)
dist.all_to_all_single(out, inp)
same(out, np.concatenate([data(i, (n * 2, 3), "float64", seed=61)[2 * rank:2 * rank + 2] for i in range(n)]),
     "float64")
ok("all_to_all")

# -- send / recv around a ring (blocking and async), recv from any source -------------------
if n > 1:
    right, left = (rank + 1) % n, (rank - 1) % n
    out = torch.zeros(3, dtype=torch.float64)
    if rank % 2 == 0:
        dist.send(torch.from_numpy(data(rank, (3,), "float64", seed=70)), dst=right)
        src = dist.recv(out, src=left)
    else:
        src = dist.recv(out, src=left)
        dist.send(torch.from_numpy(data(rank, (3,), "float64", seed=70)), dst=right)
    assert src == left
    same(out, data(left, (3,), "float64", seed=70), "float64")
    out = torch.zeros(2, dtype=torch.int64)
    rw = dist.irecv(out, tag=5)
    sw = dist.isend(torch.from_numpy(data(rank, (2,), "int64", seed=71)), right, tag=5)
    sw.wait()
    rw.wait()
    assert rw.source_rank() == left
    same(out, data(left, (2,), "int64", seed=71), "int64")
    ok("send recv")

# -- barrier, objects, subgroups ------------------------------------------------------------
dist.barrier()
dist.barrier(async_op=True).wait()
objs = [None] * n
dist.all_gather_object(objs, {"rank": rank, "s": "x" * rank})
assert objs == [{"rank": r, "s": "x" * r} for r in range(n)]
lst = [rank, "hello"] if rank == n - 1 else [None, None]
dist.broadcast_object_list(lst, src=n - 1)
assert lst == [n - 1, "hello"]
got = [None] * n if rank == 0 else None
dist.gather_object(("r", rank), got, dst=0)
assert rank != 0 or got == [("r", r) for r in range(n)]
ok("barrier objects")

members = list(range(n - 1, -1, -1))  # every rank, in reverse order
g = dist.new_group(members)
assert dist.get_rank(g) == members.index(rank) and dist.get_world_size(g) == n
assert dist.get_process_group_ranks(g) == members
t = torch.tensor([float(rank)])
dist.broadcast(t, src=0, group=g)  # global rank 0
assert t.item() == 0.0
t = torch.tensor([float(rank)])
dist.broadcast(t, group=g, group_src=0)  # group rank 0 = global rank n-1
assert t.item() == float(n - 1)
solo = dist.new_group([0])
t = torch.tensor([float(rank + 1)])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    dist.all_reduce(t, group=solo)
assert t.item() == float(rank + 1)  # rank 0 alone: unchanged; others: not members, skipped
assert (rank == 0) == (not caught)
assert dist.get_rank(solo) == (0 if rank == 0 else -1)
ok("new_group")

# -- argument errors (raised before any communication, identically on every rank) ------------
def raises(exc, frag, fn):
    try:
        fn()
    except exc as e:
        assert frag in str(e), (frag, str(e))
        return
    raise AssertionError(f"expected {exc.__name__}: {frag}")


raises(TypeError, "Expected parameter `tensor` of type torch.Tensor", lambda: dist.all_reduce(np.ones(2)))
raises(TypeError, "of type List[torch.Tensor]", lambda: dist.all_gather(torch.ones(2), torch.ones(2)))
raises(ValueError, "Cannot use ReduceOp.BAND with non-integral dtype",
       lambda: dist.all_reduce(torch.ones(2), op=ReduceOp.BAND))
raises(ValueError, "Cannot use ReduceOp.AVG with bool", lambda: dist.all_reduce(torch.ones(2).bool(), op=ReduceOp.AVG))
raises(ValueError, "one tensor per rank", lambda: dist.all_gather([torch.ones(2)] * (n + 1), torch.ones(2)))
raises(ValueError, "gather_list`` must NOT be specified on non-destination ranks"
       if rank != 0 else "gather_list`` must be specified on destination rank",
       lambda: dist.gather(torch.ones(2), [torch.ones(2)] * n if rank != 0 else None, dst=0))
raises(ValueError, "Invalid destination rank", lambda: dist.send(torch.ones(2), dst=rank))
raises(ValueError, "trying to initialize the default process group twice!", lambda: dist.init_process_group("mpi"))
raises(ValueError, "is not part of group", lambda: dist.broadcast(torch.ones(1), src=n))
t = torch.ones(3)
raises(RuntimeError, "Please clone()", lambda: dist.all_reduce(t.expand(2, 3)))
ok("errors")

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
raises(ValueError, "Default process group has not been initialized", lambda: dist.get_rank())
dist.init_process_group(timeout=timedelta(seconds=60))  # again, after destroy
t = torch.tensor([1.0])
dist.all_reduce(t)
assert t.item() == n
dist.destroy_process_group()
ok("destroy and re-init")
_say(f"rank {rank} done {count}")
