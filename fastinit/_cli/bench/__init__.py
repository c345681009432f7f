"""``python -m fastinit bench``: fastinit against NumPy, SciPy and PyTorch in one run.

For every size x dtype it measures the memory-write bound (``buf.fill(0)``,
one thread and all threads), then each workload's rows on the same
preallocated buffer: one untimed run (warm-up and peak extra memory), then
``--repeats`` timed runs, of which the median counts. Every result is checked
(mean, std, bounds), and every fastinit row must equal the first one bit for
bit, whatever its backend or thread count.
"""

import argparse
import re
import sys
import time

import numpy as np

from ..._engine import backends
from .. import options, report
from . import peers

_WORKLOAD_TEXT = {
    peers.WRITE: "memory-write bound",
    peers.UNIFORM: f"he_uniform_, U(±{peers.UNIFORM_BOUND:.4g})",
    peers.NORMAL: f"random_normal_, N(0, {peers.NORMAL_STD:g}²)",
    peers.TRUNCATED: f"he_normal_, N(0, {peers.TRUNC_SIGMA:.4g}²) truncated at ±2σ",
}
_COLUMNS = ("peer", "thr", "Gsamples/s", "GB/s", "of bound", "x numpy 1t", "+MiB traced",
            "+MiB RSS", "note")
_FOOTER = """\
Gsamples/s, GB/s: median of {repeats} (fewer where noted: --row-budget {budget:g} s)
  on a preallocated buffer, after one untimed run; GB/s counts the bytes of the output buffer.
`of bound`: GB/s over the memory-write bound, the best run of buf.fill(0) on the same buffer,
  1 thread or {threads} threads on equal parts in a thread pool (ndarray.fill releases the GIL).
`x numpy 1t`: Gsamples/s over the NumPy 1-thread row of the same workload (truncated: the
  resample loop).
+MiB traced: tracemalloc peak over the untimed run (allocations made through Python and NumPy;
  blind to torch, numba and C allocations). +MiB RSS: rise of the process's peak resident set
  (VmHWM, reset through /proc/self/clear_refs) over the same run; it sees every allocator, but a
  temporary below ~32 MiB that reuses memory freed by an earlier run can be missed.
Peers: numpy = Generator(PCG64) with out= and in-place scaling; numpy docs threaded recipe =
  SeedSequence.spawn, one Generator per thread, a ThreadPoolExecutor (its values change with the
  thread count; fastinit's never do, checked bit for bit above). scipy.stats.truncnorm runs on
  {scipy} elements at most. torch.nn.init on torch.from_numpy(buf), torch.set_num_threads(thr).
  `allocates` marks a peer that cannot fill in place and copies."""


def parse_size(text):
    """``67108864``, ``2**26`` or ``2^26``; a positive multiple of FAN_IN."""
    m = re.fullmatch(r"\s*2\s*(?:\*\*|\^)\s*(\d+)\s*", text)
    try:
        n = 2 ** int(m.group(1)) if m else int(text)
    except ValueError:
        n = None
    if n is None or n < peers.FAN_IN or n % peers.FAN_IN:
        raise argparse.ArgumentTypeError(
            f"must be a multiple of {peers.FAN_IN} and at least {peers.FAN_IN}, such as 2**26, "
            f"got {text!r}")
    return n


def size_label(n):
    return f"2**{n.bit_length() - 1}" if n & (n - 1) == 0 else str(n)


