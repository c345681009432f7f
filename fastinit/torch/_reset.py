"""rules="torch": torch's own reset code, run with its writes recorded instead of made.

Every module runs its ``reset_parameters`` (or ``_reset_parameters``, which
``MultiheadAttention``'s and ``Transformer``'s constructors call), children
before parents, as constructors run: a parent that re-initializes its
children (``nn.Transformer`` applies ``xavier_uniform_`` to every layer's
weights) writes last. A thread-local ``TorchFunctionMode`` records each write
to a parameter or buffer (a ``torch.nn.init`` call, ``Tensor.normal_``,
``uniform_``, ``zero_``, ``fill_``, an item set to a number, scaling by a
number) and makes none; the last whole-tensor write of each tensor, and the
partial writes after it (an embedding's padding row), are its recipe. A
module that writes any other way (``torch.rand``, ``copy_`` of computed
values) is reported by name, before any byte is written.

Modules of ``torch.nn`` reset as a function of their attributes and tensor
shapes: their recorded writes are kept per class, attributes and shapes, and
replayed without running the code again.
"""

import operator

import torch
from torch.overrides import TorchFunctionMode

from .._engine import framework_checks
from . import _ops, _recipes, _state

_CACHE = {}
_CACHE_LIMIT = 4096
_PRIMITIVE = frozenset((bool, int, float, str, type(None), torch.dtype))
# a module's own tables and hooks: not what its reset reads
_REGISTRIES = frozenset(k for k in vars(torch.nn.Module()) if k != "training")
_ATTRIBUTES = {}  # class -> its attributes' getter, or False: no cache


class Unsupported(Exception):
    """A write fastinit cannot express; the message says which."""


class Recorder(TorchFunctionMode):
    """Record the writes torch's code makes to the tensors of ``index``; make none."""

    def __init__(self, index, *, values=False, skip=()):
        super().__init__()
        self.index = index
        self.values = values  # keep copy_ of computed CPU values (transformers' buffers)
        self.skip = set(skip)  # names whose writes are dropped (transformers' tie targets)
        self.writes = []  # (name, fn, kwargs, region)
        self.active = None  # (frame, storage key) of the torch.nn.init call being recorded
        self.temps = {}  # storage key of a temporary -> (fn, kwargs, shape) drawn into it
        self._generator = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = _ops.hooked_name(func)
        if name is not None:
            tensor, arguments = _ops.bind(name, args, kwargs)
            self._init(name, tensor, arguments)
            return tensor
        fname = getattr(func, "__name__", "")
        frame = _ops.init_frame(2)
        if frame is not None:
            return self._inside(frame, func, fname, args, kwargs)
        if _ops.is_write(func, fname, args, kwargs):
            target = kwargs["out"] if "out" in kwargs else args[0]
            hit = self.index.resolve(target)
            if hit is not None:
                self._direct(func, fname, args, kwargs, hit)
                return None if fname == "__setitem__" or func is _ops.DATA_SET else target
            if fname in _ops.RNG_METHODS:
                raise Unsupported(framework_checks.WRITE_TEMPORARY.format(fname))
        elif fname in _ops.RNG_FACTORIES:
            raise Unsupported(framework_checks.WRITE_FACTORY.format(fname))
        return func(*args, **kwargs)

    def _init(self, fn, tensor, arguments):
        hit = self.index.resolve(tensor)
        if hit is None:
            self.temps[_ops.storage_key(tensor)] = (fn, dict(arguments), tuple(tensor.shape))
            return
        self._record(hit, fn, arguments, tensor)

    def _record(self, hit, fn, kwargs, view):
        name, base, place = hit
        if name in self.skip:
            return
        if place == "general" or (fn == "values_" and place == "whole"):
            raise Unsupported(framework_checks.WRITE_IRREGULAR.format(fn, name))
        if place is not None and fn not in ("scale_", "values_"):
            law = _ops.primitive(fn, kwargs, tuple(view.shape))
            if law is None:
                raise Unsupported(framework_checks.WRITE_VIEW.format(fn, name))
            fn, kwargs = law
        region = place if isinstance(place, _ops.Region) else None
        self.writes.append((name, _recipes.step(fn, dict(kwargs), region)))

    def _direct(self, func, fname, args, kwargs, hit):
        write = _ops.method_write(func, fname, args, kwargs)
        if write is None:
            raise Unsupported(framework_checks.WRITE_METHOD.format(fname, hit[0]))
        fn, arguments, view = write
        hit = self.index.resolve(view)
        if fn == "copy_":
            src = arguments["src"]
            drawn = self.temps.get(_ops.storage_key(src))
            if drawn is not None and drawn[2] == tuple(view.shape):
                fn, arguments = drawn[0], drawn[1]
            elif self.values and src.device.type != "meta":
                from ._hf_replay import as_values

                fn = "values_"
                arguments = {"values": as_values(src.detach().expand(view.shape).clone())}
            else:
                raise Unsupported(framework_checks.WRITE_COMPUTED.format(hit[0]))
        if fn == "scale_" and hit[2] == "whole":
            hit = (hit[0], hit[1], None)
        self._record(hit, fn, arguments, view)

    def _inside(self, frame, func, fname, args, kwargs):
        """An op inside a torch.nn.init function: the first one records the whole call."""
        if self.active is None or self.active[0] is not frame:
            fn, tensor, arguments = _ops.frame_call(frame)
            self.active = (frame, _ops.storage_key(tensor))
            self._init(fn, tensor, arguments)
        if _ops.is_write(func, fname, args, kwargs):
            target = kwargs["out"] if "out" in kwargs else args[0]
            if isinstance(target, torch.Tensor) and _ops.storage_key(target) == self.active[1]:
                return None if fname == "__setitem__" else target
        if fname in _ops.RNG_METHODS or fname in _ops.RNG_FACTORIES:
            # its draws on temporaries never reach a tensor: keep them off torch's generator
            if self._generator is None:
                self._generator = torch.Generator()
            kwargs = {**kwargs, "generator": self._generator}
        return func(*args, **kwargs)


