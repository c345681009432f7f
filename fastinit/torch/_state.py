"""Thread-local routing of torch's init functions, and the locks around shared tables.

``patched(seed=...)`` changes what ``torch.nn.init``'s functions do for the
calling thread only. Process-wide tables hold those functions (``torch.nn.init``
itself, every loaded module that bound them by name, transformers'
``TORCH_INIT_FUNCTIONS``): while at least one block is open in any thread, each
entry holds a dispatcher that reads the calling thread's state and calls
fastinit's function inside a ``patched`` block, torch's own otherwise. The
first block installs the dispatchers and the last one removes them, under a
lock with a count, so a thread outside any block always reaches torch's code.

transformers' ``initialize_weights`` swaps ``torch.nn.init``'s module globals
itself, without a lock (``guard_torch_init_functions``), so two threads inside
it can leave its wrappers installed. fastinit enters transformers' init code
only while holding :data:`HF_LOCK`; while the dispatchers are installed, so does
every ``PreTrainedModel.initialize_weights`` call; installing and removing them
waits for it too, so those swaps never interleave.

torch is imported only when a table is installed: ``_nn_init`` reads the
thread's state without it.
"""

import functools
import itertools
import sys
import threading

# torch.nn.init's functions routed by patched(), by name.
PATCHED = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_")

HF_LOCK = threading.RLock()
_TABLE_LOCK = threading.Lock()
_LOCAL = threading.local()
_installed = {"count": 0, "entries": [], "hf_method": None}


class Calls:
    """The seed of a ``patched`` block and its call counter (the stream of each call)."""

    def __init__(self, seed):
        self.seed = seed
        self._count = itertools.count()

    def next_call(self):
        return next(self._count)


# Pushed while fastinit runs torch's or transformers' own init code: the dispatchers then
# call torch's functions, which fastinit's interception sees.
EXECUTING = object()


def _stack():
    stack = getattr(_LOCAL, "stack", None)
    if stack is None:
        stack = _LOCAL.stack = []
    return stack


def current_calls():
    """The innermost ``patched`` block of this thread, or None (also while executing)."""
    stack = getattr(_LOCAL, "stack", None)
    if stack and type(stack[-1]) is Calls:
        return stack[-1]
    return None


class pushed:
    """Context manager: ``state`` is this thread's innermost state inside the block."""

    def __init__(self, state):
        self.state = state

    def __enter__(self):
        _stack().append(self.state)
        return self.state

    def __exit__(self, *exc):
        stack = _stack()
        stack.pop(len(stack) - 1 - stack[::-1].index(self.state))


def _dispatcher(original, ours):
    def dispatch(tensor, *args, **kwargs):
        stack = getattr(_LOCAL, "stack", None)
        if stack and type(stack[-1]) is Calls:
            if getattr(tensor, "is_meta", False):
                return tensor  # torch's functions leave meta tensors as they are
            return ours(tensor, *args, **kwargs)
        return original(tensor, *args, **kwargs)

    functools.update_wrapper(dispatch, original)
    dispatch.__wrapped__ = ours
    dispatch._fastinit_original = original
    return dispatch


@functools.cache
def originals():
    """torch's own functions, by name (also while another thread has swapped a global)."""
    import torch

    found = {}
    for name in PATCHED:
        fn = vars(torch.nn.init)[name]
        if getattr(fn, "__module__", None) != "torch.nn.init":
            hf = sys.modules.get("transformers.initialization")
            fn = getattr(fn, "_fastinit_original", None) or hf.TORCH_INIT_FUNCTIONS[name]
        found[name] = fn
    return found


def _locked(method):
    @functools.wraps(method)
    def initialize_weights(self, *args, **kwargs):
        with HF_LOCK:
            return method(self, *args, **kwargs)

    initialize_weights._fastinit_original = method
    return initialize_weights


def _install(ours):
    """Put a dispatcher wherever torch's function is bound: module globals, transformers."""
    torch_fns = originals()
    dispatchers = {name: _dispatcher(torch_fns[name], ours[name]) for name in PATCHED}
    entries = []
    namespaces = [vars(m) for m in list(sys.modules.values())
                  if isinstance(getattr(m, "__dict__", None), dict)]
    hf = sys.modules.get("transformers.initialization")
    if hf is not None:
        namespaces.append(hf.TORCH_INIT_FUNCTIONS)
    for namespace in namespaces:
        for name in PATCHED:
            value = namespace.get(name)
            if value is torch_fns[name]:
                entries.append((namespace, name, value))
                namespace[name] = dispatchers[name]
    _installed["entries"] = entries
    utils = sys.modules.get("transformers.modeling_utils")
    if utils is not None:
        method = utils.PreTrainedModel.initialize_weights
        utils.PreTrainedModel.initialize_weights = _locked(method)
        _installed["hf_method"] = (utils.PreTrainedModel, method)


def _remove():
    """Give every table its original entry back, also where a module bound a dispatcher."""
    for namespace, key, value in _installed["entries"]:
        namespace[key] = value
    namespaces = [getattr(m, "__dict__", None) for m in list(sys.modules.values())]
    hf = sys.modules.get("transformers.initialization")
    if hf is not None:  # imported inside a block, it took the dispatchers as torch's
        namespaces.append(hf.TORCH_INIT_FUNCTIONS)
    for namespace in namespaces:
        if not isinstance(namespace, dict):
            continue
        for name in PATCHED:
            original = getattr(namespace.get(name), "_fastinit_original", None)
            if original is not None:
                namespace[name] = original
    if _installed["hf_method"] is not None:
        cls, method = _installed["hf_method"]
        cls.initialize_weights = method
    _installed.update(entries=[], hf_method=None)


def enter_patched(ours):
    """Count one more open block; the first installs the dispatchers (``ours``: name -> fn)."""
    with _TABLE_LOCK:
        if _installed["count"] > 0:
            _installed["count"] += 1
            return
    with HF_LOCK, _TABLE_LOCK:
        _installed["count"] += 1
        if _installed["count"] == 1:
            _install(ours)


def exit_patched():
    """Count one block less; the last removes the dispatchers."""
    with _TABLE_LOCK:
        if _installed["count"] > 1:
            _installed["count"] -= 1
            return
    with HF_LOCK, _TABLE_LOCK:
        _installed["count"] -= 1
        if _installed["count"] == 0:
            _remove()
