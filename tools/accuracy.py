"""Print the max error of each own approximation (the figures in docs/contract.md).

Run: python tools/accuracy.py   (needs scipy; takes ~15 s)
"""

import pathlib
import sys

import numpy as np
from scipy import special

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
import reference  # noqa: E402

from fastinit._engine import constants  # noqa: E402


def _report(name, err):
    print(f"{name}: {err}")


def main():
    u = np.arange(1, 2**24 + 1, dtype=np.float64) * 2.0**-24
    got = reference.log_f32(u.astype(np.float32)).astype(np.float64)
    ex = np.log(u)
    nz = ex != 0
    rel = np.max(abs(got[nz] - ex[nz]) / abs(ex[nz]))
    _report("log f32, all 2**24 Box-Muller inputs", f"max rel err {rel:.2e}")
    x = np.random.default_rng(0).random(2**22)
    rel = np.max(abs(reference.log_f64(x) - np.log(x)) / abs(np.log(x)))
    _report("log f64, 2**22 random inputs", f"max rel err {rel:.2e}")
    k = np.arange(2**22, dtype=np.int64) - 2**21
    t = np.float32(k) * np.float32(constants.ANGLE_SCALE_F32)
    s, c = reference.sincos(t, np.float32)
    t64 = t.astype(np.float64)
    _report("sincos f32, all 2**22 angles", f"max abs err sin {np.max(abs(s - np.sin(t64))):.2e}, "
            f"cos {np.max(abs(c - np.cos(t64))):.2e}")
    t = np.linspace(-np.pi / 4, np.pi / 4, 2**22)
    s, c = reference.sincos(t, np.float64)
    _report("sincos f64, 2**22 angles", f"max abs err sin {np.max(abs(s - np.sin(t))):.2e}, "
            f"cos {np.max(abs(c - np.cos(t))):.2e}")
    x = np.arange(-(2**23) + 1, 2**23, dtype=np.float64) * 2.0**-23
    e = reference.erfinv_f32(x.astype(np.float32)).astype(np.float64)
    ex = special.erfinv(x)
    rel = np.max(abs(e - ex) / np.maximum(abs(ex), 1e-300))
    _report("erfinv f32, all 2**24-1 inputs k/2**23",
            f"max abs err {np.max(abs(e - ex)):.2e}, max rel err {rel:.2e}")
    x = np.linspace(-1 + 2.0**-52, 1 - 2.0**-52, 2**22)
    e = reference.erfinv_f64(x)
    ex = special.erfinv(x)
    _report("erfinv f64, 2**22 inputs", f"max rel err {np.max(abs(e - ex) / abs(ex)):.2e}")


if __name__ == "__main__":
    main()
