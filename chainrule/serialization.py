"""save and load: tensors and nested state dicts in the safetensors format, never pickle.

Tensors go into the file as safetensors entries; everything around them (dict and list
structure, numbers, strings, which entries are Parameters) is JSON in the file's metadata.
A flat ``{name: tensor}`` dict is stored under its own names, so the file is an ordinary
safetensors file that other libraries read, and a file they wrote loads here. Loading
parses JSON and copies bytes: nothing in a file can run code.
"""
from __future__ import annotations

import io
import json
import os
from collections import OrderedDict

import numpy as np

from ._tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "chainrule"
_STRUCT_KEY = "chainrule.structure"


def _safetensors():
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError("chainrule.save/load need the 'safetensors' package: pip install safetensors") from None
    return st


def _encode(obj, arrays, seen, path):
    """JSON-able description of ``obj``; tensors are moved into ``arrays``."""
    from .nn.parameter import Parameter
    if isinstance(obj, Tensor):
        key = seen.get(id(obj))
        if key is None:
            key = path or "tensor"
            while key in arrays:
                key += "_"
            arrays[key] = np.ascontiguousarray(obj._data).reshape(obj._data.shape)
            seen[id(obj)] = key
        node = {"__tensor__": key}
        if isinstance(obj, Parameter):
            node["parameter"] = True
            node["requires_grad"] = obj.requires_grad
        elif obj.requires_grad:
            node["requires_grad"] = True
        return node
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if isinstance(obj, dict):
        items = [[_key(k), _encode(v, arrays, seen, f"{path}.{k}" if path else str(k))] for k, v in obj.items()]
        node = {"__dict__": items}
        if isinstance(obj, OrderedDict):
            node["ordered"] = True
        meta = getattr(obj, "_metadata", None)
        if meta is not None:
            node["_metadata"] = _encode(meta, arrays, seen, path + "._metadata")
        return node
    if isinstance(obj, (list, tuple)):
        kind = "__list__" if isinstance(obj, list) else "__tuple__"
        return {kind: [_encode(v, arrays, seen, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]}
    from ._dtype import dtype
    if isinstance(obj, dtype):
        return {"__dtype__": obj.name}
    raise TypeError(f"chainrule.save can store tensors, numbers, strings, None, and dicts, lists and tuples of "
                    f"them; got {type(obj).__name__}")


def _key(k):
    if isinstance(k, (str, int, float, bool)) or k is None:
        return k
    raise TypeError(f"chainrule.save: dict keys must be str, int, float, bool or None, got {type(k).__name__}")


def _is_flat_tensor_dict(obj):
    return (isinstance(obj, dict) and obj and getattr(obj, "_metadata", None) is None
            and all(isinstance(k, str) and isinstance(v, Tensor) and not v.requires_grad for k, v in obj.items()))


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True) -> None:
    """Write ``obj`` (a tensor, or nested dicts/lists of tensors and plain values) to ``f``.

    >>> chainrule.save(model.state_dict(), "model.safetensors")
    """
    st = _safetensors()
    arrays = {}
    seen = {}
    if _is_flat_tensor_dict(obj) and len({id(v) for v in obj.values()}) == len(obj):
        arrays = {k: np.ascontiguousarray(v._data).reshape(v._data.shape) for k, v in obj.items()}  # 0-d stays 0-d
        structure = {"__flat__": list(obj.keys()), "ordered": isinstance(obj, OrderedDict)}
    else:
        structure = _encode(obj, arrays, seen, "")
    metadata = {"format": _FORMAT, _STRUCT_KEY: json.dumps(structure)}
    data = st.save(arrays, metadata=metadata)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)


def _read_bytes(f):
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return fh.read(), str(f)
    if isinstance(f, (bytes, bytearray)):
        return bytes(f), "<bytes>"
    if isinstance(f, io.IOBase) or hasattr(f, "read"):
        return f.read(), getattr(f, "name", "<file object>")
    raise TypeError(f"chainrule.load expects a path or a binary file object, got {type(f).__name__}")


