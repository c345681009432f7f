"""rules="hf": each tensor's recipe from the record of ``Model(config)`` built on meta.

For each named storage, in the order transformers wrote it:

- its last whole-tensor write is a ``torch.nn.init`` call (or ``Tensor.normal_``,
  ``fill_``, ...): a fastinit fill with stream = its ``state_dict`` name; a
  ``copy_`` of a temporary that one such call filled (transformers' float32
  ``orthogonal_`` for 16-bit weights) counts as that call;
- the partial writes after it (padding rows) follow as steps on blocks;
- a value computed otherwise (``copy_`` of computed values, constants,
  position ids, rotary tables, ``weight_norm``'s ``g``): the recorded ops are
  replayed on the CPU, and the values are kept. Random draws in that
  computation come from fastinit: a draw into a named tensor uses its name as
  stream (its ``k``-th earlier whole draw, when a later one replaced it,
  ``"<name>@<k>"``); a temporary's, ``"<name>#<k>"`` for the ``k``-th
  temporary drawn while computing tensor ``<name>``.

A tensor created empty and never written (nothing a constructor computes)
has no recipe: the caller names it in a ValueError.
"""

import torch

from .._engine import framework_checks
from . import _ops, _recipes
from ._hf_record import tensors_in

_EMPTY = frozenset(("empty", "empty_like", "new_empty", "empty_strided", "empty_permuted"))
_OVERWRITE = frozenset(("normal_", "uniform_", "zeros_", "constant_", "copy_", "ones_"))
_DRAWS = {"rand": "uniform_", "rand_like": "uniform_", "randn": "normal_",
          "randn_like": "normal_", "uniform_": "uniform_", "normal_": "normal_"}


class Unreplayable(Exception):
    """A recorded op fastinit cannot replay (a random draw with no fastinit law)."""


def _classify(op, base):
    """``(fn, kwargs, region, src)`` of a write relative to ``base``; fn None if opaque."""
    if op.sem is not None:
        fn, kwargs = op.sem
        view = op.target
    else:
        found = _ops.method_write(op.func, op.name, op.args, op.kwargs) \
            if "out" not in op.kwargs else None
        if found is None:
            return None, None, _ops.region(base, op.target), None
        fn, kwargs, view = found
    place = _ops.region(base, view)
    if fn == "copy_":
        return fn, {}, place, (kwargs["src"], view)
    return fn, dict(kwargs), place, view


