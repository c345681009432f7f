"""Seed, stream and global-index bookkeeping: keys, stream ids, runs.

A run is a piece of the buffer's memory that a kernel fills in one call:
``rows`` rows of ``row_len`` elements, contiguous in memory, where element
``k`` of row ``r`` is global element ``first + r*row_step + k*step`` of the
full logical tensor (its row-major index). Sub-blocks (``origin``) and flat
shards (``offset``) reduce to a few runs; F-ordered buffers are cut into
C-ordered blocks (``f_order_tiles``) that are filled in a scratch and copied.
"""

import hashlib
import itertools
import math
from typing import NamedTuple

from . import constants


class Run(NamedTuple):
    start: int  # first memory element of the run
    size: int  # memory elements in the run: rows * row_len
    first: int
    row_len: int
    row_step: int
    step: int


def key_words(seed):
    """Philox key (low, high 32 bits) of a seed in [0, 2**64)."""
    return seed & constants.MASK32, seed >> 32


def stream_id(stream):
    """64-bit stream id: an integer as is; a str by BLAKE2b-64 of its UTF-8.

    ``int.from_bytes(blake2b(name.encode(), digest_size=8,
    person=b"fastinit-stream").digest(), "little")``: stable across Python
    versions, platforms and processes (unlike ``hash``).
    """
    if isinstance(stream, str):
        digest = hashlib.blake2b(stream.encode("utf-8"), digest_size=8,
                                 person=constants.STREAM_HASH_PERSON).digest()
        return int.from_bytes(digest, "little")
    return stream


def stream_words(stream):
    s = stream_id(stream)
    return s & constants.MASK32, s >> 32


def global_geometry(shape, full, origin, offset):
    """Global stride of each axis of a buffer of ``shape``, and its first index."""
    if offset is not None:
        return [math.prod(shape[d + 1:]) for d in range(len(shape))], offset
    gstrides = [math.prod(full[d + 1:]) for d in range(len(full))]
    return gstrides, sum(o * g for o, g in zip(origin or (0,) * len(full), gstrides, strict=True))


def plan_runs(shape, gstrides, mstrides, first):
    """Runs covering every element of a contiguous buffer.

    ``mstrides`` are the memory strides in elements; the innermost memory axis
    becomes the run's row (its global step may exceed 1), the next one its rows,
    any others are looped over here.
    """
    dims = sorted(((n, g, m) for n, g, m in zip(shape, gstrides, mstrides, strict=True)
                   if n != 1),
                  key=lambda d: d[2])  # innermost in memory first
    merged = []
    for n, g, m in dims:
        if merged:
            pn, pg, pm = merged[-1]
            # the next axis continues the previous one in memory and globally
            if m == pn * pm and g == pn * pg:
                merged[-1] = (pn * n, pg, pm)
                continue
        merged.append((n, g, m))
    merged += [(1, 0, 0)] * (2 - len(merged))
    (row_len, step, _), (rows, row_step, _) = merged[0], merged[1]
    outer = merged[2:]
    runs = []
    for idx in itertools.product(*(range(n) for n, _, _ in outer)):
        start = sum(i * m for i, (_, _, m) in zip(idx, outer, strict=True))
        g0 = first + sum(i * g for i, (_, g, _) in zip(idx, outer, strict=True))
        runs.append(Run(start, rows * row_len, g0, row_len, row_step, step))
    return runs


def c_strides(shape):
    """Memory strides, in elements, of a C-contiguous array of ``shape``."""
    return [math.prod(shape[d + 1:]) for d in range(len(shape))]


def f_order_tiles(shape, gstrides, first, budget):
    """Blocks of a buffer, in C order, of at most ``budget`` elements.

    Yields ``(index, tile_shape, tile_first)``: the block is ``out[index]``.
    The trailing axes are taken whole, so each block holds long runs of
    consecutive global indices (whole Philox blocks); an F-ordered buffer is
    filled block by block through a C-ordered scratch and a copy, instead of
    one Philox block per element.
    """
    nd = len(shape)
    k = nd  # axes [k, nd) are taken whole
    while k > 0 and math.prod(shape[k - 1:]) <= budget:
        k -= 1
    if k == 0:
        yield (slice(None),) * nd, tuple(shape), first
        return
    inner = math.prod(shape[k:])
    chunk = max(1, budget // inner)
    for lead in itertools.product(*(range(n) for n in shape[:k - 1])):
        for a in range(0, shape[k - 1], chunk):
            b = min(a + chunk, shape[k - 1])
            index = (tuple(slice(i, i + 1) for i in lead) + (slice(a, b),)
                     + (slice(None),) * (nd - k))
            tile_first = first + a * gstrides[k - 1] + sum(
                i * g for i, g in zip(lead, gstrides[:k - 1], strict=True))
            yield index, (1,) * len(lead) + (b - a,) + tuple(shape[k:]), tile_first

