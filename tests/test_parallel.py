"""The parallel driver: fork-safe, thread-safe, interruptible, and never a bit different.

The scenarios that can hang or abort a process (fork after threads, many
threads at once under each Numba threading layer, Ctrl-C) run in child
interpreters with a timeout, so a hang fails the test instead of the run.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import BACKENDS, as_bytes, require

import fastinit
from fastinit._engine import parallel

ROOT = Path(fastinit.__file__).parent.parent
TIMEOUT = 180  # seconds; a hang ends here, a passing run takes a few

# Every fill the children make, as source: (name, backend) -> filled buffer.
FILLS = textwrap.dedent("""\
    import sys, numpy as np, fastinit
    from fastinit._engine import parallel
    KINDS = {
        "uniform": lambda b, be, nt: fastinit.random_uniform_(b, seed=7, n_threads=nt,
                                                              backend=be),
        "normal": lambda b, be, nt: fastinit.random_normal_(b, seed=7, stream="w",
                                                            n_threads=nt, backend=be),
        "truncated": lambda b, be, nt: fastinit.truncated_normal_(b, seed=7, stream=3,
                                                                  n_threads=nt, backend=be),
    }
    BACKENDS = sys.argv[1].split(",")

    def fill(kind, backend, n_threads, n=(1 << 20) + 5):
        return KINDS[kind](np.empty(n, np.float32), backend, n_threads)

    def digest(n_threads):
        import hashlib
        h = hashlib.sha256()
        for backend in BACKENDS:
            for kind in KINDS:
                h.update(fill(kind, backend, n_threads).tobytes())
        return h.hexdigest()
    """)


def run_child(body, *args, env=None, timeout=TIMEOUT):
    code = FILLS + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code, ",".join(BACKENDS), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.split()


@pytest.fixture(scope="module", autouse=True)
def warm_numba_cache():
    # compile (or load) every kernel the children call, once, here: the
    # children then load the cache instead of each compiling for minutes
    for backend in BACKENDS:
        for fill in (fastinit.random_uniform_, fastinit.random_normal_,
                     fastinit.truncated_normal_):
            fill(np.empty(1 << 14, np.float32), seed=1, n_threads=2, backend=backend)


# --- fork ------------------------------------------------------------------------
def test_forked_pool_children_fill_multithreaded_with_the_parents_bits():
    out = run_child("""
        import multiprocessing

        def child(_):
            d = digest(2)
            return d, parallel.helper_threads()

        if __name__ == "__main__":
            parent = digest(2)  # threads exist in the parent before the fork
            assert parallel.helper_threads() >= 1
            with multiprocessing.get_context("fork").Pool(2) as pool:
                results = pool.map(child, range(4), chunksize=1)
            for d, helpers in results:
                assert d == parent, (d, parent)
                assert helpers >= 1  # the child's own fills ran on two threads
            assert parent == digest(1)
            print("ok", len(results))
        """)
    assert out == ["ok", "4"]


def test_pool_is_rebuilt_in_a_forked_child():
    fastinit.random_uniform_(np.empty(1 << 18, np.float32), seed=0, n_threads=2)
    assert parallel.helper_threads() >= 1
    read, write = os.pipe()
    with warnings.catch_warnings():  # Python >= 3.12 warns when a threaded process forks,
        warnings.simplefilter("ignore", DeprecationWarning)
        # and so does JAX's own fork hook when another test imported it in this process
        warnings.simplefilter("ignore", RuntimeWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            before = parallel.helper_threads()
            fastinit.random_uniform_(np.empty(1 << 18, np.float32), seed=0, n_threads=2)
            os.write(write, f"{before} {parallel.helper_threads()}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 60
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung in a multi-threaded fill")
    report = os.read(read, 100).decode().split()
    os.close(read)
    assert os.waitstatus_to_exitcode(done[1]) == 0
    assert report[0] == "0"  # no helper thread survives fork ...
    assert int(report[1]) >= 1  # ... and the child starts its own


# --- many Python threads at once ----------------------------------------------
EIGHT_THREADS = """
    import threading, numba, os

    @numba.njit(parallel=True)  # load the threading layer, as other Numba code would
    def touch(a):
        for i in numba.prange(a.size):
            a[i] = i
    touch(np.empty(64))

    cases = [(kind, backend) for kind in KINDS for backend in BACKENDS]
    want = {c: KINDS[c[0]](np.empty((1 << 19) + 3, np.float32), c[1], 1) for c in cases}
    errors = []

    def work(i):
        try:
            for _ in range(3):
                for c in cases[i % len(cases):] + cases[:i % len(cases)]:
                    got = KINDS[c[0]](np.empty((1 << 19) + 3, np.float32), c[1], 2)
                    if got.tobytes() != want[c].tobytes():
                        errors.append(c)
        except BaseException as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    print("ok", numba.threading_layer())
