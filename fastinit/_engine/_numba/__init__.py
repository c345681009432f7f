"""Numba backend: the mirror of ``fastinit/_engine/_cython/``.

Every module here has a twin of the same stem in ``fastinit/_engine/_cython/`` with
the same functions, arguments and numbered steps (``tests/test_mirror.py``);
both follow ``tests/reference.py`` bit for bit. The kernels are serial and
release the GIL; ``fastinit/_engine/parallel.py`` runs them on its threads.
"""

import threading

import numpy as np
from llvmlite import ir
from numba.core import cgutils, config, types
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
def _borrowed(typingctx, arr):
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
def _fetch_add(typingctx, arr, val):
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


@intrinsic
def _stack_empty(typingctx, n, dtype):
    if not (isinstance(n, types.IntegerLiteral) and isinstance(dtype, types.NumberClass)):
        return None
    count = n.literal_value
    arrty = types.Array(dtype.dtype, 1, "C")

    def codegen(context, builder, signature, args):
        item = context.get_data_type(dtype.dtype)
        itemsize = context.get_abi_sizeof(item)
        with builder.goto_entry_block():  # one slot per call site, not per loop trip
            slot = builder.alloca(ir.ArrayType(item, count))
            slot.align = 64  # a cache line: the vector loops store whole lines
        view = context.make_array(arrty)(context, builder)
        intp = context.get_value_type(types.intp)
        context.populate_array(view, data=builder.bitcast(slot, item.as_pointer()),
                               shape=[ir.Constant(intp, count)],
                               strides=[ir.Constant(intp, itemsize)],
                               itemsize=ir.Constant(intp, itemsize), meminfo=None)
        return view._getvalue()

    return arrty(n, dtype), codegen


@intrinsic
def _trailing_zeros(typingctx, x):
    """Index of the lowest set bit of a uint64 (``llvm.cttz``; 64 for 0), as int64."""
    if x != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))

    return types.int64(x), codegen


@intrinsic
def _bit_count(typingctx, x):
    """Set bits of a uint64 (``llvm.ctpop``), as int64."""
    if x != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.int64(x), codegen


def _py_trailing_zeros(x):
    x = int(x)
    return (x & -x).bit_length() - 1 if x else 64


def _py_bit_count(x):
    return int(x).bit_count()


def _py_borrowed(arr):
    return arr


_py_fetch_add_lock = threading.Lock()


def _py_fetch_add(arr, val):
    with _py_fetch_add_lock:
        old = int(arr[0])
        arr[0] += val
    return old


def _heap_empty(n, dtype):
    return np.empty(n, dtype)


# Intrinsics cannot run as Python: without the JIT (NUMBA_DISABLE_JIT=1, where
# every kernel runs as the Python it is written in) these stand in for them.
borrowed = _py_borrowed if config.DISABLE_JIT else _borrowed
fetch_add = _py_fetch_add if config.DISABLE_JIT else _fetch_add
# The twins of __builtin_ctzll and __builtin_popcountll (rejection.pxd).
trailing_zeros = _py_trailing_zeros if config.DISABLE_JIT else _trailing_zeros
bit_count = _py_bit_count if config.DISABLE_JIT else _bit_count
# ``stack_empty(n, dtype)``: ``np.empty(n, dtype)`` in the frame of the compiled
# function that calls it, with no heap block and no NRT meminfo: the twin of a
# C array such as ``cdef uint32_t words[4][PHILOX_BATCH]`` (uniform.pxd), for
# the scratch rows of a *_run_* loop. A heap array carries a meminfo, and each
# call of a *_batch_* loop that reads it then costs an atomic incref and
# decref (see ``borrowed``), once per batch. ``n`` must be a module-level int
# (a literal to Numba); the array must not outlive the function that calls
# stack_empty. An intrinsic, not an inlined @overload: Numba's inlining of an
# overload confuses the caller's variables with the lambda's of the same name
# (see float_row). Without the JIT it is np.empty.
stack_empty = _heap_empty if config.DISABLE_JIT else _stack_empty


def float_row(out, row):
    """Where a float32 batch loop writes: ``out`` if it holds float32, else ``row``.

    Chosen by type when Numba compiles, so a 16-bit kernel never compiles the
    batch loop for a uint16 ``out`` (the Cython twin tests ``out32_t is float``).
    """
    return out if out.dtype == np.float32 else row  # the compiled choice, as Python


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
