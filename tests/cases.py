"""The one registry of public initializers: parity, determinism, distribution,
validation, fan and documentation tests use it.

Each ``Case`` is one public function with the arguments it is called with and
what its output must follow. ``test_registry.py`` fails when a public function
that fills a buffer (anything in ``fastinit.__all__`` whose first parameter is
``out``) has no row. To add an initializer, add a row:

- ``kind`` says how it is checked: ``"constant"`` (no seed: every element is
  ``value``), ``"bits"`` (uint32 words), ``"uniform"`` (half-open support),
  ``"normal"``, ``"truncated"`` (closed support), ``"other"`` (random, not a
  one-dimensional law: parity and determinism only), ``"structured"`` (no
  seed, not one value everywhere: only the fill itself is checked here);
- ``exact(fan_in, fan_out)`` returns the exact ``scipy.stats`` law of one
  element for a full shape with these fans (None for "constant", "bits" and
  "other"); rows of ``variance_scaling_`` and rows with ``vs`` get it from
  their variance-scaling arguments;
- ``vs``: for a named specialization of ``variance_scaling_`` (Glorot, He,
  LeCun), the ``(scale, mode, distribution)`` it equals byte for byte;
- ``dtypes``: the output dtypes it supports (default: the four float formats);
- ``ndim``: the fewest and most axes (None: no limit) of the full shape it takes.

The tests of arguments (``test_validation.py``) take every row's function and
choose the checks from its signature (``seed``, ``full_shape``, ``in_axis``).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from conftest import DTYPES, require

INF = math.inf
TN = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2] (Keras/JAX)
VS_DEFAULTS = dict(scale=1.0, mode="fan_in", distribution="truncated_normal")


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    kind: str
    kwargs: dict = field(default_factory=dict)
    exact: Callable | None = None
    value: float | None = None  # "constant": the value every element takes
    dtypes: tuple = tuple(DTYPES)
    vs: tuple | None = None  # (scale, mode, distribution) of a named specialization
    ndim: tuple = (0, None)  # (fewest, most) axes of the full shape

    def takes_ndim(self, n):
        lo, hi = self.ndim
        return lo <= n and (hi is None or n <= hi)

    def __post_init__(self):
        if self.exact is None and self.variance_scaling is not None:
            object.__setattr__(self, "exact", _vs_law(*self.variance_scaling))

    @property
    def random(self):
        return self.kind not in ("constant", "structured")

    @property
    def variance_scaling(self):
        """``(scale, mode, distribution)`` of the ``variance_scaling_`` call this row makes."""
        if self.name == "variance_scaling_":
            kw = {**VS_DEFAULTS, **self.kwargs}
            return kw["scale"], kw["mode"], kw["distribution"]
        return self.vs

    def call(self, out, **kw):
        """Fill ``out``; ``kw`` adds seed, stream, geometry and backend (random rows only)."""
        import fastinit

        func = getattr(fastinit, self.name)
        if not self.random:
            return func(out, **self.kwargs)
        return func(out, **self.kwargs, **kw)


def _stats():
    return require("scipy.stats")  # the exact laws only: the other tests run without scipy


def truncnorm_cdf(lower, upper):
    """CDF of N(0, 1) truncated to [lower, upper], vectorized from scipy's log_ndtr.

    scipy.stats.truncnorm's own cdf takes seconds on 2**20 points in a far
    tail; this one agrees with it to 1e-12 (tests/test_tails.py checks).
    """
    special = require("scipy.special")
    flip = lower + upper > 0  # work on the side where Phi is small, not near 1
    a, b = (-upper, -lower) if flip else (lower, upper)
    log_a, log_b = special.log_ndtr(a), special.log_ndtr(b)

    def below(x):  # P(a <= Z <= x) / P(a <= Z <= b), in logs: nothing underflows
        log_x = special.log_ndtr(x)
        return np.exp(log_x - log_b) * np.expm1(log_a - log_x) / np.expm1(log_a - log_b)

    return (lambda x: 1.0 - below(-np.asarray(x, np.float64))) if flip else below


def cdf(law):
    """The CDF of a frozen scipy law, through truncnorm_cdf for a truncated normal."""
    if law.dist.name != "truncnorm":
        return law.cdf
    (a, b), loc, scale = law.args, law.kwds.get("loc", 0.0), law.kwds.get("scale", 1.0)
    standard = truncnorm_cdf(a, b)
    return lambda x: standard((np.asarray(x, np.float64) - loc) / scale)


def _trunc(a, b, std=1.0, mean=0.0):
    return lambda fi, fo: _stats().truncnorm(a, b, loc=mean, scale=std)


FANS = {
    "fan_in": lambda fi, fo: fi,
    "fan_out": lambda fi, fo: fo,
    "fan_avg": lambda fi, fo: (fi + fo) / 2,
    "fan_geo_avg": lambda fi, fo: math.sqrt(fi * fo),
}


def _vs_law(scale, mode, distribution):
    """The law of ``variance_scaling_`` (JAX's definitions: "normal" is not truncated)."""
    def law(fi, fo):
        var = scale / FANS[mode](fi, fo)
        if distribution == "uniform":
            b = math.sqrt(3 * var)
            return _stats().uniform(-b, 2 * b)
        if distribution == "truncated_normal":
            return _stats().truncnorm(-2, 2, scale=math.sqrt(var) / TN)
        return _stats().norm(0, math.sqrt(var))
    return law


CASES = [
    Case("zeros_", "zeros_", "constant", value=0.0),
    Case("ones_", "ones_", "constant", value=1.0),
    Case("constant_", "constant_", "constant", dict(value=-0.375), value=-0.375),
    Case("random_bits_", "random_bits_", "bits", dtypes=(np.dtype(np.uint32),)),
    Case("random_uniform_", "random_uniform_", "uniform", dict(minval=-0.3, maxval=0.7),
         lambda fi, fo: _stats().uniform(-0.3, 1.0)),
    Case("random_normal_", "random_normal_", "normal", dict(mean=0.5, stddev=2.0),
         lambda fi, fo: _stats().norm(0.5, 2.0)),
    Case("truncated_normal_", "truncated_normal_", "truncated", dict(mean=0.1, stddev=0.7),
         _trunc(-2, 2, 0.7, 0.1)),
    Case("truncated_asym", "truncated_normal_", "truncated",
         dict(lower=-1.0, upper=4.5, stddev=1.0), _trunc(-1.0, 4.5)),
    # by rejection (mass >= 0.95): +-3 sigma, a half-infinite interval, and +-100 sigma,
    # where no value is ever rejected (the normal fill's values); [-1, 3] (mass 0.84)
    # stays on the inverse CDF
    Case("truncated_3sigma", "truncated_normal_", "truncated",
         dict(lower=-3.0, upper=3.0, mean=-0.2, stddev=1.3), _trunc(-3.0, 3.0, 1.3, -0.2)),
    Case("truncated_reject_half_inf", "truncated_normal_", "truncated",
         dict(lower=-1.8, upper=INF, stddev=0.5), _trunc(-1.8, INF, 0.5)),
    Case("truncated_100sigma", "truncated_normal_", "truncated",
         dict(lower=-100.0, upper=100.0, stddev=0.02), _trunc(-100.0, 100.0, 0.02)),
    Case("truncated_m1_3", "truncated_normal_", "truncated",
         dict(lower=-1.0, upper=3.0, mean=0.25, stddev=0.5), _trunc(-1.0, 3.0, 0.5, 0.25)),
    Case("truncated_tail", "truncated_normal_", "truncated",
         dict(lower=2.5, upper=6.0, stddev=1.0), _trunc(2.5, 6.0)),
    Case("truncated_far_tail", "truncated_normal_", "truncated",
         dict(lower=5.0, upper=8.0, stddev=1.0), _trunc(5.0, 8.0)),
    Case("truncated_lower_tail", "truncated_normal_", "truncated",
         dict(lower=-INF, upper=-3.0, mean=0.5, stddev=2.0), _trunc(-INF, -3.0, 2.0, 0.5)),
    Case("truncated_half_normal", "truncated_normal_", "truncated",
         dict(lower=0.0, upper=INF, stddev=1.0), _trunc(0.0, INF)),
    Case("glorot_uniform_", "glorot_uniform_", "uniform", vs=(1.0, "fan_avg", "uniform")),
    Case("glorot_normal_", "glorot_normal_", "truncated",
         vs=(1.0, "fan_avg", "truncated_normal")),
    Case("he_uniform_", "he_uniform_", "uniform", vs=(2.0, "fan_in", "uniform")),
    Case("he_normal_", "he_normal_", "truncated", vs=(2.0, "fan_in", "truncated_normal")),
    Case("lecun_uniform_", "lecun_uniform_", "uniform", vs=(1.0, "fan_in", "uniform")),
    Case("lecun_normal_", "lecun_normal_", "truncated", vs=(1.0, "fan_in", "truncated_normal")),
    Case("variance_scaling_normal", "variance_scaling_", "normal",
         dict(scale=3.0, mode="fan_avg", distribution="normal")),
    Case("variance_scaling_geo_uniform", "variance_scaling_", "uniform",
         dict(scale=0.5, mode="fan_geo_avg", distribution="uniform")),
    Case("variance_scaling_fan_out", "variance_scaling_", "truncated",
         dict(scale=1.5, mode="fan_out")),
    # orthogonal_: a QR of a normal fill, not one law per element (tests/test_matrices.py
    # checks orthogonality); identity_: a fixed matrix (tests/test_matrices.py)
    Case("orthogonal_", "orthogonal_", "other", dict(gain=1.5), ndim=(2, None)),
    Case("identity_", "identity_", "structured", dict(gain=2.0), ndim=(2, 2)),
]

BY_ID = {case.id: case for case in CASES}
RANDOM = [case for case in CASES if case.random]
FLOAT_RANDOM = [case for case in RANDOM if case.kind != "bits"]
WITH_LAW = [case for case in CASES if case.exact is not None]
# the named specializations of variance_scaling_: name -> (scale, mode, distribution)
SPECIALIZATIONS = {case.name: case.vs for case in CASES if case.vs is not None}


def ids(cases):
    return [case.id for case in cases]


def case_dtype_pairs(cases, dtypes=None):
    """``(case, dtype)`` for every dtype the case supports (optionally among ``dtypes``)."""
    pairs = []
    for case in cases:
        for dtype in case.dtypes:
            if dtypes is None or np.dtype(dtype) in [np.dtype(d) for d in dtypes]:
                pairs.append((case, np.dtype(dtype)))
    return pairs


def pair_id(pair):
    case, dtype = pair
    return f"{case.id}-{dtype.name}"
