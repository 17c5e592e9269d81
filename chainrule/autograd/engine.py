"""The engine: the only code that walks a backward graph.

It counts each node's incoming edges with an explicit stack (never recursion), then runs
nodes whose gradients are complete, most recently created first, as PyTorch does. Each
gradient is summed to its input's shape and cast to its dtype here, once, so no
backward rule undoes broadcasting itself.
"""
from __future__ import annotations

import heapq

import numpy as np

from . import function as _function
from .._dtype import _by_np
from .function import AccumulateGrad
from .grad_mode import _state

Tensor = None  # bound by chainrule._tensor after the class is defined (import cycle)

__all__ = ["run_backward", "queue_callback"]

_callbacks = []  # run once when the current backward pass finishes (queue_callback)
_depth = [0]  # nesting of backward passes (a hook may itself call backward)


def queue_callback(fn):
    """Run ``fn()`` once, when the backward pass now running finishes (DDP syncs gradients here)."""
    if _depth[0] == 0:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _callbacks.append(fn)

def _root_edge(t):
    if not t._requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    fn = t.grad_fn
    if fn is None:
        return t._accumulator(), 0
    return fn, t._output_nr


def _make_root_grads(tensors, grad_tensors):
    from ..ops.creation import ones_like

    grads = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not t.dtype.is_floating_point:
                raise RuntimeError("grad can be implicitly created only for real scalar outputs but got " + repr(t.dtype))
            g = ones_like(t)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        elif g._data.shape != t._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {t.shape}.")
        grads.append(g)
    return grads


