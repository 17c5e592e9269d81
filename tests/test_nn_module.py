"""nn.Module, Parameter, Buffer and the containers, against torch.

Each scenario is a function of ``lib`` (torch or chainrule) that builds the same modules under
both libraries; its observable results (names, shapes, reprs, errors, values) must agree.
"""
import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule

LIBS = (torch, chainrule)


def _norm(x):
    """A library-neutral form of a result, for comparing torch's with chainrule's."""
    if isinstance(x, (torch.Tensor, chainrule.Tensor)):
        return ("tensor", type(x).__name__, str(x.dtype), tuple(x.shape), x.detach().numpy().tolist(),
                bool(x.requires_grad))
    if isinstance(x, (torch.Size, chainrule.Size)):
        return tuple(x)
    if isinstance(x, (torch.dtype, chainrule.dtype)):
        return str(x)
    if isinstance(x, dict):
        return (type(x).__name__, [(k, _norm(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple)):
        return type(x)([_norm(v) for v in x]) if type(x) in (list, tuple) else (type(x).__name__, [_norm(v) for v in x])
    if isinstance(x, str):
        return x.replace("chainrule", "torch")
    return x


def outcome(fn, lib):
    """``('ok', result)`` or ``(exception type, message)`` of ``fn(lib)``."""
    try:
        return ("ok", _norm(fn(lib)))
    except Exception as e:  # noqa: BLE001
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        return (type(e).__name__, str(msg).replace("chainrule", "torch"))


def _close(a, b):
    """Equal, except that floats need only agree to float32 rounding (matmul order differs)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (np.isnan(a) and np.isnan(b)) or abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def same(fn):
    """Run ``fn`` under both libraries and assert the outcomes agree; return chainrule's."""
    t, c = outcome(fn, torch), outcome(fn, chainrule)
    assert _close(c, t), f"\nchainrule: {c}\ntorch:     {t}"
    return c


# -- modules written once, instantiated under either library ----------------------------------
def _arr(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def make(lib):
    nn = lib.nn

    class Lin(nn.Module):
        def __init__(self, i, o, bias=True, seed=0):
            super().__init__()
            self.weight = nn.Parameter(lib.tensor(_arr((o, i), seed)))
            if bias:
                self.bias = nn.Parameter(lib.tensor(_arr((o,), seed + 1)))
            else:
                self.register_parameter("bias", None)

        def forward(self, x):
            y = x @ self.weight.t()
            return y if self.bias is None else y + self.bias

        def extra_repr(self):
            return f"in_features={self.weight.shape[1]}, out_features={self.weight.shape[0]}, bias={self.bias is not None}"

    class Act(nn.Module):
        def forward(self, x):
            return x * 2

    class Norm(nn.Module):
        _version = 2

        def __init__(self, n):
            super().__init__()
            self.scale = nn.Parameter(lib.ones(n))
            self.register_buffer("running_mean", lib.zeros(n))
            self.register_buffer("num_batches", lib.tensor(0))
            self.register_buffer("scratch", lib.zeros(n), persistent=False)
            self.register_buffer("absent", None)

        def forward(self, x):
            return x * self.scale + self.running_mean

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(Lin(3, 4, seed=1), Act(), Norm(4))
            self.heads = nn.ModuleList([Lin(4, 2, seed=3), Lin(4, 2, bias=False, seed=5)])
            self.extra = nn.ModuleDict({"b": Act(), "a": Lin(2, 2, seed=7)})
            self.plist = nn.ParameterList([nn.Parameter(lib.ones(2)), lib.zeros(3, dtype=lib.float64)])
            self.pdict = nn.ParameterDict({"y": lib.ones(1), "x": nn.Parameter(lib.zeros(2, 2))})
            self.tied = self.heads[0]
            self.nothing = None

        def forward(self, x):
            h = self.body(x)
            return self.extra["a"](self.heads[0](h) + self.heads[1](h))

    return Lin, Act, Norm, Net


def net(lib):
    return make(lib)[3]()


# -- structure --------------------------------------------------------------------------------
@pytest.mark.parametrize("what", [
    lambda m: [(n, tuple(p.shape)) for n, p in m.named_parameters()],
    lambda m: [n for n, _ in m.named_parameters(remove_duplicate=False)],
    lambda m: [n for n, _ in m.named_parameters(prefix="model", recurse=True)],
    lambda m: [n for n, _ in m.body[2].named_parameters(recurse=False)],
    lambda m: [(n, tuple(b.shape)) for n, b in m.named_buffers()],
    lambda m: [n for n, _ in m.named_buffers(prefix="p", remove_duplicate=False)],
    lambda m: [n for n, _ in m.named_children()],
    lambda m: [(n, type(c).__name__) for n, c in m.named_modules()],
    lambda m: [n for n, _ in m.named_modules(remove_duplicate=False)],
    lambda m: [n for n, _ in m.named_modules(prefix="root")],
    lambda m: [type(c).__name__ for c in m.modules()],
    lambda m: [type(c).__name__ for c in m.children()],
    lambda m: len(list(m.parameters())),
    lambda m: len(list(m.parameters(recurse=False))),
    lambda m: len(list(m.buffers())),
    lambda m: list(m.state_dict().keys()),
    lambda m: list(m.state_dict(prefix="x.").keys()),
    lambda m: list(m.state_dict()._metadata.items()),
    lambda m: repr(m),
    lambda m: repr(m.body),
    lambda m: repr(m.plist),
    lambda m: repr(m.pdict),
    lambda m: str(m.heads),
    lambda m: m.training,
    lambda m: [c.training for c in m.eval().modules()],
    lambda m: [c.training for c in m.eval().train().modules()],
    lambda m: [n for n in dir(m) if n in m._parameters or n in m._modules or n in m._buffers or n == "training"],
    lambda m: [n for n in dir(m.body) if n.isdigit() or n in ("append", "insert", "pop", "extend")],
    lambda m: [n for n in dir(m.body[2]) if n in ("scale", "running_mean", "num_batches", "scratch", "absent")],
    lambda m: tuple(m.get_parameter("heads.0.weight").shape),
    lambda m: tuple(m.get_buffer("body.2.running_mean").shape),
    lambda m: type(m.get_submodule("extra.a")).__name__,
    lambda m: m.get_submodule("") is m,
    lambda m: m.get_submodule("nothing.x"),
    lambda m: m.get_submodule("body.5"),
    lambda m: m.get_submodule("heads.0.weight"),
    lambda m: m.get_parameter("body.2.running_mean"),
    lambda m: m.get_parameter("body.zz"),
    lambda m: m.get_buffer("body.2.scale"),
    lambda m: m.missing_attribute,
    lambda m: m.nothing,
    lambda m: m.body[2].absent,
    lambda m: type(m.plist[1]).__name__,
    lambda m: sorted(m.state_dict().keys()) == sorted(k for k, _ in m.named_parameters(remove_duplicate=False)),
])
def test_structure_matches_torch(what):
    same(lambda lib: what(net(lib)))


def test_dir_is_a_subset_of_torch():
    public = {n for n in dir(net(chainrule)) if not n.startswith("_")}
    assert public - {n for n in dir(net(torch)) if not n.startswith("_")} == set()


def test_forward_backward_values_match():
    x = _arr((5, 3), 11)
    grads = {}
    for lib in LIBS:
        m = net(lib)
        out = m(lib.tensor(x))
        out.sum().backward()
        grads[lib.__name__] = (out.detach().numpy(), [(n, p.grad.numpy()) for n, p in m.named_parameters()
                                                      if p.grad is not None])
    (co, cg), (to, tg) = grads["chainrule"], grads["torch"]
    np.testing.assert_allclose(co, to, rtol=1e-5, atol=1e-5)
    assert [n for n, _ in cg] == [n for n, _ in tg]
    for (_, a), (_, b) in zip(cg, tg):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


# -- registration errors ------------------------------------------------------------------------
def _bad_init(kind):
    def build(lib):
        nn = lib.nn

        class Bad(nn.Module):
            def __init__(self):
                if kind == "param":
                    self.w = nn.Parameter(lib.ones(1))
                elif kind == "module":
                    self.m = nn.Module()
                elif kind == "buffer":
                    self.register_buffer("b", lib.ones(1))
                elif kind == "register_param":
                    self.register_parameter("w", None)
                else:
                    self.x = 3
        return Bad()
    return build


@pytest.mark.parametrize("kind", ["param", "module", "buffer", "register_param", "plain"])
def test_assign_before_init(kind):
    same(lambda lib: type(_bad_init(kind)(lib)).__name__)


@pytest.mark.parametrize("action", [
    lambda lib, m: lib.nn.Module(3),
    lambda lib, m: lib.nn.Module(a=3),
    lambda lib, m: setattr(m, "weight", lib.ones(2)),
    lambda lib, m: setattr(m, "weight", 3),
    lambda lib, m: setattr(m, "sub", lib.ones(2)),
    lambda lib, m: setattr(m, "sub", 3),
    lambda lib, m: setattr(m, "rm", 3),
    lambda lib, m: m.register_parameter("a.b", None),
    lambda lib, m: m.register_parameter("", None),
    lambda lib, m: m.register_parameter(3, None),
    lambda lib, m: m.register_parameter("training", None),
    lambda lib, m: m.register_parameter("sub", None),
    lambda lib, m: m.register_parameter("x", lib.ones(1)),
    lambda lib, m: m.register_parameter("x", 3),
    lambda lib, m: m.register_parameter("x", m.weight * 2),
    lambda lib, m: m.register_buffer("a.b", None),
    lambda lib, m: m.register_buffer("", None),
    lambda lib, m: m.register_buffer(3, None),
    lambda lib, m: m.register_buffer("weight", None),
    lambda lib, m: m.register_buffer("x", 3),
    lambda lib, m: m.add_module("a.b", None),
    lambda lib, m: m.add_module("", None),
    lambda lib, m: m.add_module(3, None),
    lambda lib, m: m.add_module("weight", None),
    lambda lib, m: m.add_module("x", 3),
    lambda lib, m: m.add_module("x", lib.ones(1)),
    lambda lib, m: m.train(1),
    lambda lib, m: lib.nn.Module()(1),
    lambda lib, m: m.to(lib.int64),
    lambda lib, m: m.to(lib.float64, lib.float32),
    lambda lib, m: m.to(3),
    lambda lib, m: m.load_state_dict([1]),
    lambda lib, m: m.get_submodule("sub.foo"),
    lambda lib, m: m.get_submodule("weight"),
    lambda lib, m: m.get_parameter("training"),
])
def test_errors_match_torch(action):
    def run(lib):
        Lin = make(lib)[0]
        m = Lin(2, 3)
        m.sub = Lin(1, 1)
        m.register_buffer("rm", lib.zeros(3))
        before = [(n, p.detach().numpy().copy()) for n, p in m.state_dict().items()]
        try:
            return action(lib, m)
        finally:  # a failed call leaves the module as it was
            after = [(n, p.detach().numpy()) for n, p in m.state_dict().items()]
            assert [n for n, _ in before] == [n for n, _ in after]
            assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(before, after))
    res = same(run)
    assert res[0] != "ok" or res[1] is None


def test_attribute_reassignment_semantics():
    def run(lib):
        nn = lib.nn
        m = nn.Module()
        log = []
        m.register_buffer("b", None)
        log.append(("b" in m._buffers, m.b))
        m.b = lib.ones(1)
        log.append(list(m._buffers))
        m.c = nn.Buffer(lib.ones(1), persistent=False)
        log.append(sorted(m._non_persistent_buffers_set))
        m.c = lib.zeros(1)  # a plain tensor keeps the buffer's persistence
        log.append(sorted(m._non_persistent_buffers_set))
        m.c = nn.Buffer(lib.ones(1))
        log.append(sorted(m._non_persistent_buffers_set))
        m.p = nn.Parameter(lib.ones(1))
        m.p = None
        log.append((list(m._parameters), m.p))
        del m.p
        log.append(list(m._parameters))
        del m.b
        log.append(list(m._buffers))
        m.x = 1
        m.x = nn.Parameter(lib.ones(1))
        log.append(("x" in m.__dict__, list(m._parameters)))
        m.y = nn.Buffer(lib.ones(1))
        m.y = nn.Module()
        log.append((list(m._buffers), list(m._modules)))
        m.y = None
        log.append((list(m._modules), m.y))
        m.z = nn.Parameter(lib.ones(1))
        m.z = nn.Buffer(lib.ones(2))
        log.append((list(m._parameters), list(m._buffers)))
        log.append(list(m.state_dict()))
        return log
    same(run)


# -- Parameter and Buffer -------------------------------------------------------------------------
@pytest.mark.parametrize("what", [
    lambda lib: repr(lib.nn.Parameter(lib.ones(2))),
    lambda lib: repr(lib.nn.Parameter(lib.ones(2, dtype=lib.float64))),
    lambda lib: repr(lib.nn.Parameter(lib.ones(2), requires_grad=False)),
    lambda lib: repr(lib.nn.Parameter(lib.tensor([1, 2]), requires_grad=False)),
    lambda lib: repr(lib.nn.Parameter()),
    lambda lib: str(lib.nn.Parameter(lib.zeros(2, 2))),
    lambda lib: lib.nn.Parameter(lib.tensor([1, 2])),
    lambda lib: lib.nn.Parameter([1.0]),
    lambda lib: lib.nn.Buffer(3),
    lambda lib: [type(f(lib.nn.Parameter(lib.ones(2, 2)))).__name__ for f in (
        lambda p: p * 2, lambda p: p + 1, lambda p: p.t(), lambda p: p[0], lambda p: p.detach(), lambda p: p.data,
        lambda p: p.clone(), lambda p: p.reshape(4), lambda p: p @ p, lambda p: -p, lambda p: p.sum())],
    lambda lib: isinstance(lib.nn.Parameter(lib.ones(1)), lib.Tensor),
    lambda lib: lib.nn.Parameter(lib.ones(1)).is_leaf,
    lambda lib: isinstance(lib.nn.Buffer(lib.ones(1)), lib.nn.Buffer),
    lambda lib: isinstance(lib.ones(1), lib.nn.Buffer),
    lambda lib: (lib.nn.Buffer(lib.ones(1)).persistent, lib.nn.Buffer(lib.ones(1), persistent=False).persistent),
    lambda lib: lib.nn.Buffer(lib.ones(1, requires_grad=True)).requires_grad,
])
def test_parameter_matches_torch(what):
    same(what)


def test_parameter_shares_data_and_is_a_leaf():
    def run(lib):
        t = lib.ones(2, requires_grad=True)
        y = t * 3
        p = lib.nn.Parameter(y)
        log = [p.is_leaf, p.grad_fn is None, p.requires_grad]
        with lib.no_grad():
            y.add_(1)
        log.append(p.detach().numpy().tolist())
        log.append((p._version, y._version))
        p2 = lib.nn.Parameter(p)
        log.append(type(p2).__name__)
        return log
    same(run)


def test_parameter_deepcopy_and_pickle():
    def run(lib):
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        (p * 2).sum().backward()
        q = copy.deepcopy(p)
        r = pickle.loads(pickle.dumps(p))
        with lib.no_grad():
            p.mul_(10)
        return [type(q).__name__, q.grad, q.requires_grad, q.tolist(), type(r).__name__, r.requires_grad, r.tolist()]
    same(run)


# -- calling and hooks --------------------------------------------------------------------------------
def test_forward_hooks_order_and_results():
    def run(lib):
        Lin = make(lib)[0]
        m = Lin(2, 2)
        log = []
        h1 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre", len(args))))
        m.register_forward_pre_hook(lambda mod, args, kw: log.append(("prekw", sorted(kw))), with_kwargs=True,
                                    prepend=True)
        m.register_forward_hook(lambda mod, args, out: log.append(("fwd", tuple(out.shape))))
        m.register_forward_hook(lambda mod, args, out: out * 2)
        m.register_forward_hook(lambda mod, args, kw, out: log.append(("fwdkw", out.tolist())), with_kwargs=True)
        m.register_forward_hook(lambda mod, args, out: log.append("first"), prepend=True)
        x = lib.ones(1, 2)
        y = m(x)
        log.append(y.tolist())
        h1.remove()
        with h1:
            pass
        m(x)
        m2 = Lin(2, 2)
        m2.register_forward_pre_hook(lambda mod, args: args[0] * 0)
        log.append(m2(x).tolist())
        m2.register_forward_pre_hook(lambda mod, args, kw: ((args[0] + 1,), kw), with_kwargs=True)
        log.append(m2(x).tolist())
        return log
    same(run)


def test_forward_pre_hook_bad_return():
    def run(lib):
        m = make(lib)[0](2, 2)
        m.register_forward_pre_hook(lambda mod, args, kw: 5, with_kwargs=True)
        return m(lib.ones(1, 2))
    assert same(run)[0] == "RuntimeError"


def test_always_call_forward_hook():
    def run(lib):
        nn = lib.nn

        class Boom(nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        m = Boom()
        log = []
        m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
        m.register_forward_hook(lambda mod, args, out: log.append("never"))
        try:
            m(1)
        except ValueError as e:
            log.append(str(e))
        return log
    same(run)


def test_full_backward_hooks():
    def run(lib):
        Lin = make(lib)[0]
        m = Lin(2, 2)
        log = []
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("bpre", [g.tolist() for g in go])))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(
            ("bwd", [None if g is None else g.tolist() for g in gi], [g.tolist() for g in go])))
        x = lib.tensor([[1.0, 2.0]], requires_grad=True)
        (m(x) * lib.tensor([[1.0, 3.0]])).sum().backward()
        log.append(x.grad.tolist())
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m(lib.ones(1, 2)).sum().backward()
        log.append(sorted({str(x.message)[:40] for x in w}))
        m2 = Lin(2, 2)
        m2.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
        x.grad = None
        m2(x).sum().backward()
        log.append(x.grad.tolist())
        m3 = Lin(2, 2)
        m3.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0 + 1,))
        x.grad = None
        (m3(x) * 5).sum().backward()
        log.append(x.grad.tolist())
        return log
    same(run)


