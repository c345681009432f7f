"""Keras 3 initializers whose values fastinit fills, for any Keras backend.

Named and parameterized as ``keras.initializers``'s, so the article's model is
the same code with reproducible, fast weights::

    Dense(128, activation="relu", kernel_initializer=fastinit.keras.HeNormal(seed=0))

``__call__(shape, dtype=None)`` fills a NumPy buffer on the host with the
fastinit initializer of the same name (``HeNormal`` -> ``fastinit.he_normal_``,
layout ``(*receptive, in, out)`` as Keras) and converts it once into a tensor
of the active backend (``keras.ops.convert_to_tensor``).

Seeds and streams. The random initializers require ``seed`` (an int in
``[0, 2**64)``). ``stream`` (int or str) fixes the fastinit stream; left at
None, the n-th call of an instance uses stream ``n`` (0, 1, 2, ...), so two
layers built from one instance get different weights, and the same model
built again from fresh instances gets the same ones. (Keras's own
int-seeded initializers repeat the same values at every call.) The call
counter is not part of ``get_config``: a deserialized instance starts at 0.
A clone that Keras makes with ``from_config(get_config())`` (MultiHeadAttention
and GroupQueryAttention per projection, EinsumDense to hand over the kernel's
axes, BatchNormalization with ``renorm``) counts on with its original, so the
four projections of a MultiHeadAttention get four streams.

``VarianceScaling`` and its six named subclasses derive from
``keras.initializers.VarianceScaling``, the class Keras's layers test for:
EinsumDense (and so MultiHeadAttention and GroupQueryAttention) clones them
with the kernel's ``input_axes``/``output_axes``, and the fans are then Keras's.

Under a Keras distribution on the JAX backend (``keras.distribution.ModelParallel``
with a ``LayoutMap``), Keras hands the variable's layout to ``__call__``, and
each shard is filled on the host by ``fastinit.jax.make_array``: the same
values as the unsharded kernel, without a host buffer of the whole of it.

Every class is registered with ``keras.saving.register_keras_serializable``
(package ``"fastinit"``), so a model saved to ``.keras`` loads again once
``fastinit.keras`` is imported. This module imports ``keras``; ``import
fastinit`` never imports it.
"""

import math
import threading

import keras
import numpy as np
from keras.src.initializers import ALL_OBJECTS_DICT as _KERAS_NAMES

from . import _fillers, matrices
from ._engine import checks, fans, formats, framework_checks, laws, request

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "Zeros", "get",
]

_register = keras.saving.register_keras_serializable(package="fastinit")


def _dtypes_for(dtype):
    """(Keras dtype name, NumPy dtype of the host buffer)."""
    name = keras.backend.standardize_dtype(dtype or keras.config.floatx())
    if name == "float64" and keras.backend.backend() == "jax":
        import jax

        if not jax.config.jax_enable_x64:  # JAX would hold float32 anyway
            name = "float32"
    host = formats.BFLOAT16 if name == "bfloat16" else np.dtype(name)
    framework_checks.check_float_dtype(host, name)
    return name, host


class _Filled(keras.initializers.Initializer):
    """Host fill by ``self._filler`` (built once, checked), then one conversion to a tensor."""

    def _keys(self):
        return None  # no randomness

    def _fill(self, out, keys, **where):
        return self._filler(out, keys, **where)

    def __call__(self, shape, dtype=None, layout=None):
        name, host = _dtypes_for(dtype)
        keys = self._keys()
        if layout is not None and keras.backend.backend() == "jax":
            return self._sharded(tuple(shape), host, keys, layout)
        out = self._fill(np.empty(tuple(shape), host), keys)
        return keras.ops.convert_to_tensor(out, dtype=name)

    def _sharded(self, shape, host, keys, layout):
        """A Keras distribution's layout (JAX): each shard filled on the host."""
        import jax

        from .jax._arrays import place_filled

        if isinstance(layout.mesh, jax.sharding.AbstractMesh):  # the mesh Keras has set
            layout = jax.sharding.NamedSharding(jax.sharding.get_mesh(), layout.spec)

        def fill_part(out, full_shape, origin):
            return self._fill(out, keys, full_shape=full_shape, origin=origin)

        return place_filled(fill_part, shape, host, layout)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"fastinit.keras.{type(self).__name__}({args})"