"""


# workqueue is built into every Numba; omp needs an OpenMP runtime (libgomp). Numba's
# tbb layer is left out: the tbb wheel puts libtbb where a virtual environment's
# loader does not look, so a pip-installed checkout cannot load it.
LAYERS = {"workqueue": "numba.np.ufunc.workqueue", "omp": "numba.np.ufunc.omppool"}


@pytest.mark.parametrize("layer", LAYERS)
def test_eight_python_threads_fill_at_once_under_numba_threading_layers(layer):
    require(LAYERS[layer])
    out = run_child(EIGHT_THREADS, env={"NUMBA_THREADING_LAYER": layer})
    assert out == ["ok", layer]


def test_threads_in_this_process_match_sequential_fills():
    # the same in-process, with no layer forced: a quick check that runs anywhere
    want = fastinit.random_normal_(np.empty(300_001, np.float32), seed=5, n_threads=1)
    results = [None] * 8

    def work(i):
        results[i] = fastinit.random_normal_(np.empty(300_001, np.float32), seed=5,
                                             n_threads=3)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(as_bytes(r) == as_bytes(want) for r in results)


# --- Ctrl-C ---------------------------------------------------------------------
SIGINT_CHILD = """
    import signal, time
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    backend, dtype = sys.argv[2], np.dtype(sys.argv[3])
    small = fill("truncated", backend, 2)
    big = np.empty((1 << 32) // dtype.itemsize, dtype)  # 4 GiB
    print("filling", flush=True)
    try:
        fastinit.truncated_normal_(big, seed=1, lower=-1.0, upper=4.5, n_threads=2,
                                   backend=backend)
        print("completed", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    del big
    again = fill("truncated", backend, 2)
    print("ok" if again.tobytes() == small.tobytes() else "different", flush=True)
"""


@pytest.mark.parametrize("dtype", ["float32", "float64"])  # float64: Numba's slowest path
def test_ctrl_c_stops_a_4gib_fill_within_a_second(backend, dtype):
    code = FILLS + textwrap.dedent(SIGINT_CHILD)
    with subprocess.Popen([sys.executable, "-c", code, ",".join(BACKENDS), backend, dtype],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT))) as proc:
        watchdog = threading.Timer(TIMEOUT, proc.kill)
        watchdog.start()
        try:
            started = proc.stdout.readline().strip()
            if started == "filling":
                time.sleep(0.3)  # well inside the fill: 4 GiB take seconds
                sent = time.monotonic()
                os.kill(proc.pid, signal.SIGINT)
                first = proc.stdout.readline().strip()
                latency = time.monotonic() - sent
            rest = proc.stdout.read().split()
            errors = proc.stderr.read()
        finally:
            watchdog.cancel()
    assert started == "filling", errors[-3000:]
    assert proc.returncode == 0, errors[-3000:]
    assert first == "interrupted"
    assert latency < 1.0
    assert rest == ["ok"]  # the next fill in the same process is right


# --- the plan ------------------------------------------------------------------
@pytest.mark.parametrize("n_threads", [1, 2, 7])
def test_plan_counts_every_work_item_and_bounds_claims(n_threads):
    item = parallel.ITEM_ELEMENTS
    row_lens = [1, 3, item - 1, item, item + 1, 5 * item + 7, 1 << 22]
    sizes = [r * rows for r, rows in zip(row_lens, [9, 1000, 4, 3, 2, 2, 1], strict=True)]
    plans = parallel.plan(sizes, row_lens, n_threads)
    assert len(plans) == len(sizes)
    for (n_items, grain, claim_elements), size, row_len in zip(plans, sizes, row_lens,
                                                              strict=True):
        assert n_items == size // row_len * -(-row_len // item)
        full = min(row_len, item)  # elements of a full item
        # a claim holds at most GRAIN_ELEMENTS elements, or a single item
        assert grain >= 1
        assert grain * full <= parallel.GRAIN_ELEMENTS or grain == 1
        assert claim_elements == grain * full
    # enough claims that every thread gets work
    claims = sum(-(-n_items // grain) for n_items, grain, _ in plans)
    assert claims >= min(n_threads, sum(-(-s // item) for s in sizes))


def test_a_stopped_job_writes_nothing_more(backend):
    # _stop moves every counter to its end: a kernel entered afterwards claims
    # nothing, which is how helpers leave a fill that Ctrl-C or an error ended
    from fastinit._engine import backends

    out = np.zeros(1 << 18, np.float32)
    kernel = backends.kernel(backend, "fill_uniform")
    args = (out, 1, 2, 3, 4, 0, out.size, 0, 1, 1.0, 1.0, 1.0, 1.5, 0)  # values in [1, 1.5]
    job = parallel._Job(kernel, [args], parallel.plan([out.size], [out.size], 2))
    job._stop()
    (n_items, grain, _), = parallel.plan([out.size], [out.size], 2)
    kernel(*args, job.claims[0:1], n_items, grain, n_items)
    assert not out.any()
    job.claims[0] = 0
    kernel(*args, job.claims[0:1], n_items, grain, n_items)
    assert out.all()


@pytest.mark.parametrize("seconds_per_element", [1e-6, 1e-10])
def test_the_calling_thread_returns_to_python_about_every_call_seconds(monkeypatch,
                                                                        seconds_per_element):
    # A fake kernel on a fake clock: each claim of `grain` one-element items
    # costs grain * seconds_per_element. A kernel never timed gets
    # FIRST_QUOTA_ELEMENTS; afterwards each call lasts about CALL_SECONDS (at
    # least one claim), whatever the speed, so Ctrl-C never waits much longer.
    now = [0.0]
    monkeypatch.setattr(parallel, "_clock", lambda: now[0])
    monkeypatch.setattr(parallel, "_seconds_per_element", {})
    calls = []

    def kernel(out, claims, t1, grain, turns):
        start = now[0]
        for _ in range(turns):
            t0 = int(claims[0])
            claims[0] += grain  # one thread: no atomic needed
            if t0 >= t1:
                break
            now[0] += (min(t0 + grain, t1) - t0) * seconds_per_element
        calls.append((turns, now[0] - start))

    size = 1 << 26
    out = np.empty(size, np.float32)
    for _ in range(2):  # the second fill starts from the speed the first one saw
        parallel.run(kernel, [(out,)], [1], [size], 1)
    ((_, grain, claim_elements),) = parallel.plan([size], [1], 1)
    assert calls[0][0] == parallel.FIRST_QUOTA_ELEMENTS // claim_elements
    one_claim = grain * seconds_per_element
    assert all(spent <= max(parallel.CALL_SECONDS, one_claim) * 1.01 for _, spent in calls[1:])
    if seconds_per_element == 1e-10:  # fast: after the first call, one call per fill
        assert len(calls) == 3
