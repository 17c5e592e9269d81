"""Random numbers: generators, seeding, samplers, and the in-place ``*_`` samplers.

The CPU generator is a Mersenne Twister (mt19937) seeded with the low 32 bits of the
seed, exactly as PyTorch's, and each sampler turns its 32-bit draws into values the way
PyTorch's CPU kernels do, so ``manual_seed(s)`` followed by the same calls gives PyTorch's
numbers. What was observed (and is tested against torch in tests/test_random.py):

* float32 uniform: the low 24 bits of one draw times 2**-24; float64: the low 53 bits of
  a 64-bit value made of two draws (first draw high) times 2**-53; ``from + u * (to -
  from)`` is one fused multiply-add.
* normal, fewer than 16 elements or a non-contiguous tensor: Box-Muller in double, one
  pair of uniforms per two values (``theta = 2 pi u1``, ``r = sqrt(-2 log1p(-u2))``), the
  second value (sine) cached in the generator for the next call.
* normal, 16 or more contiguous elements: all uniforms first, then Box-Muller on each
  block of 16 (``u1 = 1 - x[j]``, ``u2 = x[j + 8]``, cosine to j and sine to j + 8); a
  ragged tail redraws 16 uniforms and redoes the last 16 elements.
* integers: ``from + draw % range``, one draw for ranges below 2**28, two above.

float64 results go through the C library's ``log``/``log1p``/``tan``/``exp`` (``math``),
because NumPy's vectorised versions differ from it in the last bit now and then.
"""
from __future__ import annotations

import math
import os
import struct
from contextlib import contextmanager

import numpy as np

from .. import _dtype
from .._size import check_device, device as _device_cls
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "fork_rng", "rand", "rand_like", "randn", "randn_like", "randint",
           "randint_like", "randperm", "normal", "bernoulli", "multinomial", "poisson"]

_DEFAULT_SEED = 67280421310721
_STATE_SIZE = 5056
_U64 = (1 << 64) - 1


# -- the generator ---------------------------------------------------------------------------------
def _mt_key(seed):
    # mt19937's init_genrand on the low 32 bits of the seed; NumPy's legacy seeding is that.
    return np.random.RandomState(seed & 0xFFFFFFFF).get_state(legacy=True)[1]


def _seed_value(seed):
    s = int(seed)
    if s < -(1 << 63) or s > _U64:
        raise ValueError("Overflow when unpacking long long")
    return s & _U64


