"""Flatten nested tuples, lists and dicts of leaves, and rebuild them."""
from __future__ import annotations

__all__ = ["tree_flatten", "tree_unflatten", "tree_map"]


def tree_flatten(tree):
    """``(leaves, spec)``: leaves in order, and what ``tree_unflatten`` needs to rebuild."""
    leaves = []

    def walk(t):
        if isinstance(t, (tuple, list)):
            return (type(t), [walk(x) for x in t])
        if isinstance(t, dict):
            return (dict, [(k, walk(v)) for k, v in t.items()])
        leaves.append(t)
        return None
    return leaves, walk(tree)


def tree_unflatten(leaves, spec):
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, items = s
        if kind is dict:
            return {k: build(v) for k, v in items}
        vals = [build(x) for x in items]
        if kind is tuple or kind is list:
            return kind(vals)
        return kind(*vals)  # a namedtuple
    return build(spec)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)
