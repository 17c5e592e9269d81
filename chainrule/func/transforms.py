"""The transforms behind chainrule.func."""
from __future__ import annotations

import functools

from .._tensor import Tensor
from ..autograd import grad as _autograd_grad
from ..autograd.grad_mode import enable_grad
from ._pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call", "vmap",
           "linearize"]


def _track(x):
    """A fresh differentiable handle on ``x`` that stays linked to any outer graph."""
    if not isinstance(x, Tensor):
        return x
    if x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _untrack(x, keep):
    if isinstance(x, Tensor) and not keep:
        return x.detach()
    return x


def _argnums_tuple(argnums, n):
    if isinstance(argnums, int):
        if not -n <= argnums < n:
            raise RuntimeError(f"Got argnums={argnums}, but only {n} positional inputs")
        return (argnums % n,), False
    return tuple(a % n for a in argnums), True


def _outer_needs_graph(args):
    leaves, _ = tree_flatten(args)
    return any(isinstance(x, Tensor) and x.requires_grad for x in leaves)


def grad_and_value(func, argnums=0, has_aux=False):
    """Like ``grad``, returning ``(gradient, value)`` (and aux inside value when ``has_aux``)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        keep = _outer_needs_graph(args)
        nums, is_tuple = _argnums_tuple(argnums, len(args))
        with enable_grad():
            args = list(args)
            wrt_specs = []
            wrt = []
            for i in nums:
                leaves, spec = tree_flatten(args[i])
                leaves = [_track(x) for x in leaves]
                args[i] = tree_unflatten(leaves, spec)
                wrt_specs.append((len(wrt), len(leaves), spec))
                wrt.extend(leaves)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: "
                                       "(output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
            if out.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                                   f"with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
            if out.requires_grad:
                gs = _autograd_grad(out, wrt, create_graph=True, allow_unused=True, materialize_grads=True)
            else:
                from ..ops.creation import zeros_like
                gs = tuple(zeros_like(w) for w in wrt)
        gs = [_untrack(g, keep) for g in gs]
        grads = tuple(tree_unflatten(gs[s:s + n], spec) for s, n, spec in wrt_specs)
        grads = grads if is_tuple else grads[0]
        value = _untrack(out, keep)
        if has_aux:
            return grads, (value, tree_map(lambda a: _untrack(a, keep), aux))
        return grads, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar function: ``grad(f)(x)`` is df/dx. Nests: ``grad(grad(f))``.

    >>> chainrule.func.grad(lambda x: (x ** 3).sum())(chainrule.tensor([2.]))
    tensor([12.])
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, v = gv(*args, **kwargs)
        if has_aux:
            return g, v[1]
        return g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(v)`` gives one cotangent per primal."""
    keep = _outer_needs_graph(primals)
    with enable_grad():
        leaves, spec = tree_flatten(primals)
        tracked = [_track(x) for x in leaves]
        ins = tree_unflatten(tracked, spec)
        out = func(*ins)
        aux = None
        if has_aux:
            out, aux = out
    out_leaves, out_spec = tree_flatten(out)

    def vjp_fn(*cotangents):
        cot = cotangents[0] if len(cotangents) == 1 and not isinstance(out, tuple) else cotangents
        cot_leaves, _ = tree_flatten(cot)
        if len(cot_leaves) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               "outputs to the function")
        with enable_grad():
            pairs = [(o, c) for o, c in zip(out_leaves, cot_leaves) if o.requires_grad]
            wrt = [t for t in tracked if isinstance(t, Tensor)]
            if pairs:
                gs = list(_autograd_grad([p[0] for p in pairs], wrt, [p[1] for p in pairs], create_graph=True,
                                         retain_graph=True, allow_unused=True, materialize_grads=True))
            else:
                from ..ops.creation import zeros_like
                gs = [zeros_like(w) for w in wrt]
        it = iter(_untrack(g, keep) for g in gs)
        return tree_unflatten([next(it) if isinstance(t, Tensor) else None for t in tracked], spec)

    result = tree_map(lambda t: _untrack(t, keep), out)
    if has_aux:
        return result, vjp_fn, aux
    return result, vjp_fn


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)`` in forward mode."""
    from ..autograd import forward_ad as fwAD
    p_leaves, spec = tree_flatten(primals)
    t_leaves, _ = tree_flatten(tangents)
    if len(p_leaves) != len(t_leaves):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure.")
    with fwAD.dual_level():
        duals = [fwAD.make_dual(p, t) for p, t in zip(p_leaves, t_leaves)]
        out = func(*tree_unflatten(duals, spec))
        aux = None
        if has_aux:
            out, aux = out
        o_leaves, o_spec = tree_flatten(out)
        prim, tan = [], []
        from ..ops.creation import zeros_like
        for o in o_leaves:
            p, t = fwAD.unpack_dual(o)
            prim.append(p.detach())
            tan.append(zeros_like(p) if t is None else t.detach())
    res = (tree_unflatten(prim, o_spec), tree_unflatten(tan, o_spec))
    return res + (aux,) if has_aux else res


def linearize(func, *primals):
    out = func(*primals)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]
    return out, jvp_fn


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian by reverse mode, shape ``output.shape + input.shape``. Nests for Hessians."""
    from ..ops.creation import zeros
    from ..ops.shape import stack

    @functools.wraps(func)
    def wrapper(*args):
        keep = _outer_needs_graph(args)
        nums, is_tuple = _argnums_tuple(argnums, len(args))
        with enable_grad():
            args = list(args)
            for i in nums:
                args[i] = _track(args[i])
            out = func(*args)
            aux = None
            if has_aux:
                out, aux = out
            wrt = [args[i] for i in nums]
            o_leaves, o_spec = tree_flatten(out)
            jacs = []
            for o in o_leaves:
                flat = o.reshape(-1)
                rows = [[] for _ in wrt]
                for e in range(flat.numel()):
                    if flat.requires_grad:
                        gs = _autograd_grad(flat[e], wrt, create_graph=True, retain_graph=True, allow_unused=True,
                                            materialize_grads=True)
                    else:
                        gs = [zeros(w.shape, dtype=w.dtype) for w in wrt]
                    for k, g in enumerate(gs):
                        rows[k].append(g)
                blocks = []
                for k, w in enumerate(wrt):
                    j = stack(rows[k]).reshape(tuple(o.shape) + tuple(w.shape)) if rows[k] else \
                        zeros(tuple(o.shape) + tuple(w.shape), dtype=w.dtype)
                    blocks.append(_untrack(j, keep))
                jacs.append(tuple(blocks) if is_tuple else blocks[0])
        res = tree_unflatten(jacs, o_spec)
        return (res, aux) if has_aux else res
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian by forward mode (one tangent per input element)."""
    from ..ops.creation import zeros_like
    from ..ops.shape import stack

    @functools.wraps(func)
    def wrapper(*args):
        nums, is_tuple = _argnums_tuple(argnums, len(args))
        per_input = []
        out_val = aux = None
        for i in nums:
            x = args[i]
            cols = []
            for e in range(x.numel()):
                t = zeros_like(x)
                t._data.reshape(-1)[e] = 1
                a = list(args)

                def f_i(xi, a=a, i=i):
                    a[i] = xi
                    return func(*a)
                res = jvp(f_i, (x,), (t,), has_aux=has_aux)
                out_val, tan = res[0], res[1]
                if has_aux:
                    aux = res[2]
                cols.append(tan)
            o_leaves, o_spec = tree_flatten(out_val)
            c_leaves = [tree_flatten(c)[0] for c in cols]
            blocks = []
            for k, o in enumerate(o_leaves):
                j = stack([c[k] for c in c_leaves], dim=-1).reshape(tuple(o.shape) + tuple(x.shape))
                blocks.append(j)
            per_input.append(tree_unflatten(blocks, o_spec))
        if is_tuple:
            o_leaves, o_spec = tree_flatten(out_val)
            res = tree_unflatten([tuple(tree_flatten(p)[0][k] for p in per_input) for k in range(len(o_leaves))],
                                 o_spec)
        else:
            res = per_input[0]
        return (res, aux) if has_aux else res
    return wrapper


def hessian(func, argnums=0):
    """The Hessian of a scalar function (reverse over reverse)."""
    return jacrev(jacrev(func, argnums), argnums)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call ``module`` with its parameters and buffers replaced by the given tensors."""
    if isinstance(parameter_and_buffer_dicts, (list, tuple)):
        merged = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                if k in merged:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of functional call is ambiguous")
            merged.update(d)
    else:
        merged = dict(parameter_and_buffer_dicts)
    if strict:
        expected = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing = sorted(expected - set(merged))
        unexpected = sorted(set(merged) - expected)
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: missing {missing}, "
                               f"unexpected {unexpected}")
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    kwargs = kwargs or {}
    saved = []
    try:
        for name, value in merged.items():
            owner = module
            *path, leaf = name.split(".")
            for p in path:
                owner = getattr(owner, p)
            for table in ("_parameters", "_buffers"):
                d = owner.__dict__.get(table)
                if d is not None and leaf in d:
                    saved.append((d, leaf, d[leaf]))
                    d[leaf] = value
                    break
            else:
                saved.append((owner, leaf, getattr(owner, leaf, None)))
                object.__setattr__(owner, leaf, value)
        return module(*args, **kwargs)
    finally:
        for holder, key, old in reversed(saved):
            if isinstance(holder, dict):
                holder[key] = old
            else:
                object.__setattr__(holder, key, old)