def run_backward(tensors, grad_tensors, retain_graph=None, create_graph=False, inputs=None,
                 allow_unused=True, accumulate=True, materialize_grads=False):
    """Backpropagate from ``tensors``; accumulate into leaves or return grads of ``inputs``."""

    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_root_grads(tensors, grad_tensors)
    roots = [_root_edge(t) for t in tensors]

    # Where gradients are wanted: {node: {output_nr: slot}}; slot indexes the result list.
    targets = None
    if inputs is not None:
        targets = {}
        for k, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError("inputs to backward/grad must be Tensors")
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node, nr = (t._accumulator(), 0) if t.grad_fn is None else (t.grad_fn, t._output_nr)
            targets.setdefault(node, {}).setdefault(nr, []).append(k)

    # Count the incoming edges of every node reachable from the roots.
    deps = {}
    for node, _ in roots:
        deps.setdefault(node, 0)
    stack = list(deps)
    while stack:
        n = stack.pop()
        for e in n._edges:
            nxt = e[0]
            if nxt is not None:
                c = deps.get(nxt)
                if c is None:
                    deps[nxt] = 1
                    stack.append(nxt)
                else:
                    deps[nxt] = c + 1

    if targets is not None:
        deps = _prune(deps, roots, targets)

    captured = [None] * (len(inputs) if inputs is not None else 0)
    buffers = {}
    for (node, nr), g in zip(roots, grads):
        if node in deps:
            _add_to_buffer(buffers, node, nr, g)
    handed = {id(g._data) for g in grads}  # arrays the caller holds: copy before storing in .grad

    # Only a root can be ready at the start: nothing leads into it and it holds a gradient.
    starts = {node: None for node, _ in roots if deps.get(node) == 0 and node in buffers}
    ready = [(-node._seq, i, node) for i, node in enumerate(starts)]
    heapq.heapify(ready)
    counter = len(ready)
    heappop, heappush = heapq.heappop, heapq.heappush

    prev_mode = _state.grad_enabled
    _state.grad_enabled = create_graph
    anomaly = _function._anomaly
    plain = not anomaly and targets is None  # else every node takes the general path below
    _depth[0] += 1
    n_callbacks = len(_callbacks)
    try:
        while ready:
            node = heappop(ready)[2]
            # A one-output node's gradient is kept as itself; a node with several outputs has
            # a list, one slot per output (see _add_to_buffer).
            buf = buffers.pop(node, None)
            if type(buf) is Tensor and plain and not node._hooked and type(node) is not AccumulateGrad:
                # The usual case: one gradient, passed as itself (a call through ``*buf``
                # makes a bound method and a tuple, and CPython 3.11 does not inline it).
                # Without create_graph grad mode is off here: the rule for that case runs.
                edges = node._edges
                if not edges:
                    continue
                if create_graph:
                    outs = node._backward(buf)
                else:
                    outs = node._nograd_backward(buf)
            else:
                if buf is None:
                    buf = [None] * node._n_out
                elif type(buf) is not list:
                    buf = [buf]
                is_leaf = type(node) is AccumulateGrad
                hooked = node._hooked
                if hooked or (is_leaf and node.variable._hooks):
                    buf = _run_pre_hooks(node, buf)
                if targets is not None and node in targets:
                    for nr, slots in targets[node].items():
                        for k in slots:
                            captured[k] = buf[nr]
                            if buf[nr] is not None:
                                handed.add(id(buf[nr]._data))
                    if accumulate and not is_leaf:
                        for nr, slots in targets[node].items():  # backward(inputs=[non-leaf])
                            for k in slots:
                                if buf[nr] is not None:
                                    _accumulate(inputs[k], buf[nr], create_graph, handed)
                if is_leaf:
                    if accumulate and (targets is None or node in targets):
                        _accumulate(node.variable, buf[0], create_graph, handed)
                    continue
                edges = node._edges
                if not edges:
                    continue
                # (not ``None in buf``: that compares with ==, a Python call on each Tensor)
                if anomaly or hooked or _has_none(buf):
                    outs = _call(node, buf, anomaly)
                elif len(buf) == 1 and not create_graph:
                    outs = node._nograd_backward(buf[0])
                else:
                    outs = node._backward(*buf)
            if type(outs) is not tuple:
                outs = (outs,)
            if len(outs) != len(edges):
                outs = _check_count(node, outs)
            for (nxt, nr, shape, dt), g in zip(edges, outs):
                if nxt is None:
                    continue
                c = deps.get(nxt)
                if c is None:
                    continue
                if g is not None:
                    # (``is not`` on dtypes is only a quick test: _conform compares properly)
                    if type(g) is not Tensor or g._data.shape != shape or g._data.dtype is not dt:
                        g = _conform(node, outs, g, shape, dt)
                    old = buffers.get(nxt)
                    if old is None and nxt._n_out == 1:
                        buffers[nxt] = g
                    elif old is None or type(old) is list:
                        _add_to_buffer(buffers, nxt, nr, g)
                    else:
                        buffers[nxt] = old + g
                if c == 1:
                    del deps[nxt]
                    heappush(ready, (-nxt._seq, counter, nxt))
                    counter += 1
                else:
                    deps[nxt] = c - 1
            if not retain_graph and node._saved is not None:
                node._saved = None  # free what backward needed; a second backward now raises
                node._released = True
        while len(_callbacks) > n_callbacks:
            _callbacks.pop(n_callbacks)()
    finally:
        _state.grad_enabled = prev_mode
        _depth[0] -= 1
        del _callbacks[n_callbacks:]

    if inputs is not None and not accumulate:
        for k, g in enumerate(captured):
            if g is None:
                if not allow_unused:
                    raise RuntimeError(
                        "One of the differentiated Tensors appears to not have been used in the graph. "
                        "Set allow_unused=True if this is the desired behavior.")
                if materialize_grads:
                    from ..ops.creation import zeros_like
                    captured[k] = zeros_like(inputs[k])
            elif not create_graph:
                captured[k] = g.detach()
        return tuple(captured)
    return None


def _has_none(buf):
    for g in buf:
        if g is None:
            return True
    return False


def _add_to_buffer(buffers, node, nr, g):
    """Add ``g`` to the gradient of output ``nr`` of ``node``: kept as itself for a node with
    one output (no list to make and index in the loop), in a list for several."""
    buf = buffers.get(node)
    if buf is None:
        n = node._n_out
        if n == 1:
            buffers[node] = g
            return
        buf = buffers[node] = [None] * n
    elif type(buf) is not list:
        buffers[node] = buf + g
        return
    old = buf[nr]
    buf[nr] = g if old is None else old + g


