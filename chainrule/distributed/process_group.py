"""Process groups over MPI: initialisation, groups, reduce ops and work handles.

mpi4py is imported only when a process group is made, so ``import chainrule`` (and
``import chainrule.distributed``) never needs it. Every collective is started
non-blocking and completed by polling with a deadline, so a rank whose peer has died or
stalled raises ``RuntimeError`` after the group's timeout instead of hanging forever.
"""
from __future__ import annotations

import enum
import importlib.util
import os
import sys
import time
import warnings
from datetime import timedelta

__all__ = ["Backend", "ReduceOp", "ProcessGroup", "Work", "group", "GroupMember", "is_available",
           "is_mpi_available", "is_gloo_available", "is_nccl_available", "is_initialized",
           "init_process_group", "destroy_process_group", "get_rank", "get_world_size", "get_backend",
           "new_group", "get_process_group_ranks", "get_group_rank", "get_global_rank",
           "default_pg_timeout"]

default_pg_timeout = timedelta(minutes=30)

_MPI = None  # the mpi4py.MPI module, once loaded


def _mpi():
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise RuntimeError(
                "chainrule.distributed needs mpi4py and an MPI library; install them with "
                "pip install 'chainrule[distributed]' and launch with mpiexec -n <ranks> python script.py") from e
        _MPI = MPI
    return _MPI