_CALLS_LOCK = threading.Lock()


class _Calls:
    """How many fills an initializer and its clones have drawn (the next free stream)."""

    def __init__(self):
        self.count = 0

    def take(self):
        with _CALLS_LOCK:
            n, self.count = self.count, self.count + 1
        return n


class _Config(dict):
    """``get_config``'s dict; ``calls`` carries the instance's call counter to the clones that
    Keras builds from it with ``from_config`` (MultiHeadAttention, EinsumDense, ...)."""

    calls = None


class _Random(_Filled):
    """A seeded initializer; without a fixed `stream`, call n uses stream n."""

    def __init__(self, seed=None, stream=None):
        self.seed = checks.check_seed(seed)
        self.stream = None if stream is None else checks.check_stream(stream)
        self._key = request.key_words(self.seed)
        self._fixed = None if stream is None else request.stream_words(self.stream)
        self._calls = _Calls()

    def _keys(self):
        stream = self._fixed or request.stream_words(self._calls.take())
        return request.Keys(*self._key, *stream)

    def _config(self):
        return {"seed": self.seed, "stream": self.stream}

    def get_config(self):
        config = _Config(self._config())
        config.calls = self._calls
        return config

    @classmethod
    def from_config(cls, config):
        init = cls(**config)
        if getattr(config, "calls", None) is not None:  # a clone counts on with its original
            init._calls = config.calls
        return init


@_register
class RandomUniform(_Random):
    """``keras.initializers.RandomUniform``: the values of ``fastinit.random_uniform_``.

    Uniform samples between `minval` and `maxval` (bounds as
    ``fastinit.random_uniform_`` keeps them); `seed` required.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None, stream=None):
        self.minval, self.maxval = minval, maxval
        self._filler = _fillers.law_filler(laws.uniform(minval, maxval))
        super().__init__(seed, stream)

    def _config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super()._config()}


@_register
class RandomNormal(_Random):
    """``keras.initializers.RandomNormal``: the values of ``fastinit.random_normal_``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None, stream=None):
        self.mean, self.stddev = mean, stddev
        self._filler = _fillers.law_filler(self._law(mean, stddev))
        super().__init__(seed, stream)

    @staticmethod
    def _law(mean, stddev):
        return laws.normal(mean, stddev)

    def _config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super()._config()}


@_register
class TruncatedNormal(RandomNormal):
    """``keras.initializers.TruncatedNormal``: ``fastinit.truncated_normal_`` at ±2 stddev."""

    @staticmethod
    def _law(mean, stddev):
        return laws.truncated(mean, stddev, -2.0, 2.0)


