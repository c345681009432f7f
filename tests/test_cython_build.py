"""The Cython build: Philox KAT, constants, bit-exactness against tests/reference.py,
and invariance across kernel variants (base/v3/v4) and thread counts."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
import reference
from conftest import CYTHON, require

from fastinit._engine import constants, parallel

cython_kernels = require(CYTHON)

KAT_FILE = Path(__file__).parent / "data" / "philox4x32_10.txt"
EA_2SIGMA = 0.9544997361036416  # erf(2 / sqrt(2)): Keras/JAX truncation at 2 sigma
SEED = 0x0123456789ABCDEF
STREAM = 0xFEDCBA9876543210
KEYS = (SEED & constants.MASK32, SEED >> 32, STREAM & constants.MASK32, STREAM >> 32)
KINDS = ["uniform", "normal", "truncated_normal"]
FORMATS = {"f32": (np.float32, constants.FMT_F32), "f64": (np.float64, constants.FMT_F64)}
# (n_rows, row_len, first, row_step, step): heads, tails, several chunks, strides
GEOMETRIES = {
    "one_row": (1, 3 * 4 * constants.CHUNK_BLOCKS + 7, 0, 0, 1),
    "odd_first": (1, 4 * constants.CHUNK_BLOCKS + 5, 12_345, 0, 1),
    "rows": (4, 1_001, 3, 2_003, 1),
    "short_rows": (7, 3, 1, 5, 1),
    "strided": (3, 257, 11, 10_000, 3),
    "column": (2, 300, 5, 1, 600),
}


def kat_vectors():
    rows = []
    for line in KAT_FILE.read_text().splitlines():
        if line.startswith("philox4x32 10"):
            rows.append(tuple(int(x, 16) for x in line.split()[2:]))
    return rows


def global_indices(n_rows, row_len, first, row_step, step):
    r = np.arange(n_rows, dtype=np.int64)[:, None]
    k = np.arange(row_len, dtype=np.int64)[None, :]
    return (first + r * row_step + k * step).ravel()


def draw(rng):
    """Random kernel parameters for each distribution (as the Python layer would pass)."""
    lo = float(rng.uniform(-3, 0))
    span = float(rng.uniform(0.1, 4))
    mean, std = float(rng.normal()), float(rng.uniform(0.01, 3))
    ea = float(rng.uniform(-0.999, 0.5))
    eb = float(rng.uniform(ea + 0.01, 0.9999))
    return {
        "uniform": (lo, span, lo + 0.01 * span, lo + 0.99 * span),
        "normal": (mean, std),
        "truncated_normal": (mean, std, ea, eb, mean - 1.5 * std, mean + 1.5 * std),
    }


def kernel_geometry(geometry):
    """(first, row_len, row_step, step): the geometry arguments of every kernel."""
    _, row_len, first, row_step, step = geometry
    return first, row_len, row_step, step


def run_kernel(name, out, geometry, args, n_threads):
    """Kernel ``name`` over every work item of ``out``, on the parallel driver."""
    parallel.run(getattr(cython_kernels, name), [(out, *KEYS, *kernel_geometry(geometry), *args)],
                  [geometry[1]], [out.size], n_threads)
    return out


def fill(kind, out, geometry, params, fmt, n_threads=1):
    return run_kernel(f"fill_{kind}", out, geometry, (*params, fmt), n_threads)


def expected(kind, g, params, double):
    if kind == "uniform":
        return reference.uniform(SEED, STREAM, g, *params, double=double)
    if kind == "normal":
        return reference.normal(SEED, STREAM, g, *params, double=double)
    return reference.truncated_normal(SEED, STREAM, g, *params, double=double)


# --- Philox ------------------------------------------------------------------------
@pytest.mark.parametrize("vector", kat_vectors(), ids=lambda v: "-".join(f"{x:08x}" for x in v[:6]))
def test_philox_matches_random123_kat(vector):
    assert cython_kernels._kernels.philox4x32_10_words(*vector[:6]) == vector[6:]


def test_fill_bits_matches_random123_kat():
    # word 4q + lane is lane `lane` of block q = c0 + 2**32 c1 under stream (c2, c3);
    # int64 word indices reach only c1 < 2**29
    reachable = [v for v in kat_vectors() if v[1] < 2**29]
    assert len(reachable) >= 10
    for c0, c1, c2, c3, k0, k1, *words in reachable:
        out = np.empty(4, np.uint32)
        cython_kernels.fill_bits(out, k0, k1, c2, c3, 4 * (c0 + (c1 << 32)), 4, 0, 1,
                    np.zeros(1, np.int64), 1, 1, 1)
        assert out.tolist() == words


@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
def test_fill_bits_matches_reference(geometry):
    out = np.empty(geometry[0] * geometry[1], np.uint32)
    run_kernel("fill_bits", out, geometry, (), 2)
    np.testing.assert_array_equal(out, reference.words(SEED, STREAM, global_indices(*geometry)))


# --- constants ---------------------------------------------------------------------
def test_constants_equal_the_python_constants():
    seen = cython_kernels.constants()
    assert len(seen) > 40
    for name, value in seen.items():
        assert value == getattr(constants, name), name


def test_fill_uses_chunk_and_format_constants():
    assert cython_kernels.constants()["CHUNK_BLOCKS"] == constants.CHUNK_BLOCKS
    names = ("FMT_F32", "FMT_F64", "FMT_BF16", "FMT_F16")
    assert [cython_kernels.constants()[f] for f in names] == [getattr(constants, f) for f in names]


# --- bit-exactness against the reference --------------------------------------------
@pytest.mark.parametrize("dtype", FORMATS, ids=FORMATS.keys())
@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
@pytest.mark.parametrize("kind", KINDS)
def test_kernel_matches_reference_bit_for_bit(kind, geometry, dtype):
    rng = np.random.default_rng([KINDS.index(kind), geometry[1], geometry[2]])  # fixed seeds
    g = global_indices(*geometry)
    t, fmt = FORMATS[dtype]
    for _ in range(3):
        params = draw(rng)[kind]
        out = fill(kind, np.empty(g.size, t), geometry, params, fmt, n_threads=2)
        want = expected(kind, g, params, double=t is np.float64).astype(t)
        np.testing.assert_array_equal(out.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("ea", [EA_2SIGMA, 0.9999], ids=["central_only", "with_tails"])
def test_truncated_normal_float32_both_erfinv_branches(ea):
    geometry = GEOMETRIES["odd_first"]
    params = (0.0, 1.0, -ea, ea, -10.0, 10.0)
    out = fill("truncated_normal", np.empty(geometry[1], np.float32), geometry, params,
               constants.FMT_F32)
    want = expected("truncated_normal", global_indices(*geometry), params, double=False)
    np.testing.assert_array_equal(out, want)


# --- invariance: threads and kernel variants -----------------------------------------
CASES = [
    ("bits", ()),
    ("uniform", (-0.5, 1.0, -0.5, 0.5)),
    ("normal", (0.25, 2.0)),
    ("truncated_normal", (0.0, 1.0, -EA_2SIGMA, EA_2SIGMA, -2.0, 2.0)),
    ("truncated_normal", (0.5, 0.1, -0.9999, 0.3, 0.0, 1.0)),
    ("truncated_reject", (0.0, 1.0, -EA_2SIGMA, EA_2SIGMA, -2.0, 2.0, -2.0, 2.0)),
    ("truncated_reject", (0.25, 0.5, 0.3829, 0.4681, 0.5, 0.5625, 0.5, 0.5625)),  # fallbacks
]
OUT_FORMATS = [(np.float32, constants.FMT_F32), (np.float64, constants.FMT_F64),
               (np.uint16, constants.FMT_F16),
               (np.uint16, constants.FMT_BF16)]


def all_fills(n_threads):
    """Every kernel x output format on a multi-chunk, odd-start geometry."""
    geometry = (3, 2 * 4 * constants.CHUNK_BLOCKS + 3, 7, 3 * 4 * constants.CHUNK_BLOCKS, 1)
    n = geometry[0] * geometry[1]
    outs = []
    for kind, params in CASES:
        if kind == "bits":
            outs.append(np.empty(n, np.uint32))
            run_kernel("fill_bits", outs[-1], geometry, (), n_threads)
            continue
        for t, fmt in OUT_FORMATS:
            outs.append(fill(kind, np.empty(n, t), geometry, params, fmt, n_threads))
    # whole-block batches whose counters cross 2**32 blocks (the high word changes)
    carry = (1, 4 * 600, 4 * (2**32 - 3) - 1, 0, 1)
    outs.append(np.empty(carry[1], np.uint32))
    run_kernel("fill_bits", outs[-1], carry, (), n_threads)
    return outs


@pytest.mark.parametrize("n_threads", [2, 3])
def test_thread_count_never_changes_a_bit(n_threads):
    for one, many in zip(all_fills(1), all_fills(n_threads), strict=True):
        np.testing.assert_array_equal(one.view(np.uint8), many.view(np.uint8))


def _digest_in_subprocess(variant):
    code = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]);"
        "import test_cython_build, fastinit._engine._cython as kernels;"
        "h = hashlib.sha256();"
        "[h.update(o.tobytes()) for o in test_cython_build.all_fills(2)];"
        "print(kernels.kernel_variant, h.hexdigest())"
    )
    env = dict(os.environ, FASTINIT_CYTHON_VARIANT=variant)
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], env=env,
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout.split(), proc.stderr


def test_every_kernel_variant_gives_identical_bytes():
    digests = {}
    for variant in ("base", "v3", "v4"):
        code, out, err = _digest_in_subprocess(variant)
        if code != 0 and "ImportError" in err:  # not built here, or the CPU cannot run it
            continue
        assert code == 0, err
        assert out[0] == variant
        digests[variant] = out[1]
    assert "base" in digests
    h = hashlib.sha256()
    for o in all_fills(2):
        h.update(o.tobytes())
    assert set(digests.values()) == {h.hexdigest()}, digests


# --- 16-bit outputs ----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", [constants.FMT_F16, constants.FMT_BF16], ids=["f16", "bf16"])
@pytest.mark.parametrize(("kind", "params"), [
    ("uniform", (-0.1, 0.2, -0.099609375, 0.099609375)),  # bounds exact in both formats
    ("normal", (0.0, 1.0)),
    ("normal", (0.0, 3e4)),  # overflow to inf in float16
    ("normal", (0.0, 1e-6)),  # float16 subnormals
    ("truncated_normal", (0.0, 0.02, -EA_2SIGMA, EA_2SIGMA, -0.0400390625, 0.0400390625)),
], ids=["uniform", "normal", "normal_huge", "normal_tiny", "truncated_normal"])
def test_16bit_output_is_float32_output_rounded_to_nearest_even(kind, params, fmt):
    geometry = GEOMETRIES["odd_first"]
    n = geometry[1]
    f32 = fill(kind, np.empty(n, np.float32), geometry, params, constants.FMT_F32)
    bits = fill(kind, np.empty(n, np.uint16), geometry, params, fmt)
    t = np.float16 if fmt == constants.FMT_F16 else ml_dtypes.bfloat16
    with np.errstate(over="ignore"):
        want = f32.astype(t)
    np.testing.assert_array_equal(bits, want.view(np.uint16))
    if kind != "normal":  # bounded: the clamp in float32 keeps the bound after rounding
        lo_c, hi_c = params[-2:]
        values = bits.view(t).astype(np.float64)
        assert values.min() >= lo_c
        assert values.max() <= hi_c
