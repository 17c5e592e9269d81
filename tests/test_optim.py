"""chainrule.optim against torch.optim: trajectories, state, state dicts, hooks, errors.

Trajectories agree to a few ulps rather than bit for bit: PyTorch's CPU kernels fuse
multiply-adds (add with alpha, addcmul, lerp) and take square roots through MKL, which is
not correctly rounded; NumPy does neither.
"""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
import torch.optim.optimizer as torch_optimizer

import chainrule
import chainrule.optim  # noqa: F401
from opcheck import same_as_torch

LIBS = (torch, chainrule)
OPTMOD = {torch: torch_optimizer, chainrule: chainrule.optim.optimizer}
SHAPES = [(3, 4), (5,), (2, 3, 2), (40,)]
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-5)}


def _arr(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t._data)


def _params(lib, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.nn.Parameter(lib.from_numpy(rng.standard_normal(s).astype(dtype))) for s in SHAPES]


def _grad(p, k):
    """A gradient that depends on the parameter's current value (so errors would compound)."""
    rng = np.random.default_rng(100 + k)
    return (np.cos(3 * p) + 0.5 * rng.standard_normal(p.shape)).astype(p.dtype)


def _set_grads(lib, params, k):
    for i, p in enumerate(params):
        # the third parameter has no gradient on some steps: optimizers must skip it
        p.grad = None if (i == 2 and k % 4 == 1) else lib.from_numpy(_grad(_arr(p), k))


def _groups(params, group_lr):
    return [{"params": params[:2], "lr": group_lr}, {"params": params[2:]}]


def _compare(topt, copt, tps, cps, dtype, where):
    tol = TOL[dtype]
    for i, (a, b) in enumerate(zip(tps, cps)):
        x, y = _arr(a), _arr(b)
        assert y.dtype == x.dtype and y.shape == x.shape
        np.testing.assert_allclose(y, x, err_msg=f"{where}: param {i}", **tol)
        ts, cs = topt.state.get(a, {}), copt.state.get(b, {})
        assert list(cs) == list(ts), f"{where}: state keys of param {i}"
        for key, tv in ts.items():
            cv = cs[key]
            assert isinstance(cv, chainrule.Tensor), key
            assert _arr(cv).dtype == _arr(tv).dtype and _arr(cv).shape == _arr(tv).shape, key
            np.testing.assert_allclose(_arr(cv), _arr(tv), err_msg=f"{where}: state {key} of param {i}", **tol)


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, maximize=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.2, foreach=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, maximize=True, betas=(0.3, 0.8), eps=1e-3)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, fused=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.3, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True, eps=1e-3)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True, betas=(0.5, 0.9))),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01, maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_trajectory_matches_torch(name, kw, dtype):
    tps, cps = _params(torch, dtype), _params(chainrule, dtype)
    topt = getattr(torch.optim, name)(_groups(tps, 0.03), **kw)
    copt = getattr(chainrule.optim, name)(_groups(cps, 0.03), **kw)
    assert [{k: v for k, v in g.items() if k != "params"} for g in copt.param_groups] == \
           [{k: v for k, v in g.items() if k != "params"} for g in topt.param_groups]
    for k in range(10):
        _set_grads(torch, tps, k)
        _set_grads(chainrule, cps, k)
        versions = [p._version for p in cps]
        assert topt.step() is None and copt.step() is None
        for p, v, tp in zip(cps, versions, tps):
            # the version counter moves exactly when the parameter was updated
            assert p._version == v + (tp.grad is not None)
        _compare(topt, copt, tps, cps, dtype, f"step {k}")
        assert len(copt.state) == len(topt.state)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam"])
