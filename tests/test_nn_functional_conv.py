"""nn.functional convolutions, unfold/fold and linear maps against torch: values, gradients, errors."""
import numpy as np
import pytest

import chainrule as C
from opcheck import check_op, check_parity, same_as_torch

rng = np.random.default_rng(0)


def _a(*shape):
    return rng.standard_normal(shape)


CONV2D = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 1), padding=1),
    dict(padding=(1, 0)),
    dict(dilation=2, padding=1),
    dict(dilation=(1, 2), padding=(2, 1), stride=(1, 2)),
    dict(groups=2),
    dict(groups=2, stride=2, padding=1),
    dict(padding="same"),
    dict(padding="same", dilation=(2, 1)),
    dict(padding="valid"),
    dict(stride=3, padding=1),  # leftover rows the windows never reach
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kw", CONV2D, ids=str)
def test_conv2d(kw):
    g = kw.get("groups", 1)
    check_op(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, **kw), _a(1, 2, 4, 5), _a(2, 2 // g, 2, 3), _a(2))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, groups=3), dict(padding="same")],
                         ids=str)
def test_conv1d(kw):
    g = kw.get("groups", 1)
    check_op(lambda L, x, w: L.nn.functional.conv1d(x, w, **kw), _a(2, 3, 6), _a(3, 3 // g, 2))


def test_conv_unbatched_and_no_bias():
    check_op(lambda L, x, w: L.nn.functional.conv2d(x, w, padding=1), _a(2, 3, 3), _a(1, 2, 2, 2))
    check_op(lambda L, x, w: L.nn.functional.conv1d(x, w), _a(2, 5), _a(3, 2, 3))


def test_conv3d():
    check_op(lambda L, x, w, b: L.nn.functional.conv3d(x, w, b, stride=(1, 2, 1), padding=1),
             _a(1, 2, 3, 3, 2), _a(2, 2, 2, 2, 2), _a(2))


CONV_T = [
    dict(),
    dict(stride=2),
    dict(stride=2, output_padding=1),
    dict(padding=1),
    dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2)),
    dict(dilation=2, padding=1),
    dict(dilation=2, output_padding=1),
    dict(groups=2),
    dict(groups=2, stride=2, padding=1, output_padding=1, dilation=(1, 2)),
]


@pytest.mark.parametrize("kw", CONV_T, ids=str)
def test_conv_transpose2d(kw):
    g = kw.get("groups", 1)
    check_op(lambda L, x, w, b: L.nn.functional.conv_transpose2d(x, w, b, **kw), _a(1, 2, 3, 3), _a(2, 3, 2, 2),
             _a(3 * g))


def test_conv_transpose1d_and_unbatched():
    check_op(lambda L, x, w: L.nn.functional.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1),
             _a(2, 2, 4), _a(2, 3, 3))
    check_op(lambda L, x, w: L.nn.functional.conv_transpose2d(x, w, stride=2), _a(2, 2, 3), _a(2, 1, 2, 2))


def test_conv_larger_shapes_match_torch():
    # beyond what numerical differences can afford: parity of values and gradients only
    x, w, b = _a(4, 6, 11, 9), _a(8, 3, 3, 3), _a(8)
    for kw in (dict(groups=2, padding=1), dict(stride=2, dilation=2, groups=2), dict(groups=2, padding="same")):
        check_parity(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, **kw), x, w, b)
        check_parity(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, **kw), x, w, b, dtype=np.float64,
                     atol=1e-10, rtol=1e-10)
    wt = _a(6, 4, 3, 3)
    check_parity(lambda L, x, w: L.nn.functional.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1), x, wt)


def test_integer_convolutions_match_torch():
    x = rng.integers(-3, 4, (1, 2, 4, 4))
    w = rng.integers(-2, 3, (2, 1, 2, 2))
    same_as_torch(lambda L: L.nn.functional.conv2d(L.tensor(x), L.tensor(w), groups=2, padding=1))
    same_as_torch(lambda L: L.nn.functional.conv_transpose2d(L.tensor(x), L.tensor(w), stride=2))


def test_conv_float32_stays_float32_and_grad_fn():
    x = C.randn(1, 2, 4, 4, requires_grad=True)
    y = C.nn.functional.conv2d(x, C.randn(3, 2, 3, 3))
    assert y.dtype == C.float32 and y.grad_fn.name() == "ConvolutionBackward0"
    g, = C.autograd.grad(y.sum(), x)
    assert g.dtype == C.float32


def test_conv_third_order_matches_torch():
    # the backward of the backward is again a convolution, so any order works
    xa, wa = _a(1, 1, 4, 4), _a(1, 1, 2, 2)

    def run(L):
        x = L.tensor(xa, requires_grad=True)
        w = L.tensor(wa, requires_grad=True)
        y = (L.nn.functional.conv2d(x, w, stride=2, padding=1) ** 3).sum()
        gx, = L.autograd.grad(y, x, create_graph=True)
        gw, = L.autograd.grad((gx ** 2).sum(), w, create_graph=True)
        return L.autograd.grad((gw ** 2).sum(), [x, w])
    same_as_torch(run, tol=1e-8)


