"""Data-parallel training over MPI: a small CNN on the bundled digits, one process per rank.

Every rank builds the same model; DistributedDataParallel copies rank 0's weights to all
and averages the gradients during backward; DistributedSampler gives each rank its own
share of every epoch. Rank 0 prints the loss (averaged over ranks) and the test accuracy.

    pip install 'chainrule[distributed]'                 # mpi4py and an MPI library (mpich)
    mpiexec -n 4 python examples/ddp_train.py            # 4 ranks on this machine
    mpiexec -f hosts -n 8 python examples/ddp_train.py   # 8 ranks over the machines in `hosts`
    python examples/ddp_train.py                         # also runs: a world of one rank

``hosts`` lists one machine per line, optionally with its rank count (``node1:4``); every
machine needs the same Python environment and this script at the same path.
"""
from __future__ import annotations

import argparse
import time
from datetime import timedelta

import chainrule as torch
import chainrule.distributed as dist
from chainrule import nn
from chainrule.datasets import load_digits
from chainrule.nn.parallel import DistributedDataParallel as DDP
from chainrule.utils.data import DataLoader, TensorDataset
from chainrule.utils.data.distributed import DistributedSampler


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description="DistributedDataParallel on the bundled digits")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--accumulate", type=int, default=1, help="micro-batches per optimizer step (no_sync)")
    args = parser.parse_args(argv)

    dist.init_process_group("mpi", timeout=timedelta(minutes=5))
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)  # different initial weights on purpose: DDP starts every rank from rank 0's

    images, labels = load_digits()
    images = images.unsqueeze(1)  # (N, 1, 8, 8)
    perm = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))  # same split on every rank
    test_idx, train_idx = perm[:360], perm[360:]
    train_set = TensorDataset(images[train_idx], labels[train_idx])
    sampler = DistributedSampler(train_set, shuffle=True, seed=0)
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)

    model = DDP(make_model())
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    if rank == 0:
        print(f"{world} rank(s), {len(sampler)} training samples per rank per epoch, "
              f"global batch {args.batch_size * world * args.accumulate}")

    start = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a different shuffle each epoch, the same on every rank
        model.train()
        stats = torch.zeros(2, dtype=torch.float64)  # sum of losses, number of samples
        optimizer.zero_grad()
        for i, (x, y) in enumerate(loader):
            last = (i + 1) % args.accumulate == 0 or i + 1 == len(loader)
            if last:
                loss = loss_fn(model(x), y)
                (loss / args.accumulate).backward()  # gradients averaged over ranks here
                optimizer.step()
                optimizer.zero_grad()
            else:
                with model.no_sync():  # accumulate locally, communicate on the last micro-batch
                    loss = loss_fn(model(x), y)
                    (loss / args.accumulate).backward()
            stats += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
        dist.all_reduce(stats)  # totals over all ranks
        if rank == 0:  # evaluate the plain module: a DDP forward on one rank alone would start a collective
            net = model.module.eval()
            with torch.no_grad():
                acc = (net(images[test_idx]).argmax(1) == labels[test_idx]).float().mean().item()
            print(f"epoch {epoch + 1}/{args.epochs}  train loss {stats[0].item() / stats[1].item():.4f}  "
                  f"test acc {100 * acc:.2f}%  ({time.perf_counter() - start:.1f}s)", flush=True)
        dist.barrier()

    if rank == 0:  # the replicas are identical; save one, without DDP's "module." prefix
        torch.save(model.module.state_dict(), "ddp_digits.safetensors")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
