"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D,
Cropping1D/2D/3D, UpSampling1D/2D/3D."""

import math

import torch.nn.functional as F

from plait.layers.spatial import check_rank, to_channels_first, to_channels_last
from plait.layers.layer import Layer, LayerCallError
from plait.serialization import register_serializable
from plait.utils import conv_utils

__all__ = [
    "Cropping",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Flatten",
    "Permute",
    "RepeatVector",
    "Reshape",
    "UpSampling",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]


@register_serializable(package="plait")
class Flatten(Layer):
    """Flattens each sample: `(batch, d1, d2, ...)` -> `(batch, d1 * d2 * ...)`.

    Channels-last data flattens in Keras's `(h, w, c)` order, so a Dense after it takes
    weights from a Keras model unchanged. With data_format='channels_first', the input is
    moved to channels-last first, as Keras does.

    Args:
        data_format: 'channels_last' (default) or 'channels_first'.

    Input shape: `(batch, ...)`. Output shape: `(batch, prod(...))`.

        >>> from plait.layers import Input
        >>> Flatten()(Input(shape=(4, 5, 3))).shape
        (None, 60)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)

    def forward(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@register_serializable(package="plait")
class Reshape(Layer):
    """Reshapes each sample to `target_shape` (without the batch dimension).

    Args:
        target_shape: tuple of positive ints; one entry may be -1, inferred from the
            sample's size.

    Input shape: `(batch, ...)` with `prod(...)` equal to the target's size.
    Output shape: `(batch, *target_shape)`.

        >>> from plait.layers import Input
        >>> x = Input(shape=(12,))
        >>> Reshape((3, -1))(x).shape
        (None, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_shape, int) or not isinstance(target_shape, (list, tuple)):
            raise TypeError(
                "`target_shape` must be a tuple of ints, e.g. (3, 4) or (-1,). "
                f"Received: target_shape={target_shape!r}"
            )
        target_shape = tuple(target_shape)
        if not all(
            isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1)
            for d in target_shape
        ):
            raise ValueError(
                "`target_shape` must hold positive ints and at most one -1. "
                f"Received: target_shape={target_shape}"
            )
        if target_shape.count(-1) > 1:
            raise ValueError(
                "`target_shape` may hold at most one -1 (the one inferred dimension). "
                f"Received: target_shape={target_shape}"
            )
        self.target_shape = target_shape

    def forward(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        sample = tuple(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if any(d is None for d in sample):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(sample)
        if -1 in self.target_shape:
            fits = size % known == 0
        else:
            fits = size == known
        if not fits:
            raise ValueError(
                f"Reshape cannot turn samples of shape {sample} ({size} values) into "
                f"target_shape={self.target_shape} ({known} values"
                f"{' times the -1 dimension' if -1 in self.target_shape else ''}): the number "
                "of values must stay the same. Fix target_shape."
            )
        return (input_shape[0],) + tuple(size // known if d == -1 else d for d in self.target_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


@register_serializable(package="plait")
class Permute(Layer):
    """Permutes the axes of each sample: `dims` is a permutation of `1..rank-1` (1-based,
    the batch axis 0 stays), e.g. `Permute((2, 1))` swaps the two axes of `(batch, a, b)`.

    Args:
        dims: a tuple of ints, a permutation of `1..rank-1`.

    Input shape: `(batch, ...)` of rank `len(dims) + 1`.
    Output shape: `(batch, *[input_shape[d] for d in dims])`.

    Raises:
        TypeError, ValueError: for `dims` that is not a permutation of `1..n`.

        >>> from plait.layers import Input
        >>> Permute((2, 1))(Input(shape=(10, 64))).shape
        (None, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        if isinstance(dims, int) or not isinstance(dims, (list, tuple)):
            raise TypeError(f"`dims` must be a tuple of ints. Received: dims={dims!r}")
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "`dims` must be a permutation of 1, 2, ..., n (1-based: the batch axis 0 "
                f"stays in place). Received: dims={dims}"
            )
        self.dims = dims

    def build(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise LayerCallError(
                f"Permute layer '{self.name}' with dims={self.dims} expects a "
                f"{len(self.dims) + 1}-D input; received an input of shape "
                f"{tuple(input_shape)}."
            )

    def forward(self, inputs):
        return inputs.permute((0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


@register_serializable(package="plait")
class RepeatVector(Layer):
    """Repeats a vector `n` times: `(batch, features)` -> `(batch, n, features)`.

    Args:
        n: the number of repetitions, a positive int.

    Input shape: `(batch, features)`. Output shape: `(batch, n, features)`.

        >>> from plait.layers import Input
        >>> RepeatVector(3)(Input(shape=(32,))).shape
        (None, 3, 32)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"`n` must be a positive integer. Received: n={n!r}")
        self.n = n

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise LayerCallError(
                f"RepeatVector layer '{self.name}' expects a 2-D input (batch, features); "
                f"received an input of shape {tuple(input_shape)}."
            )

    def forward(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1).contiguous()

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


def _normalize_pairs(value, rank, name):
    """`value` as `rank` (before, after) pairs: an int (everywhere), `rank` ints (symmetric
    per axis), `rank` pairs, or, for rank 1, one pair."""

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if is_int(value):
        return ((value, value),) * rank
    items = tuple(value) if isinstance(value, (list, tuple)) else ()
    if rank == 1 and len(items) == 2 and all(is_int(v) for v in items):
        return (items,)
    if len(items) == rank and all(is_int(v) for v in items):
        return tuple((v, v) for v in items)
    if len(items) == rank and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(is_int(v) for v in p) for p in items
    ):
        return tuple(tuple(p) for p in items)
    forms = (
        "an int or a pair of ints (before, after)"
        if rank == 1
        else (f"an int, a tuple of {rank} ints, or a tuple of {rank} (before, after) pairs")
    )
    raise ValueError(f"`{name}` must be {forms}, all non-negative. Received: {name}={value!r}")


class _Spatial(Layer):
    """Base of the layers acting on the spatial axes of `(batch, *spatial, channels)`."""

    rank = None

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format(data_format)
        self._channels_last = self.data_format == "channels_last"
        first = 1 if self._channels_last else 2
        self._axes = tuple(range(first, first + self.rank))

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank)

    def _pairs_config(self, pairs):
        return list(pairs[0]) if self.rank == 1 else [list(p) for p in pairs]

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class ZeroPadding(_Spatial):
    """Adds rows/columns of zeros at the start and end of each spatial axis.

    Args:
        padding: int, tuple of `rank` ints (symmetric per axis), or `rank` pairs
            `(before, after)` (for 1-D: one pair). Default 1.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _normalize_pairs(padding, self.rank, "padding")
        pads = [p for pair in reversed(self.padding) for p in pair]  # F.pad: last axis first
        self._pads = ([0, 0] + pads) if self._channels_last else pads

    def forward(self, inputs):
        return F.pad(inputs, self._pads)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        out = list(input_shape)
        for axis, (before, after) in zip(self._axes, self.padding):
            out[axis] = None if out[axis] is None else out[axis] + before + after
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["padding"] = self._pairs_config(self.padding)
        return config


class Cropping(_Spatial):
    """Removes rows/columns at the start and end of each spatial axis.

    Args:
        cropping: int, tuple of `rank` ints (symmetric per axis), or `rank` pairs
            `(before, after)` (for 1-D: one pair). Default: 1 for Cropping1D, 0 otherwise.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    def __init__(self, cropping=0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _normalize_pairs(cropping, self.rank, "cropping")

    def forward(self, inputs):
        index = [slice(None)] * inputs.dim()
        for axis, (before, after) in zip(self._axes, self.cropping):
            index[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        out = list(input_shape)
        for axis, (before, after) in zip(self._axes, self.cropping):
            if out[axis] is not None:
                if before + after >= out[axis]:
                    raise ValueError(
                        f"cropping={self._pairs_config(self.cropping)} removes all of axis "
                        f"{axis} (size {out[axis]}); crop less than the input's size"
                    )
                out[axis] -= before + after
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self._pairs_config(self.cropping)
        return config


class UpSampling(_Spatial):
    """Repeats each row/column `size` times along each spatial axis.

    Args:
        size: int or tuple of `rank` ints (default 2).
        data_format: 'channels_last' (default) or 'channels_first'.
        interpolation (UpSampling2D): 'nearest' (default, repetition) or 'bilinear'
            (TensorFlow's and PyTorch's half-pixel-centre resize).
    """

    interpolations = ("nearest",)

    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = conv_utils.normalize_tuple(size, self.rank, "size")
        if interpolation not in self.interpolations:
            raise ValueError(
                f"`interpolation` must be one of {list(self.interpolations)}. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def forward(self, inputs):
        if self.interpolation == "nearest":
            out = inputs
            for axis, size in zip(self._axes, self.size):
                if size > 1:
                    out = out.repeat_interleave(size, dim=axis)
            return out
        x = to_channels_first(inputs, self.rank) if self._channels_last else inputs
        out = F.interpolate(x, scale_factor=self.size, mode="bilinear", align_corners=False)
        return to_channels_last(out, self.rank) if self._channels_last else out

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank)
        out = list(input_shape)
        for axis, size in zip(self._axes, self.size):
            out[axis] = None if out[axis] is None else out[axis] * size
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size[0] if self.rank == 1 else list(self.size)
        if len(self.interpolations) > 1:
            config["interpolation"] = self.interpolation
        return config


def _spatial_layer(base, name, rank, doc, **attrs):
    cls = type(name, (base,), {"rank": rank, "__doc__": doc, "__module__": __name__, **attrs})
    return register_serializable(package="plait")(cls)


ZeroPadding1D = _spatial_layer(
    ZeroPadding,
    "ZeroPadding1D",
    1,
    """Zero-padding of the steps of `(batch, steps, features)`.

    Args:
        padding: int (both ends) or `(before, after)`. Default 1.
        data_format: 'channels_last' (default) or 'channels_first'.

    Output shape: `(batch, before + steps + after, features)`.

        >>> import torch
        >>> ZeroPadding1D((1, 2))(torch.ones(1, 2, 1))[0, :, 0].tolist()
        [0.0, 1.0, 1.0, 0.0, 0.0]
    """,
)
ZeroPadding2D = _spatial_layer(
    ZeroPadding,
    "ZeroPadding2D",
    2,
    """Zero-padding of the rows and columns of `(batch, rows, cols, channels)`.

    Args:
        padding: int, `(rows, cols)` (symmetric), or `((top, bottom), (left, right))`.
            Default 1.
        data_format: 'channels_last' (default) or 'channels_first'.

    Output shape: `(batch, padded_rows, padded_cols, channels)`.

        >>> from plait.layers import Input
        >>> x = Input(shape=(28, 28, 1))
        >>> ZeroPadding2D(((1, 2), (3, 4)))(x).shape
        (None, 31, 35, 1)
    """,
)
ZeroPadding3D = _spatial_layer(
    ZeroPadding,
    "ZeroPadding3D",
    3,
    """Zero-padding of the three spatial axes of `(batch, d1, d2, d3, channels)`.

    Args:
        padding: int, 3 ints (symmetric per axis), or 3 `(before, after)` pairs. Default 1.
        data_format: 'channels_last' (default) or 'channels_first'.

    Output shape: `(batch, padded_d1, padded_d2, padded_d3, channels)`.

        >>> from plait.layers import Input
        >>> ZeroPadding3D(1)(Input(shape=(4, 4, 4, 2))).shape
        (None, 6, 6, 6, 2)
    """,
)


def _cropping_init(default):
    def __init__(self, cropping=default, data_format=None, **kwargs):
        Cropping.__init__(self, cropping, data_format, **kwargs)

    return __init__


Cropping1D = _spatial_layer(
    Cropping,
    "Cropping1D",
    1,
    """Cropping of the steps of `(batch, steps, features)`.

    Args:
        cropping: int (both ends) or `(before, after)`. Default (1, 1).
        data_format: 'channels_last' (default) or 'channels_first'.

    Output shape: `(batch, steps - before - after, features)`.

    Raises:
        ValueError: for a cropping that removes the whole axis.

        >>> import torch
        >>> Cropping1D((1, 2))(torch.arange(5.0).reshape(1, 5, 1))[0, :, 0].tolist()
        [1.0, 2.0]
    """,
    __init__=_cropping_init((1, 1)),
)
Cropping2D = _spatial_layer(
    Cropping,
    "Cropping2D",
    2,
    """Cropping of the rows and columns of `(batch, rows, cols, channels)`.

    Args:
        cropping: int, `(rows, cols)` (symmetric), or `((top, bottom), (left, right))`;
            default no cropping.
        data_format: 'channels_last' (default) or 'channels_first'.

    Output shape: `(batch, cropped_rows, cropped_cols, channels)`.

    Raises:
        ValueError: for a cropping that removes a whole axis.

        >>> from plait.layers import Input
        >>> x = Input(shape=(28, 28, 3))
        >>> Cropping2D(((2, 2), (4, 4)))(x).shape
        (None, 24, 20, 3)
    """,
    __init__=_cropping_init(((0, 0), (0, 0))),
)
Cropping3D = _spatial_layer(
    Cropping,
    "Cropping3D",
    3,
    """Cropping of the three spatial axes of `(batch, d1, d2, d3, channels)`.

    Args:
        cropping: int, 3 ints (symmetric per axis), or 3 `(before, after)` pairs.
            Default ((1, 1), (1, 1), (1, 1)).
        data_format: 'channels_last' (default) or 'channels_first'.

    Output shape: `(batch, cropped_d1, cropped_d2, cropped_d3, channels)`.

    Raises:
        ValueError: for a cropping that removes a whole axis.

        >>> from plait.layers import Input
        >>> Cropping3D()(Input(shape=(8, 8, 8, 2))).shape
        (None, 6, 6, 6, 2)
    """,
    __init__=_cropping_init(((1, 1), (1, 1), (1, 1))),
)
UpSampling1D = _spatial_layer(
    UpSampling,
    "UpSampling1D",
    1,
    """Repeats each step `size` times: `(batch, steps, features)` ->
    `(batch, steps * size, features)`.

    Args:
        size: the number of repetitions (default 2).

        >>> import torch
        >>> UpSampling1D(2)(torch.tensor([[[1.0], [2.0]]]))[0, :, 0].tolist()
        [1.0, 1.0, 2.0, 2.0]
    """,
)
UpSampling2D = _spatial_layer(
    UpSampling,
    "UpSampling2D",
    2,
    """Upsamples rows and columns by `size` (int or `(rows, cols)`, default 2) with
    interpolation 'nearest' (repetition, default) or 'bilinear'.

    Args:
        size: int or `(rows, cols)` (default 2).
        data_format: 'channels_last' (default) or 'channels_first'.
        interpolation: 'nearest' (default) or 'bilinear'.

    Output shape: `(batch, rows * size[0], cols * size[1], channels)`.

        >>> from plait.layers import Input
        >>> x = Input(shape=(7, 7, 16))
        >>> UpSampling2D(size=(2, 3))(x).shape
        (None, 14, 21, 16)
    """,
    interpolations=("nearest", "bilinear"),
)
UpSampling3D = _spatial_layer(
    UpSampling,
    "UpSampling3D",
    3,
    """Repeats the entries of the three spatial axes `size` times (nearest).

    Args:
        size: int or 3 ints (default 2).
        data_format: 'channels_last' (default) or 'channels_first'.

    Output shape: `(batch, d1 * size[0], d2 * size[1], d3 * size[2], channels)`.

        >>> from plait.layers import Input
        >>> UpSampling3D(2)(Input(shape=(2, 3, 4, 1))).shape
        (None, 4, 6, 8, 1)
    """,
)
