"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization. Output shape = input shape.

The weights keep PyTorch's names (`weight`, `bias`, `running_mean`, `running_var`), with
Keras-named views (`gamma`, `beta`, `moving_mean`, `moving_variance`); `get_weights` gives
Keras's order: gamma, beta, moving_mean, moving_variance.
"""

import torch
import torch.nn.functional as F

from plait import constraints, initializers, regularizers
from plait.layers.arguments import base_arguments, set_weight_arguments
from plait.layers.layer import Layer, LayerCallError
from plait.layers.masking import PassesMask
from plait.serialization import register_serializable
from plait.utils.dtypes import to_torch_dtype

__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization", "UnitNormalization"]

_HALF = (torch.float16, torch.bfloat16)


def _check_axis(axis, allow_list):
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    if (
        allow_list
        and isinstance(axis, (list, tuple))
        and axis
        and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
    ):
        return list(axis)
    kinds = "an int or a list of ints" if allow_list else "an int"
    raise TypeError(f"`axis` must be {kinds}. Received: axis={axis!r}")


def _resolve_axis(layer, axis, input_shape, need_known=True):
    rank = len(input_shape)
    if not -rank <= axis < rank:
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' got axis={axis}, out of range for "
            f"its input of shape {tuple(input_shape)}."
        )
    axis %= rank
    if axis == 0:
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' cannot normalize over the batch "
            f"axis 0 (axis={axis} for input shape {tuple(input_shape)}); give a feature axis."
        )
    if need_known and input_shape[axis] is None:
        raise LayerCallError(
            f"{type(layer).__name__} layer '{layer.name}' needs axis {axis} of its input "
            f"known, to size its weights. Received: input_shape={tuple(input_shape)}"
        )
    return axis


class _Normalization(PassesMask, Layer):
    """Shared arguments: epsilon, center (beta), scale (gamma), their initializers,
    regularizers and constraints."""

    def __init__(
        self,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon <= 0:
            raise ValueError(f"`epsilon` must be a positive float. Received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        set_weight_arguments(self, "beta", beta_initializer, beta_regularizer, beta_constraint)
        set_weight_arguments(self, "gamma", gamma_initializer, gamma_regularizer, gamma_constraint)

    def _add_gamma_beta(self, shape, scale=None, center=None):
        scale = self.scale if scale is None else scale
        center = self.center if center is None else center
        for name, attr, wanted in (("gamma", "weight", scale), ("beta", "bias", center)):
            if wanted:
                self.add_weight(
                    name,
                    shape,
                    getattr(self, f"{name}_initializer"),
                    attr=attr,
                    regularizer=getattr(self, f"{name}_regularizer"),
                    constraint=getattr(self, f"{name}_constraint"),
                )
            else:
                self.register_parameter(attr, None)

    @property
    def gamma(self):
        return self.weight

    @property
    def beta(self):
        return self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
            }
        )
        return config


def _several_processes():
    dist = torch.distributed
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


@register_serializable(package="plait")
class BatchNormalization(_Normalization):
    """Normalizes each feature over the batch (Ioffe & Szegedy, 2015), as Keras does:

    - training (`fit`, or `training=True`) and `trainable`: uses the batch's mean and
      (biased) variance, and updates `moving = moving * momentum + batch * (1 - momentum)`;
    - otherwise (inference, or `trainable=False`, Keras's frozen mode): uses the moving
      statistics. Output: `(x - mean) / sqrt(var + epsilon) * gamma + beta`.

    With a `(batch, steps)` mask (given automatically after `Embedding(mask_zero=True)`),
    the batch statistics in training come from the unmasked steps only, as in Keras 3.

    Args:
        axis: the feature axis (default -1).
        momentum: of the moving averages (default 0.99; PyTorch's momentum is 1 - this).
        epsilon: default 1e-3. center, scale: whether beta and gamma exist (default True).
        beta_initializer ('zeros'), gamma_initializer ('ones'), moving_mean_initializer
        ('zeros'), moving_variance_initializer ('ones'); beta/gamma regularizers and
        constraints.
        synchronized: in a data-parallel fit (torchrun), compute the batch statistics
            over the whole global batch, every process's part together (one differentiable
            all-reduce per layer and step, as PyTorch's SyncBatchNorm). Default False: each
            process normalizes with its own part of the batch, as Keras's distributed
            training does; either way the moving statistics are averaged over the processes
            (see `fit`). In one process it changes nothing.

    Weights: `gamma`, `beta` `(features,)` (trainable, stored as `weight`, `bias`);
    `moving_mean`, `moving_variance` (non-trainable buffers `running_mean`, `running_var`).

    Input shape: any, with the feature axis known. Output shape: the input's.

    Raises:
        TypeError, ValueError: for a bad argument; LayerCallError for an axis outside the
            input's rank (when built).

        >>> import torch
        >>> bn = BatchNormalization()
        >>> y = bn(torch.tensor([[1.0], [3.0]]), training=True)
        >>> print(y.detach().numpy().round(3))
        [[-1.]
         [ 1.]]
        >>> print(bn.moving_mean.detach().numpy().round(3))
        [0.02]
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**base_arguments(_Normalization, locals()), **kwargs)
        if not isinstance(synchronized, bool):
            raise TypeError(
                f"`synchronized` must be True or False. Received: synchronized={synchronized!r}"
            )
        self.synchronized = synchronized
        self.axis = _check_axis(axis, allow_list=False)
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, (int, float))
            or not (0 <= momentum <= 1)
        ):
            raise ValueError(
                f"`momentum` must be a float in [0, 1]. Received: momentum={momentum!r}"
            )
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        self._axis = _resolve_axis(self, self.axis, input_shape)
        shape = (input_shape[self._axis],)
        self._add_gamma_beta(shape)
        self.add_weight(
            "moving_mean", shape, self.moving_mean_initializer, trainable=False, attr="running_mean"
        )
        self.add_weight(
            "moving_variance",
            shape,
            self.moving_variance_initializer,
            trainable=False,
            attr="running_var",
        )

    def forward(self, inputs, training=None, mask=None):
        training = self.training if training is None else training
        if (
            training
            and self.trainable
            and mask is not None
            and mask.dim() == inputs.dim() - 1
            and self._axis == inputs.dim() - 1
        ):
            return self._masked_training(inputs, mask)
        x = inputs if self._axis == 1 else inputs.movedim(self._axis, 1)
        if x.dtype in _HALF:  # as Keras: statistics of half inputs are computed in float32
            x = x.float()
        if training and self.trainable and self.synchronized and _several_processes():
            out = self._synchronized_training(x)
        elif training and self.trainable:
            out, mean, invstd = torch.native_batch_norm(
                x, self.weight, self.bias, None, None, True, 0.0, self.epsilon
            )
            with torch.no_grad():
                # invstd = 1 / sqrt(biased_var + eps): Keras's moving variance is biased.
                variance = invstd.pow(-2) - self.epsilon
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), 1 - self.momentum)
                self.running_var.lerp_(variance.to(self.running_var.dtype), 1 - self.momentum)
        else:
            out = F.batch_norm(
                x,
                self.running_mean,
                self.running_var,
                self.weight,
                self.bias,
                False,
                0.0,
                self.epsilon,
            )
        out = out.to(inputs.dtype)
        return out if self._axis == 1 else out.movedim(1, self._axis)

    def _synchronized_training(self, x):
        """Training on `x` `(batch, channels, ...)` with the statistics of the global batch:
        sums and sums of squares all-reduced over the processes (differentiably)."""
        from torch.distributed.nn.functional import all_reduce

        axes = [d for d in range(x.dim()) if d != 1]
        count = torch.tensor([x.numel() / x.shape[1]], dtype=x.dtype, device=x.device)
        totals = all_reduce(torch.cat([x.sum(dim=axes), x.square().sum(dim=axes), count]))
        channels = x.shape[1]
        total_count = totals[-1]
        mean = totals[:channels] / total_count
        variance = (totals[channels : 2 * channels] / total_count - mean.square()).clamp_min(0)
        with torch.no_grad():
            self.running_mean.lerp_(mean.to(self.running_mean.dtype), 1 - self.momentum)
            self.running_var.lerp_(variance.to(self.running_var.dtype), 1 - self.momentum)
        shape = [1, channels] + [1] * (x.dim() - 2)
        out = (x - mean.view(shape)) * torch.rsqrt(variance.view(shape) + self.epsilon)
        if self.weight is not None:
            out = out * self.weight.view(shape)
        if self.bias is not None:
            out = out + self.bias.view(shape)
        return out

    def _masked_training(self, inputs, mask):
        """Training on `(batch, steps, ..., features)` with a mask: Keras 3's statistics,
        weighted by the mask (with its 1e-7 guard against an all-masked batch)."""
        x = inputs.float() if inputs.dtype in _HALF else inputs
        weights = mask.to(x.dtype).unsqueeze(-1)
        axes = tuple(range(x.dim() - 1))
        count = weights.sum(dim=axes) + 1e-7
        mean = (weights * x).sum(dim=axes) / count
        variance = (weights * (x - mean).square()).sum(dim=axes) / count
        with torch.no_grad():
            self.running_mean.lerp_(mean.to(self.running_mean.dtype), 1 - self.momentum)
            self.running_var.lerp_(variance.to(self.running_var.dtype), 1 - self.momentum)
        out = (x - mean) * torch.rsqrt(variance + self.epsilon)
        if self.weight is not None:
            out = out * self.weight
        if self.bias is not None:
            out = out + self.bias
        return out.to(inputs.dtype)

    @property
    def moving_mean(self):
        return self.running_mean

    @property
    def moving_variance(self):
        return self.running_var

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "momentum": self.momentum,
                "synchronized": self.synchronized,
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer
                ),
            }
        )
        return config


