"""Writing a checkpoint larger than the memory bound keeps the process within it."""

import json
import subprocess
import sys
import textwrap

from conftest import require

require("safetensors")

# Peak RssAnon/RssFile over the write, sampled every 0.5 ms by a thread (the
# fills release the GIL), above the baseline after a warm-up write.
SCRIPT = textwrap.dedent("""
    import json, os, sys, threading, time
    import fastinit
    from fastinit import checkpoint
    from fastinit.checkpoint._format import PlanRow

    def status():
        with open("/proc/self/status") as f:
            rows = dict(line.split(":", 1) for line in f)
        return {k: int(rows[k].split()[0]) for k in ("RssAnon", "RssFile")}

    def plan(n, rows):
        return [PlanRow(f"w{i}", (rows, 8192), fastinit.random_normal_,
                      {"seed": 0, "stream": f"w{i}"}, True) for i in range(n)]

    out = sys.argv[1]
    checkpoint.write(out + "/warm", plan(1, 64), seed=0, dtype="float32", progress=False)
    base = status()
    peak = dict(base)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for k, v in status().items():
                peak[k] = max(peak[k], v)
            time.sleep(0.0005)

    t = threading.Thread(target=sample)
    t.start()
    s = checkpoint.write(out + "/big", plan(3, 4096), seed=0, dtype="float32", progress=False)
    done.set()
    t.join()
    print(json.dumps({"bytes": s.total_bytes, "anon_kib": peak["RssAnon"] - base["RssAnon"],
                      "file_kib": peak["RssFile"] - base["RssFile"]}))
""")


def test_writing_384_mib_stays_under_64_mib_of_anonymous_memory(tmp_path):
    res = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                         text=True, check=True, timeout=600)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["bytes"] == 3 * 4096 * 8192 * 4  # 384 MiB: above both bounds
    assert got["anon_kib"] < 64 * 1024, got
    assert got["file_kib"] < 2 * 32 * 1024, got  # about one 32 MiB piece resident at a time
