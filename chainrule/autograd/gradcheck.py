"""gradcheck and gradgradcheck: analytical gradients against finite differences."""
from __future__ import annotations

import warnings

import numpy as np

from . import function as _function
from .grad_mode import no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the Jacobians disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _diff_inputs(inputs):
    Tensor = _function.Tensor
    return [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _outputs(func, inputs):
    Tensor = _function.Tensor
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]


def _numerical_jacobians(func, inputs, eps):
    """J[k][j] has shape (numel of input k, numel of output j), by central differences."""
    diff = _diff_inputs(inputs)
    with no_grad():
        outs0 = _outputs(func, inputs)
    jac = [[np.zeros((t.numel(), o.numel())) for o in outs0] for _, t in diff]
    for k, (_, t) in enumerate(diff):
        flat = t._data.reshape(-1)  # a view: writes go into the input itself
        for e in range(flat.size):
            orig = flat[e]
            with no_grad():
                flat[e] = orig + eps
                hi = [o._data.astype(np.float64).reshape(-1).copy() for o in _outputs(func, inputs)]
                flat[e] = orig - eps
                lo = [o._data.astype(np.float64).reshape(-1).copy() for o in _outputs(func, inputs)]
                flat[e] = orig
            for j in range(len(outs0)):
                jac[k][j][e] = (hi[j] - lo[j]) / (2 * eps)
    return jac, outs0


def _analytical_jacobians(func, inputs):
    from . import grad as autograd_grad
    from ..ops.creation import zeros_like
    diff = _diff_inputs(inputs)
    outs = _outputs(func, inputs)
    jac = [[np.zeros((t.numel(), o.numel())) for o in outs] for _, t in diff]
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for e in range(o.numel()):
            g = zeros_like(o)
            g._data.reshape(-1)[e] = 1
            grads = autograd_grad(o, [t for _, t in diff], grad_outputs=g, retain_graph=True, allow_unused=True)
            for k, gk in enumerate(grads):
                if gk is not None:
                    jac[k][j][:, e] = gk._data.astype(np.float64).reshape(-1)
    return jac


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Check ``func``'s gradients at ``inputs`` against central differences (use float64 inputs).

    >>> x = chainrule.randn(3, dtype=chainrule.float64, requires_grad=True)
    >>> chainrule.autograd.gradcheck(chainrule.sin, (x,))
    True
    """
    from ..ops.creation import tensor
    inputs = _as_tuple(inputs)
    diff = _diff_inputs(inputs)
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the "
                         "them have requires_grad=True.")
    for i, t in diff:
        if t.dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex. ", stacklevel=2)
    numerical, outs = _numerical_jacobians(func, inputs, eps)
    analytical = _analytical_jacobians(func, inputs) if check_backward_ad else numerical
    for k, (i, _) in enumerate(diff):
        for j in range(len(outs)):
            a, n = analytical[k][j], numerical[k][j]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {j} with respect to input {i},\n"
                             f"numerical:{tensor(n, dtype=outs[j].dtype)!r}\n"
                             f"analytical:{tensor(a, dtype=outs[j].dtype)!r}\n"
                             f"largest difference {np.abs(a - n).max():.3g} at (input element, output element) "
                             f"{tuple(int(v) for v in np.unravel_index(np.abs(a - n).argmax(), a.shape))}\n", raise_exception)
    if check_forward_ad:
        ok = _check_forward(func, inputs, diff, numerical, outs, atol, rtol, raise_exception)
        if ok is not True:
            return ok
    return True


def _check_forward(func, inputs, diff, numerical, outs, atol, rtol, raise_exception):
    from . import forward_ad as fwAD
    from ..ops.creation import tensor, zeros_like
    for k, (i, t) in enumerate(diff):
        for e in range(t.numel()):
            v = zeros_like(t)
            v._data.reshape(-1)[e] = 1
            with fwAD.dual_level():
                args = list(inputs)
                args[i] = fwAD.make_dual(t.detach(), v)
                res = _outputs(func, args)
                tangents = [fwAD.unpack_dual(r).tangent for r in res]
            for j, tg in enumerate(tangents):
                got = np.zeros(outs[j].numel()) if tg is None else tg._data.astype(np.float64).reshape(-1)
                if not np.allclose(got, numerical[k][j][e], rtol=rtol, atol=atol):
                    return _fail(f"Jacobian computed with forward mode mismatch for output {j} with respect to "
                                 f"input {i},\nnumerical:{tensor(numerical[k][j][e])!r}\n"
                                 f"analytical:{tensor(got)!r}\n", raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: gradcheck of the function ``(inputs, v) -> vjp(func, inputs, v)``."""
    from . import grad as autograd_grad
    from ..ops.creation import tensor
    inputs = _as_tuple(inputs)
    n_in = len(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        with no_grad():
            outs = _outputs(func, inputs)
        grad_outputs = tuple(tensor(rng.standard_normal(o.shape), dtype=o.dtype, requires_grad=True)
                             for o in outs if o.requires_grad or True)
    grad_outputs = _as_tuple(grad_outputs)
    diff_idx = [i for i, _ in _diff_inputs(inputs)]

    def vjp_fn(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(func, ins) if o.requires_grad]
        wrt = [ins[i] for i in diff_idx]
        grads = autograd_grad(outs, wrt, grad_outputs=list(gos[:len(outs)]), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(vjp_fn, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
