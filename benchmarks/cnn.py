"""cnn: one SGD step of conv(1->8, 3x3, pad 1) -> ReLU -> maxpool 2 -> conv(8->16, 3x3, pad 1) -> ReLU ->
maxpool 2 -> flatten -> linear(784->10), cross-entropy, batch 32 of 1x28x28, float32.
The floor is the same step in NumPy (convolution as one matrix product over sliding windows)."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._harness import data_rng, numpy_state, shared_model

NAME = "cnn"
TITLE = "cnn: SGD step, 2x(conv3x3,ReLU,pool2)+linear, 32x1x28x28, f32"
TARGET = 1.5
UNIT = ("ms", 1e3)
BATCH, LR = 32, 0.01


def build(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(784, 10))


def _data():
    rng = data_rng(NAME)
    return rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, BATCH)


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


# -- the NumPy floor -----------------------------------------------------------------------------------

def _conv_fwd(x, w, b):
    """3x3, stride 1, padding 1: returns the output (N, O, H, W) and the window matrix for backward."""
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = sliding_window_view(xp, (3, 3), axis=(2, 3)).transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, c * 9)
    out = cols @ w.reshape(w.shape[0], -1).T + b
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def _conv_bwd(dout, cols, w, x_shape, need_dx):
    n, c, h, wd = x_shape
    o = w.shape[0]
    d = dout.transpose(0, 2, 3, 1).reshape(-1, o)
    dw = (d.T @ cols).reshape(w.shape)
    db = d.sum(0)
    if not need_dx:
        return None, dw, db
    dcols = (d @ w.reshape(o, -1)).reshape(n, h, wd, c, 3, 3)
    dxp = np.zeros((n, c, h + 2, wd + 2), dtype=dout.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + h, j:j + wd] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, 1:-1, 1:-1], dw, db


def _pool_fwd(x):
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = win.max(axis=(3, 5))
    return out, win == out[:, :, :, None, :, None]


def _pool_bwd(dout, mask):
    # ties only occur among zeros after ReLU, whose gradient the ReLU drops anyway
    n, c, h, _, w, _ = mask.shape
    return (mask * dout[:, :, :, None, :, None]).reshape(n, c, 2 * h, 2 * w)


def setup_numpy():
    s = numpy_state(build, NAME)
    p = [s["0.weight"], s["0.bias"], s["3.weight"], s["3.bias"], s["7.weight"], s["7.bias"]]
    x, y = _data()
    rows = np.arange(BATCH)
    lr = np.float32(LR)

    def step():
        h1, cols1 = _conv_fwd(x, p[0], p[1])
        r1 = np.maximum(h1, 0)
        q1, m1 = _pool_fwd(r1)
        h2, cols2 = _conv_fwd(q1, p[2], p[3])
        r2 = np.maximum(h2, 0)
        q2, m2 = _pool_fwd(r2)
        f = q2.reshape(BATCH, -1)
        z = f @ p[4].T + p[5]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        se = e.sum(axis=1, keepdims=True)
        loss = (np.log(se[:, 0]) - z[rows, y]).mean()
        dz = e / se
        dz[rows, y] -= 1
        dz /= BATCH
        g = [None] * 6
        g[4], g[5] = dz.T @ f, dz.sum(0)
        dq2 = (dz @ p[4]).reshape(q2.shape)
        dh2 = _pool_bwd(dq2, m2) * (h2 > 0)
        dq1, g[2], g[3] = _conv_bwd(dh2, cols2, p[2], q1.shape, True)
        dh1 = _pool_bwd(dq1, m1) * (h1 > 0)
        _, g[0], g[1] = _conv_bwd(dh1, cols1, p[0], x.shape, False)
        for i in range(6):
            p[i] -= lr * g[i]
        return loss

    return step
