"""python -m chainrule.demo: the seed example's gradients and graph, then the digits CNN."""
import io
import os
import re
import subprocess
import sys

import numpy as np
import torch

import chainrule
from chainrule import demo
from chainrule.datasets import load_digits


def test_load_digits():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == chainrule.float32
    assert labels.shape == (1797,) and labels.dtype == chainrule.int64
    assert 0.0 == images.min().item() and images.max().item() == 1.0
    raw, raw_labels = load_digits(scale=False)
    assert raw.dtype == chainrule.uint8 and raw.max().item() == 16
    np.testing.assert_array_equal(raw.numpy().astype(np.float32) / 16, images.numpy())
    assert sorted(set(labels.tolist())) == list(range(10))
    assert all(170 <= n <= 190 for n in np.bincount(labels.numpy()))   # about 180 of each digit


def test_demo_quick(tmp_path, capsys):
    results = demo.main(["--quick", "--outdir", str(tmp_path)])
    out = capsys.readouterr().out

    # the seed example: gradients as PyTorch computes and prints them
    p, q, r = (torch.tensor([v], requires_grad=True) for v in (10., 8., 5.))
    expected = (r**3) * (q**2) - p**3
    expected.backward()
    assert f"p.grad, q.grad, r.grad: {p.grad} {q.grad} {r.grad}\n" in out
    assert f"= {str(expected.detach())[:-1]}, grad_fn=<SubBackward0>)" in out
    graph = results["graph"]
    assert os.path.isfile(graph) and f"graph of out written to {graph}" in out
    with open(graph) as f:
        assert "SubBackward0" in f.read()

    # training: per-epoch lines with train and test accuracy, then a verified checkpoint
    epochs = re.findall(r"epoch (\d)/2 \[#+\] 45/45 loss [\d.]+  train acc +([\d.]+)%  test acc +([\d.]+)%", out)
    assert [e[0] for e in epochs] == ["1", "2"]
    assert results["test_acc"] > 0.9                      # 2 epochs; chance is 0.10
    assert results["history"][1]["train_loss"] < results["history"][0]["train_loss"] / 2
    assert results["verified"] and "outputs identical -> verified" in out
    ckpt = results["checkpoint"]
    assert os.path.dirname(ckpt) == str(tmp_path) and f"checkpoint saved to {ckpt}" in out

    # the checkpoint is a plain safetensors file with PyTorch's state_dict names and shapes
    from safetensors.numpy import load_file
    saved = load_file(ckpt)
    torch.manual_seed(0)
    tnn = torch.nn
    reference = tnn.Sequential(tnn.Conv2d(1, 16, 3, padding=1), tnn.BatchNorm2d(16), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Conv2d(16, 32, 3, padding=1), tnn.BatchNorm2d(32), tnn.ReLU(), tnn.MaxPool2d(2),
                               tnn.Flatten(), tnn.Linear(128, 64), tnn.ReLU(), tnn.Linear(64, 10))
    ref_state = reference.state_dict()
    assert list(saved) == list(ref_state) or sorted(saved) == sorted(ref_state)
    for name, value in ref_state.items():
        assert saved[name].shape == tuple(value.shape), name
        assert str(saved[name].dtype) == str(value.dtype).removeprefix("torch."), name


def test_demo_no_train(tmp_path, capsys):
    results = demo.main(["--no-train", "--outdir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "digits" not in out and "checkpoint" not in results
    assert os.path.isfile(results["graph"])


def test_demo_reaches_97_percent(tmp_path):
    """The full default run (8 epochs): the issue asks for at least 97% test accuracy."""
    results = demo.train_digits(outdir=str(tmp_path))
    assert len(results["history"]) == 8
    assert results["test_acc"] >= 0.97 and results["verified"]


def test_python_m_demo(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "chainrule.demo", "--no-train", "--outdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "p.grad, q.grad, r.grad: tensor([-300.]) tensor([2000.]) tensor([4800.])" in proc.stdout
    assert "graph of out written to " + str(tmp_path) in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "chainrule.demo", "--epochs", "0"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "--epochs must be at least 1" in bad.stderr


def test_progress_bar():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    log = io.StringIO()
    bar = demo.ProgressBar(4, label="epoch 1/1", width=8, file=log)
    for i in range(4):
        bar.update(info=f"loss {i}")
    bar.close("done")
    assert log.getvalue() == "epoch 1/1 [########] 4/4 done\n"        # no redraws in a log

    term = Terminal()
    bar = demo.ProgressBar(4, label="e", width=8, file=term)
    bar.update(info="a")
    bar.update(info="b")
    bar.close("done")
    text = term.getvalue()
    assert text.startswith("\re [##......] 1/4 a") and text.endswith("\re [####....] 2/4 done\n")
