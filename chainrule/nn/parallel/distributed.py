"""DistributedDataParallel: one model replica per rank, gradients averaged over MPI.

At construction the replicas are checked to have the same parameters (count, shapes,
dtypes) and rank 0's parameters and buffers are copied to every rank. Gradients are
grouped into buckets (reverse parameter order, about ``bucket_cap_mb`` each); as soon as
backward has accumulated every gradient of a bucket, a post-accumulate-grad hook starts a
non-blocking allreduce of it, so communication overlaps the rest of backward. When the
backward pass ends, a callback waits for the buckets and writes the averages into ``.grad``.
"""
from __future__ import annotations

import time
import weakref
from contextlib import contextmanager

import numpy as np

from ..._tensor import Tensor
from ...autograd.engine import queue_callback
from ...autograd.function import AccumulateGrad
from ...autograd.grad_mode import _state
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024  # like PyTorch: a small first bucket starts communication early


def _dist():
    from ... import distributed
    return distributed


def _poll(reqs, pg, what):
    from ...distributed.process_group import _poll as poll
    poll(reqs, pg._timeout, what, pg)


def _broadcast_arrays(pg, comm, arrays, what):
    """Copy rank 0's values of ``arrays`` into the others', in one message per dtype (no version bump:
    torch's buffer sync does not move versions, and buffers saved by a live graph must stay usable)."""
    by_dtype = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a)
    root = comm.Get_rank() == 0
    for dt, arrs in by_dtype.items():
        if root:
            flat = np.concatenate([a.reshape(-1) for a in arrs]) if arrs else np.empty(0, dt)
        else:
            flat = np.empty(sum(a.size for a in arrs), dtype=dt)
        _poll([comm.Ibcast(flat, 0)], pg, what)
        if not root:
            off = 0
            for a in arrs:
                np.copyto(a, flat[off:off + a.size].reshape(a.shape))
                off += a.size


class _Bucket:
    __slots__ = ("entries", "flat", "pending", "size")

    def __init__(self, entries, dtype):
        self.entries = entries  # (param index, offset, numel, shape)
        self.size = sum(e[2] for e in entries)
        self.flat = np.empty(self.size, dtype=dtype)
        self.pending = len(entries)