CONV_ERRORS = [
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 2, 3, 3)),
    lambda L: L.nn.functional.conv2d(L.randn(5, 5), L.randn(4, 3, 3, 3)),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3), groups=2),
    lambda L: L.nn.functional.conv2d(L.randn(2, 4, 5, 5), L.randn(3, 2, 3, 3), groups=2),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3), stride=0),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3), padding=-1),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3), dilation=0),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3), padding="same", stride=2),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3), padding="foo"),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 7, 7)),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3), bias=L.randn(3)),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3, dtype=L.float64)),
    lambda L: L.nn.functional.conv2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3), stride=(1, 2, 3)),
    lambda L: L.nn.functional.conv1d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3)),
    lambda L: L.nn.functional.conv_transpose2d(L.randn(2, 3, 5, 5), L.randn(4, 3, 3, 3)),
    lambda L: L.nn.functional.conv_transpose2d(L.randn(2, 3, 5, 5), L.randn(3, 3, 3, 3), output_padding=1),
    lambda L: L.nn.functional.conv_transpose2d(L.randn(2, 4, 5, 5), L.randn(4, 3, 3, 3), bias=L.randn(4)),
]


@pytest.mark.parametrize("fn", CONV_ERRORS)
def test_conv_errors_match_torch(fn):
    same_as_torch(fn)


def test_conv_speed_is_gemm_not_pixel_loops():
    import time
    x = C.randn(8, 16, 32, 32, requires_grad=True)
    w = C.randn(16, 16, 3, 3, requires_grad=True)
    t = time.perf_counter()
    C.nn.functional.conv2d(x, w, padding=1).sum().backward()
    # a per-pixel Python loop would take seconds here
    assert time.perf_counter() - t < 2.0
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


# -- unfold / fold -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=(1, 2), padding=1),
                                dict(kernel_size=2, dilation=2, padding=(0, 1))], ids=str)
def test_unfold_fold(kw):
    check_op(lambda L, x: L.nn.functional.unfold(x, **kw), _a(1, 2, 4, 5))
    n_out = C.nn.functional.unfold(C.zeros(1, 2, 4, 5), **kw).shape
    check_op(lambda L, c: L.nn.functional.fold(c, (4, 5), **kw), _a(*n_out))


def test_unfold_unbatched_and_fold_errors():
    check_op(lambda L, x: L.nn.functional.unfold(x, 2), _a(2, 3, 3))
    same_as_torch(lambda L: L.nn.functional.fold(L.randn(2, 16, 8), (4, 4), 2))
    with pytest.raises(NotImplementedError, match="Only 3D or 4D input"):  # torch: an IndexError from deep inside
        C.nn.functional.unfold(C.randn(3, 4), 2)


# -- linear / bilinear ---------------------------------------------------------------------------------
def test_linear():
    check_op(lambda L, x, w, b: L.nn.functional.linear(x, w, b), _a(2, 3, 4), _a(5, 4), _a(5))
    check_op(lambda L, x, w: L.nn.functional.linear(x, w), _a(3, 4), _a(5, 4))
    check_op(lambda L, x, w, b: L.nn.functional.linear(x, w, b), _a(4), _a(5, 4), _a(5))
    check_op(lambda L, x, w: L.nn.functional.linear(x, w), _a(3, 4), _a(4))
    check_op(lambda L, x, w, b: L.nn.functional.linear(x, w, b), _a(2, 4), _a(5, 4), _a(2, 5))


def test_linear_grad_fn_names():
    x = C.randn(2, 3, requires_grad=True)
    w = C.randn(4, 3, requires_grad=True)
    assert C.nn.functional.linear(x, w).grad_fn.name() == "MmBackward0"
    assert C.nn.functional.linear(x, w, C.zeros(4)).grad_fn.name() == "AddmmBackward0"
    assert C.nn.functional.linear(x.reshape(1, 2, 3), w, C.zeros(4)).grad_fn.name() == "ViewBackward0"


@pytest.mark.parametrize("fn", [
    lambda L: L.nn.functional.linear(L.randn(5, 5), L.randn(4, 3)),
    lambda L: L.nn.functional.linear(L.randn(2, 3), L.randn(4, 3), L.randn(5)),
    lambda L: L.nn.functional.linear(L.randn(2, 3), L.randn(4, 3, dtype=L.float64)),
    lambda L: L.nn.functional.linear(L.randn(()), L.randn(4, 3)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 3), L.randn(3, 4), L.randn(5, 3, 4)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 3), L.randn(2, 4), L.randn(5, 3, 5)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 3), L.randn(2, 4), L.randn(5, 3, 4), L.randn(4)),
])
def test_linear_errors_match_torch(fn):
    same_as_torch(fn)


