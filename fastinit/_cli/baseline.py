"""The NumPy baseline: what a NumPy user writes to fill the same buffers.

NumPy's ``Generator`` (PCG64) draws into the buffer with ``out=``, then the
scaling passes run in place; a truncated normal resamples what fell outside
±2σ. Used by the main job's comparison and by ``bench``'s NumPy peers.
"""

import numpy as np


def numpy_uniform(out, rng, bound):
    """U(-bound, bound): ``random(out=)``, then scaling in place."""
    rng.random(out=out, dtype=out.dtype)
    out *= 2.0 * bound
    out -= bound


def numpy_normal(out, rng, std, *, truncated=False):
    """N(0, std**2) with ``standard_normal(out=)``; truncated at ±2σ by resampling."""
    rng.standard_normal(out=out, dtype=out.dtype)
    if truncated:
        flat = out.reshape(-1)  # a view: out is contiguous
        bad = np.flatnonzero(np.abs(flat) > 2.0)
        while bad.size:  # resample what fell outside ±2σ
            flat[bad] = rng.standard_normal(bad.size, dtype=out.dtype)
            bad = bad[np.abs(flat[bad]) > 2.0]
    out *= std