# -- state dict -----------------------------------------------------------------------------------------
def test_state_dict_contents():
    def run(lib):
        m = net(lib)
        sd = m.state_dict()
        kv = m.state_dict(keep_vars=True)
        return [type(sd).__name__, sd, [type(v).__name__ for v in kv.values()],
                kv["heads.0.weight"] is m.heads[0].weight, sd["heads.0.weight"].requires_grad,
                np.shares_memory(sd["heads.0.weight"].numpy(), m.heads[0].weight.detach().numpy())]
    same(run)


@pytest.mark.parametrize("load", [
    lambda lib, m, sd: m.load_state_dict(sd),
    lambda lib, m, sd: m.load_state_dict({k: v * 2 for k, v in sd.items()}),
    lambda lib, m, sd: m.load_state_dict({k: v for k, v in sd.items() if "heads" not in k}),
    lambda lib, m, sd: m.load_state_dict({k: v for k, v in sd.items() if "heads" not in k}, strict=False),
    lambda lib, m, sd: m.load_state_dict({**sd, "zz.w": lib.ones(1), "body": lib.ones(1), "body.0.weight.x": 1}),
    lambda lib, m, sd: m.load_state_dict({**sd, "zz.w": lib.ones(1), "nothing": 1}, strict=False),
    lambda lib, m, sd: m.load_state_dict({**sd, "body.0.weight": lib.ones(9)}),
    lambda lib, m, sd: m.load_state_dict({**sd, "body.0.weight": 3}),
    lambda lib, m, sd: m.load_state_dict({"body.2.num_batches": lib.tensor([7])}, strict=False),
    lambda lib, m, sd: m.load_state_dict({"body.2.num_batches": lib.tensor([7, 8])}, strict=False),
    lambda lib, m, sd: m.load_state_dict({"body.2.running_mean": lib.ones(4, dtype=lib.float64) * 2.5}, strict=False),
    lambda lib, m, sd: m.load_state_dict({"body.2.num_batches": lib.tensor(2.7)}, strict=False),
    lambda lib, m, sd: m.load_state_dict({"body.2.scratch": lib.ones(4)}),
])
def test_load_state_dict(load):
    def run(lib):
        m = net(lib)
        params = [p for p in m.parameters()]
        sd = net(lib).state_dict()
        for v in sd.values():
            with lib.no_grad():
                v.add_(1)
        res = load(lib, m, sd)
        # Parameters are copied into, never replaced.
        assert all(a is b for a, b in zip(params, m.parameters()))
        return [repr(res), str(res), res, m.state_dict()]
    same(run)