def _prune(deps, roots, targets):
    """Keep only nodes on a path from a root to a target, with edge counts among them."""
    # Order nodes parents-first (Kahn), then mark those that lead to a target.
    order = []
    indeg = dict(deps)
    stack = [n for n, c in indeg.items() if c == 0]
    while stack:
        n = stack.pop()
        order.append(n)
        for nxt, *_ in n._edges:
            if nxt is not None:
                indeg[nxt] -= 1
                if indeg[nxt] == 0:
                    stack.append(nxt)
    needed = set()
    for n in reversed(order):
        if n in targets or any(nxt in needed for nxt, *_ in n._edges if nxt is not None):
            needed.add(n)
    pruned = {n: 0 for n in needed}
    for n in needed:
        for nxt, *_ in n._edges:
            if nxt in needed:
                pruned[nxt] += 1
    return pruned


def _run_pre_hooks(node, buf):
    th = node._tensor_hooks
    if type(node) is AccumulateGrad:
        hooks = node.variable._hooks
        if hooks:
            buf = [_apply_tensor_hooks(hooks, buf[0])]
    elif th:
        for nr, hooks in th.items():
            if hooks and buf[nr] is not None:
                buf[nr] = _apply_tensor_hooks(hooks, buf[nr])
    rh = node._retain_hooks
    if rh:
        for nr, hooks in rh.items():
            if buf[nr] is not None:
                for h in list(hooks.values()):
                    h(buf[nr])
    ph = node._pre_hooks
    if ph:
        for h in list(ph.values()):
            r = h(tuple(buf))
            if r is not None:
                buf = list(r)
    return buf


def _apply_tensor_hooks(hooks, g):
    for h in list(hooks.values()):
        r = h(g)
        if r is not None:
            g = r
    return g


def _call(node, buf, anomaly):
    if node.materialize_grads and _has_none(buf):
        buf = _materialize(node, buf)
    outs = node._backward(*buf)
    if not isinstance(outs, tuple):
        outs = (outs,)
    if len(outs) != len(node._edges):
        outs = _check_count(node, outs)
    if node._hooks:
        for h in list(node._hooks.values()):
            r = h(outs, tuple(buf))
            if r is not None:
                outs = tuple(r)
    if anomaly:
        from .anomaly_mode import _check_outputs
        _check_outputs(node, outs)
    return outs


def _check_count(node, outs):
    """A backward may return extra trailing Nones; any other count mismatch is an error."""
    n_in = len(node._edges)
    if len(outs) < n_in or any(o is not None for o in outs[n_in:]):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {n_in}, got {len(outs)})")
    return outs[:n_in]


def _materialize(node, buf):
    metas = getattr(node, "_out_meta", None)
    out = list(buf)
    for i, g in enumerate(out):
        if g is None and metas is not None:
            shape, npdt = metas[i]
            out[i] = Tensor._make(np.zeros(shape, dtype=npdt))
    return out


def _conform(node, outs, g, shape, npdt):
    """Sum a gradient to its input's shape and cast it to its dtype; reject what can't be."""
    # The edge's index, for messages: the first output that is ``g`` with this metadata.
    i = next(k for k, (o, e) in enumerate(zip(outs, node._edges)) if o is g and e[2:] == (shape, npdt))
    if not isinstance(g, Tensor):
        raise TypeError(f"function {node.name()} returned a gradient different than None at position "
                        f"{i + 1}, but the corresponding forward input was not a Variable")
    if shape is None:
        return None
    if g._data.shape != shape:
        try:
            ok = np.broadcast_shapes(shape, g._data.shape) == g._data.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(g._data.shape)} but expected shape compatible with {list(shape)}")
        g = g.sum_to_size(shape)
    if g._data.dtype != npdt:
        g = g.to(_by_np[npdt])
    return g


def _accumulate(var, g, create_graph, handed):
    if g is None:
        return
    old = var._grad
    if old is None:
        if create_graph:
            var._grad = g
        else:
            arr = g._data
            if id(arr) in handed or arr.base is not None or not arr.flags.writeable:
                arr = arr.copy()
            handed.add(id(arr))
            var._grad = var._new_leaf(arr)
    elif create_graph or _state.grad_enabled or old._requires_grad:
        var._grad = old + g
    else:
        np.add(old._data, g._data, out=old._data, casting="unsafe")
    hooks = var._post_acc_hooks
    if hooks:
        for h in list(hooks.values()):
            h(var)
