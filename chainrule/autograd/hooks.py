"""RemovableHandle: what every register_*hook returns."""
from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Removes the hook it was returned for: ``h = t.register_hook(f); h.remove()``."""

    _ids = itertools.count()

    def __init__(self, table: dict, fn):
        self.id = next(RemovableHandle._ids)
        self._table = table
        table[self.id] = fn

    def remove(self):
        if self._table is not None:
            self._table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