def test_load_state_dict_assign():
    def run(lib):
        m = net(lib)
        w = m.body[0].weight
        m.body[0].weight.requires_grad_(False)
        new = lib.ones(4, 3) * 7
        res = m.load_state_dict({"body.0.weight": new, "body.2.running_mean": lib.ones(4)}, strict=False, assign=True)
        got = m.body[0].weight
        return [repr(res), type(got).__name__, got is w, got.requires_grad, got.tolist(),
                np.shares_memory(got.detach().numpy(), new.numpy()), m.body[2].running_mean.tolist()]
    same(run)


def test_state_dict_hooks_and_extra_state():
    def run(lib):
        nn = lib.nn
        log = []

        class WithExtra(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(lib.ones(1))

            def get_extra_state(self):
                return {"step": 3}

            def set_extra_state(self, state):
                log.append(("set", state))

        m = WithExtra()
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: log.append(("post", list(sd), prefix, meta)))
        m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, meta, strict, mk, uk, em:
                                            log.append(("lpre", list(sd), prefix, strict)))
        m.register_load_state_dict_post_hook(lambda mod, keys: log.append(("lpost", repr(keys))))
        outer = nn.Sequential(m)
        sd = outer.state_dict(prefix="a.")
        log.append(list(sd.items())[1])
        log.append(repr(outer.load_state_dict(outer.state_dict())))
        try:
            outer.load_state_dict({"0.w": lib.ones(1)})
        except RuntimeError as e:
            log.append(str(e))
        return log
    same(run)


