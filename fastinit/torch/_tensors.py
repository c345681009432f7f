"""The drop-ins' tensor path: a torch tensor filled through a NumPy view of its memory.

:func:`drop_in` wraps a NumPy-level initializer (through the engine's
``accepts_tensors``) so that it takes a CPU
tensor (or a DTensor, whose local shard it fills with ``full_shape`` and
``origin`` from its placements) and returns the tensor, and so that every
error torch would raise as ``RuntimeError`` is also one (a ``ValueError``
that is a ``RuntimeError``, see ``framework_checks.ValueRuntimeError``).
"""

import functools
import sys

from .._engine import framework_checks
from .._engine.tensors import accepts_tensors


def number(value):
    """A one-element tensor as its Python number (torch accepts them as scalars)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor) and value.numel() == 1 \
            and value.device.type != "meta":
        return value.item()
    return value


def drop_in(func, dtypes=framework_checks.TORCH_DTYPES):
    """``func(out, ...)`` that also takes torch tensors and raises torch-catchable errors."""
    inner = accepts_tensors(func, dtypes)

    @functools.wraps(func)
    def wrapper(out, *args, **kwargs):
        try:
            return inner(out, *args, **kwargs)
        except ValueError as error:
            if type(error) is ValueError:  # torch raises RuntimeError for these values
                raise framework_checks.ValueRuntimeError(*error.args) from None
            raise

    return wrapper
