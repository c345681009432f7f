# cython: language_level=3
"""OpenMP state of this build (as sklearn's ``_openmp_parallelism_enabled``)."""

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define FASTINIT_OPENMP 1
    #define fastinit_max_threads() omp_get_max_threads()
    #else
    #define FASTINIT_OPENMP 0
    #define fastinit_max_threads() 1
    #endif
    #ifndef FASTINIT_BUILD_FLAGS
    #define FASTINIT_BUILD_FLAGS "unknown"
    #endif
    """
    const char* FASTINIT_BUILD_FLAGS
    const bint FASTINIT_OPENMP
    int fastinit_max_threads() nogil


def openmp_enabled():
    """True if the kernels were compiled with OpenMP (the ``_OPENMP`` macro)."""
    return FASTINIT_OPENMP


def max_threads():
    """OpenMP's ``omp_get_max_threads()``; 1 without OpenMP."""
    return fastinit_max_threads()


def build_flags():
    """The compiler flags and kernel variants setup.py built the kernels with."""
    return FASTINIT_BUILD_FLAGS.decode()
