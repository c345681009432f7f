"""``python -m fastinit bench``: fastinit against NumPy, SciPy and PyTorch in one run.

For every size x dtype it measures the memory-write bound (``buf.fill(0)``,
one thread and all threads), then each workload's rows on the same
preallocated buffer: one untimed run (warm-up and peak extra memory), then
``--repeats`` timed runs, of which the median counts. Every result is checked
(mean, std, bounds), and every fastinit row must equal the first one bit for
bit, whatever its backend or thread count.
"""

import argparse
import json
import math
import re
import sys
import time

import numpy as np

from . import _backend
from . import _peers as P

_WORKLOAD_TEXT = {
    P.WRITE: "memory-write bound",
    P.UNIFORM: f"he_uniform_, U(±{P.UNIFORM_BOUND:.4g})",
    P.NORMAL: f"random_normal_, N(0, {P.NORMAL_STD:g}²)",
    P.TRUNCATED: f"he_normal_, N(0, {P.TRUNC_SIGMA:.4g}²) truncated at ±2σ",
}
# the core issue's targets, float32 on 2 cores (Gsamples/s)
TARGETS = {P.UNIFORM: 4.0, P.NORMAL: 1.8, P.TRUNCATED: 1.5}
CYTHON_VS_NUMBA = 0.9
SCALING = 1.85
_COLUMNS = ("peer", "thr", "Gsamples/s", "GB/s", "of bound", "x numpy 1t", "+MiB traced",
            "+MiB RSS", "note")
