"""A multilayer perceptron on the bundled handwritten digits: nn, optim and DataLoader.

The 8x8 images are flattened to 64 features and standardised with the training set's
per-pixel mean and standard deviation; a three-layer MLP with dropout is trained with SGD
plus Nesterov momentum and weight decay, and a cosine learning-rate schedule. Each epoch
prints the training loss and the test accuracy.

    python examples/mlp.py [--epochs N] [--quick]
"""
from __future__ import annotations

import os

# These models multiply small matrices, where one BLAS thread is fastest and a busy machine
# makes more threads much slower. This must run before NumPy is first imported; a value you
# set yourself wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import chainrule as torch  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.datasets import load_digits  # noqa: E402
from chainrule.utils.data import DataLoader, TensorDataset  # noqa: E402


class MLP(nn.Module):
    def __init__(self, n_in=64, hidden=128, n_classes=10, dropout=0.2):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x):
        return self.layers(x.flatten(1))


def load_split(seed=0, test_fraction=0.2):
    """Flattened, standardised train/test tensors from a seeded permutation."""
    images, labels = load_digits()
    x = images.flatten(1)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_test = int(len(x) * test_fraction)
    test_idx, train_idx = perm[:n_test], perm[n_test:]
    mean = x[train_idx].mean(dim=0)
    std = x[train_idx].std(dim=0).clamp(min=1e-2)   # some border pixels are (almost) always 0
    x = (x - mean) / std
    return (x[train_idx], labels[train_idx]), (x[test_idx], labels[test_idx])


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    return (model(x).argmax(dim=1) == y).float().mean().item()


def train(epochs=20, batch_size=64, lr=0.05, seed=0, quiet=False):
    torch.manual_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_split(seed)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True)
    model = MLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()

    history = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
        scheduler.step()
        test_acc = accuracy(model, x_test, y_test)
        history.append((total / count, test_acc))
        if not quiet:
            print(f"epoch {epoch:>2}/{epochs}  train loss {total / count:.4f}  test acc {100 * test_acc:5.2f}%  "
                  f"lr {scheduler.get_last_lr()[0]:.4f}  ({time.perf_counter() - start:.1f}s)")
    return {"history": history, "test_acc": history[-1][1], "train_acc": accuracy(model, x_train, y_train),
            "model": model}


def main(argv=None):
    parser = argparse.ArgumentParser(description="an MLP on the bundled digits")
    parser.add_argument("--epochs", type=int, default=None, help="default 20; 3 with --quick")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a short run, as the tests use")
    args = parser.parse_args(argv)
    epochs = args.epochs or (3 if args.quick else 20)
    result = train(epochs=epochs, seed=args.seed)
    print(f"final: train acc {100 * result['train_acc']:.2f}%  test acc {100 * result['test_acc']:.2f}%")
    return result


if __name__ == "__main__":
    main()
