"""Backend choice ("auto", "numba", "cython"), the one rule for n_threads, ``show_config()``.

Neither choice can change a value: both backends compute the same bits, and
``parallel`` cuts work into fixed chunks, never per thread.
"""

import functools
import importlib
import os
import platform
import sys

from . import checks, constants, parallel

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
@functools.cache  # every fill looks its kernel up: no import machinery per call
def kernel(backend, name):
    """The serial kernel ``name`` of a concrete backend."""
    if backend == "cython":
        from . import _cython

        return getattr(_cython, name)
    from ._numba import kernels

    return getattr(kernels, name)


# --- show_config(): versions, build flags, the parallel driver and thread counts ---
def config():
    """The configuration as a dict (what ``show_config`` prints)."""
    import numpy

    info = {
        "fastinit": _version(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "usable cores": usable_cores(),
        "default backend": resolve("auto"),
        "parallel driver": "fastinit._engine.parallel: Python threads over fixed chunks, fork-safe",
        "helper threads started": parallel.helper_threads(),
    }
    try:
        import numba

        info["numba"] = numba.__version__
        from ._numba import kernels

        info["numba kernels"] = kernels.build_info()
    except ImportError:
        info["numba"] = "not installed"
    try:
        from . import _cython

        info["cython kernels"] = _cython.kernel_variant
        info["cython build flags"] = _cython.build_info()
    except ImportError as exc:
        info["cython kernels"] = f"not built ({exc})"
    return info


def _version():
    from .._version import __version__

    return __version__


def show_config():
    """Print the numba version, the Cython build, the parallel driver and threads."""
    for key, value in config().items():
        print(f"{key + ':':<36} {value}")
