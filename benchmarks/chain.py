"""chain: per-op overhead.

``x`` is a 16-element float64 tensor requiring grad; 500 times ``x = (x * 1.01 + 0.1).tanh()``, then
``x.sum().backward()``: 1,501 ops forward, reported as microseconds per op for forward + backward.
The floor is the same computation in NumPy with a hand-written backward.
"""
import numpy as np

from ._harness import data_rng

NAME = "chain"
TITLE = "chain: 500 x (x*1.01+0.1).tanh(), 16 float64, fwd+bwd"
TARGET = 1.0
STEPS = 500
OPS = 3 * STEPS + 1
UNIT = ("us/op", 1e6 / OPS)  # (label, factor from seconds per step)


def _x0():
    return data_rng(NAME).standard_normal(16)


def setup(lib):
    x0 = lib.tensor(_x0(), dtype=lib.float64, requires_grad=True)

    def step():
        x0.grad = None
        x = x0
        for _ in range(STEPS):
            x = (x * 1.01 + 0.1).tanh()
        loss = x.sum()
        loss.backward()
        return loss

    step.grad = lambda: x0.grad
    return step


def setup_numpy():
    x0 = _x0()
    state = {}

    def step():
        ys = []
        x = x0
        for _ in range(STEPS):
            x = np.tanh(x * 1.01 + 0.1)
            ys.append(x)
        loss = x.sum()
        g = np.ones_like(x)
        for y in reversed(ys):
            g = g * (1.0 - y * y) * 1.01
        state["grad"] = g
        return loss

    step.grad = lambda: state["grad"]
    return step
