"""Random123 known-answer vectors for Philox4x32-10, through every path."""

import numpy as np
import pytest
import reference
from conftest import DATA, require

import fastinit
from fastinit._engine._numba.philox import philox4x32_10


def _vectors():
    rows = []
    for line in (DATA / "philox4x32_10.txt").read_text().splitlines():
        if line.startswith("philox4x32 10 "):
            words = [int(x, 16) for x in line.split()[2:]]
            rows.append((tuple(words[:4]), tuple(words[4:6]), tuple(words[6:])))
    return rows


VECTORS = _vectors()


def test_vector_file_is_complete():
    # 3 vectors in section A and 52 in section B of the provenance header
    assert len(VECTORS) == 55


@pytest.mark.parametrize(("ctr", "key", "expect"), VECTORS)
def test_reference(ctr, key, expect):
    out = reference.philox4x32_10(*[np.array([c], np.uint32) for c in ctr], *key)
    assert tuple(int(o[0]) for o in out) == expect


@pytest.mark.parametrize(("ctr", "key", "expect"), VECTORS)
def test_numba_philox(ctr, key, expect):
    out = philox4x32_10(*(np.uint64(v) for v in ctr + key))
    assert tuple(int(o) for o in out) == expect


@pytest.mark.usefixtures("cython_kernels")
@pytest.mark.parametrize(("ctr", "key", "expect"), VECTORS)
def test_cython_philox(ctr, key, expect):
    from fastinit._engine._cython import _kernels

    assert tuple(_kernels.philox4x32_10_words(*ctr, *key)) == expect


# Through the public API: word i = lane i % 4 of block i // 4 with counter
# (q_lo, q_hi, stream_lo, stream_hi), key = seed. Global indices stay below
# 2**62, so vectors whose block index q needs more than 60 bits are covered
# by the direct tests above only.
REACHABLE = [v for v in VECTORS if v[0][1] < 2**28]


def test_reachable_vectors_include_carries_past_2_32_blocks():
    assert any(ctr[1] > 0 for ctr, _, _ in REACHABLE)
    assert len(REACHABLE) >= 30


@pytest.mark.parametrize(("ctr", "key", "expect"), REACHABLE)
def test_random_bits(ctr, key, expect, backend):
    q = ctr[0] | ctr[1] << 32
    out = np.empty(4, np.uint32)
    fastinit.random_bits_(out, seed=key[0] | key[1] << 32, stream=ctr[2] | ctr[3] << 32,
                          full_shape=(4 * q + 4,), offset=4 * q, backend=backend)
    assert tuple(int(x) for x in out) == expect


@pytest.mark.parametrize(("seed", "stream", "q0"), [
    (0, 0, 0),
    (0x0123456789ABCDEF, 0x1122334455667788, 5),
    (2**64 - 1, 2**64 - 1, 2**32 - 3),  # the block counter carries into its 2nd word
    (12345, 7, 2**40 + 11),
])
def test_independent_implementation_randomgen(seed, stream, q0, backend):
    # randomgen's Philox4x32-10 (independent C code) with counter words
    # (q_lo, q_hi, stream_lo, stream_hi) and key = seed; it increments its
    # counter before each block, hence counter - 1
    randomgen = require("randomgen")

    counter = (((stream << 64) | q0) - 1) % 2**128
    bg = randomgen.Philox(key=seed, counter=counter, number=4, width=32)
    expect = bg.random_raw(4 * 300).astype(np.uint32)
    out = fastinit.random_bits_(np.empty(4 * 300, np.uint32), seed=seed, stream=stream,
                                full_shape=(4 * q0 + 4 * 300,), offset=4 * q0, backend=backend)
    assert out.tobytes() == expect.tobytes()