def test_state_dict_positional_args_warn():
    def run(lib):
        m = make(lib)[0](1, 1)
        dest = OrderedDict()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = m.state_dict(dest, "p.")
        return [out is dest, list(dest), [x.category.__name__ for x in w]]
    same(run)


# -- conversions, gradients, modes -------------------------------------------------------------------------
@pytest.mark.parametrize("convert", [
    lambda lib, m: m.double(),
    lambda lib, m: m.half(),
    lambda lib, m: m.double().float(),
    lambda lib, m: m.to(lib.float64),
    lambda lib, m: m.to(dtype=lib.float64),
    lambda lib, m: m.to("cpu", lib.float64),
    lambda lib, m: m.to(lib.ones(1, dtype=lib.float64)),
    lambda lib, m: m.to("cpu"),
    lambda lib, m: m.cpu(),
    lambda lib, m: m.type(lib.float64),
    lambda lib, m: m.share_memory(),
])
def test_dtype_conversion_keeps_parameters(convert):
    def run(lib):
        m = net(lib)
        m(lib.ones(2, 3)).sum().backward()
        params = list(m.parameters())
        rm = m.body[2].running_mean
        out = convert(lib, m)
        return [out is m, all(a is b for a, b in zip(params, m.parameters())),
                [(n, str(p.dtype), type(p).__name__, None if p.grad is None else str(p.grad.dtype))
                 for n, p in m.named_parameters()],
                [(n, str(b.dtype)) for n, b in m.named_buffers()], m.body[2].running_mean is rm]
    same(run)


