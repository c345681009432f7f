"""Freshly initialized checkpoints, larger than memory, straight to safetensors.

``write`` turns a model description into a Hugging Face checkpoint directory
(``model.safetensors`` or shards plus ``model.safetensors.index.json``, and
``config.json``) holding exactly the values ``fastinit.torch.init_module``
gives the same model: element ``i`` of every tensor depends only on
(seed, parameter name, ``i``), so each file is created at its final size and
filled in place, in bounded pieces, in any order, by any number of processes,
and a crashed run resumes where it stopped. ``verify`` recomputes and
compares. Needs the ``checkpoint`` extra (transformers, safetensors, tqdm)
for Hugging Face configs; ``import fastinit`` does not import this module.
"""

import math
import os
import shutil
import sys
import time
from typing import NamedTuple

from .._engine import checks, framework_checks
from .._version import __version__
from . import _files, _format, _models
from ._format import PlanRow as PlanRow

_RULES = ("hf", "torch")
_VERIFY_WINDOW = 2**16  # elements per sampled window
_VERIFY_PIECE = 2**22  # elements per compared piece: bounded memory


class Summary(NamedTuple):
    """What one ``write`` call did."""

    out_dir: str
    files: int
    total_bytes: int  # bytes of tensor data in the whole checkpoint
    bytes_written: int  # by this call (a resumed or finished run writes less)
    seconds: float
    worker_index: int
    num_workers: int

    def __str__(self):
        rate = self.bytes_written / self.seconds / 1e9 if self.seconds > 0 else 0.0
        who = f" (worker {self.worker_index} of {self.num_workers})" if self.num_workers > 1 else ""
        return (f"checkpoint {self.out_dir}: {self.files} file(s), "
                f"{self.total_bytes / 1e9:.3f} GB of tensors; wrote {self.bytes_written / 1e9:.3f}"
                f" GB in {self.seconds:.2f} s = {rate:.2f} GB/s{who}")


class VerifyReport(NamedTuple):
    """What ``verify`` compared."""

    tensors: int
    bytes_checked: int
    total_bytes: int
    full: bool

    def __str__(self):
        how = "full" if self.full else "sampled"
        return (f"verified {self.tensors} tensors ({how}: {self.bytes_checked / 1e6:.1f} MB of "
                f"{self.total_bytes / 1e6:.1f} MB compared with a recomputation): all equal")


def _plan(model, seed, dtype, rules, max_shard_size):
    if not isinstance(dtype, str) or dtype not in _format.DTYPES:
        raise TypeError(framework_checks.CKPT_DTYPE.format(tuple(_format.DTYPES), dtype))
    seed = checks.check_seed(seed)
    if rules not in _RULES and not callable(rules):
        raise ValueError(framework_checks.CKPT_RULES.format(_RULES, rules))
    shard = _format.parse_size(max_shard_size)
    entries, config = _models.resolve(model, seed=seed, rules=rules, dtype_name=dtype)
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise ValueError(framework_checks.CKPT_DUPLICATES)
    metadata = {"format": "pt", "seed": str(seed), "rules": getattr(rules, "__name__", rules),
                "fastinit_version": __version__}
    lay = _format.layout(entries, dtype_name=dtype, max_shard_size=shard, metadata=metadata)
    args = {"seed": seed, "dtype": dtype, "rules": metadata["rules"], "max_shard_size": shard,
            "model_sha256": _models.fingerprint(entries), "fastinit_version": __version__,
            "piece_bytes": _files.PIECE_BYTES}
    return lay, config, args


def _check_workers(num_workers, worker_index):
    num_workers = checks.check_positive_int("num_workers", num_workers)
    worker_index = checks.check_integer("worker_index", worker_index, "an integer")
    if not 0 <= worker_index < num_workers:
        raise ValueError(framework_checks.CKPT_WORKER_INDEX.format(num_workers, worker_index))
    return num_workers, worker_index


def _open_dir(out_dir):
    out_dir = os.path.abspath(os.fspath(out_dir))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as err:
        raise ValueError(framework_checks.CKPT_WRITABLE.format(out_dir, err.strerror)) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise ValueError(framework_checks.CKPT_WRITABLE.format(out_dir, "permission denied"))
    return out_dir


