"""Torch tensors as NumPy buffers: the same memory, no copy, no torch import.

Every public initializer goes through :func:`accepts_tensors`: a CPU
``torch.Tensor`` (or ``nn.Parameter``) of float32, float64, float16 or
bfloat16 is viewed as a NumPy array over its storage (bfloat16 through int16
bits as ``ml_dtypes.bfloat16``), filled there, and the tensor itself is
returned. torch is looked up in ``sys.modules``: if it was never imported, no
object can be a tensor, and ``import fastinit`` stays torch-free.
"""

import functools
import sys

import numpy as np

from . import _dtypes
from . import _validation as V


def is_tensor(obj):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def as_array(out):
    """``out`` itself unless it is a torch tensor; then a NumPy view of its memory.

    Raises (before any write) for tensors fastinit cannot fill in place.
    """
    if isinstance(out, np.ndarray) or not is_tensor(out):
        return out
    torch = sys.modules["torch"]
    V.check_tensor(out, torch)
    t = out.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(_dtypes.BFLOAT16)
    return t.numpy()


def mark_written(out):
    """Bump a tensor's version counter, as torch's own in-place ops do."""
    if not isinstance(out, np.ndarray) and is_tensor(out):
        sys.modules["torch"].autograd.graph.increment_version(out)


def accepts_tensors(func):
    """Let ``func(out, ...)`` take a torch tensor as ``out``; it returns the tensor."""

    @functools.wraps(func)
    def wrapper(out, *args, **kwargs):
        view = as_array(out)
        if view is out:
            return func(out, *args, **kwargs)
        func(view, *args, **kwargs)
        mark_written(out)
        return out

    return wrapper
