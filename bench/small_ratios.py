"""Small fills against the call a NumPy or PyTorch user writes, alternating in one process.

    python bench/small_ratios.py [--rounds 41] [--calls 200]

Each pair runs its two sides in turn every round (fastinit first in even
rounds, the peer first in odd ones), ``--calls`` calls per side and round; the
ratio of the medians is printed. On a shared machine a sequential benchmark
(all rounds of one side, then all of the other) can see one side in a busy
phase and the other in a quiet one; alternating exposes both to the same.
Pairs: ``he_uniform_`` on 64 x 64 float32 against ``Generator.random(out=)``;
``fastinit.torch.kaiming_uniform_`` against torch's on a 64 x 64 tensor;
``init_module`` on 500 ``Linear(64, 64)`` (1,000 tensors) against every
module's ``reset_parameters`` (one call per side and round).
"""

import argparse
import sys
import time

import numpy as np

import fastinit

SHAPE = (64, 64)
LAYERS = 500


def pairs():
    """{name: (fastinit side, peer side, calls per round scale)}."""
    buf = np.empty(SHAPE, np.float32)
    rng = np.random.default_rng(0)
    found = {"he_uniform_ 64x64 / Generator.random(out=)": (
        lambda: fastinit.he_uniform_(buf, seed=0),
        lambda: rng.random(out=buf, dtype=np.float32), 1.0)}
    try:
        import torch
    except ImportError:
        return found
    import fastinit.torch as fit

    t = torch.empty(SHAPE)
    net = torch.nn.Sequential(*[torch.nn.Linear(*SHAPE) for _ in range(LAYERS)])

    def reset():
        for m in net:
            m.reset_parameters()

    found["fastinit.torch.kaiming_uniform_ 64x64 / torch's"] = (
        lambda: fit.kaiming_uniform_(t, a=5**0.5, seed=0),
        lambda: torch.nn.init.kaiming_uniform_(t, a=5**0.5), 1.0)
    found[f"init_module {LAYERS} Linear(64, 64) / reset_parameters"] = (
        lambda: fit.init_module(net, seed=0), reset, 0.0)
    return found


def measure(rounds, calls):
    """{name: (fastinit median s, peer median s)} per call."""
    found = pairs()
    times = {name: ([], []) for name in found}
    for name, (ours, theirs, scale) in found.items():
        n = max(1, int(calls * scale))
        ours(), theirs()  # first calls: kernels loaded, caches warm
        for r in range(rounds):
            order = (0, 1) if r % 2 == 0 else (1, 0)
            for side in order:
                fn = (ours, theirs)[side]
                t = time.perf_counter()
                for _ in range(n):
                    fn()
                times[name][side].append((time.perf_counter() - t) / n)
    return {name: (float(np.median(a)), float(np.median(b))) for name, (a, b) in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args(argv)
    print(f"medians of {args.rounds} alternating rounds; time per call; fastinit / peer")
    for name, (ours, theirs) in measure(args.rounds, args.calls).items():
        print(f"{name:58s} {ours * 1e6:10.1f} us {theirs * 1e6:10.1f} us  {ours / theirs:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
