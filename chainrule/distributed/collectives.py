"""Collectives and point-to-point messages on tensors (and picklable objects), over MPI.

Each operation writes its result into the given tensors in place (their version counter
moves, as any in-place write does) and never records autograd history. With
``async_op=True`` it returns a ``Work``; otherwise it waits (up to the group's timeout).
Ranks are global ranks, as in PyTorch; ``group_src``/``group_dst`` give ranks in ``group``.
"""
from __future__ import annotations

import pickle

import numpy as np

from .._dtype import _by_np
from .._tensor import Tensor
from . import process_group as _pg
from .process_group import ReduceOp, Work, _divide, _mpi_op, _resolve

__all__ = ["all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
           "reduce_scatter_tensor", "reduce", "gather", "scatter", "all_to_all", "all_to_all_single",
           "send", "recv", "isend", "irecv", "barrier", "broadcast_object_list", "all_gather_object",
           "gather_object"]


# -- argument checks and buffers ------------------------------------------------------
def _check_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _check_list(ts, name):
    if not isinstance(ts, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} instead.")
    if not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} with elements of type {[type(t) for t in ts]}.")


def _same_dtype(ts, dtype, what):
    for t in ts:
        if t._data.dtype != dtype:
            raise ValueError(f"{what}: all tensors must have the same dtype, got {t.dtype} and {_by_np[dtype]}")


def _src(t):
    """A contiguous array to send from."""
    return np.ascontiguousarray(t._data)


def _dst(t):
    """A contiguous writable array to receive into, and a function that lands it in ``t``."""
    a = t._data
    if not a.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    if a.flags.c_contiguous:
        return a, lambda: _bump(t)
    b = np.ascontiguousarray(a)

    def land():
        np.copyto(a, b)
        _bump(t)
    return b, land


def _bump(t):
    t._vc[0] += 1


def _scatter_into(flat, tensors, counts):
    """Copy consecutive pieces of ``flat`` into ``tensors`` (and bump their versions)."""
    off = 0
    for t, c in zip(tensors, counts):
        np.copyto(t._data, flat[off:off + c].reshape(t._data.shape))
        _bump(t)
        off += c


def _displs(counts):
    d = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=d[1:])
    return [int(x) for x in d]


