"""How a tensor's values are made: steps, checked before any write, filled in any part.

A recipe is a tuple of :class:`Step`: the first covers the whole tensor (a
``torch.nn.init`` function by name with its arguments, ``seed`` and
``stream``, or ``values_`` from values a constructor computed), the others
overwrite a block of it (a padding row set to zero, a block scaled), in the
order the framework's code wrote them. A step over a block draws what the
whole-tensor fill would put there (element ``i`` depends only on ``(seed,
stream, i)``), so any part of a tensor (a checkpoint piece at a flat offset, a
DTensor shard at an origin) is filled alone, with the same bits.
"""

import functools
import hashlib
import math

import numpy as np
import torch

from .._engine import checks, fill, formats, framework_checks, laws, request
from .._engine.tensors import is_dtensor, local_shard
from . import _laws, _structured

# Initializers whose values come from (seed, stream): the step carries both.
RANDOM = ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
          "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_")
ELEMENTWISE = RANDOM[:7]
_ELEMENTWISE = frozenset(ELEMENTWISE)
CONSTANTS = ("constant_", "ones_", "zeros_")
# These need the whole tensor at once: a part is cut from the whole result.
WHOLE_TENSOR = ("orthogonal_", "sparse_", "eye_", "dirac_")


class Values:
    """Values a constructor computed, with a digest (a plan's fingerprint names it)."""

    def __init__(self, array):
        self.array = np.ascontiguousarray(array)
        self.sha256 = hashlib.sha256(self.array.tobytes()).hexdigest()[:16]

    def __repr__(self):
        return f"Values(shape={self.array.shape}, dtype={self.array.dtype}, sha256={self.sha256})"

    def __eq__(self, other):
        return isinstance(other, Values) and (self.sha256, self.array.shape,
                                              str(self.array.dtype)) == \
            (other.sha256, other.array.shape, str(other.array.dtype))

    def __hash__(self):
        return hash(self.sha256)


class Step:
    """One write: ``fn`` (a ``torch.nn.init`` name, ``values_`` or ``scale_``, or a rule's
    callable) with its own arguments ``args``, over ``region`` (None: the whole tensor);
    a random ``fn`` draws from ``seed`` and ``stream``."""

    __slots__ = ("fn", "args", "region", "seed", "stream", "_law", "checked")

    def __init__(self, fn, args, region=None, seed=None, stream=None, law=None):
        self.fn, self.args, self.region = fn, args, region
        self.seed, self.stream, self._law = seed, stream, law
        # (full shape, NumPy dtype) this step can fill, checked once -> its kernel call
        # (fill.scalars), or None where the step writes nothing
        self.checked = {}

    @property
    def kwargs(self):
        """The arguments of ``fn`` as a plan row passes them (``seed`` and ``stream`` too)."""
        if self.fn in RANDOM:
            return {**self.args, "seed": self.seed, "stream": self.stream}
        return dict(self.args)

    def law(self, full):
        """The checked law of an element-wise step for a tensor of shape ``full``, kept."""
        if self._law is None or self._law[0] != full:
            shape = full if self.region is None else tuple(self.region.shape)
            self._law = (full, law(self.fn, self.args, shape))
        return self._law[1]

    def __repr__(self):
        where = "" if self.region is None else f", region={tuple(self.region)}"
        return f"Step({self.fn}, {dict(sorted(self.kwargs.items()))}{where})"

    def __eq__(self, other):
        return isinstance(other, Step) and (self.fn, self.kwargs, self.region) == \
            (other.fn, other.kwargs, other.region)

    __hash__ = None

    def seeded(self, seed):
        """This step with ``seed`` where a random one has none; ValueError on another seed."""
        if self.fn not in RANDOM:
            return self
        if self.seed is None:
            return Step(self.fn, self.args, self.region, seed, self.stream, self._law)
        if self.seed != seed:
            raise ValueError(framework_checks.PLAN_SEED.format(seed, self.seed))
        return self

    def bound(self, seed, stream):
        """This step drawing from ``seed`` and ``stream`` where it names neither.

        A recorded reset's steps are shared by every module it was recorded for:
        each tensor binds them to the seed and its own name when it is filled.
        """
        if self.fn not in RANDOM or (self.seed is not None and self.stream is not None):
            return self
        return Step(self.fn, self.args, self.region,
                    seed if self.seed is None else self.seed,
                    stream if self.stream is None else self.stream, self._law)