def test_zero_grad_requires_grad_apply():
    def run(lib):
        m = net(lib)
        log = []
        m(lib.ones(2, 3)).sum().backward()
        m.zero_grad(set_to_none=False)
        log.append([(n, p.grad.abs().sum().item()) for n, p in m.named_parameters() if p.grad is not None])
        m.zero_grad()
        log.append([p.grad for p in m.parameters()])
        log.append(m.requires_grad_(False) is m)
        log.append([p.requires_grad for p in m.parameters()])
        m.requires_grad_()
        log.append(all(p.requires_grad for p in m.parameters()))
        order = []
        log.append(m.apply(lambda mod: order.append(type(mod).__name__)) is m)
        log.append(order)
        return log
    same(run)


def test_deepcopy_module():
    def run(lib):
        m = net(lib)
        c = copy.deepcopy(m)
        with lib.no_grad():
            for p in m.parameters():
                p.add_(1)
        return [repr(c), c.state_dict(), c.tied is c.heads[0], c.tied is m.heads[0],
                [type(p).__name__ for p in c.parameters()], all(p.requires_grad for p in c.parameters())]
    same(run)


# -- containers ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("what", [
    lambda lib, L, A, s: repr(s),
    lambda lib, L, A, s: repr(s[1:]),
    lambda lib, L, A, s: type(s[1:]).__name__,
    lambda lib, L, A, s: repr(s[-1]),
    lambda lib, L, A, s: s[4],
    lambda lib, L, A, s: s[-5],
    lambda lib, L, A, s: s["a"],
    lambda lib, L, A, s: len(s),
    lambda lib, L, A, s: [type(x).__name__ for x in s],
    lambda lib, L, A, s: s(lib.ones(1, 2)).tolist(),
    lambda lib, L, A, s: repr(s + lib.nn.Sequential(A())),
    lambda lib, L, A, s: s + 3,
    lambda lib, L, A, s: repr(s * 2),
    lambda lib, L, A, s: repr(2 * s),
    lambda lib, L, A, s: s * 0,
    lambda lib, L, A, s: s * "a",
    lambda lib, L, A, s: repr(s.append(A())),
    lambda lib, L, A, s: repr(s.insert(1, A())),
    lambda lib, L, A, s: repr(s.insert(-1, A())),
    lambda lib, L, A, s: s.insert(9, A()),
    lambda lib, L, A, s: s.insert(0, 3),
    lambda lib, L, A, s: repr(s.extend([A(), A()])),
    lambda lib, L, A, s: s.extend(3),
    lambda lib, L, A, s: (repr(s.pop(0)), repr(s)),
    lambda lib, L, A, s: (repr(s.pop(slice(1, 3))), repr(s)),
    lambda lib, L, A, s: (s.__delitem__(slice(0, 2)), repr(s))[1],
    lambda lib, L, A, s: (s.__setitem__(-1, A()), repr(s))[1],
    lambda lib, L, A, s: (s.__iadd__(lib.nn.Sequential(A())), repr(s))[1],
    lambda lib, L, A, s: (s.__imul__(2), repr(s))[1],
    lambda lib, L, A, s: repr(lib.nn.Sequential(OrderedDict([("fc", L(1, 1)), ("act", A())]))),
    lambda lib, L, A, s: repr(lib.nn.Sequential(OrderedDict([("fc", L(1, 1)), ("act", A())]))[1:]),
    lambda lib, L, A, s: repr(lib.nn.Sequential()),
    lambda lib, L, A, s: lib.nn.Sequential()(5),
    lambda lib, L, A, s: [n for n in dir(s) if n[0].isdigit()],
])
def test_sequential(what):
    def run(lib):
        Lin, Act = make(lib)[:2]
        s = lib.nn.Sequential(Lin(2, 3), Act(), Act(), Lin(3, 1, seed=4))
        return what(lib, Lin, Act, s)
    same(run)