def parser():
    p = argparse.ArgumentParser(
        prog="python -m fastinit bench",
        description="Time fastinit against NumPy, SciPy and PyTorch on the same buffers.")
    p.add_argument("--size", type=parse_size, nargs="+", default=[2**24],
                   help="elements per buffer, e.g. 2**26 2**28 (default 2**24)")
    p.add_argument("--dtype", nargs="+", choices=tuple(peers.DTYPES), default=["float32"])
    p.add_argument("--workload", nargs="+", choices=peers.WORKLOADS, default=list(peers.WORKLOADS))
    p.add_argument("--threads", type=options.positive_int, default=backends.usable_cores(),
                   help="the 'all threads' count (default: usable cores); 1 is always run")
    p.add_argument("--repeats", type=options.positive_int, default=5,
                   help="timed runs per row (default 5)")
    p.add_argument("--row-budget", type=options.number(0.0), default=5.0, metavar="SECONDS",
                   help="fewer timed runs for a row whose first run says the repeats would take "
                        "longer than this (default 5; 0: always --repeats)")
    p.add_argument("--peers", nargs="+", choices=peers.PEERS, default=list(peers.PEERS))
    p.add_argument("--backend", nargs="+", choices=peers.BACKENDS, default=list(peers.BACKENDS))
    p.add_argument("--seed", type=options.seed, default=0)
    p.add_argument("--json", type=options.output_file, metavar="PATH",
                   help="also write every result to PATH as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--model", type=options.number(1.0), metavar="PARAMS",
                   help="instead, initialize a Llama-style model of about PARAMS parameters "
                        "with fastinit.torch.init_module, torch's reset_parameters and "
                        "trunc_normal_, and LlamaForCausalLM(config), side by side (uses "
                        "--dtype, --threads, --repeats; needs torch and transformers)")
    return p


class _Progress:
    def __init__(self, total, quiet):
        self.total, self.done, self.quiet = total, 0, quiet
        self.start = time.perf_counter()

    def step(self, text):
        self.done += 1
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"[{self.done}/{self.total} {elapsed:6.1f} s] {text}", file=sys.stderr,
                  flush=True)


def _timed(run, repeats):
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - t0)
    return seconds


def measure(workload, row, buf, *, repeats, seed, budget=None):
    """One row: warm on a slice, an untimed run for memory, timed runs, the check."""
    peers.warm_up(workload, row, buf, seed)
    fill = peers.make_fill(workload, row, buf, seed)
    repeats_asked = repeats
    fill.setup()
    try:
        fill.target.fill(np.nan)  # poison: a peer that writes nothing fails the check
        t0 = time.perf_counter()
        peak = peers.measure_peak(fill.run)
        first = time.perf_counter() - t0
        if budget:  # a slow peer gets fewer timed runs, at least one
            repeats = max(1, min(repeats, int(budget / max(first, 1e-9))))
        seconds = _timed(fill.run, repeats)
    finally:
        fill.teardown()
    median = float(np.median(seconds))
    target = fill.target
    return {
        "workload": workload, "dtype": str(buf.dtype), "size": buf.size, "peer": row.peer,
        "label": row.label, "backend": row.backend, "threads": row.threads,
        "samples": target.size, "bytes": target.nbytes, "allocates": fill.allocates,
        "repeats_asked": repeats_asked, "seconds": seconds, "median_s": median,
        "best_s": min(seconds),
        "gsamples_per_s": target.size / median / 1e9, "gb_per_s": target.nbytes / median / 1e9,
        "best_gb_per_s": target.nbytes / min(seconds) / 1e9,
        "peak_extra_traced_bytes": peak.traced, "peak_extra_rss_bytes": peak.rss,
        "check": peers.check(workload, target), "bits_equal_first_fastinit": None,
    }, target


def _run_group(workload, rows, buf, args, progress):
    results, ref = [], None
    for row in rows:
        progress.step(f"{workload} {buf.dtype} {size_label(buf.size)}: {row.label}, "
                      f"{row.threads} thread(s)")
        result, target = measure(workload, row, buf, repeats=args.repeats, seed=args.seed,
                                 budget=args.row_budget)
        if row.peer == peers.FASTINIT:
            if ref is None:
                n_fastinit = sum(r.peer == peers.FASTINIT for r in rows)
                ref = target.copy() if n_fastinit > 1 else target
            else:
                result["bits_equal_first_fastinit"] = peers.same_bits(ref, target)
        results.append(result)
    return results


