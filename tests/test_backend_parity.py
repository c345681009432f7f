"""Numba and Cython give the same bits; both equal the NumPy reference.

Every registered initializer (tests/cases.py) x dtype, odd starts, strided
(F-order) runs and several rows.
"""

import math

import numpy as np
import pytest
import reference
from cases import BY_ID, RANDOM, case_dtype_pairs, pair_id
from conftest import BACKENDS, as_bytes

import fastinit
from fastinit._engine import constants, streams

needs_both = pytest.mark.usefixtures("cython_kernels")

SEED, STREAM = 0x0123456789ABCDEF, "decoder.layers.7.mlp.up_proj.weight"



def _fill(case, dtype, backend, shape=(37, 1029), **extra):
    out = np.empty(shape, dtype)
    return case.call(out, seed=SEED, stream=STREAM, backend=backend, **extra)


@needs_both
@pytest.mark.parametrize(("case", "dtype"), case_dtype_pairs(RANDOM),
                         ids=[pair_id(p) for p in case_dtype_pairs(RANDOM)])
def test_numba_equals_cython(case, dtype):
    assert as_bytes(_fill(case, dtype, "numba")) == as_bytes(_fill(case, dtype, "cython"))


@needs_both
@pytest.mark.parametrize("case_id", ["random_uniform_", "random_normal_", "truncated_normal_"])
def test_numba_equals_cython_strided_and_offset(case_id):
    # F order (per-element path) and a sub-block at an odd origin (unaligned heads)
    for kw in (dict(shape=(64, 33)), dict(shape=(5, 7), full_shape=(9, 11), origin=(3, 1))):
        outs = []
        for backend in BACKENDS:
            out = np.empty(kw["shape"], np.float32, order="F")
            BY_ID[case_id].call(out, seed=SEED, stream=STREAM, backend=backend,
                                **{k: v for k, v in kw.items() if k != "shape"})
            outs.append(as_bytes(out))
        assert outs[0] == outs[1]


@needs_both
def test_cython_constants_match():
    from fastinit._engine import _cython

    seen = _cython.constants()
    assert len(seen) >= 20
    for name, value in seen.items():
        expect = getattr(constants, name)
        if isinstance(expect, tuple):
            assert tuple(value) == pytest.approx(expect, rel=0, abs=0), name
        else:
            assert value == expect, name


# --- against the reference (the executable contract) ----------------------------
def _ref_values(dtype, idx, kind, **p):
    double = np.dtype(dtype) == np.float64
    if kind == "uniform":
        lo_c, hi_c = reference.uniform_bounds(p["lo"], p["lo"] + p["span"], dtype)
        v = reference.uniform(SEED, streams.stream_id(STREAM), idx, p["lo"], p["span"],
                              lo_c, hi_c, double)
    elif kind == "normal":
        v = reference.normal(SEED, streams.stream_id(STREAM), idx, p["mean"], p["std"], double)
    else:
        v = reference.truncated(SEED, streams.stream_id(STREAM), idx, p["mean"], p["std"],
                                p["a"], p["b"], dtype)
    return v.astype(dtype)


@pytest.mark.parametrize(
    ("kind", "func", "kwargs", "params"),
    [
        ("uniform", fastinit.random_uniform_, dict(minval=-2.0, maxval=3.0),
         dict(lo=-2.0, span=5.0)),
        ("normal", fastinit.random_normal_, dict(mean=1.0, stddev=2.0), dict(mean=1.0, std=2.0)),
        ("truncated", fastinit.truncated_normal_, dict(mean=0.5, stddev=2.0),
         dict(mean=0.5, std=2.0, a=-2.0, b=2.0)),
        ("truncated", fastinit.truncated_normal_,
         dict(mean=0.0, stddev=1.0, lower=-6.0, upper=0.5), dict(mean=0.0, std=1.0, a=-6.0, b=0.5)),
        ("truncated", fastinit.truncated_normal_,
         dict(mean=-0.5, stddev=1.5, lower=-1.7, upper=math.inf),
         dict(mean=-0.5, std=1.5, a=-1.7, b=math.inf)),
        ("truncated", fastinit.truncated_normal_,
         dict(mean=0.0, stddev=0.02, lower=-100.0, upper=100.0),
         dict(mean=0.0, std=0.02, a=-100.0, b=100.0)),
    ],
)
def test_equals_reference(kind, func, kwargs, params, dtype, backend):
    full = (33, 517)
    out = np.empty((20, 301), dtype)
    func(out, seed=SEED, stream=STREAM, full_shape=full, origin=(5, 3), backend=backend, **kwargs)
    idx = reference.global_indices(out.shape, full, (5, 3)).ravel()
    assert as_bytes(out.ravel()) == as_bytes(_ref_values(dtype, idx, kind, **params))


def test_random_bits_equal_reference(backend):
    out = fastinit.random_bits_(np.empty(4099, np.uint32), seed=SEED, stream=STREAM,
                                full_shape=(10_000,), offset=1234, backend=backend)
    assert as_bytes(out) == as_bytes(reference.words(SEED, streams.stream_id(STREAM),
                                                     np.arange(1234, 1234 + 4099)))


def test_no_fastmath_anywhere():
    from fastinit._engine._numba import kernels, philox, transforms

    for module in (kernels, philox, transforms):
        for name, obj in vars(module).items():
            opts = getattr(obj, "targetoptions", None)
            if opts is not None:
                assert not opts.get("fastmath", False), name
