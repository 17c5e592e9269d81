"""chainrule.func: composable function transforms in the style of ``torch.func``.

``grad``, ``vjp``, ``jacrev`` and friends differentiate with the ordinary engine and keep
the graph, so they nest (``grad(grad(f))``, ``jacrev(jacrev(f))``). ``vmap`` maps a
function over a batch dimension by running it per sample and stacking the results:
any function of supported ops works, so ``vmap(grad(f))`` gives per-sample gradients.
"""
from __future__ import annotations

from ._pytree import tree_flatten, tree_map, tree_unflatten
from .transforms import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp,
                         linearize, vjp, vmap)

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call", "vmap",
           "linearize", "tree_flatten", "tree_unflatten", "tree_map"]
