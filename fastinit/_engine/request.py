"""One parse per call: a fill's arguments become one checked request.

Every public function and every integration turns what it was given into a
:class:`Request` here, once, before anything is written; the fill path
(``fill.py``) and the kernels trust it. A request holds the buffer and where
it sits in the full logical tensor, the Philox key and stream words, the
backend and the thread count. The distribution is a separate checked value
(``laws.py``), so an integration that builds one law and fills many buffers
with it checks the law once.

What repeats from call to call is cached: a named stream's hash, and the
runs of global indices of a buffer of a given shape and place.
"""

import functools
import math
from typing import NamedTuple

import numpy as np

from . import backends, checks, formats, streams
from .constants import MASK32


class Keys(NamedTuple):
    """Philox key words of the seed and counter words of the stream (each < 2**32)."""

    key0: int
    key1: int
    stream0: int
    stream1: int


class Request(NamedTuple):
    """A checked fill: write ``out`` (its format ``fmt``) as the block of ``full``.

    Element ``(i0, i1, ...)`` of ``out`` is global element ``first + i0 *
    gstrides[0] + i1 * gstrides[1] + ...`` of the full tensor, its row-major
    index there.
    """

    out: np.ndarray
    fmt: int | None  # None: raw uint32 words
    full: tuple
    gstrides: tuple
    first: int
    keys: Keys
    backend: str
    n_threads: int | None  # checked; the fill sizes its threads (backends.effective_n_threads)


def seed_words(seed):
    """The Philox key words of a seed, checked here: an integer in [0, 2**64)."""
    return key_words(checks.check_seed(seed))


def key_words(seed):
    """The Philox key words of a seed already checked."""
    return seed & MASK32, seed >> 32


@functools.lru_cache(maxsize=4096)
def _named_stream_words(name):
    s = streams.stream_id(name)
    return s & MASK32, s >> 32


def stream_words(stream):
    """The counter words of a checked stream: an int in [0, 2**64) or a name (hashed once)."""
    stream = checks.check_stream(stream)
    if isinstance(stream, str):
        return _named_stream_words(stream)
    return stream & MASK32, stream >> 32


def keys(seed, stream):
    """:class:`Keys` of a seed and a stream, each checked once."""
    return Keys(*seed_words(seed), *stream_words(stream))


@functools.lru_cache(maxsize=1024)
def _whole_geometry(shape):
    full = checks.check_shape("full_shape", shape)
    return full, tuple(math.prod(full[d + 1:]) for d in range(len(full))), 0


def geometry(shape, full_shape=None, origin=None, offset=None):
    """Checked (full shape, global strides, first global index) of a buffer of ``shape``.

    A whole tensor (no `full_shape`, `origin` or `offset`) is cached by shape.
    """
    if full_shape is None and origin is None and offset is None:
        return _whole_geometry(shape)
    full = checks.check_geometry(shape, full_shape, origin, offset)
    gstrides, first = streams.global_geometry(shape, full, origin, offset)
    return full, tuple(gstrides), first


def parse(out, keys_, full_shape=None, origin=None, offset=None, n_threads=None,
          backend="auto", *, bits=False):
    """The :class:`Request` of a fill of ``out``; raises before any byte is written."""
    fmt = checks.check_bits_buffer(out) if bits else checks.check_buffer(out)
    full, gstrides, first = geometry(out.shape, full_shape, origin, offset)
    return Request(out, fmt, full, gstrides, first, keys_, backends.checked(backend),
                   checks.check_n_threads(n_threads))


def whole(out, keys_, backend, n_threads, *, bits=False):
    """The :class:`Request` of a whole buffer whose format, backend
    (``backends.checked``) and thread count are checked already.

    For a caller that checked every buffer and its arguments once, before its
    first write (``fastinit.torch.init_module`` over a model's tensors, a
    scratch buffer of the engine's own): nothing is checked again.
    """
    full, gstrides, first = _whole_geometry(out.shape)
    fmt = None if bits else formats.FORMATS[out.dtype]
    return Request(out, fmt, full, gstrides, first, keys_, backend, n_threads)


def scratch(req, buffer, *, bits=False):
    """A request to fill the whole of ``buffer`` (allocated by the engine) with ``req``'s
    keys, backend and threads."""
    return whole(buffer, req.keys, req.backend, req.n_threads, bits=bits)