def _check_dir(out_dir, lay, args, num_workers):
    """Refuse foreign files, a ledger with other arguments and a full disk."""
    names = sorted(os.listdir(out_dir))
    foreign = [n for n in names if not _files.is_own_file(n, lay)]
    if foreign:
        raise ValueError(framework_checks.CKPT_FOREIGN.format(out_dir, ", ".join(foreign[:5])))
    ledgers = [n for n in names if n.startswith(_files.LEDGER_PREFIX) and n.endswith(".json")]
    if not ledgers and any(n in lay.files or n == _format.INDEX_FILE for n in names):
        raise ValueError(framework_checks.CKPT_NO_LEDGER.format(out_dir))
    for name in ledgers:
        record = _files.read_json(os.path.join(out_dir, name))
        theirs = dict(record.get("arguments", {}), num_workers=record.get("num_workers"))
        mine = dict(args, num_workers=num_workers)
        diff = [f"{k}={mine[k]!r} (ledger: {theirs.get(k)!r})" for k in mine
                if theirs.get(k) != mine[k]]
        if diff:
            raise ValueError(framework_checks.CKPT_ARGUMENTS.format(out_dir, "; ".join(diff)))
    need = sum(size - _files.allocated_bytes(os.path.join(out_dir, name), size)
               for name, size in zip(lay.files, lay.sizes, strict=True))
    free = shutil.disk_usage(out_dir).free
    if need > free:
        raise ValueError(framework_checks.CKPT_FREE.format(need, free, out_dir))


def _progress_bar(total, initial, progress):
    show = progress and sys.stderr.isatty()
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc="checkpoint", file=sys.stderr, dynamic_ncols=True)


def _fill(out_dir, lay, dtype, todo, ledger, record, bar, seed):
    fillers = {}  # each tensor's, built (and checked) once, at its first piece
    handles, sync = {}, _files.Writeback()
    written, last = 0, time.monotonic()
    try:
        for k, piece in enumerate(todo[record["pieces_done"]:], record["pieces_done"]):
            placed = lay.placed[piece.tensor]
            if placed.file not in handles:
                handles[placed.file] = open(os.path.join(out_dir, lay.files[placed.file]), "r+b")
            if piece.tensor not in fillers:
                fillers[piece.tensor] = _models.part_filler(placed.entry, seed)
            start, n = _files.fill_piece(handles[placed.file], placed, piece, dtype,
                                         fillers[piece.tensor])
            if sync.submit(handles[placed.file].fileno(), start, n) and \
                    time.monotonic() - last >= _files.LEDGER_SECONDS:
                record["pieces_done"] = k  # every piece before this one is on disk
                ledger.write(record)
                last = time.monotonic()
            written += n
            if bar is not None:
                bar.update(n)
        if sync.finish():
            for f in handles.values():
                os.fsync(f.fileno())  # sizes and extents too
            record["pieces_done"] = len(todo)
            ledger.write(record, durable=True)
    finally:
        for f in handles.values():
            f.close()
    return written


