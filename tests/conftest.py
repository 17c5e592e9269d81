import os
import sys

import numpy as np
import pytest

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