@_register
class VarianceScaling(_Random, keras.initializers.VarianceScaling):
    """``keras.initializers.VarianceScaling``: the values of ``fastinit.variance_scaling_``.

    A subclass of Keras's own, so Keras's layers treat it as theirs (EinsumDense
    hands it the kernel's input and output axes). As Keras: `distribution` is
    lower-cased and ``"normal"`` means ``"truncated_normal"``; `input_axes` and
    `output_axes` (lists of axes), when both given, make the fans the products
    of the sizes of those axes.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None, stream=None):
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        self.scale, self.mode = scale, mode
        self.distribution = "truncated_normal" if distribution == "normal" else distribution
        self.input_axes = framework_checks.check_axis_list("input_axes", input_axes)
        self.output_axes = framework_checks.check_axis_list("output_axes", output_axes)
        self._law = laws.scaled(scale, mode, self.distribution)
        super().__init__(seed, stream)

    def _fill(self, out, keys, **where):
        law = self._law
        if self.input_axes is not None and self.output_axes is not None:
            full = where.get("full_shape")
            full = out.shape if full is None else tuple(full)
            framework_checks.check_axes_of("input_axes", self.input_axes, full)
            framework_checks.check_axes_of("output_axes", self.output_axes, full)
            if math.prod(full):  # Keras divides by max(1, fan): only an empty tensor has 0
                fan_in, fan_out = fans.keras_fans(full, self.input_axes, self.output_axes)
                law = law._replace(fan_in=fan_in, fan_out=fan_out)
        return _fillers.law_filler(law)(out, keys, **where)

    def _config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes,
                **super()._config()}


def _named(name, scale, mode, distribution, fastinit_name):
    def __init__(self, seed=None, input_axes=None, output_axes=None, stream=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes,
                                 output_axes, stream)

    def _config(self):
        return {"seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes, "stream": self.stream}

    doc = (f"``keras.initializers.{name}``: the values of ``fastinit.{fastinit_name}`` "
           f"(``VarianceScaling({scale}, {mode!r}, {distribution!r})``).")
    cls = type(name, (VarianceScaling,), {"__init__": __init__, "_config": _config,
                                          "__doc__": doc, "__module__": __name__})
    return _register(cls)


GlorotUniform = _named("GlorotUniform", 1.0, "fan_avg", "uniform", "glorot_uniform_")
GlorotNormal = _named("GlorotNormal", 1.0, "fan_avg", "truncated_normal", "glorot_normal_")
HeUniform = _named("HeUniform", 2.0, "fan_in", "uniform", "he_uniform_")
HeNormal = _named("HeNormal", 2.0, "fan_in", "truncated_normal", "he_normal_")
LecunUniform = _named("LecunUniform", 1.0, "fan_in", "uniform", "lecun_uniform_")
LecunNormal = _named("LecunNormal", 1.0, "fan_in", "truncated_normal", "lecun_normal_")


@_register
class Orthogonal(_Random):
    """``keras.initializers.Orthogonal``: the values of ``fastinit.orthogonal_``.

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])`` as Keras does;
    rows or columns orthonormal, times `gain`.
    """

    def __init__(self, gain=1.0, seed=None, stream=None):
        self.gain = gain
        self._filler = _fillers.filler(matrices.orthogonal_, gain=gain)[0]
        super().__init__(seed, stream)

    def _config(self):
        return {"gain": self.gain, **super()._config()}


@_register
class Identity(_Filled):
    """``keras.initializers.Identity``: `gain` times the 2-D (rectangular) identity."""

    def __init__(self, gain=1.0):
        self.gain = checks.check_real("gain", gain)
        self._filler = _fillers.filler(matrices.identity_, gain=self.gain)[0]

    def get_config(self):
        return {"gain": self.gain}


def _constant_class(base):
    cls = type(base.__name__, (base,), {
        "__doc__": f"``keras.initializers.{base.__name__}`` (no randomness: Keras's own "
                   "values, registered under the fastinit package).",
        "__module__": __name__})
    return _register(cls)


Zeros = _constant_class(keras.initializers.Zeros)
Ones = _constant_class(keras.initializers.Ones)
Constant = _constant_class(keras.initializers.Constant)

_RANDOM = (RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, GlorotUniform,
           GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal)
_CLASSES = {cls.__name__: cls for cls in (*_RANDOM, Identity, Zeros, Ones, Constant)}


def get(identifier, **kwargs):
    """Return the fastinit initializer for a Keras initializer name.

    Every name ``keras.initializers.get`` knows (``"he_normal"``,
    ``"HeNormal"``, ``"normal"``, ``"zeros"``, ...) maps to the class of the
    same Keras class name; `kwargs` go to its constructor. The constant
    initializers and ``Identity`` take no `seed` or `stream`: they are
    dropped for them.

    Parameters
    ----------
    identifier : str or fastinit.keras initializer
        A Keras initializer name; an instance of this module is returned as is.
    **kwargs
        Constructor arguments, ``seed`` required for the random ones.

    Returns
    -------
    keras.initializers.Initializer
        An instance of this module's class.

    Raises
    ------
    ValueError
        If `identifier` is not a name of a Keras initializer this module has.

    Examples
    --------
    >>> import fastinit.keras
    >>> fastinit.keras.get("he_normal", seed=0)
    fastinit.keras.HeNormal(seed=0, input_axes=None, output_axes=None, stream=None)
    """
    if isinstance(identifier, tuple(_CLASSES.values())) and not kwargs:
        return identifier
    keras_cls = _KERAS_NAMES.get(identifier) if isinstance(identifier, str) else None
    cls = _CLASSES.get(getattr(keras_cls, "__name__", None))
    if cls is None:
        raise ValueError(framework_checks.KERAS_IDENTIFIER.format(sorted(_CLASSES), identifier))
    if cls not in _RANDOM:
        kwargs.pop("seed", None)
        kwargs.pop("stream", None)
    return cls(**kwargs)
