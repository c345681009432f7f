"""The integrations' argument checks and error messages: torch, checkpoints, JAX, Keras, the MLP.

Same rules as :mod:`checks` (checked before a byte is written, messages read
``"<arg> must be <requirement>, got <actual>"``); this module holds what only
an integration asks, so the engine's own checks stay readable on one screen.
"""

import numbers
import operator

from . import formats
from .checks import _describe, check_positive_int

# --- torch tensors (fastinit._engine.tensors) and whole-matrix initializers (fastinit.matrices) ---

TORCH_DTYPES = ("float32", "float64", "float16", "bfloat16")


class ValueRuntimeError(ValueError, RuntimeError):
    """A value torch rejects with ``RuntimeError``: either ``except`` clause catches it."""


class TypeNotImplementedError(TypeError, NotImplementedError):
    """A dtype torch rejects with ``NotImplementedError`` (a ``RuntimeError``)."""


class ValueZeroDivisionError(ValueError, ZeroDivisionError):
    """A value torch rejects with ``ZeroDivisionError``."""


def check_tensor(out, torch, dtypes=TORCH_DTYPES):
    """A dense, contiguous CPU tensor of a supported float dtype; nothing else passes."""
    dtype = str(out.dtype).removeprefix("torch.")
    if dtype not in dtypes:
        allowed = ("a number" if "int64" in dtypes else
                   ", ".join(dtypes[:-1]) + f" or {dtypes[-1]}")
        raise TypeNotImplementedError(f"out must be a torch.Tensor of {allowed}, got {out.dtype}")
    if out.device.type == "meta":
        raise ValueError(
            "out must be a tensor with storage, got a meta tensor "
            "(materialize it first: `module.to_empty(device='cpu')`)")
    if out.device.type != "cpu":
        raise ValueError(
            f"out must be a CPU tensor, got device {out.device} "
            "(fill on the CPU, then move it, or materialize on the CPU)")
    if out.layout != torch.strided:
        raise ValueError(f"out must be a dense (strided) tensor, got layout {out.layout}")
    if not out.is_contiguous():
        raise ValueError(
            f"out must be a contiguous tensor, got strides {tuple(out.stride())} for shape "
            f"{tuple(out.shape)} (fill a contiguous tensor, then copy_ it in)")


def check_dtensor(out):
    if any(p.is_partial() for p in out.placements):
        raise ValueError(f"out must be a DTensor without Partial placements, got {out.placements}")


def check_rule(rule, rule_sets):
    if not (callable(rule) or rule in rule_sets):
        raise ValueError(f"rules must be 'torch', 'hf', a callable or a sequence of them, "
                         f"got {rule!r}")


def check_local_shape(expected, local):
    if tuple(expected) != tuple(local):  # pragma: no cover - torch's own invariant
        raise ValueError(f"out must have a local shard of shape {tuple(expected)}, "
                         f"got {tuple(local)}")


def check_seed_or_context(seed, active):
    if seed is None and not active:
        raise TypeError("seed must be an integer in [0, 2**64) (it may be omitted only inside "
                        "fastinit.torch.patched(seed=...)), got None")


# torch.nn.init's own messages, kept word for word so code that matches them still works
TORCH_FAN_NDIM = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
TORCH_MODE = "Mode {} not supported, please use one of {}"
TORCH_SLOPE = "negative_slope {} not a valid number"
TORCH_NONLINEARITY = "Unsupported nonlinearity {}"
TORCH_ONLY_2D = "Only tensors with 2 dimensions are supported"
TORCH_AT_LEAST_2D = "Only tensors with 2 or more dimensions are supported"
TORCH_DIRAC_NDIM = "Only tensors with 3, 4, or 5 dimensions are supported"
TORCH_DIRAC_GROUPS = "dim 0 must be divisible by groups"
TORCH_XAVIER_EMPTY = "float division by zero"  # ZeroDivisionError, as torch raises

