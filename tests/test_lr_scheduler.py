"""chainrule.optim.lr_scheduler against torch.optim.lr_scheduler: exact lr sequences,
state dicts, resuming, warnings and errors."""
import copy
import warnings

import numpy as np
import pytest
import torch

import chainrule
import chainrule.optim  # noqa: F401
from opcheck import same_as_torch

LIBS = (torch, chainrule)
STEPS = 60


def _opt(lib, name="SGD", ngroups=2, **kw):
    ps = [lib.nn.Parameter(lib.zeros(2)) for _ in range(ngroups)]
    return getattr(lib.optim, name)([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], **kw)


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


METRIC = list(np.cumsum(np.random.default_rng(0).standard_normal(STEPS)) * 0.3 + 5)

# name -> (make(lib, S) -> (optimizer, scheduler), metric-driven)
CASES = {
    "LambdaLR": lambda lib, S: (lambda o: (o, S.LambdaLR(o, lambda e: 0.95 ** e)))(_opt(lib)),
    "LambdaLR-list": lambda lib, S: (lambda o: (o, S.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)])))(
        _opt(lib)),
    "MultiplicativeLR": lambda lib, S: (lambda o: (o, S.MultiplicativeLR(o, lambda e: 0.97)))(_opt(lib)),
    "StepLR": lambda lib, S: (lambda o: (o, S.StepLR(o, 7, 0.5)))(_opt(lib)),
    "StepLR-default": lambda lib, S: (lambda o: (o, S.StepLR(o, 3)))(_opt(lib, ngroups=1)),
    "MultiStepLR": lambda lib, S: (lambda o: (o, S.MultiStepLR(o, [5, 12, 12, 30], 0.3)))(_opt(lib)),
    "ConstantLR": lambda lib, S: (lambda o: (o, S.ConstantLR(o, 0.25, 8)))(_opt(lib)),
    "ConstantLR-default": lambda lib, S: (lambda o: (o, S.ConstantLR(o)))(_opt(lib)),
    "LinearLR": lambda lib, S: (lambda o: (o, S.LinearLR(o, 0.1, 0.9, 17)))(_opt(lib)),
    "LinearLR-decay": lambda lib, S: (lambda o: (o, S.LinearLR(o, 1.0, 0.0, 40)))(_opt(lib)),
    "ExponentialLR": lambda lib, S: (lambda o: (o, S.ExponentialLR(o, 0.93)))(_opt(lib)),
    "PolynomialLR": lambda lib, S: (lambda o: (o, S.PolynomialLR(o, 20, 2.0)))(_opt(lib)),
    "PolynomialLR-default": lambda lib, S: (lambda o: (o, S.PolynomialLR(o)))(_opt(lib)),
    "CosineAnnealingLR": lambda lib, S: (lambda o: (o, S.CosineAnnealingLR(o, 13, 0.001)))(_opt(lib)),
    "CosineAnnealingLR-adam": lambda lib, S: (lambda o: (o, S.CosineAnnealingLR(o, 50)))(_opt(lib, "Adam")),
    "CosineAnnealingWarmRestarts": lambda lib, S: (lambda o: (o, S.CosineAnnealingWarmRestarts(o, 5, 2, 0.01)))(
        _opt(lib)),
    "CosineAnnealingWarmRestarts-1": lambda lib, S: (lambda o: (o, S.CosineAnnealingWarmRestarts(o, 7)))(_opt(lib)),
    "OneCycleLR": lambda lib, S: (lambda o: (o, S.OneCycleLR(o, [1.0, 0.5], total_steps=STEPS)))(
        _opt(lib, momentum=0.9)),
    "OneCycleLR-linear-3phase": lambda lib, S: (lambda o: (o, S.OneCycleLR(
        o, 0.3, epochs=6, steps_per_epoch=10, anneal_strategy="linear", three_phase=True)))(_opt(lib, "Adam")),
    "OneCycleLR-nomomentum": lambda lib, S: (lambda o: (o, S.OneCycleLR(
        o, 0.3, total_steps=STEPS + 5, cycle_momentum=False, pct_start=0.4, div_factor=10.0)))(_opt(lib, "Adagrad")),
    "CyclicLR-triangular2": lambda lib, S: (lambda o: (o, S.CyclicLR(
        o, 0.01, 0.1, step_size_up=7, step_size_down=4, mode="triangular2")))(_opt(lib, momentum=0.9)),
    "CyclicLR-exp_range": lambda lib, S: (lambda o: (o, S.CyclicLR(
        o, [0.01, 0.02], 0.1, step_size_up=5, mode="exp_range", gamma=0.97)))(_opt(lib, "Adam")),
    "CyclicLR-scale_fn": lambda lib, S: (lambda o: (o, S.CyclicLR(
        o, 0.01, 0.1, step_size_up=6, scale_fn=lambda x: 1 / x, cycle_momentum=False)))(_opt(lib)),
    "SequentialLR": lambda lib, S: (lambda o: (o, S.SequentialLR(o, [
        S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, 20), S.StepLR(o, 3)], milestones=[5, 25])))(
        _opt(lib)),
    "SequentialLR-mult": lambda lib, S: (lambda o: (o, S.SequentialLR(o, [
        S.ExponentialLR(o, 0.5), S.MultiplicativeLR(o, lambda e: 0.9)], milestones=[3])))(_opt(lib)),
    "ChainedScheduler": lambda lib, S: (lambda o: (o, S.ChainedScheduler([
        S.ConstantLR(o, 0.1, 4), S.ExponentialLR(o, 0.9), S.MultiStepLR(o, [10, 20])])))(_opt(lib)),
    "ReduceLROnPlateau": lambda lib, S: (lambda o: (o, S.ReduceLROnPlateau(
        o, patience=2, cooldown=1, min_lr=[0.001, 0.002])))(_opt(lib)),
    "ReduceLROnPlateau-max-abs": lambda lib, S: (lambda o: (o, S.ReduceLROnPlateau(
        o, mode="max", threshold_mode="abs", threshold=0.1, factor=0.5, patience=1)))(_opt(lib)),
    "ReduceLROnPlateau-min-abs": lambda lib, S: (lambda o: (o, S.ReduceLROnPlateau(
        o, threshold_mode="abs", threshold=0.05, factor=0.7, patience=0, eps=0.01)))(_opt(lib)),
    "ReduceLROnPlateau-max-rel": lambda lib, S: (lambda o: (o, S.ReduceLROnPlateau(
        o, mode="max", factor=0.3, patience=3, min_lr=0.01)))(_opt(lib)),
}