def _annotate(results, bound):
    numpy1 = next((r for r in results if r["peer"] == peers.NUMPY and r["threads"] == 1), None)
    for r in results:
        r["write_bound_gb_per_s"] = bound
        r["fraction_of_bound"] = r["gb_per_s"] / bound if bound else None
        r["ratio_to_numpy"] = (r["gsamples_per_s"] / numpy1["gsamples_per_s"]
                               if numpy1 else None)


def _problem(r):
    if r["check"]:
        return f"CHECK FAILED: {r['check']}"
    if r["bits_equal_first_fastinit"] is False:
        return "BITS DIFFER from the first fastinit row"
    return ""


def _mib(n):
    return "-" if n is None else f"{n / 2**20:.1f}"


def _cells(r):
    note = [r["allocates"] and f"allocates: {r['allocates']}", _problem(r)]
    if len(r["seconds"]) < r["repeats_asked"]:
        note.append(f"{len(r['seconds'])} timed run(s)")
    if r["samples"] < r["size"]:
        note.append(f"on {size_label(r['samples'])} elements")
    frac, ratio = r["fraction_of_bound"], r["ratio_to_numpy"]
    return (r["label"], str(r["threads"]), f"{r['gsamples_per_s']:.3f}", f"{r['gb_per_s']:.2f}",
            "-" if frac is None else f"{frac:.0%}", "-" if ratio is None else f"{ratio:.2f}",
            _mib(r["peak_extra_traced_bytes"]), _mib(r["peak_extra_rss_bytes"]),
            "; ".join(n for n in note if n))


def _size_mib(r):
    mib = r["size"] * np.dtype(peers.DTYPES[r["dtype"]]).itemsize / 2**20
    return round(mib) if mib >= 10 else round(mib, 2)


def format_group(workload, results):
    """A plain-text table of one workload on one buffer."""
    r0 = results[0]
    head = (f"{workload} | {r0['dtype']} | n = {size_label(r0['size'])} "
            f"({_size_mib(r0):g} MiB) | "
            f"{_WORKLOAD_TEXT[workload]} | write bound {r0['write_bound_gb_per_s']:.2f} GB/s")
    return head + "\n" + report.table(_COLUMNS, [_cells(r) for r in results], indent="  ",
                                      text_last=True)


def _fastinit_rate(results, key, backend, threads):
    rates = [r["gsamples_per_s"] for r in results if r["peer"] == peers.FASTINIT
             and (r["size"], r["dtype"], r["workload"]) == key
             and r["backend"] == backend and r["threads"] == threads]
    return rates[0] if rates else None


def format_summary(results, threads):
    """Per float32 workload: the best fastinit rate, Cython over Numba, threads over 1 thread."""
    lines = []
    keys = dict.fromkeys((r["size"], r["dtype"], r["workload"]) for r in results
                         if r["peer"] == peers.FASTINIT and r["dtype"] == "float32")
    counts = sorted({1, threads})
    for key in keys:
        rate = {(b, t): _fastinit_rate(results, key, b, t) for b in peers.BACKENDS for t in counts}
        best = max((v, b, t) for (b, t), v in rate.items() if v)
        parts = [f"best {best[0]:.2f} Gsamples/s ({best[1]}, {best[2]} thr)"]
        ratios = {t: rate[("cython", t)] / rate[("numba", t)] for t in counts
                  if rate.get(("cython", t)) and rate.get(("numba", t))}
        if ratios:
            parts.append("cython/numba " + ", ".join(f"{v:.2f} ({t} thr)"
                                                     for t, v in ratios.items()))
        for b in peers.BACKENDS:
            if threads > 1 and rate.get((b, 1)) and rate.get((b, threads)):
                parts.append(f"{b} {threads} thr/1 thr {rate[(b, threads)] / rate[(b, 1)]:.2f}")
        lines.append(f"  {key[2]:<9} {size_label(key[0])}: " + "; ".join(parts))
    return "\n".join(["summary (fastinit, float32):", *lines]) if lines else ""


