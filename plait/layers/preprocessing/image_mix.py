"""Batch-mixing augmentation: MixUp and CutMix. They take images, or a dict
`{"images": ..., "labels": ...}` (labels one-hot / soft), and mix each sample with another
of the batch; active in training (called directly: yes, as in Keras), identity otherwise."""

import torch

from plait.layers.preprocessing.base import (
    DIRECT_CALL,
    RandomPreprocessingLayer,
    to_float_image,
)
from plait.layers.preprocessing.image_color import _keras_factor
from plait.serialization import register_serializable


class _MixLayer(RandomPreprocessingLayer):
    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.data_format = "channels_last"

    def _beta(self, n, alpha, device):
        """`n` draws of Beta(alpha, alpha), reproducible from this layer's generator."""
        gen = self._generator(torch.device("cpu"))
        seed = int(torch.randint(0, 2**62, (), generator=gen)) if gen is not None else None
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            alpha = torch.full((n,), float(alpha))
            weights = torch.distributions.Beta(alpha, alpha).sample()
        return weights.to(device)

    def _permutation(self, n, device):
        gen = self._generator(torch.device("cpu"))
        return torch.randperm(n, generator=gen).to(device)

    def forward(self, inputs, training=DIRECT_CALL):
        data = dict(inputs) if isinstance(inputs, dict) else {"images": inputs}
        images = to_float_image(data["images"])
        if not self._is_training(training) or images.dim() == 3:
            data["images"] = images
            return data if isinstance(inputs, dict) else images
        images, labels = self._mix(images, data.get("labels"))
        data["images"] = images
        if labels is not None:
            data["labels"] = labels
        return data if isinstance(inputs, dict) else images

    def compute_output_shape(self, input_shape):
        return input_shape


def _mix_labels(labels, order, weight):
    labels = labels.to(torch.float32) if not labels.is_floating_point() else labels
    weight = weight.view(-1, *([1] * (labels.dim() - 1))).to(labels.dtype)
    return weight * labels + (1.0 - weight) * labels[order]


@register_serializable(package="plait")
class MixUp(_MixLayer):
    """MixUp: `x = w x + (1 - w) x[perm]` (and the labels alike), `w ~ Beta(alpha, alpha)`
    per sample, `perm` a random permutation of the batch.

    Args:
        alpha: the Beta distribution's parameter (default 0.2). seed: an int.

    Input: images `(batch, h, w, c)`, or a dict with "images" and "labels".

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = MixUp(seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    def _mix(self, images, labels):
        n = images.shape[0]
        order = self._permutation(n, images.device)
        weight = self._beta(n, self.alpha, images.device)
        mixed = weight.view(-1, 1, 1, 1) * images + (1.0 - weight.view(-1, 1, 1, 1)) * images[order]
        return mixed, None if labels is None else _mix_labels(labels, order, weight)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "data_format": self.data_format})
        return config


@register_serializable(package="plait")
class CutMix(_MixLayer):
    """CutMix: pastes a random box of another sample of the batch into each image; labels
    mix by the pasted area. The box covers about `1 - w` of the image, `w ~ Beta(a, a)`,
    `a` drawn from `factor` (default 1.0: [0, 1]).

    Input: images `(batch, h, w, c)`, or a dict with "images" and "labels".

        >>> x = torch.full((2, 8, 8, 3), 128.0)
        >>> layer = CutMix(seed=1)
        >>> layer(x).shape, layer(x, training=False).equal(x)
        (torch.Size([2, 8, 8, 3]), True)
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_factor("factor", factor, (0, 1))

    def _mix(self, images, labels):
        n, h, w, _ = images.shape
        device = images.device
        alpha = float(self.uniform((), self.factor[0], self.factor[1], torch.device("cpu")))
        weight = self._beta(n, alpha + 1e-6, device)
        ratio = torch.sqrt(1.0 - weight)
        x0, x1 = self._bounds(n, w, ratio, device)
        y0, y1 = self._bounds(n, h, ratio, device)
        grid_y = torch.arange(h, device=device, dtype=images.dtype).view(1, h, 1, 1)
        grid_x = torch.arange(w, device=device, dtype=images.dtype).view(1, 1, w, 1)
        box = (
            (grid_x >= x0.view(-1, 1, 1, 1))
            & (grid_x < x1.view(-1, 1, 1, 1))
            & (grid_y >= y0.view(-1, 1, 1, 1))
            & (grid_y < y1.view(-1, 1, 1, 1))
        )
        order = self._permutation(n, device)
        mixed = torch.where(box, images[order], images)
        area = 1.0 - (x1 - x0) * (y1 - y0) / (w * h)
        return mixed, None if labels is None else _mix_labels(labels, order, area)

    def _bounds(self, n, length, ratio, device):
        crop = ratio * length
        start = self.uniform((n,), 0, 1, device) * (length - crop)
        return start, start + crop

    def get_config(self):
        config = super().get_config()
        config.update({"factor": list(self.factor), "data_format": self.data_format})
        return config
