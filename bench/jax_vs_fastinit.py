"""fastinit.jax against jax.nn.initializers: time, and bfloat16 quality.

    python bench/jax_vs_fastinit.py [--size 8192] [--repeats 5] [--devices 8]

For he_normal on a (size, size) weight, float32 and bfloat16, wall and CPU times
(medians of ``--repeats``, the variants alternating in every round so a
shared machine slows them alike):

- ``fastinit.jax.he_normal()(key, shape)`` and ``jax.nn.initializers.he_normal()``
  called the same way (eager), and the latter under ``jax.jit``;
- ``fastinit.jax.make_array`` on a ``NamedSharding`` over ``--devices`` host CPU
  devices (rows split) and ``jax.jit(init, out_shardings=...)`` on the same.

Then, for each bfloat16 output: the number of distinct values and the
Kolmogorov-Smirnov distance to the exact distribution (the truncated normal
rounded to bfloat16, so an exact sampler scores only its sampling noise,
about 1/sqrt(n)).
"""

import argparse
import os
import statistics
import sys
import time


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=8192, help="rows = columns (default 8192)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--devices", type=int, default=8,
                        help="host CPU devices for the sharded rows (default 8)")
    return parser.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
# must precede the first import of jax
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + f" --xla_force_host_platform_device_count={ARGS.devices}")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
import scipy.stats  # noqa: E402
from jax.sharding import NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import fastinit.jax as fj  # noqa: E402

SEED = 0


def variants(shape, dtype, sharding):
    key = jax.random.key(SEED)
    jax_init = jax.nn.initializers.he_normal()
    jitted = jax.jit(jax_init, static_argnums=(1, 2))
    sharded = jax.jit(jax_init, static_argnums=(1, 2), out_shardings=sharding)
    ours = fj.he_normal()
    return {
        "fastinit.jax.he_normal()(key, shape)": lambda: ours(key, shape, dtype),
        "jax.nn.initializers.he_normal() eager": lambda: jax_init(key, shape, dtype),
        "jax.nn.initializers.he_normal() jit": lambda: jitted(key, shape, dtype),
        "fastinit.jax.make_array (sharded)": lambda: fj.make_array(
            "he_normal", shape, dtype, sharding, seed=SEED),
        "jax jit(out_shardings=...) (sharded)": lambda: sharded(key, shape, dtype),
    }


def time_alternating(funcs, repeats):
    """Median wall and CPU (all threads of the process) seconds of each variant."""
    for f in funcs.values():  # warm up: compilation, first-call costs
        f().block_until_ready()
    wall = {name: [] for name in funcs}
    cpu = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, f in funcs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            f().block_until_ready()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name]))
            for name in funcs}


def bf16_atoms(sigma):
    """Every bfloat16 value in [-2σ, 2σ], ascending, with its probability under the
    ±2σ truncated normal rounded to bfloat16 (round to nearest: the mass between
    the midpoints to its neighbours)."""
    codes = np.arange(2**16, dtype=np.uint32).astype(np.uint16)
    codes = codes[(codes & 0x7F80) != 0x7F80]  # drop inf and nan
    values = np.unique(codes.view(ml_dtypes.bfloat16).astype(np.float64))
    values = values[np.abs(values) <= 2 * sigma]
    edges = np.concatenate([[-np.inf], (values[1:] + values[:-1]) / 2, [np.inf]])
    cdf = scipy.stats.truncnorm.cdf(edges, -2, 2, scale=sigma)
    return values, np.diff(cdf)


def bf16_quality(array, sigma):
    """(distinct values, KS distance to the exact distribution rounded to bfloat16)."""
    codes = np.asarray(array).view(np.uint16).ravel()
    counts = np.bincount(codes, minlength=2**16)
    distinct = int(np.count_nonzero(counts))
    values, probs = bf16_atoms(sigma)
    atom_codes = values.astype(ml_dtypes.bfloat16).view(np.uint16)
    ecdf = np.cumsum(counts[atom_codes]) / codes.size
    assert ecdf[-1] == 1.0, "a value outside [-2σ, 2σ]"
    return distinct, float(np.abs(ecdf - np.cumsum(probs)).max())


def expected_distinct(sigma, n):
    """Distinct values an exact sampler shows in n draws: sum of 1 - (1 - p)**n."""
    _, probs = bf16_atoms(sigma)
    return float(np.sum(-np.expm1(n * np.log1p(-np.minimum(probs, 1 - 1e-16)))))


def main():
    shape = (ARGS.size, ARGS.size)
    mesh = jax.make_mesh((ARGS.devices,), ("x",))
    sharding = NamedSharding(mesh, P("x", None))
    print(f"he_normal {shape}, {ARGS.repeats} rounds alternating, medians; "
          f"{jax.device_count()} CPU devices on {os.cpu_count()} cores; jax {jax.__version__}")
    for dtype in (jnp.float32, jnp.bfloat16):
        funcs = variants(shape, dtype, sharding)
        medians = time_alternating(funcs, ARGS.repeats)
        base, base_cpu = medians["fastinit.jax.he_normal()(key, shape)"]
        print(f"\n{np.dtype(dtype).name}: variant, wall s, CPU s, "
              "each / fastinit.jax.he_normal's")
        for name, (t, c) in medians.items():
            print(f"  {name:40s} {t:7.3f} s {c:7.3f} s  {t / base:5.1f}x {c / base_cpu:5.1f}x")
        if dtype == jnp.bfloat16:
            report_quality(funcs, shape)


def report_quality(funcs, shape):
    n = shape[0] * shape[1]
    sigma = np.sqrt(2.0 / shape[0]) / 0.87962566103423978
    print(f"bfloat16 quality over {n} values: distinct values, KS distance D to the exact "
          f"distribution rounded to bfloat16 (sampling noise alone: ~{1 / np.sqrt(n):.0e})")
    print(f"  {'exact sampler (expected)':40s} {expected_distinct(sigma, n):8.0f}")
    for name in ("fastinit.jax.he_normal()(key, shape)", "jax.nn.initializers.he_normal() jit"):
        distinct, ks = bf16_quality(funcs[name](), sigma)
        print(f"  {name:40s} {distinct:8d}  D = {ks:.1e}")


if __name__ == "__main__":
    main()
