"""Channels-last geometry shared by the convolution, pooling and reshaping families:
views between Keras's `(batch, *spatial, channels)` and PyTorch's `(batch, channels,
*spatial)` (permutes, not copies), TensorFlow's 'same' padding, and the input-rank check.
"""

from plait.layers.layer import LayerCallError
from plait.utils import conv_utils

__all__ = [
    "ChannelsFirstForward",
    "channels_first_axes",
    "channels_last_axes",
    "check_rank",
    "tf_same_pads",
    "to_channels_first",
    "to_channels_last",
]

_TO_FIRST = {r: (0, r + 1, *range(1, r + 1)) for r in (1, 2, 3)}
_TO_LAST = {r: (0, *range(2, r + 2), 1) for r in (1, 2, 3)}


def channels_first_axes(rank):
    """The `permute` that views `(batch, *spatial, channels)` as channels first."""
    return _TO_FIRST[rank]


def channels_last_axes(rank):
    """The `permute` that views `(batch, channels, *spatial)` as channels last."""
    return _TO_LAST[rank]


def to_channels_first(x, rank):
    """`(batch, *spatial, channels)` viewed as `(batch, channels, *spatial)`."""
    return x.permute(_TO_FIRST[rank])


def to_channels_last(x, rank):
    """`(batch, channels, *spatial)` viewed as `(batch, *spatial, channels)`."""
    return x.permute(_TO_LAST[rank])


class ChannelsFirstForward:
    """A spatial layer that computes on channels-first tensors (`forward_channels_first`,
    PyTorch's layout); `forward` views Keras's channels-last data around it. A model's
    generated forward runs a chain of such layers on one channels-first view, without the
    two `permute`s between each pair of them (`plait/models/codegen.py`)."""

    rank: int | None
    _channels_last: bool

    def forward(self, inputs):
        if not self._channels_last:
            return self.forward_channels_first(inputs)
        out = self.forward_channels_first(inputs.permute(_TO_FIRST[self.rank]))
        return out.permute(_TO_LAST[self.rank])

    def forward_channels_first(self, x):
        """The layer's output for channels-first `x`, channels first."""
        raise NotImplementedError

    def channels_first_rank(self):
        """The spatial rank when a model may call `forward_channels_first` on a
        channels-first view of this layer's channels-last input (and take its output as
        one); None for channels-first data or a subclass with its own `forward` or `call`."""
        if self._channels_last and type(self).forward is ChannelsFirstForward.forward:
            return self.rank
        return None


def tf_same_pads(spatial, kernel, strides, dilation):
    """F.pad's argument (last axis first) for TensorFlow's 'same' padding."""
    pads = []
    for length, k, s, d in reversed(list(zip(spatial, kernel, strides, dilation))):
        pads.extend(conv_utils.same_padding(length, k, s, d))
    return pads


def check_rank(layer, input_shape, rank, what="(batch, *spatial, channels)"):
    """Raises LayerCallError, naming `layer`, unless `input_shape` has `rank + 2` axes."""
    if len(input_shape) != rank + 2:
        hint = ""
        if len(input_shape) == rank + 1 and what.endswith("channels)"):
            # The usual slip: single-channel data given without its channels axis.
            hint = (
                f" For one channel, give the input shape {tuple(input_shape) + (1,)} "
                "(e.g. Input(shape=(..., 1)) or a Reshape layer)."
            )
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' expects a {rank + 2}-D input "
            f"{what}; received an input of shape {tuple(input_shape)}.{hint}"
        )