def test_bilinear():
    check_op(lambda L, a, b, w, c: L.nn.functional.bilinear(a, b, w, c), _a(2, 3), _a(2, 4), _a(5, 3, 4), _a(5))
    check_op(lambda L, a, b, w: L.nn.functional.bilinear(a, b, w), _a(2, 2, 3), _a(2, 2, 2), _a(2, 3, 2))


# -- stride 1 runs on a flat padded layout with per-thread scratch buffers ---------------------------------
FLAT = [  # (x shape, w shape, kwargs): stride 1 with padding, dilation, groups, 'same', no padding
    ((3, 4, 9, 7), (6, 2, 3, 3), dict(padding=1, groups=2)),
    ((2, 3, 8, 10), (5, 3, 3, 2), dict(padding=(2, 0), dilation=(2, 1))),
    ((2, 3, 6, 9), (4, 3, 4, 3), dict(padding="same", dilation=(1, 2))),  # padding after > before
    ((2, 2, 7, 5), (3, 2, 3, 3), dict()),
    ((2, 1, 28, 28), (8, 1, 3, 3), dict(padding=1)),  # the cnn benchmark's layers
    ((2, 8, 14, 14), (16, 8, 3, 3), dict(padding=1)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("xs,ws,kw", FLAT, ids=str)
def test_conv_stride1_flat_layout_matches_torch(xs, ws, kw):
    x, w, b = _a(*xs), _a(*ws), _a(ws[0])
    check_parity(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, **kw), x, w, b)
    check_parity(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, **kw), x, w, b, dtype=np.float64,
                 atol=1e-10, rtol=1e-10)
    if x.size < 300:
        check_op(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, **kw), x, w, b)


def test_conv_stride1_flat_layout_1d_3d_and_transposed():
    check_op(lambda L, x, w, b: L.nn.functional.conv1d(x, w, b, padding=2, dilation=2), _a(2, 2, 7), _a(3, 2, 3),
             _a(3))
    check_op(lambda L, x, w: L.nn.functional.conv3d(x, w, padding=(1, 0, 1)), _a(1, 2, 3, 4, 3), _a(2, 2, 2, 2, 2))
    # a stride-1 transposed conv is the adjoint on the same layout
    check_op(lambda L, x, w: L.nn.functional.conv_transpose2d(x, w, padding=1), _a(1, 4, 4, 3), _a(4, 2, 3, 3))
    check_parity(lambda L, x, w: L.nn.functional.conv_transpose2d(x, w, padding=(0, 1), dilation=2),
                 _a(2, 3, 6, 5), _a(3, 5, 2, 3))


def test_conv_stride1_strided_inputs():
    # a view with gaps between elements (no padding needed) must not be read as if contiguous
    x, w = _a(2, 3, 8, 12), _a(4, 3, 3, 3)
    check_parity(lambda L, x, w: L.nn.functional.conv2d(x[..., ::2], w), x, w)
    check_parity(lambda L, x, w: L.nn.functional.conv2d(x.transpose(2, 3), w, padding=1), x, w)


def test_conv_results_do_not_share_scratch():
    # the kernels reuse per-thread buffers for their temporaries; no result may live in one
    F = C.nn.functional
    x1, x2, w = C.tensor(_a(2, 3, 6, 6), requires_grad=True), C.tensor(_a(2, 3, 6, 6)), C.tensor(_a(4, 3, 3, 3))
    w.requires_grad_(True)
    y1 = F.conv2d(x1, w, padding=1)
    keep = y1.detach().numpy().copy()
    gx1, gw1 = C.autograd.grad(y1, [x1, w], C.ones(2, 4, 6, 6))
    keep_g = gx1.numpy().copy(), gw1.numpy().copy()
    F.conv2d(x2, w, padding=1)
    C.autograd.grad(F.conv2d(x1, w, padding=1), [x1, w], C.full((2, 4, 6, 6), 2.0))
    np.testing.assert_array_equal(y1.detach().numpy(), keep)
    np.testing.assert_array_equal(gx1.numpy(), keep_g[0])
    np.testing.assert_array_equal(gw1.numpy(), keep_g[1])


def test_conv_in_threads_matches_serial():
    import threading
    F = C.nn.functional
    xs = [C.tensor(_a(8, 8, 24, 24)) for _ in range(4)]  # big enough that NumPy lets go of the GIL
    w = C.tensor(_a(8, 8, 3, 3))
    want = [F.conv2d(x, w, padding=1).numpy() for x in xs]
    got = [True] * len(xs)

    def work(i):
        for _ in range(30):
            got[i] &= np.array_equal(F.conv2d(xs[i], w, padding=1).numpy(), want[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(got)
