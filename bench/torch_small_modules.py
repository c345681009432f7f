"""Ratios of fastinit to torch on many small tensors, measured alternating in one process.

    PYTHONPATH=. python bench/torch_small_modules.py [ROUNDS]

Prints the median time of init_module on 500 x torch.nn.Linear(64, 64) (1000
tensors) against torch's own reset_parameters on the same modules, and of
fastinit.torch.kaiming_uniform_ against torch.nn.init.kaiming_uniform_ on a
64x64 tensor (100 calls per round), with their ratios. Rounds alternate
(A B C D, A B C D, ...), so a shared, noisy machine slows both sides alike.
"""

import math
import statistics
import sys
import time

import torch

import fastinit.torch as fit


def main(rounds=31):
    torch.set_num_threads(1)
    net = torch.nn.Sequential(*[torch.nn.Linear(64, 64) for _ in range(500)])
    w = torch.empty(64, 64)

    def reset():
        for m in net:
            m.reset_parameters()

    def init():
        fit.init_module(net, seed=0, n_threads=1)

    def theirs():
        for _ in range(100):
            torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))

    def ours():
        for _ in range(100):
            fit.kaiming_uniform_(w, a=math.sqrt(5), seed=0, stream="w")

    runs = (reset, init, theirs, ours)
    times = {f.__name__: [] for f in runs}
    for f in runs:
        f()
    for _ in range(rounds):
        for f in runs:
            start = time.perf_counter()
            f()
            times[f.__name__].append(time.perf_counter() - start)
    m = {k: statistics.median(v) for k, v in times.items()}
    print(f"500 x Linear(64, 64): reset_parameters {m['reset'] * 1e3:.2f} ms, init_module "
          f"{m['init'] * 1e3:.2f} ms: ratio {m['init'] / m['reset']:.2f}")
    print(f"kaiming_uniform_ 64x64: torch {m['theirs'] * 1e4:.2f} us, fastinit "
          f"{m['ours'] * 1e4:.2f} us: ratio {m['ours'] / m['theirs']:.2f}")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
