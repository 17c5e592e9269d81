"""``python -m chainrule.demo``: the seed example, its gradients and a picture of its graph."""
from __future__ import annotations

import os
import tempfile

import chainrule as torch


def seed_example():
    p = torch.tensor([10.], requires_grad=True)
    q = torch.tensor([8.], requires_grad=True)
    r = torch.tensor([5.], requires_grad=True)
    out = (r**3) * (q**2) - p**3
    dot = torch.viz.make_dot(out, params={"p": p, "q": q, "r": r})
    out.backward()
    return out, (p.grad, q.grad, r.grad), dot


def main(outdir=None):
    out, (gp, gq, gr), dot = seed_example()
    print("out = (r**3) * (q**2) - p**3 =", out)
    print("p.grad, q.grad, r.grad:", gp, gq, gr)
    outdir = outdir or tempfile.gettempdir()
    path = torch.viz.draw_dot(dot, os.path.join(outdir, "chainrule_seed_graph.svg"))
    print("graph of out written to", path)


if __name__ == "__main__":
    main()
