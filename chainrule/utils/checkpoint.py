"""Activation checkpointing: keep nothing from a block's forward, recompute it in backward."""
from __future__ import annotations

import warnings

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Recompute:
    """Saved tensors of one checkpointed call: placeholders until backward needs them."""

    def __init__(self, fn, args, kwargs, rng_state):
        self.fn, self.args, self.kwargs, self.rng_state = fn, args, kwargs, rng_state
        self.count = 0
        self.values = None

    def pack(self, _tensor):
        i = self.count
        self.count += 1
        return i  # nothing of the tensor is kept

    def unpack(self, i):
        # Each recomputed tensor is handed out once and then dropped, so memory falls as
        # backward proceeds; a second backward (retain_graph) recomputes again.
        if self.values is None or i not in self.values:
            self._recompute()
        return self.values.pop(i)

    def _recompute(self):
        values = []

        def keep(t):
            values.append(t)
            return len(values) - 1

        args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in self.args]
        from ..ops import random as _random
        saved_state = None
        if self.rng_state is not None and hasattr(_random, "get_rng_state"):
            saved_state = _random.get_rng_state()
            _random.set_rng_state(self.rng_state)
        try:
            with enable_grad(), saved_tensors_hooks(keep, lambda i: values[i]):
                self.fn(*args, **self.kwargs)
        finally:
            if saved_state is not None:
                _random.set_rng_state(saved_state)
        if len(values) != self.count:
            raise RuntimeError("torch.utils.checkpoint: a different number of tensors was saved during the "
                               f"original forward and recomputation (saved {self.count}, recomputed "
                               f"{len(values)}).")
        self.values = dict(enumerate(values))


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, determinism_check="default",
               debug=False, context_fn=None, **kwargs):
    """Run ``function(*args)`` without keeping its intermediate tensors; recompute them in backward.

    Gradients are the same as without checkpointing; memory held between forward and
    backward drops to the block's inputs and outputs.

    >>> y = checkpoint(block, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "Set it to False (the only mode chainrule implements).", stacklevel=2)
    elif use_reentrant:
        raise NotImplementedError("chainrule implements the non-reentrant checkpoint only: pass use_reentrant=False")
    rng_state = None
    if preserve_rng_state:
        from ..ops import random as _random
        if hasattr(_random, "get_rng_state"):
            rng_state = _random.get_rng_state()
    rec = _Recompute(function, args, kwargs, rng_state)
    with saved_tensors_hooks(rec.pack, rec.unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Split a Sequential (or list of modules) into ``segments`` checkpointed chunks."""
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(1, (len(fns) + segments - 1) // segments)

    def run(chunk):
        def f(x):
            for m in chunk:
                x = m(x)
            return x
        return f
    for start in range(0, len(fns), size):
        input = checkpoint(run(fns[start:start + size]), input, use_reentrant=use_reentrant, **kwargs)
    return input