class Replay:
    """Recipes of the named storages of a recording, and CPU values where needed."""

    def __init__(self, rec, seed, names):
        self.rec, self.seed = rec, seed
        self.names = names  # storage key -> canonical name
        self.memo = {}
        self.counters = {}

    # --- values on the CPU ---

    def base_of(self, key):
        op = self.rec.creator.get(key)
        if op is None:
            return None
        return next(t for t in tensors_in(op.out) if _ops.storage_key(t) == key)

    def value(self, t, before, owner):
        """The CPU value of recorded tensor ``t`` just before op ``before``."""
        key = _ops.storage_key(t)
        buf = self.storage(key, before, owner)
        base = self.base_of(key)
        if base.dtype != t.dtype:  # a view with another dtype: run its own op
            op = self.rec.producer[id(t)]
            outs = list(tensors_in(op.out))
            return list(tensors_in(self._run(op, owner)))[outs.index(t)]
        return buf.as_strided(t.shape, t.stride(),
                              t.storage_offset() - base.storage_offset() + buf.storage_offset())

    def storage(self, key, before, owner):
        """The CPU value of storage ``key`` (as its creator's output) before op ``before``."""
        memo = (key, before)
        if memo in self.memo:
            return self.memo[memo]
        name = self.names.get(key)
        owner = name or owner
        base = self.base_of(key)
        writes = [w for w in self.rec.writes.get(key, ()) if w.idx < before]
        events = self.events(key)
        whole = [i for i in events if i is not None and i < len(writes)]
        if whole:
            buf = torch.empty_strided(base.shape, base.stride(), dtype=base.dtype)
            start = whole[-1]
        else:
            start = None
            buf = self._creator_value(key, base, owner, self._stream(key, None, owner))
        stream = self._stream(key, start, owner)
        for w in writes[start or 0:]:
            self._apply(w, buf, base, owner, stream)
        self.memo[memo] = buf
        return buf

    def events(self, key):
        """The draws that set a storage's whole value: None (its creator) and whole writes."""
        base = self.base_of(key)
        whole = [i for i, w in enumerate(self.rec.writes.get(key, ()))
                 if self._overwrites(w, base)]
        return [None, *whole]

    def _stream(self, key, event, owner):
        """A named storage's last draw uses its name, earlier ones ``name@k``."""
        name = self.names.get(key)
        if name is None:
            return self._temp_stream(owner)
        events = self.events(key)
        if event == events[-1]:
            return name
        return f"{name}@{events.index(event)}"

    def _overwrites(self, op, base):
        fn, _, place, _ = _classify(op, base)
        if place not in (None, "whole") or fn is None or fn == "scale_":
            return False
        return fn in _OVERWRITE or op.sem is not None

    def _creator_value(self, key, base, owner, stream):
        op = self.rec.creator[key]
        outs = self._run(op, owner, stream)
        return next(c for m, c in zip(tensors_in(op.out), tensors_in(outs), strict=True)
                    if _ops.storage_key(m) == key)

    def _arg(self, a, before, owner):
        if isinstance(a, torch.Tensor) and (a.device.type == "meta" or
                                            _ops.storage_key(a) in self.rec.creator):
            return self.value(a, before, owner)
        if isinstance(a, (list, tuple)):
            return type(a)(self._arg(x, before, owner) for x in a)
        if isinstance(a, torch.device) and a.type == "meta":
            return torch.device("cpu")
        return "cpu" if isinstance(a, str) and a == "meta" else a

    def _run(self, op, owner, stream=None):
        if op.func is None:
            raise Unreplayable(framework_checks.WRITE_INSIDE.format(op.name))
        args = [self._arg(a, op.idx, owner) for a in op.args]
        kwargs = {k: self._arg(v, op.idx, owner) for k, v in op.kwargs.items()}
        rng = op.name in _ops.RNG_FACTORIES or (op.name in _ops.RNG_METHODS and op.sem is None)
        if rng:
            if op.name not in _DRAWS or (op.name == "normal" and args):
                raise Unreplayable(framework_checks.WRITE_FACTORY.format(op.name))
            kwargs["generator"] = torch.Generator()  # overwritten below: keep torch's own
        with torch.no_grad():
            out = op.func(*args, **kwargs)
        if rng:
            drawn = next(tensors_in(out))
            fn, law = _DRAWS[op.name], {}
            if op.name in ("uniform_", "normal_"):
                law = _ops.method_write(op.func, op.name, op.args, op.kwargs)[1]
            self._fill(drawn, fn, law, None, stream or self._temp_stream(owner))
        return out

    def _temp_stream(self, owner):
        k = self.counters.get(owner, 0)
        self.counters[owner] = k + 1
        return f"{owner}#{k}"

    def _fill(self, target, fn, kwargs, region, stream):
        """A fastinit fill of CPU tensor ``target`` (a ``region`` of it, if given)."""
        step = _recipes.step(fn, kwargs, region, seed=self.seed, stream=stream)
        work = target if target.is_contiguous() else torch.empty(target.shape,
                                                                 dtype=target.dtype)
        if work.dtype not in (torch.float32, torch.float64, torch.float16, torch.bfloat16) \
                and fn not in _recipes.CONSTANTS:
            raise Unreplayable(framework_checks.WRITE_DTYPE.format(fn, work.dtype))
        _recipes.fill_tensor(work, (step,))
        if work is not target:
            target.copy_(work)

    def _apply(self, w, buf, base, owner, stream):
        view = self._at(buf, base, w.target)
        fn, kwargs, place, extra = _classify(w, base)
        with torch.no_grad():
            if fn == "copy_":
                src, into = extra
                self._at(buf, base, into).copy_(self.value(src, w.idx, owner))
            elif fn == "scale_":
                view.mul_(kwargs["factor"])
            elif fn is not None and place is None:
                self._fill(view, fn, kwargs, None, stream)
            elif fn is not None and place not in ("general", False) and \
                    (law := _ops.primitive(fn, kwargs, tuple(extra.shape))) is not None:
                region = place if isinstance(place, _ops.Region) else None
                self._fill(buf, *law, region, stream)
            elif fn is not None and w.sem is not None:
                part = self._at(buf, base, extra)
                work = torch.empty(part.shape, dtype=part.dtype)
                self._fill(work, fn, kwargs, None, stream)
                part.copy_(work)
            else:
                self._opaque(w, view, owner)

    @staticmethod
    def _at(buf, base, t):
        """The place of recorded tensor ``t`` (a view of ``base``'s storage) in ``buf``."""
        return buf.as_strided(t.shape, t.stride(),
                              t.storage_offset() - base.storage_offset() + buf.storage_offset())

    def _opaque(self, w, view, owner):
        args = [self._arg(a, w.idx, owner) for a in w.args]
        kwargs = {k: self._arg(v, w.idx, owner) for k, v in w.kwargs.items()}
        if "out" in kwargs:
            kwargs["out"] = view
        elif w.func is _ops.DATA_SET:
            view.copy_(args[1])
            return
        else:
            args[0] = view
        w.func(*args, **kwargs)


