"""The end of a run: the small files, then no ledger; a finished directory recognised.

While any process is writing, each keeps its ledger
(``.fastinit-ledger-I-of-N.json``) in the directory. The process that finds
all ``N`` ledgers complete once its own is (the last to finish, or any of
several finishing together: they write the same bytes) writes the small
files (``config.json``, ``generation_config.json``,
``model.safetensors.index.json``) and removes every ledger, so a finished
directory holds what ``save_pretrained`` writes and nothing else. A finished
directory is recognised without a ledger: every file of the layout at its
final size with the expected header (which names the seed, the rules and a
digest of the plan) and every small file with the expected bytes.
"""

import json
import os
import struct

from .._engine import framework_checks
from . import _files

_HEADER_KEYS = ("seed", "rules", "model_sha256", "fastinit_version")


def ledger_names(out_dir):
    return sorted(n for n in os.listdir(out_dir)
                  if n.startswith(_files.LEDGER_PREFIX) and n.endswith(".json"))


def read_ledgers(out_dir):
    """Every ledger's record; None when one vanished while reading (a clean-up is running)."""
    try:
        return [_files.read_json(os.path.join(out_dir, n)) for n in ledger_names(out_dir)]
    except FileNotFoundError:
        return None


def _same_bytes(path, data, size=None):
    try:
        with open(path, "rb") as f:
            if size is not None and os.fstat(f.fileno()).st_size != size:
                return False
            return f.read(len(data)) == data and (size is not None or f.read(1) == b"")
    except FileNotFoundError:
        return False


def is_finished(out_dir, lay, small):
    """Whether ``out_dir`` holds this checkpoint, finished (maybe its clean-up cut short).

    Ledgers may remain only when a clean-up was interrupted: the small files
    are written only once every process has finished, so with small files to
    write, their presence says so; without any, a ledger means unfinished.
    """
    if ledger_names(out_dir) and not small:
        return False
    for name, header, size in zip(lay.files, lay.headers, lay.sizes, strict=True):
        if not _same_bytes(os.path.join(out_dir, name), header, size):
            return False
    return all(_same_bytes(os.path.join(out_dir, n), data) for n, data in small.items())


def finish(out_dir, small, num_workers):
    """Once every process's ledger is complete: write the small files, remove the ledgers."""
    records = read_ledgers(out_dir)
    if (records is None or len(records) != num_workers
            or any(r["pieces_done"] != r["pieces"] for r in records)):
        return False
    for name, data in small.items():
        _files.write_small_file(os.path.join(out_dir, name), data, durable=True)
    remove_ledgers(out_dir)
    return True


def remove_ledgers(out_dir):
    for name in ledger_names(out_dir):
        try:
            os.remove(os.path.join(out_dir, name))
        except FileNotFoundError:  # another process finishing at the same time
            pass


def header_metadata(path):
    """The ``__metadata__`` of a safetensors file written by fastinit, else None."""
    try:
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            doc = json.loads(f.read(min(n, 2**26)))
    except (OSError, struct.error, ValueError):
        return None
    meta = doc.get("__metadata__") if isinstance(doc, dict) else None
    return meta if isinstance(meta, dict) and "fastinit_version" in meta else None


def differences(out_dir, names, metadata):
    """How a finished checkpoint in ``out_dir`` differs from this one, or None if not ours."""
    for name in names:
        if name.endswith(".safetensors"):
            theirs = header_metadata(os.path.join(out_dir, name))
            if theirs is not None:
                diff = [f"{k}={metadata.get(k)!r} (checkpoint: {theirs.get(k)!r})"
                        for k in _HEADER_KEYS if theirs.get(k) != metadata.get(k)]
                return "; ".join(diff) or "other files, dtype or max_shard_size"
    return None


def check_unfinished(out_dir, names, metadata):
    """Refuse data files without a ledger: another finished checkpoint, or foreign files."""
    diff = differences(out_dir, names, metadata)
    if diff is not None:
        raise ValueError(framework_checks.CKPT_FINISHED.format(out_dir, diff))
    raise ValueError(framework_checks.CKPT_NO_LEDGER.format(out_dir))
