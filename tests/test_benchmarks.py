"""The benchmark suite runs (quick mode, once) and its chainrule, torch and NumPy variants agree.

Correctness only: no timing is asserted.
"""
import io
import os
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import chain, run  # noqa: E402

IN_PROCESS = ["chain", "mlp", "cnn", "transformer", "lstm"]


def _rows(result, name):
    return [r for r in result["rows"] if r["workload"].split(" ")[0] == name]


def test_quick_suite():
    """``python -m benchmarks.run --quick``, run once in this process (one test, so that pytest-xdist
    cannot run the suite once per worker): the table, equal losses, deep and import rows."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        result = run.main(["--quick"])
    out = buf.getvalue()

    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| workload |"))
    body = lines[header + 2:]
    for name in run.ALL:
        assert any(line.startswith(f"| {name} ") for line in body), name
    assert "OpenBLAS kernel" in out and "torch:" in out

    for name in IN_PROCESS:
        (row,) = _rows(result, name)
        losses = row["losses"]
        ref = losses["torch"]
        assert len(ref) == 2 and all(np.isfinite(ref)), name
        assert "chainrule" in losses, name
        for lib in ("chainrule", "numpy"):
            if lib not in losses:
                continue
            # the first step's loss: same initial weights and data; the second: after one optimiser step
            np.testing.assert_allclose(losses[lib][0], ref[0], rtol=1e-4, err_msg=f"{name} {lib}")
            np.testing.assert_allclose(losses[lib][1], ref[1], rtol=1e-3, err_msg=f"{name} {lib}")
        assert row["values"]["chainrule"] > 0 and row["values"]["torch"] > 0
        assert all(row["loss_ok"].values()), name

    time_row, mem_row = _rows(result, "deep")
    assert time_row["losses"] == {"chainrule": [1.0], "torch": [1.0], "numpy": [1.0]}
    assert all(v > 0 for v in mem_row["values"].values())
    time_row, mem_row = _rows(result, "import")
    assert set(time_row["values"]) == {"chainrule", "torch", "numpy"}
    assert all(v > 0 for v in time_row["values"].values())
    assert all(v > 5 for v in mem_row["values"].values())  # a real interpreter's RSS, in MB


def test_chain_gradients_agree():
    import torch

    import chainrule
    steps = {"chainrule": chain.setup(chainrule), "torch": chain.setup(torch), "numpy": chain.setup_numpy()}
    grads = {}
    for lib, step in steps.items():
        step()
        g = step.grad()
        grads[lib] = np.asarray(g if isinstance(g, np.ndarray) else g.detach().numpy())
    np.testing.assert_allclose(grads["chainrule"], grads["torch"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(grads["numpy"], grads["torch"], rtol=1e-12, atol=0)


def test_command_line():
    out = subprocess.run([sys.executable, "benchmarks/run.py", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "--quick" in out.stdout and "--only" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "benchmarks.run", "--only", "nope"], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
