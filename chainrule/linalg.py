"""``chainrule.linalg``: PyTorch's ``torch.linalg`` namespace.

The kernels live in ``chainrule.ops.linalg``; this module only gives them their
``torch.linalg`` names.

>>> A = chainrule.tensor([[2., 1.], [1., 3.]])
>>> chainrule.linalg.solve(A, chainrule.tensor([1., 2.]))
tensor([0.2000, 0.6000])
"""
from __future__ import annotations

from .ops.linalg import (LinAlgError, det, eigh, eigvalsh, inv, inv_ex, matmul, matrix_norm, matrix_power,
                         multi_dot, pinv, solve, svdvals, vecdot, vector_norm)
from .ops.linalg import linalg_cholesky as cholesky
from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_norm as norm
from .ops.linalg import linalg_qr as qr
from .ops.linalg import linalg_slogdet as slogdet
from .ops.linalg import linalg_svd as svd

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "inv_ex", "matmul",
           "matrix_norm", "matrix_power", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "svd",
           "svdvals", "vecdot", "vector_norm"]
