"""save/load: round trips, interop with torch-written safetensors files, and bad files."""
import io
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as C
from opcheck import torch


def _roundtrip(obj):
    buf = io.BytesIO()
    C.save(obj, buf)
    return C.load(io.BytesIO(buf.getvalue()))


def test_tensor_and_nested_roundtrip(tmp_path):
    t = C.arange(6, dtype=C.float64).reshape(2, 3)
    obj = {"a": t, "nested": {"list": [C.ones(2, dtype=C.int32), 3, "x", None], "tuple": (1.5, C.tensor(True))},
           7: OrderedDict(z=C.zeros(1, dtype=C.float16)), "shared": t}
    path = tmp_path / "o.safetensors"
    C.save(obj, str(path))
    back = C.load(str(path))
    assert back["a"].tolist() == t.tolist() and back["a"].dtype is C.float64
    assert back["nested"]["list"][0].dtype is C.int32 and back["nested"]["list"][1:] == [3, "x", None]
    assert back["nested"]["tuple"][0] == 1.5 and back["nested"]["tuple"][1].item() is True
    assert isinstance(back[7], OrderedDict) and back[7]["z"].dtype is C.float16
    assert back["shared"] is back["a"]  # a tensor stored twice comes back as one tensor
    single = _roundtrip(C.tensor([1., 2.], requires_grad=True))
    assert single.requires_grad and single.tolist() == [1., 2.]


def test_parameters_and_state_dict_metadata():
    p = C.nn.Parameter(C.ones(2))
    back = _roundtrip({"p": p})
    assert isinstance(back["p"], C.nn.Parameter) and back["p"].requires_grad

    class Net(C.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = C.nn.Parameter(C.randn(3, 2))
            self.register_buffer("count", C.tensor(4))

    net = Net()
    sd = net.state_dict()
    back = _roundtrip(sd)
    assert list(back) == list(sd)
    net2 = Net()
    net2.load_state_dict(back)
    assert net2.w.tolist() == net.w.tolist() and net2.count.item() == 4


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_torch_written_safetensors_loads_into_chainrule_model(tmp_path):
    from safetensors.torch import save_file

    def make(L):
        class Net(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.w1 = L.nn.Parameter(L.zeros(4, 3))
                self.b1 = L.nn.Parameter(L.zeros(4))
                self.w2 = L.nn.Parameter(L.zeros(2, 4))

            def forward(self, x):
                return (x @ self.w1.t() + self.b1).tanh() @ self.w2.t()
        return Net()

    torch.manual_seed(0)
    tnet = make(torch)
    with torch.no_grad():
        for p in tnet.parameters():
            p.normal_()
    path = str(tmp_path / "torch.safetensors")
    save_file(tnet.state_dict(), path)
    cnet = make(C)
    cnet.load_state_dict(C.load(path))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(cnet(C.tensor(x)).detach().numpy(), tnet(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    # and the other way: a flat state dict saved here is a plain safetensors file torch can read
    from safetensors.torch import load_file
    out = str(tmp_path / "chainrule.safetensors")
    C.save(cnet.state_dict(), out)
    tnet.load_state_dict(load_file(out))


def _valid_bytes():
    buf = io.BytesIO()
    C.save({"w": C.ones(4, 4)}, buf)
    return buf.getvalue()


@pytest.mark.parametrize("mutate, match", [
    (lambda b: b[:100], "truncated"),
    (lambda b: b[:5], "shorter than"),
    (lambda b: (10**12).to_bytes(8, "little") + b[8:], "truncated or corrupted"),
    (lambda b: b[:8] + b"{" * (int.from_bytes(b[:8], "little")) + b[8 + int.from_bytes(b[:8], "little"):],
     "not valid JSON"),
    (lambda b: b"PK\x03\x04" + b[4:], "torch.save"),
    (lambda b: b"\x80\x02" + b[2:], "torch.save"),
])
def test_bad_files_raise_clear_errors(mutate, match):
    with pytest.raises(RuntimeError, match=match):
        C.load(io.BytesIO(mutate(_valid_bytes())))


def test_hostile_structure_cannot_run_code(tmp_path):
    import json

    import safetensors.numpy as st
    # A structure that names a tensor the file does not hold, and an unknown node kind.
    for structure in ({"__tensor__": "missing"}, {"__pickle__": "cos\nsystem\n"}):
        data = st.save({"w": np.ones(2, np.float32)},
                       metadata={"format": "chainrule", "chainrule.structure": json.dumps(structure)})
        with pytest.raises(RuntimeError, match="corrupted"):
            C.load(io.BytesIO(data))


def test_save_rejects_unsupported_objects_and_files_unchanged(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match="can store tensors"):
        C.save({"f": lambda: 0}, str(path))
    assert not path.exists()
    with pytest.raises(FileNotFoundError):
        C.load(str(tmp_path / "nope.safetensors"))
