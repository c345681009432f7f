"""A fill allocates nothing proportional to the buffer."""

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, resource, sys, tracemalloc
    import numpy as np
    import fastinit
    backend = sys.argv[1]
    calls = [
        lambda o: fastinit.he_uniform_(o, seed=1, backend=backend),
        lambda o: fastinit.random_normal_(o, seed=1, backend=backend),
        lambda o: fastinit.he_normal_(o, seed=1, backend=backend),
        lambda o: fastinit.truncated_normal_(o, seed=1, lower=-1, upper=5, backend=backend),
    ]
    for c in calls:  # JIT / cache load and thread pools start outside the measurement
        c(np.empty((64, 64), np.float32))
    buf = np.empty((2**13, 2**13), np.float32)  # 256 MiB
    buf.fill(0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    for c in calls:
        c(buf)
    _, peak = tracemalloc.get_traced_memory()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_growth_kib": after - before, "traced_peak": peak}))
""")


def test_large_fill_does_not_grow_peak_memory(backend):
    res = subprocess.run([sys.executable, "-c", SCRIPT, backend], capture_output=True, text=True,
                         check=True, timeout=600)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    # a 256 MiB buffer: any temporary proportional to it would cost >= 64 MiB
    assert got["rss_growth_kib"] < 8 * 1024, got
    assert got["traced_peak"] < 1 * 2**20, got
