"""Normalisation layers against torch: init, reprs, running statistics, train/eval, errors."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule
from layercheck import LIBS, build, check_init, check_layer, load_torch_state, same_outcome

R = np.random.default_rng(1)


def randn(*shape):
    return R.standard_normal(shape)


INIT = [
    lambda lib: lib.nn.BatchNorm1d(3),
    lambda lib: lib.nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False),
    lambda lib: lib.nn.BatchNorm2d(3, track_running_stats=False),
    lambda lib: lib.nn.BatchNorm3d(2, dtype=lib.float64),
    lambda lib: lib.nn.BatchNorm1d(3, bias=False),
    lambda lib: lib.nn.BatchNorm2d(3, affine=False, bias=False),
    lambda lib: lib.nn.InstanceNorm2d(3, affine=True, bias=False),
    lambda lib: lib.nn.GroupNorm(1, 3, bias=False),
    lambda lib: lib.nn.InstanceNorm1d(3),
    lambda lib: lib.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
    lambda lib: lib.nn.InstanceNorm3d(2, momentum=0.2),
    lambda lib: lib.nn.LayerNorm(5),
    lambda lib: lib.nn.LayerNorm((2, 3), eps=1e-6, elementwise_affine=False),
    lambda lib: lib.nn.LayerNorm([4], bias=False),
    lambda lib: lib.nn.GroupNorm(2, 4),
    lambda lib: lib.nn.GroupNorm(1, 3, affine=False),
    lambda lib: lib.nn.RMSNorm(4),
    lambda lib: lib.nn.RMSNorm([2, 3], eps=1e-5, elementwise_affine=False),
    lambda lib: lib.nn.LocalResponseNorm(2),
]


@pytest.mark.parametrize("ctor", INIT)
def test_init_and_repr(ctor):
    check_init(ctor)


def _perturbed(ctor):
    """A constructor whose affine parameters are moved off their (ones, zeros) start."""
    def make(lib):
        m = ctor(lib)
        with lib.no_grad():
            for p in m.parameters():
                p.uniform_(0.5, 1.5)
        return m
    return make


LAYERS = [
    (lambda lib: lib.nn.BatchNorm1d(3), randn(4, 3)),
    (lambda lib: lib.nn.BatchNorm1d(3, momentum=None), randn(4, 3, 5)),
    (lambda lib: lib.nn.BatchNorm1d(3, affine=False), randn(4, 3, 2)),
    (lambda lib: lib.nn.BatchNorm2d(3), randn(2, 3, 4, 3)),
    (lambda lib: lib.nn.BatchNorm2d(3, bias=False), randn(2, 3, 4, 3)),
    (lambda lib: lib.nn.GroupNorm(2, 4, bias=False), randn(2, 4, 3)),
    (lambda lib: lib.nn.InstanceNorm1d(3, affine=True, bias=False), randn(2, 3, 4)),
    (lambda lib: lib.nn.BatchNorm2d(3, track_running_stats=False), randn(2, 3, 4, 3)),
    (lambda lib: lib.nn.BatchNorm3d(2, momentum=0.3), randn(2, 2, 3, 2, 2)),
    (lambda lib: lib.nn.InstanceNorm1d(3), randn(2, 3, 5)),
    (lambda lib: lib.nn.InstanceNorm1d(3, affine=True, track_running_stats=True), randn(3, 5)),
    (lambda lib: lib.nn.InstanceNorm2d(3, affine=True), randn(2, 3, 4, 4)),
    (lambda lib: lib.nn.InstanceNorm2d(3, track_running_stats=True), randn(2, 3, 4, 4)),
    (lambda lib: lib.nn.LayerNorm(5), randn(3, 5)),
    (lambda lib: lib.nn.LayerNorm((2, 3), elementwise_affine=False), randn(4, 2, 3)),
    (lambda lib: lib.nn.LayerNorm(4, bias=False), randn(2, 3, 4)),
    (lambda lib: lib.nn.GroupNorm(2, 4), randn(2, 4, 3, 2)),
    (lambda lib: lib.nn.GroupNorm(1, 3, affine=False), randn(2, 3, 5)),
    (lambda lib: lib.nn.GroupNorm(3, 3, eps=1e-3), randn(2, 3)),
    (lambda lib: lib.nn.RMSNorm(4), randn(3, 4)),
    (lambda lib: lib.nn.RMSNorm([2, 3], eps=1e-5, elementwise_affine=False), randn(2, 2, 3)),
    (lambda lib: lib.nn.LocalResponseNorm(2), randn(2, 4, 3, 3)),
    (lambda lib: lib.nn.LocalResponseNorm(3, alpha=0.1, beta=0.5, k=2.0), randn(2, 5, 4)),
]


@pytest.mark.parametrize("case", LAYERS)
@pytest.mark.parametrize("train", [True, False])
def test_layer_against_torch(case, train):
    ctor, x = case
    check_layer(_perturbed(ctor), x, train=train)


def _run_steps(ctor, batches, modes):
    """Feed the batches (train/eval per ``modes``) to both libraries; compare outputs and buffers each step."""
    cm, tm = build(ctor)
    load_torch_state(cm, tm)
    for x, train in zip(batches, modes):
        outs = []
        for lib, m in zip(LIBS, (cm, tm)):
            m.train(train)
            outs.append(m(lib.tensor(x, dtype=lib.float32)).detach().numpy())
        np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)
        cs, ts = cm.state_dict(), tm.state_dict()
        assert list(cs) == list(ts)
        for k in ts:
            c, t = cs[k].numpy(), ts[k].numpy()
            assert c.dtype == t.dtype, k
            np.testing.assert_allclose(c, t, rtol=1e-5, atol=1e-6, err_msg=k)
    return cm, tm


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm_running_stats(momentum):
    batches = [randn(5, 3) * (i + 1) + i for i in range(4)] + [randn(2, 3)]
    cm, _ = _run_steps(lambda lib: lib.nn.BatchNorm1d(3, momentum=momentum), batches,
                       [True, True, True, False, True])
    assert cm.num_batches_tracked.item() == 4
    assert cm.num_batches_tracked.dtype == chainrule.int64


def test_batchnorm_untracked_eval_uses_batch_stats():
    batches = [randn(4, 2, 3, 3), randn(4, 2, 3, 3)]
    _run_steps(lambda lib: lib.nn.BatchNorm2d(2, track_running_stats=False), batches, [True, False])
    _run_steps(lambda lib: lib.nn.InstanceNorm2d(2, track_running_stats=True), batches, [True, False])


def test_reset_running_stats():
    cm, tm = _run_steps(lambda lib: lib.nn.BatchNorm1d(3), [randn(4, 3)], [True])
    for m in (cm, tm):
        m.reset_running_stats()
    assert cm.running_mean.tolist() == tm.running_mean.tolist() == [0.0] * 3
    assert cm.running_var.tolist() == [1.0] * 3 and cm.num_batches_tracked.item() == 0


def test_batchnorm_double_and_state_dict_version():
    m = chainrule.nn.BatchNorm2d(3).double()
    assert m.running_mean.dtype == chainrule.float64 and m.num_batches_tracked.dtype == chainrule.int64
    sd = m.state_dict()
    assert sd._metadata[""]["version"] == torch.nn.BatchNorm2d(3).state_dict()._metadata[""]["version"]
    # An old checkpoint without num_batches_tracked loads and starts the count at 0, as torch does.
    for lib in LIBS:
        m = lib.nn.BatchNorm1d(2)
        old = OrderedDict((k, v) for k, v in m.state_dict().items() if k != "num_batches_tracked")
        old._metadata = OrderedDict({"": {"version": 1}})
        assert repr(m.load_state_dict(old)) == "<All keys matched successfully>"
        assert m.num_batches_tracked.item() == 0


def test_instance_norm_feature_mismatch_warns():
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.InstanceNorm1d(4)(lib.randn(2, 3, 5))
        assert any("does not match num_features" in str(x.message) for x in w)


ERRORS = [
    lambda lib: lib.nn.BatchNorm2d(3)(lib.randn(2, 3)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(2, 3, 4, 4)),
    lambda lib: lib.nn.BatchNorm3d(3)(lib.randn(2, 3, 4, 4)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(1, 3)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(4, 2)),
    lambda lib: lib.nn.BatchNorm1d(3).eval()(lib.randn(1, 3)),
    lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(lib.randn(2, 4, 5)),
    lambda lib: lib.nn.InstanceNorm2d(3)(lib.randn(2, 3)),
    lambda lib: lib.nn.GroupNorm(3, 4),
    lambda lib: lib.nn.GroupNorm(2, 4)(lib.randn(2, 6, 3)),
    lambda lib: lib.nn.LayerNorm(5)(lib.randn(2, 4)),
    lambda lib: lib.nn.LayerNorm((2, 3))(lib.randn(3, 2)),
    lambda lib: lib.nn.RMSNorm(5)(lib.randn(2, 4)),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    same_outcome(fn)
