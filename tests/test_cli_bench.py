"""``python -m fastinit bench`` on tiny buffers: it runs, prints, saves, checks.

No wall-time assertions: only that every number is there, positive and consistent.
"""

import contextlib
import io
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from conftest import require

from fastinit._cli import bench
from fastinit._cli.bench import peers
from fastinit._engine import backends

TINY = ["--size", "2**12", "--repeats", "1", "--quiet"]
FAST_PEERS = ["--peers", "fastinit", "numpy", "numpy-mt", "scipy"]
RESULT_KEYS = {
    "workload", "dtype", "size", "peer", "label", "backend", "threads", "samples", "bytes",
    "allocates", "seconds", "median_s", "best_s", "gsamples_per_s", "gb_per_s",
    "write_bound_gb_per_s", "fraction_of_bound", "ratio_to_numpy", "peak_extra_traced_bytes",
    "peak_extra_rss_bytes", "check", "bits_equal_first_fastinit",
}


@pytest.fixture(scope="module")
def float32_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "result.json"
    out = _capture(lambda: bench.main([*TINY, *FAST_PEERS, "--threads", "2",
                                            "--json", str(path)]))
    return out, json.loads(path.read_text())


def _capture(call):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = call()
    assert rc == 0, buf.getvalue()
    return buf.getvalue()


def test_bench_prints_header_tables_and_footer(float32_run):
    out, _ = float32_run
    assert "machine:" in out
    assert "versions: numpy" in out
    for workload in ("write |", "uniform |", "normal |", "truncated |"):
        assert workload in out
    for label in ("fastinit/numba", "numpy Generator(PCG64)", "numpy resample loop",
                  "numpy docs threaded recipe", "scipy.stats.truncnorm", "buf.fill(0)"):
        assert label in out
    assert "Gsamples/s" in out
    assert "x numpy 1t" in out
    assert "+MiB RSS" in out
    assert "tracemalloc" in out  # the footer says what the memory columns measure
    assert "summary (fastinit, float32):" in out
    # the text speaks of the product only
    for stale in ("target", "core issue", "Cython not installed", "machines"):
        assert stale not in out


def test_bench_json_has_every_key(float32_run):
    _, doc = float32_run
    assert {"command", "machine", "options", "results", "skipped", "ok"} <= set(doc)
    assert doc["ok"] is True
    assert doc["command"].startswith("python -m fastinit bench")
    machine = set(doc["machine"])
    assert {"cpu", "usable cores", "numpy", "numba", "cython kernels", "torch"} <= machine
    for r in doc["results"]:
        assert RESULT_KEYS <= set(r), RESULT_KEYS - set(r)


def test_bench_fastinit_rows_are_right(float32_run):
    _, doc = float32_run
    rows = [r for r in doc["results"] if r["peer"] == peers.FASTINIT]
    expected = {"numba"} | ({"cython"} if backends.cython_available() else set())
    assert {r["backend"] for r in rows} == expected
    assert {r["threads"] for r in rows} == {1, 2}
    for r in rows:
        assert r["check"] is None
        assert r["ratio_to_numpy"] > 0
        assert r["fraction_of_bound"] > 0
        assert r["gsamples_per_s"] > 0
        assert r["gb_per_s"] > 0
        assert r["gb_per_s"] == pytest.approx(r["gsamples_per_s"] * 4)
        assert r["allocates"] == ""
        assert r["peak_extra_traced_bytes"] < 2**20  # fills in place
    for workload in peers.WORKLOADS:
        first, *rest = [r for r in rows if r["workload"] == workload]
        assert first["bits_equal_first_fastinit"] is None
        assert rest
        assert all(r["bits_equal_first_fastinit"] is True for r in rest)