@pytest.mark.parametrize("what", [
    lambda lib, L, A, ml: repr(ml),
    lambda lib, L, A, ml: repr(lib.nn.ModuleList()),
    lambda lib, L, A, ml: repr(ml[1:3]),
    lambda lib, L, A, ml: type(ml[1:3]).__name__,
    lambda lib, L, A, ml: ml[10],
    lambda lib, L, A, ml: repr(ml[-1]),
    lambda lib, L, A, ml: ml(1),
    lambda lib, L, A, ml: ml.extend(3),
    lambda lib, L, A, ml: ml + 3,
    lambda lib, L, A, ml: repr(ml + [A()]),
    lambda lib, L, A, ml: (ml.insert(0, L(3, 3)), repr(ml))[1],
    lambda lib, L, A, ml: (ml.__delitem__(slice(0, 2)), list(ml._modules))[1],
    lambda lib, L, A, ml: (ml.__delitem__(-2), repr(ml))[1],
    lambda lib, L, A, ml: (repr(ml.pop(1)), repr(ml)),
    lambda lib, L, A, ml: (ml.__setitem__(0, L(5, 5)), repr(ml))[1],
    lambda lib, L, A, ml: repr(ml.append(A())),
    lambda lib, L, A, ml: (ml.__iadd__([A()]), len(ml))[1],
    lambda lib, L, A, ml: [n for n, _ in ml.named_parameters()],
    lambda lib, L, A, ml: repr(lib.nn.Sequential(ml, lib.nn.ModuleList([A()]))),
])
def test_module_list(what):
    def run(lib):
        Lin, Act = make(lib)[:2]
        ml = lib.nn.ModuleList([Act(), Act(), Lin(1, 2), Lin(1, 2), Lin(1, 2), Act()])
        return what(lib, Lin, Act, ml)
    same(run)