# fastinit.torch's own: whole modules, plans
TORCH_TRUNC_STD = "std must be a positive finite number, got {}"  # ZeroDivisionError in torch
TORCH_TRUNC_INFINITE = ("a and b must be finite when [a, b] holds at most 30% of the normal's "
                        "mass (as torch requires), got a={}, b={}")
TORCH_UNREACHED = ("rules must initialize every parameter and persistent buffer, got nothing in "
                   "{!r} that initializes {!r} ({}): {}; pass on_unknown='reset_parameters' or "
                   "a rule callable")
TORCH_NO_RESET = ("on_unknown='reset_parameters' needs a reset_parameters method, got none on "
                  "{1} for {0!r}")
PLAN_NAMED = "{}: {}"  # a check's message, with the tensor it is about
TORCH_VAL_TYPE = "val must be a real number, got {!r}"  # TypeError
TORCH_VAL_RANGE = "val must be within the range of {} ([{}, {}]), got {}"
TORCH_ORTHOGONAL_GAIN = "gain * Q must be finite in {}, got gain {}"
# what a module's code did that fastinit cannot draw (the reason in TORCH_UNREACHED)
WRITE_TEMPORARY = "Tensor.{} on a temporary"
WRITE_FACTORY = "torch.{}"
WRITE_IRREGULAR = "{} on an irregular part of {!r}"
WRITE_VIEW = "{} on a view of {!r}"
WRITE_METHOD = "Tensor.{} on {!r}"
WRITE_COMPUTED = "Tensor.copy_ of computed values into {!r}"
WRITE_INSIDE = "{} inside torch.nn.init"
WRITE_DTYPE = "{} into a {} tensor"
PLAN_SEED = ("seed must equal the seed of every plan row that has one, got seed={} and a row "
             "with seed={}")


# --- checkpoints (fastinit.checkpoint, _ckpt_format, _ckpt_models) ---
CKPT_SHARD_SIZE_FORM = ('max_shard_size must be a positive byte count such as 5000000000, "5GB" '
                        'or "4GiB", got {!r}')
CKPT_SHARD_SIZE = "max_shard_size must be a positive byte count, got {!r}"
CKPT_DTYPE = "dtype must be one of {}, got {!r}"  # TypeError
CKPT_RULES = "rules must be one of {} or a callable, got {!r}"
CKPT_CONFIG_READ = "config must be a readable Hugging Face config.json, got {!r} ({})"
CKPT_CONFIG_TYPE = 'config must be a JSON object with a "model_type", got {!r}'
CKPT_CONFIG_MODEL = "config must describe a model transformers knows, got {!r} ({})"
CKPT_MODEL = ("model must be a config.json path, a transformers config, a torch module or a "
              "list of plan rows, got {}")  # TypeError
CKPT_DUPLICATES = "model must name every tensor once, got duplicate names"
CKPT_WORKER_INDEX = "worker_index must be in [0, num_workers={}), got {}"
CKPT_WRITABLE = "out_dir must be a writable directory, got {!r} ({})"
CKPT_FOREIGN = ("out_dir must be empty or hold an unfinished checkpoint of the same arguments, "
                "got other files in {!r}: {}")
CKPT_NO_LEDGER = ("out_dir must be empty or hold a checkpoint written by fastinit, got "
                  "safetensors files without a ledger in {!r}")
CKPT_ARGUMENTS = ("arguments must equal those of the checkpoint in {!r} to resume it, got {}; "
                  "use an empty directory for a new checkpoint")
CKPT_FREE = "out_dir must have {:,} bytes free for this checkpoint, got {:,} bytes free in {!r}"
CKPT_ROOM = "out_dir must have room for the checkpoint's files, got {} reserving them in {!r}"
CKPT_HEADER = "checkpoint file {!r} must have the expected header"
CKPT_TENSORS = ("checkpoint file {!r} must hold {} tensors as planned, got {} with other names "
                "or shapes")
CKPT_MISMATCH = "tensor {!r} must equal its recomputation, got a different value at flat element {}"


