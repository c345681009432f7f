"""The argument contract: every error, raised before a single byte is written.

Each failing call runs on a buffer filled with a sentinel pattern and the
buffer's bytes are compared afterwards. Messages read
``"<arg> must be <requirement>, got <actual>"`` (plus an optional hint);
``TypeError`` for a wrong type or dtype, ``ValueError`` for a wrong value,
shape or layout. The functions come from the registry (tests/cases.py), each
check applying to those whose signature has the argument it checks.
"""

import inspect
import re

import numpy as np
import pytest
from cases import CASES
from conftest import DTYPE_IDS, DTYPES, as_bytes

import fastinit
from fastinit._engine import formats

SENTINEL = 7.25  # exactly representable in every float dtype, never a sample here
SHAPE = (4, 6)

ROWS = {}  # public fill -> its first row in the registry, whose kwargs it is called with
for _case in CASES:
    ROWS.setdefault(_case.name, _case)


def _taking(param):
    return [name for name in ROWS
            if param in inspect.signature(getattr(fastinit, name)).parameters]


ALL_FILLS = list(ROWS)
ALL_RANDOM = _taking("seed")  # seed, stream, n_threads and backend
CONSTANT = [name for name in ALL_FILLS if name not in ALL_RANDOM]  # no seed
BITS = [name for name in ALL_FILLS if ROWS[name].kind == "bits"]  # uint32 output
FLOAT_FILLS = [name for name in ALL_FILLS if name not in BITS]
GEOMETRY_FILLS = _taking("full_shape")  # full_shape, origin, offset
# one fill per path through fill.prepare (float, variance scaling, bits), for checks
# whose code is shared by every random fill
PREPARE_PATHS = ["random_uniform_", "he_normal_", "random_bits_"]
# variance_scaling_ and its specializations take in_axis/out_axis
AXIS_FILLS = _taking("in_axis")


def test_the_lists_hold_what_the_registry_holds():
    # the checks below are only as wide as these lists
    assert {"zeros_", "constant_", "identity_"} <= set(CONSTANT)
    assert {"random_uniform_", "he_normal_", "orthogonal_", "random_bits_"} <= set(ALL_RANDOM)
    assert {"variance_scaling_", "glorot_uniform_", "lecun_normal_"} <= set(AXIS_FILLS)
    assert set(PREPARE_PATHS) <= set(ALL_RANDOM)
    assert BITS == ["random_bits_"]


def msg(arg, got):
    """Regex for the message form ``<arg> must be ..., got <got>``, optional hint after."""
    return rf"^{re.escape(arg)} must be .+, got {re.escape(got)}( \(.*\))?$"


def sentinel(dtype=np.float32, shape=SHAPE):
    dtype = np.dtype(dtype)
    if dtype == np.uint32:
        return np.full(shape, 0x07070707, dtype)
    return np.full(shape, SENTINEL, dtype)


def call(name, out, **kw):
    func = getattr(fastinit, name)
    seed = {} if name in CONSTANT else {"seed": 0}
    return func(out, **{**ROWS[name].kwargs, **seed, **kw})


def buffer_for(name, shape=SHAPE):
    return sentinel(np.uint32 if name in BITS else np.float32, shape)


def raw(a):
    """Memory of ``a`` as bytes; object arrays give their element pointers."""
    return np.ascontiguousarray(a).tobytes() if a.dtype.hasobject else as_bytes(a)


def assert_rejected(name, out, exc, match, *, watch=None, **kw):
    """``name(out, **kw)`` raises ``exc`` matching ``match``; ``watch`` is byte-identical."""
    watch = out if watch is None else watch
    before = raw(watch)
    with pytest.raises(exc, match=match):
        call(name, out, **kw)
    assert raw(watch) == before


# -- the buffer ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FILLS)
def test_list_instead_of_array_raises_type_error(name):
    out = [[SENTINEL] * 3] * 2
    with pytest.raises(TypeError, match=msg("out", "list")):
        call(name, out)
    assert out == [[SENTINEL] * 3] * 2


BAD_FLOAT_DTYPES = [np.int32, np.int64, np.complex64, np.object_, np.bool_, np.uint32]


