"""Out-of-core filling of safetensors files: work split, pieces, pages, ledger.

Every file is created at its final size, its blocks reserved, and its header written, by
whichever process comes first; every process writes the same header bytes
and never truncates, so creation needs no lock. A process fills its own
byte range of the data, piece by piece, each piece through ``np.memmap``:
fill, ``madvise(MADV_DONTNEED)``, write back to disk (overlapped with the
next piece's fill) and ``posix_fadvise(POSIX_FADV_DONTNEED)``, so neither its
anonymous memory nor its resident file pages nor the page cache grow with
the checkpoint. Once a piece is on disk, the process replaces its ledger
atomically with the count of pieces done (at most every ``LEDGER_SECONDS``:
a crash loses no more work than that); the ledger of a finished run, and the
files, are fsync'ed.
"""

import ctypes
import errno
import json
import math
import mmap
import os
from typing import NamedTuple

import numpy as np

from . import _format

PIECE_BYTES = 32 * 2**20  # resident file pages of one piece; no anonymous memory
LEDGER_PREFIX = ".fastinit-ledger-"
LEDGER_SECONDS = 0.5
# fills whose value does not depend on the element's index (in fastinit and
# fastinit.torch): any slice can be filled alone
_CONSTANT_FILLS = ("zeros_", "ones_", "constant_")


class Piece(NamedTuple):
    tensor: int  # index into Layout.placed
    start: int  # first element (flat, in the full tensor)
    stop: int


