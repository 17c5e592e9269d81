"""chainrule.set_num_threads / get_num_threads: NumPy's BLAS threads, with PyTorch's argument checks."""
import numpy as np
import pytest
import torch

import chainrule
from chainrule import _threads


@pytest.fixture
def restore_threads():
    before = chainrule.get_num_threads()
    yield
    chainrule.set_num_threads(before)


def test_get_num_threads_is_a_positive_int():
    n = chainrule.get_num_threads()
    assert type(n) is int and n >= 1


def test_set_num_threads_sets_the_blas_threads(restore_threads):
    chainrule.set_num_threads(np.int64(2))
    assert chainrule.get_num_threads() == 2
    if _threads._find_blas():  # asked from OpenBLAS itself
        assert _threads._find_blas()[0]() == 2
    chainrule.set_num_threads(1)
    assert chainrule.get_num_threads() == 1
    a = np.random.default_rng(0).standard_normal((64, 64))
    np.testing.assert_allclose(chainrule.from_numpy(a) @ chainrule.from_numpy(a), a @ a)


@pytest.mark.parametrize("arg", [0, -1, 2.0, "2", True, None, np.float64(2)])
def test_set_num_threads_errors_match_torch(arg, restore_threads):
    before = chainrule.get_num_threads()
    with pytest.raises(Exception) as expected:
        torch.set_num_threads(arg)
    with pytest.raises(type(expected.value)) as got:
        chainrule.set_num_threads(arg)
    assert str(got.value) == str(expected.value)
    assert chainrule.get_num_threads() == before


def test_background_runs_jobs_in_order_and_reraises(restore_threads):
    chainrule.set_num_threads(2)
    seen = []
    jobs = [_threads.background(seen.append, i) for i in range(50)]
    for job in jobs:
        job.wait()
    assert seen == list(range(50))
    bad = _threads.background(np.matmul, np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="matmul"):
        bad.wait()
    with pytest.raises(ValueError, match="matmul"):  # every wait reports it
        bad.wait()
    assert _threads.background(seen.append, "after").wait() is None and seen[-1] == "after"


def test_background_runs_inline_with_one_thread(restore_threads):
    import threading
    chainrule.set_num_threads(1)
    where = []
    job = _threads.background(lambda: where.append(threading.current_thread()))
    assert where == [threading.current_thread()]  # already done, on the caller
    job.wait()


def test_background_in_a_forked_child(restore_threads):
    import multiprocessing as mp
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork here")
    chainrule.set_num_threads(2)
    _threads.background(lambda: None).wait()  # the parent's thread exists before the fork
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply_async(_fork_child).get(timeout=60) == 6


def _fork_child():
    out = []
    _threads.background(out.append, 6).wait()
    return out[0]