@register_serializable(package="plait")
class LayerNormalization(_Normalization):
    """Normalizes each sample over `axis` (Ba et al., 2016):
    `(x - mean) / sqrt(var + epsilon) * gamma + beta`, statistics per sample.

    Args:
        axis: int or list of ints (default -1).
        epsilon: default 1e-3. center, scale, beta/gamma initializers, regularizers and
            constraints: as BatchNormalization.
        rms_scaling: Keras 3's variant, `x / sqrt(var + epsilon) * gamma` (the input is not
            centered, and there is no beta whatever `center` and `scale` say); default False.

    Weights: `gamma`, `beta` of shape `[input_shape[a] for a in axis]` (stored as `weight`,
    `bias`, as in `nn.LayerNorm`); only `gamma` with rms_scaling.

    Input shape: any, with the normalized axes known. Output shape: the input's.

    Raises:
        TypeError, ValueError: for a bad argument; LayerCallError for an axis outside the
            input's rank (when built).

        >>> import torch
        >>> y = LayerNormalization()(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
        >>> print(y.detach().numpy().round(3))
        [[-1.341 -0.447  0.447  1.341]]
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        rms_scaling=False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**base_arguments(_Normalization, locals()), **kwargs)
        self.axis = _check_axis(axis, allow_list=True)
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self._axes = [_resolve_axis(self, a, input_shape) for a in axes]
        if len(set(self._axes)) != len(self._axes):
            raise LayerCallError(
                f"LayerNormalization layer '{self.name}' got the same axis twice: "
                f"axis={self.axis} for input shape {tuple(input_shape)}."
            )
        rank = len(input_shape)
        shape = tuple(input_shape[a] for a in self._axes)
        if self.rms_scaling:
            self._add_gamma_beta(shape, scale=True, center=False)
        else:
            self._add_gamma_beta(shape)
        # The trailing axes in order: PyTorch's fused layer_norm computes exactly this.
        self._fused = not self.rms_scaling and self._axes == list(
            range(rank - len(self._axes), rank)
        )
        self._broadcast = [1] * rank
        for a in self._axes:
            self._broadcast[a] = input_shape[a]

    def forward(self, inputs):
        x = inputs.float() if inputs.dtype in _HALF else inputs
        if self._fused:
            out = F.layer_norm(
                x, x.shape[x.dim() - len(self._axes) :], self.weight, self.bias, self.epsilon
            )
        elif self.rms_scaling:
            variance = torch.var(x, dim=self._axes, correction=0, keepdim=True)
            out = x * torch.rsqrt(variance + self.epsilon) * self.weight.reshape(self._broadcast)
        else:
            variance, mean = torch.var_mean(x, dim=self._axes, correction=0, keepdim=True)
            out = (x - mean) * torch.rsqrt(variance + self.epsilon)
            if self.weight is not None:
                out = out * self.weight.reshape(self._broadcast)
            if self.bias is not None:
                out = out + self.bias.reshape(self._broadcast)
        return out.to(inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "rms_scaling": self.rms_scaling})
        return config


@register_serializable(package="plait")
class GroupNormalization(_Normalization):
    """Normalizes each sample over groups of channels (Wu & He, 2018): the channels on
    `axis` split into `groups` consecutive groups, each normalized over its channels and
    all non-batch axes, then scaled by the per-channel gamma and beta.

    Args:
        groups: number of groups (default 32); it must divide the channels. -1 means one
            group per channel (instance normalization).
        axis: the channel axis (default -1).
        epsilon: default 1e-3. center, scale, initializers, regularizers, constraints.

    Weights: `gamma`, `beta` `(channels,)` (stored as `weight`, `bias`).

    Input shape: `(batch, ..., channels)`. Output shape: the input's.

    Raises:
        ValueError: for `groups` that does not divide the channels, or a bad argument.

        >>> import torch
        >>> y = GroupNormalization(groups=2)(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
        >>> print(y.detach().numpy().round(3))
        [[-0.998  0.998 -0.998  0.998]]
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**base_arguments(_Normalization, locals()), **kwargs)
        if (
            not isinstance(groups, int)
            or isinstance(groups, bool)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                f"`groups` must be a positive integer, or -1 (one group per channel). "
                f"Received: groups={groups!r}"
            )
        self.groups = groups
        self.axis = _check_axis(axis, allow_list=False)

    def build(self, input_shape):
        self._axis = _resolve_axis(self, self.axis, input_shape)
        channels = input_shape[self._axis]
        self._groups = channels if self.groups == -1 else self.groups
        if channels % self._groups:
            raise LayerCallError(
                f"GroupNormalization layer '{self.name}': groups={self.groups} must divide the "
                f"{channels} channels of its input of shape {tuple(input_shape)}. Use a "
                f"divisor of {channels}."
            )
        self._add_gamma_beta((channels,))

    def forward(self, inputs):
        x = inputs if self._axis == 1 else inputs.movedim(self._axis, 1)
        x = x.float() if x.dtype in _HALF else x
        out = F.group_norm(x, self._groups, self.weight, self.bias, self.epsilon)
        out = out.to(inputs.dtype)
        return out if self._axis == 1 else out.movedim(1, self._axis)

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis})
        return config


@register_serializable(package="plait")
class UnitNormalization(PassesMask, Layer):
    """Scales each sample to unit L2 norm over `axis` (an int or list, default -1):
    `x / sqrt(max(sum(x ** 2), 1e-12))`, as Keras computes it.

    Input shape: any. Output shape: the input's (integers become floats).

        >>> import torch
        >>> UnitNormalization()(torch.tensor([[3.0, 4.0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis(axis, allow_list=True)
        self._float_dtype = to_torch_dtype(self._dtype)

    def forward(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.to(self._float_dtype)
        square_sum = x.square().sum(dim=self.axis, keepdim=True)
        return x * torch.rsqrt(square_sum.clamp_min(1e-12))

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
