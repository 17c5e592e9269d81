"""Fit a cubic to sin(x) on [-pi, pi] with nothing but tensors, autograd and a manual update.

No nn, no optim: four coefficients are tensors with ``requires_grad=True``; every step
computes the mean squared error, calls ``backward()``, and moves each coefficient against
its gradient inside ``torch.no_grad()`` (so the update itself is not recorded), then
clears the gradients. The polynomial is written in ``t = x / pi`` so that plain gradient
descent converges quickly; the result is reported in ``x`` and compared with the exact
least-squares cubic from the normal equations.

    python examples/polynomial_fit.py [--steps N] [--lr LR] [--quick]
"""
from __future__ import annotations

import argparse
import math
import time

import chainrule as torch


def fit(steps=2000, lr=0.5, seed=0, log_every=None, quiet=False):
    torch.manual_seed(seed)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    t = x / math.pi
    # y ~ a + b t + c t^2 + d t^3, coefficients start at random.
    a, b, c, d = (torch.randn((), requires_grad=True) for _ in range(4))
    log_every = log_every or max(steps // 10, 1)

    losses = []
    for step in range(1, steps + 1):
        y_pred = a + b * t + c * t**2 + d * t**3
        loss = ((y_pred - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for coef in (a, b, c, d):
                coef -= lr * coef.grad
                coef.grad = None
        losses.append(loss.item())
        if not quiet and (step % log_every == 0 or step == 1):
            print(f"step {step:>5}/{steps}  mse {loss.item():.6f}")

    # The exact least-squares cubic (in t), for reference: solve the normal equations.
    V = torch.stack([torch.ones_like(t), t, t**2, t**3], dim=1)
    best = torch.linalg.solve(V.T @ V, V.T @ y)
    best_mse = ((V @ best - y) ** 2).mean().item()
    coefs_t = [a.item(), b.item(), c.item(), d.item()]
    coefs_x = [coef / math.pi**k for k, coef in enumerate(coefs_t)]
    return {"losses": losses, "coefs_x": coefs_x, "best_mse": best_mse, "final_mse": losses[-1]}


def main(argv=None):
    parser = argparse.ArgumentParser(description="fit a cubic to sin(x) with raw autograd")
    parser.add_argument("--steps", type=int, default=None, help="gradient steps (default 2000; 300 with --quick)")
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a short run, as the tests use")
    args = parser.parse_args(argv)
    steps = args.steps or (300 if args.quick else 2000)
    start = time.perf_counter()
    result = fit(steps=steps, lr=args.lr, seed=args.seed)
    a, *rest = result["coefs_x"]
    terms = "".join(f" {'-' if coef < 0 else '+'} {abs(coef):.5f} {power}" for coef, power in zip(rest, ["x", "x^2", "x^3"]))
    print(f"result: y = {a:.5f}{terms}")
    print(f"final mse {result['final_mse']:.6f} (least-squares optimum {result['best_mse']:.6f}), "
          f"{time.perf_counter() - start:.1f}s")
    return result


if __name__ == "__main__":
    main()
