"""The one place threads are started and joined, for both backends.

A fill is a list of runs (``_streams.Run``); each run is cut into the fixed
work items of the contract (at most ``4 * CHUNK_BLOCKS`` elements of one
row). The kernels are serial and release the GIL. The calling thread and at
most ``n_threads - 1`` helper threads of a small pool shared by every fill
of the process enter the kernel of the same run, and inside it each claims
``grain`` items at a time from one counter shared by all (an atomic add), so
the work is spread dynamically without a return to Python per piece. Who
writes an item never changes a value: every item's bytes depend only on its
global indices.

Why Python threads rather than OpenMP or Numba's parallel loops: a forked
child (``multiprocessing``'s default on Linux, data loaders) inherits no
threads, and GNU OpenMP and Numba's workqueue layer either hang or abort
there; several Python threads filling at once are just more jobs here. The
pool is rebuilt in a forked child (``os.register_at_fork``). The calling
thread leaves the kernel after a quota of claims, about CALL_SECONDS of work,
to let Python see signals, so Ctrl-C stops a fill within about that long;
the helpers stop at their next claim, because stopping moves every counter to
its end.
"""

import os
import queue
import threading
import time

import numpy as np

from . import constants

ITEM_ELEMENTS = 4 * constants.CHUNK_BLOCKS
# Elements per claim: 256 KiB of float32, 0.1-0.7 ms at the 0.4-2 Gsamples/s
# per thread of the vectorized kernels. Small enough that the threads finish
# within a claim of each other, large enough that the one atomic add per claim
# is noise. A small fill is cut finer so that every thread gets work.
GRAIN_ELEMENTS = 1 << 16
CLAIMS_PER_THREAD = 4
# Seconds of work the calling thread does per kernel call before Python looks
# at signals again, which bounds how long Ctrl-C waits. Kernels run from 3
# Msamples/s (the far-tail path) to 2 Gsamples/s, so the quota of claims comes
# from the speed each (kernel, dtype) showed in its last full call; one not
# timed yet gets FIRST_QUOTA_ELEMENTS, 0.7 s on the slowest path. Each return
# costs about 0.1 ms (a Python call with the caches the fill has flushed): with
# 2**21 elements per call the 2-thread uniform fill lost 5%.
CALL_SECONDS = 0.05
FIRST_QUOTA_ELEMENTS = 1 << 21
_seconds_per_element = {}  # (kernel, dtype of the memory) -> s/element, last full call
_clock = time.perf_counter  # tests substitute a fake clock


