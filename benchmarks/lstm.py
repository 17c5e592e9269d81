"""lstm: one SGD step of a 1-layer LSTM (input 32, hidden 128, batch_first), batch 32, sequence 50,
float32; the loss is the mean squared error of the last hidden state against a fixed target.
The floor is the same step in NumPy, the LSTM cell and its backward through time written by hand."""
import numpy as np

from ._harness import data_rng, nn_class, numpy_state, shared_model

NAME = "lstm"
TITLE = "lstm: SGD step, 1-layer LSTM 32->128, 32x50, f32"
TARGET = 1.3
UNIT = ("ms", 1e3)
BATCH, SEQ, INPUT, HIDDEN, LR = 32, 50, 32, 128, 0.01


def build(lib):
    return nn_class(lib, "LSTM", "rnn")(INPUT, HIDDEN, batch_first=True)


def _data():
    rng = data_rng(NAME)
    return (rng.standard_normal((BATCH, SEQ, INPUT)).astype(np.float32),
            rng.standard_normal((BATCH, HIDDEN)).astype(np.float32))


def setup(lib):
    model = shared_model(lib, build, NAME)
    opt = lib.optim.SGD(model.parameters(), lr=LR)
    x, target = (lib.from_numpy(a) for a in _data())
    F = lib.nn.functional

    def step():
        opt.zero_grad()
        _, (h, _) = model(x)
        loss = F.mse_loss(h[-1], target)
        loss.backward()
        opt.step()
        return loss

    return step


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def setup_numpy():
    s = numpy_state(build, NAME)
    w_ih, w_hh, b_ih, b_hh = s["weight_ih_l0"], s["weight_hh_l0"], s["bias_ih_l0"], s["bias_hh_l0"]
    x, target = _data()
    H = HIDDEN
    lr = np.float32(LR)
    xf = x.reshape(-1, INPUT)

    def step():
        gi = (xf @ w_ih.T + (b_ih + b_hh)).reshape(BATCH, SEQ, 4 * H)
        h = np.zeros((BATCH, H), np.float32)
        c = np.zeros((BATCH, H), np.float32)
        saved = []
        for t in range(SEQ):
            g = gi[:, t] + h @ w_hh.T
            i, f, o = _sigmoid(g[:, :H]), _sigmoid(g[:, H:2 * H]), _sigmoid(g[:, 3 * H:])
            gg = np.tanh(g[:, 2 * H:3 * H])
            c_prev, h_prev = c, h
            c = f * c + i * gg
            tc = np.tanh(c)
            h = o * tc
            saved.append((i, f, gg, o, c_prev, tc, h_prev))
        diff = h - target
        loss = (diff * diff).mean()
        dh = diff * np.float32(2.0 / diff.size)
        dc = np.zeros_like(c)
        dgates = np.empty((BATCH, SEQ, 4 * H), np.float32)
        dw_hh = np.zeros_like(w_hh)
        for t in reversed(range(SEQ)):
            i, f, gg, o, c_prev, tc, h_prev = saved[t]
            dc = dc + dh * o * (1 - tc * tc)
            d = dgates[:, t]
            d[:, :H] = dc * gg * i * (1 - i)
            d[:, H:2 * H] = dc * c_prev * f * (1 - f)
            d[:, 2 * H:3 * H] = dc * i * (1 - gg * gg)
            d[:, 3 * H:] = dh * tc * o * (1 - o)
            dc = dc * f
            dw_hh += d.T @ h_prev
            dh = d @ w_hh
        dg = dgates.reshape(-1, 4 * H)
        dw_ih = dg.T @ xf
        db = dg.sum(0)
        for p, g in ((w_ih, dw_ih), (w_hh, dw_hh), (b_ih, db), (b_hh, db)):
            p -= lr * g
        return loss

    return step