@pytest.mark.parametrize("dtype", BAD_FLOAT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", FLOAT_FILLS)
def test_float_fill_rejects_non_float_dtype(name, dtype):
    out = np.full(SHAPE, 7, dtype=dtype)
    assert_rejected(name, out, TypeError, msg("out", str(np.dtype(dtype))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint64, np.uint16],
                         ids=lambda d: np.dtype(d).name)
def test_random_bits_rejects_non_uint32_dtype(dtype):
    out = np.full(SHAPE, 7, dtype=dtype)
    assert_rejected("random_bits_", out, TypeError, msg("out", str(np.dtype(dtype))))


@pytest.mark.parametrize("name", ALL_FILLS)
def test_read_only_buffer_raises_value_error(name):
    out = buffer_for(name)
    out.flags.writeable = False
    assert_rejected(name, out, ValueError, r"^out must be writable.*, got a read-only array")


@pytest.mark.parametrize("name", ALL_FILLS)
def test_broadcast_view_raises_value_error(name):
    row = buffer_for(name, (SHAPE[1],))
    out = np.broadcast_to(row, SHAPE)
    assert_rejected(name, out, ValueError, r"^out must be writable.*, got a read-only array",
                    watch=row)


@pytest.mark.parametrize("name", ALL_FILLS)
def test_non_contiguous_view_raises_value_error(name):
    base = buffer_for(name)
    out = base[:, ::2]
    assert_rejected(name, out, ValueError,
                    r"^out must be C- or F-contiguous, got a non-contiguous view", watch=base)


@pytest.mark.parametrize("name", ALL_FILLS)
def test_read_only_memmap_raises_value_error(name, tmp_path):
    path = tmp_path / "w.bin"
    src = buffer_for(name)
    src.tofile(path)
    out = np.memmap(path, dtype=src.dtype, mode="r", shape=SHAPE)
    assert_rejected(name, out, ValueError, r"^out must be writable.*, got a read-only array")
    del out
    assert path.read_bytes() == as_bytes(src)


# -- seed, stream, n_threads, backend --------------------------------------------------------


@pytest.mark.parametrize(("seed", "got"), [(-1, "-1"), (2**64, str(2**64)),
                                           (-(2**63), str(-(2**63)))])
@pytest.mark.parametrize("name", ALL_RANDOM)
def test_seed_out_of_range_raises_value_error(name, seed, got):
    assert_rejected(name, buffer_for(name), ValueError, msg("seed", got), seed=seed)


@pytest.mark.parametrize(("seed", "got"), [(1.0, "1.0"), (True, "True"), ("0", "'0'"),
                                           (None, "None"), (np.float64(3), "3.0")])
@pytest.mark.parametrize("name", ALL_RANDOM)
def test_seed_of_wrong_type_raises_type_error(name, seed, got):
    assert_rejected(name, buffer_for(name), TypeError, msg("seed", got), seed=seed)


@pytest.mark.parametrize("seed", [0, 2**64 - 1, np.uint64(2**64 - 1), np.int32(5)],
                         ids=["0", "max", "np.uint64-max", "np.int32"])
def test_seed_accepts_every_integer_in_range(seed):
    out = sentinel()
    assert fastinit.random_uniform_(out, seed=seed) is out
    assert not (out == SENTINEL).any()


def test_numpy_integer_seed_gives_same_bytes_as_python_int():
    a = fastinit.random_normal_(sentinel(), seed=np.uint64(2**64 - 1))
    b = fastinit.random_normal_(sentinel(), seed=2**64 - 1)
    c = fastinit.random_normal_(sentinel(), seed=2**64 - 2)
    assert as_bytes(a) == as_bytes(b)
    assert as_bytes(a) != as_bytes(c)


@pytest.mark.parametrize(("stream", "got"), [(-1, "-1"), (2**64, str(2**64))])
@pytest.mark.parametrize("name", ALL_RANDOM)
def test_stream_out_of_range_raises_value_error(name, stream, got):
    assert_rejected(name, buffer_for(name), ValueError, msg("stream", got), stream=stream)


@pytest.mark.parametrize(("stream", "got"), [(1.5, "1.5"), (2.0, "2.0"), (True, "True"),
                                             (None, "None"), (b"w", "b'w'")])
@pytest.mark.parametrize("name", ALL_RANDOM)
def test_stream_of_wrong_type_raises_type_error(name, stream, got):
    assert_rejected(name, buffer_for(name), TypeError, msg("stream", got), stream=stream)


@pytest.mark.parametrize("name", ALL_RANDOM)
def test_zero_threads_raises_value_error(name):
    assert_rejected(name, buffer_for(name), ValueError, msg("n_threads", "0"), n_threads=0)


@pytest.mark.parametrize(("n_threads", "got"), [(1.5, "1.5"), (2.0, "2.0"), ("2", "'2'"),
                                                (True, "True")])
@pytest.mark.parametrize("name", PREPARE_PATHS)
def test_n_threads_of_wrong_type_raises_type_error(name, n_threads, got):
    # a wrong *type* is a TypeError, as for seed, stream and in_axis
    assert_rejected(name, buffer_for(name), TypeError, msg("n_threads", got),
                    n_threads=n_threads)


@pytest.mark.parametrize("n_threads", [np.int64(2), np.int32(1), np.intp(-1)],
                         ids=["np.int64", "np.int32", "np.intp-neg"])
def test_n_threads_accepts_numpy_integers(n_threads, backend):
    expected = fastinit.random_normal_(sentinel(), seed=3, n_threads=1, backend=backend)
    out = sentinel()
    assert fastinit.random_normal_(out, seed=3, n_threads=n_threads, backend=backend) is out
    assert as_bytes(out) == as_bytes(expected)


@pytest.mark.parametrize("bad", ["torch", "Numba", "", None])
@pytest.mark.parametrize("name", ALL_RANDOM)
def test_unknown_backend_raises_value_error(name, bad):
    got = repr(bad)
    assert_rejected(name, buffer_for(name), ValueError, msg("backend", got), backend=bad)


# -- numbers of the distributions ------------------------------------------------------------


@pytest.mark.parametrize(("value", "got"), [(float("nan"), "nan"), (float("inf"), "inf"),
                                            (-float("inf"), "-inf"), (-0.5, "-0.5")])
def test_random_normal_stddev_not_finite_non_negative_raises(value, got):
    assert_rejected("random_normal_", sentinel(), ValueError, msg("stddev", got), stddev=value)


@pytest.mark.parametrize(("value", "got"), [(float("nan"), "nan"), (float("inf"), "inf"),
                                            (-0.5, "-0.5"), (0.0, "0.0"), (0, "0.0")])
def test_truncated_normal_stddev_must_be_positive(value, got):
    assert_rejected("truncated_normal_", sentinel(), ValueError, msg("stddev", got),
                    stddev=value)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_random_normal_zero_stddev_gives_the_mean(dtype, backend):
    out = sentinel(dtype, (5, 7))
    assert fastinit.random_normal_(out, seed=1, mean=-0.375, stddev=0.0, backend=backend) is out
    np.testing.assert_array_equal(out.astype(np.float64), np.full((5, 7), -0.375))


NUMBER_ARGS = [("random_normal_", "mean"), ("random_normal_", "stddev"),
               ("truncated_normal_", "mean"), ("truncated_normal_", "stddev"),
               ("truncated_normal_", "lower"), ("truncated_normal_", "upper"),
               ("random_uniform_", "minval"), ("random_uniform_", "maxval"),
               ("variance_scaling_", "scale")]


@pytest.mark.parametrize(("bad", "got"), [("1", "'1'"), (1j, "1j"), (None, "None"),
                                          (True, "True")])
@pytest.mark.parametrize(("name", "arg"), NUMBER_ARGS)
def test_distribution_numbers_of_wrong_type_raise_type_error(name, arg, bad, got):
    assert_rejected(name, sentinel(), TypeError, msg(arg, got), **{arg: bad})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")],
                         ids=["nan", "inf", "-inf"])
