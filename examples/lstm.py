"""An LSTM that learns to continue noisy sine waves, then forecasts one on its own.

Each sequence is ``sin(w t + phase) + noise`` with a random frequency and phase. The model
(``nn.LSTM`` followed by ``nn.Linear``) reads a sequence and predicts the next value at
every step; it is trained with Adam and gradient clipping. The report compares the test
error with two baselines (repeating the last value, and the noise floor), then lets the
model run free: it warms up on the first part of a test wave and forecasts the rest by
feeding its own predictions back in, carrying the LSTM state ``(h, c)`` between calls.

    python examples/lstm.py [--epochs N] [--quick]
"""
from __future__ import annotations

import os

# These models multiply small matrices, where one BLAS thread is fastest and a busy machine
# makes more threads much slower. This must run before NumPy is first imported; a value you
# set yourself wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import chainrule as torch  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.utils.data import DataLoader, TensorDataset  # noqa: E402

NOISE = 0.05


def make_waves(n, length=60, generator=None):
    """``(noisy, clean)``, each ``(n, length, 1)``: sine waves of random frequency and phase."""
    t = torch.arange(length, dtype=torch.float32)
    freq = 0.15 + 0.2 * torch.rand(n, 1, generator=generator)
    phase = 2 * math.pi * torch.rand(n, 1, generator=generator)
    clean = torch.sin(freq * t + phase)
    noisy = clean + NOISE * torch.randn(n, length, generator=generator)
    return noisy.unsqueeze(-1), clean.unsqueeze(-1)


class Forecaster(nn.Module):
    def __init__(self, hidden=32, num_layers=1):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)      # out: (batch, time, hidden)
        return self.head(out), state          # a prediction of the next value at every step


@torch.no_grad()
def forecast(model, warmup, steps):
    """Read ``warmup`` (batch, T, 1), then predict ``steps`` more values from its own outputs."""
    model.eval()
    pred, state = model(warmup)
    value = pred[:, -1:]
    outputs = [value]
    for _ in range(steps - 1):
        value, state = model(value, state)
        outputs.append(value)
    return torch.cat(outputs, dim=1)


def train(epochs=30, batch_size=64, lr=1e-2, seed=0, quiet=False):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x_train, _ = make_waves(512, generator=gen)
    x_test, clean_test = make_waves(128, generator=gen)
    loader = DataLoader(TensorDataset(x_train[:, :-1], x_train[:, 1:]), batch_size=batch_size, shuffle=True)

    model = Forecaster()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(epochs // 3, 1), gamma=0.3)
    loss_fn = nn.MSELoss()

    @torch.no_grad()
    def test_mse():
        model.eval()
        pred, _ = model(x_test[:, :-1])
        return loss_fn(pred[:, 10:], x_test[:, 11:]).item()   # skip the first steps: too little context

    history = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            pred, _ = model(xb)
            loss = loss_fn(pred, yb)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            total += loss.item() * len(xb)
            count += len(xb)
        scheduler.step()
        history.append((total / count, test_mse()))
        if not quiet:
            print(f"epoch {epoch:>2}/{epochs}  train mse {total / count:.5f}  test mse {history[-1][1]:.5f}  "
                  f"({time.perf_counter() - start:.1f}s)")

    baseline = ((x_test[:, 11:] - x_test[:, 10:-1]) ** 2).mean().item()   # "tomorrow = today"
    warm = 40
    free = forecast(model, x_test[:, :warm], x_test.shape[1] - warm)
    free_mse = ((free - clean_test[:, warm:]) ** 2).mean().item()
    zero_mse = (clean_test[:, warm:] ** 2).mean().item()   # forecasting 0 all along
    return {"history": history, "test_mse": history[-1][1], "baseline_mse": baseline, "forecast_mse": free_mse,
            "forecast_zero_mse": zero_mse,
            "forecast": free[0, :, 0], "truth": clean_test[0, warm:, 0], "model": model}


def main(argv=None):
    parser = argparse.ArgumentParser(description="an LSTM forecasting noisy sine waves")
    parser.add_argument("--epochs", type=int, default=None, help="default 30; 6 with --quick")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a short run, as the tests use")
    args = parser.parse_args(argv)
    epochs = args.epochs or (6 if args.quick else 30)
    r = train(epochs=epochs, seed=args.seed)
    print(f"test mse {r['test_mse']:.5f}  (repeat-last-value baseline {r['baseline_mse']:.5f}, "
          f"noise floor {NOISE**2:.5f})")
    print(f"free-running forecast of 20 steps: mse {r['forecast_mse']:.5f} against the clean wave "
          f"(forecasting 0: {r['forecast_zero_mse']:.5f})")
    print("  truth    " + " ".join(f"{v:+.2f}" for v in r["truth"][:10].tolist()))
    print("  forecast " + " ".join(f"{v:+.2f}" for v in r["forecast"][:10].tolist()))
    return r


if __name__ == "__main__":
    main()
