"""MultiheadAttention and the Transformer modules against torch.

Each module is built under both libraries after the same ``manual_seed``: initial parameters
must be bit-identical, names/shapes/reprs equal. Outputs, attention weights and every gradient
are compared in float64 to 1e-10 after copying torch's state_dict into chainrule's module, and
loosely in float32; dropout in training mode draws the same masks from the same seed.
"""
import re
import types
import warnings

import numpy as np
import pytest
import torch

import chainrule
from chainrule.nn.modules import activation_attention, transformer

# chainrule's namespace for these tests (the modules are not exported from chainrule.nn yet)
CNN = types.SimpleNamespace(
    MultiheadAttention=activation_attention.MultiheadAttention, LayerNorm=transformer.LayerNorm,
    TransformerEncoderLayer=transformer.TransformerEncoderLayer, TransformerEncoder=transformer.TransformerEncoder,
    TransformerDecoderLayer=transformer.TransformerDecoderLayer, TransformerDecoder=transformer.TransformerDecoder,
    Transformer=transformer.Transformer)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# chainrule's LayerNorm (owned by another module) may still print without torch 2.13's ", bias=...";
# while it does, LayerNorm lines are compared without that field (strict again once it is fixed).
_LN_REPR_GAP = repr(transformer.LayerNorm(8)) != repr(torch.nn.LayerNorm(8))


def _repr(m):
    if not _LN_REPR_GAP:
        return repr(m)
    return "\n".join(re.sub(r", bias=(True|False)\)$", ")", line) if "LayerNorm(" in line else line
                     for line in repr(m).split("\n"))


