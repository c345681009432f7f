"""fastinit: fill huge preallocated buffers in place with weight initializations.

Fast on all cores, bit-for-bit reproducible whatever the thread count,
backend or sharding.

The randomness contract (``docs/contract.md`` has the full text;
``tests/reference.py`` is its executable form):

- Every sample is a pure function of (seed, stream, i, initializer
  parameters, dtype), where ``i`` is the element's row-major index in the full
  logical tensor (``full_shape``), whatever part of it the buffer holds and
  however the buffer is laid out in memory.
- Generator: Philox4x32-10. Key ``(seed & 0xFFFFFFFF, seed >> 32)``; raw word
  ``w`` of stream ``s`` is lane ``w % 4`` of the block with counter
  ``(q & 0xFFFFFFFF, q >> 32, s & 0xFFFFFFFF, s >> 32)``, ``q = w // 4``. A str
  stream is ``int.from_bytes(blake2b(name.encode(), digest_size=8,
  person=b"fastinit-stream").digest(), "little")``.
- Words per element: uniform and truncated normal take word ``i`` (float32,
  float16, bfloat16) or words ``2i, 2i+1`` (float64); normal elements ``2j``
  and ``2j+1`` share the words of pair ``j`` (``2j, 2j+1``; ``4j..4j+3`` in
  float64): Box-Muller, cosine for ``2j``, sine for ``2j+1``. A truncated
  normal by rejection takes the normal's words, then redraws from counters of
  its pair's own.
- Transforms: uniform ``clamp(lo + span*u)`` with ``u = (w >> 8) * 2**-24``;
  Box-Muller with ``u1 = ((w >> 8) + 1) * 2**-24`` and a quadrant-plus-offset
  angle; truncated normal on an interval holding at least 0.95 of the mass
  (Keras/JAX's +-2 sigma) by rejection: the normal fill's value when inside,
  else the first inside of 12 Box-Muller candidates (6 in float64) from the
  redraw blocks ``(r << 61) | j`` of its pair ``j`` under the key words xor
  ``(0xA4093822, 0x299F31D0)``, else the inverse CDF on block 7; on other
  intervals by ``sqrt(2) * erfinv(ea + (eb - ea)*u)`` in erf space (Giles),
  except on an interval wholly beyond 2 standard deviations (either side;
  infinite bounds allowed): there, in float64 whatever the output,
  ``Q(z) = Q(a) * ((1 - u) + u*Q(b)/Q(a))`` is solved by 4 Newton steps on
  ``log Q`` with Cody's Mills ratio (same words, same ``u``). An
  interval whose 1%-99% quantiles enclose fewer than 16 values of the output
  dtype is a ValueError. ``log``, ``sincos`` and ``erfinv`` are the project's own
  polynomials (coefficients in ``fastinit/_engine/constants.py``), the same
  operations in the same order in both backends, no fused multiply-add.
- float16/bfloat16 are the float32 value rounded to nearest even; bounded
  distributions clamp to bounds rounded inward to the output dtype first.
  Uniforms are half-open, ``[minval, maxval)`` in every dtype (the upper
  clamp is the largest value of the dtype below ``maxval``; ``minval ==
  maxval`` gives ``minval``); truncated normals are closed, ``[a, b]``.
- A constant, a bound, or the reach ``|mean| + z_max*stddev`` of a normal
  (``z_max`` 5.77 for 32/16-bit outputs, 8.58 for float64) that the output
  dtype cannot hold as a finite value is a ValueError, raised before any write.
"""

from ._engine.backends import show_config as show_config
from ._version import __version__ as __version__
from .initializers import compute_fans as compute_fans
from .initializers import constant_ as constant_
from .initializers import glorot_normal_ as glorot_normal_
from .initializers import glorot_uniform_ as glorot_uniform_
from .initializers import he_normal_ as he_normal_
from .initializers import he_uniform_ as he_uniform_
from .initializers import lecun_normal_ as lecun_normal_
from .initializers import lecun_uniform_ as lecun_uniform_
from .initializers import ones_ as ones_
from .initializers import random_bits_ as random_bits_
from .initializers import random_normal_ as random_normal_
from .initializers import random_uniform_ as random_uniform_
from .initializers import truncated_normal_ as truncated_normal_
from .initializers import variance_scaling_ as variance_scaling_
from .initializers import zeros_ as zeros_
from .matrices import identity_ as identity_
from .matrices import orthogonal_ as orthogonal_

__all__ = [
    "compute_fans", "constant_", "glorot_normal_", "glorot_uniform_", "he_normal_",
    "he_uniform_", "identity_", "lecun_normal_", "lecun_uniform_", "ones_", "orthogonal_",
    "random_bits_",
    "random_normal_", "random_uniform_", "show_config", "truncated_normal_",
    "variance_scaling_", "zeros_",
]