def test_training_loop_with_closure(name):
    """A small regression fit trained end to end with a closure, in both libraries."""
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    W0, b0 = rng.standard_normal((3, 2)) * 0.5, np.zeros(2)
    finals, losses = {}, {}
    for lib in LIBS:
        W, b = lib.nn.Parameter(lib.tensor(W0)), lib.nn.Parameter(lib.tensor(b0))
        x, y = lib.tensor(X), lib.tensor(Y)
        kw = dict(lr=0.05, momentum=0.9) if name in ("SGD", "RMSprop") else dict(lr=0.05)
        opt = getattr(lib.optim, name)([W, b], **kw)

        def closure():
            opt.zero_grad()
            loss = ((x @ W + b).tanh() - y).pow(2).mean()
            loss.backward()
            return loss
        losses[lib] = [float(opt.step(closure).detach()) for _ in range(15)]
        finals[lib] = (_arr(W), _arr(b))
    np.testing.assert_allclose(losses[chainrule], losses[torch], rtol=1e-10)
    for got, want in zip(finals[chainrule], finals[torch]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert losses[chainrule][-1] < losses[chainrule][0]


def test_float32_stays_float32():
    for name, kw in CONFIGS:
        ps = _params(chainrule, np.float32)
        opt = getattr(chainrule.optim, name)(ps, **kw)
        for k in range(2):
            _set_grads(chainrule, ps, k)
            opt.step()
        for p in ps:
            assert p._data.dtype == np.float32, name
            for key, v in opt.state[p].items():
                assert v.dtype is chainrule.float32, (name, key)


def test_scalar_state_follows_default_dtype():
    for lib in LIBS:
        lib.set_default_dtype(lib.float64)
    try:
        for name in ("Adam", "NAdam", "Adagrad"):
            dts = []
            for lib in LIBS:
                p = lib.nn.Parameter(lib.ones(3, dtype=lib.float32))
                opt = getattr(lib.optim, name)([p])
                p.grad = lib.ones(3, dtype=lib.float32)
                opt.step()
                dts.append({k: str(v.dtype) for k, v in opt.state[p].items()})
            assert dts[0] == dts[1], name
            assert dts[1]["step"] == "torch.float64"
    finally:
        for lib in LIBS:
            lib.set_default_dtype(lib.float32)


def _snapshot_state(opt):
    return {i: {k: (v.clone() if isinstance(v, chainrule.Tensor) else v) for k, v in st.items()}
            for i, st in opt.state_dict()["state"].items()}


@pytest.mark.parametrize("name,kw", [c for c in CONFIGS if c[0] != "SGD" or "momentum" in c[1]][:14],
                         ids=lambda c: str(c))
def test_state_dict_round_trip(name, kw):
    """Save mid-run, load into a fresh optimizer over copies of the parameters, continue identically."""
    ps = _params(chainrule, np.float64)
    opt = getattr(chainrule.optim, name)(_groups(ps, 0.02), **kw)
    for k in range(4):
        _set_grads(chainrule, ps, k)
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    ps2 = [chainrule.nn.Parameter(p.detach().clone()) for p in ps]
    opt2 = getattr(chainrule.optim, name)(_groups(ps2, 0.5), **kw)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.02  # hyper-parameters come from the state dict
    assert opt2.param_groups[0]["params"][0] is ps2[0]
    for k in range(4, 9):
        _set_grads(chainrule, ps, k)
        _set_grads(chainrule, ps2, k)
        opt.step()
        opt2.step()
        for a, b in zip(ps, ps2):
            assert np.array_equal(_arr(a), _arr(b))
    s1, s2 = _snapshot_state(opt), _snapshot_state(opt2)
    assert s1.keys() == s2.keys()
    for i in s1:
        for key in s1[i]:
            assert np.array_equal(_arr(s1[i][key]), _arr(s2[i][key])), key


def test_state_dict_format_matches_torch():
    def fn(lib):
        ps = _params(lib, np.float64)
        opt = lib.optim.Adam([{"params": ps[:1], "lr": 0.5}, {"params": ps[1:], "amsgrad": True}], lr=0.01)
        for k in range(2):
            _set_grads(lib, ps, k)
            opt.step()
        sd = opt.state_dict()
        assert sd["state"][0]["exp_avg"] is opt.state[ps[0]]["exp_avg"]  # no copies, as in torch
        return [list(sd), sd["param_groups"], sorted(sd["state"]),
                {i: list(s) for i, s in sd["state"].items()},
                {i: {k: v for k, v in s.items() if k == "step"} for i, s in sd["state"].items()}]
    same_as_torch(fn)


def test_load_state_dict_casts_and_converts():
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(3, dtype=lib.float32))
        opt = lib.optim.Adam([p], lr=0.1)
        opt.load_state_dict({"state": {0: {"step": 3, "exp_avg": lib.ones(3, dtype=lib.float64),
                                           "exp_avg_sq": lib.ones(3, dtype=lib.float64)}},
                             "param_groups": [{"params": [0], "lr": 0.2, "betas": (0.9, 0.99), "eps": 1e-8,
                                               "weight_decay": 0}]})
        st = opt.state[p]
        p.grad = lib.full((3,), 0.5)
        opt.step()
        return [{k: (str(v.dtype), v.shape) for k, v in st.items()}, float(st["step"]),
                sorted(opt.param_groups[0]), p]
    same_as_torch(fn, tol=1e-6)


