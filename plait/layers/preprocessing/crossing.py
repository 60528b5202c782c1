"""`HashedCrossing`: crosses categorical features (strings or integers) and hashes each
combination into `num_bins` buckets, with TensorFlow's `sparse.cross_hashed` arithmetic
(FarmHash Fingerprint64 of strings, the value itself for integers, combined with
FingerprintCat64 from the seed 0xDECAFCAFFE), which Keras's layer calls.

    ids = plait.layers.HashedCrossing(num_bins=5)((colors, sizes))
"""

import numpy as np
import torch

from plait.layers.layer import Layer
from plait.layers.preprocessing.base import PreprocessingLayer, to_host_or_tensor
from plait.layers.preprocessing.encoding import encode_categorical
from plait.layers.preprocessing.hashes import fingerprint64
from plait.serialization import register_serializable
from plait.utils.string_array import StringArray

__all__ = ["HashedCrossing"]

_MASK = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_SEED = 0xDECAFCAFFE


def _shift_mix(value):
    return value ^ (value >> 47)


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64: two 64-bit fingerprints combined into one."""
    result = fp1 ^ _MUL
    result ^= (_shift_mix((fp2 * _MUL) & _MASK) * _MUL) & _MASK
    result = (result * _MUL) & _MASK
    result = (_shift_mix(result) * _MUL) & _MASK
    return _shift_mix(result)


def _feature_hash(value):
    if isinstance(value, (bytes, str)):
        data = value if isinstance(value, bytes) else value.encode("utf-8")
        return fingerprint64(data)
    return int(value) & _MASK


def _as_host_array(value):
    if isinstance(value, StringArray):
        return value.array
    if isinstance(value, torch.Tensor):
        if value.is_floating_point():
            raise ValueError(
                "HashedCrossing crosses strings or integers; it received floats. "
                f"Received: input of dtype {value.dtype}"
            )
        return value.detach().cpu().numpy()
    return np.asarray(value)


@register_serializable(package="plait")
class HashedCrossing(PreprocessingLayer):
    """Crosses two or more categorical features with the hashing trick: each row's
    combination of values becomes one of `num_bins` bucket ids (TensorFlow's
    `cross_hashed`, bit for bit, as Keras's layer computes it).

    Args:
        num_bins: the number of buckets.
        output_mode: 'int' (default: int64 bucket ids) or 'one_hot' (float32).
        sparse: must be False (PyTorch computes densely).

    Input: a tuple or list of at least two features of equal shape, each `()`,
    `(batch,)` or `(batch, 1)`: NumPy string or integer arrays, lists, int tensors, or a
    model's `Input(dtype="string")`/integer inputs. Output shape: the inputs' ('int'), or
    with a last axis of `num_bins` ('one_hot'; a last axis of 1 is replaced).

    Raises:
        ValueError: fewer than two inputs, inputs not in a list or tuple, shapes that
            differ or have rank above 2, float inputs, or an unknown `output_mode`.

    Example:
        >>> layer = HashedCrossing(num_bins=5)
        >>> layer((["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102])).tolist()
        [1, 4, 1, 1, 3]
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Invalid value for argument `output_mode` of HashedCrossing. Expected one "
                f"of ('int', 'one_hot'). Received: output_mode={output_mode!r}"
            )
        if sparse:
            raise ValueError(
                "HashedCrossing: `sparse=True` is not supported (PyTorch computes with "
                f"dense tensors). Received: sparse={sparse}"
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse
        self.register_buffer("_device_anchor", torch.empty(0), persistent=False)

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs!r:.200}"
            )
        if len(inputs) < 2:
            raise ValueError(
                "`HashedCrossing` should be called on at least two inputs. "
                f"Received: inputs={inputs!r:.200}"
            )
        inputs = [to_host_or_tensor(x) for x in inputs]
        if not self.built:
            self._ensure_built(None)
        return Layer.__call__(self, inputs, *args, **kwargs)

    def output_dtype_for(self, input_dtype):
        return torch.int64 if self.output_mode == "int" else torch.float32

    def forward(self, inputs):
        arrays = [_as_host_array(x) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received: input shapes {[a.shape for a in arrays]}"
            )
        if any(a.shape != shape for a in arrays[1:]):
            raise ValueError(
                "All `HashedCrossing` inputs should have equal shape. "
                f"Received: input shapes {[a.shape for a in arrays]}"
            )
        columns = [a.reshape(-1).tolist() for a in arrays]
        ids = []
        for row in zip(*columns):
            value = _SEED
            for feature in row:
                value = fingerprint_cat64(value, _feature_hash(feature))
            ids.append(value % self.num_bins)
        device = next(
            (x.device for x in inputs if isinstance(x, torch.Tensor)), self._device_anchor.device
        )
        out = torch.tensor(ids, dtype=torch.int64, device=device).reshape(shape)
        if self.output_mode == "int":
            return out
        if len(shape) == 2:
            out = out[..., 0]
        return encode_categorical(out, "one_hot", self.num_bins)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            first = first[:-1]
        return (*first, self.num_bins)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse}
        )
        return config