def format_header(info, argv):
    versions = ", ".join(f"{k} {info[k]}" for k in ("numpy", "numba", "torch", "scipy"))
    return "\n".join([
        f"fastinit {info['fastinit']} bench: python -m fastinit bench {' '.join(argv)}".rstrip(),
        f"machine: {info['cpu']}, {info['usable cores']} usable cores "
        f"({info['logical cpus']} logical CPUs), python {info['python']}",
        f"versions: {versions}; fastinit Cython kernels: {info['cython kernels']}; "
        f"OpenBLAS env: {info['openblas env']}",
    ])


def _plan_all(args):
    groups, skipped = [], {}
    for size in args.size:
        for dtype_name in args.dtype:
            for workload in (peers.WRITE, *args.workload):
                if dtype_name not in peers.dtypes_for(workload):
                    continue
                rows = []
                for row in peers.plan(workload, args.threads, backend_names=args.backend,
                                  peers=args.peers):
                    reason = peers.unavailable(row)
                    if reason:
                        skipped[row.peer] = reason
                    else:
                        rows.append(row)
                groups.append((size, dtype_name, workload, rows))
    return groups, skipped


def _run(args, progress, groups):
    """Measure every group, printing each table when done; returns all results."""
    results, buf, key = [], None, None
    bound = None
    for size, dtype_name, workload, rows in groups:
        if key != (size, dtype_name):
            buf = None  # free the previous buffer before the next one
            buf = np.empty(size, peers.DTYPES[dtype_name])
            buf.fill(0)  # fault the pages in, untimed
            key = (size, dtype_name)
        group = _run_group(workload, rows, buf, args, progress)
        if workload == peers.WRITE:
            bound = max((r["best_gb_per_s"] for r in group), default=None)
        _annotate(group, bound)
        if group:
            print(format_group(workload, group) + "\n", flush=True)
        results += group
    return results


def _main(args, argv):
    if args.model is not None:
        options.require({"torch": "torch", "transformers": "transformers"}, extra="test",
                  needed_by="bench --model")
        from . import torch_models

        itemsize = max(peers.DTYPES[d].itemsize for d in args.dtype)
        options.check_memory(int(args.model * itemsize), f"--model {args.model:g}")
        return torch_models.run(args.model, args.dtype, args.threads, args.repeats)
    # the largest buffer, and the copy of the first fastinit row the others are compared with
    itemsize = max(peers.DTYPES[d].itemsize for d in args.dtype)
    options.check_memory(2 * max(args.size) * itemsize, f"--size {size_label(max(args.size))}")
    info = peers.machine_info()
    groups, skipped = _plan_all(args)
    print(format_header(info, argv) + "\n", flush=True)
    progress = _Progress(sum(len(rows) for *_, rows in groups), args.quiet)
    t0 = time.perf_counter()
    results = _run(args, progress, groups)
    for peer, reason in skipped.items():
        print(f"skipped {peer}: {reason}")
    summary = format_summary(results, args.threads)
    if summary:
        print(summary + "\n")
    print(_FOOTER.format(repeats=report.plural(args.repeats, "timed run"), threads=args.threads,
                         budget=args.row_budget, scipy=size_label(peers.SCIPY_MAX)))
    problems = [f"{r['workload']} {r['dtype']} {r['label']} {r['threads']}t: {_problem(r)}"
                for r in results if _problem(r)]
    for line in problems:
        print(f"FAILED {line}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    if args.json:
        report.write_json(args.json, {
            "command": " ".join(["python -m fastinit bench", *argv]), "machine": info,
            "options": {k: v for k, v in vars(args).items() if k != "json"},
            "results": results, "skipped": skipped, "ok": not problems})
    return 1 if problems else 0


def main(argv=None):
    """Run ``python -m fastinit bench`` with `argv`; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return options.run(parser(), argv, lambda args: _main(args, argv))