def _step(sched, k):
    if type(sched).__name__ == "ReduceLROnPlateau":
        sched.step(METRIC[k % len(METRIC)])
    else:
        sched.step()


def _sequence(make, lib, steps=STEPS):
    opt, sched = make(lib, lib.optim.lr_scheduler)
    seq = [(list(sched.get_last_lr()), _momenta(opt))]
    for k in range(steps):
        opt.step()
        _step(sched, k)
        seq.append((list(sched.get_last_lr()), _momenta(opt)))
        assert [g["lr"] for g in opt.param_groups] == seq[-1][0]
    return seq


@pytest.mark.parametrize("name", list(CASES))
def test_lr_sequence_matches_torch_exactly(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # optimizer.step() comes first: nothing to warn about
        got = _sequence(CASES[name], chainrule)
    want = _sequence(CASES[name], torch)
    assert got == want


def _plain(state):
    """A scheduler state dict with nested dicts/lists, made comparable across libraries."""
    if isinstance(state, dict):
        return {k: _plain(v) for k, v in state.items() if k != "_scale_fn_ref"}
    if isinstance(state, (list, tuple)):
        return type(state)(_plain(v) for v in state)
    if callable(state):
        return "<callable>"
    return state


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_matches_torch(name):
    states = []
    for lib in LIBS:
        opt, sched = CASES[name](lib, lib.optim.lr_scheduler)
        for k in range(7):
            opt.step()
            _step(sched, k)
        states.append(_plain(sched.state_dict()))
    assert states[0] == states[1]
    assert list(states[0]) == list(states[1])  # same keys in the same order


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip(name):
    """Stop after 20 steps, rebuild optimizer and scheduler from their state dicts, and continue:
    the learning rates are those of the uninterrupted run."""
    make = CASES[name]
    S = chainrule.optim.lr_scheduler
    full = _sequence(make, chainrule, 40)
    opt, sched = make(chainrule, S)
    for k in range(20):
        opt.step()
        _step(sched, k)
    osd, ssd = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    opt2, sched2 = make(chainrule, S)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    resumed = []
    for k in range(20, 40):
        opt2.step()
        _step(sched2, k)
        resumed.append((list(sched2.get_last_lr()), _momenta(opt2)))
    assert resumed == full[21:]


def test_step_with_epoch_uses_closed_form():
    def fn(lib):
        S = lib.optim.lr_scheduler
        out = []
        for make in (lambda o: S.StepLR(o, 3, 0.5), lambda o: S.MultiStepLR(o, [2, 5, 5]),
                     lambda o: S.ExponentialLR(o, 0.9), lambda o: S.CosineAnnealingLR(o, 10, 0.01),
                     lambda o: S.LinearLR(o, 0.2, 0.8, 6), lambda o: S.ConstantLR(o, 0.5, 4),
                     lambda o: S.PolynomialLR(o, 8, 1.5), lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)),
                     lambda o: S.CosineAnnealingWarmRestarts(o, 4, 3, 0.01)):
            opt = _opt(lib)
            sched = make(opt)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                for epoch in (3, 7, 2, 12, 5, 30):
                    opt.step()
                    sched.step(epoch)
                    out.append(sched.get_last_lr())
                out.append([str(x.message)[:60] for x in w][:1])
            out.append(sched.last_epoch)
        return out
    same_as_torch(fn, tol=0)


