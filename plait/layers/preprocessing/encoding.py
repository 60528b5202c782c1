"""Categorical encodings: CategoryEncoding, Hashing, and the one-hot/multi-hot/count
encoder the lookup layers share."""

import numpy as np
import torch

from plait.layers.preprocessing.base import PreprocessingLayer
from plait.layers.preprocessing.hashes import fingerprint64, siphash24
from plait.serialization import register_serializable
from plait.utils.string_array import StringArray


def check_output_mode(layer, output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(
            f"Invalid value for argument output_mode of {layer}: expected one of "
            f"{list(allowed)}. Received: output_mode={output_mode!r}"
        )


def encode_categorical(indices, output_mode, depth, dtype=torch.float32, count_weights=None):
    """Keras's encoding of integer `indices` (any shape): 'one_hot' (a trailing axis of 1 is
    replaced), 'multi_hot' / 'count' (reduced over axis 1, or axis 0 for 1-D input) with a
    last axis of `depth`. Indices outside [0, depth) encode as zeros."""
    if indices.dim() == 0:
        indices = indices.reshape(1)
    indices = indices.long()
    valid = (indices >= 0) & (indices < depth)
    if output_mode == "one_hot" and indices.dim() > 1 and indices.shape[-1] == 1:
        indices, valid = indices.squeeze(-1), valid.squeeze(-1)
    hot = torch.nn.functional.one_hot(torch.where(valid, indices, 0), depth)
    hot = hot.to(dtype if count_weights is None else count_weights.dtype)
    hot = hot * valid.unsqueeze(-1).to(hot.dtype)
    if output_mode == "one_hot":
        return hot
    axis = 1 if indices.dim() > 1 else 0
    if output_mode == "multi_hot":
        return hot.amax(dim=axis)
    if count_weights is not None:
        hot = hot * count_weights.unsqueeze(-1)
    return hot.sum(dim=axis)


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of `encode_categorical` for inputs of `input_shape`."""
    if len(input_shape) == 0:
        return (depth,)
    if output_mode == "one_hot":
        if input_shape[-1] == 1 and len(input_shape) > 1:
            return tuple(input_shape[:-1]) + (depth,)
        return tuple(input_shape) + (depth,)
    if len(input_shape) >= 2:
        return (input_shape[0],) + tuple(input_shape[2:]) + (depth,)
    return (depth,)


@register_serializable(package="plait")
class CategoryEncoding(PreprocessingLayer):
    """Encodes integer features (in [0, num_tokens)) as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of categories; inputs must lie in [0, num_tokens).
        output_mode: 'multi_hot' (default; 'binary' is its old name), 'one_hot' or 'count'.
        sparse: must be False (PyTorch's dense tensors).

    Call arguments: `count_weights` (same shape as the inputs, 'count' mode only) weighs
    each occurrence.

    Input shape: `(batch,)` or `(batch, n)`. Output shape: `(batch, num_tokens)` (one_hot of
    `(batch, n)` with n > 1: `(batch, n, num_tokens)`), float32.

        >>> CategoryEncoding(num_tokens=4, output_mode="multi_hot")(np.array([[0, 1], [3, 3]]))
        tensor([[1., 1., 0., 0.],
                [0., 0., 0., 1.]])
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        check_output_mode("CategoryEncoding", output_mode, ("count", "one_hot", "multi_hot"))
        if num_tokens is None:
            raise ValueError(
                "CategoryEncoding: num_tokens must be set to use this layer. If the number of "
                "tokens is not known beforehand, use the IntegerLookup layer instead. "
                "Received: num_tokens=None"
            )
        if num_tokens < 1:
            raise ValueError(
                f"CategoryEncoding: `num_tokens` must be >= 1. Received: num_tokens={num_tokens}."
            )
        if sparse:
            raise ValueError(
                "CategoryEncoding: `sparse=True` is not supported (PyTorch computes with dense "
                f"tensors). Received: sparse={sparse}"
            )
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def forward(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`."
                )
            count_weights = torch.as_tensor(
                count_weights, dtype=torch.float32, device=inputs.device
            )
        return encode_categorical(
            inputs, self.output_mode, self.num_tokens, torch.float32, count_weights
        )

    def compute_output_shape(self, input_shape):
        return encoded_shape(tuple(input_shape), self.output_mode, self.num_tokens)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_tokens": self.num_tokens, "output_mode": self.output_mode, "sparse": self.sparse}
        )
        return config


@register_serializable(package="plait")
class Hashing(PreprocessingLayer):
    """Hashes strings or integers into `num_bins` buckets, with Keras's (TensorFlow's)
    hashes: FarmHash Fingerprint64, or SipHash-2-4 keyed by `salt`. Integers hash as their
    decimal strings, as in Keras. It computes on the host (inputs on a GPU are copied).

    Args:
        num_bins: the number of buckets (the mask bucket included).
        mask_value: a value that maps to bucket 0 (the others then fill 1..num_bins-1).
        salt: an int or a pair of ints: use the keyed (strong) hash.
        output_mode: 'int' (default, int64 bucket ids), 'one_hot', 'multi_hot' or 'count'.
        sparse: must be False.

    Input shape: any (string data: a NumPy array or list of strings). Output shape: the
    input's ('int'), or encoded as in CategoryEncoding.

        >>> Hashing(num_bins=3)([["A"], ["B"], ["C"]]).tolist()
        [[1], [0], [1]]
    """

    def __init__(
        self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs
    ):
        super().__init__(**kwargs)
        if not isinstance(num_bins, int) or num_bins <= 0:
            raise ValueError(
                "Hashing: the `num_bins` for `Hashing` cannot be `None` or non-positive "
                f"values. Received: num_bins={num_bins}."
            )
        if output_mode == "binary":
            output_mode = "multi_hot"
        check_output_mode("Hashing", output_mode, ("int", "one_hot", "multi_hot", "count"))
        if sparse:
            raise ValueError(
                "Hashing: `sparse=True` is not supported (PyTorch computes with dense "
                f"tensors). Received: sparse={sparse}"
            )
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "Hashing: the `salt` argument must be an int or a tuple/list of two "
                    f"ints. Received: salt={salt}."
                )
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = sparse
        # strings carry no device: their bucket ids go where the model is (.to(device))
        self.register_buffer("_device_anchor", torch.empty(0), persistent=False)

    def output_dtype_for(self, input_dtype):
        return torch.int64 if self.output_mode == "int" else torch.float32

    def _hash_one(self, value):
        data = str(value).encode("utf-8")
        buckets = self.num_bins - (1 if self.mask_value is not None else 0)
        if self.salt is None:
            bucket = fingerprint64(data) % buckets
        else:
            bucket = siphash24(self.salt[0], self.salt[1], data) % buckets
        if self.mask_value is not None:
            bucket = 0 if value == self.mask_value else bucket + 1
        return bucket

    def hash_array(self, values):
        """Bucket ids (an int64 NumPy array) of an array of strings or integers."""
        values = np.asarray(values, dtype=object)
        flat = values.reshape(-1)
        uniques, inverse = np.unique(flat.astype(str) if flat.size else flat, return_inverse=True)
        originals = {}
        for v in flat:
            originals.setdefault(str(v), v)
        ids = np.array([self._hash_one(originals[str(u)]) for u in uniques], dtype=np.int64)
        return (
            ids[inverse.reshape(-1)].reshape(values.shape)
            if flat.size
            else np.zeros(values.shape, dtype=np.int64)
        )

    def forward(self, inputs):
        if isinstance(inputs, StringArray):
            device, array = self._device_anchor.device, inputs.array
        else:
            if inputs.is_floating_point():
                raise ValueError(
                    f"Hashing layer '{self.name}' hashes strings or integers. Received: inputs "
                    f"of dtype {inputs.dtype}"
                )
            device, array = inputs.device, inputs.detach().cpu().numpy()
            array = array.astype(object)
            array = np.vectorize(int, otypes=[object])(array) if array.size else array
        ids = torch.from_numpy(self.hash_array(array)).to(device)
        if self.output_mode == "int":
            return ids
        return encode_categorical(ids, self.output_mode, self.num_bins)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(tuple(input_shape), self.output_mode, self.num_bins)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_bins": self.num_bins,
                "salt": self.salt,
                "mask_value": self.mask_value,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
            }
        )
        return config
