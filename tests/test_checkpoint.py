"""Out-of-core safetensors checkpoints from a plan: format, sharding, workers, resume."""

import hashlib
import json
import os
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import as_bytes, require

import fastinit
from fastinit import checkpoint as ckpt
from fastinit.checkpoint import _files, _format
from fastinit.checkpoint._format import PlanRow

safetensors = require("safetensors")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_plan(scale=1, seed=7):
    """A small model's rows: normal, uniform, truncated, zeros, ones, a whole-tensor fill.

    ``seed=None``: the random rows name no seed (the writer's ``seed`` fills them in).
    """
    s = scale

    def n(name, shape, fn, piecewise=True, **kw):
        seeded = {} if seed is None else {"seed": seed}
        return PlanRow(name, shape, fn, dict(kw, **seeded, stream=name), piecewise)

    return [
        n("embed.weight", (250 * s, 96), fastinit.random_normal_, stddev=0.02),
        n("layers.0.up.weight", (96, 384 * s), fastinit.he_uniform_),
        PlanRow("layers.0.up.bias", (384 * s,), fastinit.zeros_, {}, False),
        n("layers.0.down.weight", (384 * s, 96), fastinit.truncated_normal_, stddev=0.01),
        PlanRow("norm.weight", (96,), fastinit.ones_, {}, False),
        n("head.weight", (96, 250 * s), fastinit.glorot_normal_, piecewise=False),
    ]


def expected(entry, dtype):
    buf = np.empty(entry.shape, dtype)
    entry.fn(buf, **entry.kwargs)
    return buf


