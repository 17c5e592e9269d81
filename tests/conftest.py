import os
import sys

# Two cores and parallel test workers: one BLAS thread per worker avoids oversubscription.
# (Must be set before NumPy is first imported to take effect.)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))

import chainrule  # noqa: E402


@pytest.fixture(autouse=True)
def _reset_state():
    """Each test starts with the default dtype and grad mode."""
    yield
    chainrule.set_default_dtype(chainrule.float32)
    chainrule.autograd.grad_mode._state.grad_enabled = True
    chainrule.autograd.grad_mode._state.inference = False


@pytest.fixture
def rng():
    return np.random.default_rng(0)
