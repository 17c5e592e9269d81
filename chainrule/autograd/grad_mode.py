"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode (thread-local)."""
from __future__ import annotations

import functools
import inspect
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]


class _State(threading.local):
    grad_enabled = True
    inference = False


_state = _State()


def is_grad_enabled() -> bool:
    """Whether operations are being recorded for autograd on this thread."""
    return _state.grad_enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _Mode:
    """A context manager that also works as a decorator (with or without parentheses)."""

    def __call__(self, fn):
        if inspect.isclass(fn):
            raise TypeError("grad-mode decorators apply to functions, not classes")
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen(*args, **kwargs):
                g = fn(*args, **kwargs)
                with self.clone():
                    try:
                        resp = g.send(None)
                    except StopIteration as e:
                        return e.value
                while True:
                    try:
                        req = yield resp
                    except GeneratorExit:
                        g.close()
                        raise
                    with self.clone():
                        try:
                            resp = g.send(req)
                        except StopIteration as e:
                            return e.value
            return gen

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_Mode):
    """Disable gradient recording: ``with chainrule.no_grad(): y = x * 2``."""

    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):  # used as @no_grad without ()
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        self.prev = True

    def __enter__(self):
        self.prev = _state.grad_enabled
        _state.grad_enabled = False

    def __exit__(self, *exc):
        _state.grad_enabled = self.prev


class enable_grad(no_grad):
    """Enable gradient recording inside a ``no_grad`` block."""

    def __enter__(self):
        self.prev = _state.grad_enabled
        _state.grad_enabled = True


class set_grad_enabled(_Mode):
    """Turn recording on or off; takes effect at once, and as a context manager restores."""

    def __init__(self, mode: bool):
        self.prev = _state.grad_enabled
        self.mode = bool(mode)
        _state.grad_enabled = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.grad_enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_Mode):
    """Like ``no_grad``; tensors made inside are inference tensors."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode = mode

    def __enter__(self):
        self.prev = (_state.grad_enabled, _state.inference)
        if self.mode:
            _state.grad_enabled = False
            _state.inference = True

    def __exit__(self, *exc):
        _state.grad_enabled, _state.inference = self.prev

    def clone(self):
        return self.__class__(self.mode)
