"""Torch tensors as NumPy buffers: the same memory, no copy, no torch import.

Every public initializer goes through :func:`accepts_tensors`: a CPU
``torch.Tensor`` (or ``nn.Parameter``) of float32, float64, float16 or
bfloat16 is viewed as a NumPy array over its storage (bfloat16 through int16
bits as ``ml_dtypes.bfloat16``), filled there, and the tensor itself is
returned. A DTensor's local shard is filled, with ``full_shape`` and
``origin`` from its placements. torch is looked up in ``sys.modules``: if it
was never imported, no object can be a tensor, and ``import fastinit`` stays
torch-free.
"""

import functools
import inspect
import sys

import numpy as np

from . import formats, framework_checks

GEOMETRY = ("full_shape", "origin", "offset")


def is_tensor(obj):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def is_dtensor(obj):
    dtensor = sys.modules.get("torch.distributed.tensor")
    return dtensor is not None and isinstance(obj, dtensor.DTensor)


def as_array(out, dtypes=framework_checks.TORCH_DTYPES):
    """``out`` itself unless it is a torch tensor; then a NumPy view of its memory.

    Raises (before any write) for tensors fastinit cannot fill in place.
    """
    if isinstance(out, np.ndarray) or not is_tensor(out):
        return out
    torch = sys.modules["torch"]
    framework_checks.check_tensor(out, torch, dtypes)
    t = out.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(formats.BFLOAT16)
    return t.numpy()


def local_shard(out):
    """A DTensor's local tensor and its ``full_shape``/``origin`` in the global tensor."""
    torch = sys.modules["torch"]
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    framework_checks.check_dtensor(out)
    with torch.no_grad():
        local = out.to_local()
    shape, origin = compute_local_shape_and_global_offset(out.shape, out.device_mesh,
                                                          out.placements)
    framework_checks.check_local_shape(shape, local.shape)
    return local, {"full_shape": tuple(out.shape), "origin": tuple(int(o) for o in origin)}


def accepts_tensors(func, dtypes=framework_checks.TORCH_DTYPES):
    """Let ``func(out, ...)`` take a torch tensor as ``out``; it returns the tensor."""
    takes_geometry = "full_shape" in inspect.signature(func).parameters

    @functools.wraps(func)
    def wrapper(out, *args, **kwargs):
        if isinstance(out, np.ndarray) or not is_tensor(out):
            return func(out, *args, **kwargs)
        target = out
        if is_dtensor(out):
            target, geometry = local_shard(out)
            if takes_geometry and not any(kwargs.get(k) is not None for k in GEOMETRY):
                kwargs.update(geometry)
        func(as_array(target, dtypes), *args, **kwargs)
        sys.modules["torch"].autograd.graph.increment_version(target)
        return out

    return wrapper
