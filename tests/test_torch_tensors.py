"""Torch tensors filled in place: same memory, same object, the NumPy fill's bits.

Every public initializer accepts a CPU tensor of float32, float64, float16 or
bfloat16 (bfloat16 bits equal an ``ml_dtypes.bfloat16`` buffer's), and refuses
every other tensor before writing a byte.
"""

import subprocess
import sys

import numpy as np
import pytest
from conftest import require

import fastinit
from fastinit._engine import formats, framework_checks

torch = require("torch")

TORCH_DTYPES = {torch.float32: np.float32, torch.float64: np.float64,
                torch.float16: np.float16, torch.bfloat16: formats.BFLOAT16}
BITS = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}

# Every public initializer that takes a float buffer, with arguments for a (6, 10) tensor.
CALLS = {
    "constant_": {"value": 0.25}, "zeros_": {}, "ones_": {},
    "random_uniform_": {"seed": 1}, "random_normal_": {"seed": 1},
    "truncated_normal_": {"seed": 1}, "variance_scaling_": {"seed": 1},
    "glorot_normal_": {"seed": 1}, "glorot_uniform_": {"seed": 1}, "he_normal_": {"seed": 1},
    "he_uniform_": {"seed": 1}, "lecun_normal_": {"seed": 1}, "lecun_uniform_": {"seed": 1},
    "orthogonal_": {"seed": 1}, "identity_": {"gain": 0.5},
}


def raw(t):
    """Bytes of a tensor's storage, via an integer view (works for bfloat16)."""
    return t.detach().view(BITS[t.element_size()]).numpy().tobytes()


def test_every_public_buffer_initializer_is_covered():
    takes_buffers = set(fastinit.__all__) - {"compute_fans", "show_config", "random_bits_"}
    assert set(CALLS) == takes_buffers


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("tdtype", list(TORCH_DTYPES), ids=str)
def test_tensor_fill_is_in_place_and_equals_numpy_fill(name, tdtype):
    func = getattr(fastinit, name)
    t = torch.nn.Parameter(torch.full((6, 10), 7.0, dtype=tdtype))
    ptr, version = t.data_ptr(), t._version
    assert func(t, **CALLS[name]) is t
    assert t.data_ptr() == ptr
    assert t._version > version  # as torch's own in-place ops
    assert t.requires_grad
    expected = func(np.full((6, 10), 7.0, TORCH_DTYPES[tdtype]), **CALLS[name])
    assert raw(t) == expected.tobytes()


def test_bfloat16_tensor_bits_equal_ml_dtypes_buffer_at_scale():
    t = torch.empty(3, 1000, 7, dtype=torch.bfloat16)
    a = np.empty((3, 1000, 7), formats.BFLOAT16)
    fastinit.he_normal_(t, seed=5, stream="w")
    fastinit.he_normal_(a, seed=5, stream="w")
    assert raw(t) == a.tobytes()


def test_sharded_tensor_block_equals_block_of_full_fill():
    full = fastinit.random_normal_(torch.empty(8, 12), seed=2, stream="w")
    block = torch.empty(8, 4)
    fastinit.random_normal_(block, seed=2, stream="w", full_shape=(8, 12), origin=(0, 4))
    assert torch.equal(block, full[:, 4:8])


def test_tensor_view_with_storage_offset_fills_only_its_part():
    base = torch.zeros(4, 10)
    fastinit.ones_(base[1:3])
    assert base.sum().item() == 20.0
    assert base[0].abs().sum().item() == 0.0
    assert base[3].abs().sum().item() == 0.0


def test_zero_size_tensor_is_returned():
    t = torch.empty(0, 5)
    assert fastinit.he_uniform_(t, seed=0) is t


@pytest.mark.parametrize(("make", "exc", "words"), [
    (lambda: torch.zeros(6, 10).t(), ValueError, "must be a contiguous tensor"),
    (lambda: torch.zeros(4, 6, 3, 3).to(memory_format=torch.channels_last), ValueError,
     "must be a contiguous tensor"),
    (lambda: torch.zeros(6, 10, dtype=torch.int64), TypeError, "got torch.int64"),
    (lambda: torch.zeros(6, 10, dtype=torch.complex64), TypeError, "got torch.complex64"),
    (lambda: torch.zeros(6, 10, dtype=torch.float8_e4m3fn), TypeError, "float8_e4m3fn"),
    (lambda: torch.zeros(6, 10).to_sparse(), ValueError, "dense (strided)"),
], ids=["transposed", "channels_last", "int64", "complex64", "float8", "sparse"])
def test_unsupported_tensors_raise_before_any_write(make, exc, words):
    t = make()
    before = t.clone()
    with pytest.raises(exc, match=words.replace("(", r"\(").replace(")", r"\)")):
        fastinit.he_normal_(t, seed=0)
    assert torch.equal(t.to_dense() if t.is_sparse else t, before.to_dense()
                       if before.is_sparse else before)


def test_meta_tensor_error_says_how_to_materialize():
    words = r"materialize it first: `module.to_empty\(device='cpu'\)`"
    with pytest.raises(ValueError, match=words):
        fastinit.glorot_uniform_(torch.empty(4, 4, device="meta"), seed=0)


def test_non_cpu_tensor_is_refused():
    class OnAccelerator:  # stands in for a CUDA tensor on a machine without one
        dtype = torch.float32
        device = torch.device("cuda", 0)
        layout = torch.strided

    with pytest.raises(ValueError, match="out must be a CPU tensor, got device cuda:0"):
        framework_checks.check_tensor(OnAccelerator(), torch)


def test_error_messages_have_the_house_form():
    with pytest.raises(TypeError, match=r"^out must be a torch.Tensor of float32, float64, "
                                        r"float16 or bfloat16, got torch.int32$"):
        fastinit.zeros_(torch.zeros(2, dtype=torch.int32))


def test_import_fastinit_does_not_import_torch():
    code = ("import sys, numpy as np, fastinit, fastinit.matrices\n"
            "fastinit.he_normal_(np.empty((4, 4), np.float32), seed=0)\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
