"""The examples' quick modes run, print their progress, and learn something real."""
import importlib.util
import math
import os
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def load_example(name, *, under_torch=False):
    """Import ``examples/<name>.py``; with ``under_torch``, the same source with ``import torch``."""
    path = os.path.join(EXAMPLES, f"{name}.py")
    if not under_torch:
        spec = importlib.util.spec_from_file_location(f"chainrule_example_{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    with open(path) as f:
        source = f.read()
    assert "import chainrule as torch" in source
    module = type(sys)(f"torch_example_{name}")
    module.__file__ = path
    exec(compile(source.replace("import chainrule as torch", "import torch"), path, "exec"), module.__dict__)
    return module


def test_polynomial_fit(capsys):
    result = load_example("polynomial_fit").main(["--quick"])
    out = capsys.readouterr().out
    assert "step   300/300" in out and "result: y = " in out
    losses = result["losses"]
    assert losses[-1] < losses[0] / 100
    # plain gradient descent reaches the exact least-squares cubic (to within 1%)
    assert result["final_mse"] < 1.01 * result["best_mse"]
    # the odd Taylor-like shape: sin is odd, so even coefficients vanish and x has a positive slope
    a, b, c, d = result["coefs_x"]
    assert abs(a) < 1e-3 and abs(c) < 1e-3 and 0.8 < b < 0.9 and -0.1 < d < -0.08


def test_polynomial_fit_matches_torch():
    """The same source run by PyTorch follows the same loss curve (same seed, same random start)."""
    ours = load_example("polynomial_fit").fit(steps=50, quiet=True)
    theirs = load_example("polynomial_fit", under_torch=True).fit(steps=50, quiet=True)
    assert ours["losses"] == pytest.approx(theirs["losses"], rel=1e-4, abs=1e-6)
    assert ours["coefs_x"] == pytest.approx(theirs["coefs_x"], rel=1e-4, abs=1e-6)
    assert ours["best_mse"] == pytest.approx(theirs["best_mse"], rel=1e-3)


def test_mlp(capsys):
    result = load_example("mlp").main(["--quick"])
    out = capsys.readouterr().out
    assert "epoch  3/3" in out and "final: train acc" in out
    (first_loss, _), (last_loss, _) = result["history"][0], result["history"][-1]
    assert last_loss < first_loss / 3
    assert result["test_acc"] > 0.85          # chance is 0.10


def test_lstm(capsys):
    result = load_example("lstm").main(["--quick"])
    out = capsys.readouterr().out
    assert "epoch  6/6" in out and "free-running forecast" in out
    first, last = result["history"][0][0], result["history"][-1][0]
    assert last < first / 5
    assert result["test_mse"] < result["baseline_mse"] / 2      # beats "next value = this value"
    assert result["forecast_mse"] < result["forecast_zero_mse"] / 2
    assert result["forecast"].shape == (20,)


def test_char_transformer(capsys):
    module = load_example("char_transformer")
    result = module.main(["--quick"])
    out = capsys.readouterr().out
    assert "step   60/60" in out and "sample:" in out
    vocab = len(result["chars"])
    assert result["train_loss"] < result["first_loss"] - 0.7
    assert result["val_loss"] < math.log(vocab) - 0.8             # far better than uniform guessing
    text = result["sample"]
    assert text.startswith("Shall I compare thee") and len(text) == len("Shall I compare thee") + 80
    assert set(text) <= set(result["chars"])
    model = result["model"]
    assert model.head.weight is model.tok.weight                  # the output layer is tied
    # causal: changing a later character leaves the earlier positions' logits unchanged
    import chainrule as torch
    idx = torch.randint(0, vocab, (1, 10))
    changed = idx.clone()
    changed[0, 7] = (idx[0, 7] + 1) % vocab
    with torch.no_grad():
        model.eval()
        a, b = model(idx), model(changed)
    assert torch.allclose(a[:, :7], b[:, :7], atol=1e-5)
    assert not torch.allclose(a[:, 7:], b[:, 7:], atol=1e-5)


def test_sonnets_text_is_bundled():
    module = load_example("char_transformer")
    with open(module.DATA) as f:
        assert "public domain" in f.readline()
    text = module.load_text()
    assert len(text) > 3000 and "#" not in text
    assert "Shall I compare thee to a summer's day?" in text
