"""Throughput of two fastinit checkouts, side by side in one process.

    python bench/ab_trees.py OLD_TREE NEW_TREE [--backend numba cython]
        [--threads 1 2] [--sizes 26 28] [--rounds 9]

Each tree is imported as a package of its own (``fi_old``, ``fi_new``), so
both run in the same process, on the same buffer, with the same page and
cache state; the two alternate every round (old first in even rounds, new
first in odd ones) and the medians are compared. Processes started a few
minutes apart can differ by 15-30% on a shared machine, which hides changes
of a few percent; alternation inside one process does not. Both trees must
be built in place (``python setup.py build_ext --inplace``) for the Cython
rows. Numba compiles into a cache directory of its own here, because Numba's
cache records the name each module was imported under, named after both
trees' Numba sources (see ``numba_cache_dir``).

Prints one line per (backend, kind, size, threads): Gsamples/s of each tree
and new/old. Kinds: raw words (``random_bits_`` into the buffer's memory as
uint32), uniform [-1, 1), normal, truncated normal at +-2 sigma (Keras and
JAX) and at +-100 sigma (``trunc_normal_(std=0.02)`` of PyTorch: a=-2, b=2
in absolute units), float32, as ``random_bits_``, ``random_uniform_``,
``random_normal_`` and ``truncated_normal_`` fill them.
"""

import argparse
import hashlib
import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np


def numba_cache_dir(trees):
    """A cache directory named after the Numba sources of both trees.

    Numba checks a cached kernel against its own file only, not against the
    helpers it inlined: a directory per version of the sources never serves
    a kernel built from helpers that have changed since.
    """
    digest = hashlib.sha256()
    for tree in trees:
        for path in sorted((Path(tree) / "fastinit").glob(NUMBA_SOURCES)):
            digest.update(path.name.encode() + path.read_bytes())
    return Path.home() / ".cache" / "fastinit-ab-trees" / digest.hexdigest()[:16]


# the Numba kernels' sources: fastinit/_engine/_numba/ now, fastinit/_numba/ before 0.2
NUMBA_SOURCES = "**/_numba/*.py"

KINDS = {
    "bits": lambda m, b, kw: m.random_bits_(b.view(np.uint32), seed=1, **kw),
    "uniform": lambda m, b, kw: m.random_uniform_(b, seed=1, minval=-1.0, maxval=1.0, **kw),
    "normal": lambda m, b, kw: m.random_normal_(b, seed=1, **kw),
    "truncated": lambda m, b, kw: m.truncated_normal_(b, seed=1, **kw),
    "trunc100": lambda m, b, kw: m.truncated_normal_(b, seed=1, stddev=0.02, lower=-100.0,
                                                     upper=100.0, **kw),
}


def load(alias, tree):
    """The package ``fastinit`` of checkout `tree`, imported as `alias`."""
    root = Path(tree).resolve() / "fastinit"
    spec = importlib.util.spec_from_file_location(alias, root / "__init__.py",
                                                  submodule_search_locations=[str(root)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def backends_of(package):
    """The module that picks a tree's backend (``_engine.backends``; ``_backend`` before 0.2)."""
    new_layout = (Path(package.__file__).parent / "_engine").is_dir()
    name = "_engine.backends" if new_layout else "_backend"
    return importlib.import_module(f"{package.__name__}.{name}")


# Seconds of rest before every timed fill. After a parallel region GNU OpenMP's
# threads spin for a while (GOMP_SPINCOUNT) before they sleep: an OpenMP tree
# would hold the CPUs the other tree's threads are waking on, and its own
# threads would start hot. Each fill starts from sleeping threads, as fills
# separated by other work do.
PAUSE = 0.02


def median_rate(times, size):
    return size / float(np.median(times)) / 1e9


def compare(old, new, backend, kind, size_log2, threads, rounds):
    buf = np.empty(2**size_log2, np.float32)
    kw = dict(n_threads=threads, backend=backend)
    fill = KINDS[kind]
    for module in (old, new):  # first calls: kernels compiled or loaded, pages touched
        fill(module, buf, kw)
    times = {"old": [], "new": []}
    for r in range(rounds):
        order = (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old))
        for name, module in order:
            time.sleep(PAUSE)
            start = time.perf_counter()
            fill(module, buf, kw)
            times[name].append(time.perf_counter() - start)
    return median_rate(times["old"], buf.size), median_rate(times["new"], buf.size)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--backend", nargs="+", default=["numba", "cython"],
                        choices=["numba", "cython"])
    parser.add_argument("--threads", nargs="+", type=int, default=[2])
    parser.add_argument("--sizes", nargs="+", type=int, default=[26, 28],
                        help="log2 of the element counts (default 26 28)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    args = parser.parse_args(argv)
    # before the first Numba fill imports numba, which reads it once
    os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir([args.old, args.new])))
    old = load("fi_old", args.old)
    new = load("fi_new", args.new)
    # a tree that imports its Cython kernels by absolute name (0.1.0 did) gets the old one's
    sys.modules.setdefault("fastinit", old)
    # A Cython module also registers under the name it was compiled with
    # (fastinit._engine._cython._kernels_v4): the old tree's must load first, or its
    # absolute import would find the new tree's kernels.
    for module in (old, new):
        backends_of(module).cython_available()
    print(f"old {args.old}  new {args.new}  float32, medians of {args.rounds} alternating rounds")
    for backend in args.backend:
        for size in args.sizes:
            for threads in args.threads:
                for kind in args.kinds:
                    a, b = compare(old, new, backend, kind, size, threads, args.rounds)
                    print(f"{backend:6s} {kind:9s} 2**{size} {threads} thread(s): "
                          f"old {a:.3f}  new {b:.3f} Gs/s  new/old {b / a:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
