"""The engine: one parse per call, fans, streams, output formats, the fill path, threads.

Public functions (``fastinit.initializers``, ``fastinit.matrices``) and the
integrations (``fastinit.torch``, ``fastinit.keras``, ``fastinit.jax``,
``fastinit.checkpoint``) turn their arguments into a checked request here and
hand it to the fill path; the kernels (``_numba/``, ``_cython/``, mirrors of
each other) trust what they receive.
"""
