"""See the graph autograd recorded: Graphviz DOT text, and SVG/PNG when ``dot`` is installed.

>>> dot = chainrule.viz.make_dot(loss, params=dict(model.named_parameters()))
>>> chainrule.viz.render(dot, "graph.svg")          # needs the Graphviz ``dot`` program
"""
from __future__ import annotations

import shutil
import subprocess

from ._tensor import Tensor
from .autograd.function import AccumulateGrad

__all__ = ["make_dot", "render", "draw", "draw_dot"]


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _values(t, limit=4):
    flat = t.detach().reshape(-1).tolist()
    text = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in flat[:limit])
    return "[" + text + (", ..." if len(flat) > limit else "") + "]"


def make_dot(var, params=None, show_values=False, show_grads=False, max_nodes=None) -> str:
    """DOT text of the graph behind ``var`` (a Tensor or a tuple of them).

    One box per Function, named as in ``grad_fn``; leaves (blue) with their shapes and, when
    ``params`` maps names to tensors, their names; outputs in green. ``show_values`` and
    ``show_grads`` add (truncated) data and ``.grad``. The walk uses an explicit stack, so
    graphs of any depth work.
    """
    roots = var if isinstance(var, (tuple, list)) else (var,)
    names = {id(t): n for n, t in (params or {}).items()}
    lines = ["digraph chainrule {",
             '  graph [rankdir=BT, fontname="Helvetica", fontsize=12];',
             '  node [shape=box, style="rounded,filled", fillcolor="#f2f2f2", fontname="Helvetica", fontsize=11];',
             '  edge [color="#555555", arrowsize=0.7];']
    seen = set()
    stack = []
    for k, t in enumerate(roots):
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dot expects Tensors, got {type(t).__name__}")
        oid = f"out{k}"
        label = f"output {_shape(t)}"
        if show_values:
            label += "\n" + _values(t)
        lines.append(f'  {oid} [label="{_esc(label)}", fillcolor="#c8e6c9"];')
        if t.grad_fn is not None:
            lines.append(f"  n{id(t.grad_fn)} -> {oid};")
            stack.append(t.grad_fn)
        elif t.requires_grad:
            stack.append(t._accumulator())
            lines.append(f"  n{id(stack[-1])} -> {oid};")
    count = 0
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        count += 1
        if max_nodes is not None and count > max_nodes:
            lines.append('  truncated [label="...", shape=plaintext, fillcolor=white];')
            break
        if isinstance(node, AccumulateGrad):
            v = node.variable
            label = names.get(id(v), "")
            label = (label + "\n" if label else "") + _shape(v)
            if show_values:
                label += "\n" + _values(v)
            if show_grads and v.grad is not None:
                label += "\ngrad " + _values(v.grad)
            lines.append(f'  n{id(node)} [label="{_esc(label)}", fillcolor="#bbdefb"];')
            continue
        lines.append(f'  n{id(node)} [label="{_esc(node.name())}"];')
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            lines.append(f"  n{id(nxt)} -> n{id(node)};")
            if id(nxt) not in seen:
                stack.append(nxt)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, path: str) -> str:
    """Write ``dot`` to ``path``: ``.dot``/``.gv`` as text, ``.svg``/``.png``/``.pdf`` via Graphviz."""
    fmt = path.rsplit(".", 1)[-1].lower() if "." in path else "dot"
    if fmt in ("dot", "gv"):
        with open(path, "w") as f:
            f.write(dot)
        return path
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(f"rendering .{fmt} needs the Graphviz 'dot' program (apt-get install graphviz); "
                           "write a .dot file instead")
    subprocess.run([exe, f"-T{fmt}", "-o", path], input=dot.encode(), check=True)
    return path


def draw(var, path, **kwargs) -> str:
    """``render(make_dot(var, **kwargs), path)``, falling back to ``.dot`` text without Graphviz."""
    return draw_dot(make_dot(var, **kwargs), path)


def draw_dot(dot: str, path: str) -> str:
    """Render DOT text to ``path``; without Graphviz, write ``.dot`` text next to it instead."""
    if shutil.which("dot") is None and not path.endswith((".dot", ".gv")):
        path = path.rsplit(".", 1)[0] + ".dot"
    return render(dot, path)