class Generator:
    """A random number generator (CPU); pass it as ``generator=`` to any sampler.

    >>> g = chainrule.Generator().manual_seed(0)
    >>> chainrule.rand(2, generator=g)
    tensor([0.4963, 0.7682])
    """

    __slots__ = ("_bg_obj", "_seed", "_fresh", "_normal")

    def __init__(self, device="cpu"):
        check_device(device)
        self._bg_obj = None
        self.manual_seed(_DEFAULT_SEED)

    @property
    def _bg(self):
        # NumPy's MT19937 is made on the first draw: importing numpy.random costs ~15 ms,
        # which ``import chainrule`` should not pay.
        bg = self._bg_obj
        if bg is None:
            bg = self._bg_obj = np.random.MT19937(0)
            bg.state = {"bit_generator": "MT19937", "state": {"key": _mt_key(self._seed), "pos": 624}}
        return bg

    @property
    def device(self):
        return _device_cls("cpu")

    def manual_seed(self, seed) -> Generator:
        """Seed the generator (any int in [-2**63, 2**64)); returns the generator."""
        s = _seed_value(seed)
        if self._bg_obj is not None:
            self._bg_obj.state = {"bit_generator": "MT19937", "state": {"key": _mt_key(s), "pos": 624}}
        self._seed = s
        self._fresh = True
        self._normal = None
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed used."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self) -> Tensor:
        """The generator's state as a uint8 tensor (PyTorch's CPU layout, 5056 bytes)."""
        st = self._bg.state["state"]
        pos = int(st["pos"])
        nxt, left = (0, 1) if self._fresh else (pos, 625 - pos)
        head = struct.pack("<QiiQ", self._seed, left, 1, nxt)
        key = np.asarray(st["key"], dtype="<u8").tobytes()
        normal = self._normal
        tail = struct.pack("<dddi4xfB3x", 0.0, 0.0 if normal is None else normal, 0.0,
                           0 if normal is None else 1, 0.0, 0)
        return Tensor._make(np.frombuffer(head + key + tail, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state from ``get_state`` (also accepts PyTorch's CPU generator states)."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not _dtype.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.ascontiguousarray(new_state._data).reshape(-1).tobytes()
        if len(raw) != _STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input "
                               f"RNG state size to be {len(raw)}")
        seed, left, _seeded, nxt = struct.unpack_from("<QiiQ", raw, 0)
        key = np.frombuffer(raw, dtype="<u8", count=624, offset=24)
        _x, normal_y, _rho, valid = struct.unpack_from("<dddi", raw, 24 + 624 * 8)
        if not 1 <= left <= 624 or key.max() > 0xFFFFFFFF:
            raise RuntimeError("The given RNG state is not a valid mt19937 state")
        self._bg.state = {"bit_generator": "MT19937",
                          "state": {"key": key.astype(np.uint32), "pos": 625 - left}}
        self._seed = seed
        self._fresh = nxt == 0
        self._normal = normal_y if valid else None
        return self

    def __repr__(self):
        return f"<chainrule.Generator object at {hex(id(self))}>"

    # -- raw draws (every draw goes through here) --------------------------------------------
    def _raw32(self, n):
        """``n`` 32-bit draws, as uint64."""
        if n <= 0:
            return np.zeros(0, np.uint64)
        self._fresh = False
        return self._bg.random_raw(n)

    def _raw64(self, n):
        """``n`` 64-bit values, each from two draws (the first is the high half)."""
        r = self._raw32(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    def _u32(self, n):
        """float32 uniforms in [0, 1): 24 bits of one draw."""
        return (self._raw32(n) & np.uint64(0xFFFFFF)).astype(np.float32) * np.float32(2.0 ** -24)

    def _u64(self, n):
        """float64 uniforms in [0, 1): 53 bits of a 64-bit draw."""
        return (self._raw64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * (2.0 ** -53)


default_generator = Generator()
default_generator.seed()


def _gen(generator):
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a chainrule.Generator, but got {type(generator).__name__}")
    return generator


def manual_seed(seed) -> Generator:
    """Seed the default generator: after ``manual_seed(s)`` the samplers give PyTorch's numbers."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system and return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state, a uint8 tensor (``set_rng_state`` restores it)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(new_state)


@contextmanager
def fork_rng(devices=None, enabled=True, **kwargs):
    """Restore the default generator's state when the block ends."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# -- exact arithmetic helpers ------------------------------------------------------------------
_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitter for doubles


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _sum_odd(a, b):
    # a + b rounded to odd: the sum, moved one ulp toward the exact value if it was inexact
    # and landed on an even mantissa. Rounding that to nearest afterwards is exact rounding.
    s, e = _two_sum(a, b)
    bits = s.view(np.int64)
    fix = (e != 0) & ((bits & 1) == 0)
    if fix.any():
        bits = np.where(fix, bits + np.where((e > 0) == (s > 0), 1, -1), bits)
        s = bits.view(np.float64)
    return s


def _fma64(a, b, c):
    """a * b + c with one rounding, in float64 (PyTorch's CPU kernels fuse these)."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    a, b, c = np.broadcast_arrays(a, b, c)
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    pe = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + pe == a * b exactly
    s, se = _two_sum(c, p)
    return s + _sum_odd(se, pe)


def _fma32(a, b, c):
    """a * b + c with one rounding, in float32 (float32 arguments).

    The product is exact in float64, so the float64 sum is off by less than half its ulp;
    rounding it to float32 is then exact unless it landed on a float32 halfway point (or in
    the subnormal range): redo those with the sum rounded to odd.
    """
    p = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    c = np.asarray(c, np.float64)
    s = p + c
    flat = s.reshape(-1)
    bits = flat.view(np.int64)
    tie = ((bits & 0x1FFFFFFF) == 0x10000000) | (np.abs(flat) < 2.0 ** -125)
    r = s.astype(np.float32)
    if tie.any():
        p, c = np.broadcast_arrays(p, c)
        odd = _sum_odd(p.reshape(-1)[tie], c.reshape(-1)[tie]).astype(np.float32)
        if r.ndim:
            r.reshape(-1)[tie] = odd
        else:
            r = odd[0]
    return r


def _libm(fn, x):
    """``fn`` (a ``math`` function: the C library's) over a float64 array."""
    return np.fromiter(map(fn, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


def _libm_fast(npfn, fn, x):
    """``fn`` over a float64 array, for a C library ``fn`` that rounds correctly except within
    0.02 ulp of a halfway point (glibc's log, exp, pow): evaluate in extended precision, round,
    and ask the C library itself only where the result is that close to a tie."""
    ext = npfn(x.astype(np.longdouble))
    r = ext.astype(np.float64)
    off = np.abs((ext - r.astype(np.longdouble)).astype(np.float64))
    near = ~(off <= 0.47 * np.spacing(np.abs(r)))  # also catches nan and inf
    if near.any():
        r[near] = _libm(fn, x[near])
    return r


def _exact_for(dt):
    return dt is _dtype.float64


# -- samplers: n values, in order, as a flat array of dtype dt -------------------------------------
_TWO_PI = 2.0 * math.pi


def _uniform(g, n, dt, lo=0.0, hi=1.0):
    if dt is _dtype.float64:
        u = g._u64(n)
        return u if (lo == 0.0 and hi == 1.0) else _fma64(u, hi - lo, lo)
    u = g._u32(n)
    if not (lo == 0.0 and hi == 1.0):
        lo32 = np.float32(lo)
        u = _fma32(u, np.float32(hi) - lo32, lo32)
    return u.astype(dt.np, copy=False)


def _std_normals(g, n, exact):
    """``n`` standard normals in double, one at a time as PyTorch's serial path makes them."""
    out = np.empty(n, np.float64)
    k = 0
    if n and g._normal is not None:
        out[0] = g._normal
        g._normal = None
        k = 1
    m = n - k
    pairs = (m + 1) // 2
    if pairs:
        u = g._u64(2 * pairs)
        u1, u2 = u[0::2], u[1::2]
        lg = _libm(math.log1p, -u2) if exact else np.log1p(-u2)
        if m % 2:  # the cached value outlives this call: make it exactly PyTorch's
            lg[-1] = math.log1p(-u2[-1])
        r = np.sqrt(-2.0 * lg)
        th = _TWO_PI * u1
        z = np.empty(2 * pairs, np.float64)
        z[0::2] = r * np.cos(th)
        z[1::2] = r * np.sin(th)
        out[k:] = z[:m]
        if m % 2:
            g._normal = float(z[-1])
    return out


def _normal_serial(g, n, dt, mean, std):
    z = _std_normals(g, n, _exact_for(dt))
    if not (mean == 0.0 and std == 1.0):
        z = _fma64(z, std, mean)
    return z.astype(dt.np, copy=False)


def _box_muller16(x, dt, mean, std):
    """Blocks of 16 uniforms (shape (m, 2, 8)) to normals, in place of the block."""
    if dt is _dtype.float64:
        r = np.sqrt(-2.0 * _libm_fast(np.log, math.log, 1.0 - x[:, 0]))
        th = _TWO_PI * x[:, 1]
        c, s = r * np.cos(th), r * np.sin(th)
        if not (mean == 0.0 and std == 1.0):
            c, s = _fma64(c, std, mean), _fma64(s, std, mean)
    else:
        x32 = x.astype(np.float32, copy=False)
        r = np.sqrt(np.float32(-2.0) * np.log(np.float32(1.0) - x32[:, 0]))
        th = np.float32(_TWO_PI) * x32[:, 1]
        c, s = r * np.cos(th), r * np.sin(th)
        if not (mean == 0.0 and std == 1.0):
            c, s = _fma32(c, np.float32(std), np.float32(mean)), _fma32(s, np.float32(std), np.float32(mean))
    x[:, 0] = c
    x[:, 1] = s


def _normal_blocks(g, n, dt, mean, std):
    udt = _dtype.float64 if dt is _dtype.float64 else _dtype.float32
    d = _uniform(g, n, udt)
    full = n // 16 * 16
    _box_muller16(d[:full].reshape(-1, 2, 8), dt, mean, std)
    if n % 16:
        tail = _uniform(g, 16, udt)
        _box_muller16(tail.reshape(1, 2, 8), dt, mean, std)
        d[n - 16:] = tail
    return d.astype(dt.np, copy=False)


def _normal(g, n, dt, mean=0.0, std=1.0, contiguous=True):
    if n >= 16 and contiguous:
        return _normal_blocks(g, n, dt, mean, std)
    return _normal_serial(g, n, dt, mean, std)


def _from_to(g, n, dt, lo, span):
    """``lo + draw % span`` as PyTorch's ``random_(from, to)``."""
    if span >= 1 << 28:
        r = g._raw64(n) % np.uint64(span)
    else:
        r = g._raw32(n) % np.uint64(span)
    if dt.is_floating_point:
        return (r.astype(np.float64) + lo).astype(dt.np)
    if lo >= 0:
        return (r + np.uint64(lo)).astype(dt.np)
    return (r.astype(np.int64) + np.int64(lo)).astype(dt.np)


_FULL_RANGE = {"float32": (32, 1 << 24), "float16": (32, 1 << 11), "float64": (64, 1 << 53),
               "int64": (64, (1 << 63) - 1), "int32": (32, (1 << 31) - 1), "int16": (32, (1 << 15) - 1),
               "int8": (32, (1 << 7) - 1), "uint8": (32, 255), "bool": (32, 1)}


def _random_full(g, n, dt):
    """``random_()``: integers from 0 up to the largest the dtype holds exactly."""
    bits, top = _FULL_RANGE[dt.name]
    r = g._raw64(n) if bits == 64 else g._raw32(n)
    return (r % np.uint64(top + 1)).astype(dt.np)


# -- helpers for public functions -----------------------------------------------------------------
def _size(size, name):
    from .creation import _size_args
    return _size_args(size, name)


def _size_kw(size, kwargs, name):
    if kwargs:
        if set(kwargs) != {"size"} or size:
            bad = next(k for k in kwargs if k != "size") if set(kwargs) != {"size"} else "size"
            raise TypeError(f"{name}() got an unexpected keyword argument '{bad}'")
        size = (kwargs["size"],)
    if not size:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (), but expected "
                        "(tuple of ints size, *, chainrule.Generator generator, Tensor out, dtype, layout, "
                        "device, bool pin_memory, bool requires_grad)")
    return size


def _tuple_size(size, name, pos):
    if isinstance(size, (int, np.integer)) or not isinstance(size, (tuple, list)) and not (
            isinstance(size, Tensor) and size.dim() == 1):
        where = f" (position {pos})" if pos else ""
        raise TypeError(f"{name}(): argument 'size'{where} must be tuple of ints, not {type(size).__name__}")
    return _size((tuple(size),), name)


def _float_dtype(dtype, name, kernel):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_cap(dt)}\'')
    return dt


def _cap(dt):
    from .._tensor import _cap as cap
    return cap(dt)


def _fmt(x):
    return f"{x:g}"


def _new(shape, values, dt, requires_grad=False, out=None):
    arr = values.reshape(shape)
    if arr.dtype != dt.np:
        arr = arr.astype(dt.np)
    if out is not None:
        return _write_out(out, arr)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _write_out(out, arr):
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    out._check_inplace()
    if out._data.shape != arr.shape:
        out._data = np.empty(arr.shape, out._data.dtype)
    np.copyto(out._data, arr, casting="unsafe")
    out._vc[0] += 1
    return out


def _memory_order(a):
    """Axes of ``a`` from the largest stride to the smallest: PyTorch's fill order."""
    return sorted(range(a.ndim), key=lambda i: (-abs(a.strides[i]), i))


def _fill(self, make, node):
    """Fill ``self`` in place with ``make(n, contiguous)`` (a flat array in memory order)."""
    self._check_inplace()
    a = self._data
    contiguous = a.flags.c_contiguous
    vals = make(a.size, contiguous)
    if contiguous:
        vals = vals.reshape(a.shape)
    else:
        perm = _memory_order(a)
        vals = vals.reshape([a.shape[i] for i in perm]).transpose(np.argsort(perm))
    if self._requires_grad and _state.grad_enabled:
        return self._apply_inplace(node.apply(self, vals.astype(a.dtype, copy=False)))
    np.copyto(a, vals, casting="unsafe")
    self._vc[0] += 1
    return self


def _zero_grad_fn(name):
    """A Function for a sampler: output is ``values``; every tensor input gets a zero gradient."""

    def forward(ctx, *args):
        return args[-1]

    def backward(ctx, g):
        from .creation import zeros_like
        return tuple(zeros_like(g) if need else None for need in ctx.needs_input_grad[:-1]) + (None,)

    return type(name.replace("Backward", ""), (Function,), {
        "_array_forward": True, "_node_name": name,
        "forward": staticmethod(forward), "backward": staticmethod(backward)})


_Uniform = _zero_grad_fn("UniformBackward0")
_NormalInplace = _zero_grad_fn("NormalBackward0")
_Normal1 = _zero_grad_fn("NormalBackward1")
_Normal2 = _zero_grad_fn("NormalBackward2")
_Normal3 = _zero_grad_fn("NormalBackward3")
_RandomFromTo = _zero_grad_fn("RandomBackward0")
_RandomTo = _zero_grad_fn("RandomBackward1")
_RandomFull = _zero_grad_fn("RandomBackward2")
_Bernoulli = _zero_grad_fn("BernoulliBackward0")
_BernoulliT = _zero_grad_fn("BernoulliBackward1")
_BernoulliF = _zero_grad_fn("BernoulliBackward2")
_Exponential = _zero_grad_fn("ExponentialBackward0")
_Geometric = _zero_grad_fn("GeometricBackward0")
_Cauchy = _zero_grad_fn("CauchyBackward0")
_LogNormal = _zero_grad_fn("LogNormalBackward0")
_Poisson = _zero_grad_fn("PoissonBackward0")


def _check_tensor(x, name, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position 1) must be Tensor, not {type(x).__name__}")


def _like_dtype(input, dtype):
    return _dtype.to_dtype(dtype) if dtype is not None else input.dtype


# -- public creation functions ---------------------------------------------------------------------
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kwargs) -> Tensor:
    """Uniform samples in [0, 1): ``rand(2, 3)``; PyTorch's numbers after ``manual_seed``.

    >>> chainrule.manual_seed(0); chainrule.rand(2)
    tensor([0.4963, 0.7682])
    """
    check_device(device)
    shape = _size(_size_kw(size, kwargs, "rand"), "rand")
    dt = _float_dtype(dtype, "rand", "check_uniform_bounds")
    g = _gen(generator)
    return _new(shape, _uniform(g, math.prod(shape), dt), dt, requires_grad, out)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None) -> Tensor:
    """``rand`` with the shape (and by default dtype) of ``input``."""
    _check_tensor(input, "rand_like")
    return rand(input.shape, dtype=_like_dtype(input, dtype), device=device, requires_grad=requires_grad,
                generator=generator)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kwargs) -> Tensor:
    """Standard normal samples: ``randn(2, 3)``; PyTorch's numbers after ``manual_seed``.

    >>> chainrule.manual_seed(0); chainrule.randn(2)
    tensor([ 1.5410, -0.2934])
    """
    check_device(device)
    shape = _size(_size_kw(size, kwargs, "randn"), "randn")
    dt = _float_dtype(dtype, "randn", "normal_kernel_cpu")
    g = _gen(generator)
    return _new(shape, _normal(g, math.prod(shape), dt), dt, requires_grad, out)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None) -> Tensor:
    """``randn`` with the shape (and by default dtype) of ``input``."""
    _check_tensor(input, "randn_like")
    return randn(input.shape, dtype=_like_dtype(input, dtype), device=device, requires_grad=requires_grad,
                 generator=generator)


