"""What the preprocessing layers share: taking NumPy arrays and lists as inputs, output
dtypes for symbolic calls, reading `adapt` data, and seeded random draws.

Numeric preprocessing layers compute with torch on the input's device (inside a model on
the GPU, that is the GPU). String layers (`StringLookup`, `TextVectorization`, `Hashing` of
strings) take a `StringArray` (plait/utils/string_array.py), NumPy string arrays or lists,
compute on the host and return int64 torch tensors.
"""

import numpy as np
import torch

from plait.graph.tensor import SymbolicTensor
from plait.layers.layer import (
    _NO_INPUTS,
    Layer,
    LayerCallError,
    _describe_inputs,
    _Spec,
)
from plait.utils import nest
from plait.utils.random import device_generator
from plait.utils.string_array import STRING, StringArray, is_string_data


def to_host_or_tensor(value):
    """NumPy arrays, lists and scalars as torch tensors; string data as a StringArray;
    tensors, symbolic tensors and StringArrays as they are."""
    if isinstance(value, (torch.Tensor, SymbolicTensor, StringArray)):
        return value
    if is_string_data(value):
        return StringArray(value)
    if isinstance(value, (np.ndarray, np.generic, list, tuple, int, float)):
        array = np.asarray(value)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        return torch.as_tensor(array)
    return value


def batches(data):
    """`data` for `adapt` as an iterator of batches: one array, or the items of an iterable
    (a list of arrays, a generator, a torch DataLoader; `(x, y)` items give `x`). Lazy, so
    an endless generator with `steps=` works."""
    if isinstance(data, (np.ndarray, torch.Tensor, StringArray)) or is_string_data(data):
        return iter([data])
    if (
        isinstance(data, (list, tuple))
        and data
        and not isinstance(data[0], (np.ndarray, torch.Tensor, list, tuple))
    ):
        return iter([np.asarray(data)])
    if not hasattr(data, "__iter__"):
        raise TypeError(
            "adapt() takes a NumPy array, a torch tensor, or an iterable of batches (a list "
            f"of arrays, a generator, a DataLoader). Received: data of type "
            f"{type(data).__name__}"
        )
    return _items(iter(data))


def _items(iterator):
    first = True
    for item in iterator:
        first = False
        if isinstance(item, (tuple, list)) and len(item) in (2, 3) and not is_string_data(item):
            item = item[0]
        yield item
    if first:
        raise ValueError(
            "adapt() received an empty iterable (no batches). Pass at least one batch, e.g. "
            "layer.adapt(x) or layer.adapt([x1, x2])."
        )


def as_numpy(batch):
    if isinstance(batch, torch.Tensor):
        return batch.detach().cpu().numpy()
    if isinstance(batch, StringArray):
        return batch.array
    return np.asarray(batch)


class PreprocessingLayer(Layer):
    """A Layer that also takes NumPy arrays and lists (as Keras's preprocessing layers do)
    and says its output dtype (`output_dtype_for`) to symbolic calls."""

    def __call__(self, inputs=_NO_INPUTS, *args, **kwargs):
        if inputs is not _NO_INPUTS and not isinstance(inputs, torch.Tensor):
            inputs = (
                nest.map_structure(to_host_or_tensor, inputs)
                if isinstance(inputs, dict)
                else to_host_or_tensor(inputs)
            )
            if isinstance(inputs, StringArray) and not self.built:
                self._ensure_built(None)
        return super().__call__(inputs, *args, **kwargs)

    def output_dtype_for(self, input_dtype):
        """The dtype of the output for an input of `input_dtype` (a torch dtype or
        'string'); floats stay, others become float32."""
        if isinstance(input_dtype, torch.dtype) and input_dtype.is_floating_point:
            return input_dtype
        return torch.float32

    def _output_specs(self, args, kwargs, input_shapes, where):
        dtype = next(
            (t.dtype for t in nest.flatten(args) if isinstance(t, SymbolicTensor)), torch.float32
        )
        try:
            shape = tuple(self.compute_output_shape(input_shapes))
        except LayerCallError:
            raise
        except (ValueError, TypeError, IndexError) as err:
            raise LayerCallError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot be called on "
                f"{_describe_inputs(args[0])}, at {where}: {err}"
            ) from err
        return _Spec(shape, self.output_dtype_for(dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def check_not_string(layer, inputs):
    if isinstance(inputs, StringArray):
        raise TypeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) takes numeric tensors; it received "
            f"strings. Received: inputs={inputs!r}"
        )