def test_load_state_dict_errors_and_hooks():
    def fn(lib):
        p, q = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SGD([p, q], lr=0.1, momentum=0.9)
        out = []
        for sd in ({"state": {}, "param_groups": []},
                   {"state": {}, "param_groups": [{"params": [0]}]}):
            try:
                opt.load_state_dict(sd)
            except ValueError as e:
                out.append(str(e))
        return out
    got = same_as_torch(fn)
    assert len(got) == 2

    def hooks(lib):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)
        calls = []
        opt.register_state_dict_pre_hook(lambda o: calls.append("sd_pre"))
        opt.register_state_dict_post_hook(lambda o, sd: calls.append("sd_post2"))
        opt.register_state_dict_post_hook(lambda o, sd: calls.append("sd_post1"), prepend=True)

        def load_pre(o, sd):
            calls.append("load_pre")
            sd = dict(sd)
            sd["param_groups"] = [dict(sd["param_groups"][0], lr=0.7)]
            return sd
        opt.register_load_state_dict_pre_hook(load_pre)
        h = opt.register_load_state_dict_post_hook(lambda o: calls.append("load_post"))
        opt.load_state_dict(opt.state_dict())
        h.remove()
        opt.load_state_dict(opt.state_dict())
        return calls, opt.param_groups[0]["lr"]
    same_as_torch(hooks)


