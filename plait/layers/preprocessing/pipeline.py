"""Pipeline: preprocessing layers applied in order (Keras's `keras.layers.Pipeline`)."""

from torch import nn

from plait import serialization
from plait.graph.tensor import SymbolicTensor
from plait.layers.layer import _Spec, accepts_training
from plait.layers.preprocessing.base import DIRECT_CALL, PreprocessingLayer
from plait.serialization import register_serializable


@register_serializable(package="plait")
class Pipeline(PreprocessingLayer):
    """Applies `layers` one after the other; `training=` reaches those that take it (random
    augmentations act only in training). Unlike a Sequential model it is a layer: it may
    stand in a data pipeline or as one layer of a model.

    Args:
        layers: a list of layers (or callables).

    Input shape: the first layer's. Output shape: the last layer's.

        >>> import torch
        >>> from plait.layers import RandomFlip, RandomRotation
        >>> aug = Pipeline([RandomFlip(), RandomRotation(0.1)])
        >>> aug(torch.rand(2, 8, 8, 3), training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self._pipeline = nn.ModuleList([m for m in layers if isinstance(m, nn.Module)])
        self._steps = list(layers)
        self.built = True

    @property
    def layers(self):
        return list(self._steps)

    def forward(self, inputs, training=DIRECT_CALL):
        for layer in self._steps:
            if (
                training is not DIRECT_CALL
                and isinstance(layer, nn.Module)
                and accepts_training(type(layer))
            ):
                inputs = layer(inputs, training=training)
            else:
                inputs = layer(inputs)
        return inputs

    def _output_specs(self, args, kwargs, input_shapes, where):
        out = args[0]
        shape, dtype = tuple(out.shape), out.dtype
        for layer in self._steps:
            if isinstance(layer, PreprocessingLayer):  # no graph nodes on the sublayers
                layer._ensure_built(shape)
                shape, dtype = (
                    tuple(layer.compute_output_shape(shape)),
                    layer.output_dtype_for(dtype),
                )
            else:
                out = layer(SymbolicTensor(shape, dtype))
                shape, dtype = tuple(out.shape), out.dtype
        return _Spec(shape, dtype)

    def get_config(self):
        config = super().get_config()
        config["layers"] = [serialization.serialize(layer) for layer in self._steps]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layers"] = [
            serialization.deserialize(c, custom_objects, kind="layer") for c in config["layers"]
        ]
        return cls(**config)
