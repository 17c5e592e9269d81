"""mlp: one SGD step (zero_grad, forward, cross-entropy, backward, step) of a 784-512-256-10 ReLU MLP,
batch 128, float32. The floor is the same step written by hand in NumPy."""
import numpy as np

from ._harness import data_rng, numpy_state, shared_model

NAME = "mlp"
TITLE = "mlp: SGD step, 784-512-256-10 ReLU, batch 128, f32"
TARGET = 1.05
UNIT = ("ms", 1e3)
BATCH, LR = 128, 0.01


def build(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def _data():
    rng = data_rng(NAME)
    return rng.standard_normal((BATCH, 784)).astype(np.float32), rng.integers(0, 10, BATCH)


def setup(lib):
    model = shared_model(lib, build, NAME)
    opt = lib.optim.SGD(model.parameters(), lr=LR)
    xa, ya = _data()
    x, y = lib.from_numpy(xa), lib.from_numpy(ya)
    F = lib.nn.functional

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def setup_numpy():
    s = numpy_state(build, NAME)
    W = [s["0.weight"], s["2.weight"], s["4.weight"]]
    b = [s["0.bias"], s["2.bias"], s["4.bias"]]
    x, y = _data()
    rows = np.arange(BATCH)
    lr = np.float32(LR)

    def step():
        h1 = x @ W[0].T + b[0]
        a1 = np.maximum(h1, 0)
        h2 = a1 @ W[1].T + b[1]
        a2 = np.maximum(h2, 0)
        z = a2 @ W[2].T + b[2]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = (np.log(s[:, 0]) - z[rows, y]).mean()
        dz = e / s
        dz[rows, y] -= 1
        dz /= BATCH
        grads = [None] * 6
        grads[4], grads[5] = dz.T @ a2, dz.sum(0)
        da2 = dz @ W[2]
        da2[h2 <= 0] = 0
        grads[2], grads[3] = da2.T @ a1, da2.sum(0)
        da1 = da2 @ W[1]
        da1[h1 <= 0] = 0
        grads[0], grads[1] = da1.T @ x, da1.sum(0)
        for i in range(3):
            W[i] -= lr * grads[2 * i]
            b[i] -= lr * grads[2 * i + 1]
        return loss

    return step
