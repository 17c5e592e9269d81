"""RNN, LSTM, GRU and the cells against torch.

Every module is built under both libraries after the same ``manual_seed``: the initial
parameters must be bit-identical, the names, shapes and reprs equal. Forward values and all
gradients (input, initial states, every parameter) are compared in float64 to 1e-10 after
copying torch's state_dict into chainrule's module, and loosely in float32.
"""
import threading
import warnings

import numpy as np
import pytest
import torch

import chainrule
from chainrule.nn.modules import rnn as crnn



@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch's threaded RNN kernels crawl on a loaded 2-core machine; one thread is faster here."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def build(make):
    """``make(ns)`` under both libraries after the same seed; check names, shapes, init and repr."""
    torch.manual_seed(0)
    mt = make(torch.nn)
    chainrule.manual_seed(0)
    mc = make(crnn)
    nt = [(n, tuple(p.shape)) for n, p in mt.named_parameters()]
    nc = [(n, tuple(p.shape)) for n, p in mc.named_parameters()]
    assert nt == nc
    assert list(mt.state_dict()) == list(mc.state_dict())
    for (name, pt), pc in zip(mt.named_parameters(), mc.parameters()):
        assert pc.dtype == chainrule.float32
        assert np.array_equal(pt.detach().numpy(), pc.detach().numpy()), f"init of {name} differs"
    assert repr(mt) == repr(mc)
    return mt, mc


def copy_state(mt, mc, dtype):
    """Load torch's parameters into chainrule's module (through numpy), both cast to ``dtype``."""
    mt.to(dtype)
    sd = {k: chainrule.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()}
    mc.load_state_dict(sd)
    mc.to(chainrule.float64 if dtype == torch.float64 else chainrule.float32)


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def compare(mt, mc, arrays, call, dtype=torch.float64, tol=1e-10, requires_grad=True):
    """Run ``call(module, *tensors)`` under both; compare outputs and every gradient."""
    copy_state(mt, mc, dtype)
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    results = []
    for lib, m in ((torch, mt), (chainrule, mc)):
        ts = [None if a is None else lib.tensor(a.astype(np_dtype), requires_grad=requires_grad) for a in arrays]
        outs = _flat(call(m, *ts))
        rng = np.random.default_rng(1)
        loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)).astype(np_dtype))).sum() for o in outs)
        loss.backward()
        grads = [t.grad for t in ts if t is not None and requires_grad] + [p.grad for p in m.parameters()]
        results.append((outs, grads))
    (ot, gt), (oc, gc) = results
    assert len(ot) == len(oc)
    for a, b in zip(ot, oc):
        assert tuple(a.shape) == tuple(b.shape)
        assert str(b.dtype).split(".")[-1] == str(a.dtype).split(".")[-1]
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=tol, rtol=tol)
    for a, b in zip(gt, gc):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b.numpy(), a.numpy(), atol=tol, rtol=tol)


RNN_CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"num_layers": 2, "bidirectional": True, "bias": False}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True, "bias": False}),
    ("GRU", {}),
    ("GRU", {"num_layers": 3, "bidirectional": True}),
    ("GRU", {"num_layers": 2, "bias": False}),
]


def _states(cls, kw, batch, hidden=5):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    out = kw.get("proj_size", 0) or hidden
    rng = np.random.default_rng(3)
    shape_h = (layers, batch, out) if batch else (layers, out)
    shape_c = (layers, batch, hidden) if batch else (layers, hidden)
    h = rng.standard_normal(shape_h)
    return [h, rng.standard_normal(shape_c)] if cls == "LSTM" else [h]


def _call_with_state(cls):
    if cls == "LSTM":
        return lambda m, x, h, c: m(x, (h, c))
    return lambda m, x, h: m(x, h)


@pytest.mark.parametrize("cls,kw", RNN_CONFIGS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_rnn_float64_matches_torch(cls, kw, batch_first):
    mt, mc = build(lambda nn: getattr(nn, cls)(4, 5, batch_first=batch_first, **kw))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 4) if batch_first else (6, 2, 4))
    compare(mt, mc, [x], lambda m, x: m(x))
    compare(mt, mc, [x] + _states(cls, kw, 2), _call_with_state(cls))


@pytest.mark.parametrize("cls,kw", RNN_CONFIGS[::2])
def test_rnn_unbatched(cls, kw):
    for batch_first in (False, True):
        mt, mc = build(lambda nn: getattr(nn, cls)(4, 5, batch_first=batch_first, **kw))
        x = np.random.default_rng(0).standard_normal((5, 4))
        compare(mt, mc, [x], lambda m, x: m(x))
        compare(mt, mc, [x] + _states(cls, kw, 0), _call_with_state(cls))