def test_truncated_normal_mean_must_be_finite(value):
    assert_rejected("truncated_normal_", sentinel(), ValueError, msg("mean", str(value)),
                    mean=value)


@pytest.mark.parametrize("arg", ["lower", "upper"])
def test_truncated_normal_bounds_must_not_be_nan(arg):
    assert_rejected("truncated_normal_", sentinel(), ValueError, msg(arg, "nan"),
                    **{arg: float("nan")})


@pytest.mark.parametrize(("lower", "upper"), [(float("inf"), 2.0), (-2.0, -float("inf")),
                                              (float("inf"), float("inf"))])
def test_truncated_normal_infinite_bound_on_the_wrong_side_raises(lower, upper):
    assert_rejected("truncated_normal_", sentinel(), ValueError, msg("lower", str(lower)),
                    lower=lower, upper=upper)


def test_truncated_normal_accepts_infinite_bounds(backend):
    out = fastinit.truncated_normal_(sentinel(np.float32, (64, 64)), seed=0, stddev=1.0,
                                     lower=-float("inf"), upper=float("inf"), backend=backend)
    assert np.isfinite(out).all()
    assert (out != SENTINEL).all()


@pytest.mark.parametrize("arg", ["minval", "maxval"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")],
                         ids=["nan", "inf", "-inf"])
def test_random_uniform_bounds_must_be_finite(arg, value):
    assert_rejected("random_uniform_", sentinel(), ValueError, msg(arg, str(value)),
                    **{arg: value})


def test_random_normal_mean_must_be_finite():
    assert_rejected("random_normal_", sentinel(), ValueError, msg("mean", "nan"),
                    mean=float("nan"))


@pytest.mark.parametrize(("minval", "maxval"), [(1.0, 0.0), (0.05, -0.05), (1e-300, 0.0)])
def test_minval_above_maxval_raises_value_error(minval, maxval, backend):
    assert_rejected("random_uniform_", sentinel(), ValueError, msg("minval", str(minval)),
                    minval=minval, maxval=maxval, backend=backend)


def test_uniform_span_overflowing_raises_value_error():
    assert_rejected("random_uniform_", sentinel(np.float64), ValueError,
                    msg("maxval - minval", "inf"), minval=-1e308, maxval=1e308)


@pytest.mark.parametrize("dtype", [np.float32, formats.BFLOAT16], ids=["f32", "bf16"])
@pytest.mark.parametrize("bound", [2e38, 1.8e38])
def test_uniform_span_overflowing_float32_is_not_a_silent_constant(dtype, bound, backend):
    # maxval - minval is finite in float64 but not in float32, where the 32-bit kernels
    # compute lo + span*u: rejected before a byte is written
    out = sentinel(dtype, (64, 64))
    before = as_bytes(out)
    with pytest.raises(ValueError, match=r"^maxval - minval must be .+, got "):
        fastinit.random_uniform_(out, seed=0, minval=-bound, maxval=bound, backend=backend)
    assert as_bytes(out) == before


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("value", [0.375, -3.0])
def test_minval_equal_maxval_gives_that_constant(dtype, value, backend):
    out = sentinel(dtype, (3, 5))
    assert fastinit.random_uniform_(out, seed=2, minval=value, maxval=value,
                                    backend=backend) is out
    np.testing.assert_array_equal(out.astype(np.float64), np.full((3, 5), value))


def test_minval_equal_maxval_unrepresentable_in_float32_is_fine_in_float64(backend):
    out = sentinel(np.float64)
    fastinit.random_uniform_(out, seed=2, minval=0.05, maxval=0.05, backend=backend)
    np.testing.assert_array_equal(out, np.full(SHAPE, 0.05))


@pytest.mark.parametrize("dtype", [formats.BFLOAT16, np.float16, np.float32],
                         ids=["bf16", "f16", "f32"])
def test_uniform_interval_without_a_value_of_the_dtype_raises(dtype, backend):
    out = sentinel(dtype)
    before = as_bytes(out)
    with pytest.raises(ValueError,
                       match=rf"^the interval \[0\.05, 0\.05\] must contain a value "
                             rf"representable in {np.dtype(dtype).name}, got none$"):
        fastinit.random_uniform_(out, seed=0, minval=0.05, maxval=0.05, backend=backend)
    assert as_bytes(out) == before


def test_truncated_interval_without_a_float16_value_raises(backend):
    # [0.1 - 2e-7, 0.1 + 2e-7] falls between the float16 neighbours of 0.1
    out = sentinel(np.float16)
    before = as_bytes(out)
    with pytest.raises(ValueError, match=r"^the interval \[.*\] must contain a value "
                                         r"representable in float16, got none$"):
        fastinit.truncated_normal_(out, seed=0, mean=0.1, stddev=1e-7, backend=backend)
    assert as_bytes(out) == before


@pytest.mark.parametrize(("lower", "upper"), [(1.0, 1.0), (2.0, -2.0), (0.0, -1e-9)])
def test_lower_not_below_upper_raises_value_error(lower, upper, backend):
    assert_rejected("truncated_normal_", sentinel(), ValueError, msg("lower", str(lower)),
                    lower=lower, upper=upper, backend=backend)


@pytest.mark.parametrize(("scale", "got"), [(float("nan"), "nan"), (float("inf"), "inf"),
                                            (-1.0, "-1.0"), (0.0, "0.0"), (0, "0.0")])
def test_variance_scaling_scale_must_be_positive_finite(scale, got, backend):
    assert_rejected("variance_scaling_", sentinel(), ValueError, msg("scale", got),
                    scale=scale, backend=backend)


@pytest.mark.parametrize(("arg", "bad"), [("mode", "fanin"), ("mode", "FAN-IN"),
                                          ("mode", None), ("distribution", "gaussian"),
                                          ("distribution", "truncated normal")])
def test_unknown_mode_or_distribution_raises_value_error(arg, bad, backend):
    assert_rejected("variance_scaling_", sentinel(), ValueError, msg(arg, repr(bad)),
                    backend=backend, **{arg: bad})


# -- axes and fans ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kw", "arg", "got"), [
    ({"in_axis": 2}, "in_axis", "2"), ({"in_axis": -3}, "in_axis", "-3"),
    ({"out_axis": 5}, "out_axis", "5"), ({"out_axis": -3}, "out_axis", "-3")])
