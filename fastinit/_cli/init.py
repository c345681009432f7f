"""``python -m fastinit [init]``: the main job.

Initialize every weight of a built-in decoder-transformer spec (about 250 M
parameters by default) into preallocated NumPy buffers, timed, and compare
with NumPy's Generator on the same buffers. Every kernel the run uses is
warmed up first (Numba compiles or loads its cache then), and that time is
reported apart from the timing.
"""

import argparse
import time

import numpy as np

from .._engine import backends, formats
from . import model, options, report

DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16,
          "bfloat16": formats.BFLOAT16}
# NumPy is timed on every buffer up to this many parameters, on a sample above
NUMPY_FULL_LIMIT = 400_000_000
WARM_ELEMENTS = 64  # per dimension of the small buffers the warm-up fills


def parser():
    p = argparse.ArgumentParser(
        prog="python -m fastinit [init]",
        description="Initialize every weight of a decoder transformer in place, timed, and "
                    "time NumPy's Generator on the same buffers.")
    p.add_argument("--params", type=options.number(1e5), default=250e6,
                   help="target parameter count, at least 1e5 (default 250e6); sets the width")
    p.add_argument("--layers", type=options.positive_int, default=16,
                   help="transformer blocks (default 16)")
    p.add_argument("--dtype", choices=tuple(DTYPES), default="float32")
    p.add_argument("--seed", type=options.seed, default=0, help="in [0, 2**64) (default 0)")
    p.add_argument("--threads", type=options.n_threads, default=None,
                   help="threads per fill (default: all usable cores; -1 too)")
    p.add_argument("--backend", choices=backends.BACKENDS, default="auto")
    p.add_argument("--no-numpy", action="store_true", help="skip the NumPy comparison")
    return p


def warm_up(params, dtype, *, seed, layers, n_threads, backend):
    """Fill a small buffer of each parameter kind once; return the seconds it took.

    The first call of a Numba kernel compiles it (or loads it from the cache),
    and the first parallel fill starts the threads: neither is the fill's speed.
    """
    t0 = time.perf_counter()
    for p in {p.kind: p for p in params}.values():
        shape = tuple(min(n, WARM_ELEMENTS) for n in p.shape)
        model.initialize(p._replace(shape=shape), np.empty(shape, dtype), seed=seed,
                         layers=layers, n_threads=n_threads, backend=backend)
    return time.perf_counter() - t0


def _main(args):
    d_model = model.d_model_for(args.params, args.layers)
    params = model.spec(d_model, args.layers)
    dtype = np.dtype(DTYPES[args.dtype])
    backend = backends.resolve(args.backend)
    n = sum(int(np.prod(p.shape)) for p in params)
    options.check_memory(n * dtype.itemsize, f"--params {args.params:g}")
    print(f"model: decoder transformer, {args.layers} layers, d_model {d_model}, "
          f"{len(params)} tensors, {n / 1e6:.1f} M parameters, {args.dtype}")
    t0 = time.perf_counter()
    buffers = [np.empty(p.shape, dtype) for p in params]
    for b in buffers:  # fault the pages in now, so the timing measures the fill
        b.fill(0)
    print(f"allocated {sum(b.nbytes for b in buffers) / 2**20:.0f} MiB in "
          f"{time.perf_counter() - t0:.2f} s (not timed below)")
    kinds = len({p.kind for p in params})
    warm = warm_up(params, dtype, seed=args.seed, layers=args.layers, n_threads=args.threads,
                   backend=backend)
    what = "Numba compilation or cache load" if backend == "numba" else "first calls"
    print(f"warm-up ({what}, {kinds} kinds of parameter): {warm:.2f} s, excluded from the "
          "timing below")

    def fill(p, b):
        model.initialize(p, b, seed=args.seed, layers=args.layers, n_threads=args.threads,
                         backend=backend)

    t = model.run(params, buffers, fill)
    threads = report.plural(backends.effective_n_threads(args.threads), "thread")
    print(f"fastinit ({backend}, {threads}): {t.n_params:,} parameters, "
          f"{t.n_bytes / 2**20:.0f} MiB in {t.seconds:.3f} s = "
          f"{t.n_params / t.seconds / 1e9:.2f} Gsamples/s, {t.n_bytes / t.seconds / 1e9:.2f} GB/s")
    if not args.no_numpy:
        _compare_numpy(params, buffers, dtype, args, t)
    return 0


def _compare_numpy(params, buffers, dtype, args, t):
    if dtype not in (np.float32, np.float64):
        print(f"NumPy Generator: no {dtype} output; comparison skipped")
        return
    rng = np.random.Generator(np.random.PCG64(args.seed))
    sample = t.n_params > NUMPY_FULL_LIMIT
    if sample:  # estimate from the first rows of every tensor, said as such
        frac = NUMPY_FULL_LIMIT / t.n_params
        views = [b[: max(1, int(b.shape[0] * frac))] for b in buffers]
    else:
        views = buffers
    nt = model.run(params, views, lambda p, b: model.numpy_initialize(p, b, rng, args.layers))
    seconds = nt.seconds * t.n_params / nt.n_params
    how = f"estimated from {nt.n_params / t.n_params:.0%} of the elements" if sample else "measured"
    print(f"NumPy Generator(PCG64), 1 thread, same buffers: {seconds:.3f} s ({how}) = "
          f"{t.n_params / seconds / 1e9:.2f} Gsamples/s; "
          f"fastinit is {seconds / t.seconds:.1f}x faster")


def main(argv=None):
    """Run the main job with `argv` (default: ``sys.argv[1:]``); return the exit status."""
    return options.run(parser(), argv, _main)
