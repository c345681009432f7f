"""Time a checkpoint write side by side with transformers and a plain sequential write.

    python bench/checkpoint_write.py --config CONFIG.json --scratch DIR [--repeats 3]
    python bench/checkpoint_write.py --preset llama-1.1b --scratch DIR   # docs/performance.md
    python bench/checkpoint_write.py --preset llama-8gib --scratch DIR --anon-only

Runs, alternating, each in a fresh process: ``python -m fastinit checkpoint``;
transformers' ``from_config`` + ``save_pretrained`` (same dtype); ``dd`` of the
same number of bytes, with and without ``conv=fdatasync``. Reports the median
wall time, the work time (what the command reports, without the interpreter
start and imports), the write rate and each process's peak RSS (``ru_maxrss``) and peak
anonymous RSS (``RssAnon`` of ``/proc/PID/status``, polled every 5 ms).
``--anon-only`` runs only the fastinit command once and prints its peaks.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 32000,
         "max_position_embeddings": 2048, "tie_word_embeddings": False}
PRESETS = {  # TinyLlama-1.1B's shape; a 4.3 B-parameter Llama, 8.0 GiB in bfloat16; a tiny one
    "llama-1.1b": dict(LLAMA, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                       num_attention_heads=32, num_key_value_heads=4, rms_norm_eps=1e-05),
    "llama-8gib": dict(LLAMA, hidden_size=4096, intermediate_size=11008, num_hidden_layers=20,
                       num_attention_heads=32, num_key_value_heads=32),
    "llama-tiny": dict(LLAMA, hidden_size=64, intermediate_size=160, num_hidden_layers=1,
                       num_attention_heads=4, num_key_value_heads=2, vocab_size=1000),
}
HF_SAVE = """
import sys, time, torch, transformers
t0 = time.perf_counter()
cfg = transformers.AutoConfig.from_pretrained(sys.argv[1])
model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=getattr(torch, sys.argv[3]))
model.save_pretrained(sys.argv[2])
print(f"in {time.perf_counter() - t0:.3f} s")
"""


def run(cmd):
    """Wall seconds, in-process seconds, peak RSS and peak RssAnon (MiB) of one command.

    In-process: what the command reports as " in X s" (its work without the
    interpreter's start and imports), else the wall time.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
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
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    inner = re.search(r"\bin ([0-9.]+) s\b", out)
    return (seconds, float(inner.group(1)) if inner else seconds, usage.ru_maxrss / 1024,
            peak[0] / 1024)


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
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config")
    src.add_argument("--preset", choices=tuple(PRESETS))
    p.add_argument("--scratch", required=True)
    p.add_argument("--dtype", default="bfloat16")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--anon-only", action="store_true")
    a = p.parse_args()
    if a.preset:
        os.makedirs(a.scratch, exist_ok=True)
        a.config = os.path.join(a.scratch, f"{a.preset}.json")
        with open(a.config, "w") as f:
            json.dump(PRESETS[a.preset], f)
    out = os.path.join(a.scratch, "ckpt")
    ours = [sys.executable, "-m", "fastinit", "checkpoint", "--config", a.config, "--out", out,
            "--dtype", a.dtype, "--quiet"]
    if a.anon_only:
        shutil.rmtree(out, ignore_errors=True)
        s, _, rss, anon = run(ours)
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
    def med(name, i):
        return statistics.median(r[i] for r in results[name])

    base = med("fastinit checkpoint", 0), med("fastinit checkpoint", 1)
    print(f"{n_bytes / 1e9:.2f} GB of tensors, {a.dtype}, median of {a.repeats}\n")
    print("| command | wall s | x fastinit | work s | x fastinit | work GB/s | peak RSS MiB "
          "| peak anon RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for name in results:
        w, s = med(name, 0), med(name, 1)
        print(f"| {name} | {w:.1f} | {w / base[0]:.2f} | {s:.1f} | {s / base[1]:.2f} | "
              f"{n_bytes / s / 1e9:.2f} | {med(name, 2):.0f} | {med(name, 3):.0f} |")

if __name__ == "__main__":
    main()