class _Reducer:
    """Tracks which gradients are ready this backward and reduces their buckets in order."""

    def __init__(self, params, pg, comm, bucket_bytes, find_unused):
        self.params = params
        self.pg, self.comm, self.world = pg, comm, pg.size()
        self.find_unused = find_unused
        self.buckets = []
        self.where = [None] * len(params)  # param index -> bucket index
        self._build(bucket_bytes)
        self.marked = [False] * len(params)
        self.ready = [False] * len(self.buckets)
        self.reqs = [None] * len(self.buckets)
        self.next = 0  # buckets are launched in index order, the same order on every rank
        self.expect = False  # set by a forward that will sync; cleared when the backward is finalized
        self.in_backward = False
        self.unused = ()
        self.missing = None  # param indices that got no grad in the last synced backward
        self.launch_s = self.wait_s = 0.0  # time in flatten + starting allreduce / blocked waiting

    def _build(self, cap):
        limits, open_ = {}, {}
        layout = []
        for i in reversed(range(len(self.params))):
            a = self.params[i]._data
            dt = a.dtype
            cur = open_.setdefault(dt, [[], 0])
            cur[0].append(i)
            cur[1] += a.nbytes
            if cur[1] >= limits.setdefault(dt, min(_FIRST_BUCKET_BYTES, cap)):
                layout.append((dt, cur[0]))
                open_[dt] = [[], 0]
                limits[dt] = cap
        layout.extend((dt, cur[0]) for dt, cur in open_.items() if cur[0])
        for b, (dt, idx) in enumerate(layout):
            entries, off = [], 0
            for i in idx:
                a = self.params[i]._data
                entries.append((i, off, a.size, a.shape))
                off += a.size
                self.where[i] = b
            self.buckets.append(_Bucket(entries, dt))

    # -- called from hooks during backward ------------------------------------------------
    def grad_ready(self, i):
        if not self.expect:
            return
        if not self.in_backward:
            self.in_backward = True
            queue_callback(self.finalize)
            for j in self.unused:
                self._mark(j)
        self._mark(i)
        inflight = [r for r in self.reqs[:self.next] if r is not None]
        if inflight:  # MPI progresses non-blocking collectives inside its calls: nudge it
            _MPI().Request.Testall(inflight)

    def _mark(self, i):
        if self.marked[i]:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This error is caused by one of the following "
                f"reasons: 1) Use of a module parameter outside the `forward` function (parameter index {i} "
                "got a gradient although it was not reached from the forward's outputs, with "
                "find_unused_parameters=True); 2) Reused parameters in multiple reentrant backward passes.")
        self.marked[i] = True
        b = self.where[i]
        bucket = self.buckets[b]
        bucket.pending -= 1
        if bucket.pending == 0:
            self.ready[b] = True
            while self.next < len(self.buckets) and self.ready[self.next]:
                self._launch(self.next)
                self.next += 1

    def _launch(self, b):
        if self.world == 1:  # the average over one rank is the gradient itself
            return
        t0 = time.perf_counter()
        bucket = self.buckets[b]
        flat = bucket.flat
        params = self.params
        for i, off, size, shape in bucket.entries:
            g = params[i]._grad
            seg = flat[off:off + size]
            if g is None:
                seg.fill(0)
            else:
                np.copyto(seg.reshape(shape), g._data)
        flat /= flat.dtype.type(self.world)  # divide first, as torch's default hook does
        self.reqs[b] = self.comm.Iallreduce(_MPI().IN_PLACE, flat, _MPI().SUM)
        self.launch_s += time.perf_counter() - t0

    # -- the end of backward ----------------------------------------------------------------
    def finalize(self):
        self.expect = False
        self.in_backward = False
        missing = [i for i, m in enumerate(self.marked) if not m]
        try:
            if missing and not self.find_unused:
                self.missing = missing  # reported by the next forward, as torch does
            else:
                for j in missing:
                    self._mark(j)
            if self.world == 1:
                return
            used = None
            reqs = [r for r in self.reqs[:self.next] if r is not None]
            if self.find_unused:
                used = np.array([p._grad is not None for p in self.params], dtype=np.uint8)
                reqs.append(self.comm.Iallreduce(_MPI().IN_PLACE, used, _MPI().MAX))
            t0 = time.perf_counter()
            _poll(reqs, self.pg, "DDP gradient ALLREDUCE")
            self.wait_s += time.perf_counter() - t0
            self._write_back(used)
        finally:
            self.reset()

    def _write_back(self, used):
        params = self.params
        for b in range(self.next):
            flat = self.buckets[b].flat
            for i, off, size, shape in self.buckets[b].entries:
                p = params[i]
                g = p._grad
                seg = flat[off:off + size].reshape(shape)
                if g is not None:
                    np.copyto(g._data, seg)
                    g._vc[0] += 1
                elif used is not None and used[i]:
                    p._grad = Tensor._make(seg.copy())

    def reset(self):
        self.marked = [False] * len(self.params)
        self.ready = [False] * len(self.buckets)
        self.reqs = [None] * len(self.buckets)
        self.next = 0
        self.in_backward = False
        for bucket in self.buckets:
            bucket.pending = len(bucket.entries)

    def abandon(self):
        """A backward that raised left buckets in flight: let them finish, then start clean."""
        reqs = [r for r in self.reqs[:self.next] if r is not None]
        self.reset()
        self.expect = False
        if reqs:
            _poll(reqs, self.pg, "DDP gradient ALLREDUCE")


def _MPI():
    return _dist().process_group._MPI


def _hook(ref, i):
    def hook(param):
        r = ref()
        if r is not None:
            r.grad_ready(i)
    return hook


def _remove_hooks(handles):
    for h in handles:
        h.remove()


def _tensors_in(obj, out):
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            out.append(o)
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
    return out