@pytest.mark.parametrize("name", AXIS_FILLS)
def test_axis_out_of_range_raises_value_error(name, kw, arg, got):
    assert_rejected(name, sentinel(), ValueError, msg(arg, got), **kw)


@pytest.mark.parametrize(("in_axis", "out_axis"), [(0, 0), (-1, 1), (1, -1), (-2, 0),
                                                   (-1, -1)])
@pytest.mark.parametrize("name", AXIS_FILLS)
def test_in_and_out_axis_naming_the_same_axis_raises(name, in_axis, out_axis):
    assert_rejected(name, sentinel(), ValueError,
                    rf"^in_axis and out_axis must name different axes, got {in_axis} and "
                    rf"{out_axis}$", in_axis=in_axis, out_axis=out_axis)


@pytest.mark.parametrize(("arg", "bad", "got"), [("in_axis", 1.0, "1.0"),
                                                 ("out_axis", "0", "'0'"),
                                                 ("in_axis", True, "True")])
@pytest.mark.parametrize("name", AXIS_FILLS)
def test_axis_of_wrong_type_raises_type_error(name, arg, bad, got):
    assert_rejected(name, sentinel(), TypeError, msg(arg, got), **{arg: bad})


@pytest.mark.parametrize("arg", ["fan_in", "fan_out"])
@pytest.mark.parametrize(("bad", "got"), [(0, "0"), (-3, "-3")])
def test_fan_override_not_positive_raises_value_error(arg, bad, got):
    assert_rejected("variance_scaling_", sentinel(), ValueError, msg(arg, got), **{arg: bad})