def bind(steps, seed, stream):
    """``steps`` drawing from ``seed`` and ``stream`` wherever they name neither."""
    return tuple(s.bound(seed, stream) for s in steps)


class Steps(tuple):
    """A recipe as a plan row's argument: a tuple with a stable ``repr`` and ``seeded``."""

    def seeded(self, seed):
        return Steps(step.seeded(seed) for step in self)


def step(fn, args, region=None, *, seed=None, stream=None, law=None):
    """A step; a random ``fn`` draws from ``seed`` and ``stream``. ``args`` is kept, not
    copied: the caller gives up changing it."""
    if fn in RANDOM:
        return Step(fn, args, region, seed, stream, law)
    return Step(fn, args, region)


# --- the law of an element-wise initializer, per full shape (checked once, cached) ---

_LAWS = {}  # (fn, id(arguments), full) -> (arguments, law): recorded arguments are shared


def law(fn, kwargs, full):
    """The checked law of element-wise ``fn`` for a tensor of shape ``full`` (None: no-op)."""
    key = (fn, id(kwargs), full)
    hit = _LAWS.get(key)
    if hit is not None and hit[0] is kwargs:
        return hit[1]
    found = _law(fn, kwargs, full)
    if len(_LAWS) > 65536:
        _LAWS.clear()
    _LAWS[key] = (kwargs, found)
    return found


def _law(fn, kwargs, full):
    get = kwargs.get
    if fn == "uniform_":
        return _laws.uniform_law(get("a", 0.0), get("b", 1.0))
    if fn == "normal_":
        return _laws.normal_law(get("mean", 0.0), get("std", 1.0))
    if fn == "trunc_normal_":
        return _laws.trunc_normal_law(get("mean", 0.0), get("std", 1.0), get("a", -2.0),
                                         get("b", 2.0))
    kind = "uniform" if fn.endswith("uniform_") else "normal"
    if fn.startswith("xavier"):
        return _laws.xavier_law(kind, full, get("gain", 1.0))
    return _laws.kaiming_law(kind, full, get("a", 0), get("mode", "fan_in"),
                                get("nonlinearity", "leaky_relu"))


def check(steps, full, dtype):
    """Raise now for any step that cannot fill a tensor of shape ``full`` and ``dtype``."""
    fmt = formats.FORMATS.get(np.dtype(dtype))
    for s in steps:
        if s.fn in ELEMENTWISE:  # seed and stream: checked where the step was made
            resolved = s.law(full)
            if resolved is not None and fmt is not None:
                fill.scalars(resolved, fmt)
        elif s.fn in CONSTANTS:
            _structured.check_constant(s.args.get("val", 1.0 if s.fn == "ones_" else 0.0),
                                       dtype, finite=False)


# --- filling a part of a tensor ---

_KEYS = {}


@functools.lru_cache(maxsize=64)
def _seed_words(seed):
    """A model's seed checked once, not once per tensor (a checkpoint has thousands)."""
    return request.seed_words(seed)


def _keys(seed, stream):
    """``request.keys(seed, stream)``, kept: a model's names come back at every fill."""
    found = _KEYS.get((seed, stream))
    if found is None:
        if len(_KEYS) > 65536:
            _KEYS.clear()
        found = _KEYS[(seed, stream)] = request.Keys(*_seed_words(seed),
                                                     *request.stream_words(stream))
    return found


def _fill_whole(out, s, full, origin, offset, n_threads, backend, seed=None, stream=None):
    """Step ``s`` over the part ``out`` of the full tensor (``origin`` or ``offset``); an
    unbound random step draws from ``seed`` and ``stream``."""
    fn, kwargs = s.fn, s.args
    if fn == "values_":
        values = kwargs["values"].array.reshape(full)
        _structured.store(out, values.astype(out.dtype, copy=False), full, origin, offset)
    elif fn == "scale_":
        out *= np.asarray(kwargs["factor"]).astype(out.dtype)
    elif fn in CONSTANTS:
        _structured.constant(out, kwargs.get("val", 1.0 if fn == "ones_" else 0.0),
                             finite=False)
    elif fn in ("eye_", "dirac_"):
        _structured.structured(fn, out, kwargs, full, origin, offset)
    else:
        keys = _keys(seed if s.seed is None else s.seed,
                     stream if s.stream is None else s.stream)
        whole = origin is None and offset is None and out.shape == full
        req = request.parse(out, keys, None if whole else full, origin, offset, n_threads,
                            backend)
        if fn in ELEMENTWISE:
            resolved = s.law(full)
            if resolved is not None:
                fill.run(req, resolved)
        else:
            _structured.random_structured(fn, req, kwargs, origin, offset)
    return out


