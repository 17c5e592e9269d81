"""Run under ``mpiexec -n 2``: one rank fails in the middle of a DDP step; the others must not hang.

``raise``: rank 1 raises (uncaught) between forward and backward. The excepthook that
init_process_group installs calls MPI_Abort, so every rank ends at once.
``stall``: rank 1 swallows its error and sleeps. Rank 0's wait for the gradient allreduce
gives up after the group's 2 s timeout with RuntimeError, which (uncaught) aborts all.
"""
import os
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import chainrule as torch  # noqa: E402
import chainrule.distributed as dist  # noqa: E402
import chainrule.nn as nn  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule.nn.parallel import DistributedDataParallel as DDP  # noqa: E402


def _say(line):
    """One write per line (ranks share the output pipe: lines must not interleave)."""
    os.write(1, (line + "\n").encode())

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=timedelta(seconds=2 if mode == "stall" else 120))
rank = dist.get_rank()
torch.manual_seed(0)
ddp = DDP(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
for step in range(3):
    out = ddp(torch.randn(4, 4))
    if rank == 1 and step == 1:
        try:
            raise ValueError(f"rank 1 failed at step {step}")
        except ValueError:
            if mode == "raise":
                raise
            _say("rank 1 swallowed its error and is stuck")
            time.sleep(120)
    opt.zero_grad()
    F.cross_entropy(out, torch.tensor([0, 1, 0, 1])).backward()
    opt.step()
    _say(f"rank {rank} finished step {step}")
_say(f"rank {rank} should never get here")
