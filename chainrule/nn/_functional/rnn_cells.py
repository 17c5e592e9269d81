"""Fused recurrent layers: one Function runs a whole layer's time loop (LSTM, GRU, Elman RNN).

A primitive for speed (principle 4): built from linear, sigmoid, tanh, ... a time step costs
about twenty graph nodes, and an LSTM of 50 steps some 1,200 nodes forward and backward. Here
a layer and direction is one node. For GRU and Elman RNN the caller projects the whole input
sequence first (``gi = x @ W_ih.T + b_ih``, one GEMM, (L, N, G)); the LSTM node does its
projection itself (see LSTMLayer). Forward then loops over time on arrays, keeping the gate
activations. Backward runs backpropagation through time on arrays, step by step, with the weight
gradient as one GEMM over all steps at the end (for the LSTM, in chunks of steps on chainrule's
background thread while the loop runs, and its input projection likewise ahead of the forward loop). When a graph is being built
(``create_graph=True``) it instead recomputes the forward with chainrule ops from the saved
inputs and writes the same recurrence with them, so every order of gradient still works.

Speed notes, measured: NumPy is several times slower on views made of many short rows (a
column block of an (N, 4H) row) than on contiguous blocks, and on arrays much larger than
the cache, so each step works on contiguous (N, H) blocks that stay in cache, and nothing is
precomputed over all steps at once. At these sizes a NumPy call costs about a microsecond
whatever it does, and a few more when an operand is strided or broadcast (its general iterator
instead of the contiguous fast path).

Gate layouts are PyTorch's: LSTM (input, forget, cell, output), GRU (reset, update, new).
"""
from __future__ import annotations

import itertools
import threading

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function
from ..._threads import background, get_num_threads
from ...autograd.grad_mode import _state
from ...ops.creation import zeros_like
from ...ops.shape import cat, stack
from .linear import linear

__all__ = ["lstm_layer", "gru_layer", "rnn_layer"]

_make = Tensor._make


def _sigmoid_(a):
    """In place, 1 / (1 + e^-a): the same rounding as chainrule's sigmoid."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)


_SCALES = {}


def _gate_scales(N, H, dt):
    """(4, N, H) blocks, 1/2 on the sigmoid gates i, f, o and 1 on the cell gate g; 1/2 and 0: the LSTM's tanh.

    Full-size rather than (4, 1, H) to broadcast: NumPy multiplies two whole (4, N, H) blocks about
    twice as fast as it broadcasts a row over them.
    """
    key = (N, H, dt)
    if key not in _SCALES:
        if len(_SCALES) > 16:
            _SCALES.clear()
        half = np.full((4, N, H), 0.5, dt)
        half[2] = 1
        shift = np.full((4, N, H), 0.5, dt)
        shift[2] = 0
        _SCALES[key] = (half, shift)
    return _SCALES[key]


# OpenBLAS, NumPy's usual BLAS, computes a product of at most 10^6 multiply-adds (m * n * k) with
# an unpacked kernel on one thread, and a bigger one packed and, with its default threads, split
# over them. For a recurrent step's product (32x128 @ 128x512 in the lstm benchmark, 2.1e6), four
# quarter products on the small kernel took 38 us against 55 us for the whole on one thread; two
# threads did the whole in 33 us at best but several times slower whenever the other core was
# busy (a shared 2-core machine). So each step's product is cut into pieces under that size (the
# forward one gate at a time, the backward in row blocks), up to 8 of them; past that the
# product is big enough for the packed path.
_SMALL_GEMM = 1_000_000


def _small_blocks(n, cols, most):
    """Into how many equal row blocks (at most ``most``) to cut an (n, k) @ (k, m) product (cols = k * m)
    so that each is a small GEMM; 0 when no such cut."""
    for k in range(1, most + 1):
        if n % k == 0 and n // k * cols <= _SMALL_GEMM:
            return k
    return 0


def _row_blocks(n, cols):
    """Into how many equal row blocks to cut a step's (n, k) @ (k, m) product (cols = k * m); 1: uncut."""
    return _small_blocks(n, cols, 8) or 1