@pytest.mark.parametrize("arg", ["fan_in", "fan_out"])
@pytest.mark.parametrize(("bad", "got"), [(2.5, "2.5"), (64.0, "64.0"), ("3", "'3'"),
                                          (True, "True")])
def test_fan_override_of_wrong_type_raises_type_error(arg, bad, got):
    # a wrong *type* is a TypeError, as for seed, stream and in_axis
    assert_rejected("variance_scaling_", sentinel(), TypeError, msg(arg, got), **{arg: bad})


# -- geometry: full_shape, origin, offset ----------------------------------------------------


@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_origin_outside_full_shape_raises(name):
    out = buffer_for(name)  # (4, 6)
    assert_rejected(name, out, ValueError,
                    r"^origin must keep the buffer inside full_shape \(8, 8\), "
                    r"got origin \(0, 3\) with out\.shape \(4, 6\)$",
                    full_shape=(8, 8), origin=(0, 3))


@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_offset_outside_full_shape_raises(name):
    assert_rejected(name, buffer_for(name), ValueError,
                    r"^offset must keep the buffer inside full_shape \(8, 8\).*, got 41 \+ 24$",
                    full_shape=(8, 8), offset=41)


@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_offset_at_the_last_fitting_position_is_accepted(name):
    out = buffer_for(name)
    assert call(name, out, full_shape=(8, 8), offset=40) is out