def post_order(root):
    """``(prefix, module)`` of every module once, children before their parent."""
    out, seen = [], set()

    def visit(prefix, module):
        if id(module) in seen:
            return
        seen.add(id(module))
        for name, child in module._modules.items():
            if child is not None:
                visit(f"{prefix}.{name}" if prefix else name, child)
        out.append((prefix, module))

    visit("", root)
    return out


def reset_function(module):
    for name in ("reset_parameters", "_reset_parameters"):
        fn = getattr(module, name, None)
        if callable(fn):
            return fn
    return None


def _cache_key(module):
    """(class, attributes, tensors, submodules) of a torch.nn module, or None.

    A torch class's reset reads the attributes its constructor sets: the names
    are taken once per class, from its first instance."""
    cls = type(module)
    getter = _ATTRIBUTES.get(cls)
    if getter is None:
        getter = _ATTRIBUTES[cls] = _attribute_getter(cls, module)
    if getter is False:
        return None
    try:
        attrs = getter(module.__dict__)
    except KeyError:
        return None
    if module._modules:
        tensors = tuple((n, t.shape, t.dtype) for n, t in
                        (*module.named_parameters(), *module.named_buffers()))
        modules = tuple((n, type(m)) for n, m in module.named_modules())
    else:
        tensors = tuple((n, None if t is None else (t.shape, t.dtype))
                        for n, t in (*module._parameters.items(), *module._buffers.items()))
        modules = ()
    return cls, attrs, tensors, modules


def _attribute_getter(cls, module):
    """``dict -> tuple of values`` of the attributes a torch class's reset may read, or
    False (not a torch class, or an attribute that is not a plain value)."""
    if not cls.__module__.startswith("torch.nn.modules."):
        return False
    names = [k for k in module.__dict__ if k not in _REGISTRIES]
    for name in names:
        value = module.__dict__[name]
        kind = type(value)
        if not (kind in _PRIMITIVE or (kind is tuple and all(type(v) in _PRIMITIVE
                                                             for v in value))):
            return False
    if not names:
        return lambda d: ()
    get = operator.itemgetter(*names)
    return get if len(names) > 1 else (lambda d: (get(d),))


def _lazy(module):
    return any(isinstance(p, torch.nn.parameter.UninitializedTensorMixin)
               for p in (*module._parameters.values(), *module._buffers.values()))


def _record_module(module, prefix, index):
    recorder = Recorder(index)
    with _state.pushed(_state.EXECUTING), recorder, torch.no_grad():
        reset_function(module)()
    return recorder.writes


def _template(writes, prefix):
    """The writes relative to ``prefix`` if they can be cached, else None."""
    start = f"{prefix}." if prefix else ""
    out = []
    for name, step in writes:
        if not name.startswith(start) or not all(type(v) in _PRIMITIVE
                                                 for v in step.args.values()):
            return None
        out.append((name[len(start):], step))
    return tuple(out)


def record(root, index):
    """``(writes, problems)``: every write, in order, and ``{prefix: (module, message)}``
    of the modules whose reset code writes some other way."""
    writes, problems = [], {}
    for prefix, module in post_order(root):
        reset = reset_function(module)
        if reset is None:
            continue
        try:
            key = _cache_key(module)
            template = _CACHE.get(key) if key is not None else None
        except (TypeError, ValueError):  # an unhashable attribute, a lazy parameter's shape
            key, template = None, None
        if template is None and _lazy(module):
            problems[prefix] = (module, "uninitialized (lazy) parameters: run a forward pass "
                                        "to materialize them first")
            continue
        if template is None:
            try:
                found = _record_module(module, prefix, index)
            except Unsupported as error:
                problems[prefix] = (module, str(error))
                continue
            template = _template(found, prefix) if key is not None else None
            if template is None:
                writes.extend(found)
                continue
            if len(_CACHE) < _CACHE_LIMIT:
                _CACHE[key] = template
        start = f"{prefix}." if prefix else ""
        writes.extend((start + rel, step) for rel, step in template)
    return writes, problems


def recipes(writes):
    """``{name: tuple of Step}`` from ordered writes: a whole write starts a tensor's recipe
    again, a partial one (or a scaling) is applied after it. The steps are unbound: each
    tensor draws from the seed and its own name."""
    out = {}
    for name, step in writes:
        if step.region is None and step.fn != "scale_":
            out[name] = [step]
        else:
            out.setdefault(name, []).append(step)
    return {name: tuple(steps) for name, steps in out.items()}