def build(make):
    """``make(nn, lib)`` under both libraries after the same seed; check names, shapes, init and repr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        mt = make(torch.nn, torch)
        chainrule.manual_seed(0)
        mc = make(CNN, chainrule)
    nt = [(n, tuple(p.shape)) for n, p in mt.named_parameters()]
    nc = [(n, tuple(p.shape)) for n, p in mc.named_parameters()]
    assert nt == nc
    assert list(mt.state_dict()) == list(mc.state_dict())
    for (name, pt), pc in zip(mt.named_parameters(), mc.parameters()):
        assert np.array_equal(pt.detach().numpy(), pc.detach().numpy()), f"init of {name} differs"
    assert _repr(mt) == _repr(mc)
    return mt, mc


def copy_state(mt, mc, dtype):
    mt.to(dtype)
    mc.load_state_dict({k: chainrule.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()})
    mc.to(chainrule.float64 if dtype == torch.float64 else chainrule.float32)


def _lib_value(lib, v, np_dtype):
    if isinstance(v, np.ndarray):
        return lib.tensor(v.astype(np_dtype) if v.dtype.kind == "f" else v)
    return v


def compare(mt, mc, arrays, kwargs=None, call=None, dtype=torch.float64, tol=1e-10, same_input=False,
            grad=True):
    """Run both modules on the same inputs; compare every float output and every gradient."""
    copy_state(mt, mc, dtype)
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    kwargs = kwargs or {}
    call = call or (lambda m, *xs, **kw: m(*xs, **kw))
    results = []
    for lib, m in ((torch, mt), (chainrule, mc)):
        ts = [lib.tensor(a.astype(np_dtype), requires_grad=grad) for a in arrays]
        if same_input:  # self-attention: query is key is value
            ts = [ts[0]] * 3
        kw = {k: _lib_value(lib, v, np_dtype) for k, v in kwargs.items()}
        with warnings.catch_warnings(), lib.set_grad_enabled(grad):
            warnings.simplefilter("ignore")
            out = call(m, *ts, **kw)
        outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]
        grads = []
        if grad:
            rng = np.random.default_rng(1)
            loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)).astype(np_dtype))).sum() for o in outs)
            loss.backward()
            grads = [t.grad for t in ts[:1 if same_input else None]] + [p.grad for p in m.parameters()]
        results.append((outs, grads, out))
    (ot, gt, rt), (oc, gc, rc) = results
    if isinstance(rt, tuple):
        assert [o is None for o in rt] == [o is None for o in rc]
    assert len(ot) == len(oc)
    for a, b in zip(ot, oc):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=tol, rtol=tol)
    for a, b in zip(gt, gc):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b.numpy(), a.numpy(), atol=tol, rtol=tol)
    return oc


RNG = np.random.default_rng(0)
KPM = np.array([[False, False, True, False], [False, True, True, False]])
AM = np.triu(np.full((3, 4), -np.inf), 2)
AM_BOOL = np.triu(np.ones((3, 4), bool), 2)
AM_3D = RNG.standard_normal((4, 3, 4))
CAUSAL3 = np.triu(np.full((3, 3), -np.inf), 1)

MHA_CASES = [
    ({}, {}),
    ({}, {"need_weights": False}),
    ({}, {"average_attn_weights": False}),
    ({"batch_first": True}, {}),
    ({"batch_first": True}, {"need_weights": False, "key_padding_mask": KPM}),
    ({}, {"key_padding_mask": KPM}),
    ({}, {"key_padding_mask": KPM, "attn_mask": AM}),
    ({}, {"key_padding_mask": KPM, "attn_mask": AM, "need_weights": False}),
    ({}, {"attn_mask": AM_BOOL, "average_attn_weights": False}),
    ({}, {"attn_mask": AM_BOOL, "key_padding_mask": KPM, "need_weights": False}),
    ({}, {"attn_mask": AM_3D}),
    ({}, {"attn_mask": AM_3D, "need_weights": False}),
    ({"kdim": 3, "vdim": 5}, {"key_padding_mask": KPM}),
    ({"kdim": 3, "vdim": 5, "batch_first": True}, {"need_weights": False}),
    ({"add_bias_kv": True}, {}),
    ({"add_zero_attn": True}, {"need_weights": False}),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"key_padding_mask": KPM, "attn_mask": AM}),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"key_padding_mask": KPM, "attn_mask": AM, "need_weights": False}),
    ({"bias": False}, {}),
    ({"bias": False, "kdim": 3}, {"need_weights": False}),
]


def _mha_inputs(kw, L=3, S=4, N=2, E=8, unbatched=False):
    kd, vd = kw.get("kdim", E), kw.get("vdim", E)

    def shape(n, d):
        if unbatched:
            return (n, d)
        return (N, n, d) if kw.get("batch_first") else (n, N, d)
    rng = np.random.default_rng(2)
    return [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kd)), rng.standard_normal(shape(S, vd))]


@pytest.mark.parametrize("kw,fkw", MHA_CASES)
def test_mha_float64_matches_torch(kw, fkw):
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 2, **kw))
    compare(mt, mc, _mha_inputs(kw), fkw)


@pytest.mark.parametrize("fkw", [{}, {"need_weights": False},
                                 {"attn_mask": CAUSAL3, "is_causal": True, "need_weights": False},
                                 {"attn_mask": CAUSAL3, "is_causal": True}])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention(fkw, batch_first):
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 4, batch_first=batch_first))
    x = np.random.default_rng(3).standard_normal((2, 3, 8) if batch_first else (3, 2, 8))
    compare(mt, mc, [x], fkw, same_input=True)


@pytest.mark.parametrize("fkw", [{}, {"need_weights": False, "key_padding_mask": KPM[0]},
                                 {"attn_mask": RNG.standard_normal((2, 3, 4)), "average_attn_weights": False}])
def test_mha_unbatched(fkw):
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 2))
    compare(mt, mc, _mha_inputs({}, unbatched=True), fkw)


def test_mha_float32_and_eval():
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 2, dropout=0.5, kdim=3))
    mt.eval()
    mc.eval()
    compare(mt, mc, _mha_inputs({"kdim": 3}), {"key_padding_mask": KPM}, dtype=torch.float32, tol=2e-5)
    compare(mt, mc, _mha_inputs({"kdim": 3}), {"need_weights": False}, dtype=torch.float32, tol=2e-5)


def test_mha_fully_masked_rows_follow_torch():
    # need_weights: softmax of all -inf is nan in both; the attention kernel path gives zeros in both
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 2))
    kpm = np.array([[True, True, True, True], [False, True, False, False]])
    for need in (True, False):
        copy_state(mt, mc, torch.float64)
        args = _mha_inputs({})
        ot = mt(*[torch.tensor(a) for a in args], key_padding_mask=torch.tensor(kpm), need_weights=need)[0]
        oc = mc(*[chainrule.tensor(a) for a in args], key_padding_mask=chainrule.tensor(kpm), need_weights=need)[0]
        np.testing.assert_allclose(oc.detach().numpy(), ot.detach().numpy(), atol=1e-12)
        assert np.isnan(oc.detach().numpy()).any() == need


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_dropout_matches_torch_seeded(need_weights):
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 2, dropout=0.3))
    copy_state(mt, mc, torch.float64)
    args = _mha_inputs({})
    torch.manual_seed(4)
    ot = mt(*[torch.tensor(a) for a in args], need_weights=need_weights)
    chainrule.manual_seed(4)
    oc = mc(*[chainrule.tensor(a) for a in args], need_weights=need_weights)
    for a, b in zip(ot, oc):
        if a is not None:
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=1e-12)


def test_mha_attributes_and_init():
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True,
                                                         batch_first=True))
    for attr in ("embed_dim", "kdim", "vdim", "_qkv_same_embed_dim", "num_heads", "dropout", "batch_first",
                 "head_dim", "add_zero_attn"):
        assert getattr(mt, attr) == getattr(mc, attr)
    assert mc.in_proj_weight is None and mt.in_proj_weight is None
    assert type(mc.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 2, bias=False))
    assert mc.bias_k is None and mc.in_proj_bias is None and mc.out_proj.bias is None
    m = CNN.MultiheadAttention(8, 2, dtype=chainrule.float64)
    assert all(p.dtype == chainrule.float64 for p in m.parameters())


def _outcome(fn, nn, lib):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(nn, lib)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).replace("chainrule", "torch")
    return "ok", None


def same_error(fn):
    want = _outcome(fn, torch.nn, torch)
    got = _outcome(fn, CNN, chainrule)
    assert want[0] != "ok", want
    assert got == want


def _mha_call(*shapes, mha_kw=None, **masks):
    """A scenario calling an (8, 2) MultiheadAttention on zero inputs of the given shapes."""
    def run(nn, lib):
        m = nn.MultiheadAttention(8, 2, **(mha_kw or {}))
        xs = [lib.zeros(*s) for s in shapes]
        kw = {}
        for k, v in masks.items():
            if isinstance(v, tuple) and v and v[0] == "bool":
                kw[k] = lib.zeros(*v[1:], dtype=lib.bool)
            elif isinstance(v, tuple) and v and v[0] == "long":
                kw[k] = lib.zeros(*v[1:], dtype=lib.long)
            elif isinstance(v, tuple):
                kw[k] = lib.zeros(*v)
            else:
                kw[k] = v
        m(*xs, **kw)
    return run


MHA_ERRORS = [
    lambda nn, lib: nn.MultiheadAttention(8, 3),
    lambda nn, lib: nn.MultiheadAttention(0, 3),
    lambda nn, lib: nn.MultiheadAttention(8, 0),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), attn_mask=(3, 4)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), attn_mask=(5, 3, 3)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), attn_mask=(1, 3, 3)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), attn_mask=(1, 4, 3, 3)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), key_padding_mask=("bool", 2, 4)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), key_padding_mask=("bool", 3, 3)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), key_padding_mask=("long", 2, 3)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), key_padding_mask=("bool", 2, 3, 1)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), key_padding_mask=("bool", 2, 4), attn_mask=(3, 5)),
    _mha_call((3, 2, 8), (3, 2, 4), (3, 2, 8)),
    _mha_call((3, 2, 4), (3, 2, 4), (3, 2, 4)),
    _mha_call((3, 2, 8), (2, 2, 8), (3, 2, 8)),
    _mha_call((3, 2, 8), (2, 8), (3, 2, 8)),
    _mha_call((3, 8), (3, 2, 8), (3, 2, 8)),
    _mha_call((1, 3, 2, 8), (3, 2, 8), (3, 2, 8)),
    _mha_call((2, 8), (2, 8), (2, 8), attn_mask=(3, 3, 3)),
    _mha_call((2, 8), (2, 8), (2, 8), attn_mask=(2, 2, 3)),
    _mha_call((2, 8), (2, 8), (2, 8), key_padding_mask=("bool", 2, 2)),
    _mha_call((2, 8), (2, 8), (2, 8), key_padding_mask=("bool", 4)),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), is_causal=True),
    _mha_call((3, 2, 8), (4, 2, 3), (5, 2, 5), mha_kw={"kdim": 3, "vdim": 5}),
    _mha_call((3, 2, 8), (4, 2, 4), (4, 2, 5), mha_kw={"kdim": 3, "vdim": 5}),
    _mha_call((3, 2, 8), (3, 2, 8), (3, 2, 8), key_padding_mask=("bool", 2, 4), mha_kw={"add_bias_kv": True,
                                                                                         "add_zero_attn": True}),
]


@pytest.mark.parametrize("fn", MHA_ERRORS)
def test_mha_errors(fn):
    same_error(fn)


def test_mha_mismatched_mask_types_warn_like_torch():
    def run(nn, lib):
        m = nn.MultiheadAttention(8, 2)
        x = lib.zeros(3, 2, 8)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m(x, x, x, attn_mask=lib.zeros(3, 3), key_padding_mask=lib.zeros(2, 3, dtype=lib.bool))
        return [(x.category, str(x.message)) for x in w]
    assert run(CNN, chainrule) == run(torch.nn, torch)
    assert len(run(CNN, chainrule)) == 1


# -- transformer layers ---------------------------------------------------------------------------------
X = np.random.default_rng(5).standard_normal((4, 2, 8))
XB = X.transpose(1, 0, 2).copy()
KPM2 = np.array([[False, False, True, True], [False, False, False, False]])
CAUSAL4 = np.triu(np.full((4, 4), -np.inf), 1)


def _enc(nn, layers=2, norm=True, **kw):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kw)
    return nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(8) if norm else None)


ENCODER_CASES = [
    (lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), [X], {}),
    (lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", norm_first=True), [X],
     {"src_key_padding_mask": KPM2}),
    (lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=lib.tanh, bias=False), [X],
     {"src_mask": CAUSAL4}),
    (lambda nn, lib: nn.TransformerEncoderLayer(8, 4, 16, dropout=0.0, batch_first=True, layer_norm_eps=1e-3),
     [XB], {"src_mask": CAUSAL4, "is_causal": True}),
    (lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), [X[:, 0]], {"src_key_padding_mask": KPM2[0]}),
    (lambda nn, lib: _enc(nn), [X], {"mask": CAUSAL4}),
    (lambda nn, lib: _enc(nn), [X], {"mask": CAUSAL4, "is_causal": True}),
    (lambda nn, lib: _enc(nn, 3, norm=False), [X], {"mask": CAUSAL4 == -np.inf, "src_key_padding_mask": KPM2}),
    (lambda nn, lib: _enc(nn, batch_first=True), [XB], {"src_key_padding_mask": KPM2}),
    (lambda nn, lib: _enc(nn, batch_first=True, norm_first=True), [XB[0]], {"src_key_padding_mask": KPM2[0]}),
]


@pytest.mark.parametrize("make,arrays,kw", ENCODER_CASES)
def test_encoder_float64_matches_torch(make, arrays, kw):
    mt, mc = build(make)
    compare(mt, mc, arrays, kw)


def test_encoder_float32_matches_torch():
    mt, mc = build(lambda nn, lib: _enc(nn, batch_first=True))
    compare(mt, mc, [XB], {"src_key_padding_mask": KPM2}, dtype=torch.float32, tol=2e-5)


def test_encoder_inference_zeroes_padding_like_torch_nested_path():
    # eval + no grad + batch_first + left-aligned padding mask: torch runs on nested tensors and pads with 0
    mt, mc = build(lambda nn, lib: _enc(nn, batch_first=True))
    mt.eval()
    mc.eval()
    with torch.no_grad():
        mt.norm.bias.fill_(0.5)
    for kpm in (KPM2, np.array([[False, True, False, True], [False] * 4])):  # the second is not left-aligned
        for grad in (False, True):
            oc = compare(mt, mc, [XB], {"src_key_padding_mask": kpm}, grad=grad)
            padded = oc[0].detach().numpy()[0, 2:]
            assert np.allclose(padded, 0.5) == (kpm is KPM2 and not grad)


def test_encoder_layers_are_independent_copies():
    _, mc = build(lambda nn, lib: _enc(nn, 3))
    ps = [m.linear1.weight for m in mc.layers]
    assert len({id(p) for p in ps}) == 3
    assert all(np.array_equal(ps[0].detach().numpy(), p.detach().numpy()) for p in ps)


def _dec(nn, **kw):
    return nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **kw), 2, norm=nn.LayerNorm(8))


DECODER_CASES = [
    (lambda nn, lib: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), [X[:3], X],
     {"tgt_mask": CAUSAL3, "memory_key_padding_mask": KPM2}),
    (lambda nn, lib: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True, activation="gelu",
                                                batch_first=True), [XB[:, :3], XB],
     {"tgt_mask": CAUSAL3, "tgt_is_causal": True, "tgt_key_padding_mask": KPM2[:, :3]}),
    (lambda nn, lib: _dec(nn), [X[:3], X], {"tgt_mask": CAUSAL3, "memory_mask": AM}),
    (lambda nn, lib: _dec(nn, batch_first=True), [XB[0, :3], XB[0]], {"tgt_mask": CAUSAL3}),
    (lambda nn, lib: nn.Transformer(8, 2, 2, 1, 16, dropout=0.0), [X, X[:3]],
     {"tgt_mask": CAUSAL3, "src_key_padding_mask": KPM2, "memory_key_padding_mask": KPM2}),
    (lambda nn, lib: nn.Transformer(8, 2, 1, 2, 16, dropout=0.0, batch_first=True, norm_first=True, bias=False),
     [XB, XB[:, :3]], {"src_mask": CAUSAL4, "tgt_mask": CAUSAL3}),
]


@pytest.mark.parametrize("make,arrays,kw", DECODER_CASES)
def test_decoder_and_transformer_float64_match_torch(make, arrays, kw):
    mt, mc = build(make)
    compare(mt, mc, arrays, kw)


@pytest.mark.parametrize("make,arrays", [
    (lambda nn, lib: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3), 2), [X]),
    (lambda nn, lib: nn.Transformer(8, 2, 1, 1, 16, dropout=0.2), [X, X[:3]]),
    (lambda nn, lib: nn.Transformer(8, 2, 1, 1, 16, dropout=0.2, batch_first=True), [XB, XB[:, :3]]),
])
def test_training_dropout_matches_torch_seeded(make, arrays):
    mt, mc = build(make)
    copy_state(mt, mc, torch.float64)
    torch.manual_seed(11)
    ot = mt(*[torch.tensor(a) for a in arrays])
    chainrule.manual_seed(11)
    oc = mc(*[chainrule.tensor(a) for a in arrays])
    np.testing.assert_allclose(oc.detach().numpy(), ot.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16),
    lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", bias=False, layer_norm_eps=1e-6),
    lambda nn, lib: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8)),
    lambda nn, lib: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, norm_first=True), 2),
    lambda nn, lib: nn.Transformer(8, 2, 1, 1, 16),
])
def test_construction_names_init_repr(make):
    mt, mc = build(make)
    for attr in ("norm_first", "activation_relu_or_gelu", "num_layers", "enable_nested_tensor", "use_nested_tensor",
                 "mask_check", "d_model", "nhead", "batch_first"):
        assert getattr(mt, attr, "absent") == getattr(mc, attr, "absent"), attr


def test_activation_flags():
    for act, flag in (("relu", 1), ("gelu", 2), (chainrule.tanh, 0)):
        layer = CNN.TransformerEncoderLayer(8, 2, 16, activation=act)
        assert layer.activation_relu_or_gelu == flag
    assert CNN.TransformerEncoderLayer(8, 2, 16, activation="gelu").activation is chainrule.nn.functional.gelu


@pytest.mark.parametrize("kw,heads", [({}, 2), ({"batch_first": True}, 2), ({"batch_first": True, "norm_first": True}, 2),
                                      ({"batch_first": True, "activation": "tanh_fn"}, 2),
                                      ({"batch_first": True, "bias": False}, 2), ({"batch_first": True}, 1)])
def test_nested_tensor_warnings_like_torch(kw, heads):
    def run(nn, lib):
        k = dict(kw)
        if k.get("activation") == "tanh_fn":
            k["activation"] = lib.tanh
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, heads, 16, **k), 2)
        return [str(x.message) for x in w if "nested" in str(x.message)], enc.use_nested_tensor
    assert run(CNN, chainrule) == run(torch.nn, torch)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        enc = CNN.TransformerEncoder(CNN.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False)
    assert not w and enc.use_nested_tensor is False


def test_generate_square_subsequent_mask():
    for dtype in (None, "float64"):
        kt = {} if dtype is None else {"dtype": torch.float64}
        kc = {} if dtype is None else {"dtype": chainrule.float64}
        mt = torch.nn.Transformer.generate_square_subsequent_mask(4, **kt)
        mc = CNN.Transformer.generate_square_subsequent_mask(4, **kc)
        assert str(mc.dtype).split(".")[-1] == str(mt.dtype).split(".")[-1]
        assert np.array_equal(mc.numpy(), mt.numpy())


TRANSFORMER_ERRORS = [
    lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16, activation="tanh"),
    lambda nn, lib: nn.TransformerDecoderLayer(8, 2, 16, activation="tanh"),
    lambda nn, lib: nn.TransformerEncoderLayer(8, 3, 16),
    lambda nn, lib: nn.Transformer(8, 2, 1, 1, 16)(lib.zeros(4, 2, 8), lib.zeros(3, 3, 8)),
    lambda nn, lib: nn.Transformer(8, 2, 1, 1, 16, batch_first=True)(lib.zeros(2, 4, 8), lib.zeros(3, 3, 8)),
    lambda nn, lib: nn.Transformer(8, 2, 1, 1, 16)(lib.zeros(4, 2, 8), lib.zeros(3, 2, 6)),
    lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16)(lib.zeros(4, 2, 8), src_key_padding_mask=lib.zeros(
        2, 4, dtype=lib.long)),
    lambda nn, lib: nn.TransformerEncoderLayer(8, 2, 16)(lib.zeros(4, 2, 8), src_mask=lib.zeros(3, 3)),
]


@pytest.mark.parametrize("fn", TRANSFORMER_ERRORS)
def test_transformer_errors(fn):
    same_error(fn)


def test_mha_merge_masks_matches_torch():
    mt, mc = build(lambda nn, lib: nn.MultiheadAttention(8, 2, batch_first=True))
    rng = np.random.default_rng(6)
    for am_shape in ((3, 3), (4, 3, 3), None):
        for with_kpm in (True, False):
            am = None if am_shape is None else rng.standard_normal(am_shape)
            kpm = rng.standard_normal((2, 3)) if with_kpm else None
            res = []
            for lib, m in ((torch, mt), (chainrule, mc)):
                res.append(m.merge_masks(None if am is None else lib.tensor(am),
                                         None if kpm is None else lib.tensor(kpm), lib.zeros(2, 3, 8)))
            (mask_t, type_t), (mask_c, type_c) = res
            assert type_t == type_c
            assert (mask_t is None) == (mask_c is None)
            if mask_t is not None:
                assert tuple(mask_t.shape) == tuple(mask_c.shape)
                np.testing.assert_array_equal(mask_c.numpy(), mask_t.numpy())