def _batch_size(flat_args, flat_dims):
    sizes = {a.shape[d] for a, d in zip(flat_args, flat_dims) if d is not None and isinstance(a, Tensor)}
    if not sizes:
        raise ValueError("vmap: at least one input must be mapped over (got in_dims=None for every Tensor input)")
    if len(sizes) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sorted(sizes)} for the mapped dimension")
    return sizes.pop()


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Map ``func`` over a batch dimension of its inputs; ``vmap(grad(f))`` gives per-sample gradients.

    >>> per_sample = chainrule.func.vmap(chainrule.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    """
    from ..ops.shape import stack

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`. in_dims has structure with {len(dims)} leaves but inputs has "
                             f"{len(args)} leaves.")
        flat_args, flat_dims, specs = [], [], []
        for a, d in zip(args, dims):
            leaves, spec = tree_flatten(a)
            if isinstance(d, (tuple, list, dict)):
                dl, _ = tree_flatten(d)
            else:
                dl = [d] * len(leaves)
            for x, dd in zip(leaves, dl):
                if dd is not None and not isinstance(x, Tensor):
                    raise ValueError(f"vmap: Got in_dim={dd} for an input but the input is of type {type(x)}. "
                                     "We cannot vmap over non-Tensor arguments")
            specs.append((len(leaves), spec))
            flat_args.extend(leaves)
            flat_dims.extend(dl)
        n = _batch_size(flat_args, flat_dims)
        results = []
        for i in range(n):
            sliced = [a.select(d, i) if d is not None else a for a, d in zip(flat_args, flat_dims)]
            it = iter(sliced)
            call_args = [tree_unflatten([next(it) for _ in range(k)], spec) for k, spec in specs]
            results.append(func(*call_args, **kwargs))
        leaves0, spec0 = tree_flatten(results[0])
        per_leaf = [[tree_flatten(r)[0][k] for r in results] for k in range(len(leaves0))]
        od = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(leaves0)
        out = []
        for vals, d in zip(per_leaf, od):
            if d is None:
                out.append(vals[0])
                continue
            vals = [v if isinstance(v, Tensor) else _scalar_tensor(v) for v in vals]
            out.append(stack(vals, dim=d))
        return tree_unflatten(out, spec0)
    return wrapper


def _scalar_tensor(v):
    from ..ops.creation import tensor
    return tensor(v)
