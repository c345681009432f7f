"""``python -m fastinit [init|bench|diagnose|compare|checkpoint] [options]``.

Without a subcommand it runs the main job (``init``): initialize every weight
of a built-in decoder-transformer spec (about 250 M parameters by default)
into preallocated NumPy buffers, and compare with NumPy's Generator.
"""

import argparse
import sys
import time

import numpy as np

from . import _backend, _dtypes, _model

SUBCOMMANDS = ("init", "bench", "diagnose", "compare", "checkpoint")
_DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16,
           "bfloat16": _dtypes.BFLOAT16}
# NumPy is timed on every buffer up to this many parameters, on a sample above
_NUMPY_FULL_LIMIT = 400_000_000


def _parser():
    p = argparse.ArgumentParser(prog="python -m fastinit",
                                description="Initialize a decoder-transformer's weights in place.")
    p.add_argument("--params", type=float, default=250e6,
                   help="target parameter count (default 250e6); sets the width")
    p.add_argument("--layers", type=int, default=16, help="transformer blocks (default 16)")
    p.add_argument("--dtype", choices=tuple(_DTYPES), default="float32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="default: all usable cores")
    p.add_argument("--backend", choices=_backend.BACKENDS, default="auto")
    p.add_argument("--no-numpy", action="store_true", help="skip the NumPy comparison")
    return p


def main_init(argv=None):
    args = _parser().parse_args(argv)
    if args.layers < 1 or args.params < 1e5:
        print("error: --layers must be >= 1 and --params >= 1e5", file=sys.stderr)
        return 2
    d_model = _model.d_model_for(args.params, args.layers)
    params = _model.spec(d_model, args.layers)
    dtype = np.dtype(_DTYPES[args.dtype])
    backend = _backend.resolve(args.backend)
    n = sum(int(np.prod(p.shape)) for p in params)
    print(f"model: decoder transformer, {args.layers} layers, d_model {d_model}, "
          f"{len(params)} tensors, {n / 1e6:.1f} M parameters, {args.dtype}")
    t0 = time.perf_counter()
    buffers = [np.empty(p.shape, dtype) for p in params]
    for b in buffers:  # fault the pages in now, so the timing measures the fill
        b.fill(0)
    print(f"allocated {sum(b.nbytes for b in buffers) / 2**20:.0f} MiB in "
          f"{time.perf_counter() - t0:.2f} s (not timed below)")

    def fill(p, b):
        _model.initialize(p, b, seed=args.seed, layers=args.layers, n_threads=args.threads,
                          backend=backend)

    _model.initialize(params[0], buffers[0][:1], seed=args.seed, layers=args.layers,
                      backend=backend)  # warm-up: Numba JIT or cache load, not timed
    t = _model.run(params, buffers, fill)
    threads = _backend.effective_n_threads(args.threads)
    print(f"fastinit ({backend}, {threads} threads): {t.n_params:,} parameters, "
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
    sample = t.n_params > _NUMPY_FULL_LIMIT
    if sample:  # estimate from the first rows of every tensor, said as such
        frac = _NUMPY_FULL_LIMIT / t.n_params
        views = [b[: max(1, int(b.shape[0] * frac))] for b in buffers]
    else:
        views = buffers
    nt = _model.run(params, views, lambda p, b: _model.numpy_initialize(p, b, rng, args.layers))
    seconds = nt.seconds * t.n_params / nt.n_params
    how = f"estimated from {nt.n_params / t.n_params:.0%} of the elements" if sample else "measured"
    print(f"NumPy Generator(PCG64), 1 thread, same buffers: {seconds:.3f} s ({how}) = "
          f"{t.n_params / seconds / 1e9:.2f} Gsamples/s; "
          f"fastinit is {seconds / t.seconds:.1f}x faster")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    cmd = argv.pop(0) if argv and argv[0] in SUBCOMMANDS else "init"
    if cmd == "bench":
        from ._bench_cli import main as run
    elif cmd == "diagnose":
        from .diagnose import main as run
    elif cmd == "compare":
        from ._compare import main as run
    elif cmd == "checkpoint":
        from ._cli.checkpoint import main as run
    else:
        run = main_init
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