_FOOTER = """\
Gsamples/s, GB/s: median of {repeats} timed runs (fewer where noted: --row-budget {budget:g} s)
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
    if n is None or n < P.FAN_IN or n % P.FAN_IN:
        raise argparse.ArgumentTypeError(
            f"must be a multiple of {P.FAN_IN} and at least {P.FAN_IN}, such as 2**26, "
            f"got {text!r}")
    return n


def _positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _nonnegative(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def size_label(n):
    return f"2**{n.bit_length() - 1}" if n & (n - 1) == 0 else str(n)


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m fastinit bench",
        description="Time fastinit against NumPy, SciPy and PyTorch on the same buffers.")
    p.add_argument("--size", type=parse_size, nargs="+", default=[2**24],
                   help="elements per buffer, e.g. 2**26 2**28 (default 2**24)")
    p.add_argument("--dtype", nargs="+", choices=tuple(P.DTYPES), default=["float32"])
    p.add_argument("--workload", nargs="+", choices=P.WORKLOADS, default=list(P.WORKLOADS))
    p.add_argument("--threads", type=_positive, default=_backend.usable_cores(),
                   help="the 'all threads' count (default: usable cores); 1 is always run")
    p.add_argument("--repeats", type=_positive, default=5, help="timed runs per row (default 5)")
    p.add_argument("--row-budget", type=_nonnegative, default=5.0, metavar="SECONDS",
                   help="fewer timed runs for a row whose first run says the repeats would take "
                        "longer than this (default 5; 0: always --repeats)")
    p.add_argument("--peers", nargs="+", choices=P.PEERS, default=list(P.PEERS))
    p.add_argument("--backend", nargs="+", choices=P.BACKENDS, default=list(P.BACKENDS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="PATH", help="also write every result to PATH as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
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
    P.warm_up(workload, row, buf, seed)
    fill = P.make_fill(workload, row, buf, seed)
    repeats_asked = repeats
    fill.setup()
    try:
        fill.target.fill(np.nan)  # poison: a peer that writes nothing fails the check
        t0 = time.perf_counter()
        peak = P.measure_peak(fill.run)
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
        "check": P.check(workload, target), "bits_equal_first_fastinit": None,
    }, target


def _run_group(workload, rows, buf, args, progress):
    results, ref = [], None
    for row in rows:
        progress.step(f"{workload} {buf.dtype} {size_label(buf.size)}: {row.label}, "
                      f"{row.threads} thread(s)")
        result, target = measure(workload, row, buf, repeats=args.repeats, seed=args.seed,
                                 budget=args.row_budget)
        if row.peer == P.FASTINIT:
            if ref is None:
                n_fastinit = sum(r.peer == P.FASTINIT for r in rows)
                ref = target.copy() if n_fastinit > 1 else target
            else:
                result["bits_equal_first_fastinit"] = P.same_bits(ref, target)
        results.append(result)
    return results


def _annotate(results, bound):
    numpy1 = next((r for r in results if r["peer"] == P.NUMPY and r["threads"] == 1), None)
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
    mib = r["size"] * np.dtype(P.DTYPES[r["dtype"]]).itemsize / 2**20
    return round(mib) if mib >= 10 else round(mib, 2)


def format_group(workload, results):
    """A plain-text table of one workload on one buffer."""
    r0 = results[0]
    head = (f"{workload} | {r0['dtype']} | n = {size_label(r0['size'])} "
            f"({_size_mib(r0):g} MiB) | "
            f"{_WORKLOAD_TEXT[workload]} | write bound {r0['write_bound_gb_per_s']:.2f} GB/s")
    rows = [_COLUMNS] + [_cells(r) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [head]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1],
                                                                         strict=True)]
        lines.append("  " + "  ".join(cells + [row[-1]]).rstrip())
    return "\n".join(lines)


def _fastinit_rate(results, key, backend, threads):
    rates = [r["gsamples_per_s"] for r in results if r["peer"] == P.FASTINIT
             and (r["size"], r["dtype"], r["workload"]) == key
             and r["backend"] == backend and r["threads"] == threads]
    return rates[0] if rates else None


def format_targets(results, threads):
    """The core issue's float32 targets against this run's fastinit rows."""
    lines = []
    keys = dict.fromkeys((r["size"], r["dtype"], r["workload"]) for r in results
                         if r["peer"] == P.FASTINIT and r["dtype"] == "float32")
    for key in keys:
        rate = {(b, t): _fastinit_rate(results, key, b, t)
                for b in P.BACKENDS for t in sorted({1, threads})}
        best = max((v, b, t) for (b, t), v in rate.items() if v)
        goal = TARGETS[key[2]]
        parts = [f"best {best[0]:.2f} Gsamples/s ({best[1]}, {best[2]}t) vs >= {goal}: "
                 f"{'met' if best[0] >= goal else f'missed, {best[0] / goal:.0%} of it'}"]
        ratios = {t: rate[("cython", t)] / rate[("numba", t)] for t in sorted({1, threads})
                  if rate.get(("cython", t)) and rate.get(("numba", t))}
        if ratios:
            met = "met" if min(ratios.values()) >= CYTHON_VS_NUMBA else "missed"
            parts.append("cython/numba " + ", ".join(f"{v:.2f} ({t}t)" for t, v in ratios.items())
                         + f" (>= {CYTHON_VS_NUMBA}: {met})")
        for b in P.BACKENDS:
            if threads > 1 and rate.get((b, 1)) and rate.get((b, threads)):
                gain = rate[(b, threads)] / rate[(b, 1)]
                parts.append(f"{b} {threads}t/1t {gain:.2f}")
        lines.append(f"  {key[2]:<9} {size_label(key[0])}: " + "; ".join(parts))
    if not lines:
        return ""
    scaling = f"; {threads}t/1t should be >= {SCALING} on 2 cores" if threads > 1 else ""
    return "\n".join([f"targets (core issue, float32{scaling}):", *lines])


def format_header(info, argv):
    versions = ", ".join(f"{k} {info[k]}" for k in ("numpy", "numba", "Cython", "torch", "scipy"))
    return "\n".join([
        f"fastinit {info['fastinit']} bench: python -m fastinit bench {' '.join(argv)}".rstrip(),
        f"machine: {info['cpu']}, {info['usable cores']} usable cores "
        f"({info['logical cpus']} logical CPUs), python {info['python']}",
        f"versions: {versions}; Cython kernels: {info.get('cython kernels', 'not built')}; "
        f"OpenBLAS env: {info['openblas env']}",
    ])


def _plan_all(args):
    groups, skipped = [], {}
    for size in args.size:
        for dtype_name in args.dtype:
            for workload in (P.WRITE, *args.workload):
                if dtype_name not in P.dtypes_for(workload):
                    continue
                rows = []
                for row in P.plan(workload, args.threads, backends=args.backend,
                                  peers=args.peers):
                    reason = P.unavailable(row)
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
            buf = np.empty(size, P.DTYPES[dtype_name])
            buf.fill(0)  # fault the pages in, untimed
            key = (size, dtype_name)
        group = _run_group(workload, rows, buf, args, progress)
        if workload == P.WRITE:
            bound = max((r["best_gb_per_s"] for r in group), default=None)
        _annotate(group, bound)
        if group:
            print(format_group(workload, group) + "\n", flush=True)
        results += group
    return results


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error (argparse printed it)
        return exc.code if isinstance(exc.code, int) else 2
    info = P.machine_info()
    groups, skipped = _plan_all(args)
    print(format_header(info, argv) + "\n", flush=True)
    progress = _Progress(sum(len(rows) for *_, rows in groups), args.quiet)
    t0 = time.perf_counter()
    results = _run(args, progress, groups)
    for peer, reason in skipped.items():
        print(f"skipped {peer}: {reason}")
    targets = format_targets(results, args.threads)
    if targets:
        print(targets + "\n")
    print(_FOOTER.format(repeats=args.repeats, threads=args.threads, budget=args.row_budget,
                         scipy=size_label(P.SCIPY_MAX)))
    problems = [f"{r['workload']} {r['dtype']} {r['label']} {r['threads']}t: {_problem(r)}"
                for r in results if _problem(r)]
    for line in problems:
        print(f"FAILED {line}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    if args.json:
        _write_json(args, argv, info, results, skipped, not problems)
    return 1 if problems else 0


def _write_json(args, argv, info, results, skipped, ok):
    doc = {"command": " ".join(["python -m fastinit bench", *argv]), "machine": info,
           "options": {k: v for k, v in vars(args).items() if k != "json"},
           "results": results, "skipped": skipped, "ok": ok}
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