def write(out_dir, model, *, seed, dtype="bfloat16", rules="hf", max_shard_size="5GB",
          num_workers=1, worker_index=0, progress=True):
    """Write a freshly initialized checkpoint of `model` to `out_dir`, out of core.

    Every tensor holds exactly what ``fastinit.torch.init_module(module,
    seed=seed, rules=rules)`` gives the same model in the same dtype (the
    stream of a tensor is its name). Files are created at their final size,
    their safetensors header written, and every tensor filled in place
    through ``np.memmap`` in pieces of at most 32 MiB, each flushed and its
    pages dropped, so memory does not grow with the checkpoint. A ledger
    (``.fastinit-ledger-I-of-N.json``) records the pieces on disk: calling
    ``write`` again with the same arguments finishes an interrupted run, and
    the files are then byte-identical to an uninterrupted one.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Directory to write; created if missing. It must be empty or hold an
        unfinished checkpoint of the same arguments.
    model : str, os.PathLike, transformers config, torch.nn.Module or list
        A Hugging Face ``config.json`` (or a directory holding one), a
        ``transformers.PretrainedConfig`` (built on the meta device), a torch
        module, or plan rows: ``PlanRow(name, shape, fn, kwargs, piecewise)``
        (the rows of ``fastinit.torch.plan_module``), where ``fn(out,
        **kwargs)`` fills a tensor and, if `piecewise`, ``fn(out, **kwargs,
        full_shape=shape, offset=k)`` fills any flat slice starting at ``k``.
    seed : int
        Root of every stream, ``0 <= seed < 2**64``. Plan rows that draw
        without a ``seed`` in their ``kwargs`` get this one; a row with
        another seed is refused (ValueError).
    dtype : {"bfloat16", "float32", "float16"}, default "bfloat16"
    rules : {"hf", "torch"} or callable, default "hf"
        Initialization rules, as in ``fastinit.torch.init_module``.
    max_shard_size : int or str, default "5GB"
        Largest shard in bytes (``"5GB"`` is 5 * 10**9, ``"5GiB"`` 5 * 2**30),
        split as ``transformers``' ``save_pretrained`` splits.
    num_workers, worker_index : int, default 1 and 0
        This process writes share `worker_index` of `num_workers` equal,
        disjoint byte ranges of the same files; together they write exactly
        the bytes one process writes.
    progress : bool, default True
        Show a progress bar on stderr when it is a terminal.

    Returns
    -------
    Summary
        Files, bytes, seconds; ``str(summary)`` is a one-line report.

    Raises
    ------
    TypeError
        If `dtype` or `model` has the wrong type.
    ValueError
        For a malformed or unknown config, a bad size, seed or worker index,
        plan rows whose seed differs from `seed`,
        an `out_dir` that is not writable, holds other files or a ledger with
        other arguments, or lacks the free space (checked before writing).

    Examples
    --------
    >>> import tempfile, fastinit, fastinit.checkpoint as ckpt
    >>> row = ckpt.PlanRow("w", (4, 8), fastinit.random_normal_, {"seed": 0, "stream": "w"}, True)
    >>> ckpt.write(tempfile.mkdtemp(), [row], seed=0, progress=False).files
    1
    """
    num_workers, worker_index = _check_workers(num_workers, worker_index)
    lay, config, args = _plan(model, seed, dtype, rules, max_shard_size)
    out_dir = _open_dir(out_dir)
    _check_dir(out_dir, lay, args, num_workers)
    t0 = time.perf_counter()
    todo = _files.pieces(lay, num_workers, worker_index)
    ledger = _files.Ledger(out_dir, worker_index, num_workers)
    record = ledger.read() or {"arguments": args, "num_workers": num_workers,
                               "worker_index": worker_index, "pieces": len(todo),
                               "pieces_done": 0}
    ledger.write(record)  # before any data file: a half-written directory can resume
    try:
        _files.create_files(out_dir, lay)
    except OSError as err:  # ENOSPC from another process's writes since the check, EDQUOT...
        raise ValueError(framework_checks.CKPT_ROOM.format(err.strerror, out_dir)) from None
    sizes = [(p.stop - p.start) * _format.DTYPES[dtype].itemsize for p in todo]
    bar = _progress_bar(sum(sizes), sum(sizes[:record["pieces_done"]]), progress)
    try:
        written = _fill(out_dir, lay, _format.DTYPES[dtype], todo, ledger, record, bar,
                        args["seed"])
    finally:
        if bar is not None:
            bar.close()
    if lay.index:
        _files.write_small_file(os.path.join(out_dir, _format.INDEX_FILE), lay.index)
    if config is not None:
        _files.write_small_file(os.path.join(out_dir, _format.CONFIG_FILE), config)
    return Summary(out_dir, len(lay.files), sum(p.nbytes for p in lay.placed), written,
                   time.perf_counter() - t0, worker_index, num_workers)