def _cut(placed, boundary, g0):
    """Element of tensor ``placed`` (global data start ``g0``) where ``boundary`` falls."""
    n = math.prod(placed.entry.shape)
    if not _is_piecewise(placed.entry):  # a whole tensor belongs to one process
        return n if boundary > g0 else 0
    item = placed.nbytes // n if n else 1
    return min(n, max(0, (boundary - g0) // item))


def _is_constant(fn):
    return (getattr(fn, "__name__", None) in _CONSTANT_FILLS
            and getattr(fn, "__module__", "").startswith("fastinit"))


def _is_piecewise(entry):
    return entry.piecewise or _is_constant(entry.fn)


def pieces(lay, num_workers, worker_index):
    """This process's pieces: an equal share of the bytes, cut at element bounds.

    Worker ``i`` owns the data bytes ``[i*T//N, (i+1)*T//N)`` of all files
    taken in order (``T`` bytes of tensor data in all), rounded to elements; a
    tensor that cannot be filled in slices goes whole to the process owning its
    first byte. Shares are disjoint and cover everything, whatever ``N``.
    """
    total = sum(p.nbytes for p in lay.placed)
    lo_b = worker_index * total // num_workers
    hi_b = (worker_index + 1) * total // num_workers
    out, g0 = [], 0
    for t, p in enumerate(lay.placed):
        lo, hi = _cut(p, lo_b, g0), _cut(p, hi_b, g0)
        n = math.prod(p.entry.shape)
        if not _is_piecewise(p.entry):
            out += [Piece(t, 0, n)] if hi > lo else []
        else:
            step = max(1, PIECE_BYTES // max(1, p.nbytes // max(n, 1)))
            out += [Piece(t, a, min(a + step, hi)) for a in range(lo, hi, step)]
        g0 += p.nbytes
    return out


def create_files(out_dir, lay):
    """Create every file at its final size, its blocks reserved, and write its header.

    Idempotent and safe to run from several processes at once: sizes only
    grow to the same final size, ``fallocate`` never changes a written byte,
    and every process writes the same header bytes.
    """
    for name, header, size in zip(lay.files, lay.headers, lay.sizes, strict=True):
        fd = os.open(os.path.join(out_dir, name), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            _reserve(fd, size)
            os.pwrite(fd, header, 0)
        finally:
            os.close(fd)


def _reserve(fd, size):
    """Allocate the file's blocks now, so a full disk fails here, not as SIGBUS in a fill.

    Linux ``fallocate`` (no zero-writing emulation, unlike ``posix_fallocate``,
    whose emulation could overwrite another process's bytes); where the file
    system lacks it the file stays sparse.
    """
    if _fallocate is not None and _fallocate(fd, 0, 0, size) != 0:
        err = ctypes.get_errno()
        if err not in (errno.EOPNOTSUPP, errno.ENOSYS):
            raise OSError(err, os.strerror(err))


def fill_piece(f, placed, piece, dtype, fill_part):
    """Fill one piece of a tensor in place through np.memmap and unmap its pages.

    ``f`` is the file opened ``"r+b"``; ``fill_part(view, full_shape, offset)``
    fills the tensor's part (``_models.part_filler``); returns ``(start,
    nbytes)`` for the ``Writeback`` that takes the pages to disk.
    """
    e = placed.entry
    count = piece.stop - piece.start
    start = placed.start + piece.start * dtype.itemsize
    whole = not _is_piecewise(e)
    view = np.memmap(f, dtype=dtype, mode="r+", offset=start,
                     shape=e.shape if whole else (count,))
    if whole or _is_constant(e.fn):
        fill_part(view, None, None)
    else:
        fill_part(view, e.shape, piece.start)
    if _sync_file_range is None:
        view.flush()  # msync, where the writeback below is not available
    # a shared file mapping keeps dirty pages in the page cache: unmapping loses nothing
    view.base.madvise(mmap.MADV_DONTNEED)
    del view
    return start, count * dtype.itemsize


def _libc(name, *argtypes):
    """A libc function through ctypes (the GIL is released during the call), or None."""
    try:
        fn = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):  # not Linux
        return None
    fn.argtypes = list(argtypes)
    return fn


_sync_file_range = _libc("sync_file_range", ctypes.c_int, ctypes.c_int64, ctypes.c_int64,
                         ctypes.c_uint)
_fallocate = _libc("fallocate", ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
_SYNC_WRITE, _SYNC_WAIT = 2, 1 | 2 | 4  # WRITE; WAIT_BEFORE | WRITE | WAIT_AFTER


class Writeback:
    """Lag-one writeback: a piece goes to disk while the next one is filled.

    ``submit`` starts the writeback of a filled piece and waits for the one
    before (``sync_file_range``, Linux), then drops that piece's now-clean
    pages from the page cache (``posix_fadvise``); it returns how many pieces
    became durable, which is what the ledger may then record.
    """

    def __init__(self):
        self.pending = None

    def submit(self, fd, start, nbytes):
        if _sync_file_range is not None:
            _sync_file_range(fd, start, nbytes, _SYNC_WRITE)
        done = self.finish()
        self.pending = (fd, start, nbytes)
        return done

    def finish(self):
        if self.pending is None:
            return 0
        fd, start, nbytes = self.pending
        self.pending = None
        if _sync_file_range is not None and _sync_file_range(fd, start, nbytes, _SYNC_WAIT):
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        os.posix_fadvise(fd, start, nbytes, os.POSIX_FADV_DONTNEED)
        return 1


def expected_piece(placed, piece, dtype):
    """A piece's values recomputed in memory (for verification; pieces are bounded)."""
    e = placed.entry
    if not _is_piecewise(e):
        buf = np.empty(e.shape, dtype)
        e.fn(buf, **e.kwargs)
        return buf.reshape(-1)[piece.start:piece.stop]
    buf = np.empty(piece.stop - piece.start, dtype)
    if _is_constant(e.fn):
        return e.fn(buf, **e.kwargs)
    return e.fn(buf, **e.kwargs, full_shape=e.shape, offset=piece.start)


def read_piece(f, placed, piece, dtype):
    """A piece's stored values, copied out of the open file ``f``."""
    start = placed.start + piece.start * dtype.itemsize
    data = os.pread(f.fileno(), (piece.stop - piece.start) * dtype.itemsize, start)
    return np.frombuffer(data, dtype=dtype)


class Ledger:
    """A process's record of its finished pieces, replaced atomically."""

    def __init__(self, out_dir, worker_index, num_workers):
        self.path = os.path.join(out_dir, f"{LEDGER_PREFIX}{worker_index}-of-{num_workers}.json")

    def read(self):
        try:
            return read_json(self.path)
        except FileNotFoundError:
            return None

    def write(self, record, *, durable=False):
        write_small_file(self.path, json.dumps(record, indent=1, sort_keys=True).encode(),
                         durable=durable)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_small_file(path, data, *, durable=False):
    """Replace a small file atomically (a private temporary, then rename).

    `durable` also waits for the bytes to reach the disk before the rename.
    """
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def allocated_bytes(path, size):
    """Bytes of ``path`` already on disk (0 if missing), at most ``size``."""
    try:
        return min(size, os.stat(path).st_blocks * 512)
    except FileNotFoundError:
        return 0


def is_own_file(name, lay):
    """Whether ``name`` is a file a checkpoint of this layout writes."""
    if name in lay.files or name in (_format.INDEX_FILE, _format.CONFIG_FILE):
        return True
    base = name.split(".tmp", 1)[0]
    return name.startswith(LEDGER_PREFIX) or (".tmp" in name and is_own_file(base, lay)
                                              and base != name)
