"""The Numba kernels run as plain Python under ``NUMBA_DISABLE_JIT=1``, with the same bits.

A child interpreter with the JIT disabled (every ``@njit`` function is then the
Python it is written in; the intrinsics have Python stand-ins) makes one fill
of each kernel, output format and path (heads and tails of a work item, whole
batches, a batch across the 2**32-block carry, a strided run, two work
items); this process makes the same fills with the compiled kernels, and the
two must agree bit for bit.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import as_bytes

import fastinit
from fastinit._engine import formats

TIMEOUT = 600  # seconds; the child takes about 10

# name -> source of a fill of `out` (a fresh buffer of the given dtype and shape)
FILLS = {
    "bits": ("uint32", (700,), "fastinit.random_bits_(out, seed=5, stream='x', "
                               "full_shape=(1000,), offset=3, backend='numba')"),
    "bits_carry": ("uint32", (600,), "fastinit.random_bits_(out, seed=5, stream=9, "
                                     "full_shape=(4 * 2**32 + 400,), offset=4 * (2**32 - 50) - 1, "
                                     "backend='numba')"),
    "uniform_f32": ("float32", (17000,), "fastinit.random_uniform_(out, seed=5, backend='numba')"),
    "uniform_f64": ("float64", (700,), "fastinit.random_uniform_(out, seed=5, stream=1, "
                                       "full_shape=(900,), offset=1, backend='numba')"),
    "uniform_f16": ("float16", (700,), "fastinit.random_uniform_(out, seed=5, backend='numba')"),
    "normal_f32": ("float32", (700,), "fastinit.random_normal_(out, seed=5, stream='x', "
                                      "full_shape=(1000,), offset=3, backend='numba')"),
    "normal_f64": ("float64", (701,), "fastinit.random_normal_(out, seed=5, backend='numba')"),
    "normal_bf16": ("bfloat16", (700,), "fastinit.random_normal_(out, seed=5, backend='numba')"),
    "normal_f32_strided": ("float32", (30, 31), "fastinit.random_normal_(out, seed=5, "
                                                "full_shape=(40, 41), origin=(3, 5), "
                                                "backend='numba')"),
    "erf_f32": ("float32", (701,), "fastinit.truncated_normal_(out, seed=5, lower=-1.0, "
                                   "upper=3.0, backend='numba')"),
    "erf_f64": ("float64", (701,), "fastinit.truncated_normal_(out, seed=5, lower=-0.5, "
                                   "upper=1.0, backend='numba')"),
    "erf_f16": ("float16", (701,), "fastinit.truncated_normal_(out, seed=5, lower=-1.0, "
                                   "upper=3.0, backend='numba')"),
    "reject_f32": ("float32", (17001,), "fastinit.truncated_normal_(out, seed=5, stddev=0.3, "
                                        "full_shape=(17010,), offset=9, backend='numba')"),
    "reject_f64": ("float64", (701,), "fastinit.truncated_normal_(out, seed=5, lower=-1.8, "
                                      "upper=float('inf'), backend='numba')"),
    "reject_bf16": ("bfloat16", (701,), "fastinit.truncated_normal_(out, seed=5, lower=-3.0, "
                                        "upper=3.0, backend='numba')"),
    "reject_f16_strided": ("float16", (30, 31), "fastinit.truncated_normal_(out, seed=5, "
                                                "full_shape=(40, 41), origin=(3, 5), "
                                                "backend='numba')"),
    "tail_f32": ("float32", (301,), "fastinit.truncated_normal_(out, seed=5, lower=3.0, "
                                    "upper=4.0, backend='numba')"),
    "tail_f64": ("float64", (301,), "fastinit.truncated_normal_(out, seed=5, lower=-9.0, "
                                    "upper=-5.0, backend='numba')"),
}

CHILD = textwrap.dedent("""\
    import sys
    import numpy as np
    import fastinit
    from numba.core import config
    from fastinit._engine import formats
    assert config.DISABLE_JIT
    FILLS = {fills!r}
    found = {{}}
    for name, (dtype, shape, call) in FILLS.items():
        out = np.empty(shape, formats.BFLOAT16 if dtype == "bfloat16" else dtype)
        exec(call)
        found[name] = np.ascontiguousarray(out).view(np.uint8).ravel()
    np.savez(sys.argv[1], **found)
    """)


@pytest.fixture(scope="module")
def without_jit(tmp_path_factory):
    path = tmp_path_factory.mktemp("nojit") / "fills.npz"
    root = os.path.dirname(os.path.dirname(fastinit.__file__))
    env = dict(os.environ, NUMBA_DISABLE_JIT="1",
               PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", CHILD.format(fills=FILLS), str(path)], env=env,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stderr[-5000:]
    return dict(np.load(path))


@pytest.mark.parametrize("name", list(FILLS))
def test_kernels_without_the_jit_give_the_compiled_bits(name, without_jit):
    dtype, shape, call = FILLS[name]
    out = np.empty(shape, formats.BFLOAT16 if dtype == "bfloat16" else dtype)
    exec(call, {"fastinit": fastinit, "out": out})  # the table above
    assert as_bytes(out) == without_jit[name].tobytes()

