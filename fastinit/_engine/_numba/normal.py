"""Normal samples by Box-Muller: a pair of elements shares a pair of uniforms.

Mirror: ``fastinit/_engine/_cython/normal.pxd`` (same names, arguments and numbered
steps). Element ``2j`` takes the cosine branch, ``2j+1`` the sine branch;
float32 uses one word per element, float64 two. Structure as in
``uniform.py``: heads and tails one block per element, whole blocks in
batches, one transform loop per output format.
"""

import numpy as np
from numba import njit

from . import _NUMBA_OPTS, stack_empty
from .chunks import FMT_BF16, FMT_F16, batch_count, head_len, store, word_pair
from .philox import PHILOX_BATCH, PHILOX_WORDS, R1, R2, R3, philox_batch, philox_block
from .transforms import U64, box_muller_f32, box_muller_f64, f32_to_bf16_bits, f32_to_f16_bits


@njit(**_NUMBA_OPTS)
def normal_batch_f32(out, words, mean, std, fmt):
    # (3) each pair of words -> Box-Muller -> two normals; (4) scale, shift and store
    if fmt == FMT_BF16:
        for j in range(out.size // 4):
            z0, z1 = box_muller_f32(words[j], words[R1 + j])
            z2, z3 = box_muller_f32(words[R2 + j], words[R3 + j])
            out[4 * j] = f32_to_bf16_bits(mean + std * z0)
            out[4 * j + 1] = f32_to_bf16_bits(mean + std * z1)
            out[4 * j + 2] = f32_to_bf16_bits(mean + std * z2)
            out[4 * j + 3] = f32_to_bf16_bits(mean + std * z3)
    elif fmt == FMT_F16:
        for j in range(out.size // 4):
            z0, z1 = box_muller_f32(words[j], words[R1 + j])
            z2, z3 = box_muller_f32(words[R2 + j], words[R3 + j])
            out[4 * j] = f32_to_f16_bits(mean + std * z0)
            out[4 * j + 1] = f32_to_f16_bits(mean + std * z1)
            out[4 * j + 2] = f32_to_f16_bits(mean + std * z2)
            out[4 * j + 3] = f32_to_f16_bits(mean + std * z3)
    else:
        for j in range(out.size // 4):
            z0, z1 = box_muller_f32(words[j], words[R1 + j])
            z2, z3 = box_muller_f32(words[R2 + j], words[R3 + j])
            out[4 * j] = mean + std * z0
            out[4 * j + 1] = mean + std * z1
            out[4 * j + 2] = mean + std * z2
            out[4 * j + 3] = mean + std * z3


@njit(**_NUMBA_OPTS)
def normal_batch_f64(out, words, mean, std):
    for j in range(out.size // 2):
        # (3) four words -> Box-Muller -> two normals; (4) scale, shift and store
        z0, z1 = box_muller_f64(words[j], words[R1 + j], words[R2 + j], words[R3 + j])
        out[2 * j] = mean + std * z0
        out[2 * j + 1] = mean + std * z1


@njit(**_NUMBA_OPTS)
def normal_run_f32(out, key0, key1, stream0, stream1, g0, step, mean, std, fmt):
    n = out.size
    h = head_len(g0, n, 4) if step == 1 else n
    for m in range(h):
        g = g0 + m * step
        w0, w1 = word_pair(g & ~1, key0, key1, stream0, stream1)
        z0, z1 = box_muller_f32(w0, w1)
        store(out, m, mean + std * (z0 if (g & 1) == 0 else z1), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    words = stack_empty(PHILOX_WORDS, np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) four words = two pairs, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        normal_batch_f32(out[h + 4 * jb:h + 4 * min(nb, jb + PHILOX_BATCH)], words,
                         mean, std, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w0, w1 = word_pair(g & ~1, key0, key1, stream0, stream1)
        z0, z1 = box_muller_f32(w0, w1)
        store(out, m, mean + std * (z0 if (g & 1) == 0 else z1), fmt)


@njit(**_NUMBA_OPTS)
def normal_run_f64(out, key0, key1, stream0, stream1, g0, step, mean, std):
    n = out.size
    h = head_len(g0, n, 2) if step == 1 else n
    for m in range(h):
        g = g0 + m * step
        b = philox_block(U64(g >> 1), key0, key1, stream0, stream1)
        z0, z1 = box_muller_f64(b[0], b[1], b[2], b[3])
        out[m] = mean + std * (z0 if (g & 1) == 0 else z1)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    words = stack_empty(PHILOX_WORDS, np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) four words = one pair, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        normal_batch_f64(out[h + 2 * jb:h + 2 * min(nb, jb + PHILOX_BATCH)], words, mean, std)
    for m in range(h + 2 * nb, n):
        g = g0 + m
        b = philox_block(U64(g >> 1), key0, key1, stream0, stream1)
        z0, z1 = box_muller_f64(b[0], b[1], b[2], b[3])
        out[m] = mean + std * (z0 if (g & 1) == 0 else z1)
