"""Workloads and peers shared by ``bench/`` and ``python -m fastinit bench``.

A *fill* is one peer doing one workload once on a preallocated 1-D buffer:
fastinit (each backend), NumPy's ``Generator(PCG64)`` with ``out=``, the
multithreaded recipe of NumPy's documentation, ``scipy.stats.truncnorm``,
PyTorch's ``torch.nn.init`` on ``torch.from_numpy(buf)``, and ``buf.fill``
(the memory-write bound). A peer that cannot write into the buffer allocates
a temporary and copies; its ``allocates`` says what.

Every workload is one layer's weight with ``fan_in = FAN_IN``: He uniform,
``random_normal_(stddev=NORMAL_STD)`` and He truncated normal (±2σ).
"""

import concurrent.futures
import importlib.metadata
import importlib.util
import math
import os
import platform
import tracemalloc
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..._engine import backends, formats
from ..._engine.constants import TRUNC_NORMAL_STD_CORRECTION
from ..._version import __version__
from ..baseline import numpy_normal, numpy_uniform

UNIFORM, NORMAL, TRUNCATED, WRITE = "uniform", "normal", "truncated", "write"
WORKLOADS = (UNIFORM, NORMAL, TRUNCATED)
DTYPES = {"float32": np.dtype(np.float32), "bfloat16": formats.BFLOAT16,
          "float64": np.dtype(np.float64)}
_WORKLOAD_DTYPES = {UNIFORM: tuple(DTYPES), NORMAL: tuple(DTYPES),
                    TRUNCATED: ("float32", "bfloat16"), WRITE: tuple(DTYPES)}

FASTINIT, NUMPY, NUMPY_MT, SCIPY, TORCH, FILL = (
    "fastinit", "numpy", "numpy-mt", "scipy", "torch", "fill")
PEERS = (FASTINIT, NUMPY, NUMPY_MT, SCIPY, TORCH)  # FILL, the bound, is always measured
BACKENDS = ("cython", "numba")

FAN_IN = 1024
UNIFORM_BOUND = math.sqrt(6.0 / FAN_IN)  # he_uniform_, torch kaiming_uniform_(relu)
NORMAL_STD = 0.02
# he_normal_'s std before truncation
TRUNC_SIGMA = math.sqrt(2.0 / FAN_IN) / TRUNC_NORMAL_STD_CORRECTION
SCIPY_MAX = 2**20  # scipy.stats.truncnorm runs on at most this many elements
WARM_SIZE = 4 * FAN_IN
_EXPECTED_STD = {UNIFORM: UNIFORM_BOUND / math.sqrt(3.0), NORMAL: NORMAL_STD,
                 TRUNCATED: math.sqrt(2.0 / FAN_IN)}
_LIMIT = {UNIFORM: UNIFORM_BOUND, TRUNCATED: 2.0 * TRUNC_SIGMA}
_TORCH_FN = {UNIFORM: "kaiming_uniform_", NORMAL: "normal_", TRUNCATED: "trunc_normal_"}
TORCH_MISSING = "torch is not installed (pip install torch adds the PyTorch rows)"


class Row(NamedTuple):
    """One line of a comparison: who fills, with how many threads."""

    peer: str
    label: str
    threads: int
    backend: str | None = None


class Fill(NamedTuple):
    """A ready-to-time fill: ``setup()``, ``run()`` any number of times, ``teardown()``."""

    run: Callable[[], object]
    target: np.ndarray  # the part of the buffer one run writes
    allocates: str  # "" when it writes in place, else what it allocates and copies
    setup: Callable[[], None]
    teardown: Callable[[], None]


def _nothing():
    return None


def dtypes_for(workload):
    return _WORKLOAD_DTYPES[workload]


def plan(workload, threads, *, backend_names=BACKENDS, peers=PEERS):
    """The rows of one workload: each peer at 1 thread and at `threads` where it can."""
    counts = sorted({1, threads})
    if workload == WRITE:
        return [Row(FILL, "buf.fill(0) (write bound)", t) for t in counts]
    rows = []
    if FASTINIT in peers:
        rows += [Row(FASTINIT, f"fastinit/{b}", t, b) for b in backend_names for t in counts]
    if NUMPY in peers:
        label = "numpy resample loop" if workload == TRUNCATED else "numpy Generator(PCG64)"
        rows.append(Row(NUMPY, label, 1))
    if NUMPY_MT in peers and threads > 1:
        rows.append(Row(NUMPY_MT, "numpy docs threaded recipe", threads))
    if SCIPY in peers and workload == TRUNCATED:
        rows.append(Row(SCIPY, "scipy.stats.truncnorm", 1))
    if TORCH in peers:
        rows += [Row(TORCH, f"torch.nn.init.{_TORCH_FN[workload]}", t) for t in counts]
    return rows


