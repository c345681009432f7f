"""Throughput of each kind of fill relative to the normal fill, in one process.

    python bench/kind_ratios.py [--backend numba cython] [--threads 2] [--size 26]
        [--rounds 21]

Every (backend, kind) runs once per round, all of them alternating (forward in
even rounds, backward in odd ones), on the same float32 buffer; the medians
are compared within the process, so a shared machine slows every variant
alike. Rates are given by wall time and by the process's CPU time (elements
times threads over CPU seconds: the rate the threads would reach with their
cores to themselves; steadier while other programs compete for the cores).
Kinds: raw words (``random_bits_``), uniform [-1, 1), normal, ``he_normal_``
and ``truncated_normal_`` at +-2 sigma (Keras and JAX) and at +-100 sigma
(PyTorch's ``trunc_normal_(std=0.02)``: a=-2, b=2 in absolute units).
"""

import argparse
import sys
import time

import numpy as np

import fastinit

KINDS = {
    "bits": lambda b, kw: fastinit.random_bits_(b.view(np.uint32), seed=1, **kw),
    "uniform": lambda b, kw: fastinit.random_uniform_(b, seed=1, minval=-1.0, maxval=1.0, **kw),
    "normal": lambda b, kw: fastinit.random_normal_(b, seed=1, **kw),
    "he_normal": lambda b, kw: fastinit.he_normal_(b, seed=1, **kw),
    "trunc2": lambda b, kw: fastinit.truncated_normal_(b, seed=1, **kw),
    "trunc100": lambda b, kw: fastinit.truncated_normal_(b, seed=1, stddev=0.02, lower=-100.0,
                                                         upper=100.0, **kw),
}
PAUSE = 0.02  # seconds of rest before every timed fill (see bench/ab_trees.py)


def measure(backends, threads, size_log2, rounds):
    """{(backend, kind): (wall rate, CPU-time rate)} in Gsamples/s, medians."""
    buf = np.empty((2 ** (size_log2 - 12), 4096), np.float32)  # fans 2**(size - 12), 4096
    variants = [(b, k) for b in backends for k in KINDS]
    wall = {v: [] for v in variants}
    cpu = {v: [] for v in variants}
    for b, k in variants:  # first calls: kernels compiled or loaded, pages touched
        KINDS[k](buf, dict(n_threads=threads, backend=b))
    for r in range(rounds):
        for b, k in variants if r % 2 == 0 else variants[::-1]:
            time.sleep(PAUSE)
            c, t = time.process_time(), time.perf_counter()
            KINDS[k](buf, dict(n_threads=threads, backend=b))
            wall[(b, k)].append(time.perf_counter() - t)
            cpu[(b, k)].append(time.process_time() - c)
    return {v: (buf.size / np.median(wall[v]) / 1e9,
                threads * buf.size / np.median(cpu[v]) / 1e9) for v in variants}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", default=["numba", "cython"],
                        choices=["numba", "cython"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=26, help="log2 of the element count")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args(argv)
    rates = measure(args.backend, args.threads, args.size, args.rounds)
    print(f"float32 2**{args.size}, {args.threads} thread(s), medians of {args.rounds} rounds; "
          f"Gsamples/s by wall time, by CPU time; / normal")
    for b in args.backend:
        wn, cn = rates[(b, "normal")]
        for k in KINDS:
            w, c = rates[(b, k)]
            print(f"{b:6s} {k:9s} wall {w:.3f}  cpu {c:.3f}  / normal {w / wn:.3f} {c / cn:.3f}")
    if len(args.backend) == 2:
        (wn, cn), (wc, cc) = rates[("numba", "bits")], rates[("cython", "bits")]
        print(f"numba bits / cython bits {wn / wc:.3f} {cn / cc:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
