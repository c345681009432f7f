"""Numba backend: the mirror of ``fastinit/_engine/_cython/``.

Every module here has a twin of the same stem in ``fastinit/_engine/_cython/`` with
the same functions, arguments and numbered steps (``tests/test_mirror.py``);
both follow ``tests/reference.py`` bit for bit. The kernels are serial and
release the GIL; ``fastinit/_engine/parallel.py`` runs them on its threads.
"""

from numba.core import cgutils, types
from numba.extending import intrinsic, overload

# The JIT options, in one place. Never fastmath: it fuses and reassociates,
# which changes bits. error_model="numpy" drops the ZeroDivisionError branch
# of Python semantics, which stops LLVM from vectorizing any loop with a
# division (no divisor here can be zero). cache: a fresh process skips the JIT.
_NUMBA_OPTS = dict(cache=True, nogil=True, error_model="numpy")
# Scalar helpers are inlined into the kernels at Numba IR level. Numba's cache
# checks only each function's own file, while a cached kernel holds the code of
# what it calls: after editing any file here but kernels.py, delete
# fastinit/_engine/_numba/__pycache__ (tests/test_backend_parity.py would catch a stale
# kernel against the reference).
_INLINE_OPTS = dict(inline="always", cache=True, error_model="numpy")
# Except the per-element transforms a batch loop calls at several sites
# (uniform_*, box_muller_*, truncated_f32): Numba-IR inlining retypes and
# lowers them once per call site, two thirds of their kernels' compile time. As
# functions of their own (_NUMBA_OPTS) they compile once and LLVM inlines
# them into each loop: the same speed, the same bits. truncated_f64 is too
# large for LLVM to inline, so it keeps _INLINE_OPTS (see truncated.py).


@intrinsic
def borrowed(typingctx, arr):
    """``arr`` without its NRT meminfo, so that no view of it is refcounted.

    An array passed in from Python carries a meminfo, and each slice the
    kernels take of it (one per Philox batch) then costs an atomic incref and
    decref. An atomic waits for the store buffer to drain, which in a
    memory-bound fill means waiting for the batch's stores to reach memory:
    the uniform float32 fill ran 30% slower for it. Numba's own parallel loops
    hand their bodies arrays without a meminfo in the same way. Sound because
    the caller holds ``arr`` for the whole call.
    """

    def codegen(context, builder, signature, args):
        view = context.make_array(signature.args[0])(context, builder, value=args[0])
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        return view._getvalue()

    return arr(arr), codegen


@intrinsic
def fetch_add(typingctx, arr, val):
    """``arr[0] += val`` as one atomic step; returns the value before.

    What ``__atomic_fetch_add`` is to the Cython side (``chunks.pxd``): the
    kernels' threads share ``arr`` (``fastinit/_engine/parallel.py``). Relaxed order
    suffices: the claimed number orders nothing, and the caller learns that
    the stores are done through a lock.
    """
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64):
        return None

    def codegen(context, builder, signature, args):
        view = context.make_array(signature.args[0])(context, builder, value=args[0])
        step = context.cast(builder, args[1], signature.args[1], types.int64)
        return builder.atomic_rmw("add", view.data, step, "monotonic")

    return types.int64(arr, val), codegen


def float_row(out, row):
    """Where a float32 batch loop writes: ``out`` if it holds float32, else ``row``.

    Chosen by type when Numba compiles, so a 16-bit kernel never compiles the
    batch loop for a uint16 ``out`` (the Cython twin tests ``out32_t is float``).
    """
    raise NotImplementedError("only callable from compiled code")


# Not inline="always": Numba's IR inlining of this overload confused the
# caller's own ``out`` with the lambda's, and normal_run_f32 lost its heads and
# tails. LLVM inlines the call anyway.
@overload(float_row)
def _float_row(out, row):
    if out.dtype == types.float32:
        return lambda out, row: out
    return lambda out, row: row


def unrolled_horner(coeffs, z):
    """Implementation of a Horner polynomial over a constant tuple, for ``@overload``.

    The loop is written out, one statement per coefficient (same operations,
    same order, same bits). Numba lowers a loop over a tuple with a running
    index through a stack array, which LLVM did not unroll for the 24
    coefficients of erfinv_f64: the batch loop around it then stayed scalar,
    and Numba's float64 truncated normal ran 8x slower than Cython's.
    """
    lines = ["def horner(coeffs, z):", "    p = coeffs[0]"]
    lines += [f"    p = p * z + coeffs[{i}]" for i in range(1, len(coeffs))]
    lines.append("    return p")
    scope = {}
    exec("\n".join(lines), scope)  # noqa: S102 - source built here from integers only
    return scope["horner"]
