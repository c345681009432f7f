"""Bit-identity across thread counts, sharding, memory layout and buffer types.

Element i of the full tensor depends only on (seed, stream, i): any slice
filled alone equals the same slice of the whole, bit for bit.
"""

import numpy as np
import pytest
from cases import BY_ID, RANDOM, case_dtype_pairs, ids, pair_id
from conftest import as_bytes

import fastinit

SEED = 20261129
# sizes that leave unaligned heads/tails and several work items (chunks of 8192)
FULL = (301, 257)

PAIRS = case_dtype_pairs(RANDOM)
PAIR_IDS = [pair_id(p) for p in PAIRS]
each_pair = pytest.mark.parametrize(("case", "dtype"), PAIRS, ids=PAIR_IDS)


def _whole(case, dtype, backend, n_threads=None, order="C"):
    out = np.empty(FULL, dtype, order=order)
    return case.call(out, seed=SEED, stream="w", n_threads=n_threads, backend=backend)


@each_pair
def test_thread_counts(case, dtype, backend):
    ref = as_bytes(_whole(case, dtype, backend, n_threads=1))
    for n in (2, 3, -1):
        assert as_bytes(_whole(case, dtype, backend, n_threads=n)) == ref


@each_pair
def test_fortran_order_buffer_has_c_order_values(case, dtype, backend):
    c = _whole(case, dtype, backend)
    f = _whole(case, dtype, backend, order="F")
    assert f.flags.f_contiguous
    assert as_bytes(np.ascontiguousarray(f)) == as_bytes(c)


@each_pair
def test_row_and_column_blocks(case, dtype, backend):
    whole = _whole(case, dtype, backend)
    # row blocks at odd boundaries, then column blocks (pairs of Box-Muller split)
    for sl in [(slice(0, 7), slice(None)), (slice(7, 150), slice(None)),
               (slice(150, 301), slice(None)), (slice(None), slice(0, 3)),
               (slice(None), slice(3, 130)), (slice(None), slice(131, 257))]:
        block = whole[sl]
        origin = tuple(s.start or 0 for s in sl)
        part = np.empty(block.shape, dtype)
        case.call(part, seed=SEED, stream="w", full_shape=FULL, origin=origin, backend=backend)
        assert as_bytes(part) == as_bytes(block), sl


@pytest.mark.parametrize("case", RANDOM, ids=ids(RANDOM))
def test_random_sub_blocks(case, backend):
    dtype = case.dtypes[0]
    whole = _whole(case, dtype, backend)
    rng = np.random.default_rng(7)
    for _ in range(12):
        r0, c0 = rng.integers(0, FULL[0]), rng.integers(0, FULL[1])
        r1, c1 = rng.integers(r0 + 1, FULL[0] + 1), rng.integers(c0 + 1, FULL[1] + 1)
        order = "CF"[rng.integers(0, 2)]
        part = np.empty((r1 - r0, c1 - c0), dtype, order=order)
        case.call(part, seed=SEED, stream="w", full_shape=FULL, origin=(r0, c0), backend=backend)
        assert as_bytes(np.ascontiguousarray(part)) == as_bytes(whole[r0:r1, c0:c1])


@each_pair
def test_flat_shards_at_odd_offsets(case, dtype, backend):
    flat = _whole(case, dtype, backend).reshape(-1)
    # FSDP-style: consecutive elements, boundaries that split Box-Muller pairs
    bounds = [0, 1, 3, 8194, 8195, 40001, flat.size]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        shard = np.empty(hi - lo, dtype)
        case.call(shard, seed=SEED, stream="w", full_shape=FULL, offset=lo, backend=backend)
        assert as_bytes(shard) == as_bytes(flat[lo:hi]), (lo, hi)


def test_nd_sub_block_of_a_conv_kernel(backend):
    full = (3, 5, 64, 48)
    whole = fastinit.glorot_normal_(np.empty(full, np.float32), seed=1, backend=backend)
    part = np.empty((2, 3, 17, 40), np.float32)
    fastinit.glorot_normal_(part, seed=1, full_shape=full, origin=(1, 2, 30, 5),
                            backend=backend)
    assert as_bytes(part) == as_bytes(whole[1:3, 2:5, 30:47, 5:45])


def test_streams_and_seeds_are_independent(backend):
    a = fastinit.random_normal_(np.empty(4096, np.float32), seed=1, stream="a", backend=backend)
    b = fastinit.random_normal_(np.empty(4096, np.float32), seed=1, stream="b", backend=backend)
    c = fastinit.random_normal_(np.empty(4096, np.float32), seed=2, stream="a", backend=backend)
    # independent N(0, 0.05^2) vectors: |corr| < 0.08 fails with prob ~1e-7 each
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.08
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.08
    assert as_bytes(a) != as_bytes(b)


@pytest.mark.parametrize(("name", "digest"), [
    ("decoder.layers.0.mlp.up_proj.weight", 0x77ACBBAB44606AAA),
    ("embed.weight", 0x079B0C1C40BD0DEE),
    ("", 0x203DEC68E42740D6),
    ("0", 0x097B40E92A0A9525),
    ("\u00e9", 0xDC2FE9624489BBE0),  # UTF-8 bytes, not code points
])
def test_string_stream_hash_is_pinned(name, digest):
    # literal digests: BLAKE2b-64, little-endian, personalised b"fastinit-stream".
    # Changing the hash would silently change every named parameter's values.
    from fastinit._engine.streams import stream_id

    assert stream_id(name) == digest


def test_integer_stream_is_its_own_id():
    from fastinit._engine.streams import stream_id

    assert stream_id(5) == 5
    assert stream_id(2**64 - 1) == 2**64 - 1