def _int_arg(v, fname, argname, pos):
    if isinstance(v, Tensor) and v._data.size == 1 and v._data.dtype.kind in "iu":
        v = int(v.item())
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be int, not {type(v).__name__}")
    return int(v)


_INT_BOUNDS = {"uint8": (0, 255, "unsigned char"), "int8": (-128, 127, "signed char"),
               "int16": (-(1 << 15), (1 << 15) - 1, "short"), "int32": (-(1 << 31), (1 << 31) - 1, "int"),
               "int64": (-(1 << 63), (1 << 63) - 1, "long"), "bool": (0, 1, "bool")}


def _check_from_to(lo, hi, dt):
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    b = _INT_BOUNDS.get(dt.name)
    if b is not None:
        if not b[0] <= lo <= b[1]:
            raise RuntimeError(f"from is out of bounds for {b[2]}")
        if not b[0] <= hi - 1 <= b[1]:
            raise RuntimeError(f"to - 1 is out of bounds for {b[2]}")


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(10, (3,))`` or ``randint(3, 10, (3,))``."""
    check_device(device)
    pos = 3
    if size is None:
        if high is None:
            raise TypeError(f"randint() received an invalid combination of arguments - got "
                            f"({type(low).__name__}), but expected (int high, tuple of ints size) or "
                            "(int low, int high, tuple of ints size)")
        low, high, size, pos = 0, low, high, 2
    elif high is None:
        low, high, pos = 0, low, 0
    low = _int_arg(low, "randint", "low", 1)
    high = _int_arg(high, "randint", "high", 2)
    shape = _tuple_size(size, "randint", pos)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    _check_from_to(low, high, dt)
    g = _gen(generator)
    return _new(shape, _from_to(g, math.prod(shape), dt, low, high - low), dt, requires_grad, out)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None) -> Tensor:
    """``randint`` with the shape (and by default dtype) of ``input``."""
    _check_tensor(input, "randint_like")
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=_like_dtype(input, dtype), device=device,
                   requires_grad=requires_grad, generator=generator)


def _fisher_yates_targets(g, n):
    # Step i swaps positions i and i + draw % (n - i).
    span = np.arange(n, 1, -1, dtype=np.uint64)
    wide = span >= (1 << 28)
    if wide.any():
        k = int(wide.sum())
        z = np.concatenate([g._raw64(k) % span[:k], g._raw32(n - 1 - k) % span[k:]])
    else:
        z = g._raw32(n - 1) % span
    return z.astype(np.int64) + np.arange(n - 1, dtype=np.int64)


def _apply_swaps(j, n):
    """The permutation that the swaps (i, j[i]), i = 0, 1, ..., leave on ``arange(n)``.

    Vectorised: after step i, position i never changes, so ``out[i]`` is what sat at j[i]
    just before: what the latest earlier step aiming at j[i] moved there, or j[i] itself.
    What step m moved there is what sat at m before step m: the same question again, so the
    answers form chains (each link to an earlier step), resolved by pointer doubling.
    """
    j = np.concatenate([j, np.array([n - 1], dtype=np.int64)])  # the last position stays put
    order = np.argsort(j, kind="stable")  # steps grouped by target, in step order
    js = j[order]
    same = js[1:] == js[:-1]
    prev = np.full(n, -1, np.int64)  # the previous step with the same target
    prev[order[1:][same]] = order[:-1][same]
    last = np.ones(n, bool)
    last[:-1] = ~same
    target, step = js[last], order[last]
    # The latest step before m that aimed at position m (a step m aiming at itself is not before m).
    before = np.where(step == target, prev[step], step)
    ptr = np.arange(n, dtype=np.int64)
    ok = before >= 0
    ptr[target[ok]] = before[ok]
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        ptr = nxt
    return np.where(prev >= 0, ptr[np.maximum(prev, 0)], j)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (PyTorch's Fisher-Yates, so the same one after a seed)."""
    check_device(device)
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    if not dt.is_floating_point and dt is not _dtype.bool and n > 0 and n - 1 > _INT_BOUNDS[dt.name][1]:
        raise RuntimeError(f"value cannot be converted to type {dt.np.name}_t without overflow")
    g = _gen(generator)
    if n < 2:
        perm = np.arange(n, dtype=np.int64)
    else:
        perm = _apply_swaps(_fisher_yates_targets(g, n), n)
    return _new((n,), perm, dt, requires_grad, out)


