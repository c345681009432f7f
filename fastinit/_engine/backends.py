"""Backend choice ("auto", "numba", "cython") and the one rule for n_threads.

Neither choice can change a value: both backends compute the same bits, and
``parallel`` cuts work into fixed chunks, never per thread.
"""

import functools
import importlib
import os

from . import checks, constants

BACKENDS = ("auto", "numba", "cython")


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def effective_n_threads(n_threads, size=None):
    """sklearn's rule: None or -1 -> all usable cores; -k -> cores + 1 - k; k -> k.

    Validated already: an int, never 0. Values that leave no thread give 1.
    With None, a fill of ``size`` elements uses at most one thread per
    ``MIN_ELEMENTS_PER_THREAD``; an explicit count is always honoured.
    """
    if n_threads is None and size is not None and size <= constants.MIN_ELEMENTS_PER_THREAD:
        return 1  # without asking the OS for the cores: small fills are frequent
    cores = usable_cores()
    if n_threads is None:
        if size is not None:
            return max(1, min(cores, -(-size // constants.MIN_ELEMENTS_PER_THREAD)))
        return cores
    if n_threads < 0:
        return max(1, cores + 1 + n_threads)
    return n_threads


@functools.cache  # a failed import is retried from disk on every call: ~2 ms per fill
def cython_available():
    try:
        importlib.import_module("._cython", __package__)
    except ImportError:
        return False
    return True


@functools.cache
def _checked(backend):
    checks.check_choice("backend", backend, BACKENDS)
    name = resolve(backend)
    checks.check_backend_built(name, cython_available())
    return name


def checked(backend):
    """The concrete backend a checked `backend` argument names ("auto": Cython when built)."""
    if not isinstance(backend, str):  # unhashable or odd values: the check reports them
        checks.check_choice("backend", backend, BACKENDS)
    return _checked(backend)


def resolve(backend):
    """Concrete backend name for "auto": Cython when built (no JIT), else Numba."""
    if backend == "auto":
        return "cython" if cython_available() else "numba"
    return backend


@functools.cache
def kernel(backend, name):
    """The serial kernel ``name`` of a concrete backend."""
    if backend == "cython":
        from . import _cython

        return getattr(_cython, name)
    from ._numba import kernels

    return getattr(kernels, name)
