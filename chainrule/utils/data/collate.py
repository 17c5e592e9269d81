"""default_collate and default_convert: turning a list of samples into a batch."""
from __future__ import annotations

import collections.abc

import numpy as np

from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def _tensor(x, dtype=None):
    from ...ops.creation import tensor
    return tensor(x, dtype=dtype)


def default_collate(batch):
    """Stack tensors, arrays and numbers into tensors; recurse into dicts, tuples and lists.

    >>> default_collate([(chainrule.ones(2), 0), (chainrule.zeros(2), 1)])
    [tensor([[1., 1.], [0., 0.]]), tensor([0, 1])]
    """
    from ... import float64
    from ...ops.shape import stack
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                            f"found {elem.dtype}")
        return stack([_from_numpy(b) for b in batch], 0)
    if isinstance(elem, np.generic):
        return _tensor(np.array(batch))
    if isinstance(elem, bool):
        return _tensor(batch)
    if isinstance(elem, float):
        return _tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return _tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {k: default_collate([d[k] for d in batch]) for k in elem}
        try:
            return type(elem)(out)  # keep the mapping's type where it can be built from a dict
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        n = len(next(it))
        if not all(len(e) == n for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                    f"{type(elem)}")


def _from_numpy(a):
    from ...ops.creation import from_numpy
    return from_numpy(np.ascontiguousarray(a))


def default_convert(data):
    """Arrays to tensors, recursively; everything else unchanged (``batch_size=None`` loading)."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSU":
        return _from_numpy(data)
    if isinstance(data, np.generic):
        return _tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data
