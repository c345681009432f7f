"""What a torch op does to a tensor: the vocabulary shared by every interception.

fastinit learns which tensor gets which initialization by running the
framework's own code under a thread-local ``TorchFunctionMode`` and naming
what each op writes:

- ``torch.nn.init.uniform_``, ``normal_``, ``constant_`` and
  ``kaiming_uniform_`` call ``handle_torch_function`` themselves, so a mode
  sees the call with its arguments (:data:`HOOKED`);
- the other ``torch.nn.init`` functions are recognized from inside: the first
  op run in one of their frames (found by code object, :func:`init_frame`)
  stands for the whole call, read from the frame's arguments;
- a direct write (``Tensor.normal_``, ``uniform_``, ``zero_``, ``fill_``,
  ``__setitem__``, ``copy_``, ``.data = ...``, scaling by a number) is read by
  :func:`method_write`.

A write lands on a tensor through its storage (:func:`storage_key`, also valid
on meta tensors) at a place in it (:func:`region`): the whole tensor, or a
block such as the padding row ``weight[pad]``.
"""

import inspect
import math
import sys
from typing import NamedTuple

import torch

from . import _state

HOOKED_NAMES = ("uniform_", "normal_", "constant_", "kaiming_uniform_")
# Random draws outside torch.nn.init, on tensors or as factories.
RNG_METHODS = frozenset(("uniform_", "normal_", "random_", "bernoulli_", "exponential_",
                         "geometric_", "log_normal_", "cauchy_"))
RNG_FACTORIES = frozenset(("rand", "randn", "randint", "randperm", "normal", "bernoulli",
                           "multinomial", "rand_like", "randn_like", "randint_like", "poisson"))
# In-place methods that do not change values.
NOT_WRITES = frozenset(("requires_grad_", "share_memory_", "retain_grad", "__get__",
                        "__getitem__", "record_stream", "pin_memory"))
INPLACE_DUNDERS = frozenset(("__iadd__", "__isub__", "__imul__", "__itruediv__",
                             "__ifloordiv__", "__imod__", "__ipow__", "__iand__", "__ior__",
                             "__ixor__", "__ilshift__", "__irshift__", "__setitem__"))
DATA_SET = torch.Tensor.data.__set__
_SCALES = {"mul_": 1, "__imul__": 1, "div_": -1, "__itruediv__": -1}
_INIT_FILES = frozenset((torch.nn.init.__file__, torch.overrides.__file__))


class Region(NamedTuple):
    """The block ``full[origin[0]:origin[0]+shape[0], ...]`` of a tensor."""

    origin: tuple
    shape: tuple


class Semantics:
    """torch's own init functions: by code object (frames) and by function (hooked calls)."""

    def __init__(self):
        originals = _state.originals()
        self.by_code = {fn.__code__: (name, inspect.signature(fn))
                        for name, fn in originals.items()}
        self.hooked = {originals[name]: name for name in HOOKED_NAMES}
        self.signatures = {name: sig for name, sig in self.by_code.values()}


_SEMANTICS = []


def semantics():
    if not _SEMANTICS:
        _SEMANTICS.append(Semantics())
    return _SEMANTICS[0]


def hooked_name(func):
    """The name of a hooked torch.nn.init function ``func`` reports itself as, or None.

    While transformers' ``guard_torch_init_functions`` (or ``patched``) has swapped
    ``torch.nn.init``'s globals, torch's functions report the function bound there.
    """
    hooked = semantics().hooked
    name = hooked.get(func)
    if name is not None or getattr(func, "__name__", None) not in HOOKED_NAMES:
        return name
    original = getattr(func, "_fastinit_original", None)
    if original is not None:
        return hooked.get(original)
    if getattr(func, "__module__", None) == "transformers.initialization":
        return func.__name__
    return None