def unavailable(row):
    """Why `row` cannot run here, or None."""
    if row.peer == FASTINIT and row.backend == "cython" and not backends.cython_available():
        return "the fastinit Cython extension is not built"
    if row.peer == TORCH and importlib.util.find_spec("torch") is None:
        return TORCH_MISSING
    if row.peer == SCIPY and importlib.util.find_spec("scipy") is None:
        return "scipy is not installed"
    return None


def make_fill(workload, row, buf, seed=0):
    """The fill of `row` doing `workload` on the 1-D contiguous `buf`.

    ``buf.size`` must be a multiple of FAN_IN.
    """
    if row.peer == FILL:
        return _write_fill(buf, row.threads)
    if row.peer == FASTINIT:
        return Fill(_fastinit_run(workload, buf, seed, row.threads, row.backend), buf, "",
                    _nothing, _nothing)
    if row.peer == NUMPY:
        rng = np.random.Generator(np.random.PCG64(seed))
        return Fill(_numpy_run(workload, buf, rng), buf, _numpy_allocates(workload, buf),
                    _nothing, _nothing)
    if row.peer == NUMPY_MT:
        return _numpy_mt_fill(workload, buf, seed, row.threads)
    if row.peer == SCIPY:
        return _scipy_fill(buf, seed)
    if row.peer == TORCH:
        return _torch_fill(workload, buf, seed, row.threads)
    raise ValueError(f"peer must be one of {PEERS + (FILL,)}, got {row.peer!r}")


def warm_up(workload, row, buf, seed):
    """One untimed run on a slice: numba JIT or cache load, thread pools, torch's first call."""
    warm = make_fill(workload, row, buf[:WARM_SIZE], seed)
    warm.setup()
    try:
        warm.run()
    finally:
        warm.teardown()


def _fastinit_run(workload, buf, seed, threads, backend):
    import fastinit

    kw = {"seed": seed, "n_threads": threads, "backend": backend}
    if workload == NORMAL:
        return lambda: fastinit.random_normal_(buf, stddev=NORMAL_STD, **kw)
    w = buf.reshape(FAN_IN, -1)  # Keras layout (in, out): fan_in = FAN_IN
    if workload == UNIFORM:
        return lambda: fastinit.he_uniform_(w, **kw)
    return lambda: fastinit.he_normal_(w, **kw)


def _draw(workload, out, rng):
    """What a NumPy user writes: draw with ``out=``, then the scaling passes."""
    if workload == UNIFORM:
        numpy_uniform(out, rng, UNIFORM_BOUND)
    elif workload == NORMAL:
        numpy_normal(out, rng, NORMAL_STD)
    else:
        numpy_normal(out, rng, TRUNC_SIGMA, truncated=True)


def _numpy_native(buf):
    return buf.dtype in (np.float32, np.float64)


def _numpy_allocates(workload, buf):
    if not _numpy_native(buf):
        return f"float32 temporary, cast to {buf.dtype}"
    return "mask and indices" if workload == TRUNCATED else ""


def _numpy_run(workload, buf, rng):
    if _numpy_native(buf):
        return lambda: _draw(workload, buf, rng)

    def via_float32():  # Generator has no bfloat16 output
        tmp = np.empty(buf.size, np.float32)
        _draw(workload, tmp, rng)
        buf[...] = tmp

    return via_float32