def _run(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def _peer(pg, rank, group_rank, name):
    """The group rank of a src/dst given as a global rank or as ``group_<name>``."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"Can't specify both group_{name} and {name}")
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
        return group_rank
    if rank is None:
        raise ValueError(f"Must specify {name} or group_{name}")
    if rank not in pg._ranks:
        raise ValueError(f"Global rank {rank} is not part of group {pg}")
    return pg._ranks.index(rank)


def _check_count(ts, pg, what, name):
    if len(ts) != pg.size():
        raise ValueError(f"{what}: `{name}` must hold one tensor per rank of the group "
                         f"({pg.size()}), got {len(ts)}")


# -- collectives ------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across all ranks in place, so every rank holds the result.

    >>> t = chainrule.tensor([float(rank)]); dist.all_reduce(t)   # t == sum of all ranks
    """
    _check_tensor(tensor, "tensor")
    pg = _resolve(group, "all_reduce")
    if pg is None:
        return None
    mop, avg = _mpi_op(op, tensor._data.dtype)
    buf, land = _dst(tensor)
    req = pg._comm.Iallreduce(_pg._MPI.IN_PLACE, buf, mop)

    def done():
        if avg:
            _divide(buf, pg.size())
        land()
    return _run(Work(pg, [req], "ALLREDUCE", done, [tensor], (buf,)), async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` from rank ``src`` into ``tensor`` on every other rank."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group, "broadcast")
    if pg is None:
        return None
    root = _peer(pg, src, group_src, "src")
    if pg.rank() == root:
        buf, land = _src(tensor), None
    else:
        buf, land = _dst(tensor)
    req = pg._comm.Ibcast(buf, root)
    return _run(Work(pg, [req], "BROADCAST", land, [tensor], (buf,)), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list[rank]`` on every rank (sizes may differ per rank)."""
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    pg = _resolve(group, "all_gather")
    if pg is None:
        return None
    _check_count(tensor_list, pg, "all_gather", "tensor_list")
    _same_dtype(tensor_list, tensor._data.dtype, "all_gather")
    counts = [t._data.size for t in tensor_list]
    if counts[pg.rank()] != tensor._data.size:
        raise ValueError(f"all_gather: tensor_list[{pg.rank()}] has {counts[pg.rank()]} elements but this rank's "
                         f"tensor has {tensor._data.size}")
    send = _src(tensor).reshape(-1)
    recv = np.empty(sum(counts), dtype=tensor._data.dtype)
    req = pg._comm.Iallgatherv(send, [recv, (counts, _displs(counts))])
    done = lambda: _scatter_into(recv, tensor_list, counts)  # noqa: E731
    return _run(Work(pg, [req], "ALLGATHER", done, tensor_list, (send, recv)), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor``, concatenated (or stacked) along dim 0 into ``output_tensor``."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _resolve(group, "all_gather_into_tensor")
    if pg is None:
        return None
    if output_tensor._data.size != input_tensor._data.size * pg.size():
        raise ValueError(f"all_gather_into_tensor: output tensor size must be equal to world_size times input "
                         f"tensor size, got {output_tensor._data.size} and {input_tensor._data.size}")
    if output_tensor._data.dtype != input_tensor._data.dtype:
        raise ValueError("all_gather_into_tensor: output and input tensors must have the same dtype")
    send = _src(input_tensor).reshape(-1)
    buf, land = _dst(output_tensor)
    req = pg._comm.Iallgather(send, buf.reshape(-1))
    return _run(Work(pg, [req], "_ALLGATHER_BASE", land, [output_tensor], (send, buf)), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list[i]`` across ranks into ``output`` on rank ``i``."""
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    pg = _resolve(group, "reduce_scatter")
    if pg is None:
        return None
    _check_count(input_list, pg, "reduce_scatter", "input_list")
    _same_dtype(input_list, output._data.dtype, "reduce_scatter")
    counts = [t._data.size for t in input_list]
    if counts[pg.rank()] != output._data.size:
        raise ValueError(f"reduce_scatter: input_list[{pg.rank()}] has {counts[pg.rank()]} elements but output "
                         f"has {output._data.size}")
    mop, avg = _mpi_op(op, output._data.dtype)
    send = np.concatenate([t._data.reshape(-1) for t in input_list]) if input_list else np.empty(0)
    buf, land = _dst(output)
    req = pg._comm.Ireduce_scatter(send, buf.reshape(-1), counts, mop)

    def done():
        if avg:
            _divide(buf, pg.size())
        land()
    return _run(Work(pg, [req], "REDUCE_SCATTER", done, [output], (send, buf)), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (world_size equal chunks along dim 0) across ranks; chunk ``i`` lands on rank ``i``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _resolve(group, "reduce_scatter_tensor")
    if pg is None:
        return None
    if input._data.size != output._data.size * pg.size():
        raise ValueError(f"reduce_scatter_tensor: input tensor size must be equal to world_size times output "
                         f"tensor size, got {input._data.size} and {output._data.size}")
    if output._data.dtype != input._data.dtype:
        raise ValueError("reduce_scatter_tensor: output and input tensors must have the same dtype")
    mop, avg = _mpi_op(op, output._data.dtype)
    send = _src(input).reshape(-1)
    buf, land = _dst(output)
    req = pg._comm.Ireduce_scatter_block(send, buf.reshape(-1), mop)

    def done():
        if avg:
            _divide(buf, pg.size())
        land()
    return _run(Work(pg, [req], "_REDUCE_SCATTER_BASE", done, [output], (send, buf)), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` across ranks into ``tensor`` on rank ``dst`` (the others' are left as they were)."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group, "reduce")
    if pg is None:
        return None
    root = _peer(pg, dst, group_dst, "dst")
    mop, avg = _mpi_op(op, tensor._data.dtype)
    if pg.rank() == root:
        buf, land = _dst(tensor)
        req = pg._comm.Ireduce(_pg._MPI.IN_PLACE, buf, mop, root)

        def done():
            if avg:
                _divide(buf, pg.size())
            land()
    else:
        buf, done = _src(tensor), None
        req = pg._comm.Ireduce(buf, None, mop, root)
    return _run(Work(pg, [req], "REDUCE", done, [tensor], (buf,)), async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (only there)."""
    _check_tensor(tensor, "tensor")
    if gather_list:
        _check_list(gather_list, "gather_list")
    pg = _resolve(group, "gather")
    if pg is None:
        return None
    root = _peer(pg, 0 if dst is None and group_dst is None else dst, group_dst, "dst")
    send = _src(tensor).reshape(-1)
    if pg.rank() == root:
        if not gather_list:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_count(gather_list, pg, "gather", "gather_list")
        _same_dtype(gather_list, tensor._data.dtype, "gather")
        counts = [t._data.size for t in gather_list]
        if counts[root] != send.size:
            raise ValueError(f"gather: gather_list[{root}] has {counts[root]} elements but tensor has {send.size}")
        recv = np.empty(sum(counts), dtype=send.dtype)
        req = pg._comm.Igatherv(send, [recv, (counts, _displs(counts))], root)
        done = lambda: _scatter_into(recv, gather_list, counts)  # noqa: E731
        return _run(Work(pg, [req], "GATHER", done, gather_list, (send, recv)), async_op)
    if gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    req = pg._comm.Igatherv(send, None, root)
    return _run(Work(pg, [req], "GATHER", None, [], (send,)), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """``scatter_list[i]`` on rank ``src`` into ``tensor`` on rank ``i``."""
    _check_tensor(tensor, "tensor")
    if scatter_list:
        _check_list(scatter_list, "scatter_list")
    pg = _resolve(group, "scatter")
    if pg is None:
        return None
    root = _peer(pg, 0 if src is None and group_src is None else src, group_src, "src")
    buf, land = _dst(tensor)
    if pg.rank() == root:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_count(scatter_list, pg, "scatter", "scatter_list")
        _same_dtype(scatter_list, tensor._data.dtype, "scatter")
        counts = [t._data.size for t in scatter_list]
        if counts[root] != buf.size:
            raise ValueError(f"scatter: scatter_list[{root}] has {counts[root]} elements but tensor has {buf.size}")
        send = np.concatenate([t._data.reshape(-1) for t in scatter_list])
        req = pg._comm.Iscatterv([send, (counts, _displs(counts))], buf.reshape(-1), root)
        keep = (send, buf)
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        req = pg._comm.Iscatterv(None, buf.reshape(-1), root)
        keep = (buf,)
    return _run(Work(pg, [req], "SCATTER", land, [tensor], keep), async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """``input_tensor_list[j]`` of rank ``i`` into ``output_tensor_list[i]`` of rank ``j``."""
    _check_list(output_tensor_list, "output_tensor_list")
    _check_list(input_tensor_list, "input_tensor_list")
    pg = _resolve(group, "all_to_all")
    if pg is None:
        return None
    _check_count(output_tensor_list, pg, "all_to_all", "output_tensor_list")
    _check_count(input_tensor_list, pg, "all_to_all", "input_tensor_list")
    dt = input_tensor_list[0]._data.dtype
    _same_dtype(input_tensor_list + output_tensor_list, dt, "all_to_all")
    scounts = [t._data.size for t in input_tensor_list]
    rcounts = [t._data.size for t in output_tensor_list]
    send = np.concatenate([t._data.reshape(-1) for t in input_tensor_list])
    recv = np.empty(sum(rcounts), dtype=dt)
    req = pg._comm.Ialltoallv([send, (scounts, _displs(scounts))], [recv, (rcounts, _displs(rcounts))])
    done = lambda: _scatter_into(recv, output_tensor_list, rcounts)  # noqa: E731
    return _run(Work(pg, [req], "ALLTOALL", done, output_tensor_list, (send, recv)), async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """Split ``input`` along dim 0 (equally, or by ``input_split_sizes``), exchange, concatenate into ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _resolve(group, "all_to_all_single")
    if pg is None:
        return None
    n = pg.size()

    def counts(t, splits, name):
        rows = t._data.shape[0] if t._data.ndim else 1
        per_row = t._data.size // rows if rows else 0
        if splits is None:
            if rows % n:
                raise ValueError(f"all_to_all_single: dim 0 of {name} ({rows}) is not divisible by the group size {n}")
            return [rows // n * per_row] * n
        splits = [int(s) for s in splits]
        if len(splits) != n or sum(splits) != rows:
            raise ValueError(f"all_to_all_single: {name}_split_sizes {splits} must have {n} entries summing to {rows}")
        return [s * per_row for s in splits]
    sc = counts(input, input_split_sizes, "input")
    rc = counts(output, output_split_sizes, "output")
    send = _src(input).reshape(-1)
    buf, land = _dst(output)
    req = pg._comm.Ialltoallv([send, (sc, _displs(sc))], [buf.reshape(-1), (rc, _displs(rc))])
    return _run(Work(pg, [req], "ALLTOALL_BASE", land, [output], (send, buf)), async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group has reached this call."""
    pg = _resolve(group, "barrier")
    if pg is None:
        return None
    return _run(Work(pg, [pg._comm.Ibarrier()], "BARRIER"), async_op)


# -- point to point ---------------------------------------------------------------------
def _p2p_peer(pg, rank, group_rank, name, kind):
    peer = _peer(pg, rank, group_rank, name)
    if peer == pg.rank():
        raise ValueError(f"Invalid {kind} rank: should not be the same as the rank of the current process.")
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending ``tensor`` to rank ``dst``; returns a Work."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group, "isend")
    if pg is None:
        return None
    peer = _p2p_peer(pg, dst, group_dst, "dst", "destination")
    buf = _src(tensor)
    return Work(pg, [pg._comm.Isend(buf, peer, tag)], "SEND", None, [tensor], (buf,))


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into ``tensor`` from rank ``src`` (any rank if None); returns a Work."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group, "irecv")
    if pg is None:
        return None
    MPI = _pg._MPI
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _p2p_peer(pg, src, group_src, "src", "source")
    buf, land = _dst(tensor)
    status = MPI.Status()
    return Work(pg, [pg._comm.Irecv(buf, peer, MPI.ANY_TAG if tag is None else tag)], "RECV", land, [tensor], (buf,),
                status=status)


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` and wait until it is sent."""
    w = isend(tensor, dst, group, tag, group_dst)
    if w is not None:
        w.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank if None); returns the sender's rank."""
    w = irecv(tensor, src, group, tag, group_src)
    if w is None:
        return -1
    w.wait()
    return w.source_rank()


# -- picklable objects (pickle, as torch.distributed does: only use with trusted peers) ------
def _bytes_bcast(pg, payload, root):
    MPI = _pg._MPI
    n = np.array([len(payload) if payload is not None else 0], dtype=np.int64)
    Work(pg, [pg._comm.Ibcast(n, root)], "BROADCAST", keep=(n,)).wait()
    buf = np.frombuffer(payload, dtype=np.uint8).copy() if pg.rank() == root else np.empty(int(n[0]), np.uint8)
    Work(pg, [pg._comm.Ibcast([buf, MPI.BYTE], root)], "BROADCAST", keep=(buf,)).wait()
    return buf.tobytes()


def _bytes_allgather(pg, payload):
    MPI = _pg._MPI
    n = np.array([len(payload)], dtype=np.int64)
    sizes = np.empty(pg.size(), dtype=np.int64)
    Work(pg, [pg._comm.Iallgather(n, sizes)], "ALLGATHER", keep=(n, sizes)).wait()
    counts = [int(s) for s in sizes]
    send = np.frombuffer(payload, dtype=np.uint8).copy()
    recv = np.empty(sum(counts), dtype=np.uint8)
    Work(pg, [pg._comm.Iallgatherv([send, MPI.BYTE], [recv, (counts, _displs(counts)), MPI.BYTE])], "ALLGATHER",
         keep=(send, recv)).wait()
    out, off = [], 0
    for c in counts:
        out.append(recv[off:off + c].tobytes())
        off += c
    return out


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace ``object_list``'s items on every rank by those of rank ``src`` (pickled)."""
    pg = _resolve(group, "broadcast_object_list")
    if pg is None:
        return
    root = _peer(pg, 0 if src is None and group_src is None else src, group_src, "src")
    payload = pickle.dumps(list(object_list)) if pg.rank() == root else None
    data = _bytes_bcast(pg, payload, root)
    if pg.rank() != root:
        object_list[:] = pickle.loads(data)


def all_gather_object(object_list, obj, group=None):
    """Every rank's ``obj`` into ``object_list[rank]`` (pickled); ``object_list`` has one slot per rank."""
    pg = _resolve(group, "all_gather_object")
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list must have {pg.size()} slots, got {len(object_list)}")
    for i, b in enumerate(_bytes_allgather(pg, pickle.dumps(obj))):
        object_list[i] = pickle.loads(b)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Every rank's ``obj`` into ``object_gather_list`` on rank ``dst`` (pickled)."""
    pg = _resolve(group, "gather_object")
    if pg is None:
        return
    root = _peer(pg, 0 if dst is None and group_dst is None else dst, group_dst, "dst")
    if pg.rank() == root:
        if object_gather_list is None or len(object_gather_list) != pg.size():
            raise ValueError("Argument ``object_gather_list`` must be specified on destination rank, "
                             f"with one slot per rank ({pg.size()}).")
    elif object_gather_list is not None:
        raise ValueError("Argument ``object_gather_list`` must NOT be specified on non-destination ranks.")
    items = _bytes_allgather(pg, pickle.dumps(obj))
    if pg.rank() == root:
        for i, b in enumerate(items):
            object_gather_list[i] = pickle.loads(b)
