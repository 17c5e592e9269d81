"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

Each layer and direction projects its whole input sequence with one matmul
(``x @ W_ih.T + b_ih``), then runs the time loop as one fused Function (see
``nn/_functional/rnn_cells.py``): one graph node per layer instead of some twenty per time
step, with a backward that still supports every order of gradient. The cells are the same
Functions over a sequence of length one. Parameter names, shapes, registration order and
initialisation follow PyTorch's, so ``state_dict()`` keys match and, after the same
``manual_seed``, the initial weights are PyTorch's.

>>> rnn = chainrule.nn.LSTM(10, 20, num_layers=2)
>>> out, (h, c) = rnn(chainrule.randn(5, 3, 10))
>>> out.shape, h.shape
(chainrule.Size([5, 3, 20]), chainrule.Size([2, 3, 20]))
"""
from __future__ import annotations

import math
import numbers
import warnings

from ..._size import check_device
from ...ops.creation import empty, zeros
from ...ops.shape import cat, stack
from .. import functional as F
from .._functional.rnn_cells import gru_layer, lstm_layer, rnn_layer
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


# -- one layer and direction: a fused Function (rnn_cells.py) over the projected input ---------------------
def _layer(mode, x, w_ih, b_ih, h, c, w_hh, b_hh, w_hr=None, reverse=False):
    """Project ``x`` (L, N, H_in) with W_ih and run the time loop; returns (output, h_n, c_n or None).

    For LSTM and Elman RNN both biases only ever appear summed, so they are added once (to the
    projection's bias) instead of at every step. The LSTM node does its projection itself.
    """
    if mode == "GRU":
        ys, hn = gru_layer(F.linear(x, w_ih, b_ih), h, w_hh, b_hh, reverse)
        return ys, hn, None
    if mode == "LSTM":
        return lstm_layer(x, w_ih, b_ih, b_hh, h, c, w_hh, w_hr, reverse)
    gi = F.linear(x, w_ih, None if b_ih is None else b_ih + b_hh)
    ys, hn = rnn_layer(gi, h, w_hh, None, mode == "RNN_RELU", reverse)
    return ys, hn, None


def _check_size_arg(value, name):
    if not isinstance(value, int):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _shape_str(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU: parameters, checks and the layer loop."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout) if isinstance(dropout, numbers.Number) and not isinstance(dropout, bool) \
            else dropout
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1

        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=3)
        _check_size_arg(input_size, "input_size")
        _check_size_arg(hidden_size, "hidden_size")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size

        self._flat_weights_names = []
        self._all_weights = []
        real_hidden = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                shapes = [(gate_size, layer_input), (gate_size, real_hidden)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(shape, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op: the weights are used where they are (PyTorch packs them for cuDNN)."""

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- checks ------------------------------------------------------------------------------
    def _check_input_dim(self, input):
        name = "RNN" if self.mode.startswith("RNN") else self.mode
        if input.dim() not in (2, 3):
            tail = " tensor instead" if name == "RNN" else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")

    def check_input(self, input, batch_sizes=None):
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes=None):
        batch = input.size(0) if self.batch_first else input.size(1)
        dirs = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * dirs, batch, size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(tuple(expected_hidden_size), _shape_str(hx)))

    def check_forward_args(self, input, hidden, batch_sizes=None):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def _check_nonempty(self, input):
        if input.size(1 if self.batch_first else 0) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")

    # -- the loop ----------------------------------------------------------------------------------
    def _run(self, x, h0, c0=None):
        """Run every layer and direction over time-major ``x`` (L, N, H_in).

        ``h0`` (and ``c0`` for LSTM) are (num_layers * num_directions, N, *). Returns the last
        layer's output (L, N, D * H_out) and the final states stacked like ``h0``.
        """
        dirs = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        h_init = h0.unbind(0)
        c_init = c0.unbind(0) if lstm else None
        h_last, c_last = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                idx = layer * dirs + d
                weights = [getattr(self, n) for n in self._all_weights[idx]]
                w_ih, w_hh = weights[0], weights[1]
                b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
                w_hr = weights[-1] if self.proj_size > 0 else None
                ys, h, c = _layer(self.mode, x, w_ih, b_ih, h_init[idx], c_init[idx] if lstm else None, w_hh, b_hh,
                                  w_hr, d == 1)
                outs.append(ys)
                h_last.append(h)
                c_last.append(c)
            x = outs[0] if dirs == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, stack(h_last, 0), (stack(c_last, 0) if lstm else None)

    def _prepare(self, input):
        """Validate the input's rank; return (time-major batched input, is_batched)."""
        self._check_input_dim(input)
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        return input, is_batched

    def _time_major(self, input):
        return input.transpose(0, 1) if self.batch_first else input

    def _zeros_state(self, input, size):
        dirs = 2 if self.bidirectional else 1
        batch = input.size(0) if self.batch_first else input.size(1)
        return zeros((self.num_layers * dirs, batch, size), dtype=input.dtype)

    def _finish(self, out, is_batched):
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out = out.squeeze(0 if self.batch_first else 1)
        return out

    def _forward_single_state(self, input, hx):
        input, is_batched = self._prepare(input)
        if hx is not None:
            if not is_batched and hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
            if is_batched and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if not is_batched:
                hx = hx.unsqueeze(1)
        else:
            hx = self._zeros_state(input, self.hidden_size)
        self.check_forward_args(input, hx)
        self._check_nonempty(input)
        out, h_n, _ = self._run(self._time_major(input), hx)
        if not is_batched:
            h_n = h_n.squeeze(1)
        return self._finish(out, is_batched), h_n