@pytest.mark.parametrize("cls,kw", [RNN_CONFIGS[1], RNN_CONFIGS[4], RNN_CONFIGS[8]])
def test_rnn_float32_matches_torch(cls, kw):
    mt, mc = build(lambda nn: getattr(nn, cls)(4, 5, **kw))
    x = np.random.default_rng(0).standard_normal((6, 3, 4))
    compare(mt, mc, [x], lambda m, x: m(x), dtype=torch.float32, tol=1e-5)


def test_rnn_output_shapes_and_dtypes():
    m = crnn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3, batch_first=True)
    out, (h, c) = m(chainrule.randn(2, 7, 4))
    assert tuple(out.shape) == (2, 7, 6) and tuple(h.shape) == (4, 2, 3) and tuple(c.shape) == (4, 2, 6)
    assert out.dtype == chainrule.float32
    g = crnn.GRU(4, 6).double()
    out, h = g(chainrule.randn(7, 4, dtype=chainrule.float64))
    assert tuple(out.shape) == (7, 6) and tuple(h.shape) == (1, 6) and out.dtype == chainrule.float64
    # a zero batch is allowed, as in torch
    out, h = crnn.RNN(4, 6)(chainrule.randn(3, 0, 4))
    assert tuple(out.shape) == (3, 0, 6) and tuple(h.shape) == (1, 0, 6)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_matches_torch_seeded(cls):
    mt, mc = build(lambda nn: getattr(nn, cls)(4, 5, num_layers=3, dropout=0.4, bidirectional=cls == "GRU"))
    copy_state(mt, mc, torch.float64)
    x = np.random.default_rng(0).standard_normal((5, 2, 4))
    torch.manual_seed(7)
    ot = mt(torch.tensor(x))[0]
    chainrule.manual_seed(7)
    oc = mc(chainrule.tensor(x))[0]
    np.testing.assert_allclose(oc.detach().numpy(), ot.detach().numpy(), atol=1e-12)
    # eval mode: no dropout, deterministic
    mt.eval()
    mc.eval()
    np.testing.assert_allclose(mc(chainrule.tensor(x))[0].detach().numpy(), mt(torch.tensor(x))[0].detach().numpy(),
                               atol=1e-12)


def test_second_order_gradients_match_torch():
    mt, mc = build(lambda nn: nn.GRU(3, 4, num_layers=2))
    copy_state(mt, mc, torch.float64)
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    res = []
    for lib, m in ((torch, mt), (chainrule, mc)):
        xt = lib.tensor(x, requires_grad=True)
        out, h = m(xt)
        (gx,) = lib.autograd.grad((out ** 2).sum() + h.sum(), xt, create_graph=True)
        (gx ** 2).sum().backward()
        res.append([xt.grad] + [p.grad for p in m.parameters()])
    for a, b in zip(*res):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-10)


@pytest.mark.parametrize("kw", [{}, {"bias": False}, {"proj_size": 2, "bidirectional": True}])
def test_lstm_second_order_gradients_match_torch(kw):
    """create_graph=True goes through the LSTM node's graph-building backward (projection included)."""
    mt, mc = build(lambda nn: nn.LSTM(3, 4, num_layers=2, **kw))
    copy_state(mt, mc, torch.float64)
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    res = []
    for lib, m in ((torch, mt), (chainrule, mc)):
        xt = lib.tensor(x, requires_grad=True)
        out, (h, c) = m(xt)
        (gx,) = lib.autograd.grad((out ** 2).sum() + h.sum() + (c ** 2).sum(), xt, create_graph=True)
        (gx ** 2).sum().backward()
        res.append([xt.grad] + [p.grad for p in m.parameters()])
    for a, b in zip(*res):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-10)


# Sizes where the LSTM node cuts its per-step GEMMs into row blocks (batch 32 or 64, hidden 128: the
# benchmark's shapes) and projects the input one step at a time (batch >= 16).
@pytest.mark.parametrize("batch,kw", [(32, {}), (64, {"bidirectional": True}), (32, {"proj_size": 100}),
                                      (20, {"num_layers": 2, "bias": False})])
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_lstm_benchmark_sizes_match_torch(batch, kw):
    mt, mc = build(lambda nn: nn.LSTM(6, 128, batch_first=True, **kw))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, 6))
    compare(mt, mc, [x], lambda m, x: m(x))
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h = rng.standard_normal((layers, batch, kw.get("proj_size", 128)))
    c = rng.standard_normal((layers, batch, 128))
    compare(mt, mc, [x, h, c], lambda m, x, h, c: m(x, (h, c)))
    compare(mt, mc, [x], lambda m, x: m(x), dtype=torch.float32, tol=2e-5)


