"""Cython backend: the mirror of ``fastinit/_engine/_numba/``.

On x86-64 ``kernels.pyx`` is compiled three times (setup.py): ``kernels``
(portable), ``_kernels_v3`` (-march=x86-64-v3) and ``_kernels_v4``
(-march=x86-64-v4). All give identical bits; the fastest one this CPU can run
is imported here. ``FASTINIT_CYTHON_VARIANT=base|v3|v4`` forces one (tests
use it to compare the variants).
"""

import importlib
import os

VARIANTS = ("base", "v3", "v4")
_MODULES = {"base": "kernels", "v3": "_kernels_v3", "v4": "_kernels_v4"}
# numpy's names for the features each -march level assumes
_NEEDS = {
    "base": (),
    "v3": ("AVX2", "FMA3", "BMI2", "F16C"),
    "v4": ("AVX512F", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX512CD"),
}


def _cpu_features():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return {}
    return __cpu_features__


def _runnable(variant, features):
    return all(features.get(name, False) for name in _NEEDS[variant])


def _load():
    features = _cpu_features()
    forced = os.environ.get("FASTINIT_CYTHON_VARIANT")
    if forced:
        if forced not in VARIANTS:
            raise ValueError(f"FASTINIT_CYTHON_VARIANT must be one of {VARIANTS}, got {forced!r}")
        if not _runnable(forced, features):
            raise ImportError(f"FASTINIT_CYTHON_VARIANT={forced} needs CPU features "
                              f"{_NEEDS[forced]}, which this CPU lacks")
        return forced, importlib.import_module(f".{_MODULES[forced]}", __name__)
    for variant in reversed(VARIANTS):
        if _runnable(variant, features):
            try:
                return variant, importlib.import_module(f".{_MODULES[variant]}", __name__)
            except ImportError:  # not built here (non-x86 machine, old compiler)
                if variant == "base":
                    raise
    raise ImportError("no fastinit Cython kernel module could be imported")


kernel_variant, _kernels = _load()
fill_bits = _kernels.fill_bits
fill_uniform = _kernels.fill_uniform
fill_normal = _kernels.fill_normal
fill_truncated_normal = _kernels.fill_truncated_normal
fill_truncated_reject = _kernels.fill_truncated_reject
fill_truncated_tail = _kernels.fill_truncated_tail
constants = _kernels.constants
build_info = _kernels.build_info

__all__ = ["build_info", "constants", "fill_bits", "fill_normal", "fill_truncated_normal",
           "fill_truncated_reject", "fill_truncated_tail", "fill_uniform", "kernel_variant"]
