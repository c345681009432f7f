"""Compile one group of Numba kernels for every output format, filling Numba's cache.

``python tests/numba_warm.py {0,1}``: conftest runs both groups at once
before pytest-xdist starts its workers, so the workers load the kernels from
the on-disk cache instead of each compiling the same ones at the same time.
"""

import sys

import numpy as np

import fastinit
from fastinit._engine import formats

BF16 = formats.BFLOAT16  # shares float16's uint16 kernels
# one public fill per Numba kernel, with the arguments that reach it
FILLS = {
    "uniform": (fastinit.random_uniform_, {}),
    "normal": (fastinit.random_normal_, {}),
    "reject": (fastinit.truncated_normal_, {}),
    "truncated": (fastinit.truncated_normal_, {"lower": -1.0, "upper": 3.0}),
    "tail": (fastinit.truncated_normal_, {"lower": 3.0, "upper": 4.0}),
    "bits": (fastinit.random_bits_, {}),
}
# (kernel, dtype) pairs in two groups of about equal compile time (measured
# cold: truncated 10, 5 and 6 s for float32, float64 and bfloat16; rejection
# 14, 8, 8; normal 6, 4, 4; uniform and the far tail 3-5 s each; bits 1 s)
GROUPS = (
    [*(("truncated", d) for d in (np.float32, np.float64, BF16)), ("reject", np.float64),
     ("normal", np.float32), ("bits", np.uint32), ("uniform", np.float32)],
    [*(("reject", d) for d in (np.float32, BF16)),
     *((k, d) for k in ("uniform", "tail") for d in (np.float64, BF16)), ("tail", np.float32),
     ("normal", np.float64), ("normal", BF16)],
)

if __name__ == "__main__":
    for kernel, dtype in GROUPS[int(sys.argv[1])]:
        fill, kwargs = FILLS[kernel]
        fill(np.empty(64, dtype), seed=0, backend="numba", **kwargs)
