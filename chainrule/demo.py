"""``python -m chainrule.demo``: the seed example, run on chainrule."""
from __future__ import annotations

import chainrule as torch


def seed_example():
    p = torch.tensor([10.], requires_grad=True)
    q = torch.tensor([8.], requires_grad=True)
    r = torch.tensor([5.], requires_grad=True)
    out = (r**3) * (q**2) - p**3
    out.backward()
    return out, p.grad, q.grad, r.grad


def main():
    out, gp, gq, gr = seed_example()
    print("out = (r**3) * (q**2) - p**3 =", out)
    print("d out / dp, dq, dr:", gp, gq, gr)


if __name__ == "__main__":
    main()