def as_values(t):
    """A CPU tensor's values as a :class:`_recipes.Values` (bfloat16 held as float32)."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        t = t.float()
    return _recipes.Values(t.contiguous().numpy())


class Recipes(Replay):
    """The recipe of each named storage of a recording."""

    def recipe(self, key, named):
        """A tuple of steps for recorded tensor ``named`` (storage ``key``), or None when
        nothing initializes it."""
        name = self.names[key]
        base = self.base_of(key)
        if base is None or named.shape != base.shape or named.stride() != base.stride() \
                or named.storage_offset() != base.storage_offset():
            return self._values(named)
        writes = self.rec.writes.get(key, [])
        last = self.events(key)[-1]
        if last is None:
            creator = self.rec.creator.get(key)
            if creator is None or creator.name in _EMPTY:
                return None
            if creator.name not in ("rand", "randn", "rand_like", "randn_like"):
                return self._values(named)
            first, rest = _recipes.step(_DRAWS[creator.name], {}, seed=self.seed,
                                        stream=name), writes
        else:
            first, rest = self._whole_step(writes[last], base, name), writes[last + 1:]
        if first is None:
            return self._values(named)
        steps = [first]
        for w in rest:
            step = self._part_step(w, base, name)
            if step is None:
                return self._values(named)
            steps.append(step)
        return tuple(steps)

    def _values(self, named):
        key = _ops.storage_key(named)
        value = self.value(named, len(self.rec.ops) + 1, self.names[key])
        return (_recipes.step("values_", {"values": as_values(value)}),)

    def _whole_step(self, w, base, name):
        fn, kwargs, place, extra = _classify(w, base)
        if fn == "copy_":
            drawn = self._drawn(extra[0], base)
            if drawn is None or place is not None:
                return None
            fn, kwargs = drawn
        elif place == "whole":
            law = _ops.primitive(fn, kwargs, tuple(extra.shape))
            if law is None:
                return None
            fn, kwargs = law
        return _recipes.step(fn, kwargs, seed=self.seed, stream=name)

    def _drawn(self, src, base):
        """``(fn, kwargs)`` when ``src`` is a temporary of ``base``'s shape that one
        torch.nn.init call filled whole, else None."""
        key = _ops.storage_key(src)
        writes = self.rec.writes.get(key, [])
        creator = self.rec.creator.get(key)
        if key in self.names or len(writes) != 1 or writes[0].sem is None or creator is None \
                or creator.name not in _EMPTY or tuple(src.shape) != tuple(base.shape):
            return None
        if _ops.region(self.base_of(key), writes[0].target) is not None:
            return None
        return writes[0].sem

    def _part_step(self, w, base, name):
        fn, kwargs, place, extra = _classify(w, base)
        if fn == "scale_" and place in (None, "whole"):
            return _recipes.step("scale_", kwargs)
        if not isinstance(place, _ops.Region) or fn is None:
            return None
        if fn == "copy_":
            src, into = extra
            value = self.value(src, w.idx, name).expand(tuple(into.shape))
            value = value.reshape(place.shape)
            return _recipes.step("values_", {"values": as_values(value)}, place)
        law = _ops.primitive(fn, kwargs, tuple(extra.shape)) if fn != "scale_" else (fn, kwargs)
        if law is None:
            return None
        return _recipes.step(*law, place, seed=self.seed, stream=name)