@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_origin_and_offset_together_raise(name):
    assert_rejected(name, buffer_for(name), ValueError,
                    r"^origin and offset must not both be given, got both$",
                    full_shape=(8, 8), origin=(0, 0), offset=0)


@pytest.mark.parametrize("origin", [(0,), (0, 0, 0)])
@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_origin_of_wrong_length_raises(name, origin):
    assert_rejected(name, buffer_for(name), ValueError,
                    rf"^origin must have one entry per axis .*, got origin "
                    rf"{re.escape(str(origin))} and out\.shape \(4, 6\)$",
                    full_shape=(8, 8), origin=origin)


@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_origin_with_a_negative_entry_raises(name):
    assert_rejected(name, buffer_for(name), ValueError, msg("origin", "(-1, 0)"),
                    full_shape=(8, 8), origin=(-1, 0))


@pytest.mark.parametrize("full_shape", [(8, 8), (24,), (6, 4)])
@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_full_shape_differing_without_origin_or_offset_raises(name, full_shape):
    assert_rejected(name, buffer_for(name), ValueError,
                    rf"^origin or offset must be given when out\.shape \(4, 6\) differs "
                    rf"from full_shape {re.escape(str(full_shape))}, got neither$",
                    full_shape=full_shape)


@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_negative_offset_raises_value_error(name):
    assert_rejected(name, buffer_for(name), ValueError, msg("offset", "-1"),
                    full_shape=(8, 8), offset=-1)


@pytest.mark.parametrize(("bad", "got"), [(1.5, "1.5"), (8.0, "8.0"), ("8", "'8'")])
@pytest.mark.parametrize("name", PREPARE_PATHS)
def test_offset_of_wrong_type_raises_type_error(name, bad, got):
    # a wrong *type* is a TypeError, as for seed, stream and in_axis
    assert_rejected(name, buffer_for(name), TypeError, msg("offset", got),
                    full_shape=(8, 8), offset=bad)


@pytest.mark.parametrize("name", GEOMETRY_FILLS)
def test_full_shape_with_a_negative_entry_raises(name):
    assert_rejected(name, buffer_for(name), ValueError, msg("full_shape", "(8, -8)"),
                    full_shape=(8, -8), origin=(0, 0))


# the full shapes just outside what each fill with a limit on its axes takes
WRONG_NDIM = [(name, n) for name in ALL_FILLS for n in (ROWS[name].ndim[0] - 1,
                                                          (ROWS[name].ndim[1] or -2) + 1)
              if n >= 0 and not ROWS[name].takes_ndim(n)]


def test_some_fills_limit_their_axes():
    assert {"orthogonal_", "identity_"} <= {name for name, _ in WRONG_NDIM}


@pytest.mark.parametrize(("name", "n"), WRONG_NDIM, ids=str)
def test_full_shape_with_axes_the_fill_does_not_take_raises(name, n):
    shape = (4, 6, 2, 3)[:n]
    assert_rejected(name, buffer_for(name, shape), ValueError,
                    rf"^full_shape must have (at least|exactly) \d axes for .+, got "
                    rf"{re.escape(str(shape))}$")


# -- what valid calls return -----------------------------------------------------------------


ZERO_SIZE = [(name, shape) for name in ALL_FILLS for shape in [(0,), (0, 4), (3, 0), (2, 0, 5)]
             if ROWS[name].takes_ndim(len(shape))]


@pytest.mark.parametrize(("name", "shape"), ZERO_SIZE, ids=str)
def test_zero_size_buffer_is_returned_untouched(name, shape, backend):
    out = buffer_for(name, shape)
    kw = {} if name in CONSTANT else {"backend": backend}
    assert call(name, out, **kw) is out
    assert out.shape == shape
    assert out.flags.writeable


