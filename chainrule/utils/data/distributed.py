"""DistributedSampler: each rank visits its own share of a dataset, the same shares as PyTorch."""
from __future__ import annotations

import math

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` should visit.

    Every rank sees ``ceil(len(dataset) / num_replicas)`` indices: the (shuffled)
    index list is padded by repeating its start so that it divides evenly, or with
    ``drop_last=True`` cut to a multiple of ``num_replicas``; rank ``r`` takes every
    ``num_replicas``-th index from position ``r``. The shuffle is a permutation drawn
    from a generator seeded with ``seed + epoch``: call ``set_epoch(epoch)`` at the start
    of each epoch so that epochs differ, and use the same ``seed`` on every rank.
    ``num_replicas`` and ``rank`` default to the default process group's.

    >>> sampler = DistributedSampler(dataset)
    >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    >>> for epoch in range(10):
    ...     sampler.set_epoch(epoch)
    ...     for x, y in loader: ...
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)  # drop the tail that can't be shared
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            from ...ops.random import Generator, randperm
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad > 0:
                reps = -(-pad // len(indices))
                indices += (indices * reps)[:pad]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which seeds this epoch's shuffle (call it before each epoch, on every rank)."""
        self.epoch = epoch
