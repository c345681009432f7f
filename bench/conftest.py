"""Options, cases and the report header of the benchmark suite (``pytest bench/``).

Sizes are 2**20 (in cache) and 2**26 by default; ``--bench-large`` adds
2**28, ``--bench-sizes`` replaces them (CI smoke: ``--bench-sizes 12`` with
``--benchmark-disable``).
"""

import numpy as np
import pytest

from fastinit._cli.bench import peers
from fastinit._engine import backends

DEFAULT_SIZES = "20,26"
LARGE = 28
MIN_LOG2 = peers.FAN_IN.bit_length() - 1


def pytest_addoption(parser):
    group = parser.getgroup("fastinit bench")
    group.addoption("--bench-sizes", default=DEFAULT_SIZES, metavar="K[,K...]",
                    help=f"log2 of the buffer sizes (default {DEFAULT_SIZES}; at least "
                         f"{MIN_LOG2})")
    group.addoption("--bench-large", action="store_true", help=f"also 2**{LARGE}")
    group.addoption("--bench-rounds", type=int, default=None,
                    help="timed rounds per benchmark (default 10 up to 2**22 elements, else 3)")


def bench_sizes(config):
    try:
        logs = [int(k) for k in config.getoption("--bench-sizes").split(",")]
    except ValueError:
        logs = []
    if not logs or min(logs) < MIN_LOG2:
        raise pytest.UsageError(f"--bench-sizes must be comma-separated integers >= {MIN_LOG2}, "
                                f"got {config.getoption('--bench-sizes')!r}")
    if config.getoption("--bench-large"):
        logs.append(LARGE)
    return [2**k for k in sorted(set(logs))]


def pytest_configure(config):
    bench_sizes(config)  # a bad --bench-sizes is a usage error before collection


def _case_id(workload, dtype_name, size, row):
    who = f"{row.peer}-{row.backend}" if row.backend else row.peer
    return f"{workload}-{dtype_name}-2**{size.bit_length() - 1}-{who}-{row.threads}t"


def pytest_generate_tests(metafunc):
    """One case per size x workload x dtype x row, in that order (a group stays together)."""
    if "case" not in metafunc.fixturenames:
        return
    threads = backends.usable_cores()
    cases = [(w, d, size, row)
             for size in bench_sizes(metafunc.config)
             for d in peers.DTYPES
             for w in (peers.WRITE, *peers.WORKLOADS) if d in peers.dtypes_for(w)
             for row in peers.plan(w, threads)]
    metafunc.parametrize("case", cases, ids=[_case_id(*c) for c in cases])


def pytest_report_header(config):
    info = peers.machine_info()
    versions = ", ".join(f"{k} {info[k]}"
                         for k in ("numpy", "numba", "torch", "scipy", "fastinit"))
    return [f"cpu: {info['cpu']}, {info['usable cores']} usable cores "
            f"({info['logical cpus']} logical CPUs); cython kernels: "
            f"{info['cython kernels']}",
            f"versions: {versions}",
            f"bench sizes: {', '.join(f'2**{n.bit_length() - 1}' for n in bench_sizes(config))}; "
            f"OpenBLAS env: {info['openblas env']}"]


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """Add Gsamples/s and GB/s (from the median) to ``--benchmark-json`` output."""
    for bench in output_json["benchmarks"]:
        info, median = bench["extra_info"], bench["stats"]["median"]
        if median > 0 and "bytes" in info:
            info["gsamples_per_s_median"] = info["samples"] / median / 1e9
            info["gb_per_s_median"] = info["bytes"] / median / 1e9


class _Buffers:
    """One touched buffer at a time: the next size or dtype frees the previous one."""

    def __init__(self):
        self.key, self.buf = None, None

    def get(self, dtype_name, size):
        if self.key != (dtype_name, size):
            self.buf = None
            self.buf = np.empty(size, peers.DTYPES[dtype_name])
            self.buf.fill(0)  # fault the pages in, untimed
            self.key = (dtype_name, size)
        return self.buf


@pytest.fixture(scope="session")
def buffers():
    return _Buffers()


@pytest.fixture
def rounds(request):
    def for_size(size):
        asked = request.config.getoption("--bench-rounds")
        return asked if asked else (10 if size <= 2**22 else 3)

    return for_size