def test_warm_restarts_fractional_epochs():
    def fn(lib):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
        out = []
        iters = 4
        for epoch in range(10):
            for i in range(iters):
                opt.step()
                sched.step(epoch + i / iters)
                out.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_as_torch(fn, tol=0)


def test_reduce_on_plateau_tensor_metric_and_groups():
    def fn(lib):
        opt = _opt(lib, ngroups=2)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, min_lr=0.05)
        out = []
        for v in [1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.7]:
            sched.step(lib.tensor(v))
            out.append((sched.get_last_lr(), sched.num_bad_epochs, sched.best, sched.last_epoch))
        opt.add_param_group({"params": [lib.nn.Parameter(lib.zeros(1))], "lr": 1.0})
        for v in [0.8, 0.9, 0.9]:
            sched.step(v)
            out.append(sched.get_last_lr())
        fixed = lib.optim.lr_scheduler.ReduceLROnPlateau(_opt(lib, ngroups=1), patience=0, min_lr=[0.01])
        fixed.optimizer.add_param_group({"params": [lib.nn.Parameter(lib.zeros(1))]})
        fixed.step(1.0)
        fixed.step(2.0)
        return out
    same_as_torch(fn, tol=0)


def test_warnings_match_torch():
    def fn(lib):
        S = lib.optim.lr_scheduler
        msgs = []
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            opt = _opt(lib)
            sched = S.StepLR(opt, 2)
            sched.step()  # before optimizer.step(): warns
            sched.step()
            opt.step()
            sched.get_lr()  # outside step(): warns
            opt2 = _opt(lib)
            sched2 = S.ExponentialLR(opt2, 0.5)
            opt2.step = lambda closure=None: None  # overriding step after the scheduler was made: warns
            sched2.step()
            opt3 = _opt(lib)
            sched3 = S.ExponentialLR(opt3, 0.5)
            opt3.step()
            sched3.step()  # the right order: no warning
            msgs = [str(x.message)[:70] for x in w]
        return msgs
    got = same_as_torch(fn)
    assert len(got) == 3


def test_optimizer_step_still_works_after_patching():
    p = chainrule.nn.Parameter(chainrule.ones(2))
    opt = chainrule.optim.SGD([p], lr=0.5)
    chainrule.optim.lr_scheduler.StepLR(opt, 1, 0.5)
    chainrule.optim.lr_scheduler.ExponentialLR(opt, 0.5)  # patching twice is harmless
    assert getattr(opt.step, "_wrapped_by_lr_sched", False)
    p.grad = chainrule.ones(2)
    assert opt.step(lambda: 3.0) == 3.0
    assert opt._opt_called
    assert np.array_equal(p._data, [0.5, 0.5])


