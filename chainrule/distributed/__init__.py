"""chainrule.distributed: PyTorch's ``torch.distributed`` on MPI (through mpi4py).

Launch one process per rank with ``mpiexec -n 4 python train.py`` (or ``mpiexec -f hosts
-n 8 ...`` across machines), call ``init_process_group("mpi")`` and use the collectives
below, or wrap a model in ``chainrule.nn.parallel.DistributedDataParallel``. Importing
this package needs nothing beyond chainrule; mpi4py is loaded by ``init_process_group``
(install it with ``pip install 'chainrule[distributed]'``).
"""
from .process_group import (Backend, GroupMember, ProcessGroup, ReduceOp, Work, default_pg_timeout,
                            destroy_process_group, get_backend, get_global_rank, get_group_rank,
                            get_process_group_ranks, get_rank, get_world_size, group, init_process_group,
                            is_available, is_gloo_available, is_initialized, is_mpi_available,
                            is_nccl_available, new_group)
from .collectives import (all_gather, all_gather_into_tensor, all_gather_object, all_reduce, all_to_all,
                          all_to_all_single, barrier, broadcast, broadcast_object_list, gather, gather_object,
                          irecv, isend, recv, reduce, reduce_scatter, reduce_scatter_tensor, scatter, send)
from . import process_group as _process_group
from . import collectives as _collectives

__all__ = _process_group.__all__ + _collectives.__all__
