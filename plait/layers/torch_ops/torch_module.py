"""`TorchModule` (and Keras's `TorchModuleWrapper`): any `torch.nn.Module` as a layer whose
parameters train, save and count in the summary.
"""

import torch
from torch import nn

from plait.layers import layer as layer_module
from plait.layers.layer import Layer, LayerCallError, WeightSpec
from plait.serialization import register_serializable

__all__ = ["TorchModule", "TorchModuleWrapper"]


# ------------------------------------------------------------------ TorchModule


@register_serializable(package="plait")
class TorchModule(Layer):
    """Makes any `torch.nn.Module` a layer: `TorchModule(nn.Linear(8, 4))(x)`.

    The module computes on the tensors as they come (it is called as `module(*inputs)`;
    mind that plait's data is channels-last, so an `nn.Conv2d` needs a permute first). Its
    parameters are the layer's trainable weights and its persistent buffers (e.g.
    BatchNorm's running statistics) the non-trainable ones, in `module.parameters()` then
    `module.buffers()` order; they train with `fit`, save with the model's weights, count in
    `summary()`, and `get_weights()` returns them as they are (PyTorch layout). Lazy modules
    (`nn.LazyLinear`) are materialized on the first call. The output shape is found by
    running the module on shape-only (meta) tensors.

    Args:
        module: the `torch.nn.Module` to wrap (not a plait layer: call those directly).

    Call arguments: the module's inputs; `training`: None (default) runs the module in the
    layer's mode (inference, or training inside `fit`); True or False runs it in that mode
    for this call. `trainable=False` freezes its parameters.

    A module is Python code, so a model holding a TorchModule saves its weights but not its
    config: `get_config()` raises, as it does for Lambda.

    Input shape: the module's. Output shape: found on meta tensors.

    Raises:
        TypeError: for a plait layer or anything that is not an `nn.Module`.

        >>> import torch
        >>> from plait.layers import Input
        >>> layer = TorchModule(torch.nn.Linear(8, 4))
        >>> layer(Input(shape=(8,))).shape
        (None, 4)
        >>> [tuple(w.shape) for w in layer.get_weights()]
        [(4, 8), (4,)]
    """

    def __init__(self, module, **kwargs):
        if not isinstance(module, nn.Module):
            raise TypeError(
                "TorchModule wraps a torch.nn.Module. "
                f"Received: module={module!r:.200} (type {type(module).__name__})"
            )
        if isinstance(module, Layer):
            raise TypeError(
                f"TorchModule wraps plain torch modules; {module.name!r} is already a plait "
                f"layer: call it directly. Received: module={type(module).__name__}"
            )
        super().__init__(**kwargs)
        self.module = module
        self.train(False)  # Keras semantics: inference until fit trains

    def build(self, input_shape):
        if _has_lazy(self.module):
            self._materialize(input_shape)
        persistent = set(self.module.state_dict(keep_vars=True))
        for name, _ in self.module.named_parameters():
            self._weight_specs.append(WeightSpec(name, "module." + name))
        for name, _ in self.module.named_buffers():
            if name in persistent:
                self._weight_specs.append(WeightSpec(name, "module." + name))
        if not self._trainable:  # TorchModule(m, trainable=False): fit must not move them
            for param in self.module.parameters():
                param.requires_grad_(False)

    def _materialize(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        for shape in shapes:
            if shape is None or any(d is None for d in shape[1:]):
                raise LayerCallError(
                    f"TorchModule layer '{self.name}' wraps a lazy module, which needs every "
                    f"input dimension but the batch to be known. Received: "
                    f"input_shape={input_shape}"
                )
        param = next(iter(self.module.parameters()), None)
        device = param.device if param is not None else None
        samples = [torch.zeros((1,) + tuple(s[1:]), device=device) for s in shapes]
        with torch.no_grad():
            self.module(*samples)

    def __getattr__(self, name):
        # Weight specs name the module's tensors by dotted path ("module.0.weight").
        if "." in name:
            owner, _, leaf = name.rpartition(".")
            return getattr(self.get_submodule(owner), leaf)
        return super().__getattr__(name)

    def forward(self, *inputs, training=None):
        if training is None or bool(training) == self.module.training:
            return self.module(*inputs)
        # `training=` given at the call (e.g. Monte-Carlo dropout): that mode, for this call.
        previous = self.module.training
        self.module.train(bool(training))
        try:
            return self.module(*inputs)
        finally:
            self.module.train(previous)

    def get_config(self):
        raise ValueError(
            f"TorchModule layer '{self.name}' cannot be saved in a config: it holds a "
            f"{type(self.module).__name__}, which is Python code, and plait's configs never "
            "hold code. Save the weights (model.save_weights) and rebuild the model in "
            "Python, or write a Layer subclass with get_config()."
        )


def _has_lazy(module):
    return any(isinstance(p, nn.parameter.UninitializedParameter) for p in module.parameters())


@register_serializable(package="plait")
class TorchModuleWrapper(TorchModule):
    """Keras 3's name for wrapping a `torch.nn.Module` as a layer: `TorchModule` with
    Keras's arguments.

    Args:
        module: the `torch.nn.Module` to wrap.
        name: the layer's name.
        output_shape: the output's shape with the batch axis (e.g. `(None, 4)`), for a
            module that cannot run on shape-only tensors; default None (found by running
            the module on meta tensors).

    Differences from Keras: the config holds no pickled module (plait never pickles), so
    `get_config()` raises as `TorchModule`'s does; save the weights instead.

    Example:
        >>> import plait
        >>> layer = TorchModuleWrapper(torch.nn.Linear(8, 4))
        >>> layer(plait.Input((8,))).shape
        (None, 4)
    """

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(module, name=name, **kwargs)
        self.output_shape_hint = None if output_shape is None else tuple(output_shape)

    def _output_specs(self, args, kwargs, input_shapes, where):
        if self.output_shape_hint is None:
            return super()._output_specs(args, kwargs, input_shapes, where)
        return layer_module._shapes_to_specs(
            self.output_shape_hint, layer_module._first_dtype(args)
        )