def _check_header(data, name):
    n = int.from_bytes(data[:8], "little") if len(data) >= 8 else 0
    # torch.save writes a zip archive, or (older) a pickle stream starting with 0x80;
    # a safetensors header length can also start with 0x80, so only a bad length counts.
    if data[:4] == b"PK\x03\x04" or (data[:1] == b"\x80" and n > len(data) - 8):
        raise RuntimeError(f"{name} looks like a file written by torch.save (a pickle). chainrule never unpickles: "
                           "in PyTorch, save with safetensors.torch.save_file(state_dict, path) and load that.")
    if len(data) < 8:
        raise RuntimeError(f"{name} is not a safetensors file: it is {len(data)} bytes long, shorter than the "
                           "8-byte header length")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise RuntimeError(f"{name} is truncated or corrupted: its header claims {n} bytes but only "
                           f"{len(data) - 8} follow")
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, ValueError) as e:
        raise RuntimeError(f"{name} is corrupted: its header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise RuntimeError(f"{name} is corrupted: its header is not a JSON object")
    end = 0
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            start, stop = info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise RuntimeError(f"{name} is corrupted: entry {key!r} has no valid data_offsets") from None
        end = max(end, stop)
    if 8 + n + end > len(data):
        raise RuntimeError(f"{name} is truncated: tensor data needs {end} bytes after the header but the file has "
                           f"{len(data) - 8 - n}")
    meta = header.get("__metadata__") or {}
    return meta if isinstance(meta, dict) else {}


def _decode(node, tensors):
    from .nn.parameter import Parameter
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        raise RuntimeError("corrupted chainrule structure: bare list")
    if "__tensor__" in node:
        key = node["__tensor__"]
        if key not in tensors:
            raise RuntimeError(f"corrupted file: the structure names tensor {key!r}, which the file does not hold")
        t = tensors[key]
        if node.get("parameter"):
            return Parameter(t, requires_grad=node.get("requires_grad", True))
        if node.get("requires_grad"):
            t.requires_grad_(True)
        return t
    if "__dict__" in node:
        out = OrderedDict() if node.get("ordered") else {}
        for k, v in node["__dict__"]:
            out[k] = _decode(v, tensors)
        if "_metadata" in node:
            out._metadata = _decode(node["_metadata"], tensors)
        return out
    if "__list__" in node:
        return [_decode(v, tensors) for v in node["__list__"]]
    if "__tuple__" in node:
        return tuple(_decode(v, tensors) for v in node["__tuple__"])
    if "__dtype__" in node:
        from . import _dtype
        return _dtype.to_dtype(_dtype._by_name[node["__dtype__"]])
    raise RuntimeError(f"corrupted chainrule structure: unknown node {sorted(node)}")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Read what ``save`` wrote, or any safetensors file (as a ``{name: tensor}`` dict).

    >>> model.load_state_dict(chainrule.load("model.safetensors"))
    """
    from ._size import check_device
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        check_device(map_location)
    st = _safetensors()
    data, name = _read_bytes(f)
    meta = _check_header(data, name)
    try:
        arrays = st.load(data)
    except Exception as e:  # the safetensors parser's own checks (dtypes, overlaps, sizes)
        raise RuntimeError(f"{name} is not a valid safetensors file: {e}") from None
    tensors = {}
    for k, a in arrays.items():
        from ._dtype import from_numpy_dtype
        try:
            from_numpy_dtype(a.dtype)
        except TypeError:
            raise RuntimeError(f"{name}: tensor {k!r} has dtype {a.dtype}, which chainrule does not support") from None
        tensors[k] = Tensor._make(np.array(a))
    structure = meta.get(_STRUCT_KEY)
    if meta.get("format") != _FORMAT or structure is None:
        return dict(tensors)  # a plain safetensors file, e.g. written by safetensors.torch
    try:
        structure = json.loads(structure)
    except ValueError as e:
        raise RuntimeError(f"{name} is corrupted: its chainrule structure is not valid JSON ({e})") from None
    if isinstance(structure, dict) and "__flat__" in structure:
        keys = structure["__flat__"]
        missing = [k for k in keys if k not in tensors]
        if missing:
            raise RuntimeError(f"{name} is corrupted: tensors {missing} are listed but missing")
        out = OrderedDict() if structure.get("ordered") else {}
        for k in keys:
            out[k] = tensors[k]
        return out
    return _decode(structure, tensors)