@pytest.fixture
def threads():
    """Set chainrule's intra-op threads for one test; list the threads the LSTM node's jobs ran on."""
    from chainrule.nn._functional import rnn_cells as rc
    before = chainrule.get_num_threads()
    jobs = []
    real = rc.background

    def counting(fn, *args):
        return real(lambda: (jobs.append(threading.current_thread()), fn(*args)))

    rc.background = counting
    yield jobs
    rc.background = real
    chainrule.set_num_threads(before)


# Long enough that the LSTM node computes its input projection and its weight gradients in chunks on
# the background thread while its time loops run (batch >= 16, several chunks of steps).
@pytest.mark.parametrize("n_threads", [2, 1])
@pytest.mark.parametrize("kw,grad_x", [({}, True), ({"bidirectional": True}, True), ({"bias": False}, False)])
def test_lstm_background_chunks_match_torch(threads, n_threads, kw, grad_x):
    chainrule.set_num_threads(n_threads)
    mt, mc = build(lambda nn: nn.LSTM(7, 64, batch_first=True, **kw))
    x = np.random.default_rng(0).standard_normal((32, 23, 7))
    compare(mt, mc, [x], lambda m, x: m(x), requires_grad=grad_x)
    elsewhere = [t for t in threads if t is not threading.current_thread()]
    if chainrule.get_num_threads() > 1:  # the forward projects ahead and backward chunks its GEMMs
        assert len(elsewhere) > 4 * (2 if kw.get("bidirectional") else 1)
    else:
        assert threads and not elsewhere


def test_chunk_ends_shrink_towards_the_end():
    from chainrule.nn._functional import rnn_cells as rc
    for L in (1, 2, 3, 7, 50, 200):
        for N in (0, 1, 16, 32, 64, 256, 1000):
            ends = rc._chunk_ends(L, N)
            assert ends[-1] == L and all(b > a for a, b in zip([0] + ends, ends))
            sizes = np.diff([0] + ends)
            assert all(b <= a for a, b in zip(sizes[1:], sizes[2:]))  # after the first, never growing
    assert rc._chunk_ends(50, 32) == [10, 22, 34, 42, 47, 50]  # the lstm benchmark: 3 steps left after the loop


def test_row_blocks_keep_each_gemm_small():
    from chainrule.nn._functional import rnn_cells as rc
    for n in (0, 1, 3, 8, 16, 20, 32, 64, 96, 1000):
        for cols in (16, 128 * 128, 512 * 128, 512 * 512, 2048 * 2048):
            k = rc._row_blocks(n, cols)
            assert 1 <= k <= 8 and n % k == 0
            if k > 1:
                assert n // k * cols <= rc._SMALL_GEMM < n * cols
    assert rc._row_blocks(32, 512 * 128) == 4  # the benchmark's backward step: 4 blocks of 8 rows
    assert rc._row_blocks(32, 128 * 128) == 1  # its forward, one gate at a time: small already


def test_lstm_two_forwards_then_one_backward_match_torch():
    """The node reuses scratch buffers from call to call: nothing of one call may leak into another."""
    mt, mc = build(lambda nn: nn.LSTM(5, 128, bidirectional=True))
    copy_state(mt, mc, torch.float64)
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((4, 32, 5)), rng.standard_normal((3, 20, 5))]
    res = []
    for lib, m in ((torch, mt), (chainrule, mc)):
        ts = [lib.tensor(x, requires_grad=True) for x in xs]
        outs = [m(t)[0] for t in ts]
        (outs[0].sum() + (outs[1] ** 2).sum()).backward()
        res.append([o.detach() for o in outs] + [t.grad for t in ts] + [p.grad for p in m.parameters()])
    for a, b in zip(*res):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-10, rtol=1e-10)


