"""Time a checkpoint write side by side with transformers and a plain sequential write.

    python tools/bench_checkpoint.py --config CONFIG.json --scratch DIR [--repeats 3]

Runs, alternating, each in a fresh process: ``python -m fastinit checkpoint``;
transformers' ``from_config`` + ``save_pretrained`` (same dtype); ``dd`` of the
same number of bytes, with and without ``conv=fdatasync``. Reports the median
wall time, the write rate and each process's peak RSS (``ru_maxrss``) and peak
anonymous RSS (``RssAnon`` of ``/proc/PID/status``, polled every 5 ms).
``--anon-only`` runs only the fastinit command once and prints its peaks.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HF_SAVE = """
import sys, torch, transformers
cfg = transformers.AutoConfig.from_pretrained(sys.argv[1])
model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=getattr(torch, sys.argv[3]))
model.save_pretrained(sys.argv[2])
"""


def run(cmd):
    """Wall seconds, peak RSS and peak RssAnon (MiB) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    peak = [0]

    def poll():
        while proc.returncode is None:
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    for line in f:
                        if line.startswith("RssAnon:"):
                            peak[0] = max(peak[0], int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.005)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return seconds, usage.ru_maxrss / 1024, peak[0] / 1024


def tensor_bytes(out):
    total = 0
    for name in os.listdir(out):
        if name.endswith(".safetensors"):
            with open(os.path.join(out, name), "rb") as f:
                n = int.from_bytes(f.read(8), "little")
            total += os.path.getsize(os.path.join(out, name)) - 8 - n
    return total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--scratch", required=True)
    p.add_argument("--dtype", default="bfloat16")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--anon-only", action="store_true")
    a = p.parse_args()
    out = os.path.join(a.scratch, "ckpt")
    ours = [sys.executable, "-m", "fastinit", "checkpoint", "--config", a.config, "--out", out,
            "--dtype", a.dtype, "--quiet"]
    if a.anon_only:
        shutil.rmtree(out, ignore_errors=True)
        s, rss, anon = run(ours)
        print(json.dumps({"bytes": tensor_bytes(out), "seconds": s, "peak_rss_mib": rss,
                          "peak_anon_mib": anon}))
        shutil.rmtree(out)
        return
    shutil.rmtree(out, ignore_errors=True)
    run(ours)  # warm: kernels' caches, transformers' import caches
    n_bytes = tensor_bytes(out)
    count = n_bytes // 2**24 + 1
    dd = ["dd", "if=/dev/zero", f"of={os.path.join(a.scratch, 'dd.bin')}", "bs=16M",
          f"count={count}", "status=none"]
    cmds = {"fastinit checkpoint": ours,
            "transformers from_config + save_pretrained":
                [sys.executable, "-c", HF_SAVE, a.config, out, a.dtype],
            "dd (page cache)": dd, "dd conv=fdatasync": dd + ["conv=fdatasync"]}
    results = {k: [] for k in cmds}
    for _ in range(a.repeats):
        for name, cmd in cmds.items():
            shutil.rmtree(out, ignore_errors=True)
            results[name].append(run(cmd))
            shutil.rmtree(out, ignore_errors=True)
            if os.path.exists(os.path.join(a.scratch, "dd.bin")):
                os.remove(os.path.join(a.scratch, "dd.bin"))
    base = statistics.median(r[0] for r in results["fastinit checkpoint"])
    print(f"{n_bytes / 1e9:.2f} GB of tensors, {a.dtype}, median of {a.repeats}\n")
    print("| command | seconds | GB/s | peak RSS MiB | peak anon RSS MiB | vs fastinit |")
    print("|---|---|---|---|---|---|")
    for name, rs in results.items():
        s = statistics.median(r[0] for r in rs)
        print(f"| {name} | {s:.1f} | {n_bytes / s / 1e9:.2f} | "
              f"{statistics.median(r[1] for r in rs):.0f} | "
              f"{statistics.median(r[2] for r in rs):.0f} | {s / base:.2f}x |")


if __name__ == "__main__":
    main()
