"""``python -m chainrule.demo``: autograd on the seed example, then a real network end to end.

1. The seed example ``out = (r**3) * (q**2) - p**3``: its gradients, and a picture of its
   graph written to a file (SVG with Graphviz installed, DOT text otherwise).
2. A small convolutional network trained on the handwritten digits that ship with the
   package (1797 8x8 images, ``chainrule.datasets.load_digits``; nothing is downloaded),
   with a progress bar and train/test accuracy per epoch; the trained weights are saved
   with ``torch.save(model.state_dict(), path)`` and loaded into a fresh model to check
   that it gives the same outputs.

Everything uses the public API exactly as a PyTorch program would (``import chainrule as
torch``): with the imports switched to ``torch`` (and the digits loaded with NumPy), PyTorch
runs this file to the same losses and accuracies.

Options: ``--epochs N`` (default 8), ``--quick`` (2 epochs, for tests), ``--outdir DIR``
(where the graph and the checkpoint go; default: a new temporary directory), ``--seed S``,
``--no-train`` (only the seed example).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import chainrule as torch
from chainrule import nn
from chainrule.datasets import load_digits
from chainrule.utils.data import DataLoader, TensorDataset, random_split


# -- 1. the seed example ---------------------------------------------------------------------------------

def seed_example():
    p = torch.tensor([10.], requires_grad=True)
    q = torch.tensor([8.], requires_grad=True)
    r = torch.tensor([5.], requires_grad=True)
    out = (r**3) * (q**2) - p**3
    dot = torch.viz.make_dot(out, params={"p": p, "q": q, "r": r})
    out.backward()
    return out, (p.grad, q.grad, r.grad), dot


def run_seed_example(outdir):
    out, (gp, gq, gr), dot = seed_example()
    print("out = (r**3) * (q**2) - p**3 =", out)
    print("p.grad, q.grad, r.grad:", gp, gq, gr)
    path = torch.viz.draw_dot(dot, os.path.join(outdir, "chainrule_seed_graph.svg"))
    print("graph of out written to", path)
    return path


# -- 2. a convolutional network on the bundled digits ---------------------------------------------------

class ProgressBar:
    """A one-line text progress bar: ``label [#######.......] 12/45 loss 0.1234``.

    On a terminal the line is redrawn in place; otherwise (a pipe, a log file, a test's
    captured output) only the finished line is written, so logs stay readable.
    """

    def __init__(self, total, label="", width=28, file=None):
        self.total, self.label, self.width = total, label, width
        self.file = file if file is not None else sys.stdout
        self.live = bool(getattr(self.file, "isatty", lambda: False)())
        self.count = 0
        self._last_draw = 0.0

    def _line(self, info):
        done = self.width * self.count // max(self.total, 1)
        bar = "#" * done + "." * (self.width - done)
        return f"{self.label} [{bar}] {self.count:>{len(str(self.total))}}/{self.total} {info}"

    def update(self, n=1, info=""):
        self.count += n
        now = time.perf_counter()
        if self.live and (now - self._last_draw > 0.05 or self.count >= self.total):
            self._last_draw = now
            self.file.write("\r" + self._line(info))
            self.file.flush()

    def close(self, info=""):
        self.file.write(("\r" if self.live else "") + self._line(info) + "\n")
        self.file.flush()


def make_model():
    """Two conv blocks (conv 3x3 - batch norm - ReLU - 2x2 max pool), then an MLP head."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def digits_split(seed=0, test_fraction=0.2):
    """The digits as ``(N, 1, 8, 8)`` images, split once into train/test by a seeded generator."""
    images, labels = load_digits()
    dataset = TensorDataset(images.unsqueeze(1), labels)
    return random_split(dataset, [1 - test_fraction, test_fraction], generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def evaluate(model, loader):
    """``(accuracy, logits)`` of ``model`` in eval mode over ``loader``."""
    model.eval()
    outputs, correct, total = [], 0, 0
    for x, y in loader:
        logits = model(x)
        outputs.append(logits)
        correct += (logits.argmax(dim=1) == y).sum().item()
        total += y.shape[0]
    return correct / total, torch.cat(outputs)


def train_digits(epochs=8, seed=0, outdir=None, batch_size=32, lr=5e-3):
    """Train, report per epoch, save and reload the checkpoint. Returns a dict of results."""
    torch.manual_seed(seed)
    train_set, test_set = digits_split(seed)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = make_model()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"\ndigits: {len(train_set)} train / {len(test_set)} test images (8x8, 10 classes), "
          f"CNN with {n_params} parameters, Adam, {epochs} epochs of batch {batch_size}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(train_loader))
    loss_fn = nn.CrossEntropyLoss()

    start = time.perf_counter()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        bar = ProgressBar(len(train_loader), label=f"epoch {epoch:>{len(str(epochs))}}/{epochs}")
        loss_sum, correct, seen = 0.0, 0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item() * y.shape[0]
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += y.shape[0]
            bar.update(info=f"loss {loss_sum / seen:.4f}")
        train_loss, train_acc = loss_sum / seen, correct / seen
        test_acc, _ = evaluate(model, test_loader)
        history.append({"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc, "test_acc": test_acc})
        bar.close(f"loss {train_loss:.4f}  train acc {100 * train_acc:5.2f}%  test acc {100 * test_acc:5.2f}%  "
                  f"({time.perf_counter() - start:.1f}s)")
    train_time = time.perf_counter() - start
    test_acc, logits = evaluate(model, test_loader)
    print(f"final test accuracy {100 * test_acc:.2f}% after {train_time:.1f}s of training")

    # Save the weights (safetensors: no pickle), load them into a fresh model, compare.
    outdir = outdir or tempfile.mkdtemp(prefix="chainrule_demo_")
    path = os.path.join(outdir, "digits_cnn.safetensors")
    torch.save(model.state_dict(), path)
    fresh = make_model()
    fresh.load_state_dict(torch.load(path))
    reloaded_acc, reloaded_logits = evaluate(fresh, test_loader)
    verified = reloaded_acc == test_acc and torch.equal(reloaded_logits, logits)
    print(f"checkpoint saved to {path}")
    print(f"checkpoint reloaded into a fresh model: test accuracy {100 * reloaded_acc:.2f}%, "
          f"outputs {'identical' if torch.equal(reloaded_logits, logits) else 'DIFFERENT'}"
          f" -> {'verified' if verified else 'MISMATCH'}")
    return {"history": history, "test_acc": test_acc, "train_time": train_time, "checkpoint": path,
            "verified": verified}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m chainrule.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default 8; 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a short run (2 epochs), as the tests use")
    parser.add_argument("--seed", type=int, default=0, help="seed for the weights, shuffling and split")
    parser.add_argument("--outdir", default=None, help="where the graph and checkpoint go (default: a temp dir)")
    parser.add_argument("--no-train", action="store_true", help="only the seed example and its graph")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    outdir = args.outdir or tempfile.mkdtemp(prefix="chainrule_demo_")
    os.makedirs(outdir, exist_ok=True)

    results = {"graph": run_seed_example(outdir)}
    if not args.no_train:
        epochs = args.epochs if args.epochs is not None else (2 if args.quick else 8)
        results.update(train_digits(epochs=epochs, seed=args.seed, outdir=outdir))
        if not results["verified"]:
            raise SystemExit("checkpoint reload did not reproduce the model's outputs")
    return results


if __name__ == "__main__":
    main()
