"""``show_config()``: versions, build flags, the parallel driver and thread counts."""

import platform
import sys

from . import backends, parallel


def config():
    """The configuration as a dict (what ``show_config`` prints)."""
    import numpy

    info = {
        "fastinit": _version(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "usable cores": backends.usable_cores(),
        "default backend": backends.resolve("auto"),
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