def _reached_leaves(outputs):
    """ids of the leaf tensors the backward graph of ``outputs`` leads to."""
    seen, leaves = set(), set()
    stack = []
    for t in outputs:
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t._requires_grad:
            leaves.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.__class__ is AccumulateGrad:
            leaves.add(id(node.variable))
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None and id(nxt) not in seen:
                stack.append(nxt)
    return leaves


class DistributedDataParallel(Module):
    """Data parallelism across MPI ranks: wrap the model, train as usual, gradients come out averaged.

    Every rank builds the same model and calls ``DistributedDataParallel(model)`` after
    ``chainrule.distributed.init_process_group("mpi")``; rank 0's parameters and buffers
    are copied to all. Each rank then runs forward/backward on its own share of the data
    (see ``DistributedSampler``); after ``backward()`` every rank holds the gradient
    averaged over ranks, so identical optimizer steps keep the replicas identical.

    ``bucket_cap_mb`` (default 25) sizes the gradient buckets, ``no_sync()`` accumulates
    gradients locally, ``find_unused_parameters=True`` allows parameters that the forward
    did not use, and ``broadcast_buffers`` (default True) copies rank 0's buffers (e.g.
    BatchNorm running statistics) to all ranks before each forward.

    >>> model = DistributedDataParallel(nn.Linear(10, 2))
    >>> loss_fn(model(x), y).backward()   # model.module.weight.grad: the mean over ranks
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        dist = _dist()
        pg = process_group if process_group is not None else dist.group.WORLD
        if pg is None:
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group.")
        if pg._comm is None:
            raise ValueError("DistributedDataParallel: this rank is not a member of process_group")
        if device_ids or output_device is not None:
            raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with "
                             "GPU modules; chainrule runs on the CPU, so leave them as None "
                             f"(got device_ids {device_ids}, output_device {output_device}).")
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects an nn.Module, got {type(module).__name__}")
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        self.module = module
        self.process_group = pg
        self.device_ids = None
        self.output_device = None
        self.dim = dim
        self.broadcast_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int(bucket_cap_mb * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        if pg._ddp_comm is None:  # DDP's own traffic never interleaves with the user's collectives
            pg._ddp_comm = pg._comm.Dup()
        comm = pg._ddp_comm
        self._verify_same_model(comm, named, list(module.named_buffers()))
        if init_sync and pg.size() > 1:
            states = [p for _, p in module.named_parameters()] + [b for _, b in module.named_buffers()]
            _broadcast_arrays(pg, comm, [t._data for t in states], "DDP initial BROADCAST")
            for t in states:
                t._vc[0] += 1
        params = [p for _, p in named]
        self._param_names = [n for n, _ in named]
        self._reducer = _Reducer(params, pg, comm, self.bucket_bytes_cap, self.find_unused_parameters)
        ref = weakref.ref(self._reducer)
        handles = [p.register_post_accumulate_grad_hook(_hook(ref, i)) for i, p in enumerate(params)]
        weakref.finalize(self._reducer, _remove_hooks, handles)  # a dropped DDP leaves no hooks behind

    # -- the same model on every rank -------------------------------------------------------
    def _verify_same_model(self, comm, named, buffers):
        pg = self.process_group
        codes = {np.dtype(t): k for k, t in enumerate("?BbhilefdFD")}

        def sig(items):
            out = [len(items)]
            for _, t in items:
                a = t._data
                out += [codes.get(a.dtype, 99), a.ndim, *a.shape]
            return out
        mine = np.array(sig(named) + sig(buffers), dtype=np.int64)
        if pg.size() == 1:
            return
        n = np.array([mine.size], dtype=np.int64)
        sizes = np.empty(pg.size(), dtype=np.int64)
        _poll([comm.Iallgather(n, sizes)], pg, "DDP model check ALLGATHER")
        counts = [int(s) for s in sizes]
        allsig = np.empty(sum(counts), dtype=np.int64)
        displs = [int(x) for x in np.concatenate([[0], np.cumsum(counts)[:-1]])]
        _poll([comm.Iallgatherv(mine, [allsig, (counts, displs)])], pg, "DDP model check ALLGATHER")
        sigs = [allsig[d:d + c].tolist() for d, c in zip(displs, counts)]
        me = pg.rank()

        def parse(s):
            out, k = [], 0
            for _ in range(2):
                items = []
                cnt = s[k]
                k += 1
                for _ in range(cnt):
                    code, nd = s[k], s[k + 1]
                    items.append((code, tuple(s[k + 2:k + 2 + nd])))
                    k += 2 + nd
                out.append(items)
            return out
        parsed = [parse(s) for s in sigs]
        names = {0: [n for n, _ in named], 1: [n for n, _ in buffers]}
        kinds = {0: ("params", "param"), 1: ("buffers", "buffer")}
        dtnames = {v: k.name for k, v in codes.items()}
        # Every rank sees every signature, so every rank raises (no rank is left waiting).
        for part in (0, 1):
            plural, single = kinds[part]
            odd = [r for r in range(pg.size()) if parsed[r][part] != parsed[0][part]]
            if not odd:
                continue
            ref_rank = 0 if me in odd else odd[0]
            a, b = parsed[me][part], parsed[ref_rank][part]
            if len(a) != len(b):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {me} has {len(a)} {plural}, "
                                   f"while rank {ref_rank} has inconsistent {len(b)} {plural}.")
            for k, ((ca, sa), (cb, sb)) in enumerate(zip(a, b)):
                if sa != sb:
                    raise RuntimeError(
                        f"[{me}]: {plural}[{k}] in this process with sizes {list(sa)} appears not to match sizes "
                        f"of the same {single} in process {ref_rank}. (On this rank it is '{names[part][k]}'; "
                        f"process {ref_rank} has sizes {list(sb)}.)")
                if ca != cb:
                    raise RuntimeError(
                        f"[{me}]: {plural}[{k}] ('{names[part][k]}') in this process has dtype "
                        f"{dtnames.get(ca, '?')} but dtype {dtnames.get(cb, '?')} in process {ref_rank}.")

    # -- forward -------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        r = self._reducer
        syncing = _state.grad_enabled and self.require_backward_grad_sync
        if r.in_backward:
            r.abandon()
        if syncing and r.missing is not None:
            missing, r.missing = r.missing, None
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by \nmaking sure all `forward` function outputs "
                "participate in calculating loss. \nIf you already have done the above, then the distributed data "
                "parallel module wasn't able to locate the output tensors in the return value of your module's "
                "`forward` function. Please include the loss function and the structure of the return value of "
                "`forward` of your module when reporting this issue (e.g. list, dict, iterable).\n"
                f"Parameter indices which did not receive grad for rank {self.process_group.rank()}: "
                + " ".join(str(i) for i in missing)
                + "\nParameters which did not receive grad: " + ", ".join(self._param_names[i] for i in missing))
        if self.require_forward_param_sync and self.broadcast_buffers and self.process_group.size() > 1:
            self._sync_buffers()
        out = self.module(*inputs, **kwargs)
        if syncing:
            self.require_forward_param_sync = True
            r.expect = True
            if self.find_unused_parameters:
                reached = _reached_leaves(_tensors_in(out, []))
                r.unused = [i for i, p in enumerate(r.params) if id(p) not in reached]
        else:
            self.require_forward_param_sync = False
        return out

    def _sync_buffers(self):
        bufs = [b._data for b in self.module.buffers()]
        if bufs:
            _broadcast_arrays(self.process_group, self.process_group._ddp_comm, bufs, "DDP buffer BROADCAST")

    @contextmanager
    def no_sync(self):
        """Inside this context, forward/backward accumulate gradients locally, without communication.

        The next forward/backward outside it averages the accumulated gradients.

        >>> with ddp.no_sync():
        ...     loss_fn(ddp(x1), y1).backward()
        >>> loss_fn(ddp(x2), y2).backward()   # grads: mean over ranks of (g1 + g2)
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