def test_bench_peer_rows_are_marked(float32_run):
    _, doc = float32_run
    by = {(r["workload"], r["label"], r["threads"]): r for r in doc["results"]}
    numpy1 = by[("uniform", "numpy Generator(PCG64)", 1)]
    assert numpy1["ratio_to_numpy"] == pytest.approx(1.0)
    assert numpy1["allocates"] == ""
    resample = by[("truncated", "numpy resample loop", 1)]
    assert resample["allocates"]
    assert resample["peak_extra_traced_bytes"] > 0
    scipy = by[("truncated", "scipy.stats.truncnorm", 1)]
    assert scipy["samples"] == min(2**12, peers.SCIPY_MAX)
    assert scipy["allocates"]
    bound = [r for r in doc["results"] if r["workload"] == "write"]
    assert {r["threads"] for r in bound} == {1, 2}
    assert all(r["write_bound_gb_per_s"] == max(b["best_gb_per_s"] for b in bound)
               for r in doc["results"])
    assert all(r["check"] is None for r in doc["results"])


def test_bench_other_dtypes_and_workload_choice(tmp_path):
    path = tmp_path / "r.json"
    _capture(lambda: bench.main([*TINY, "--dtype", "bfloat16", "float64", "--workload",
                                      "uniform", "--peers", "fastinit", "numpy", "--backend",
                                      "numba", "--json", str(path)]))
    results = json.loads(path.read_text())["results"]
    assert {(r["dtype"], r["workload"]) for r in results} == {
        ("bfloat16", "write"), ("bfloat16", "uniform"), ("float64", "write"),
        ("float64", "uniform")}
    numpy_bf16 = next(r for r in results if r["dtype"] == "bfloat16" and r["peer"] == "numpy")
    assert "temporary" in numpy_bf16["allocates"]
    assert all(r["check"] is None for r in results)


def test_bench_torch_rows(tmp_path):
    require("torch")
    path = tmp_path / "r.json"
    _capture(lambda: bench.main([*TINY, "--workload", "truncated", "--peers", "torch",
                                      "--json", str(path)]))
    rows = [r for r in json.loads(path.read_text())["results"] if r["peer"] == "torch"]
    assert {r["label"] for r in rows} == {"torch.nn.init.trunc_normal_"}
    assert all(r["check"] is None and r["allocates"] for r in rows)
    assert all(r["ratio_to_numpy"] is None for r in rows)  # no numpy row asked for


def test_bench_failed_check_exits_1(monkeypatch, capsys):
    monkeypatch.setattr(peers, "check", lambda workload, target: "wrong on purpose")
    rc = bench.main([*TINY, "--workload", "uniform", "--peers", "numpy"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "CHECK FAILED: wrong on purpose" in out
    assert "FAILED uniform" in out


@pytest.mark.parametrize("bad", [["--size", "1000"], ["--size", "2**x"], ["--repeats", "0"],
                                 ["--row-budget", "-1"], ["--dtype", "int8"]])
def test_bench_rejects_bad_options(bad, capsys):
    assert bench.main(bad) == 2
    assert "error:" in capsys.readouterr().err


def test_bench_help_returns_0(capsys):
    assert bench.main(["--help"]) == 0
    assert "--json" in capsys.readouterr().out


def test_parse_size_accepts_powers_and_integers():
    assert bench.parse_size("2**26") == 2**26
    assert bench.parse_size("2^20") == 2**20
    assert bench.parse_size("3072") == 3072


def test_check_catches_an_unwritten_buffer():
    buf = np.full(4096, np.nan, np.float32)
    assert "not fully written" in peers.check(peers.UNIFORM, buf)
    buf[:] = 0.5
    assert "mean" in peers.check(peers.UNIFORM, buf)


def test_python_m_fastinit_bench_dispatches(tmp_path):
    root = pathlib.Path(bench.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root),
                                                        os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "fastinit", "bench", *TINY, "--workload", "uniform", "--peers",
         "fastinit", "numpy", "--backend", "numba"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "fastinit/numba" in proc.stdout
    assert "done in" in proc.stdout
