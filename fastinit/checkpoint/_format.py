"""The safetensors layout of a checkpoint: shards, headers, index (no I/O).

Format: https://github.com/huggingface/safetensors#format - an 8-byte
little-endian header length N, N bytes of UTF-8 JSON (``{name: {"dtype",
"shape", "data_offsets": [begin, end]}}`` with offsets relative to the end of
the header, plus ``"__metadata__"`` of string values), padded with spaces to a
multiple of 8, then the tensors' bytes back to back. Sharding follows
``huggingface_hub.split_torch_state_dict_into_shards``: tensors in order, a new
shard whenever the next tensor would overflow ``max_shard_size``, a tensor
larger than that alone in a shard of its own, appended when it is met.
"""

import inspect
import json
import math
import re
import struct
from typing import NamedTuple

import numpy as np

from .._engine import formats, framework_checks

DTYPES = {"float32": np.dtype(np.float32), "bfloat16": formats.BFLOAT16,
          "float16": np.dtype(np.float16)}
SAFETENSORS_DTYPE = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}
SINGLE_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
CONFIG_FILE = "config.json"
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]I?B|B)?\s*$", re.IGNORECASE)


class PlanRow(NamedTuple):
    """One tensor and how its values are made: a plan row.

    ``fn(buffer, **kwargs)`` fills a buffer of the full ``shape``; when
    ``piecewise`` is True, ``fn(part, **kwargs, full_shape=shape, offset=k)``
    (or ``origin=...``) fills any part alone, with the same bits.
    ``fastinit.torch.plan_module`` returns these rows (``fastinit.torch.ParamInit``
    is this class) and ``fastinit.checkpoint.write`` writes them.
    """

    name: str
    shape: tuple
    fn: object
    kwargs: dict
    piecewise: bool

    def seeded(self, seed):
        """This row with ``seed`` wherever it draws without one; ValueError if a row names
        another seed."""
        kwargs = dict(self.kwargs)
        if kwargs.get("seed") is not None:
            if kwargs["seed"] != seed:
                raise ValueError(framework_checks.PLAN_SEED.format(seed, kwargs["seed"]))
        elif _takes_seed(self.fn):
            kwargs["seed"] = seed
        for key, value in kwargs.items():
            if callable(getattr(value, "seeded", None)):
                kwargs[key] = value.seeded(seed)
        return self._replace(kwargs=kwargs)


def _takes_seed(fn):
    try:
        return "seed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Placed(NamedTuple):
    """A tensor's place: file index, byte offset of its data in that file."""

    entry: PlanRow
    file: int
    start: int  # absolute byte offset in the file
    nbytes: int


class Layout(NamedTuple):
    files: list  # file names
    headers: list  # header bytes of each file (length prefix included)
    sizes: list  # final size of each file in bytes
    placed: list  # Placed, in file order then data order
    index: bytes  # model.safetensors.index.json, or b"" for a single file


def parse_size(value):
    """Bytes in an int or a string such as "5GB" (10**9) or "5GiB" (2**30)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        n = int(value)
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        n = int(float(m.group(1)) * _UNITS[(m.group(2) or "").upper()])
    else:
        raise ValueError(framework_checks.CKPT_SHARD_SIZE_FORM.format(value))
    if n <= 0:
        raise ValueError(framework_checks.CKPT_SHARD_SIZE.format(value))
    return n


def _shards(nbytes, max_size):
    groups, current, used = [], [], 0
    for i, n in enumerate(nbytes):
        if n > max_size:  # alone, in a shard of its own; the open shard stays open
            groups.append([i])
            continue
        if used + n > max_size:
            groups.append(current)
            current, used = [], 0
        current.append(i)
        used += n
    if current or not groups:
        groups.append(current)
    return groups


def _header(entries, dtype_name, metadata):
    body = {"__metadata__": dict(metadata)}
    pos = 0
    for e in entries:
        n = math.prod(e.shape) * DTYPES[dtype_name].itemsize
        body[e.name] = {"dtype": SAFETENSORS_DTYPE[dtype_name], "shape": list(e.shape),
                        "data_offsets": [pos, pos + n]}
        pos += n
    text = json.dumps(body, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text, pos


def layout(entries, *, dtype_name, max_shard_size, metadata):
    """Files, headers and the place of every tensor; deterministic in its inputs."""
    item = DTYPES[dtype_name].itemsize
    groups = _shards([math.prod(e.shape) * item for e in entries], max_shard_size)
    n = len(groups)
    files = [SINGLE_FILE] if n == 1 else [f"model-{k + 1:05d}-of-{n:05d}.safetensors"
                                          for k in range(n)]
    headers, sizes, placed, weight_map = [], [], [], {}
    for k, group in enumerate(groups):
        members = [entries[i] for i in group]
        header, data = _header(members, dtype_name, metadata)
        pos = len(header)
        for e in members:
            nbytes = math.prod(e.shape) * item
            placed.append(Placed(e, k, pos, nbytes))
            weight_map[e.name] = files[k]
            pos += nbytes
        headers.append(header)
        sizes.append(len(header) + data)
    index = b""
    if n > 1:
        total = sum(p.nbytes for p in placed)
        doc = {"metadata": {"total_size": total}, "weight_map": weight_map}
        index = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
    return Layout(files, headers, sizes, placed, index)