def bind(name, args, kwargs):
    """``(tensor, arguments)`` of a call of torch's init function ``name``; no generator."""
    bound = semantics().signatures[name].bind(*args, **kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop("generator", None)
    return arguments.pop("tensor"), arguments


def init_frame(depth=2):
    """The outermost torch.nn.init function frame the current op runs inside, or None."""
    frame = sys._getframe(depth)
    if frame.f_code.co_filename not in _INIT_FILES:
        return None
    by_code = semantics().by_code
    found = None
    while frame is not None and frame.f_code.co_filename in _INIT_FILES:
        if frame.f_code in by_code:
            found = frame
        frame = frame.f_back
    return found


def frame_call(frame):
    """``(name, tensor, arguments)`` of the torch.nn.init call running in ``frame``."""
    name, sig = semantics().by_code[frame.f_code]
    local = frame.f_locals
    args = {p: local[p] for p in sig.parameters if p not in ("tensor", "generator") and p in local}
    return name, local["tensor"], args


def storage_key(t):
    """An identity of ``t``'s storage (meta tensors too), or None for a tensor without one."""
    try:
        return t.untyped_storage()._cdata
    except (RuntimeError, NotImplementedError, TypeError, ValueError):
        return None


def is_write(func, fname, args, kwargs):
    """Whether the op writes into its first argument (or ``out=``)."""
    if "out" in kwargs:
        return True
    if func is DATA_SET or fname in INPLACE_DUNDERS:
        return True
    return fname.endswith("_") and not fname.startswith("_") and fname not in NOT_WRITES


def scalar(value):
    """A Python number for a number or a one-element tensor with data, else ``value``."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.device.type != "meta":
        return value.item()
    return value


def _method_args(names, defaults, args, kwargs):
    out = dict(zip(names, defaults, strict=True))
    out.update(zip(names, (scalar(a) for a in args), strict=False))
    out.update((k, scalar(v)) for k, v in kwargs.items() if k in names)
    return out


def method_write(func, fname, args, kwargs):
    """``(init name, arguments, target view)`` of a direct write fastinit can express, or
    ``("copy_", {"src": tensor}, view)``, or None."""
    target = args[0]
    if fname == "normal_":
        return "normal_", _method_args(("mean", "std"), (0.0, 1.0), args[1:], kwargs), target
    if fname == "uniform_":
        bounds = _method_args(("from", "to"), (0.0, 1.0), args[1:], kwargs)
        return "uniform_", {"a": bounds["from"], "b": bounds["to"]}, target
    if fname == "zero_":
        return "zeros_", {}, target
    if fname == "fill_":
        value = scalar(args[1] if len(args) > 1 else kwargs.get("value"))
        return None if isinstance(value, torch.Tensor) else ("constant_", {"val": value}, target)
    if fname == "copy_":
        return _copy(target, args[1] if len(args) > 1 else kwargs["src"])
    if fname == "__setitem__":
        return _setitem(target, args[1], args[2])
    if func is DATA_SET:
        return _copy(target, args[1]) if tuple(args[1].shape) == tuple(target.shape) else None
    if fname in _SCALES and len(args) > 1 and isinstance(scalar(args[1]), (int, float)):
        return "scale_", {"factor": float(scalar(args[1])) ** _SCALES[fname]}, target
    return None


def _copy(target, src):
    value = scalar(src)
    if not isinstance(value, torch.Tensor):
        return "constant_", {"val": value}, target
    return "copy_", {"src": src}, target


def _setitem(target, index, value):
    with torch._C.DisableTorchFunction():
        view = target[index]
    if view._base is None and storage_key(view) != storage_key(target):
        return None  # advanced indexing writes through no view fastinit can name
    return _copy(view, value)


def region(base, view):
    """Where ``view`` lies in ``base`` (same storage): None (``base`` itself, same layout),
    "whole" (every element, another layout), a :class:`Region`, "general" (another
    subset) or False (outside)."""
    rel = view.storage_offset() - base.storage_offset()
    if tuple(view.shape) == tuple(base.shape) and view.stride() == base.stride() and rel == 0:
        return None
    n = base.numel()
    if rel < 0 or (view.numel() > 0 and rel >= n):
        return False
    if view.numel() == n and rel == 0:
        return "whole"
    if not base.is_contiguous():
        return "general"
    strides = base.stride()
    start = [(rel // s) % d if d else 0 for s, d in zip(strides, base.shape, strict=True)]
    shape = [1] * base.dim()
    last = -1
    for size, stride in zip(view.shape, view.stride(), strict=True):
        if size == 1:
            continue
        dims = [d for d in range(base.dim()) if strides[d] == stride and base.shape[d] > 1]
        if not dims or dims[0] <= last:
            return "general"
        last = dims[0]
        shape[dims[0]] = size
    if any(o + s > d for o, s, d in zip(start, shape, base.shape, strict=True)) \
            or math.prod(shape) != view.numel():
        return "general"
    return Region(tuple(start), tuple(shape))


def where(frame):
    """``"Class.method"`` of the innermost module method running at ``frame`` (errors name it),
    and the module."""
    f = frame
    for _ in range(30):
        if f is None:
            break
        local = f.f_locals
        if f.f_code.co_name == "_init_weights" and "module" in local:
            return f"{type(local.get('self')).__name__}._init_weights", local["module"]
        if isinstance(local.get("self"), torch.nn.Module) and f.f_code.co_name in (
                "reset_parameters", "_reset_parameters", "__init__"):
            return f"{type(local['self']).__name__}.{f.f_code.co_name}", local["self"]
        f = f.f_back
    code = frame.f_code if frame is not None else None
    return (f"{code.co_name} ({code.co_filename}:{frame.f_lineno})" if code else "?"), None


class Index:
    """Tensors by name: a tensor, or a view of it, to ``(name, base tensor, region)``."""

    def __init__(self, named):
        self._named = named  # (name, tensor) pairs, indexed on the first look-up
        self._by_id = None
        self._by_storage = None

    @property
    def by_id(self):
        if self._by_id is None:
            self._by_id = {}
            for name, tensor in self._named:
                self._by_id.setdefault(id(tensor), (name, tensor))
        return self._by_id

    @property
    def by_storage(self):
        if self._by_storage is None:  # built on the first view: most code writes whole tensors
            self._by_storage = {}
            for name, tensor in self.by_id.values():
                key = storage_key(tensor)
                if key is not None:
                    self._by_storage.setdefault(key, []).append((name, tensor))
        return self._by_storage

    def resolve(self, t):
        if not isinstance(t, torch.Tensor):
            return None
        hit = self.by_id.get(id(t))
        if hit is not None:
            return hit[0], hit[1], None
        for name, base in self.by_storage.get(storage_key(t), ()):
            place = region(base, t)
            if place is not False:
                return name, base, place
        return None


def primitive(fn, kwargs, shape):
    """An element-wise ``fn`` applied to a view of ``shape`` as a law on its elements:
    ``(fn, kwargs)`` with fans from the view (xavier, kaiming), or None (structured)."""
    if fn in ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_"):
        return fn, kwargs
    if fn not in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"):
        return None
    from . import _recipes

    law = _recipes.law(fn, kwargs, tuple(shape))
    if law is None:  # a zero-element view: nothing to write
        return "zeros_", {}
    if fn.endswith("uniform_"):
        return "uniform_", {"a": law.low, "b": law.high}
    return "normal_", {"mean": law.mean, "std": law.std}