class RNN(RNNBase):
    r"""Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``. Input (L, N, H_in), (N, L, H_in) with ``batch_first``, or
    unbatched (L, H_in); returns ``(output, h_n)``.

    >>> rnn = chainrule.nn.RNN(10, 20, 2)
    >>> out, h_n = rnn(chainrule.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_single_state(input, hx)


class GRU(RNNBase):
    r"""Gated recurrent unit, stacked over layers (PyTorch's gate layout: reset, update, new).

    ``r = σ(W_ir x + b_ir + W_hr h + b_hr)``, ``z = σ(W_iz x + b_iz + W_hz h + b_hz)``,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

    >>> gru = chainrule.nn.GRU(10, 20, 2)
    >>> out, h_n = gru(chainrule.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_single_state(input, hx)


class LSTM(RNNBase):
    r"""Long short-term memory, stacked over layers, with an optional output projection.

    Gates in PyTorch's order (input, forget, cell, output): ``c' = f * c + i * g``,
    ``h' = o * tanh(c')``, then ``h' = h' W_hr^T`` when ``proj_size > 0``. Returns
    ``(output, (h_n, c_n))``.

    >>> lstm = chainrule.nn.LSTM(10, 20, 2)
    >>> out, (h_n, c_n) = lstm(chainrule.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes=None):
        batch = input.size(0) if self.batch_first else input.size(1)
        dirs = 2 if self.bidirectional else 1
        return (self.num_layers * dirs, batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes=None):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input, hx=None):
        input, is_batched = self._prepare(input)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            hx = (self._zeros_state(input, real_hidden), self._zeros_state(input, self.hidden_size))
        else:
            h, c = hx
            if is_batched and (h.dim() != 3 or c.dim() != 3):
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({h.dim()}-D, {c.dim()}-D) tensors")
            if not is_batched:
                if h.dim() != 2 or c.dim() != 2:
                    raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                       f"({h.dim()}-D, {c.dim()}-D) tensors")
                h, c = h.unsqueeze(1), c.unsqueeze(1)
            hx = (h, c)
        self.check_forward_args(input, hx)
        self._check_nonempty(input)
        out, h_n, c_n = self._run(self._time_major(input), hx[0], hx[1])
        if not is_batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(out, is_batched), (h_n, c_n)


# -- cells ------------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters and checks shared by RNNCell, LSTMCell and GRUCell."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty((num_chunks * hidden_size,), dtype=dtype))
            self.bias_hh = Parameter(empty((num_chunks * hidden_size,), dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check_dims(self, input, hx, name, hidden_word="hidden"):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {hidden_word} to be 1D or 2D, got {hx.dim()}D instead")

    def _check_step(self, input, hiddens):
        """PyTorch's cell checks: input width, then each hidden's batch and width; then the dtypes."""
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")
        for i, h in enumerate(hiddens):
            if input.size(0) != h.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} batch size {h.size(0)}")
            if h.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.size(1)}, "
                                   f"expected {self.hidden_size}")
        w = self.weight_ih
        for t in (input, *hiddens):
            if t.dtype != w.dtype:
                raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_cname(t)} and {_cname(w)}")

    def _batch(self, input, hx):
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = zeros((input.size(0), self.hidden_size), dtype=input.dtype)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        return input, hx, is_batched


def _cell_step(mode, cell, input, h, c=None):
    """One step of a cell: the layer Function over a sequence of length 1; returns (h', c')."""
    _, h, c = _layer(mode, input.unsqueeze(0), cell.weight_ih, cell.bias_ih, h, c, cell.weight_hh, cell.bias_hh)
    return h, c


def _cname(t):
    name = t._data.dtype.name
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "bool": "Bool"}.get(name, name)


class RNNCell(RNNCellBase):
    r"""One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    >>> cell = chainrule.nn.RNNCell(10, 20)
    >>> h = cell(chainrule.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        self._check_dims(input, hx, "RNNCell")
        input, hx, is_batched = self._batch(input, hx)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check_step(input, (hx,))
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h = _cell_step(mode, self, input, hx)[0]
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    r"""One LSTM step; returns ``(h', c')``.

    >>> cell = chainrule.nn.LSTMCell(10, 20)
    >>> h, c = cell(chainrule.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros((input.size(0), self.hidden_size), dtype=input.dtype)
            hx = (z, z)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_step(input, tuple(hx))
        h, c = _cell_step("LSTM", self, input, hx[0], hx[1])
        if not is_batched:
            h, c = h.squeeze(0), c.squeeze(0)
        return h, c


class GRUCell(RNNCellBase):
    r"""One GRU step.

    >>> cell = chainrule.nn.GRUCell(10, 20)
    >>> h = cell(chainrule.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        self._check_dims(input, hx, "GRUCell")
        input, hx, is_batched = self._batch(input, hx)
        self._check_step(input, (hx,))
        h = _cell_step("GRU", self, input, hx)[0]
        return h if is_batched else h.squeeze(0)
