"""``show_config()``: versions, build flags, OpenMP state and thread counts."""

import platform
import sys

from . import _backend


def config():
    """The configuration as a dict (what ``show_config`` prints)."""
    import numpy

    info = {
        "fastinit": _version(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "usable cores": _backend.usable_cores(),
        "default backend": _backend.resolve("auto"),
    }
    try:
        import numba

        info["numba"] = numba.__version__
        info["numba threading layer max threads"] = numba.config.NUMBA_NUM_THREADS
    except ImportError:
        info["numba"] = "not installed"
    try:
        from . import _cython
        from ._cython import openmp

        info["cython kernels"] = _cython.kernel_variant
        info["cython build flags"] = getattr(openmp, "build_flags", lambda: "?")()
        info["openmp"] = bool(openmp.openmp_enabled())
        info["openmp max threads"] = openmp.max_threads()
    except ImportError as exc:
        info["cython kernels"] = f"not built ({exc})"
    return info


def _version():
    from ._version import __version__

    return __version__


def show_config():
    """Print the numba version, the Cython build, OpenMP state and max threads."""
    for key, value in config().items():
        print(f"{key + ':':<36} {value}")
