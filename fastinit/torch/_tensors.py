"""The drop-ins' tensor path: a torch tensor filled through a NumPy view of its memory.

:func:`drop_in` wraps a NumPy-level initializer so that it takes a CPU
tensor (or a DTensor, whose local shard it fills with ``full_shape`` and
``origin`` from its placements) and returns the tensor, and so that every
error torch would raise as ``RuntimeError`` is also one (a ``ValueError``
that is a ``RuntimeError``, see ``checks.ValueRuntimeError``).
"""

import functools
import inspect
import sys

import numpy as np

from .._engine import checks, formats
from .._engine.tensors import GEOMETRY, is_dtensor, local_shard


def number(value):
    """A one-element tensor as its Python number (torch accepts them as scalars)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor) and value.numel() == 1 \
            and value.device.type != "meta":
        return value.item()
    return value


def as_numpy(tensor, dtypes=checks.TORCH_DTYPES):
    """A NumPy view of a dense CPU tensor's memory (bfloat16 as ``ml_dtypes.bfloat16``)."""
    torch = sys.modules["torch"]
    checks.check_tensor(tensor, torch, dtypes)
    t = tensor.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(formats.BFLOAT16)
    return t.numpy()


def drop_in(func, dtypes=checks.TORCH_DTYPES):
    """``func(out, ...)`` that also takes torch tensors and raises torch-catchable errors."""
    takes_geometry = "full_shape" in inspect.signature(func).parameters

    @functools.wraps(func)
    def wrapper(out, *args, **kwargs):
        try:
            if isinstance(out, np.ndarray):
                return func(out, *args, **kwargs)
            torch = sys.modules.get("torch")
            if torch is None or not isinstance(out, torch.Tensor):
                return func(out, *args, **kwargs)
            target = out
            if is_dtensor(out):
                target, geometry = local_shard(out)
                if takes_geometry and not any(kwargs.get(k) is not None for k in GEOMETRY):
                    kwargs.update(geometry)
            func(as_numpy(target, dtypes), *args, **kwargs)
        except ValueError as error:
            if type(error) is ValueError:  # torch raises RuntimeError for these values
                raise checks.ValueRuntimeError(*error.args) from None
            raise
        torch.autograd.graph.increment_version(target)
        return out

    return wrapper
