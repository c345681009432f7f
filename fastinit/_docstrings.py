"""Docstring text shared by the public initializers, written once.

``fill_doc`` replaces ``%(seed)s``, ``%(layout)s``, ``%(returns_raises)s``
(the Returns and Raises sections) and ``%(raises)s`` in a docstring; ``named_doc`` appends the
sections the six named variance-scaling initializers share to the summary and
formula each one writes itself.
"""

SEED = """seed : int
        Root of the random stream, ``0 <= seed < 2**64``.
    stream : int or str, default 0
        Independent sub-stream, one per parameter tensor: an int in
        ``[0, 2**64)`` or a name such as ``"decoder.3.mlp.weight"``, hashed
        to a stable 64-bit id (BLAKE2b, see docs/contract.md)."""

LAYOUT = """full_shape : tuple of int, optional
        Shape of the full logical tensor when ``out`` is only part of it
        (default ``out.shape``). Fans always come from it.
    origin : tuple of int, optional
        ``out`` is the block ``full[origin[0]:origin[0]+out.shape[0], ...]``.
    offset : int, optional
        ``out`` holds consecutive elements of the flattened full tensor,
        from flat index ``offset`` (FSDP-style flat shards).
    n_threads : int, optional
        Threads to use: None all usable cores (one per 65536 elements at
        most), -1 all usable cores, ``-k`` all but ``k - 1``. Never changes
        a value.
    backend : {"auto", "numba", "cython"}, default "auto"
        Kernel implementation ("auto": Cython when built). Never changes a
        value."""

RAISES = """TypeError
        If `out` is not a numpy array of a supported dtype, or an argument
        has the wrong type.
    ValueError
        If `out` is read-only or not contiguous, a number is out of range,
        not finite or beyond the finite range of the output dtype, or
        `origin`/`offset` put `out` outside `full_shape`. Nothing is
        written then."""

RETURNS_RAISES = """Returns
    -------
    out
        The object passed in, now filled.

    Raises
    ------
    """ + RAISES

GLOROT = ('X. Glorot and Y. Bengio, "Understanding the difficulty of training deep '
          'feedforward neural networks", AISTATS 2010.')
HE = 'K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers", ICCV 2015.'
LECUN = 'Y. LeCun, L. Bottou, G. Orr and K.-R. Mueller, "Efficient BackProp", 1998.'

# The sections every named variance-scaling initializer shares; {name}, {keras},
# {jax}, {torch}, {ref} and {bound} are filled per function.
_NAMED_SECTIONS = """
    Fans come from the full shape (:func:`compute_fans`).

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    in_axis, out_axis : int, default -2, -1
        Axes of the full shape holding the input and output sizes.
    %(layout)s

    %(returns_raises)s

    Notes
    -----
    Same distribution as Keras ``{keras}`` and ``jax.nn.initializers.{jax}``
    (layout ``(*receptive, in, out)``). PyTorch: {torch}.

    References
    ----------
    .. [1] {ref}

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = np.empty((64, 32), np.float32)
    >>> fastinit.{name}(w, seed=0, stream="dense.weight") is w
    True
    >>> bool(np.abs(w).max() <= {bound})
    True
    """


def fill_doc(func):
    """Replace the shared placeholders in ``func.__doc__``."""
    for key, text in (("%(seed)s", SEED), ("%(layout)s", LAYOUT),
                      ("%(returns_raises)s", RETURNS_RAISES),
                      ("%(raises)s", RAISES)):
        func.__doc__ = func.__doc__.replace(key, text)
    return func


def named_doc(**facts):
    """Append the shared sections to a named initializer's own summary and formula."""
    def decorate(func):
        func.__doc__ = func.__doc__.rstrip() + "\n" + _NAMED_SECTIONS.format(
            name=func.__name__, **facts)
        return fill_doc(func)
    return decorate