def test_scratch_arrays_are_reused_per_slot_and_capped():
    from chainrule.nn._functional import rnn_cells as rc
    a = rc._scratch_array("test_slot", (3, 4), np.dtype(np.float64))
    b = rc._scratch_array("test_slot", (2, 5), np.dtype(np.float32))
    assert a.shape == (3, 4) and a.dtype == np.float64 and b.shape == (2, 5) and b.dtype == np.float32
    assert np.shares_memory(a, b)
    assert not np.shares_memory(a, rc._scratch_array("other_slot", (3, 4), np.dtype(np.float64)))
    big = rc._scratch_array("test_slot", (rc._SCRATCH_MAX // 8 + 1,), np.dtype(np.float64))
    assert not np.shares_memory(big, rc._scratch_array("test_slot", (3,), np.dtype(np.float64)))


def test_lstm_zero_batch_backward():
    m = crnn.LSTM(3, 4)
    x = chainrule.zeros(5, 0, 3, requires_grad=True)
    out, (h, c) = m(x)
    assert tuple(out.shape) == (5, 0, 4) and tuple(h.shape) == (1, 0, 4) and tuple(c.shape) == (1, 0, 4)
    (out.sum() + h.sum() + c.sum()).backward()
    assert tuple(x.grad.shape) == (5, 0, 3)
    assert all(float(p.grad.abs().sum()) == 0 for p in m.parameters())


CELL_CONFIGS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}), ("LSTMCell", {}),
                ("LSTMCell", {"bias": False}), ("GRUCell", {}), ("GRUCell", {"bias": False})]


@pytest.mark.parametrize("cls,kw", CELL_CONFIGS)
def test_cells_match_torch(cls, kw):
    mt, mc = build(lambda nn: getattr(nn, cls)(4, 5, **kw))
    rng = np.random.default_rng(0)
    lstm = cls == "LSTMCell"
    for batch in ((3,), ()):
        x = rng.standard_normal(batch + (4,))
        hs = [rng.standard_normal(batch + (5,)) for _ in range(2 if lstm else 1)]
        compare(mt, mc, [x], lambda m, x: m(x))
        if lstm:
            compare(mt, mc, [x] + hs, lambda m, x, h, c: m(x, (h, c)))
        else:
            compare(mt, mc, [x] + hs, lambda m, x, h: m(x, h))
    compare(mt, mc, [rng.standard_normal((3, 4))], lambda m, x: m(x), dtype=torch.float32, tol=1e-5)


def test_weight_bookkeeping_matches_torch():
    mt, mc = build(lambda nn: nn.LSTM(3, 4, 2, proj_size=2, bidirectional=True))
    assert mt._flat_weights_names == mc._flat_weights_names
    assert mt._all_weights == mc._all_weights
    assert [[tuple(w.shape) for w in ws] for ws in mt.all_weights] == \
           [[tuple(w.shape) for w in ws] for ws in mc.all_weights]
    mc.flatten_parameters()
    for attr in ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                 "bidirectional", "proj_size"):
        assert getattr(mt, attr) == getattr(mc, attr)
    assert build(lambda nn: nn.RNN(3, 4, nonlinearity="relu"))[1].mode == "RNN_RELU"
    assert crnn.RNN(3, 4, 1, "relu").nonlinearity == "relu"
    # dtype= builds float64 parameters, reset_parameters redraws
    m = crnn.GRU(3, 4, dtype=chainrule.float64)
    assert m.weight_ih_l0.dtype == chainrule.float64
    before = m.weight_hh_l0.detach().clone()
    m.reset_parameters()
    assert not np.array_equal(before.numpy(), m.weight_hh_l0.detach().numpy())
    assert np.abs(m.weight_hh_l0.detach().numpy()).max() <= 0.5


REPRS = [lambda nn: nn.RNN(3, 4, 2, "relu", dropout=0.5, bidirectional=True, batch_first=True, bias=False),
         lambda nn: nn.LSTM(3, 4, proj_size=2), lambda nn: nn.GRU(3, 4),
         lambda nn: nn.RNNCell(3, 4, nonlinearity="relu", bias=False), lambda nn: nn.LSTMCell(3, 4),
         lambda nn: nn.GRUCell(3, 4)]


@pytest.mark.parametrize("make", REPRS)
def test_repr(make):
    torch.manual_seed(0)
    chainrule.manual_seed(0)
    assert repr(make(crnn)) == repr(make(torch.nn))


def outcome(fn, ns):
    try:
        fn(ns)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).replace("chainrule", "torch")
    return "ok", None


CTOR_ERRORS = [
    lambda nn: nn.RNN(3, 4.0), lambda nn: nn.RNN(3, 0), lambda nn: nn.RNN(3, 4, 0),
    lambda nn: nn.RNN(3, 4, dropout=2), lambda nn: nn.RNN(3, 4, dropout=True),
    lambda nn: nn.RNN(3, 4, nonlinearity="sigmoid"), lambda nn: nn.RNN(3, 4, proj_size=2),
    lambda nn: nn.GRU(3, 4, proj_size=2), lambda nn: nn.LSTM(3, 4, proj_size=4),
    lambda nn: nn.LSTM(3, 4, proj_size=-1), lambda nn: nn.LSTM(3.0, 4.0), lambda nn: nn.LSTM(-3, 4),
    lambda nn: nn.LSTM(3.0, 4, dropout=3), lambda nn: nn.LSTM(3, 4, 1.5),
]