@pytest.mark.parametrize("name", ALL_RANDOM)
def test_zero_size_buffer_still_gets_its_arguments_checked(name):
    out = buffer_for(name, (0, 4))
    with pytest.raises(ValueError, match=msg("seed", "-1")):
        call(name, out, seed=-1)


@pytest.mark.parametrize("name", ALL_FILLS)
def test_valid_call_returns_the_same_object_and_writes_it(name, backend):
    out = buffer_for(name)
    kw = {} if name in CONSTANT else {"backend": backend}
    assert call(name, out, **kw) is out
    assert not (out == out.flat[0] if name in BITS else out == SENTINEL).all()
    if name not in CONSTANT:
        assert len(np.unique(out)) > SHAPE[0] * SHAPE[1] // 2


@pytest.mark.parametrize("name", ALL_RANDOM)
def test_memmap_buffer_gives_the_bytes_of_an_ndarray_fill(name, backend, tmp_path):
    shape = (33, 40)
    dtype = np.uint32 if name in BITS else np.float32
    expected = call(name, np.empty(shape, dtype), seed=11, stream="layer.0", backend=backend)
    path = tmp_path / f"{name}.bin"
    mm = np.memmap(path, dtype=dtype, mode="w+", shape=shape)
    assert call(name, mm, seed=11, stream="layer.0", backend=backend) is mm
    mm.flush()
    assert as_bytes(mm) == as_bytes(expected)
    del mm
    assert path.read_bytes() == as_bytes(expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_memmap_shard_gives_the_bytes_of_the_same_block(dtype, backend, tmp_path):
    full = fastinit.he_normal_(np.empty((16, 48), dtype), seed=5, backend=backend)
    mm = np.memmap(tmp_path / "shard.bin", dtype=dtype, mode="w+", shape=(16, 12))
    fastinit.he_normal_(mm, seed=5, full_shape=(16, 48), origin=(0, 24), backend=backend)
    assert as_bytes(mm) == as_bytes(full[:, 24:36])


# -- constant_ -------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "got"), [(float("nan"), "nan"), (float("inf"), "inf"),
                                            (-float("inf"), "-inf")])
def test_constant_value_must_be_finite(value, got):
    assert_rejected("constant_", sentinel(), ValueError, msg("value", got), value=value)


@pytest.mark.parametrize(("value", "got"), [(1 + 2j, "(1+2j)"), ("1", "'1'"), (None, "None"),
                                            (True, "True"), (np.complex64(1), "(1+0j)")])
def test_constant_value_must_be_real(value, got):
    assert_rejected("constant_", sentinel(), TypeError, msg("value", got), value=value)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_constant_fills_value_rounded_to_dtype(dtype):
    out = sentinel(dtype)
    assert fastinit.constant_(out, value=np.float32(-1.5)) is out
    np.testing.assert_array_equal(out.astype(np.float64), np.full(SHAPE, -1.5))


# -- values the output dtype cannot hold -----------------------------------------------------


@pytest.mark.parametrize(("dtype", "value"), [(np.float32, 1e40), (np.float16, 65520.0),
                                              (np.float16, -1e5), (formats.BFLOAT16, 3.4e38)],
                         ids=["f32", "f16", "f16-neg", "bf16"])
def test_constant_beyond_the_dtype_raises(dtype, value):
    assert_rejected("constant_", sentinel(dtype), ValueError, msg("value", str(value)),
                    value=value)


def test_constant_at_the_largest_finite_value_is_accepted():
    out = fastinit.constant_(sentinel(np.float16), value=-65504.0)
    np.testing.assert_array_equal(out, np.full(SHAPE, -65504.0, np.float16))


@pytest.mark.parametrize(("arg", "kw"), [("minval", dict(minval=-1e5, maxval=0.0)),
                                         ("maxval", dict(minval=0.0, maxval=7e4))])
def test_uniform_bound_beyond_the_dtype_raises(arg, kw, backend):
    assert_rejected("random_uniform_", sentinel(np.float16), ValueError,
                    msg(arg, str(kw[arg])), backend=backend, **kw)