# -- normal, with its four overloads ---------------------------------------------------------------
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False) -> Tensor:
    """Normal samples: ``normal(mean, std)`` with tensor or float arguments (broadcast), or
    ``normal(mean, std, size)`` with floats.

    >>> chainrule.manual_seed(0); chainrule.normal(chainrule.zeros(2), 1.0)
    tensor([ 1.5410, -0.2934])
    """
    g = _gen(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if size is not None or not (mt or st):
        if mt or st or size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one of: "
                            "(Tensor mean, Tensor std), (Tensor mean, float std), (float mean, Tensor std), "
                            "(float mean, float std, tuple of ints size)")
        check_device(device)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        if isinstance(size, (int, np.integer)):
            raise TypeError("normal() received an invalid combination of arguments - got (float, float, int), "
                            "but expected (float mean, float std, tuple of ints size)")
        shape = _tuple_size(size, "normal", 3)
        dt = _float_dtype(dtype, "normal", "normal_kernel_cpu")
        return _new(shape, _normal(g, math.prod(shape), dt, float(mean), float(std)), dt, requires_grad, out)
    if mt and st:
        dt = mean.dtype
        shape = _broadcast(mean._data.shape, std._data.shape)
    else:
        t = mean if mt else std
        dt = t.dtype
        shape = t._data.shape
    if not dt.is_floating_point:
        raise NotImplementedError(f'"normal_kernel_cpu" not implemented for \'{_cap(dt)}\'')
    if st:
        if (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    n = math.prod(shape)
    if mt and not st:
        z = _normal(g, n, dt, 0.0, float(std)).reshape(shape)
        vals = (z + mean._data.astype(dt.np, copy=False)).astype(dt.np, copy=False)
        fn, args = _Normal1, (mean,)
    else:
        z = _normal(g, n, dt).reshape(shape)
        z = (z * std._data.astype(dt.np, copy=False)).astype(dt.np, copy=False)
        m = mean._data.astype(dt.np, copy=False) if mt else dt.np.type(mean)
        vals = (z + m).astype(dt.np, copy=False)
        fn, args = (_Normal3, (mean, std)) if mt else (_Normal2, (std,))
    if out is not None:
        return _write_out(out, vals)
    return fn.apply(*args, vals)


def _broadcast(a, b):
    n = max(len(a), len(b))
    out = []
    for k in range(1, n + 1):
        x = a[-k] if k <= len(a) else 1
        y = b[-k] if k <= len(b) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {n - k}")
        out.append(max(x, y) if x != 1 and y != 1 else x * y)
    return tuple(reversed(out))


# -- bernoulli, multinomial, poisson -----------------------------------------------------------------
def _bernoulli_p_values(g, p, shape):
    pa = np.broadcast_to(p._data, shape)
    u = g._u64(pa.size) if p.dtype is _dtype.float64 else g._u32(pa.size)
    return u.reshape(shape) < pa


def _check_p_tensor(p):
    if not p.dtype.is_floating_point:
        raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{_cap(p.dtype)}\'')
    if ((p._data < 0) | (p._data > 1) | np.isnan(p._data)).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                           "message be improved?  If so, please report an enhancement request to PyTorch.)")


