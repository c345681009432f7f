"""Numba backend: the mirror of ``fastinit/_cython/``.

Every kernel here has a twin of the same name and argument order in
``fastinit/_cython/kernels.pyx``; both follow ``tests/reference.py`` bit for bit.
"""

# The JIT options, in one place. Never fastmath: it fuses and reassociates,
# which changes bits. error_model="numpy" drops the ZeroDivisionError branch
# of Python semantics, which stops LLVM from vectorizing any loop with a
# division (no divisor here can be zero). cache: a fresh process skips the JIT.
_NUMBA_OPTS = dict(cache=True, nogil=True, error_model="numpy")
# Scalar helpers are inlined into the kernels at Numba IR level. Numba's cache
# checks only the kernel's own file: after editing transforms.py or philox.py,
# delete fastinit/_numba/__pycache__ (tests/test_backend_parity.py would catch
# a stale kernel against the reference).
_INLINE_OPTS = dict(inline="always", cache=True, error_model="numpy")
