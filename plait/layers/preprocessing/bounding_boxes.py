"""`MaxNumBoundingBoxes`: gives every image of a detection batch the same number of
bounding boxes (truncating or padding with `fill_value`), so boxes stack into one tensor.

    layer = plait.layers.MaxNumBoundingBoxes(max_number=10, bounding_box_format="xyxy")
    batch = layer({"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}})
"""

import numpy as np
import torch

from plait.layers.preprocessing.base import PreprocessingLayer
from plait.serialization import register_serializable

__all__ = ["MaxNumBoundingBoxes"]


def _pad_rows(value, rows, fill, trailing):
    """`value` `(batch, n, *trailing)` (a tensor, or a list of per-image arrays of any n)
    as a `(batch, rows, *trailing)` tensor: cut, or padded with `fill`."""
    if isinstance(value, torch.Tensor):
        items = list(value)
    else:
        items = [torch.as_tensor(np.asarray(item)) for item in value]
    out = []
    for item in items:
        item = item.reshape(-1, *trailing)[:rows]
        pad = item.new_full((rows - item.shape[0], *trailing), fill)
        out.append(torch.cat([item, pad], 0))
    if not out:
        return torch.zeros((0, rows, *trailing))
    return torch.stack(out)


@register_serializable(package="plait")
class MaxNumBoundingBoxes(PreprocessingLayer):
    """Pads or truncates each image's bounding boxes and labels to `max_number`, with
    `fill_value` in the padding. Images, labels and segmentation masks pass unchanged.

    Args:
        max_number: the number of boxes per image in the output.
        fill_value: the value of padded boxes and labels (default -1).
        bounding_box_format: the boxes' format (e.g. 'xyxy'); required, as in Keras, when
            the input has 'bounding_boxes'.

    Input: images alone (returned as they are), or a dict with 'images' and
    'bounding_boxes' = {'boxes': `(batch, n, 4)`, 'labels': `(batch, n)`} (tensors, arrays,
    or lists of per-image arrays of different lengths; one image: `(n, 4)` and `(n,)`).
    Output: the same dict with boxes `(batch, max_number, 4)` and labels
    `(batch, max_number)`.

    Raises:
        ValueError: bounding boxes without `bounding_box_format`; a 'bounding_boxes'
            entry that is not a dict with 'boxes' and 'labels'.

    Example:
        >>> import torch
        >>> layer = MaxNumBoundingBoxes(max_number=3, bounding_box_format="xyxy")
        >>> boxes = {"boxes": torch.ones(2, 1, 4), "labels": torch.ones(2, 1)}
        >>> out = layer({"images": torch.zeros(2, 4, 4, 3), "bounding_boxes": boxes})
        >>> out["bounding_boxes"]["labels"].tolist()
        [[1.0, -1.0, -1.0], [1.0, -1.0, -1.0]]
    """

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, dict) and "bounding_boxes" in inputs:
            # ragged per-image lists stay lists until forward pads them
            boxes = inputs["bounding_boxes"]
            inputs = {k: v for k, v in inputs.items() if k != "bounding_boxes"}
            out = super().__call__(inputs, *args, **kwargs) if inputs else {}
            return {**out, "bounding_boxes": self._boxes(boxes)}
        return super().__call__(inputs, *args, **kwargs)

    def forward(self, inputs, training=None):
        return inputs

    def _boxes(self, bounding_boxes):
        if not self.bounding_box_format:
            raise ValueError(
                "You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                "bounding box format. Pass a `bounding_box_format` argument to your "
                "MaxNumBoundingBoxes layer, e.g. `bounding_box_format='xyxy'`."
            )
        if not isinstance(bounding_boxes, dict) or not {"boxes", "labels"} <= set(bounding_boxes):
            raise ValueError(
                "MaxNumBoundingBoxes: `bounding_boxes` must be a dict with 'boxes' and "
                f"'labels'. Received: bounding_boxes={bounding_boxes!r:.200}"
            )
        extra = set(bounding_boxes) - {"boxes", "labels"}
        if extra:
            raise KeyError(
                f"There are unsupported keys in `bounding_boxes`: {sorted(extra)}. Only "
                "`boxes` and `labels` are supported."
            )
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        single = np.ndim(boxes[0]) == 1 if len(boxes) else False
        if single:
            boxes, labels = [boxes], [labels]
        boxes = _pad_rows(boxes, self.max_number, self.fill_value, (4,))
        labels = _pad_rows(labels, self.max_number, self.fill_value, ())
        if single:
            boxes, labels = boxes[0], labels[0]
        return {"boxes": boxes, "labels": labels}

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_number": self.max_number, "fill_value": self.fill_value})
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