# --- JAX and Keras (fastinit.jax, _jax_arrays, fastinit.keras) ---
def check_float_dtype(dtype, shown=None):
    """A dtype fastinit fills; the message shows ``shown`` (default: ``dtype``)."""
    if formats.format_of(dtype) is None:
        raise TypeError("dtype must be float32, float64, float16 or bfloat16, "
                        f"got {dtype if shown is None else shown}")


def check_axis_list(name, axes):
    """Keras's ``input_axes``/``output_axes``: None or a sequence of integers, as a list."""
    if axes is None:
        return None
    try:
        items = list(axes)
    except TypeError:
        raise TypeError(f"{name} must be None or a list of integers, got {_describe(axes)}") \
            from None
    if isinstance(axes, str) or any(isinstance(a, bool) or not isinstance(a, numbers.Integral)
                                    for a in items):
        raise TypeError(f"{name} must be None or a list of integers, got {_describe(axes)}")
    return [operator.index(a) for a in items]


def check_jax_axis(name, axis):
    """A ``jax.nn.initializers`` axis argument: an integer or a sequence of integers.

    Returns ``(axes, single)``: the axes as a tuple of ints, and whether one
    integer was given (JAX's ``isinstance(axis, int)`` branch).
    """
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return (operator.index(axis),), True
    try:
        items = tuple(axis)
    except TypeError:
        items = None
    if items is None or isinstance(axis, str) or any(
            isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in items):
        raise TypeError(f"{name} must be an integer or a sequence of integers, "
                        f"got {_describe(axis)}")
    return tuple(operator.index(a) for a in items), False


def check_axes_of(name, axes, shape, shown=None):
    """Each of ``axes`` names an axis of ``shape`` (negative ones count from the end); the
    message shows ``shown`` (default: ``axes`` as a list)."""
    nd = len(shape)
    if any(not -nd <= a < nd for a in axes):
        raise ValueError(f"{name} must name axes of the {nd}-D shape {tuple(shape)} "
                         f"(each in [{-nd}, {nd})), got {list(axes) if shown is None else shown}")


JAX_KEY = ("key must be a single threefry2x32 key (jax.random.key or PRNGKey, data uint32[2]), "
           "got data {}{}")  # TypeError
JAX_FANS_NDIM = "shape must have at least 2 axes for the default in_axis=-2, got {}"
JAX_FANS_ZERO = ("shape must have no zero-size axis among in_axis, out_axis and batch_axis "
                 "(JAX divides by their sizes), got {} with in_axis={}, out_axis={}, "
                 "batch_axis={}")
JAX_FANS_EMPTY = ("shape must not be empty for a variance-scaling initializer (its fans are 0 "
                  "and JAX divides by them), got {}")
JAX_INITIALIZER_NAME = "initializer must name a fastinit initializer such as 'he_normal', got {!r}"
FILLER_FUNCTION = ("initializer must be one of fastinit's in-place initializers (he_normal_, "
                   "orthogonal_, ...), got {}")
JAX_INITIALIZER_TYPE = "initializer must be a fastinit in-place function or its name, got {}"
KERAS_IDENTIFIER = ("identifier must be a Keras initializer name such as 'he_normal' (one of {}), "
                    "got {!r}")


# --- the NumPy MLP (fastinit.diagnose._mlp, fastinit.diagnose) ---
def check_subset(name, values, allowed):
    """``values`` as a tuple, non-empty and each one of ``allowed``."""
    values = tuple(values)
    if not values or any(v not in allowed for v in values):
        raise ValueError(f"{name} must be a non-empty subset of {allowed}, got {values!r}")
    return values


def check_positive_ints(**sizes):
    """Each value an integer >= 1, in the order given (``check_positive_int``)."""
    for name, value in sizes.items():
        check_positive_int(name, value)


NN_ACTIVATION = "activation must be one of {}, got {!r}"
NN_PER_LAYER = "activations must have one entry per layer ({}), got {}"