def is_string_dtype(dtype):
    return dtype == STRING


class _DirectCall:
    """The `training` default of augmentation layers: called directly (not by a model,
    which always passes `training`), they augment, as Keras's do."""

    def __repr__(self):
        return "DIRECT_CALL"


DIRECT_CALL = _DirectCall()


class RandomPreprocessingLayer(PreprocessingLayer):
    """A preprocessing layer drawing random numbers: active in training, the identity (cast
    to float) at inference. `training` resolves as: the explicit value; inside a model, the
    model's mode (fit trains; predict, evaluate and `model(x)` infer); called directly
    without `training` (a data pipeline), True, as in Keras 3. With `seed`, its own
    generator per device."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"`seed` must be an int or None. Received: seed={seed!r}")
        self.seed = seed
        self._generators = {}

    def _generator(self, device):
        return device_generator(self._generators, self.seed, device)

    def _is_training(self, training):
        if training is DIRECT_CALL:
            return True
        return self.training if training is None else bool(training)

    def uniform(self, shape, low, high, device):
        """Uniform draws in [low, high) of `shape` (float32) from this layer's generator."""
        out = torch.empty(shape, device=device)
        out.uniform_(float(low), float(high), generator=self._generator(device))
        return out

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config


def to_float_image(inputs):
    """Images as floating tensors (integers become float32, as Keras's compute dtype)."""
    if not inputs.is_floating_point():
        inputs = inputs.to(torch.float32)
    return inputs


def as_batched(inputs):
    """(images with a batch axis, whether one was added): `(h, w, c)` -> `(1, h, w, c)`."""
    if inputs.dim() == 3:
        return inputs.unsqueeze(0), True
    if inputs.dim() != 4:
        raise ValueError(
            "Image layers take images of shape (batch, height, width, channels) or "
            f"(height, width, channels). Received: inputs with shape {tuple(inputs.shape)}"
        )
    return inputs, False


def check_factor_pair(name, factor, low=None, high=None):
    """`factor` (a number or a (lower, upper) pair) as a (lower, upper) pair; a number
    `f` means (-f, f)."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(
                f"`{name}` must be a number or a tuple of two numbers (lower, upper). "
                f"Received: {name}={factor!r}"
            )
        pair = (float(factor[0]), float(factor[1]))
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        pair = (-abs(float(factor)), abs(float(factor)))
    else:
        raise ValueError(  # noqa: TRY004 (Keras raises ValueError)
            f"`{name}` must be a number or a tuple of two numbers. Received: {name}={factor!r}"
        )
    if pair[0] > pair[1]:
        raise ValueError(
            f"`{name}`'s lower bound must not exceed its upper bound. Received: {name}={factor!r}"
        )
    for bound in pair:
        if (low is not None and bound < low) or (high is not None and bound > high):
            raise ValueError(f"`{name}` must lie in [{low}, {high}]. Received: {name}={factor!r}")
    return pair


def unit_factor_pair(name, factor, symmetric):
    """`factor` (a number or a pair, each in [0, 1]) as a sorted (lower, upper) pair, as
    Keras's RandomShear and Solarization read theirs: a number `f` means (-f, f) when
    `symmetric`, else (0, f).

    Raises:
        ValueError: for a value outside [0, 1], or neither a number nor a pair.
    """

    def check(value):
        if value > 1.0 or value < 0.0:
            raise ValueError(
                f"The `{name}` argument should be a number (or a list of two numbers) in the "
                f"range [0, 1]. Received: {name}={factor}"
            )

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"`{name}` must be a number or a pair. Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        return tuple(sorted(float(f) for f in factor))
    if isinstance(factor, (int, float)):
        check(factor)
        return (-abs(float(factor)), abs(float(factor))) if symmetric else (0.0, float(factor))
    raise ValueError(f"`{name}` must be a number or a pair. Received: {name}={factor}")


def factor_config(layer):
    """The config entries of a color augmentation: its `factor` and `value_range` (as
    lists, as Keras writes them) and `data_format`.

        >>> from types import SimpleNamespace
        >>> layer = SimpleNamespace(factor=(0.0, 0.5), value_range=(0, 255), data_format=None)
        >>> factor_config(layer)
        {'factor': [0.0, 0.5], 'value_range': [0, 255], 'data_format': None}
    """
    return {
        "factor": list(layer.factor),
        "value_range": list(layer.value_range),
        "data_format": layer.data_format,
    }
