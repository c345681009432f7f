"""rules="hf": ``type(model)(model.config)`` built on the meta device, every op recorded.

:class:`Recording` behaves like ``torch.device("meta")`` (a thread-local
``TorchFunctionMode`` that puts tensor factories on the meta device), except
that transformers' own ``init_weights`` still runs: its check for a meta
device context (``get_torch_context_manager_or_global_device``) is answered
"cpu". So the whole construction happens exactly as in ``Model(config)`` -
module constructors, every ``post_init`` of every sub-model with the class's
``_init_weights`` overrides, children before parents, ties when transformers
makes them - on meta tensors, at no memory cost, while every op is recorded
with its arguments and the storage it writes. ``_hf_replay`` turns the record
into each tensor's recipe.
"""

import sys

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._device import _device_constructors

from . import _ops, _state

_CONSTRUCTORS = _device_constructors()


class Op:
    """One recorded op; ``sem`` is ``(init name, arguments)`` for a torch.nn.init call."""

    __slots__ = ("idx", "func", "args", "kwargs", "out", "sem", "target")

    def __init__(self, idx, func, args, kwargs, out, sem=None, target=None):
        self.idx, self.func, self.args, self.kwargs, self.out = idx, func, args, kwargs, out
        self.sem, self.target = sem, target

    @property
    def name(self):
        return self.sem[0] if self.sem else getattr(self.func, "__name__", "")


def tensors_in(value):
    """The tensors of an op's output (a tensor, or a tuple or list of them)."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from tensors_in(item)


def _copy_of(value):
    return value.clone()


def _context_code():
    utils = sys.modules.get("transformers.modeling_utils")
    return None if utils is None else utils.get_torch_context_manager_or_global_device.__code__


class Recording(TorchFunctionMode):
    """Build on meta with transformers' initialization running; record every op."""

    def __init__(self):
        super().__init__()
        self.ops = []
        self.creator = {}  # storage key -> first op whose output has that storage
        self.producer = {}  # id of an output tensor -> its op (outputs are kept alive)
        self.writes = {}  # storage key -> ops writing it, in order
        self.active = None  # (frame, storage key) of the torch.nn.init call running
        self.context_code = _context_code()

    def _new(self, func, args, kwargs, out, sem=None, target=None):
        op = Op(len(self.ops), func, args, kwargs, out, sem, target)
        self.ops.append(op)
        for t in tensors_in(out):
            self.creator.setdefault(_ops.storage_key(t), op)
            self.producer[id(t)] = op
        if target is not None:
            self.writes.setdefault(_ops.storage_key(target), []).append(op)
        return op

    def _outside(self, args, kwargs):
        """Tensors with data made outside the recording (``torch.LongTensor(list)``): their
        storage's value when first seen, as a creator to replay."""
        for t in tensors_in((*args, *kwargs.values())):
            if t.device.type != "meta":
                key = _ops.storage_key(t)
                if key is not None and key not in self.creator:
                    base = t if t._base is None else t._base
                    self.creator[key] = Op(-1, _copy_of, (base.detach().clone(),), {}, base)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        self._outside(args, kwargs)
        if func in _CONSTRUCTORS and kwargs.get("device") is None:
            caller = sys._getframe(1).f_code
            kwargs["device"] = "cpu" if caller is self.context_code else "meta"
        name = _ops.hooked_name(func)
        if name is not None:
            tensor, arguments = _ops.bind(name, args, kwargs)
            self._new(func, args, kwargs, None, (name, arguments), tensor)
            return func(*args, **kwargs)
        fname = getattr(func, "__name__", "")
        frame = _ops.init_frame(2)
        if frame is not None:
            if self.active is None or self.active[0] is not frame:
                init, tensor, arguments = _ops.frame_call(frame)
                self._new(None, (), {}, None, (init, arguments), tensor)
                self.active = (frame, _ops.storage_key(tensor))
            out = func(*args, **kwargs)
            self._new(func, args, kwargs, out)  # inside the call: read by nothing but itself
            return out
        out = func(*args, **kwargs)
        target = None
        if _ops.is_write(func, fname, args, kwargs):
            target = kwargs["out"] if "out" in kwargs else args[0]
            if not isinstance(target, torch.Tensor):
                target = None
        self._new(func, args, kwargs, out, None, target)
        return out


def record(cls, config):
    """``(model, recording)`` of ``cls(config)`` built on meta, transformers' init included.

    Runs under ``HF_LOCK``: transformers' ``initialize_weights`` swaps
    ``torch.nn.init``'s module globals, which two threads must not do at once.
    """
    recording = Recording()
    with _state.HF_LOCK, _state.pushed(_state.EXECUTING), recording:
        model = cls(config)
    recording.active = None
    return model, recording
