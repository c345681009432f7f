"""The drop-ins reject what torch.nn.init rejects, catchable as torch's own exception.

Each case runs torch 2.13's function and fastinit.torch's on the same
arguments. Where torch raises, fastinit raises too, with an exception the
``except`` clause for torch's type catches (a ``ValueError`` that is also a
``RuntimeError``, a ``TypeError`` that is also a ``NotImplementedError``...),
in the house message form or torch's own words. Where torch writes an
infinity or NaN, fastinit raises instead. Where torch accepts finite values
(infinite truncation bounds, a point interval, sparsity above 1), so does
fastinit.
"""

import math
import re
import warnings

import pytest
from conftest import require

torch = require("torch")

import fastinit.torch as fit  # noqa: E402

INF, NAN = math.inf, math.nan
F16, I64, BF16 = torch.float16, torch.int64, torch.bfloat16
# (function, shape, dtype, positional arguments)
CASES = {
    "uniform a > b": ("uniform_", (4, 5), None, (1.0, 0.0)),
    "uniform a == b": ("uniform_", (4, 5), None, (1.0, 1.0)),
    "uniform -inf": ("uniform_", (4, 5), None, (-INF, 1.0)),
    "uniform nan": ("uniform_", (4, 5), None, (NAN, 1.0)),
    "uniform span beyond float32": ("uniform_", (4, 5), None, (-3e38, 3e38)),
    "uniform float16 overflow": ("uniform_", (4, 5), F16, (-1e6, 1e6)),
    "uniform str": ("uniform_", (4, 5), None, ("a", 1.0)),
    "uniform tensor bound": ("uniform_", (4, 5), None, (torch.tensor(0.25), 1.0)),
    "uniform int64": ("uniform_", (4, 5), I64, (0.0, 1.0)),
    "normal std < 0": ("normal_", (4, 5), None, (0.0, -1.0)),
    "normal std 0": ("normal_", (4, 5), None, (0.5, 0.0)),
    "normal std inf": ("normal_", (4, 5), None, (0.0, INF)),
    "normal mean inf": ("normal_", (4, 5), None, (INF, 1.0)),
    "normal std nan": ("normal_", (4, 5), None, (0.0, NAN)),
    "normal int64": ("normal_", (4, 5), I64, ()),
    "trunc a > b": ("trunc_normal_", (4, 5), None, (0.0, 1.0, 2.0, -2.0)),
    "trunc a == b": ("trunc_normal_", (4, 5), None, (0.0, 1.0, 1.0, 1.0)),
    "trunc unbounded": ("trunc_normal_", (4, 5), None, (0.0, 1.0, -INF, INF)),
    "trunc upper tail": ("trunc_normal_", (4, 5), None, (0.0, 1.0, 10.0, INF)),
    "trunc upper half": ("trunc_normal_", (4, 5), None, (0.0, 1.0, 0.0, INF)),
    "trunc std 0": ("trunc_normal_", (4, 5), None, (0.0, 0.0, -2.0, 2.0)),
    "trunc nan": ("trunc_normal_", (4, 5), None, (0.0, 1.0, NAN, 2.0)),
    "trunc far tail": ("trunc_normal_", (4, 5), None, (0.0, 1.0, 10.0, 11.0)),
    "constant inf": ("constant_", (4, 5), None, (INF,)),
    "constant nan": ("constant_", (4, 5), None, (NAN,)),
    "constant float16 overflow": ("constant_", (4, 5), F16, (1e6,)),
    "constant int64 1.5": ("constant_", (4, 5), I64, (1.5,)),
    "constant int64 inf": ("constant_", (4, 5), I64, (INF,)),
    "constant int8 300": ("constant_", (4, 5), torch.int8, (300,)),
    "constant str": ("constant_", (4, 5), None, ("x",)),
    "constant bool": ("constant_", (4, 5), torch.bool, (2,)),
    "xavier gain inf": ("xavier_uniform_", (4, 5), None, (INF,)),
    "xavier gain nan": ("xavier_uniform_", (4, 5), None, (NAN,)),
    "xavier gain < 0": ("xavier_uniform_", (4, 5), None, (-1.0,)),
    "xavier normal gain < 0": ("xavier_normal_", (4, 5), None, (-1.0,)),
    "xavier 1-D": ("xavier_uniform_", (3,), None, ()),
    "xavier empty": ("xavier_uniform_", (0, 0), None, ()),
    "kaiming bad mode": ("kaiming_uniform_", (4, 5), None, (0, "fan_avg")),
    "kaiming bad nonlinearity": ("kaiming_uniform_", (4, 5), None, (0, "fan_in", "gelu")),
    "kaiming a str": ("kaiming_uniform_", (4, 5), None, ("x",)),
    "kaiming a nan": ("kaiming_uniform_", (4, 5), None, (NAN,)),
    "kaiming a inf": ("kaiming_uniform_", (4, 5), None, (INF,)),
    "kaiming normal 1-D": ("kaiming_normal_", (3,), None, ()),
    "kaiming bf16": ("kaiming_normal_", (4, 5), BF16, (0, "fan_out", "relu")),
    "orthogonal gain inf": ("orthogonal_", (4, 5), None, (INF,)),
    "orthogonal 1-D": ("orthogonal_", (3,), None, ()),
    "orthogonal float16": ("orthogonal_", (4, 5), F16, ()),
    "orthogonal bfloat16": ("orthogonal_", (4, 5), BF16, ()),
    "sparse sparsity 2": ("sparse_", (4, 5), None, (2.0,)),
    "sparse sparsity -1": ("sparse_", (4, 5), None, (-1.0,)),
    "sparse std < 0": ("sparse_", (4, 5), None, (0.5, -1.0)),
    "sparse 3-D": ("sparse_", (2, 3, 4), None, (0.5,)),
    "dirac groups 0": ("dirac_", (4, 4, 3), None, (0,)),
    "dirac groups 3": ("dirac_", (4, 4, 3), None, (3,)),
    "eye 3-D": ("eye_", (2, 2, 2), None, ()),
    "eye int64": ("eye_", (2, 3), I64, ()),
}
SEEDLESS = ("constant_", "ones_", "zeros_", "eye_", "dirac_")
HOUSE = re.compile(r" must be |^(Only tensors|Fan in and fan out|Mode |Unsupported nonlinearity|"
                   r"negative_slope|dim 0 must|float division by zero|integer modulo by zero)")