def test_param_groups_and_named_parameters():
    def fn(lib):
        p, q, r = (lib.nn.Parameter(lib.ones(i + 1)) for i in range(3))
        opt = lib.optim.SGD([("a", p), ("b", q)], lr=0.1)
        opt2 = lib.optim.Adam([{"params": [p], "lr": 0.5, "custom": 1}, {"params": q}])
        opt2.add_param_group({"params": (r,), "betas": (0.5, 0.6)})
        return ([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
                [{k: v for k, v in g.items() if k != "params"} for g in opt2.param_groups],
                [len(g["params"]) for g in opt2.param_groups],
                opt.state_dict()["param_groups"], repr(opt2), repr(opt))
    same_as_torch(fn)


def test_errors_match_torch():
    def attempt(lib, make):
        p, q = lib.nn.Parameter(lib.randn(3)), lib.nn.Parameter(lib.randn(2))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                make(lib.optim, p, q, lib)
                out = "ok"
            except Exception as e:
                out = (type(e).__name__, str(e))
        return out, [str(x.message) for x in w]

    cases = [
        lambda O, p, q, lib: O.SGD([p], lr=-1.0),
        lambda O, p, q, lib: O.SGD([p], lr=-1),
        lambda O, p, q, lib: O.SGD([p], lr=0.1, momentum=-0.5),
        lambda O, p, q, lib: O.SGD([p], lr=0.1, weight_decay=-1e-3),
        lambda O, p, q, lib: O.SGD([p], lr=0.1, nesterov=True),
        lambda O, p, q, lib: O.SGD([p], lr=0.1, nesterov=True, momentum=0.9, dampening=0.1),
        lambda O, p, q, lib: O.SGD([p], lr=None),
        lambda O, p, q, lib: O.SGD([p], lr=0.1, fused=True, foreach=True),
        lambda O, p, q, lib: O.SGD(p),
        lambda O, p, q, lib: O.SGD([]),
        lambda O, p, q, lib: O.SGD([1.0]),
        lambda O, p, q, lib: O.SGD([p * 2]),
        lambda O, p, q, lib: O.SGD([p, p]),
        lambda O, p, q, lib: O.SGD([{"params": p}, {"params": [p]}]),
        lambda O, p, q, lib: O.SGD([{"params": [p]}, {"params": [("a", q)]}]),
        lambda O, p, q, lib: O.SGD([("a", p), q]),
        lambda O, p, q, lib: O.SGD([{"params": p}, 3]),
        lambda O, p, q, lib: O.SGD([{"params": {p}}]),
        lambda O, p, q, lib: O.SGD([p], lr=lib.tensor([0.1, 0.2])),
        lambda O, p, q, lib: O.SGD([p]).add_param_group([q]),
        lambda O, p, q, lib: O.SGD([p]).add_param_group({"params": [p]}),
        lambda O, p, q, lib: O.Adam([p], lr=-1.0),
        lambda O, p, q, lib: O.Adam([p], lr="a"),
        lambda O, p, q, lib: O.Adam([p], eps=-1.0),
        lambda O, p, q, lib: O.Adam([p], betas=(1.0, 0.9)),
        lambda O, p, q, lib: O.Adam([p], betas=(0.9, -0.1)),
        lambda O, p, q, lib: O.Adam([p], betas=(0, 0.9)),
        lambda O, p, q, lib: O.Adam([p], weight_decay=-1),
        lambda O, p, q, lib: O.Adam([p], foreach=True, fused=True),
        lambda O, p, q, lib: O.AdamW([p], lr=-1.0),
        lambda O, p, q, lib: O.AdamW([p], eps=-1e-3),
        lambda O, p, q, lib: O.RMSprop([p], alpha=-1),
        lambda O, p, q, lib: O.RMSprop([p], momentum=-1),
        lambda O, p, q, lib: O.RMSprop([p], eps=-1),
        lambda O, p, q, lib: O.RMSprop([p], weight_decay=-1),
        lambda O, p, q, lib: O.RMSprop([p], lr=-1),
        lambda O, p, q, lib: O.Adagrad([p], lr_decay=-1),
        lambda O, p, q, lib: O.Adagrad([p], initial_accumulator_value=-1),
        lambda O, p, q, lib: O.Adagrad([p], eps=-1),
        lambda O, p, q, lib: O.Adagrad([p], weight_decay=-1),
        lambda O, p, q, lib: O.Adamax([p], betas=(1.0, 0.9)),
        lambda O, p, q, lib: O.Adamax([p], eps=-1),
        lambda O, p, q, lib: O.Adamax([p], lr=-2.0),
        lambda O, p, q, lib: O.NAdam([p], momentum_decay=-1),
        lambda O, p, q, lib: O.NAdam([p], betas=(0.9, 1.5)),
        lambda O, p, q, lib: O.NAdam([p], weight_decay=-1),
        lambda O, p, q, lib: O.Optimizer([p], {"lr": REQUIRED[lib]}),
        lambda O, p, q, lib: O.Optimizer([{"params": [p], "lr": 0.1}], {"lr": REQUIRED[lib]}),
        lambda O, p, q, lib: O.Optimizer([p], {}).step(),
    ]
    REQUIRED = {torch: torch_optimizer.required, chainrule: chainrule.optim.optimizer.required}
    for i, make in enumerate(cases):
        got, want = attempt(chainrule, make), attempt(torch, make)
        assert got == want, f"case {i}: {got} vs torch {want}"


def test_non_leaf_parameters_rejected_unchanged():
    p = chainrule.nn.Parameter(chainrule.ones(3))
    y = p * 2
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        chainrule.optim.SGD([y])
    y.retain_grad()
    chainrule.optim.SGD([y])  # a non-leaf that retains its grad is accepted, as in torch


def test_differentiable_not_supported():
    p = chainrule.nn.Parameter(chainrule.ones(3))
    for cls in (chainrule.optim.SGD, chainrule.optim.Adam, chainrule.optim.RMSprop):
        with pytest.raises(NotImplementedError, match="differentiable"):
            cls([p], differentiable=True)


def test_zero_grad():
    p, q = chainrule.nn.Parameter(chainrule.ones(3)), chainrule.nn.Parameter(chainrule.ones(2))
    opt = chainrule.optim.SGD([p, q], lr=0.1)
    (p * p).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.array_equal(_arr(g), np.zeros(3)) and q.grad is None
    (p * p).sum().backward()
    assert np.array_equal(_arr(p.grad), [2.0, 2.0, 2.0])  # accumulates into the zeroed grad
    opt.zero_grad()
    assert p.grad is None
    # a grad that was computed with create_graph is detached before being zeroed
    (p * p).sum().backward(create_graph=True)
    assert p.grad.requires_grad
    opt.zero_grad(set_to_none=False)
    assert not p.grad.requires_grad and p.grad.grad_fn is None


def test_step_hooks():
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SGD([p], lr=0.1)
        calls = []

        def pre(o, args, kwargs):
            calls.append(("pre", o is opt, len(args), args[0] is opt, sorted(kwargs)))
        h1 = opt.register_step_pre_hook(pre)
        opt.register_step_post_hook(lambda o, a, k: calls.append(("post", len(a))))
        p.grad = lib.ones(3)
        opt.step()
        h1.remove()
        opt.register_step_pre_hook(lambda o, a, k: ((o,), {"closure": lambda: 7.0}))
        out = opt.step()
        g1 = OPTMOD[lib].register_optimizer_step_pre_hook(lambda o, a, k: calls.append("global_pre"))
        g2 = OPTMOD[lib].register_optimizer_step_post_hook(lambda o, a, k: calls.append("global_post"))
        try:
            opt.step()
        finally:
            g1.remove()
            g2.remove()
        opt.step()
        return calls, out, p
    same_as_torch(fn)


def test_bad_pre_hook_result():
    p = chainrule.nn.Parameter(chainrule.ones(3))
    opt = chainrule.optim.SGD([p], lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: 5)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()


def test_custom_optimizer_subclass_runs_hooks_once():
    class Halve(chainrule.optim.SGD):
        def step(self, closure=None):
            for g in self.param_groups:
                g["lr"] = g["lr"] / 2
            return super().step(closure)

    p = chainrule.nn.Parameter(chainrule.ones(2))
    opt = Halve([p], lr=1.0)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    p.grad = chainrule.ones(2)
    opt.step()
    assert calls == ["pre", "post"]
    assert np.array_equal(_arr(p), [0.5, 0.5])


def test_lr_as_tensor_and_adagrad_eager_state():
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SGD([p], lr=lib.tensor(0.25))
        p.grad = lib.ones(3)
        opt.step()
        q = lib.nn.Parameter(lib.ones(2))
        ada = lib.optim.Adagrad([q], initial_accumulator_value=0.5)
        return p, {k: v for k, v in ada.state[q].items()}
    same_as_torch(fn)


def test_deepcopy_and_pickle():
    ps = _params(chainrule, np.float64)
    opt = chainrule.optim.Adam(ps, lr=0.01)
    _set_grads(chainrule, ps, 0)
    opt.step()
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert type(clone) is chainrule.optim.Adam
        q0 = clone.param_groups[0]["params"][0]
        assert q0 is not ps[0] and np.array_equal(_arr(q0), _arr(ps[0]))
        assert np.array_equal(_arr(clone.state[q0]["exp_avg"]), _arr(opt.state[ps[0]]["exp_avg"]))
        for i, p in enumerate(clone.param_groups[0]["params"]):
            p.grad = chainrule.from_numpy(_grad(_arr(p), 1))
            ps[i].grad = chainrule.from_numpy(_grad(_arr(ps[i]), 1))
        clone.step()
        assert clone.register_step_pre_hook(lambda *a: None) is not None
    opt.step()
    assert np.array_equal(_arr(clone.param_groups[0]["params"][0]), _arr(ps[0]))


@pytest.mark.parametrize("kw", [dict(momentum=0.9, weight_decay=0.1), dict(momentum=0.9, maximize=True),
                                dict(momentum=0.5, nesterov=True)])
def test_sgd_momentum_on_a_zero_dim_parameter(kw):
    """The momentum buffer of a 0-d parameter must be updated in place like any other."""
    got = {}
    for lib in LIBS:
        p = lib.nn.Parameter(lib.tensor(1.5, dtype=lib.float64))
        opt = lib.optim.SGD([p], lr=0.1, **kw)
        for k in range(5):
            p.grad = lib.tensor(0.3 * k - 0.2, dtype=lib.float64) + p.detach()
            opt.step()
        got[lib] = (_arr(p).item(), _arr(opt.state[p]["momentum_buffer"]).item())
    np.testing.assert_allclose(got[chainrule], got[torch], rtol=1e-12)