def quota(key, claim_elements):
    """Claims for the calling thread's next call of kernel ``key``: about CALL_SECONDS."""
    rate = _seconds_per_element.get(key)
    elements = FIRST_QUOTA_ELEMENTS if rate is None else CALL_SECONDS / max(rate, 1e-12)
    return max(1, int(elements // claim_elements))


def _reset():
    """A fresh, empty pool: at import, and in a forked child (no thread survives fork)."""
    global _lock, _jobs, _helpers
    _lock = threading.Lock()
    _jobs = queue.SimpleQueue()
    _helpers = []


_reset()
if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_reset)


def _serve(jobs):
    while True:
        jobs.get().help()


def _ensure_helpers(n):
    with _lock:
        while len(_helpers) < n:
            thread = threading.Thread(target=_serve, args=(_jobs,), daemon=True,
                                      name=f"fastinit-{len(_helpers)}")
            thread.start()
            _helpers.append(thread)


class _Job:
    """The runs of one fill, their claim counters, and who is filling them."""

    def __init__(self, kernel, arglists, plans):
        self.kernel = kernel
        # claims[r]: the first work item of run r that no thread has taken yet
        self.claims = np.zeros(len(plans), np.int64)
        self.runs = [(args, self.claims[r:r + 1], *plan)
                     for r, (args, plan) in enumerate(zip(arglists, plans, strict=True))]
        self.helping = 0  # helper threads inside this job
        self.stopped = False
        self.error = None
        self.cond = threading.Condition(threading.Lock())

    def _stop(self):
        """No claim succeeds after this: every kernel returns at its next one."""
        self.stopped = True
        for _, claims, n_items, _, _ in self.runs:
            claims[0] = n_items  # an aligned 8-byte store: atomic against the adds

    def help(self):
        """Helper thread: fill until nothing is left (the job may be over already)."""
        with self.cond:
            if self.stopped:
                return
            self.helping += 1
        try:
            for args, claims, n_items, grain, _ in self.runs:
                if claims[0] < n_items:
                    self.kernel(*args, claims, n_items, grain, n_items)
        except BaseException as exc:  # handed to the calling thread
            with self.cond:
                self.error = self.error or exc
                self._stop()
        finally:
            with self.cond:
                self.helping -= 1
                self.cond.notify_all()

    def run(self):
        """Calling thread: fill a quota at a time, then wait for the helpers."""
        try:
            for args, claims, n_items, grain, claim_elements in self.runs:
                key = (self.kernel, args[0].dtype)
                while claims[0] < n_items:  # back in Python: Ctrl-C is raised here
                    turns = quota(key, claim_elements)
                    start = _clock()
                    self.kernel(*args, claims, n_items, grain, turns)
                    if claims[0] < n_items:  # it made all its claims: a speed to keep
                        _seconds_per_element[key] = (_clock() - start) / (turns * claim_elements)
        finally:
            # also on KeyboardInterrupt: no claim succeeds after this, and no
            # helper writes once we return
            with self.cond:
                self._stop()
                while self.helping:
                    self.cond.wait()
        if self.error is not None:
            raise self.error


def plan(sizes, row_lens, n_threads):
    """Per run: ``(items, grain, claim_elements)``.

    ``items`` work items cover the run, claimed ``grain`` at a time, about
    ``claim_elements`` elements per claim. ``sizes`` are the runs' sizes in
    elements, ``row_lens`` their row lengths.
    """
    total = sum(sizes)
    target = max(1, min(GRAIN_ELEMENTS, -(-total // (CLAIMS_PER_THREAD * n_threads))))
    plans = []
    for size, row_len in zip(sizes, row_lens, strict=True):
        item = min(row_len, ITEM_ELEMENTS)  # elements of a full item
        n_items = size // row_len * -(-row_len // ITEM_ELEMENTS)
        grain = max(1, target // item)
        plans.append((n_items, grain, grain * item))
    return plans


def run(kernel, arglists, row_lens, sizes, n_threads):
    """``kernel(*arglists[r], claims, items, grain, quota)`` over every work item of every run.

    Returns when every item is written; raises what a kernel or a signal raised.
    """
    plans = plan(sizes, row_lens, n_threads)
    job = _Job(kernel, arglists, plans)
    claims = sum(-(-n_items // grain) for n_items, grain, _ in plans)
    helpers = min(n_threads, claims) - 1
    if helpers > 0:
        _ensure_helpers(helpers)
        for _ in range(helpers):
            _jobs.put(job)
    job.run()


_small = threading.local()


def run_small(kernel, args, size):
    """``kernel(*args, ...)`` over one row of ``size <= GRAIN_ELEMENTS`` elements, here.

    A fill of at most one claim (well under a millisecond) runs on the calling
    thread in one kernel call, without the pool, the job or the quota clock.
    """
    n_items = -(-size // ITEM_ELEMENTS)
    counter = getattr(_small, "counter", None)
    if counter is None:  # one claim counter per calling thread, reused: no allocation per fill
        counter = _small.counter = np.zeros(1, np.int64)
    counter[0] = 0
    kernel(*args, counter, n_items, n_items, 1)


def helper_threads():
    """Helper threads started in this process so far (``show_config``)."""
    return len(_helpers)
