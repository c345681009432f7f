"""fastinit against its peers: one benchmark group per workload x dtype x size.

``pytest bench/ --benchmark-only`` (add ``--bench-large`` for 2**28). Each
test times one peer filling a preallocated buffer; the group puts fastinit
(each backend, 1 thread and all threads), NumPy, NumPy's threaded recipe,
SciPy and torch.nn.init side by side, with ``buf.fill(0)`` as the ceiling in
the ``write`` group. ``extra_info`` holds bytes and samples, so GB/s and
Gsamples/s follow from the times.
"""

import numpy as np
import pytest

from fastinit._cli.bench import peers

SEED = 0


def _single_thread_copy(workload, row, like):
    ref = np.empty_like(like)
    peers.make_fill(workload, row._replace(threads=1), ref, SEED).run()
    return ref


def test_fill(benchmark, case, buffers, rounds):
    workload, dtype_name, size, row = case
    reason = peers.unavailable(row)
    if reason:
        pytest.skip(reason)
    buf = buffers.get(dtype_name, size)
    peers.warm_up(workload, row, buf, SEED)
    fill = peers.make_fill(workload, row, buf, SEED)
    benchmark.group = f"{workload} {dtype_name} 2**{size.bit_length() - 1}"
    benchmark.extra_info.update(
        bytes=fill.target.nbytes, samples=fill.target.size, dtype=dtype_name,
        peer=row.label, backend=row.backend or row.peer, n_threads=row.threads,
        allocates=fill.allocates)
    fill.setup()
    try:
        fill.target.fill(np.nan)  # poison: a peer that writes nothing fails the check
        n = rounds(size)
        benchmark.pedantic(fill.run, rounds=n, warmup_rounds=1 if n > 1 else 0, iterations=1)
    finally:
        fill.teardown()
    problem = peers.check(workload, fill.target)
    assert problem is None, problem
    if row.peer == peers.FASTINIT and row.threads > 1:
        ref = _single_thread_copy(workload, row, fill.target)
        assert peers.same_bits(ref, fill.target), f"{row.threads} threads differ from 1 thread"
