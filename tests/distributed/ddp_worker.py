"""Run under ``mpiexec -n N``: DistributedDataParallel against one process doing the same training.

Every rank splits each batch into N equal chunks and trains on its own chunk through DDP;
it also trains, by itself, a reference copy on the whole batch, and checks that both end
with the same parameters (float64, 1e-10). Prints ``rank R ok NAME`` per check and
``rank R done N`` at the end.
"""
import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import numpy as np  # noqa: E402

import chainrule as torch  # noqa: E402
import chainrule.distributed as dist  # noqa: E402
import chainrule.nn as nn  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule.nn.parallel import DistributedDataParallel as DDP  # noqa: E402


def _say(line):
    """One write per line (ranks share the output pipe: lines must not interleave)."""
    os.write(1, (line + "\n").encode())

dist.init_process_group("mpi", timeout=timedelta(seconds=30))
rank, n = dist.get_rank(), dist.get_world_size()
torch.set_default_dtype(torch.float64)
TOL = 1e-10
count = 0


def ok(name):
    global count
    count += 1
    _say(f"rank {rank} ok {name}")


def mine(t):
    """This rank's equal share of a batch."""
    k = t.shape[0] // n
    return t[rank * k:(rank + 1) * k]


def chunks(t):
    k = t.shape[0] // n
    return [t[r * k:(r + 1) * k] for r in range(n)]


def close(a, b, what):
    if a is None or b is None:
        assert a is None and b is None, f"{what}: {a} vs {b}"
        return
    a, b = a.detach().numpy(), b.detach().numpy()
    err = np.max(np.abs(a - b)) if a.size else 0.0
    assert a.shape == b.shape and err <= TOL, f"{what}: max abs diff {err}"


def same_params(m, ref, what):
    for (name, p), (_, q) in zip(m.named_parameters(), ref.named_parameters()):
        close(p, q, f"{what} {name}")


def mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))


def cnn(seed):
    torch.manual_seed(seed)
    m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1),
                      nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    for b in m.buffers():  # running stats that differ per rank until DDP copies rank 0's
        if b.dtype == torch.float64:
            b.add_(torch.rand(b.shape))
    return m


def batches(steps, micro, size, shape, seed):
    g = torch.Generator().manual_seed(seed)
    return [[(torch.randn(size, *shape, generator=g), torch.randint(0, 3, (size,), generator=g))
             for _ in range(micro)] for _ in range(steps)]


def gathered(t):
    out = [torch.zeros_like(t) for _ in range(n)]
    dist.all_gather(out, t)
    return [o.numpy() for o in out]


def train_ddp(model, data, **kw):
    ddp = DDP(model, **kw)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    for micro in data:
        opt.zero_grad()
        for k, (x, y) in enumerate(micro):
            if k < len(micro) - 1:
                with ddp.no_sync():
                    F.cross_entropy(ddp(mine(x)), mine(y)).backward()
                if n > 1:  # no communication: each rank holds its own chunk's gradient
                    assert not np.allclose(*gathered(model.parameters().__next__().grad)[:2])
            else:
                F.cross_entropy(ddp(mine(x)), mine(y)).backward()
                for p in model.parameters():  # every rank holds the same averaged gradient
                    gs = gathered(p.grad)
                    assert all(np.array_equal(gs[0], g) for g in gs)
        opt.step()
    return ddp


def train_whole(model, data):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for micro in data:
        opt.zero_grad()
        for x, y in micro:
            F.cross_entropy(model(x), y).backward()
        opt.step()


class Ranks:
    """One process playing all N ranks of a model with buffers, as DDP runs them: each rank's
    forward sees only its chunk and its own buffers; rank 0's buffers are copied to all before a
    forward that follows a syncing forward (torch's rule); the loss is the mean over ranks."""

    def __init__(self, model):
        self.model = model
        self.bufs = [self.snap() for _ in range(n)]
        self.sync = True

    def snap(self):
        return [b.detach().clone() for b in self.model.buffers()]

    def load(self, saved):
        for b, s in zip(self.model.buffers(), saved):
            b.copy_(s)

    def loss(self, x, y, syncing):
        if self.sync:
            self.bufs = [[s.clone() for s in self.bufs[0]] for _ in range(n)]
        losses = []
        for r, (xr, yr) in enumerate(zip(chunks(x), chunks(y))):
            self.load(self.bufs[r])
            losses.append(F.cross_entropy(self.model(xr), yr))
            self.bufs[r] = self.snap()
        self.sync = syncing
        return sum(losses) / n

    def train(self, data):
        opt = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9)
        for micro in data:
            opt.zero_grad()
            for k, (x, y) in enumerate(micro):
                self.loss(x, y, syncing=k == len(micro) - 1).backward()
            opt.step()


# -- MLP: DDP on chunks == one process on whole batches, with and without no_sync ---------
for micro, cap in [(1, None), (3, None), (2, 1e-6)]:
    data = batches(3, micro, 4 * n, (6,), seed=10 + micro)
    model = mlp(seed=100 + rank)  # different on each rank: DDP must copy rank 0's
    ddp = train_ddp(model, data, **({} if cap is None else {"bucket_cap_mb": cap}))
    ref = mlp(seed=100)
    train_whole(ref, data)
    same_params(model, ref, f"mlp micro={micro}")
    for p, q in zip(model.parameters(), ref.parameters()):
        close(p.grad, q.grad, "mlp grad")
    if cap is not None:
        assert len(ddp._reducer.buckets) == len(list(model.parameters()))
    ok(f"mlp micro={micro} bucket_cap_mb={cap}")

