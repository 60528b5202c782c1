"""Numeric feature preprocessing: Normalization (with adapt) and Discretization."""

import math

import numpy as np
import torch

from plait.layers.preprocessing.base import (
    PreprocessingLayer,
    as_numpy,
    batches,
    check_not_string,
)
from plait.layers.preprocessing.encoding import (
    check_output_mode,
    encode_categorical,
    encoded_shape,
)
from plait.serialization import register_serializable

_EPSILON = 1e-7  # Keras's backend.epsilon(): the floor of the standard deviation


@register_serializable(package="plait")
class Normalization(PreprocessingLayer):
    """Shifts and scales inputs to mean 0 and variance 1: `(x - mean) / sqrt(variance)`.

    The mean and variance come from `mean=`/`variance=` or from `adapt(data)`, which
    computes them over every axis except those in `axis`. A layer neither given them nor
    adapted uses mean 0 and variance 1 (the identity), as Keras 3 does.

    Args:
        axis: the axis or axes that keep separate statistics (default -1, the features);
            None for one mean and variance over everything.
        mean, variance: the statistics to use (scalars or arrays broadcasting over the
            kept axes), instead of `adapt`.
        invert: compute `mean + x * sqrt(variance)` instead (undo a normalization).

    Input shape: any. Output shape: the input's (float32).
    Weights (after build, without `mean=`): `mean`, `variance` (shape: the kept axes'
    sizes) and `count`, non-trainable buffers saved with the model.

        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0., 7.], [2., 9.]]))
        >>> layer(np.array([[1., 8.]]))
        tensor([[0., 0.]])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: when setting values directly, both `mean` and `variance` "
                f"must be set. Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape. "
                    f"Received: mean shape {np.shape(mean)} and variance shape "
                    f"{np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    "Normalization: the rank of `mean` must be at most the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis "
                    f"{self.axis}"
                )
        self._build_input_shape = None

    def build(self, input_shape):
        if input_shape is None:
            return
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "Normalization: all `axis` values must be in the range [-ndim, ndim). "
                f"Received: inputs with ndim={ndim}, axis={self.axis}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(
                    "Normalization: all `axis` values to be kept must have a known size. "
                    f"Received: axis={self.axis}, inputs.shape={tuple(input_shape)}, with "
                    f"an unknown size at index {d}"
                )
        self._build_input_shape = tuple(input_shape)
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        self._stats_shape = tuple(input_shape[d] for d in keep)
        if self.input_mean is None:
            self.add_weight("mean", self._stats_shape, "zeros", trainable=False)
            self.add_weight("variance", self._stats_shape, "ones", trainable=False)
            self.add_weight("count", (), "zeros", trainable=False, dtype="int64")
        else:
            self.register_buffer("_fixed_mean", self._broadcast(self.input_mean), persistent=False)
            self.register_buffer(
                "_fixed_variance", self._broadcast(self.input_variance), persistent=False
            )
        self.built = True

    def _broadcast(self, value):
        value = torch.as_tensor(np.asarray(value, dtype=np.float32))
        if value.dim() > 0:
            expanded = [1] * len(self._broadcast_shape)
            for i in range(1, value.dim() + 1):
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        return torch.broadcast_to(value, self._broadcast_shape).clone()

    def forward(self, inputs):
        check_not_string(self, inputs)
        if not self.built or self._build_input_shape is None:
            raise ValueError(
                f"Normalization layer '{self.name}' must be built (called on an input or "
                "adapted) before it is used."
            )
        if self.input_mean is None:
            mean = self.mean.reshape(self._broadcast_shape)
            variance = self.variance.reshape(self._broadcast_shape)
        else:
            mean, variance = self._fixed_mean, self._fixed_variance
        if not inputs.is_floating_point():
            inputs = inputs.to(torch.float32)
        std = torch.sqrt(variance).clamp_min(_EPSILON)
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def adapt(self, data):
        """Compute the mean and variance of `data` over the axes not in `axis`.

        Args:
            data: a NumPy array, a torch tensor, or an iterable of batches (a list of
                arrays, a generator, a DataLoader; `(x, y)` items use `x`).
        """
        items = list(batches(data))
        first_shape = tuple(np.shape(items[0]))
        if not self.built or self._build_input_shape is None:
            self._ensure_built_for(first_shape)
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization layer '{self.name}' was given `mean` and `variance`; it "
                "cannot also be adapted."
            )
        if len(items) == 1 and isinstance(items[0], np.ndarray):
            self._check_adapt_shape(first_shape)
            array = items[0]
            mean = np.mean(array, axis=self._reduce_axis)
            var = np.var(array, axis=self._reduce_axis)
            count = math.prod(array.shape[d] for d in self._reduce_axis)
        else:
            mean, var, count = self._streamed_moments(items)
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(np.asarray(mean, dtype=np.float32)))
            self.variance.copy_(torch.as_tensor(np.asarray(var, dtype=np.float32)))
            self.count.fill_(int(count))

    def _ensure_built_for(self, shape):
        self.built = False
        self._ensure_built(shape)

    def _check_adapt_shape(self, shape):
        for d in self._keep_axis:
            if d >= len(shape) or shape[d] != self._build_input_shape[d]:
                raise ValueError(
                    f"Normalization layer '{self.name}' was built for inputs of shape "
                    f"{self._build_input_shape}; adapt() received data of an incompatible "
                    f"shape. Received: data.shape={shape}"
                )

    def _streamed_moments(self, items):
        total_mean = torch.zeros(self._stats_shape, dtype=torch.float32)
        total_var = torch.zeros(self._stats_shape, dtype=torch.float32)
        total_count = 0
        for batch in items:
            batch = torch.as_tensor(as_numpy(batch), dtype=torch.float32)
            self._check_adapt_shape(tuple(batch.shape))
            dims = self._reduce_axis
            batch_mean = batch.mean(dim=dims) if dims else batch
            batch_var = batch.var(dim=dims, unbiased=False) if dims else torch.zeros_like(batch)
            batch_count = math.prod(batch.shape[d] for d in dims) if dims else 1
            total_count += batch_count
            w = batch_count / total_count
            new_mean = total_mean * (1 - w) + batch_mean * w
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - w) + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * w
            total_mean = new_mean
        return total_mean.numpy(), total_var.numpy(), total_count

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": list(self.axis),
                "invert": self.invert,
                "mean": None if self.input_mean is None else np.array(self.input_mean).tolist(),
                "variance": (
                    None if self.input_variance is None else np.array(self.input_variance).tolist()
                ),
            }
        )
        return config


@register_serializable(package="plait")
class Discretization(PreprocessingLayer):
    """Buckets numeric values by boundaries: `x` goes to bin `i` where
    `boundaries[i-1] <= x < boundaries[i]` (NumPy's `digitize`).

    Args:
        bin_boundaries: sorted boundaries (n boundaries make n + 1 bins), or None to
            `adapt` them.
        num_bins: with `adapt`, the number of bins to find from the data's quantiles.
        epsilon: the error tolerance of the approximate quantiles `adapt` computes
            (default 0.01).
        output_mode: 'int' (bin indices, int32), 'one_hot', 'multi_hot' or 'count'.
        sparse: must be False (PyTorch's dense tensors).

    Input shape: any. Output shape: the input's ('int'), or with a last axis of the
    number of bins (the encodings).

        >>> Discretization(bin_boundaries=[0., 1., 2.])(np.array([[-1.5, 1.0, 3.4]]))
        tensor([[0, 2, 3]], dtype=torch.int32)
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if sparse:
            raise ValueError(
                "Discretization: `sparse=True` is not supported (PyTorch computes with dense "
                f"tensors). Received: sparse={sparse}"
            )
        check_output_mode("Discretization", output_mode, ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                "Discretization: `num_bins` must be greater than or equal to 0. "
                f"Received: num_bins={num_bins}"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization: both `num_bins` and `bin_boundaries` should not be set. "
                f"Received: num_bins={num_bins} and bin_boundaries={bin_boundaries}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                "Discretization: you need to set either `num_bins` or `bin_boundaries`. "
                "Received: num_bins=None, bin_boundaries=None"
            )
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self._summary = np.array([[], []], dtype="float32")
        self.register_buffer("_boundaries", torch.zeros(0), persistent=False)
        self.bin_boundaries = bin_boundaries

    @property
    def bin_boundaries(self):
        return self._bin_boundaries

    @bin_boundaries.setter
    def bin_boundaries(self, value):
        self._bin_boundaries = None if value is None else [float(b) for b in value]
        if value is not None:
            device = self._boundaries.device
            self._boundaries = torch.tensor(
                self._bin_boundaries, dtype=torch.float32, device=device
            )

    def adapt(self, data, steps=None):
        """Estimate `num_bins` quantile boundaries from `data` (an array or an iterable of
        batches; `steps` limits how many batches are read)."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        self._summary = np.array([[], []], dtype="float32")
        for i, batch in enumerate(batches(data)):
            if steps is not None and i >= steps:
                break
            values = np.asarray(as_numpy(batch)).astype("float32")
            self._summary = _merge_summaries(
                _summarize(values, self.epsilon), self._summary, self.epsilon
            )
        self.bin_boundaries = _compress(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def _depth(self):
        if self.bin_boundaries is not None:
            return len(self.bin_boundaries) + 1
        return self.num_bins

    def output_dtype_for(self, input_dtype):
        return torch.int32 if self.output_mode == "int" else torch.float32

    def forward(self, inputs):
        check_not_string(self, inputs)
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time "
                "or call `adapt(dataset)` before you can start using the `Discretization` "
                f"layer ('{self.name}')."
            )
        boundaries = self._boundaries.to(inputs.device)
        values = inputs if inputs.is_floating_point() else inputs.to(torch.float32)
        indices = torch.bucketize(values.to(boundaries.dtype).contiguous(), boundaries, right=True)
        if self.output_mode == "int":
            return indices.to(torch.int32)
        return encode_categorical(indices, self.output_mode, self._depth(), torch.float32)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(tuple(input_shape), self.output_mode, self._depth())

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins,
                "epsilon": self.epsilon,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)


def _summarize(values, epsilon):
    """A 2-row summary (values, weights) of a sample: every `step`-th sorted value."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    picked = values[int(step - 1) :: int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def _merge_summaries(first, second, epsilon):
    merged = np.concatenate((first, second), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress(merged, epsilon)


def _compress(summary, epsilon):
    """Interpolate the summary at the cumulative-weight fractions epsilon, 2 epsilon, ..."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    fractions = cum_weights / cum_weights[-1]
    new_values = np.interp(percents, fractions, summary[0])
    new_cum = np.interp(percents, fractions, cum_weights)
    new_weights = new_cum - np.concatenate((np.array([0]), new_cum[:-1]))
    return np.stack((new_values, new_weights)).astype("float32")
