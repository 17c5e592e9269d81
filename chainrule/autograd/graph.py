"""Graph inspection and saved-tensor hooks."""
from __future__ import annotations

from . import function as _function
from .function import Node

__all__ = ["Node", "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]


class saved_tensors_hooks:
    """Control how saved tensors are stored: ``pack(t)`` at save time, ``unpack(obj)`` at backward.

    >>> with saved_tensors_hooks(lambda t: t.numpy().copy(), lambda a: chainrule.from_numpy(a)):
    ...     y = x.exp()
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        _function._saved_hooks.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _function._saved_hooks.pop()


class save_on_cpu(saved_tensors_hooks):
    """Everything is on the CPU already: saved tensors are kept as they are."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        super().__init__(lambda t: t, lambda t: t)


_disabled = [None]


class disable_saved_tensors_hooks:
    """Within this block, using ``saved_tensors_hooks`` raises ``RuntimeError(error_message)``."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        self.prev = _disabled[0]
        _disabled[0] = self.error_message

    def __exit__(self, *exc):
        _disabled[0] = self.prev