def _check_p(p):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """Draw 0/1 with probabilities ``input`` (or with probability ``p`` everywhere)."""
    _check_tensor(input, "bernoulli")
    g = _gen(generator)
    if p is not None:
        _check_p(p)
        vals = (g._u64(input._data.size) < p).reshape(input._data.shape).astype(input.dtype.np)
        if out is not None:
            return _write_out(out, vals)
        return Tensor._make(vals)
    _check_p_tensor(input)
    vals = _bernoulli_p_values(g, input, input._data.shape).astype(input.dtype.np)
    if out is not None:
        return _write_out(out, vals)
    return _Bernoulli.apply(input, vals)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Sample category indices from the rows of ``input`` (non-negative weights).

    >>> chainrule.manual_seed(0); chainrule.multinomial(chainrule.tensor([1., 3.]), 4, True)
    tensor([1, 1, 1, 1])
    """
    _check_tensor(input, "multinomial")
    g = _gen(generator)
    n = _int_arg(num_samples, "multinomial", "num_samples", 2)
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_cap(input.dtype)}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    w = input._data
    cats = w.shape[-1]
    if not replacement and n > cats:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if cats > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    w2 = w.reshape(-1, cats)
    if (~np.isfinite(w2) | (w2 < 0)).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (w2.sum(axis=1, dtype=np.float64) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = w2.shape[0]
    if replacement:
        cdf = np.cumsum(w2, axis=1, dtype=np.float64)
        cdf /= cdf[:, -1:]
        u = g._u64(rows * n).reshape(rows, n)
        idx = np.stack([np.searchsorted(cdf[r], u[r], side="left") for r in range(rows)])
        idx = np.minimum(idx, cats - 1)
    else:
        # The exponential race: the n largest w / Exp(1) are a sample without replacement.
        q = _exponential(g, w2.size, input.dtype, 1.0).reshape(w2.shape)
        key = (w2 / q).astype(w2.dtype, copy=False)
        if n == 1:
            idx = np.argmax(key, axis=1)[:, None]
        else:
            idx = np.argsort(-key, axis=1, kind="stable")[:, :n]
    vals = idx.astype(np.int64).reshape(w.shape[:-1] + (n,))
    if out is not None:
        return _write_out(out, vals)
    return Tensor._make(vals)


class _UniformStream:
    """Uniform doubles consumed one at a time (for samplers that use a variable number).

    Draws ahead in chunks from a copy of the state, then advances the real generator by
    exactly what was used.
    """

    def __init__(self, g):
        self.g = g
        self.start = g._bg.state
        self.buf = []
        self.i = self.used = 0

    def next(self):
        if self.i == len(self.buf):
            self.buf = self.g._u64(max(64, len(self.buf) * 2)).tolist()
            self.used += self.i
            self.i = 0
        self.i += 1
        return self.buf[self.i - 1]

    def close(self):
        used = self.used + self.i
        self.g._bg.state = self.start
        self.g._raw32(2 * used)


def _poisson_one(lam, nxt):
    if lam >= 10.0:
        # Hormann's transformed rejection with squeeze (PTRS).
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = nxt() - 0.5
            v = nxt()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1)):
                return k
    if lam == 0:
        return 0
    # Knuth: count uniforms until their product drops to exp(-lam).
    enlam = math.exp(-lam)
    x = 0
    prod = 1.0
    while True:
        prod *= nxt()
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates ``input`` (same shape and dtype)."""
    _check_tensor(input, "poisson")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"poisson_cpu" not implemented for \'{_cap(input.dtype)}\'')
    rates = input._data
    if (rates < 0).any() or np.isnan(rates).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    g = _gen(generator)
    stream = _UniformStream(g)
    try:
        vals = [_poisson_one(lam, stream.next) for lam in rates.ravel().tolist()]
    finally:
        stream.close()
    arr = np.array(vals, dtype=rates.dtype).reshape(rates.shape)
    return _Poisson.apply(input, arr)