@pytest.mark.parametrize("what", [
    lambda lib, L, A, md: repr(md),
    lambda lib, L, A, md: list(md),
    lambda lib, L, A, md: md.update(3),
    lambda lib, L, A, md: md.update([3]),
    lambda lib, L, A, md: md.update([(1, 2, 3)]),
    lambda lib, L, A, md: md["zz"],
    lambda lib, L, A, md: (repr(md.pop("b")), list(md.keys()), "a" in md, len(md)),
    lambda lib, L, A, md: (md.update([("c", A()), ("d", A())]), list(md))[1],
    lambda lib, L, A, md: (md.update(OrderedDict([("z", A()), ("c", A())])), list(md))[1],
    lambda lib, L, A, md: (md.__setitem__("e", A()), repr(md))[1],
    lambda lib, L, A, md: (md.__delitem__("a"), repr(md))[1],
    lambda lib, L, A, md: (md.clear(), repr(md))[1],
    lambda lib, L, A, md: [(k, type(v).__name__) for k, v in md.items()],
    lambda lib, L, A, md: [type(v).__name__ for v in md.values()],
])
def test_module_dict(what):
    def run(lib):
        Lin, Act = make(lib)[:2]
        md = lib.nn.ModuleDict({"b": Act(), "a": Lin(1, 1)})
        return what(lib, Lin, Act, md)
    same(run)