@pytest.mark.parametrize("fn", CTOR_ERRORS)
def test_constructor_errors(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = outcome(fn, torch.nn)
        got = outcome(fn, crnn)
    assert want[0] != "ok"
    assert got == want


def _input(ns, *shape, dtype=None):
    lib = torch if ns is torch.nn else chainrule
    return lib.zeros(*shape) if dtype is None else lib.zeros(*shape, dtype=getattr(lib, dtype))


FORWARD_ERRORS = [
    ("LSTM", lambda m, z: m(z(2, 3, 5))),
    ("LSTM", lambda m, z: m(z(2, 3, 3, 1))),
    ("LSTM", lambda m, z: m(z(2, 3, 3, dtype="float64"))),
    ("LSTM", lambda m, z: m(z(2, 3, 3), (z(2, 3, 4), z(2, 4)))),
    ("LSTM", lambda m, z: m(z(2, 3), (z(2, 3, 4), z(2, 4)))),
    ("LSTM", lambda m, z: m(z(2, 3, 3), (z(2, 2, 4), z(2, 3, 4)))),
    ("LSTM", lambda m, z: m(z(2, 3, 3), (z(2, 3, 4), z(2, 3, 5)))),
    ("LSTM", lambda m, z: m(z(0, 3, 3))),
    ("GRU", lambda m, z: m(z(2, 3, 3, 1))),
    ("GRU", lambda m, z: m(z(2, 3, 3), z(1, 4))),
    ("GRU", lambda m, z: m(z(2, 3), z(1, 1, 4))),
    ("GRU", lambda m, z: m(z(2, 3, 3), z(2, 2, 4))),
    ("RNN", lambda m, z: m(z(2))),
    ("RNN", lambda m, z: m(z(2, 3, 4))),
    ("RNN", lambda m, z: m(z(2, 3, 3, dtype="int64"))),
    ("RNNCell", lambda m, z: m(z(2, 3, 3))),
    ("RNNCell", lambda m, z: m(z(2, 5))),
    ("RNNCell", lambda m, z: m(z(2, 3), z(3, 4))),
    ("RNNCell", lambda m, z: m(z(2, 3), z(2, 5))),
    ("RNNCell", lambda m, z: m(z(2, 3), z(2, 2, 5))),
    ("RNNCell", lambda m, z: m(z(3), z(2, 4))),
    ("RNNCell", lambda m, z: m(z(2, 3), z(4))),
    ("RNNCell", lambda m, z: m(z(2, 3, dtype="float64"))),
    ("LSTMCell", lambda m, z: m(z(2, 3, 3))),
    ("LSTMCell", lambda m, z: m(z(2, 3), (z(2, 4), z(2, 4, 1)))),
    ("LSTMCell", lambda m, z: m(z(2, 3), (z(2, 4), z(3, 4)))),
    ("LSTMCell", lambda m, z: m(z(2, 5))),
    ("GRUCell", lambda m, z: m(z(2, 3, 3))),
    ("GRUCell", lambda m, z: m(z(2, 3), z(2, 2, 2))),
    ("GRUCell", lambda m, z: m(z(2, 5))),
]


@pytest.mark.parametrize("cls,call", FORWARD_ERRORS)
def test_forward_errors(cls, call):
    def run(ns):
        m = getattr(ns, cls)(3, 4, 2) if not cls.endswith("Cell") else getattr(ns, cls)(3, 4)
        call(m, lambda *s, **k: _input(ns, *s, **k))
    want = outcome(run, torch.nn)
    assert want[0] != "ok"
    assert outcome(run, crnn) == want


def test_unknown_cell_nonlinearity_raises_at_forward():
    cell = crnn.RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: sigmoid"):
        cell(chainrule.zeros(2, 3))


def test_single_layer_dropout_warns_like_torch():
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        torch.nn.LSTM(3, 4, dropout=0.5)
    with warnings.catch_warnings(record=True) as wc:
        warnings.simplefilter("always")
        crnn.LSTM(3, 4, dropout=0.5)
    assert [(w.category, str(w.message)) for w in wc] == [(w.category, str(w.message)) for w in wt]
    assert len(wc) == 1
