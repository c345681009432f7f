"""Accuracy of the own approximations, measured exhaustively where feasible.

The kernels equal tests/reference.py bit for bit (test_backend_parity.py), so
measuring the reference measures both backends. The bounds asserted here are
the ones docs/contract.md documents.
"""

import numpy as np
import reference
from conftest import require

from fastinit._engine import constants


def test_log_f32_all_box_muller_inputs():
    u = np.arange(1, 2**24 + 1, dtype=np.float64) * 2.0**-24  # every u1 in (0, 1]
    got = reference.log_f32(u.astype(np.float32)).astype(np.float64)
    exact = np.log(u)
    nz = exact != 0
    assert got[~nz].tolist() == [0.0]  # log(1) is exactly 0
    assert np.max(np.abs(got[nz] - exact[nz]) / np.abs(exact[nz])) < 1.0e-7


def test_log_f64():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.random(2**20), (np.arange(1, 2**20) * 2.0**-53),
                        1 - np.arange(1, 2**16) * 2.0**-53])
    got = reference.log_f64(x)
    exact = np.log(x)
    assert np.max(np.abs(got - exact) / np.abs(exact)) < 4e-16


def test_sincos_f32_every_angle():
    k = np.arange(2**22, dtype=np.int64) - 2**21  # every Box-Muller angle offset
    theta = np.float32(k) * np.float32(constants.ANGLE_SCALE_F32)
    s, c = reference.sincos(theta, np.float32)
    t = theta.astype(np.float64)
    assert np.max(np.abs(s - np.sin(t))) < 1e-7
    assert np.max(np.abs(c - np.cos(t))) < 1e-7


def test_sincos_f64():
    theta = np.linspace(-np.pi / 4, np.pi / 4, 2**21)
    s, c = reference.sincos(theta, np.float64)
    assert np.max(np.abs(s - np.sin(theta))) < 2.3e-16
    assert np.max(np.abs(c - np.cos(theta))) < 2.3e-16


def test_erfinv_f32_every_grid_input():
    special = require("scipy.special")
    x = np.arange(-(2**23) + 1, 2**23, dtype=np.float64) * 2.0**-23  # |x| < 1, step 2**-23
    got = reference.erfinv_f32(x.astype(np.float32)).astype(np.float64)
    exact = special.erfinv(x)
    assert np.max(np.abs(got - exact)) < 1e-6
    assert np.all(np.diff(got) >= 0)  # monotone
    assert np.array_equal(got, -got[::-1])  # exactly antisymmetric


def test_erfinv_f32_central_branch_is_exact_subset():
    # the kernels skip the tail polynomial when |x| <= ERFINV_F32_CENTRAL_MAX_X:
    # that must not change a bit
    x = np.linspace(-constants.ERFINV_F32_CENTRAL_MAX_X, constants.ERFINV_F32_CENTRAL_MAX_X, 2**20,
                    dtype=np.float32)
    a = reference.erfinv_f32(x, tails=False)
    b = reference.erfinv_f32(x, tails=True)
    assert a.tobytes() == b.tobytes()


def test_erfinv_f64():
    special = require("scipy.special")
    x = np.concatenate([np.linspace(-1 + 2.0**-52, 1 - 2.0**-52, 2**21),
                        1 - np.logspace(-15, -1, 2**14)])
    got = reference.erfinv_f64(x)
    exact = special.erfinv(x)
    assert np.max(np.abs(got - exact) / np.abs(exact)) < 2e-15


def test_mills_ratio_for_the_far_tails():
    special = require("scipy.special")
    # Cody's erfcx through both branches (z/sqrt2 <= 4 and beyond), z from the
    # tail start to 1e6; scipy's erfcx (Faddeeva package) is the yardstick
    z = np.concatenate([np.linspace(constants.TAIL_START, 8.0, 2**16),
                        np.geomspace(8.0, 1e6, 2**12)])
    exact = np.sqrt(np.pi / 2) * special.erfcx(z / np.sqrt(2))
    assert np.max(np.abs(reference.mills(z) / exact - 1)) < 1.5e-15


def test_tail_inverse_solves_its_equation():
    special = require("scipy.special")
    # Q(z) = Q(a) * r with r = (1-u) + u*Q(b)/Q(a): checked in log space with
    # scipy's log_ndtr, |error in z| below 1e-14 relative over the whole tail range
    for a, b in ((2.0, 2.5), (2.0, np.inf), (5.0, 8.0), (30.0, 31.0), (1e3, np.inf)):
        d, log_ma = reference.tail_constants(a, b)
        u = np.concatenate([np.linspace(0, 1, 4097)[1:-1], 1 - 2.0 ** -np.arange(10, 54)])
        z = reference.tail_z(u, a, d, log_ma)
        r = (1 - u) + u * d
        err = special.log_ndtr(-z) - special.log_ndtr(-a) - np.log(r)
        # d log Q / dz = -1/M(z): turn the log error into an error in z
        assert np.max(np.abs(err * reference.mills(z)) / z) < 1e-14, (a, b)