def is_available() -> bool:
    """True when mpi4py is installed (the only backend is MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


def is_gloo_available() -> bool:
    return False


def is_nccl_available() -> bool:
    return False


class Backend(str):
    """Backend names; only ``"mpi"`` exists in chainrule."""

    MPI = "mpi"

    def __new__(cls, name):
        name = str(name).lower()
        if name != "mpi":
            raise ValueError(f"chainrule.distributed supports only the 'mpi' backend, got {name!r}")
        return str.__new__(cls, name)


class ReduceOp:
    """How a reduction combines values: ``ReduceOp.SUM``, ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``,
    and the bitwise ``BAND``, ``BOR``, ``BXOR`` for integer and bool tensors."""

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


def _mpi_op(op, np_dtype):
    """The MPI op for ``op`` on arrays of ``np_dtype``, and whether to divide by the group size after."""
    MPI = _mpi()
    if not isinstance(op, ReduceOp.RedOpType):
        raise ValueError(f"Invalid reduce op {op!r}; use chainrule.distributed.ReduceOp")
    kind = np_dtype.kind
    if kind == "b":
        if op is ReduceOp.AVG:
            raise ValueError("Cannot use ReduceOp.AVG with bool tensors")
        return {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND,
                ReduceOp.BXOR: MPI.LXOR}[op], False
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind not in "iu":
        raise ValueError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR,
            ReduceOp.BXOR: MPI.BXOR}[op], op is ReduceOp.AVG


def _divide(arr, n):
    """In place: ``arr / n`` (integers truncate toward zero, as NCCL's AVG does)."""
    if arr.dtype.kind == "f":
        arr /= arr.dtype.type(n)
    else:
        neg = arr < 0
        q = abs(arr) // n
        q[neg] *= -1
        arr[...] = q


def _seconds(timeout):
    if timeout is None:
        return None
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    return float(timeout)


def _poll(reqs, timeout, what, pg, status=None):
    """Complete the MPI requests ``reqs`` or raise RuntimeError once ``timeout`` seconds pass."""
    MPI = _MPI
    if status is not None:
        done = lambda: reqs[0].Test(status)  # noqa: E731 (one request whose source we need)
    else:
        done = lambda: MPI.Request.Testall(reqs)  # noqa: E731
    if done():
        return
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    spins, nap = 0, 0.0
    while not done():
        # MPI moves a non-blocking operation along only inside MPI calls, so test often: spin
        # (yielding the core now and then) for 20 ms, then back off to naps of up to 1 ms.
        spins += 1
        if nap or time.monotonic() - start > 0.02:
            time.sleep(nap)
            nap = min(nap * 2 or 2e-5, 1e-3)
        elif spins % 64 == 0:
            os.sched_yield()
        if deadline is not None and time.monotonic() > deadline:
            raise RuntimeError(
                f"[Rank {_world_rank()}] {what} timed out after {timeout:g} s "
                f"(the process group's timeout, set by init_process_group(timeout=...)): "
                f"another rank of {pg!r} has not joined this operation; it may have raised an error, "
                f"exited or be stuck. The group is unusable now.")


def _world_rank():
    return _MPI.COMM_WORLD.Get_rank() if _MPI is not None else 0


class Work:
    """The handle of an asynchronous operation (``async_op=True``): ``wait()`` completes it."""

    def __init__(self, pg, reqs, what, on_done=None, result=(), keep=(), status=None):
        self._pg = pg
        self._reqs = list(reqs)
        self._what = what
        self._on_done = on_done
        self._result = list(result)
        self._keep = keep  # buffers MPI reads or writes until completion
        self._status = status
        self._done = False
        self._exc = None

    def _finish(self):
        if not self._done:
            self._done = True
            self._keep = None
            if self._on_done is not None:
                self._on_done()
                self._on_done = None

    def wait(self, timeout=None):
        """Block until the operation completes; raise RuntimeError after ``timeout`` (default: the group's)."""
        if self._exc is not None:
            raise self._exc
        if not self._done:
            t = _seconds(timeout) if timeout is not None else self._pg._timeout
            try:
                _poll(self._reqs, t, self._what, self._pg, self._status)
            except RuntimeError as e:
                self._exc = e
                raise
            self._finish()
        return True

    def is_completed(self) -> bool:
        """True once the operation has finished (tests it without blocking)."""
        if not self._done and self._exc is None:
            ok = self._reqs[0].Test(self._status) if self._status is not None else _MPI.Request.Testall(self._reqs)
            if ok:
                self._finish()
        return self._done

    def is_success(self) -> bool:
        return self._done and self._exc is None

    def exception(self):
        return self._exc

    def result(self):
        """The tensors this operation wrote (after ``wait()``)."""
        return self._result

    def source_rank(self) -> int:
        """For ``irecv``: the global rank the message came from."""
        if self._status is None:
            raise RuntimeError("source_rank() is only available on the work of a recv")
        self.wait()
        return self._pg._ranks[self._status.Get_source()]

    def __repr__(self):
        return f"<chainrule.distributed.Work {self._what} {'done' if self._done else 'pending'}>"


class ProcessGroup:
    """A set of ranks that run collectives together; one MPI communicator underneath."""

    def __init__(self, comm, ranks, timeout, name):
        self._comm = comm  # None on ranks outside the group
        self._ranks = list(ranks)  # global rank of each group rank
        self._timeout = timeout
        self._name = name
        self._ddp_comm = None  # a duplicate for DDP's gradient traffic, made on first use

    def rank(self) -> int:
        return self._comm.Get_rank() if self._comm is not None else -1

    def size(self) -> int:
        return len(self._ranks)

    def name(self) -> str:
        return "mpi"

    @property
    def group_name(self):
        return self._name

    def _free(self):
        for c in (self._ddp_comm, self._comm):
            if c is not None and c != _MPI.COMM_NULL:
                c.Free()
        self._comm = self._ddp_comm = None

    def __repr__(self):
        return f"ProcessGroup(name={self._name!r}, ranks={self._ranks})"


class group:
    """``group.WORLD``: the default process group (None before ``init_process_group``)."""

    WORLD = None


GroupMember = group
GroupMember.NON_GROUP_MEMBER = -100

_groups = []  # every group made since init, freed by destroy_process_group
_prev_excepthook = [None]


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return group.WORLD is not None


def _default_group():
    if group.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure to call init_process_group.")
    return group.WORLD


def _resolve(g, what):
    """The ProcessGroup to use, or None (after a warning) when this rank is not in ``g``."""
    if g is None or g is group.WORLD:
        return _default_group()
    if not isinstance(g, ProcessGroup):
        raise ValueError(f"Expecting a ProcessGroup, but got a {type(g)}.")
    _default_group()
    if g._comm is None:
        warnings.warn(f"Running {what} on global rank {get_rank()} which does not belong to the given group.",
                      stacklevel=3)
        return None
    return g


def _abort_on_uncaught(exc_type, exc, tb):
    """sys.excepthook while a group exists: report, then abort every rank so none waits forever."""
    prev = _prev_excepthook[0] or sys.__excepthook__
    prev(exc_type, exc, tb)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        if _MPI is not None and _MPI.Is_initialized() and not _MPI.Is_finalized() and _MPI.COMM_WORLD.Get_size() > 1:
            _MPI.COMM_WORLD.Abort(1)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group of all ranks started by ``mpiexec``.

    The only backend is ``"mpi"``: rank and world size come from MPI (``world_size`` and
    ``rank``, if given, must agree with it). ``timeout`` (a ``timedelta``, default 30
    minutes) bounds every wait: a collective not finished by then raises RuntimeError.
    While the group exists an uncaught exception on any rank calls ``MPI_Abort``, so the
    other ranks are ended at once instead of waiting for the timeout.

    >>> dist.init_process_group("mpi")   # under: mpiexec -n 4 python train.py
    """
    if group.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None:
        Backend(backend)
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout)}")
    MPI = _mpi()
    world = MPI.COMM_WORLD
    n, me = world.Get_size(), world.Get_rank()
    if world_size not in (-1, None) and world_size != n:
        raise ValueError(f"world_size={world_size} does not match the {n} ranks MPI started "
                         f"(launch with mpiexec -n {world_size})")
    if rank not in (-1, None) and rank != me:
        raise ValueError(f"rank={rank} does not match this process's MPI rank {me}")
    t = _seconds(timeout if timeout is not None else default_pg_timeout)
    group.WORLD = ProcessGroup(world.Dup(), range(n), t, group_name or "0")
    _groups.append(group.WORLD)
    if sys.excepthook is not _abort_on_uncaught:
        _prev_excepthook[0] = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def destroy_process_group(group=None):
    """Free a group; with no argument, the default group and every group made from it."""
    if group is None or group is GroupMember.WORLD:
        _default_group()
        for g in _groups:
            g._free()
        _groups.clear()
        GroupMember.WORLD = None
        if sys.excepthook is _abort_on_uncaught:
            sys.excepthook = _prev_excepthook[0] or sys.__excepthook__
        _prev_excepthook[0] = None
    else:
        group._free()
        if group in _groups:
            _groups.remove(group)


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (default: the world); -1 if it is not a member."""
    pg = _default_group() if group is None else group
    _default_group()
    return pg.rank()


def get_world_size(group=None) -> int:
    """The number of ranks in ``group`` (default: the world)."""
    pg = _default_group() if group is None else group
    _default_group()
    if pg._comm is None:
        return -1
    return pg.size()


def get_backend(group=None) -> str:
    _default_group()
    return Backend.MPI


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of the given global ranks (every rank must call this, members or not)."""
    world = _default_group()
    n = world.size()
    ranks = list(range(n)) if ranks is None else [int(r) for r in ranks]
    if len(set(ranks)) != len(ranks):
        raise ValueError("the new group cannot have duplicate ranks")
    for r in ranks:
        if not 0 <= r < n:
            raise ValueError(f"Invalid rank {r} for a new group of a world of size {n}")
    if backend is not None:
        Backend(backend)
    me = world.rank()
    member = me in ranks
    comm = world._comm.Split(0 if member else _MPI.UNDEFINED, ranks.index(me) if member else 0)
    t = _seconds(timeout) if timeout is not None else world._timeout
    g = ProcessGroup(comm if member else None, ranks, t, str(len(_groups)))
    _groups.append(g)
    return g


def get_process_group_ranks(group):
    """The global ranks of ``group``'s members, in group-rank order."""
    return list((group or _default_group())._ranks)


def get_group_rank(group, global_rank: int) -> int:
    """The rank in ``group`` of global rank ``global_rank``."""
    pg = group or _default_group()
    if global_rank not in pg._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg._ranks.index(global_rank)


def get_global_rank(group, group_rank: int) -> int:
    """The global rank of ``group``'s rank ``group_rank``."""
    pg = group or _default_group()
    if not 0 <= group_rank < len(pg._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg._ranks[group_rank]
