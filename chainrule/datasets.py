"""Small data sets that ship with chainrule, so examples and the demo need no download.

>>> import chainrule as torch
>>> from chainrule.datasets import load_digits
>>> images, labels = load_digits()
>>> images.shape, images.dtype, labels.dtype
(torch.Size([1797, 8, 8]), torch.float32, torch.int64)

The digits are the UCI "Optical Recognition of Handwritten Digits" test set as bundled by
scikit-learn (E. Alpaydin and C. Kaynak, CC BY 4.0); see ``chainrule/data/README.md``.
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["load_digits", "DATA_DIR"]

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def load_digits(*, scale: bool = True):
    """The 1797 handwritten digits (8x8 images, 10 classes) as ``(images, labels)`` tensors.

    ``images`` has shape ``(1797, 8, 8)``; with ``scale=True`` (the default) it is float32
    in [0, 1] (the raw pixel counts 0..16 divided by 16), otherwise the raw uint8 counts.
    ``labels`` is int64 with values 0..9. Add a channel dimension with ``images.unsqueeze(1)``
    for convolutions, or flatten with ``images.flatten(1)`` for a linear model.
    """
    from . import tensor, float32, int64, uint8
    with np.load(os.path.join(DATA_DIR, "digits.npz")) as f:
        images, labels = f["images"], f["labels"]
    if scale:
        images = tensor(images.astype(np.float32) / np.float32(16.0), dtype=float32)
    else:
        images = tensor(images, dtype=uint8)
    return images, tensor(labels.astype(np.int64), dtype=int64)