def test_resume_with_last_epoch():
    def fn(lib):
        S = lib.optim.lr_scheduler
        opt = _opt(lib)
        try:
            S.StepLR(opt, 3, last_epoch=4)
        except KeyError as e:
            err = str(e)[:60]
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        sched = S.CosineAnnealingLR(opt, 10, last_epoch=4)
        lrs = [sched.get_last_lr()]
        for _ in range(5):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        return err, lrs, sched.base_lrs
    same_as_torch(fn, tol=0)


def test_tensor_lr_is_updated_in_place():
    def fn(lib):
        p = lib.nn.Parameter(lib.zeros(2))
        lr = lib.tensor(0.1)
        opt = lib.optim.SGD([p], lr=lr)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2, 0.5)
        for _ in range(5):
            opt.step()
            sched.step()
        return opt.param_groups[0]["lr"] is lr, lr, sched.get_last_lr(), sched.base_lrs
    same_as_torch(fn)


def test_errors_match_torch():
    def attempt(lib, make):
        try:
            make(lib.optim.lr_scheduler, _opt(lib), lib)
            return "ok"
        except Exception as e:
            return type(e).__name__, str(e)

    cases = [
        lambda S, o, lib: S.StepLR("not an optimizer", 3),
        lambda S, o, lib: S.LambdaLR(o, [lambda e: 1.0]),
        lambda S, o, lib: S.MultiplicativeLR(o, 3),
        lambda S, o, lib: S.ConstantLR(o, factor=1.5),
        lambda S, o, lib: S.ConstantLR(o, factor=-0.1),
        lambda S, o, lib: S.LinearLR(o, start_factor=0),
        lambda S, o, lib: S.LinearLR(o, end_factor=1.5),
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 0),
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 2.5),
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 3, T_mult=0),
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 3, eta_min="x"),
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 3).step(-1),
        lambda S, o, lib: S.OneCycleLR(o, 0.1),
        lambda S, o, lib: S.OneCycleLR(o, 0.1, total_steps=0),
        lambda S, o, lib: S.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3),
        lambda S, o, lib: S.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=1.5),
        lambda S, o, lib: S.OneCycleLR(o, 0.1, total_steps=10, pct_start=1),
        lambda S, o, lib: S.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
        lambda S, o, lib: S.OneCycleLR(o, [0.1], total_steps=10),
        lambda S, o, lib: S.OneCycleLR(lib.optim.Adagrad(o.param_groups[0]["params"]), 0.1, total_steps=10),
        lambda S, o, lib: [s.step() for s in [S.OneCycleLR(o, 0.1, total_steps=3)] for _ in range(4)],
        lambda S, o, lib: S.CyclicLR(o, 0.01, 0.1, mode="bogus"),
        lambda S, o, lib: S.CyclicLR(lib.optim.Adagrad(o.param_groups[0]["params"]), 0.01, 0.1),
        lambda S, o, lib: S.SequentialLR(o, [], []),
        lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], milestones=[]),
        lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), S.ReduceLROnPlateau(o)], milestones=[3]),
        lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), 5], milestones=[3]),
        lambda S, o, lib: S.ChainedScheduler([]),
        lambda S, o, lib: S.ChainedScheduler([S.StepLR(o, 2), S.ReduceLROnPlateau(o)]),
        lambda S, o, lib: S.ReduceLROnPlateau(o, factor=1.0),
        lambda S, o, lib: S.ReduceLROnPlateau(o, mode="avg"),
        lambda S, o, lib: S.ReduceLROnPlateau(o, threshold_mode="x"),
        lambda S, o, lib: S.ReduceLROnPlateau(o, min_lr=[0.1]),
        lambda S, o, lib: S.ReduceLROnPlateau(o).step("bad"),
        lambda S, o, lib: S.LRScheduler(o),
    ]
    for i, make in enumerate(cases):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got, want = attempt(chainrule, make), attempt(torch, make)
        assert got == want, f"case {i}: {got} vs torch {want}"