def _blocked_matmul(a, b, out, k):
    """out = a @ b for 2-D operands, computed as k row blocks of a (one NumPy call)."""
    m, n = out.shape
    np.matmul(a.reshape(k, m // k, a.shape[1]), b, out=out.reshape(k, m // k, n))


_scratch = threading.local()
_SCRATCH_MAX = 32 << 20


def _scratch_array(slot, shape, dt):
    """A reused array for a buffer that lives only within one call (never saved nor returned).

    Fresh memory costs a page fault per 4 KiB when first written, and glibc gives the free top of
    its heap back to the system whenever that passes twice its mmap threshold, which a training
    step's few-megabyte buffers freed together do: the lstm benchmark's step, run on its own, had
    2,240 faults (9 MB, all in the LSTM forward), a few microseconds each on this virtual machine. With the two
    largest buffers that are not saved for backward kept here, none. One per slot and thread,
    grown to the largest size asked for up to _SCRATCH_MAX (past it, a fresh array: the faults
    are then small beside the work, and a huge buffer is not held on to).
    """
    n = dt.itemsize * int(np.prod(shape))
    if n > _SCRATCH_MAX:
        return np.empty(shape, dt)
    buf = getattr(_scratch, slot, None)
    if buf is None or buf.nbytes < n:
        buf = np.empty(n, np.uint8)
        setattr(_scratch, slot, buf)
    return buf[:n].view(dt).reshape(shape)


def _slots(L, reverse):
    """Time order, and where step t reads its previous state / writes its new one in (L + 1)-long buffers."""
    if reverse:
        return range(L - 1, -1, -1), 1, 0
    return range(L), 0, 1


def _prev(buf, L, reverse):
    """The states each step started from, (L, ...), as a view of the (L + 1)-long buffer."""
    return buf[1:] if reverse else buf[:L]


def _arrays(saved):
    return [None if s is None else s._data for s in saved]


def _flat(a):
    return a.reshape(-1, a.shape[-1])


def _project_ahead(project, L, reverse):
    """Run ``project(lo, hi)`` over steps lo..hi-1 for all L steps, ahead of a time loop in that direction.

    The first steps are projected now and the rest in two jobs on the background thread (see
    chainrule._threads), which run on the second core while the loop starts: a step's projection is a
    fraction of the step. Returns [(loop position, job)]: wait on the job before that step.
    """
    first = min(L, 4)
    spans = [(0, first), (first, min(L, 4 * first)), (min(L, 4 * first), L)]
    jobs = []
    for n0, n1 in spans:
        if n1 > n0:
            span = (L - n1, L - n0) if reverse else (n0, n1)
            if n0 == 0:
                project(*span)
            else:
                jobs.append((n0, background(project, *span)))
    return jobs


# -- LSTM ------------------------------------------------------------------------------------------
class LSTMLayer(Function):
    """(x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, reverse) -> (output (L, N, H_out), h_n, c_n).

    The input projection is part of the node: computed here it comes out in the layout the time
    loop wants (gate-major, already scaled for the tanh below, bias included), and its weight
    gradient is one GEMM with the bias's in it.
    """
    _array_forward = True
    _node_name = "LstmLayerBackward0"

    # The gates are kept gate-major, (4, N, H) per step, so every gate is one contiguous block, and
    # every elementwise call of the loop is on whole contiguous blocks of one shape: NumPy takes a
    # fast path for those and costs a few microseconds more per call on a strided or broadcast
    # operand, which at these sizes is as much as the arithmetic. The recurrent product is
    # computed one gate at a time (W_hh^T cut into (4, H_out, H)), which lands it in that layout
    # and keeps each piece a small GEMM (see _SMALL_GEMM).
    #
    # All four nonlinearities are one tanh: sigmoid(x) = tanh(x / 2) / 2 + 1 / 2. The halving of
    # the i, f, o pre-activations is folded into the weights and bias (scaling by 1/2 is exact,
    # so this rounds as halving the sum would).
    @staticmethod
    def forward(ctx, x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, reverse):
        L, N, I = x.shape
        G, Ho = w_hh.shape
        H = G // 4
        dt = x.dtype
        gate_half = np.array([0.5, 0.5, 1, 0.5], dt).reshape(4, 1, 1)
        # Projection weights per gate with the bias as an extra input row, (4, I + 1, H), against
        # x with a column of ones, (L, N, I + 1).
        wa = np.empty((4, I + 1, H), dt)
        wa[:, :I] = w_ih.reshape(4, H, I).transpose(0, 2, 1)
        bias = b_ih if b_hh is None else b_hh if b_ih is None else b_ih + b_hh
        wa[:, I] = 0 if bias is None else bias.reshape(4, H)
        wa *= gate_half
        xa = np.empty((L, N, I + 1), dt)
        xa[..., :I] = x
        xa[..., I] = 1
        order, rd, wr = _slots(L, reverse)
        ready = None  # (loop position, job): the background job projecting the steps from there on
        if N >= 16:  # one small GEMM per step and gate, written straight into (L, 4, N, H)
            gis = _scratch_array("lstm_gi", (L, 4, N, H), dt)
            ready = _project_ahead(lambda lo, hi: np.matmul(xa[lo:hi, None], wa, out=gis[lo:hi]), L, reverse)
        else:  # too many tiny GEMMs: one per gate over all steps, seen as (L, 4, N, H)
            gis = np.matmul(xa.reshape(L * N, I + 1), wa, out=_scratch_array("lstm_gi", (4, L * N, H), dt))
            gis = gis.reshape(4, L, N, H).transpose(1, 0, 2, 3)
        w4 = np.empty((4, Ho, H), dt)
        np.multiply(w_hh.reshape(4, H, Ho).transpose(0, 2, 1), gate_half, out=w4)
        w_hrt = None if w_hr is None else np.ascontiguousarray(w_hr.T)
        acts = np.empty((L, 4, N, H), dt)  # the gates: sigmoid(i, f), tanh(g), sigmoid(o)
        hbuf = np.empty((L + 1, N, Ho), dt)
        cbuf = np.empty((L + 1, N, H), dt)
        tcs = np.empty((L, N, H), dt)
        ms = None if w_hr is None else np.empty((L, N, H), dt)
        hbuf[L if reverse else 0] = h0
        cbuf[L if reverse else 0] = c0
        tmp = np.empty((N, H), dt)
        pre = np.empty((4, N, H), dt)
        # k row blocks of h times each gate's block: (k, 1, N / k, H_out) @ (4, H_out, H) -> (k, 4, N / k, H)
        k = _row_blocks(N, Ho * H)
        h_in = hbuf.reshape(L + 1, k, 1, N // k, Ho)
        pre_out = pre.reshape(4, k, N // k, H).transpose(1, 0, 2, 3)
        half, shift = _gate_scales(N, H, dt)
        for n, t in enumerate(order):
            if ready and n == ready[0][0]:
                ready.pop(0)[1].wait()
            np.matmul(h_in[t + rd], w4, out=pre_out)
            pre += gis[t]
            a = acts[t]
            np.tanh(pre, out=a)
            a *= half
            a += shift
            i, f, g, o = a
            c = cbuf[t + wr]
            np.multiply(f, cbuf[t + rd], out=c)
            np.multiply(i, g, out=tmp)
            c += tmp
            tc = tcs[t]
            np.tanh(c, out=tc)
            if ms is None:
                np.multiply(o, tc, out=hbuf[t + wr])
            else:
                np.multiply(o, tc, out=ms[t])
                np.matmul(ms[t], w_hrt, out=hbuf[t + wr])
        last = 0 if reverse else L
        ys = hbuf[:L] if reverse else hbuf[1:]
        ctx.reverse = reverse
        ctx.set_materialize_grads(False)
        # ys is saved as the output it is (an in-place change to it is caught); hbuf is the same memory.
        ctx.save_for_backward(x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, ys, xa, acts, hbuf, cbuf, tcs, ms)
        return ys, hbuf[last].copy(), cbuf[last].copy()

    @staticmethod
    def backward(ctx, gys, ghn, gcn):
        saved = ctx.saved_tensors
        if _state.grad_enabled:
            return _lstm_backward_graph(ctx, saved[:8], gys, ghn, gcn)
        _, w_ih, _, _, h0, c0, w_hh, w_hr, _, xa, acts, hbuf, cbuf, tcs, ms = _arrays(saved)
        L, _, N, H = acts.shape
        G = 4 * H
        Ho = h0.shape[-1]
        dt = acts.dtype
        reverse = ctx.reverse
        c_prev = _prev(cbuf, L, reverse)
        dG = _scratch_array("lstm_dG", (L, N, G), dt)  # every gradient below is computed from it
        dh = np.zeros((N, Ho), dt) if ghn is None else ghn._data.copy()
        dc = np.zeros((N, H), dt) if gcn is None else gcn._data.copy()
        # dh = dG[t] @ W_hh in k row blocks, each a small GEMM (see _SMALL_GEMM)
        k = _row_blocks(N, G * Ho)
        dG_in = dG.reshape(L, k, N // k, G)
        dh_out = dh.reshape(k, N // k, Ho)
        gy = None if gys is None else gys._data
        dhs = None if w_hr is None else np.empty((L, N, Ho), dt)
        dm = dh if w_hr is None else np.empty((N, H), dt)
        tmp = np.empty((N, H), dt)
        sd = np.empty((4, N, H), dt)
        X = np.empty((4, N, H), dt)
        need = ctx.needs_input_grad
        grads = _LSTMInputGrads(dG, xa, _prev(hbuf, L, reverse), w_ih, need, reverse)
        for n_done, t in enumerate(range(L) if reverse else range(L - 1, -1, -1), 1):
            a, tc = acts[t], tcs[t]
            i, f, g, o = a
            if gy is not None:
                dh += gy[t]
            if dhs is not None:
                dhs[t] = dh
                np.matmul(dh, w_hr, out=dm)
            # dc += dm * o * (1 - tanh(c)^2)
            np.multiply(tc, tc, out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dm
            dc += tmp
            # d(pre-activations) = sd * X: sd the gates' derivatives, X what each gate multiplied
            np.subtract(1, a, out=sd)
            sd *= a
            np.multiply(g, g, out=tmp)
            np.subtract(1, tmp, out=sd[2])
            np.multiply(dc, g, out=X[0])
            np.multiply(dc, c_prev[t], out=X[1])
            np.multiply(dc, i, out=X[2])
            np.multiply(dm, tc, out=X[3])
            np.multiply(sd, X, out=dG[t].reshape(N, 4, H).transpose(1, 0, 2))
            dc *= f
            np.matmul(dG_in[t], w_hh, out=dh_out)
            grads.steps_done(n_done)
        gx, wb, gw_hh = grads.finish()
        I = xa.shape[-1] - 1
        gb = None if wb is None else wb[:, I]
        gw_hr = _make(_flat(dhs).T @ _flat(ms)) if w_hr is not None and need[7] else None
        return (_make(gx) if need[0] else None, _make(np.ascontiguousarray(wb[:, :I])) if need[1] else None,
                _make(gb.copy()) if need[2] else None, _make(gb.copy()) if need[3] else None,
                _make(dh) if need[4] else None, _make(dc) if need[5] else None,
                _make(gw_hh) if need[6] else None, gw_hr, None)


def _chunk_ends(L, N):
    """Where the background chunks end, in steps done.

    The background thread does about three quarters of a loop step's time in GEMMs per step, so chunks
    of equal size keep it just behind the loop, and what is left after the loop is the last chunk's
    work. So chunks of about 400 rows of dG (12 steps in the lstm benchmark) shrink by a third at a
    time towards the end, down to about 100 rows (0.2 ms of GEMMs): few jobs, each of which costs the
    loop a few GIL hand-overs, and a short wait after it.
    """
    sizes, c, rest = [], max(1, 100 // max(N, 1)), L
    cap = max(1, 400 // max(N, 1))
    while rest > c:
        sizes.append(c)
        rest -= c
        c = min(cap, -(-c * 3 // 2))
    sizes.append(rest)
    return list(itertools.accumulate(reversed(sizes)))


class _LSTMInputGrads:
    """The gradients of an LSTM layer that are GEMMs over every step's dG (L, N, 4H): x's, W_ih's (with the
    bias's, against x's column of ones) and W_hh's.

    None of them feeds a later step of backpropagation through time, so while more than one thread is
    allowed they are computed a chunk of steps at a time on the background thread (see chainrule._threads)
    as the backward loop finishes those steps: the GEMMs run on the second core under the loop. Chunks
    shrink towards the end of the loop: each job costs the loop a few GIL hand-overs (some ten
    microseconds each on these machines), so there are few of them, and the last one, all that is left
    after the loop, is short. Each product is cut into small GEMMs so OpenBLAS keeps it on that thread.
    Otherwise (one thread, or products too big to cut) they are three large GEMMs after the loop.
    """

    def __init__(self, dG, xa, h_prev, w_ih, need, reverse):
        L, N, G = dG.shape
        self.dG, self.xa, self.h_prev, self.w_ih, self.reverse, self.L = dG, xa, h_prev, w_ih, reverse, L
        dt = dG.dtype
        self.gx = np.empty((L, N, w_ih.shape[1]), dt) if need[0] else None
        self.wb = np.empty((G, xa.shape[-1]), dt) if need[1] or need[2] or need[3] else None
        self.whh = np.empty((G, h_prev.shape[-1]), dt) if need[6] else None
        self.ends = _chunk_ends(L, N)
        self.cut_x = _small_blocks(N, G * w_ih.shape[1], 8)
        most = max(b - a for a, b in zip([0] + self.ends, self.ends))
        self.overlap = len(self.ends) > 1 and self.cut_x and all(self._cuts(most)) and get_num_threads() > 1
        # each chunk's products go to parts and are added to the totals (the first is written there)
        self.parts = (None if self.wb is None else np.empty_like(self.wb),
                      None if self.whh is None else np.empty_like(self.whh)) if self.overlap else (None, None)
        self.fresh = True
        self.done = 0
        self.jobs = []

    def _cuts(self, steps):
        """Row blocks of the two weight-gradient products over that many steps: small GEMMs, or 0."""
        rows, G = steps * self.dG.shape[1], self.dG.shape[2]
        return _small_blocks(G, rows * self.xa.shape[-1], 64), _small_blocks(G, rows * self.h_prev.shape[-1], 64)

    def steps_done(self, n):
        if self.overlap and n == self.ends[len(self.jobs)]:
            L, lo = self.L, self.done
            span = (lo, n) if self.reverse else (L - n, L - lo)
            self.jobs.append(background(self._products, *span, self._cuts(n - lo)))
            self.done = n

    def finish(self):
        """Wait for the chunks; returns (gx, [gW_ih | gb], gW_hh), None where not needed."""
        try:
            if not self.overlap:
                self._products(0, self.L, None)
        finally:
            for job in self.jobs:
                job.wait()
        return self.gx, self.wb, self.whh

    def _products(self, lo, hi, cuts):
        """Add in the products over steps lo..hi-1; cuts: row blocks as set in __init__, or None for whole GEMMs."""
        df = _flat(self.dG[lo:hi])
        if self.gx is not None:
            gx = _flat(self.gx[lo:hi])
            if cuts is None:
                np.matmul(df, self.w_ih, out=gx)
            else:
                _blocked_matmul(df, self.w_ih, gx, (hi - lo) * self.cut_x)
        for acc, part, b, k in ((self.wb, self.parts[0], self.xa, cuts and cuts[0]),
                                (self.whh, self.parts[1], self.h_prev, cuts and cuts[1])):
            if acc is not None:
                out = acc if self.fresh else part
                if cuts is None:
                    np.matmul(df.T, _flat(b[lo:hi]), out=out)
                else:
                    _blocked_matmul(df.T, _flat(b[lo:hi]), out, k)
                if not self.fresh:
                    acc += part
        self.fresh = False


def _zeros_or(g, like):
    return zeros_like(like) if g is None else g


def _lstm_backward_graph(ctx, inputs, gys, ghn, gcn):
    """The same backward in chainrule ops, from a recomputed forward (create_graph=True)."""
    x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr = inputs
    gi = linear(x, w_ih, b_ih if b_hh is None else b_hh if b_ih is None else b_ih + b_hh)
    L = gi.shape[0]
    order, _, _ = _slots(L, ctx.reverse)
    h, c = h0, c0
    steps = [None] * L
    for t in order:
        i, f, g, o = (gi[t] + linear(h, w_hh)).chunk(4, -1)
        i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
        c_new = f * c + i * g
        tc = c_new.tanh()
        m = o * tc
        steps[t] = (h, c, i, f, g, o, tc, m)
        h = m if w_hr is None else linear(m, w_hr)
        c = c_new
    dh = _zeros_or(ghn, h0)
    dc = _zeros_or(gcn, c0)
    dGs = [None] * L
    gw_hr = None
    for t in reversed(order):
        h_prev, c_prev, i, f, g, o, tc, m = steps[t]
        if gys is not None:
            dh = dh + gys[t]
        if w_hr is not None:
            term = dh.t() @ m
            gw_hr = term if gw_hr is None else gw_hr + term
            dm = dh @ w_hr
        else:
            dm = dh
        dc = dc + dm * o * (1 - tc * tc)
        dGs[t] = cat([dc * g * (i * (1 - i)), dc * c_prev * (f * (1 - f)), dc * i * (1 - g * g),
                      dm * tc * (o * (1 - o))], -1)
        dc = dc * f
        dh = dGs[t] @ w_hh
    dG = stack(dGs, 0)
    dGf = _flat_t(dG)
    h_prev = stack([steps[t][0] for t in range(L)], 0)
    need = ctx.needs_input_grad
    gx = dG @ w_ih if need[0] else None
    gw_ih = dGf.t() @ _flat_t(x) if need[1] else None
    gb = dG.sum((0, 1)) if need[2] or need[3] else None
    gw_hh = dGf.t() @ _flat_t(h_prev) if need[6] else None
    return (gx, gw_ih, gb if need[2] else None, gb if need[3] else None, dh, dc, gw_hh,
            gw_hr if need[7] else None, None)


def _flat_t(t):
    return t.reshape(-1, t.shape[-1])


def lstm_layer(x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr=None, reverse=False):
    """One LSTM layer and direction over ``x`` (L, N, H_in), its input projection included: (output, h_n, c_n)."""
    return LSTMLayer.apply(x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, reverse)


# -- GRU -------------------------------------------------------------------------------------------
class GRULayer(Function):
    """(gi, h0, w_hh, b_hh, reverse) -> (output (L, N, H), h_n)."""
    _array_forward = True
    _node_name = "GruLayerBackward0"

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, reverse):
        L, N, G = gi.shape
        H = G // 3
        dt = gi.dtype
        wt = np.ascontiguousarray(w_hh.T)
        acts = np.empty((L, N, G), dt)  # sigmoid of (gi + gh) for r and z (the third block is unused)
        ghs = np.empty((L, N, G), dt)  # h W_hh^T + b_hh: backward needs its new-gate block
        ns = np.empty((L, N, H), dt)
        hbuf = np.empty((L + 1, N, H), dt)
        order, rd, wr = _slots(L, reverse)
        hbuf[L if reverse else 0] = h0
        with np.errstate(over="ignore"):
            for t in order:
                a, gh, n, h_prev = acts[t], ghs[t], ns[t], hbuf[t + rd]
                np.matmul(h_prev, wt, out=gh)
                if b_hh is not None:
                    gh += b_hh
                np.add(gi[t], gh, out=a)
                _sigmoid_(a)
                np.multiply(a[:, :H], gh[:, 2 * H:], out=n)
                n += gi[t, :, 2 * H:]
                np.tanh(n, out=n)
                h = hbuf[t + wr]
                np.subtract(h_prev, n, out=h)
                h *= a[:, H:2 * H]
                h += n
        ys = hbuf[:L] if reverse else hbuf[1:]
        ctx.reverse = reverse
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(gi, h0, w_hh, b_hh, ys, acts, ghs, ns, hbuf)
        return ys, hbuf[0 if reverse else L].copy()

    @staticmethod
    def backward(ctx, gys, ghn):
        saved = ctx.saved_tensors
        if _state.grad_enabled:
            return _gru_backward_graph(ctx, saved[:4], gys, ghn)
        _, h0, w_hh, b_hh, _, acts, ghs, ns, hbuf = _arrays(saved)
        L, N, G = acts.shape
        H = G // 3
        dt = acts.dtype
        reverse = ctx.reverse
        h_prev = _prev(hbuf, L, reverse)
        r_, z_, n_ = slice(0, H), slice(H, 2 * H), slice(2 * H, G)
        dGi = np.empty((L, N, G), dt)
        dGh = np.empty((L, N, G), dt)
        dh = np.zeros((N, H), dt) if ghn is None else ghn._data.copy()
        gy = None if gys is None else gys._data
        sd = np.empty((N, G), dt)
        dn = np.empty((N, H), dt)
        tmp = np.empty((N, H), dt)
        for t in (range(L) if reverse else range(L - 1, -1, -1)):
            a, n, gi_t, gh_t = acts[t], ns[t], dGi[t], dGh[t]  # gi_t, gh_t: the gradients at step t
            if gy is not None:
                dh += gy[t]
            np.subtract(1, a, out=sd)
            sd *= a  # r(1 - r), z(1 - z)
            # new gate: dh (1 - z)(1 - n^2)
            np.multiply(n, n, out=dn)
            np.subtract(1, dn, out=dn)
            dn *= dh
            np.subtract(1, a[:, z_], out=tmp)
            np.multiply(dn, tmp, out=gi_t[:, n_])
            # update gate: dh (h - n) z(1 - z)
            np.subtract(h_prev[t], n, out=tmp)
            tmp *= dh
            np.multiply(tmp, sd[:, z_], out=gi_t[:, z_])
            # reset gate: d(new) ghn r(1 - r)
            np.multiply(gi_t[:, n_], ghs[t, :, n_], out=tmp)
            np.multiply(tmp, sd[:, r_], out=gi_t[:, r_])
            gh_t[:, :2 * H] = gi_t[:, :2 * H]
            np.multiply(gi_t[:, n_], a[:, r_], out=gh_t[:, n_])
            np.matmul(gh_t, w_hh, out=tmp)
            dh *= a[:, z_]
            dh += tmp
        need = ctx.needs_input_grad
        dGhf = _flat(dGh)
        gw_hh = _make(dGhf.T @ _flat(h_prev)) if need[2] else None
        gb_hh = _make(dGhf.sum(0)) if need[3] else None
        return (_make(dGi) if need[0] else None, _make(dh) if need[1] else None, gw_hh, gb_hh, None)


def _gru_backward_graph(ctx, inputs, gys, ghn):
    gi, h0, w_hh, b_hh = inputs
    L = gi.shape[0]
    order, _, _ = _slots(L, ctx.reverse)
    h = h0
    steps = [None] * L
    for t in order:
        ir, iz, in_ = gi[t].chunk(3, -1)
        hr, hz, hn = linear(h, w_hh, b_hh).chunk(3, -1)
        r = (ir + hr).sigmoid()
        z = (iz + hz).sigmoid()
        n = (in_ + r * hn).tanh()
        steps[t] = (h, r, z, n, hn)
        h = (h - n) * z + n
    dh = _zeros_or(ghn, h0)
    dGi, dGh = [None] * L, [None] * L
    for t in reversed(order):
        h_prev, r, z, n, hn = steps[t]
        if gys is not None:
            dh = dh + gys[t]
        dn = dh * (1 - z) * (1 - n * n)
        dz = dh * (h_prev - n) * (z * (1 - z))
        dr = dn * hn * (r * (1 - r))
        dGi[t] = cat([dr, dz, dn], -1)
        dGh[t] = cat([dr, dz, dn * r], -1)
        dh = dh * z + dGh[t] @ w_hh
    dGi, dGh = stack(dGi, 0), stack(dGh, 0)
    h_prev = stack([steps[t][0] for t in range(L)], 0)
    need = ctx.needs_input_grad
    gw_hh = _flat_t(dGh).t() @ _flat_t(h_prev) if need[2] else None
    gb_hh = dGh.sum((0, 1)) if need[3] else None
    return dGi, dh, gw_hh, gb_hh, None


def gru_layer(gi, h0, w_hh, b_hh=None, reverse=False):
    """One GRU layer and direction over the projected input ``gi`` (L, N, 3H): (output, h_n)."""
    return GRULayer.apply(gi, h0, w_hh, b_hh, reverse)


# -- Elman RNN -------------------------------------------------------------------------------------
class RNNLayer(Function):
    """(gi, h0, w_hh, b_hh, relu, reverse) -> (output (L, N, H), h_n)."""
    _array_forward = True
    _node_name = "RnnLayerBackward0"

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, relu, reverse):
        L, N, H = gi.shape
        dt = gi.dtype
        wt = np.ascontiguousarray(w_hh.T)
        pre = gi if b_hh is None else gi + b_hh
        hbuf = np.empty((L + 1, N, H), dt)
        order, rd, wr = _slots(L, reverse)
        hbuf[L if reverse else 0] = h0
        for t in order:
            h = hbuf[t + wr]
            np.matmul(hbuf[t + rd], wt, out=h)
            h += pre[t]
            if relu:
                np.maximum(h, 0, out=h)
            else:
                np.tanh(h, out=h)
        ys = hbuf[:L] if reverse else hbuf[1:]
        ctx.reverse, ctx.relu = reverse, relu
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(gi, h0, w_hh, b_hh, ys, hbuf)
        return ys, hbuf[0 if reverse else L].copy()

    @staticmethod
    def backward(ctx, gys, ghn):
        saved = ctx.saved_tensors
        if _state.grad_enabled:
            return _rnn_backward_graph(ctx, saved[:4], gys, ghn)
        _, h0, w_hh, b_hh, ys, hbuf = _arrays(saved)
        L, N, H = ys.shape
        dt = ys.dtype
        reverse = ctx.reverse
        if ctx.relu:
            D = (ys > 0).astype(dt)
        else:
            D = ys * ys
            np.subtract(1, D, out=D)
        dG = np.empty((L, N, H), dt)
        dh = np.zeros((N, H), dt) if ghn is None else ghn._data.copy()
        gy = None if gys is None else gys._data
        order = range(L) if reverse else range(L - 1, -1, -1)
        for t in order:
            if gy is not None:
                dh += gy[t]
            np.multiply(dh, D[t], out=dG[t])
            np.matmul(dG[t], w_hh, out=dh)
        need = ctx.needs_input_grad
        dGf = _flat(dG)
        gw_hh = _make(dGf.T @ _flat(_prev(hbuf, L, reverse))) if need[2] else None
        gb_hh = _make(dGf.sum(0)) if need[3] else None
        return _make(dG) if need[0] else None, _make(dh) if need[1] else None, gw_hh, gb_hh, None, None


def _rnn_backward_graph(ctx, inputs, gys, ghn):
    gi, h0, w_hh, b_hh = inputs
    L = gi.shape[0]
    order, _, _ = _slots(L, ctx.reverse)
    h = h0
    steps = [None] * L
    for t in order:
        pre = gi[t] + linear(h, w_hh, b_hh)
        out = pre.relu() if ctx.relu else pre.tanh()
        steps[t] = (h, out)
        h = out
    dh = _zeros_or(ghn, h0)
    dGs = [None] * L
    for t in reversed(order):
        h_prev, out = steps[t]
        if gys is not None:
            dh = dh + gys[t]
        if ctx.relu:
            dGs[t] = dh * _make((out._data > 0).astype(out._data.dtype))
        else:
            dGs[t] = dh * (1 - out * out)
        dh = dGs[t] @ w_hh
    dG = stack(dGs, 0)
    h_prev = stack([steps[t][0] for t in range(L)], 0)
    need = ctx.needs_input_grad
    gw_hh = _flat_t(dG).t() @ _flat_t(h_prev) if need[2] else None
    gb_hh = dG.sum((0, 1)) if need[3] else None
    return dG, dh, gw_hh, gb_hh, None, None


def rnn_layer(gi, h0, w_hh, b_hh=None, relu=False, reverse=False):
    """One Elman RNN layer and direction over the projected input ``gi`` (L, N, H): (output, h_n)."""
    return RNNLayer.apply(gi, h0, w_hh, b_hh, relu, reverse)