# every bucket starts from a hook, during backward (overlap), not in the final callback
model = mlp(seed=3)
ddp = DDP(model, bucket_cap_mb=1e-6)
r = ddp._reducer
seen = []
orig = r.finalize
r.finalize = lambda: (seen.append(r.next), orig())
F.cross_entropy(ddp(torch.randn(4, 6)), torch.tensor([0, 1, 2, 0])).backward()
assert seen == [len(r.buckets)], (seen, len(r.buckets))
# the first bucket holds the last parameters (reverse order), like torch's
assert r.buckets[0].entries[0][0] == len(r.params) - 1
ok("buckets launched from hooks")

# -- CNN with BatchNorm: buffers broadcast from rank 0 ------------------------------------
for micro in (1, 2):
    data = batches(3, micro, 2 * n, (1, 6, 6), seed=20 + micro)
    model = cnn(seed=200 + rank)
    ddp = train_ddp(model, data)
    ref = Ranks(cnn(seed=200))
    ref.train(data)
    same_params(model, ref.model, f"cnn micro={micro}")
    for b, s in zip(model.buffers(), ref.bufs[rank]):
        close(b, s, f"cnn buffers micro={micro}")
    # an eval forward after a training step starts from rank 0's buffers on every rank
    x = torch.randn(3, 1, 6, 6, generator=torch.Generator().manual_seed(5))
    ddp.eval()
    with torch.no_grad():
        out = ddp(x)
    ref.load(ref.bufs[0])
    ref.model.eval()
    with torch.no_grad():
        close(out, ref.model(x), "cnn eval output")
    ok(f"cnn batchnorm micro={micro}")

# -- find_unused_parameters: a branch only rank 1 uses -------------------------------------
class Branches(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(4, 3)
        self.c = nn.Linear(4, 3)  # never used

    def forward(self, x, use_b):
        return self.a(x) + self.b(x) if use_b else self.a(x)


torch.manual_seed(7)
model = Branches()
torch.manual_seed(7)
ref = Branches()
ddp = DDP(model, find_unused_parameters=True)
x, y = torch.randn(2 * n, 4), torch.randint(0, 3, (2 * n,))
F.cross_entropy(ddp(mine(x), use_b=rank == 1), mine(y)).backward()
losses = [F.cross_entropy(ref(xr, use_b=r == 1), yr) for r, (xr, yr) in enumerate(zip(chunks(x), chunks(y)))]
(sum(losses) / n).backward()
for name in ("a.weight", "a.bias", "b.weight", "b.bias"):
    close(model.get_parameter(name).grad, ref.get_parameter(name).grad, f"unused {name}")
assert model.c.weight.grad is None and model.c.bias.grad is None
ok("find_unused_parameters")

# without it, an unused parameter is reported at the next forward (on every rank)
ddp = DDP(Branches())
F.cross_entropy(ddp(mine(x), use_b=True), mine(y)).backward()
try:
    ddp(mine(x), use_b=True)
    raise AssertionError("expected the unused-parameter error")
except RuntimeError as e:
    msg = str(e)
    assert msg.startswith("Expected to have finished reduction in the prior iteration"), msg
    assert f"Parameter indices which did not receive grad for rank {rank}: 4 5" in msg, msg
    assert "c.weight, c.bias" in msg, msg
ok("unused parameter error")

# -- models that differ across ranks: a clear error on every rank, nobody hangs -------------
if n > 1:
    try:
        DDP(nn.Linear(3, 4 + (rank == 1)))
        raise AssertionError("expected a shape error")
    except RuntimeError as e:
        other = 0 if rank == 1 else 1
        assert f"[{rank}]: params[0] in this process with sizes" in str(e), str(e)
        assert f"appears not to match sizes of the same param in process {other}" in str(e), str(e)
    try:
        DDP(nn.Linear(3, 3, bias=rank == 0))
        raise AssertionError("expected a count error")
    except RuntimeError as e:
        want = (f"DDP expects same model across all ranks, but Rank {rank} has {1 + (rank == 0)} params, while "
                f"rank {1 if rank == 0 else 0} has inconsistent {1 + (rank != 0)} params.")
        assert str(e) == want, str(e)
    ok("model mismatch errors")

# -- the wrapper: module, state_dict keys, no-grad parameters, nothing to train ---------------
model = mlp(seed=1)
ddp = DDP(model)
assert ddp.module is model
assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
for bad, exc, frag in [(nn.ReLU(), RuntimeError, "doesn't have any parameter that requires a gradient"),
                       (lambda x: x, TypeError, "expects an nn.Module")]:
    try:
        DDP(bad)
        raise AssertionError("expected an error")
    except exc as e:
        assert frag in str(e), str(e)
ok("wrapper")

dist.destroy_process_group()
_say(f"rank {rank} done {count}")