def call(fn, shape, dtype, args, ours):
    t = torch.empty(shape, dtype=dtype or torch.float32)
    if ours:
        seed = {} if fn in SEEDLESS else {"seed": 0}
        return getattr(fit, fn)(t, *args, **seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(torch.nn.init, fn)(t, *args)


def outcome(fn, shape, dtype, args, ours):
    try:
        out = call(fn, shape, dtype, args, ours)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome
        return error
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_drop_in_rejects_what_torch_rejects_with_a_catchable_exception(case):
    fn, shape, dtype, args = CASES[case]
    theirs = outcome(fn, shape, dtype, args, ours=False)
    ours = outcome(fn, shape, dtype, args, ours=True)
    if isinstance(theirs, Exception):
        assert isinstance(ours, type(theirs)), (case, theirs, ours)
        assert HOUSE.search(str(ours)), str(ours)
        return
    finite = theirs.numel() == 0 or not theirs.is_floating_point() or \
        bool(theirs.float().isfinite().all())
    if not finite:  # torch writes inf or nan: fastinit never does
        assert isinstance(ours, ValueError), (case, ours)
        assert isinstance(ours, RuntimeError), (case, ours)
        assert " must be " in str(ours)
        return
    assert not isinstance(ours, Exception), (case, ours)
    assert ours.dtype == theirs.dtype
    assert ours.float().isfinite().all()


@pytest.mark.parametrize(("args", "low", "high"), [((-INF, INF), -INF, INF),
                                                   ((0.0, INF), 0.0, INF),
                                                   ((-INF, -0.2), -INF, -0.2)])
def test_trunc_normal_takes_infinite_bounds(args, low, high):
    w = fit.trunc_normal_(torch.empty(20_000), 0.0, 1.0, *args, seed=1)
    assert w.isfinite().all()
    assert w.min().item() >= low
    assert w.max().item() <= high


def test_trunc_normal_point_interval_fills_the_point_as_torch():
    w = fit.trunc_normal_(torch.empty(5), 0.0, 1.0, 0.5, 0.5, seed=0)
    assert w.tolist() == [0.5] * 5


def test_constants_follow_torchs_conversions():
    for dtype, val in [(torch.int64, 1.5), (torch.bool, 2), (torch.int32, -3)]:
        ours = fit.constant_(torch.empty(3, dtype=dtype), val)
        theirs = torch.nn.init.constant_(torch.empty(3, dtype=dtype), val)
        assert torch.equal(ours, theirs), dtype


def test_the_errors_are_instances_of_both_classes():
    with pytest.raises(RuntimeError, match=r"a must be at most b"):
        fit.uniform_(torch.empty(3), 1.0, 0.0, seed=0)
    with pytest.raises(ValueError, match=r"a must be at most b"):
        fit.uniform_(torch.empty(3), 1.0, 0.0, seed=0)
    with pytest.raises(NotImplementedError, match="out must be a torch.Tensor of float32"):
        fit.normal_(torch.empty(3, dtype=torch.int64), seed=0)
    with pytest.raises(ZeroDivisionError, match="std must be a positive finite number, got 0"):
        fit.trunc_normal_(torch.empty(3), 0.0, 0.0, seed=0)


def test_nothing_is_written_when_a_drop_in_raises():
    t = torch.full((4, 5), 7.0)
    for bad in [lambda: fit.uniform_(t, 1.0, 0.0, seed=0),
                lambda: fit.normal_(t, 0.0, INF, seed=0),
                lambda: fit.constant_(t, NAN),
                lambda: fit.xavier_uniform_(t, NAN, seed=0)]:
        with pytest.raises(ValueError, match=" must be "):
            bad()
        assert t.eq(7.0).all()
