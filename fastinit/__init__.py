"""fastinit: fill huge preallocated buffers in place with weight initializations.

Fast on all cores, bit-for-bit reproducible whatever the thread count,
backend or sharding: element ``i`` of a tensor depends only on
``(seed, stream, i)`` (Philox4x32-10, counter-based).
"""

from ._config import show_config as show_config
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

__version__ = "0.1.0"

__all__ = [
    "compute_fans", "constant_", "glorot_normal_", "glorot_uniform_", "he_normal_",
    "he_uniform_", "lecun_normal_", "lecun_uniform_", "ones_", "random_bits_",
    "random_normal_", "random_uniform_", "show_config", "truncated_normal_",
    "variance_scaling_", "zeros_",
]
