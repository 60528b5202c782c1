"""`SpectralNormalization`: constrain a layer's kernel to spectral norm 1 (Miyato et al.,
2018), estimated by power iteration in each training call, as Keras does it.

    layer = plait.layers.SpectralNormalization(plait.layers.Dense(64))
"""

import torch

from plait import initializers, serialization
from plait.layers.layer import Layer
from plait.serialization import register_serializable

__all__ = ["SpectralNormalization"]


def _l2_normalize(x):
    return x * torch.rsqrt(torch.clamp(x.square().sum(), min=1e-7))


@register_serializable(package="plait")
class SpectralNormalization(Layer):
    """Wrap a layer with a `kernel` (or `embeddings`) and divide that weight by its largest
    singular value before each training call.

    In training, `power_iterations` steps of power iteration on the kernel (reshaped to
    `(-1, last_dim)`) update the non-trainable `vector_u` and the kernel is replaced, in
    place, by `kernel / sigma` (as Keras assigns it); inference uses the kernel as it is.

    Args:
        layer: the layer to wrap, with a `kernel` or `embeddings` weight.
        power_iterations: the number of iterations per training call, >= 1. Default 1.

    Weights (Keras's order): the wrapped layer's kernel, `vector_u` `(1, last_dim)`, then
    the wrapped layer's other weights.

    Raises:
        ValueError: for `power_iterations` < 1 (when made), or a layer without a kernel
            (when built).

    Example:
        >>> import torch
        >>> from plait.layers import Dense
        >>> dense = Dense(2, kernel_initializer="ones", use_bias=False)
        >>> y = SpectralNormalization(dense)(torch.ones(1, 3), training=True)
        >>> print(y.detach().numpy().round(3))
        [[1.225 1.225]]
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise TypeError(
                f"SpectralNormalization wraps a plait layer. Received: layer={layer!r:.200}"
            )
        if power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"power_iterations={power_iterations}"
            )
        self.layer = layer
        self.power_iterations = power_iterations

    def build(self, input_shape):
        self.layer._ensure_built(input_shape)
        spec = next(
            (s for s in self.layer._weight_specs if s.keras_name in ("kernel", "embeddings")), None
        )
        if spec is None:
            raise ValueError(
                f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'"
            )
        self._kernel_spec = spec
        last = spec.to_keras(getattr(self.layer, spec.attr)).shape[-1]
        self.add_weight(
            "vector_u", (1, last), initializers.TruncatedNormal(stddev=0.02), trainable=False
        )

    def _ordered_entries(self):
        entries = self._weight_entries()
        kernel = getattr(self.layer, self._kernel_spec.attr) if self.built else None
        first = [e for e in entries if e[1] is kernel]
        middle = [e for e in entries if e[1] is getattr(self, "vector_u", None)]
        rest = [e for e in entries if e not in first and e not in middle]
        return first + middle + rest

    @torch.no_grad()
    def _normalize_kernel(self):
        spec = self._kernel_spec
        stored = getattr(self.layer, spec.attr)
        kernel = spec.to_keras(stored)
        weights = kernel.reshape(-1, kernel.shape[-1])
        u = self.vector_u
        for _ in range(self.power_iterations):
            v = _l2_normalize(u @ weights.T)
            u = _l2_normalize(v @ weights)
        sigma = v @ weights @ u.T
        self.vector_u.copy_(u)
        stored.copy_(spec.from_keras(kernel / sigma))

    def forward(self, inputs, training=None):
        training = self.training if training is None else bool(training)
        if training:
            self._normalize_kernel()
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "layer": serialization.serialize(self.layer),
            "power_iterations": self.power_iterations,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = serialization.deserialize(config["layer"], custom_objects, kind="layer")
        return cls(**config)