def test_counter_carries_past_2_32_blocks(backend):
    # words 4*(2**32 - 1) .. 4*2**32 + 3 straddle the carry into the counter's 2nd word
    start = 4 * (2**32 - 1)
    out = fastinit.random_bits_(np.empty(8, np.uint32), seed=3, full_shape=(start + 8,),
                                offset=start, backend=backend)
    import reference

    assert as_bytes(out) == as_bytes(reference.words(3, 0, np.arange(start, start + 8)))


def test_more_than_2_31_elements_index_space(backend):
    # the last elements of a 2**31 + 5 element tensor, filled as a shard, equal the reference
    import reference

    n = 2**31 + 5
    out = fastinit.random_uniform_(np.empty(11, np.float32), seed=9, full_shape=(n,),
                                   offset=n - 11, minval=0.0, maxval=1.0, backend=backend)
    ref = reference.uniform(9, 0, np.arange(n - 11, n), 0.0, 1.0,
                            *reference.uniform_bounds(0.0, 1.0, np.float32))
    assert as_bytes(out) == as_bytes(ref)


def test_memmap_buffer(tmp_path, backend):
    mm = np.memmap(tmp_path / "w.bin", dtype=np.float32, mode="w+", shape=(64, 129))
    fastinit.lecun_normal_(mm, seed=4, backend=backend)
    mm.flush()
    arr = fastinit.lecun_normal_(np.empty((64, 129), np.float32), seed=4, backend=backend)
    assert as_bytes(np.fromfile(tmp_path / "w.bin", np.float32).reshape(64, 129)) == as_bytes(arr)


# one row per kernel entry point of the float formats (uniform, normal, truncated
# normal by rejection, erf-space and far-tail truncated normal); random_bits_ shares
# their work-item arithmetic, and its uint32 buffer would reserve 8 GiB
ONE_PER_KERNEL = [BY_ID[i] for i in ("random_uniform_", "random_normal_", "truncated_normal_",
                                     "truncated_asym", "truncated_far_tail")]


@pytest.mark.parametrize("case", ONE_PER_KERNEL, ids=ids(ONE_PER_KERNEL))
def test_buffer_of_more_than_2_31_elements(case, backend, monkeypatch):
    # a 4 GiB bfloat16 buffer: memory offsets and global indices past 2**31 in one
    # buffer, through the whole public path. Every kernel call first moves the claim
    # counter to the work item holding element 2**31 - 3, so only the last 8198
    # elements are written: np.empty's untouched pages are never given memory, and
    # the fill takes milliseconds instead of the 10-30 s of writing 4 GiB
    from fastinit._engine import backends, formats, parallel

    n = 2**31 + 2**13 + 3
    lo = 2**31 - 3
    first_item = lo // parallel.ITEM_ELEMENTS
    kernel = backends.kernel

    def from_first_item(backend_name, name):
        fill = kernel(backend_name, name)

        def call(*args):  # args end with (claims, t1, grain, quota)
            args[-4][0] = max(args[-4][0], first_item)
            return fill(*args)
        return call

    monkeypatch.setattr(backends, "kernel", from_first_item)
    big = case.call(np.empty(n, formats.BFLOAT16), seed=11, n_threads=1, backend=backend)
    monkeypatch.undo()
    for a, b in ((lo, lo + 12), (2**31 + 2**12, 2**31 + 2**12 + 9), (n - 7, n)):
        part = case.call(np.empty(b - a, formats.BFLOAT16), seed=11, full_shape=(n,),
                         offset=a, backend=backend)
        assert as_bytes(part) == as_bytes(big[a:b]), (a, b)
    del big


@pytest.mark.parametrize("budget", [1, 97, 1000, 5000])
def test_fortran_order_blocks_of_any_size(budget, backend, monkeypatch):
    # F-ordered buffers go through C-ordered scratch blocks of at most `budget`
    # elements: small budgets split leading axes and chunk the next one

    from fastinit._engine import fill

    monkeypatch.setattr(fill, "TILE_ELEMENTS", budget)
    full = (6, 35, 41)
    c = fastinit.truncated_normal_(np.empty(full, np.float32), seed=2, backend=backend)
    f = fastinit.truncated_normal_(np.empty(full, np.float32, order="F"), seed=2,
                                   backend=backend)
    assert as_bytes(np.ascontiguousarray(f)) == as_bytes(c)
    part = np.empty((4, 20, 33), np.float32, order="F")
    fastinit.truncated_normal_(part, seed=2, full_shape=full, origin=(1, 9, 5), backend=backend)
    assert as_bytes(np.ascontiguousarray(part)) == as_bytes(c[1:5, 9:29, 5:38])
    flat = np.empty((7, 9), np.float32, order="F")
    fastinit.truncated_normal_(flat, seed=2, full_shape=full, offset=101, backend=backend)
    assert as_bytes(np.ascontiguousarray(flat).ravel()) == as_bytes(c.ravel()[101:164])


@pytest.mark.parametrize("lead", [0, 3, 100, 257])
def test_batches_across_the_2_32_block_carry(lead, backend):
    # whole-block batches (64 blocks) whose counters cross q = 2**32, where the
    # high counter word changes inside the batch, at several alignments
    import reference

    start = 4 * (2**32 - lead) - 1
    out = fastinit.random_bits_(np.empty(4 * 600, np.uint32), seed=0xABCDEF0123,
                                stream=77, full_shape=(start + 4 * 600,), offset=start,
                                backend=backend)
    ref = reference.words(0xABCDEF0123, 77, np.arange(start, start + 4 * 600))
    assert as_bytes(out) == as_bytes(ref)