def _exponential(g, n, dt, lambd):
    u = g._u64(n)
    lg = _libm(math.log1p, -u) if _exact_for(dt) else np.log1p(-u)
    return ((-1.0 / lambd) * lg).astype(dt.np, copy=False)


# -- the in-place samplers (Tensor methods) ----------------------------------------------------------
def _float_self(self, kernel):
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_cap(self.dtype)}\'')


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs) -> Tensor:
    """Fill with uniform samples from [from, to)."""
    from_ = kwargs.pop("from", from_)
    _float_self(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_fmt(from_)} > to={_fmt(to)}")
    g = _gen(generator)
    dt = self.dtype
    return _fill(self, lambda n, c: _uniform(g, n, dt, float(from_), float(to)), _Uniform)


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """Fill with normal samples N(mean, std**2)."""
    _float_self(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    g = _gen(generator)
    dt = self.dtype
    return _fill(self, lambda n, c: _normal(g, n, dt, float(mean), float(std), c), _NormalInplace)


def random_(self, from_=None, to=None, *, generator=None, **kwargs) -> Tensor:
    """Fill with integers: ``random_()`` (0 .. the largest exact integer of the dtype),
    ``random_(to)`` (0 .. to-1) or ``random_(from, to)``."""
    from_ = kwargs.pop("from", from_)
    g = _gen(generator)
    dt = self.dtype
    if from_ is None and to is None:
        return _fill(self, lambda n, c: _random_full(g, n, dt), _RandomFull)
    if to is None:
        lo, hi, node = 0, int(from_), _RandomTo
    else:
        lo, hi, node = int(from_), int(to), _RandomFromTo
    _check_from_to(lo, hi, dt)
    return _fill(self, lambda n, c: _from_to(g, n, dt, lo, hi - lo), node)


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 draws: probability ``p`` (a float, or a tensor broadcast to self)."""
    g = _gen(generator)
    if isinstance(p, Tensor):
        _check_p_tensor(p)
        a = self._data
        try:
            pa = np.broadcast_to(p._data, a.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor p {list(p.shape)} can't be broadcast to the size of "
                               f"self {list(a.shape)}") from None
        if not a.flags.c_contiguous:
            pa = pa.transpose(_memory_order(a))
        pa = pa.ravel()
        wide = p.dtype is _dtype.float64
        return _fill(self, lambda n, c: (g._u64(n) if wide else g._u32(n)) < pa, _BernoulliT)
    _check_p(p)
    return _fill(self, lambda n, c: g._u64(n) < p, _BernoulliF)


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    """Fill with exponential samples of rate ``lambd``."""
    if not self.dtype.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_cap(self.dtype)}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    g = _gen(generator)
    dt = self.dtype
    return _fill(self, lambda n, c: _exponential(g, n, dt, float(lambd)), _Exponential)


def geometric_(self, p, *, generator=None) -> Tensor:
    """Fill with geometric samples: the number of trials up to the first success."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    g = _gen(generator)
    dt = self.dtype
    denom = math.log1p(-p)

    def make(n, c):
        return np.ceil(np.log(g._u64(n)) / denom).astype(dt.np)
    return _fill(self, make, _Geometric)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy samples."""
    _float_self(self, "cauchy_cpu")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    g = _gen(generator)
    dt = self.dtype

    def make(n, c):
        x = math.pi * (g._u64(n) - 0.5)
        t = _libm(math.tan, x) if _exact_for(dt) else np.tan(x)
        return _fma64(float(sigma), t, float(median)).astype(dt.np)
    return _fill(self, make, _Cauchy)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    """Fill with samples whose logarithm is N(mean, std**2)."""
    _float_self(self, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    g = _gen(generator)
    dt = self.dtype

    def make(n, c):
        z = _fma64(_std_normals(g, n, _exact_for(dt)), float(std), float(mean))
        return (_libm_fast(np.exp, math.exp, z) if _exact_for(dt) else np.exp(z)).astype(dt.np)
    return _fill(self, make, _LogNormal)


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


METHODS = {
    "uniform_": uniform_, "normal_": normal_, "random_": random_, "bernoulli_": bernoulli_,
    "exponential_": exponential_, "geometric_": geometric_, "cauchy_": cauchy_, "log_normal_": log_normal_,
    "bernoulli": _bernoulli_method, "multinomial": _multinomial_method,
}