def _blocks(shape, full, origin, offset, region):
    """``(index into out, origin in full, index into the region's values)`` of every block
    of ``out`` inside ``region``; flat parts (``offset``) give 1-D runs."""
    r0, rs = region
    if offset is None:
        o = origin or (0,) * len(full)
        lo = [max(a, b) for a, b in zip(o, r0, strict=True)]
        hi = [min(a + n, b + m) for a, n, b, m in zip(o, shape, r0, rs, strict=True)]
        if any(h <= low for low, h in zip(lo, hi, strict=True)):
            return
        yield (tuple(slice(a - b, h - b) for a, h, b in zip(lo, hi, o, strict=True)),
               tuple(lo), tuple(slice(a - b, h - b) for a, h, b in zip(lo, hi, r0, strict=True)))
        return
    n = math.prod(shape)
    width = full[-1] if full else 1
    first, last = offset // width, (offset + n - 1) // width
    rows = np.arange(first, last + 1)
    coords = np.unravel_index(rows, full[:-1]) if len(full) > 1 else ()
    inside = np.ones(len(rows), bool)
    for c, a, m in zip(coords, r0[:-1], rs[:-1], strict=True):
        inside &= (c >= a) & (c < a + m)
    for k in np.flatnonzero(inside):
        start = int(rows[k]) * width + r0[-1]
        a, b = max(start, offset), min(start + rs[-1], offset + n)
        if a < b:
            local = [int(c[k]) - o for c, o in zip(coords, r0[:-1], strict=True)]
            rel = int(np.ravel_multi_index(local, rs[:-1])) * rs[-1] if local else 0
            yield slice(a - offset, b - offset), a, slice(rel + a - start, rel + b - start)


def _fill_region(out, s, full, origin, offset, n_threads, backend, seed=None, stream=None):
    flat = out.reshape(-1) if offset is not None else out
    for index, place, rel in _blocks(out.shape, full, origin, offset, s.region):
        part = flat[index]
        if s.fn == "values_":
            values = s.args["values"].array
            values = values.reshape(-1) if offset is not None else values.reshape(s.region.shape)
            part[...] = values[rel].astype(out.dtype, copy=False)
            continue
        scratch = np.empty(part.shape, out.dtype)
        if s.fn == "scale_":
            scratch[...] = part
        geometry = {"offset": place} if offset is not None else {"origin": place}
        _fill_whole(scratch, s, full, geometry.get("origin"), geometry.get("offset"),
                    n_threads, backend, seed, stream)
        part[...] = scratch


_UNKNOWN = object()


def fill_part(out, steps, full, origin=None, offset=None, n_threads=None, backend="auto",
              seed=None, stream=None, *, prepared=False):
    """Apply ``steps`` to the NumPy buffer ``out``, the part of the full tensor at
    ``origin`` (a block) or ``offset`` (consecutive flat elements); unbound random steps
    draw from ``seed`` and ``stream``. ``prepared``: ``out`` comes from :func:`prepare`
    and `n_threads` and `backend` are checked (``backends.checked``) already."""
    if len(steps) == 1 and steps[0].fn in _ELEMENTWISE and origin is None and offset is None \
            and out.shape == full:  # the common case, on its shortest path
        s = steps[0]
        call = s.checked.get((full, out.dtype), _UNKNOWN) if prepared else _UNKNOWN
        resolved = s.law(full) if call is _UNKNOWN else None
        if call is None or (call is _UNKNOWN and resolved is None):
            return out  # a step that writes nothing
        keys = _keys(seed if s.seed is None else s.seed, stream if s.stream is None else s.stream)
        if call is _UNKNOWN:
            fill.run(request.parse(out, keys, None, None, None, n_threads, backend), resolved)
        else:  # prepared: the request and the kernel call as checked
            fill.run_kernel(request.whole(out, keys, backend, n_threads), *call)
        return out
    for s in steps:
        if s.region is None:
            _fill_whole(out, s, full, origin, offset, n_threads, backend, seed, stream)
        else:
            _fill_region(out, s, full, origin, offset, n_threads, backend, seed, stream)
    return out