def sha256s(d):
    out = {}
    for name in sorted(os.listdir(d)):
        if not name.startswith("."):
            with open(os.path.join(d, name), "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch):
    monkeypatch.setattr(_files, "PIECE_BYTES", 40_000)  # many pieces per tensor


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_every_tensor_reads_back_as_the_in_memory_fill(tmp_path, dtype):
    torch = require("torch")
    from safetensors import safe_open

    plan = make_plan()
    s = ckpt.write(tmp_path, plan, seed=7, dtype=dtype, max_shard_size="100KB", progress=False)
    assert s.files > 2
    assert s.bytes_written == s.total_bytes
    index = json.loads((tmp_path / _format.INDEX_FILE).read_text())
    assert sorted(index["weight_map"]) == sorted(e.name for e in plan)
    assert index["metadata"]["total_size"] == s.total_bytes
    seen = set()
    for fname in sorted(set(index["weight_map"].values())):
        with safe_open(tmp_path / fname, framework="pt") as f:
            assert f.metadata() == {"format": "pt", "seed": "7", "rules": "hf",
                                    "fastinit_version": fastinit.__version__}
            for key in f.keys():
                assert index["weight_map"][key] == fname
                t = f.get_tensor(key)
                assert t.dtype == getattr(torch, dtype)
                entry = next(e for e in plan if e.name == key)
                want = expected(entry, _format.DTYPES[dtype])
                assert as_bytes(t.view(torch.uint8 if t.element_size() == 1 else
                                       {2: torch.int16, 4: torch.int32}[t.element_size()])
                                .numpy()) == as_bytes(want)
                seen.add(key)
    assert seen == {e.name for e in plan}


def test_header_follows_the_safetensors_format(tmp_path):
    ckpt.write(tmp_path, make_plan(), seed=7, dtype="float32", progress=False)
    raw = (tmp_path / _format.SINGLE_FILE).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0
    assert raw[8:9] == b"{"
    header = json.loads(raw[8:8 + n])
    ends = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    assert ends[0][0] == 0
    assert ends[-1][1] == len(raw) - 8 - n
    assert all(a[1] == b[0] for a, b in zip(ends, ends[1:], strict=False))  # back to back
    assert header["embed.weight"] == {"dtype": "F32", "shape": [250, 96],
                                      "data_offsets": header["embed.weight"]["data_offsets"]}


def test_shards_split_as_huggingface_hub_splits():
    from huggingface_hub.serialization import split_state_dict_into_shards_factory

    rng = np.random.default_rng(0)
    for _trial in range(50):
        sizes = [int(x) for x in rng.integers(1, 40, size=rng.integers(1, 12))]
        limit = int(rng.integers(5, 60))
        split = split_state_dict_into_shards_factory(
            {f"t{i}": s for i, s in enumerate(sizes)}, get_storage_size=lambda s: s,
            filename_pattern="model{suffix}.safetensors", max_shard_size=limit)
        groups = _format._shards(sizes, limit)
        assert [[f"t{i}" for i in g] for g in groups] == list(split.filename_to_tensors.values())


def test_sizes_parse_as_huggingface_hub_parses():
    from huggingface_hub.serialization._base import parse_size_to_int

    for text in ("5GB", "10MB", "1.5GB", "700KB", " 3TB"):
        assert _format.parse_size(text) == parse_size_to_int(text)
    assert _format.parse_size("4GiB") == 4 * 2**30
    assert _format.parse_size(12345) == 12345
    for bad in ("5 parsecs", "", -1, 0, 2.5, True):
        with pytest.raises(ValueError, match="max_shard_size must be"):
            _format.parse_size(bad)


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_write_the_bytes_one_process_writes(tmp_path, workers):
    plan = make_plan()
    ckpt.write(tmp_path / "one", plan, seed=7, max_shard_size="150KB", progress=False)
    for i in reversed(range(workers)):  # any order
        ckpt.write(tmp_path / "many", plan, seed=7, max_shard_size="150KB", num_workers=workers,
                   worker_index=i, progress=False)
    assert ckpt.is_complete(tmp_path / "many")
    assert sha256s(tmp_path / "many") == sha256s(tmp_path / "one")


def test_worker_shares_are_disjoint_and_cover_every_element():
    lay = _format.layout(make_plan(3), dtype_name="bfloat16", max_shard_size=10**9, metadata={})
    for workers in (1, 2, 3, 7):
        covered = [np.zeros(p.nbytes // 2, np.int8) for p in lay.placed]
        for i in range(workers):
            for piece in _files.pieces(lay, workers, i):
                covered[piece.tensor][piece.start:piece.stop] += 1
        assert all((c == 1).all() for c in covered)


WORKER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from test_checkpoint import make_plan
    from fastinit import checkpoint
    from fastinit.checkpoint import _files
    _files.PIECE_BYTES = int(sys.argv[5])
    _files.LEDGER_SECONDS = 0  # a ledger after every piece, so the kill lands half-way
    checkpoint.write(sys.argv[2], make_plan(int(sys.argv[6])), seed=7, dtype="float32",
                     num_workers=int(sys.argv[3]), worker_index=int(sys.argv[4]), progress=False)
""")


def run_worker(out, workers, index, piece=40_000, scale=1):
    return subprocess.Popen([sys.executable, "-c", WORKER, os.path.dirname(__file__), str(out),
                             str(workers), str(index), str(piece), str(scale)], cwd=ROOT)


def test_two_processes_at_once_on_one_file_write_the_bytes_of_one(tmp_path):
    ckpt.write(tmp_path / "one", make_plan(), seed=7, dtype="float32", progress=False)
    procs = [run_worker(tmp_path / "two", 2, i) for i in (0, 1)]
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    assert os.listdir(tmp_path / "two").count(_format.SINGLE_FILE) == 1
    assert sha256s(tmp_path / "two") == sha256s(tmp_path / "one")


def test_killed_writer_resumes_to_the_bytes_of_an_uninterrupted_run(tmp_path):
    ckpt.write(tmp_path / "whole", make_plan(8), seed=7, dtype="float32", progress=False)
    proc = run_worker(tmp_path / "cut", 1, 0, piece=20_000, scale=8)
    ledger = _files.Ledger(tmp_path / "cut", 0, 1)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        rec = ledger.read() if os.path.exists(ledger.path) else None
        if rec and rec["pieces_done"] >= rec["pieces"] // 2:
            break
        time.sleep(0.001)
    proc.kill()  # SIGKILL, in the middle of a piece or between two
    proc.wait()
    rec = ledger.read()
    assert 0 < rec["pieces_done"] < rec["pieces"]
    _files.PIECE_BYTES = 20_000  # same pieces as the killed run (restored by the fixture)
    s = ckpt.write(tmp_path / "cut", make_plan(8), seed=7, dtype="float32", progress=False)
    assert 0 < s.bytes_written < s.total_bytes
    assert sha256s(tmp_path / "cut") == sha256s(tmp_path / "whole")


def test_rows_without_a_seed_take_the_writers_and_rows_with_another_are_refused(tmp_path):
    ckpt.write(tmp_path / "a", make_plan(seed=None), seed=7, progress=False)
    ckpt.write(tmp_path / "b", make_plan(seed=7), seed=7, progress=False)
    assert sha256s(tmp_path / "a") == sha256s(tmp_path / "b")
    with pytest.raises(ValueError, match=r"seed must equal the seed of every plan row that has "
                                         r"one, got seed=8 and a row with seed=7"):
        ckpt.write(tmp_path / "c", make_plan(seed=7), seed=8, progress=False)
    assert not (tmp_path / "c").exists()


def test_resume_with_other_arguments_is_refused(tmp_path):
    ckpt.write(tmp_path, make_plan(seed=None), seed=7, progress=False)
    before = sha256s(tmp_path)
    with pytest.raises(ValueError, match=r"arguments must equal .* seed=8 \(ledger: 7\)"):
        ckpt.write(tmp_path, make_plan(seed=None), seed=8, progress=False)
    with pytest.raises(ValueError, match="num_workers=2"):
        ckpt.write(tmp_path, make_plan(seed=None), seed=7, num_workers=2, progress=False)
    with pytest.raises(ValueError, match="model_sha256"):
        ckpt.write(tmp_path, make_plan(2, seed=None), seed=7, progress=False)
    assert sha256s(tmp_path) == before


def test_verify_passes_and_finds_a_changed_byte(tmp_path):
    plan = make_plan()
    ckpt.write(tmp_path, plan, seed=7, progress=False)
    full = ckpt.verify(tmp_path, plan, seed=7, full=True)
    assert full.bytes_checked == full.total_bytes
    assert "full" in str(full)
    assert "sampled" in str(ckpt.verify(tmp_path, plan, seed=7))
    path = tmp_path / _format.SINGLE_FILE
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 1  # the last tensor's last element
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="'head.weight' must equal its recomputation"):
        ckpt.verify(tmp_path, plan, seed=7)


def test_bad_arguments_raise_before_anything_is_written(tmp_path):
    out = tmp_path / "out"
    cases = [
        (TypeError, "dtype must be one of", dict(dtype="int8")),
        (TypeError, "dtype must be one of", dict(dtype=np.float32)),
        (ValueError, "seed must be", dict(seed=-1)),
        (ValueError, "max_shard_size must be", dict(max_shard_size="lots")),
        (ValueError, "worker_index must be in", dict(num_workers=2, worker_index=2)),
        (ValueError, "num_workers must be a positive", dict(num_workers=0)),
        (ValueError, "rules must be one of", dict(rules="keras")),
    ]
    for exc, msg, kw in cases:
        with pytest.raises(exc, match=msg):
            ckpt.write(out, make_plan(), **{"seed": 7, "progress": False, **kw})
    with pytest.raises(TypeError, match="model must be"):
        ckpt.write(out, 42, seed=7, progress=False)
    assert not out.exists()


def test_a_directory_with_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"out_dir must be empty .* notes\.txt"):
        ckpt.write(tmp_path, make_plan(), seed=7, progress=False)
    os.remove(tmp_path / "notes.txt")
    (tmp_path / _format.SINGLE_FILE).write_bytes(b"somebody else's")
    with pytest.raises(ValueError, match="without a ledger"):
        ckpt.write(tmp_path, make_plan(), seed=7, progress=False)
    assert sorted(os.listdir(tmp_path)) == [_format.SINGLE_FILE]


def test_not_enough_disk_space_is_refused_before_writing(tmp_path, monkeypatch):
    import shutil

    real, free = shutil.disk_usage, {"bytes": 1000}
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda p: real(p)._replace(free=free["bytes"] or real(p).free))
    with pytest.raises(ValueError, match=r"out_dir must have [\d,]+ bytes free .* got 1,000"):
        ckpt.write(tmp_path, make_plan(), seed=7, progress=False)
    assert os.listdir(tmp_path) == []
    free["bytes"] = None
    ckpt.write(tmp_path, make_plan(), seed=7, progress=False)
    free["bytes"] = 1000
    ckpt.write(tmp_path, make_plan(), seed=7, progress=False)  # its blocks are all allocated


def test_an_unwritable_path_is_refused(tmp_path):
    for bad in ("/proc/fastinit-checkpoint", str(tmp_path / _format.SINGLE_FILE / "x")):
        if bad.startswith(str(tmp_path)):
            (tmp_path / _format.SINGLE_FILE).write_bytes(b"")  # a file where a directory must be
        with pytest.raises(ValueError, match="out_dir must be a writable directory"):
            ckpt.write(bad, make_plan(), seed=7, progress=False)


def test_command_writes_the_built_in_spec_as_the_main_job_fills_it(tmp_path):
    from safetensors import safe_open

    from fastinit._cli import main, model

    out = tmp_path / "spec"
    argv = ["checkpoint", "--params", "3e6", "--layers", "2", "--dtype", "float32", "--seed", "4",
            "--max-shard-size", "4MB", "--out", str(out), "--quiet", "--verify", "full"]
    assert main(argv) == 0
    index = json.loads((out / _format.INDEX_FILE).read_text())
    params = model.spec(model.d_model_for(3e6, 2), 2)
    assert sorted(index["weight_map"]) == sorted(p.name for p in params)
    for p in params:
        want = model.initialize(p, np.empty(p.shape, np.float32), seed=4, layers=2)
        with safe_open(out / index["weight_map"][p.name], framework="numpy") as f:
            assert as_bytes(f.get_tensor(p.name)) == as_bytes(want), p.name
    assert main(argv[:-3] + ["--seed", "5"]) == 2  # the ledger holds seed 4
