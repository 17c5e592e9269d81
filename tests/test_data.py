"""utils.data against torch: batches, orders (same seeds), collation, splits, errors."""
import collections

import numpy as np
import pytest

import chainrule as C
from opcheck import same_as_torch


def _data(L):
    return L.utils.data


def _batches(loader):
    out = []
    for b in loader:
        out.append(b)
    return out


def test_sequential_batches_and_drop_last():
    def run(L):
        D = _data(L)
        ds = D.TensorDataset(L.arange(20.).reshape(10, 2), L.arange(10))
        a = _batches(D.DataLoader(ds, batch_size=3))
        b = _batches(D.DataLoader(ds, batch_size=3, drop_last=True))
        return [a, b, len(D.DataLoader(ds, batch_size=3)), len(D.DataLoader(ds, batch_size=3, drop_last=True))]
    same_as_torch(run)


def test_shuffle_order_matches_torch_with_seed():
    def run(L):
        D = _data(L)
        ds = D.TensorDataset(L.arange(30))
        L.manual_seed(0)
        e1 = _batches(D.DataLoader(ds, batch_size=4, shuffle=True))
        e2 = _batches(D.DataLoader(ds, batch_size=4, shuffle=True))
        g = L.Generator()
        g.manual_seed(7)
        e3 = _batches(D.DataLoader(ds, batch_size=5, shuffle=True, generator=g))
        return [e1, e2, e3]
    same_as_torch(run)


def test_random_split_and_subset_match_torch():
    def run(L):
        D = _data(L)
        ds = D.TensorDataset(L.arange(10))
        a, b = D.random_split(ds, [7, 3], generator=L.Generator().manual_seed(42))
        c, d = D.random_split(range(10), [0.5, 0.5], generator=L.Generator().manual_seed(1))
        return [[int(a[i][0]) for i in range(len(a))], [int(b[i][0]) for i in range(len(b))], list(c), list(d)]
    same_as_torch(run)


def test_default_collate_structures():
    Point = collections.namedtuple("Point", "x y")

    def run(L):
        D = _data(L)
        col = D.default_collate
        out = [col([1, 2, 3]), col([1.5, 2.5]), col([True, False]), col(["a", "b"]),
               col([np.ones(2, dtype=np.float32), np.zeros(2, dtype=np.float32)]),
               col([{"a": L.ones(2), "b": 1}, {"a": L.zeros(2), "b": 2}]),
               col([(L.ones(1), 0), (L.zeros(1), 1)])]
        p = col([Point(1, 2.0), Point(3, 4.0)])
        out.append([type(p).__name__, p.x, p.y])
        return out
    same_as_torch(run)


def test_samplers_and_batch_sampler():
    def run(L):
        D = _data(L)
        L.manual_seed(3)
        out = [list(D.SequentialSampler(range(5))), list(D.BatchSampler(range(7), 3, False)),
               list(D.BatchSampler(range(7), 3, True)),
               list(D.RandomSampler(range(6), generator=L.Generator().manual_seed(5))),
               list(D.SubsetRandomSampler([10, 20, 30], generator=L.Generator().manual_seed(2)))]
        bs = D.BatchSampler(D.SequentialSampler(range(5)), 2, False)
        out.append(_batches(D.DataLoader(D.TensorDataset(L.arange(5)), batch_sampler=bs)))
        return out
    same_as_torch(run)


def test_concat_dataset_and_iterable_dataset():
    def run(L):
        D = _data(L)

        class Stream(D.IterableDataset):
            def __iter__(self):
                return iter(range(5))

        cat = D.ConcatDataset([D.TensorDataset(L.arange(3)), D.TensorDataset(L.arange(10, 12))])
        return [[cat[i] for i in range(len(cat))], cat[-1], _batches(D.DataLoader(Stream(), batch_size=2)),
                _batches(D.DataLoader(range(4), batch_size=None))]
    same_as_torch(run)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True, sampler=[0, 1]), dict(batch_sampler=[[0]], batch_size=2),
                                    dict(batch_size=None, drop_last=True), dict(num_workers=-1)])
def test_dataloader_argument_errors(kwargs):
    def run(L):
        D = _data(L)
        D.DataLoader(D.TensorDataset(L.arange(4)), **kwargs)
    assert same_as_torch(run)[0] == "raises"


def test_tensordataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch"):
        C.utils.data.TensorDataset(C.ones(3), C.ones(4))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        C.utils.data.random_split(range(5), [2, 2])