def _chunks(buf, threads):
    step = -(-buf.size // threads)
    return [buf[i * step:(i + 1) * step] for i in range(threads)]


def _numpy_mt_fill(workload, buf, seed, threads):
    """NumPy's documented recipe: SeedSequence children, a Generator per thread, a pool."""
    gens = [np.random.Generator(np.random.PCG64(s))
            for s in np.random.SeedSequence(seed).spawn(threads)]
    runs = [_numpy_run(workload, c, g) for c, g in zip(_chunks(buf, threads), gens, strict=True)]
    pool = concurrent.futures.ThreadPoolExecutor(threads)

    def run():
        for future in [pool.submit(r) for r in runs]:
            future.result()

    return Fill(run, buf, _numpy_allocates(workload, buf), _nothing, pool.shutdown)


def _scipy_fill(buf, seed):
    from scipy.stats import truncnorm

    target = buf[:min(buf.size, SCIPY_MAX)]
    rng = np.random.Generator(np.random.PCG64(seed))

    def run():
        target[...] = truncnorm.rvs(-2.0, 2.0, scale=TRUNC_SIGMA, size=target.size,
                                    random_state=rng)

    return Fill(run, target, "float64 result, copied", _nothing, _nothing)


def _torch_fill(workload, buf, seed, threads):
    import torch

    if buf.dtype == formats.BFLOAT16:  # torch.from_numpy knows no ml_dtypes.bfloat16
        t = torch.from_numpy(buf.view(np.uint16)).view(torch.bfloat16)
    else:
        t = torch.from_numpy(buf)
    t = t.view(-1, FAN_IN)  # torch layout (out, in): fan_in = FAN_IN
    init = torch.nn.init
    calls = {
        UNIFORM: lambda: init.kaiming_uniform_(t, nonlinearity="relu"),
        NORMAL: lambda: init.normal_(t, 0.0, NORMAL_STD),
        TRUNCATED: lambda: init.trunc_normal_(t, 0.0, TRUNC_SIGMA, -2.0 * TRUNC_SIGMA,
                                              2.0 * TRUNC_SIGMA),
    }
    previous = torch.get_num_threads()

    def setup():
        torch.manual_seed(seed)
        torch.set_num_threads(threads)

    allocates = "temporaries (erfinv path)" if workload == TRUNCATED else ""
    return Fill(calls[workload], buf, allocates, setup,
                lambda: torch.set_num_threads(previous))


def _write_fill(buf, threads):
    mem = buf.view(np.uint16) if buf.itemsize == 2 else buf
    if threads == 1:
        return Fill(lambda: mem.fill(0), buf, "", _nothing, _nothing)
    parts = _chunks(mem, threads)
    pool = concurrent.futures.ThreadPoolExecutor(threads)

    def run():  # ndarray.fill releases the GIL
        for future in [pool.submit(p.fill, 0) for p in parts]:
            future.result()

    return Fill(run, buf, "", _nothing, pool.shutdown)


def sample(a, limit=2**20):
    """At most about `limit` evenly strided elements of `a`, as float64."""
    flat = a.reshape(-1)
    return flat[::max(1, flat.size // limit)].astype(np.float64)


def check(workload, target):
    """None when a strided sample of `target` looks right, else what is wrong.

    Mean and std within 6 standard errors of the target (false alarm < 1e-8
    per check), the bounds, and no NaN left from the poisoning before the runs.
    """
    x = sample(target)
    if not np.isfinite(x).all():
        return "non-finite values: the buffer was not fully written"
    if workload == WRITE:
        return None if not x.any() else "buf.fill(0) left non-zero values"
    std, m = _EXPECTED_STD[workload], x.size
    eps = float(np.finfo(target.dtype).eps) if target.dtype != formats.BFLOAT16 else 2.0**-7
    if abs(x.mean()) > 6 * std / math.sqrt(m) + eps * std:
        return f"mean {x.mean():.3g} is not 0 (std {std:.3g}, {m} samples)"
    if abs(x.std() / std - 1) > 6 / math.sqrt(m) + 2 * eps:
        return f"std {x.std():.4g} differs from {std:.4g} ({m} samples)"
    limit = _LIMIT.get(workload)
    if limit is not None and np.abs(x).max() > limit * (1 + eps):
        return f"max |x| {np.abs(x).max():.4g} exceeds the bound {limit:.4g}"
    return None


def same_bits(a, b, chunk=2**24):
    """True when `a` and `b` hold the same bytes (compared by chunks, no big temporary)."""
    a, b = a.reshape(-1).view(np.uint8), b.reshape(-1).view(np.uint8)
    return a.size == b.size and all(
        np.array_equal(a[i:i + chunk], b[i:i + chunk]) for i in range(0, a.size, chunk))


class Peak(NamedTuple):
    """Extra memory of one run, in bytes."""

    traced: int  # tracemalloc peak: allocations made through Python and NumPy
    rss: int | None  # rise of the process's peak RSS; None where it cannot be reset


def _status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _reset_peak_rss():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        _status_kib("VmHWM")
    except (OSError, KeyError):
        return False
    return True


def measure_peak(run):
    """Run `run` once and return its :class:`Peak` extra memory."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        rss_ok = _reset_peak_rss()
        rss0 = _status_kib("VmRSS") if rss_ok else 0
        run()
        rss = (_status_kib("VmHWM") - rss0) * 1024 if rss_ok else None
        traced = tracemalloc.get_traced_memory()[1] - base
    finally:
        if started:
            tracemalloc.stop()
    return Peak(max(0, traced), None if rss is None else max(0, rss))


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info():
    """CPU, cores and the versions that matter to the numbers, as a flat dict."""
    info = {"cpu": cpu_model(), "usable cores": backends.usable_cores(),
            "logical cpus": os.cpu_count(), "python": platform.python_version(),
            "fastinit": __version__, "numpy": np.__version__}
    for dist in ("numba", "torch", "scipy"):
        info[dist] = _version(dist)
    info["cython kernels"] = "not built"
    if backends.cython_available():
        from ..._engine import _cython

        info["cython kernels"] = _cython.kernel_variant
    blas_env = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    info["openblas env"] = ", ".join(f"{k}={os.environ[k]}" for k in blas_env) or "unset"
    return info