def recipe_(out, steps, *, full_shape=None, origin=None, offset=None, n_threads=None,
            backend="auto"):
    """Fill ``out`` (a NumPy buffer, or the part of a full tensor) with a recipe's steps.

    The ``fn`` of a plan row whose tensor takes more than one write
    (``Embedding`` with ``padding_idx``: normal, then a zero row).
    """
    full = checks.check_geometry(out.shape, full_shape, origin, offset)
    return fill_part(out, steps, full, origin, offset, n_threads, backend)


def tensor_dtypes(steps):
    """The dtypes a tensor filled by ``steps`` may have (integers only for constants)."""
    if len(steps) == 1 and steps[0].fn in RANDOM:
        return framework_checks.TORCH_DTYPES
    if all(s.fn == "values_" for s in steps):
        return _structured.ANY
    exact = all(s.fn in (*CONSTANTS, "values_", "eye_", "dirac_") for s in steps)
    return _structured.NUMBERS if exact else framework_checks.TORCH_DTYPES


_NUMPY = {}
_PLAIN = (torch.Tensor, torch.nn.Parameter)
_FLOATS = frozenset((torch.float32, torch.float64, torch.float16, torch.bfloat16))
_ALLOWED = {}


def _allowed(names):
    """The torch dtypes of the dtype names ``names``."""
    found = _ALLOWED.get(names)
    if found is None:
        found = _ALLOWED[names] = frozenset(getattr(torch, n) for n in names)
    return found


def numpy_dtype(dtype):
    """The NumPy dtype of a torch dtype (bfloat16 as ``ml_dtypes.bfloat16``)."""
    found = _NUMPY.get(dtype)
    if found is None:
        name = str(dtype).removeprefix("torch.")
        found = _NUMPY[dtype] = formats.BFLOAT16 if name == "bfloat16" else np.dtype(name)
    return found


def local(tensor):
    """``(tensor with storage, full shape, origin)``: a DTensor's local shard and its place."""
    if type(tensor) not in _PLAIN and is_dtensor(tensor):
        shard, geometry = local_shard(tensor)
        return shard, geometry["full_shape"], geometry["origin"]
    return tensor, tuple(tensor.shape), None


def prepare(tensor, steps):
    """``(tensor with storage, NumPy view, full shape, origin)`` of a tensor ``steps`` can
    fill; raises (before any write) for one they cannot."""
    target, full, origin = local(tensor)
    dtype, first = target.dtype, steps[0]
    if len(steps) == 1 and first.fn in _ELEMENTWISE:  # the common case, on its shortest path
        if not (dtype in _FLOATS and target.is_cpu and target.layout is torch.strided
                and target.is_contiguous()):
            framework_checks.check_tensor(target, torch)  # raises, saying why
        key = (full, numpy_dtype(dtype))
        if key not in first.checked:
            resolved = first.law(full)
            first.checked[key] = None if resolved is None else fill.scalars(
                laws.resolve(resolved, full), formats.FORMATS[key[1]])
    else:
        allowed = tensor_dtypes(steps)
        if not (target.is_cpu and target.layout is torch.strided
                and dtype in _allowed(allowed) and target.is_contiguous()):
            framework_checks.check_tensor(target, torch, allowed)
        check(steps, full, numpy_dtype(dtype))
    if dtype is torch.bfloat16:
        return target, target.detach().view(torch.int16).numpy().view(formats.BFLOAT16), \
            full, origin
    return target, target.detach().numpy(), full, origin


def fill_tensor(tensor, steps, n_threads=None, backend="auto"):
    """Apply bound ``steps`` to a CPU tensor or DTensor in place (its local shard)."""
    target, out, full, origin = prepare(tensor, steps)
    fill_part(out, steps, full, origin, None, n_threads, backend)
    torch.autograd.graph.increment_version(target)
    return tensor
