"""The one place threads are started and joined, for both backends.

A fill is a list of runs (``_streams.Run``); each run is cut into the fixed
work items of the contract (at most ``4 * CHUNK_BLOCKS`` elements of one
row), and consecutive items are grouped into tasks. The kernels are serial
and release the GIL; a task is one kernel call on a range of items. Tasks
are handed out one at a time (dynamic scheduling) to the calling thread and
to at most ``n_threads - 1`` helper threads of a small pool shared by every
fill of the process. How tasks are cut or who runs them never changes a
value: every item's bytes depend only on its global indices.

Why Python threads rather than OpenMP or Numba's parallel loops: a forked
child (``multiprocessing``'s default on Linux, data loaders) inherits no
threads, and GNU OpenMP and Numba's workqueue layer either hang or abort
there; several Python threads filling at once are just more tasks here. The
pool is rebuilt in a forked child (``os.register_at_fork``). The calling
thread runs tasks itself and checks for signals between them, so Ctrl-C
stops a fill within one task and the other threads stop at their next one.
"""

import os
import queue
import threading

from . import _constants as C

ITEM_ELEMENTS = 4 * C.CHUNK_BLOCKS
# Elements per task: 8 MiB of float32, 5-20 ms at the 0.1-0.4 Gsamples/s per
# thread of the slowest vectorized kernels (0.7 s on the far-tail path, at 3
# Msamples/s), which bounds how long Ctrl-C waits. Each task starts a new region
# of memory where the stores' stream has to ramp up again: at 2**28 float32 on
# 2 threads, tasks of 2**19 elements ran 3-12% slower than tasks of 2**21 to
# 2**23 (one process, alternating, repeated). A small fill is cut finer so that every
# thread gets work.
TASK_ELEMENTS = 1 << 21
TASKS_PER_THREAD = 4


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
    """The tasks of one fill, and who is running them."""

    def __init__(self, kernel, tasks):
        self.kernel = kernel
        self.tasks = tasks  # (args, t0, t1): kernel(*args, t0, t1)
        self.next = 0
        self.helping = 0  # tasks running on helper threads
        self.stopped = False
        self.error = None
        self.cond = threading.Condition(threading.Lock())

    def _claim(self):
        with self.cond:
            if self.stopped or self.next == len(self.tasks):
                return None
            self.next += 1
            return self.tasks[self.next - 1]

    def help(self):
        """Helper thread: run tasks until none is left (the job may be over already)."""
        while True:
            with self.cond:
                if self.stopped or self.next == len(self.tasks):
                    return
                args, t0, t1 = self.tasks[self.next]
                self.next += 1
                self.helping += 1
            try:
                self.kernel(*args, t0, t1)
            except BaseException as exc:  # handed to the calling thread
                with self.cond:
                    self.error = self.error or exc
                    self.stopped = True
            finally:
                with self.cond:
                    self.helping -= 1
                    self.cond.notify_all()

    def run(self):
        """Calling thread: run tasks, then wait for the helpers' last ones."""
        try:
            while (task := self._claim()) is not None:
                args, t0, t1 = task
                self.kernel(*args, t0, t1)
        finally:
            # also on KeyboardInterrupt, raised here between two tasks: no
            # task starts after this, and no helper writes once we return
            with self.cond:
                self.stopped = True
                while self.helping:
                    self.cond.wait()
        if self.error is not None:
            raise self.error


def plan(sizes, row_lens, n_threads):
    """Tasks ``(run index, t0, t1)`` covering every work item of every run.

    ``sizes`` are the runs' sizes in elements, ``row_lens`` their row lengths.
    """
    per_row = [-(-row_len // ITEM_ELEMENTS) for row_len in row_lens]
    items = [size // row_len * p for size, row_len, p in zip(sizes, row_lens, per_row,
                                                               strict=True)]
    total = sum(sizes)
    target = max(1, min(TASK_ELEMENTS, -(-total // (TASKS_PER_THREAD * n_threads))))
    tasks = []
    for r, (n_items, row_len) in enumerate(zip(items, row_lens, strict=True)):
        group = max(1, target // min(row_len, ITEM_ELEMENTS))
        tasks += [(r, t0, min(t0 + group, n_items)) for t0 in range(0, n_items, group)]
    return tasks


def run(kernel, arglists, row_lens, sizes, n_threads):
    """``kernel(*arglists[r], t0, t1)`` over every work item of every run.

    Returns when every item is written; raises what a kernel or a signal raised.
    """
    tasks = [(arglists[r], t0, t1) for r, t0, t1 in plan(sizes, row_lens, n_threads)]
    job = _Job(kernel, tasks)
    helpers = min(n_threads, len(tasks)) - 1
    if helpers > 0:
        _ensure_helpers(helpers)
        for _ in range(helpers):
            _jobs.put(job)
    job.run()


def helper_threads():
    """Helper threads started in this process so far (``show_config``)."""
    return len(_helpers)