@pytest.mark.parametrize("what", [
    lambda lib, pl: repr(pl),
    lambda lib, pl: [type(x).__name__ for x in pl],
    lambda lib, pl: [(n, tuple(p.shape)) for n, p in pl.named_parameters()],
    lambda lib, pl: pl(1),
    lambda lib, pl: pl.extend(lib.ones(2)),
    lambda lib, pl: pl[8],
    lambda lib, pl: repr(pl[1:3]),
    lambda lib, pl: repr(pl[-1]),
    lambda lib, pl: (pl.append(lib.ones(1)), repr(pl))[1],
    lambda lib, pl: (pl.__setitem__(2, lib.ones(3)), repr(pl), len(pl))[1:],
    lambda lib, pl: (pl.__iadd__([lib.zeros(1)]), len(pl))[1],
    lambda lib, pl: repr(lib.nn.ParameterList()),
    lambda lib, pl: repr(lib.nn.Sequential(lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2))]))),
    lambda lib, pl: pl.state_dict(),
])
def test_parameter_list(what):
    def run(lib):
        nn = lib.nn
        pl = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(2, dtype=lib.float64), 3, "x"])
        return what(lib, pl)
    same(run)


@pytest.mark.parametrize("what", [
    lambda lib, pd: repr(pd),
    lambda lib, pd: list(pd),
    lambda lib, pd: pd[3],
    lambda lib, pd: pd(1),
    lambda lib, pd: pd.update(3),
    lambda lib, pd: pd.update([3]),
    lambda lib, pd: pd.update([(1, 2, 3)]),
    lambda lib, pd: pd["zz"],
    lambda lib, pd: (pd.popitem(), list(pd)),
    lambda lib, pd: (pd.pop("a"), list(pd)),
    lambda lib, pd: (pd.setdefault("n", lib.ones(1)), list(pd)),
    lambda lib, pd: (pd.get("zz", 5), pd.get("c")),
    lambda lib, pd: ("a" in pd, "zz" in pd, len(pd), list(reversed(pd))),
    lambda lib, pd: (pd.update([("q", lib.ones(1)), ("p", 2)]), list(pd))[1],
    lambda lib, pd: (pd.update(OrderedDict([("z", lib.ones(1)), ("d", 2)])), list(pd))[1],
    lambda lib, pd: [type(v).__name__ for v in pd.values()],
    lambda lib, pd: [(k, type(v).__name__) for k, v in pd.items()],
    lambda lib, pd: repr(pd.copy()),
    lambda lib, pd: (pd.clear(), repr(pd))[1],
    lambda lib, pd: repr(lib.nn.ParameterDict()),
    lambda lib, pd: list(pd.state_dict()),
    lambda lib, pd: list(pd | {"zz": lib.ones(1)}),
])
def test_parameter_dict(what):
    def run(lib):
        nn = lib.nn
        pd = nn.ParameterDict({"b": lib.ones(2), "a": nn.Parameter(lib.zeros(1, 2)), "c": 5})
        return what(lib, pd)
    same(run)


def test_module_call_fast_path_and_global_hooks():
    """A global forward hook sees every module call; removing it restores the plain path."""
    def run(lib):
        mod = lib.nn.modules.module
        log = []
        h = mod.register_module_forward_hook(lambda m, args, out: log.append(type(m).__name__))
        try:
            net(lib)(lib.ones(1, 3))
        finally:
            h.remove()
        net(lib)(lib.ones(1, 3))
        return log
    same(run)


@pytest.mark.parametrize("action", [
    lambda lib, s: s.set_submodule("1.0", lib.nn.Sequential()),
    lambda lib, s: s.set_submodule("1.5", lib.nn.Sequential()),
    lambda lib, s: s.set_submodule("1.6", lib.nn.Sequential(), strict=True),
    lambda lib, s: s.set_submodule("", lib.nn.Sequential()),
    lambda lib, s: s.set_submodule("w", lib.nn.Sequential()),
    lambda lib, s: s.set_submodule("0", 3),
    lambda lib, s: s.set_submodule("x.y", lib.nn.Sequential()),
    lambda lib, s: s.register_module("q", lib.nn.Sequential()),
    lambda lib, s: s.to_empty(device="cpu") is s,
])
def test_set_submodule_and_friends(action):
    def run(lib):
        s = lib.nn.Sequential(lib.nn.Sequential(), lib.nn.Sequential(lib.nn.Sequential()))
        s.w = lib.nn.Parameter(lib.ones(1))
        return action(lib, s), repr(s), [(n, tuple(p.shape)) for n, p in s.named_parameters()]
    same(run)
