"""Seed, stream and global-index bookkeeping: keys, stream ids, runs.

A run is a piece of the buffer's memory that a kernel fills in one call:
``rows`` rows of ``row_len`` elements, contiguous in memory, where element
``k`` of row ``r`` is global element ``first + r*row_step + k*step`` of the
full logical tensor (its row-major index). Sub-blocks (``origin``), flat
shards (``offset``) and F-ordered buffers all reduce to a few runs.
"""

import hashlib
import itertools
import math
from typing import NamedTuple

import numpy as np

from . import _constants as C


class Run(NamedTuple):
    start: int  # first memory element of the run
    size: int  # memory elements in the run: rows * row_len
    first: int
    row_len: int
    row_step: int
    step: int


def key_words(seed):
    """Philox key (low, high 32 bits) of a seed in [0, 2**64)."""
    return seed & C.MASK32, seed >> 32


def stream_id(stream):
    """64-bit stream id: an integer as is; a str by BLAKE2b-64 of its UTF-8.

    ``int.from_bytes(blake2b(name.encode(), digest_size=8,
    person=b"fastinit-stream").digest(), "little")``: stable across Python
    versions, platforms and processes (unlike ``hash``).
    """
    if isinstance(stream, str):
        digest = hashlib.blake2b(stream.encode("utf-8"), digest_size=8,
                                 person=C.STREAM_HASH_PERSON).digest()
        return int.from_bytes(digest, "little")
    return stream


def stream_words(stream):
    s = stream_id(stream)
    return s & C.MASK32, s >> 32


def _dims(out, full, origin, offset):
    """(size, global stride, memory stride) per axis, and the first index."""
    shape = out.shape
    if offset is not None:
        gstrides = [math.prod(shape[d + 1:]) for d in range(len(shape))]
        first = offset
    else:
        gstrides = [math.prod(full[d + 1:]) for d in range(len(full))]
        first = sum(o * g for o, g in zip(origin or (0,) * len(full), gstrides))
    mstrides = [s // out.itemsize for s in out.strides]
    dims = [(n, g, m) for n, g, m in zip(shape, gstrides, mstrides) if n != 1]
    return dims, first


def plan_runs(out, full, origin, offset):
    """Runs covering every element of ``out`` (which is C- or F-contiguous)."""
    dims, first = _dims(out, full, origin, offset)
    dims.sort(key=lambda d: d[2])  # innermost in memory first
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
        start = sum(i * m for i, (_, _, m) in zip(idx, outer))
        g0 = first + sum(i * g for i, (_, g, _) in zip(idx, outer))
        runs.append(Run(start, rows * row_len, g0, row_len, row_step, step))
    return runs


def global_indices(shape, full, origin=None, offset=None):
    """Global index of every element of a buffer of ``shape`` (tests, docs)."""
    if offset is not None:
        return offset + np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
    origin = origin or (0,) * len(full)
    grids = np.ix_(*(np.arange(o, o + n) for o, n in zip(origin, shape)))
    return np.ravel_multi_index(grids, full).astype(np.int64) if shape else np.zeros((), np.int64)