def is_complete(out_dir):
    """Whether every process of the checkpoint in `out_dir` has finished writing.

    Reads the ledgers ``.fastinit-ledger-I-of-N.json``: all ``N`` must be
    there, each with all its pieces on disk.
    """
    out_dir = os.fspath(out_dir)
    records = [_files.read_json(os.path.join(out_dir, n)) for n in sorted(os.listdir(out_dir))
               if n.startswith(_files.LEDGER_PREFIX) and n.endswith(".json")]
    return (bool(records) and len(records) == records[0]["num_workers"]
            and all(r["pieces_done"] == r["pieces"] for r in records))


def _windows(n, full):
    """Element ranges to compare: all of them, or the start, the middle and the end."""
    if full or n <= 3 * _VERIFY_WINDOW:
        return [(a, min(a + _VERIFY_PIECE, n)) for a in range(0, n, _VERIFY_PIECE)]
    return [(a, a + _VERIFY_WINDOW) for a in (0, (n - _VERIFY_WINDOW) // 2, n - _VERIFY_WINDOW)]


def verify(out_dir, model, *, seed, dtype="bfloat16", rules="hf", max_shard_size="5GB",
           full=False):
    """Check a checkpoint written by `write` against a recomputation of its values.

    Headers must equal the expected bytes and ``safetensors.safe_open`` must
    list every tensor with its shape; values are compared bit for bit, either
    everywhere (`full`) or on three windows of 65536 elements per tensor (the
    start, the middle and the end; whole tensors when smaller). Memory stays
    bounded: values are read and recomputed 2**22 elements at a time.

    Parameters
    ----------
    out_dir : str or os.PathLike
        A checkpoint directory `write` has finished (see `is_complete`).
    model, seed, dtype, rules, max_shard_size
        As given to `write`.
    full : bool, default False
        Compare every byte instead of three windows per tensor.

    Returns
    -------
    VerifyReport
        Tensors and bytes compared; ``str(report)`` is a one-line report.

    Raises
    ------
    ValueError
        Naming the first file or tensor that differs.

    Examples
    --------
    >>> import os, tempfile, fastinit.checkpoint as ckpt
    >>> from fastinit import ones_, he_uniform_
    >>> Row = ckpt.PlanRow
    >>> rows = [Row("b", (3,), ones_, {}, True), Row("w", (2, 3), he_uniform_, {"seed": 1}, True)]
    >>> out = os.path.join(tempfile.mkdtemp(), "ckpt")
    >>> _ = ckpt.write(out, rows, seed=1, dtype="float32", progress=False)
    >>> print(ckpt.verify(out, rows, seed=1, dtype="float32", full=True))
    verified 2 tensors (full: 0.0 MB of 0.0 MB compared with a recomputation): all equal
    """
    from safetensors import safe_open

    lay, _, _ = _plan(model, seed, dtype, rules, max_shard_size)
    out_dir = os.fspath(out_dir)
    dt = _format.DTYPES[dtype]
    for k, name in enumerate(lay.files):
        path = os.path.join(out_dir, name)
        with open(path, "rb") as f:
            if f.read(len(lay.headers[k])) != lay.headers[k]:
                raise ValueError(framework_checks.CKPT_HEADER.format(path))
        with safe_open(path, framework="numpy") as st:
            got = {key: tuple(st.get_slice(key).get_shape()) for key in st.keys()}
        want = {p.entry.name: p.entry.shape for p in lay.placed if p.file == k}
        if got != want:
            raise ValueError(framework_checks.CKPT_TENSORS.format(path, len(want), len(got)))
    checked = 0
    handles = {k: open(os.path.join(out_dir, n), "rb") for k, n in enumerate(lay.files)}
    try:
        for t, p in enumerate(lay.placed):
            for a, b in _windows(math.prod(p.entry.shape), full):
                piece = _files.Piece(t, a, b)
                got = _files.read_piece(handles[p.file], p, piece, dt).view(f"u{dt.itemsize}")
                want = _files.expected_piece(p, piece, dt).view(f"u{dt.itemsize}")
                if (got != want).any():
                    bad = a + int((got != want).argmax())
                    raise ValueError(framework_checks.CKPT_MISMATCH.format(p.entry.name, bad))
                checked += (b - a) * dt.itemsize
    finally:
        for f in handles.values():
            f.close()
    return VerifyReport(len(lay.placed), checked, sum(p.nbytes for p in lay.placed), full)
