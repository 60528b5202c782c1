"""Root-mean-square normalization (Zhang & Sennrich, 2019):
`x * rsqrt(mean(square(x), axis) + epsilon) * scale`, computed with `F.rms_norm`.

    y = plait.layers.RMSNormalization()(x)
"""

import torch
import torch.nn.functional as F

from plait.layers.layer import Layer
from plait.serialization import register_serializable

__all__ = ["RMSNormalization"]


@register_serializable(package="plait")
class RMSNormalization(Layer):
    """Scale each sample by the root mean square of its values along `axis`.

    Args:
        axis: an int or a list of ints, the axes normalized over. Default -1.
        epsilon: added to the mean square. Default 1e-6.

    Weights: `scale`, of the shape of the normalized axes, initialized to ones.

    Input shape: any. Output shape: the input's.

    Raises:
        ValueError: for an axis outside the input's rank (when built).

    Example:
        >>> import torch
        >>> y = RMSNormalization()(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
        >>> print(y.detach().numpy().round(3))
        [[0.365 0.73  1.095 1.461]]
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        for axis in axes:
            if axis >= rank or axis < -rank:
                raise ValueError(
                    f"Axis {axis} is out of bounds for input shape "
                    f"{tuple(input_shape)}. Received: axis={self.axis}"
                )
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
        self._axes = sorted(a % rank for a in axes)
        self._trailing = self._axes == list(range(rank - len(axes), rank))
        self.add_weight("scale", tuple(input_shape[a] for a in self._axes), "ones")

    def forward(self, inputs):
        dtype = inputs.dtype
        x = inputs if dtype in (torch.float32, torch.float64) else inputs.float()
        scale = self.scale.to(x.dtype)
        if self._trailing:
            out = F.rms_norm(x, tuple(x.shape[a] for a in self._axes), scale, self.epsilon)
        else:
            rms = torch.rsqrt(x.square().mean(dim=self._axes, keepdim=True) + self.epsilon)
            shape = [x.shape[a] if a in self._axes else 1 for a in range(x.ndim)]
            out = x * rms * scale.reshape(shape)
        return out.to(dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