@pytest.mark.parametrize(("dtype", "kw"), [
    (np.float16, dict(stddev=1e6)), (np.float16, dict(stddev=1.2e4)),
    (np.float16, dict(mean=65000.0, stddev=100.0)), (formats.BFLOAT16, dict(stddev=1e38)),
    (np.float32, dict(mean=-3e38, stddev=1e38)), (np.float64, dict(stddev=1e308))])
def test_normal_whose_reach_leaves_the_dtype_raises(dtype, kw, backend):
    assert_rejected("random_normal_", sentinel(dtype), ValueError,
                    r"^\|mean\| \+ \d\.\d+ \* stddev must be at most .+, got ", backend=backend,
                    **kw)


def test_normal_reaching_up_to_the_dtype_is_finite(backend):
    # 5.77 * 1.1e4 = 63470 < 65504: accepted, and no sample overflows
    out = fastinit.random_normal_(np.empty(2**16, np.float16), seed=1, stddev=1.1e4,
                                  backend=backend)
    assert np.isfinite(out).all()


@pytest.mark.parametrize(("arg", "kw"), [
    ("mean + stddev * lower", dict(stddev=1e5)),
    ("mean + stddev * upper", dict(mean=6e4, stddev=3e3, lower=-1.0, upper=2.0))])
def test_truncated_bound_beyond_the_dtype_raises(arg, kw, backend):
    assert_rejected("truncated_normal_", sentinel(np.float16), ValueError,
                    rf"^{re.escape(arg)} must be within the finite range of float16 ",
                    backend=backend, **kw)


def test_variance_scaling_beyond_the_dtype_raises(backend):
    for distribution in ("normal", "truncated_normal", "uniform"):
        with pytest.raises(ValueError, match="finite"):
            fastinit.variance_scaling_(sentinel(np.float16), seed=0, scale=1e12,
                                       distribution=distribution, backend=backend)


@pytest.mark.parametrize(("mode", "distribution"), [("FAN_IN", "Truncated_Normal"),
                                                    ("Fan_Avg", "UNIFORM"),
                                                    ("fan_OUT", "Normal")])
def test_mode_and_distribution_ignore_letter_case(mode, distribution, backend):
    a = fastinit.variance_scaling_(np.empty((40, 24), np.float32), seed=2, mode=mode,
                                   distribution=distribution, backend=backend)
    b = fastinit.variance_scaling_(np.empty((40, 24), np.float32), seed=2, mode=mode.lower(),
                                   distribution=distribution.lower(), backend=backend)
    assert as_bytes(a) == as_bytes(b)


def test_every_error_message_lives_in_validation():
    # the engine's Python layer raises only through fastinit/_engine/checks.py
    import ast
    import pathlib

    root = pathlib.Path(fastinit.__file__).parent
    for name in ("initializers.py", "_variance_scaling.py", "_engine/fill.py", "_engine/fans.py",
                 "_engine/streams.py", "_engine/formats.py", "_docstrings.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        raises = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Raise)]
        assert raises == [], f"{name} raises at lines {raises}"


def _inline_message(node):
    """A string literal, an f-string, or one formatted or joined on the spot."""
    import ast

    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):  # "..." + x, "..." % x
        return _inline_message(node.left) or _inline_message(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):  # "...".format(x)
        return _inline_message(node.func.value)
    return False


def test_no_module_builds_its_own_error_message():
    # every module of the library takes its messages from _engine/checks.py or
    # _engine/framework_checks.py (the integrations' own): raise
    # Error(checks.SOME_MESSAGE.format(...)) or a checks.check_* call. Aside: the applications
    # (_cli/), and the kernel packages, whose errors are about their build, not an argument
    import ast
    import pathlib

    root = pathlib.Path(fastinit.__file__).parent
    inline = []
    for path in sorted(root.rglob("*.py")):
        own = path.name in ("checks.py", "framework_checks.py")
        if own or {"_cli", "_numba", "_cython"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and node.exc.args and _inline_message(node.exc.args[0])):
                inline.append(f"{path.relative_to(root)}:{node.lineno}")
    assert inline == [], f"messages built outside the checks modules at {inline}"
