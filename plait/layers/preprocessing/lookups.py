"""Vocabulary lookups: StringLookup and IntegerLookup (and their shared IndexLookup).

A lookup maps tokens to indices: `[mask]` (index 0, when `mask_token` is set and the output
is 'int'), then `num_oov_indices` out-of-vocabulary slots, then the vocabulary, most frequent
first after `adapt`. The vocabulary is a Python dict on the host; results are int64 torch
tensors (or float encodings) on the layer's device (it follows `model.to(device)`). The
vocabulary is part of `get_config`, so it is saved with the model.
"""

import collections
import os

import numpy as np
import torch

from plait.layers.arguments import base_arguments
from plait.layers.preprocessing.base import PreprocessingLayer, as_numpy, batches
from plait.layers.preprocessing.encoding import check_output_mode, encode_categorical
from plait.layers.preprocessing.hashes import fingerprint64, siphash24
from plait.serialization import in_safe_mode, register_serializable
from plait.utils.string_array import StringArray

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _is_integer(text):
    try:
        int(text)
    except ValueError:
        return False
    return True


class IndexLookup(PreprocessingLayer):
    """The shared machinery of StringLookup and IntegerLookup (see their docstrings)."""

    _strings = True

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=None,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        salt=None,
        vocabulary_size=None,
        has_input_vocabulary=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If `max_tokens` is set for `{cls}`, it must be greater than 1. Received: "
                f"max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                f"The value of `num_oov_indices` argument for `{cls}` must >= 0. Received: "
                f"num_oov_indices={num_oov_indices}"
            )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        check_output_mode(cls, output_mode, _MODES)
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. Received: "
                f"output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(
                f"{cls}: `sparse=True` can only be used with the TensorFlow backend. "
                f"Received: sparse={sparse}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                f"idf_weights={idf_weights} and output_mode={output_mode}"
            )
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.sparse = sparse
        self.salt = salt
        self._has_input_vocabulary = (
            vocabulary is not None if has_input_vocabulary is None else bool(has_input_vocabulary)
        )
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._tokens = []  # the learned/set tokens, without special tokens
        self._index = {}
        self._idf = None  # numpy float32 weights for every output index (tf_idf)
        self._frozen_vocab_size = vocabulary_size
        self.register_buffer("_device_anchor", torch.empty(0), persistent=False)
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError(
                "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                "`idf_weights` argument must also be provided."
            )
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ------------------------------------------------------------- vocabulary
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The vocabulary's size, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary as a list; with the special tokens, a token's position is its
        index in the output."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index() :]
        return vocab

    def _normalize_tokens(self, values):
        if self._strings:
            return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]
        return [int(v) for v in values]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list, 1-D array or tensor, or a text file path with one
        token per line) and, for 'tf_idf', the `idf_weights`, replacing any vocabulary."""
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                f"output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, str):
            vocabulary = self._read_vocabulary_file(vocabulary)
        vocabulary = self._normalize_tokens(np.asarray(as_numpy(vocabulary)).reshape(-1))
        if not vocabulary:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices
        found_special = vocabulary[:start] == special
        tokens = vocabulary[start:] if found_special else vocabulary
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"mask_token={self.mask_token!r} at vocabulary index "
                f"{vocabulary.index(self.mask_token)}"
            )
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"oov_token={self.oov_token!r}"
            )
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {start + len(tokens)}; `max_tokens` is {self.max_tokens}."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(as_numpy(idf_weights), dtype=np.float64).reshape(-1)
            if len(weights) != len(vocabulary):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                    f"{len(weights)}; len(vocabulary) is {len(vocabulary)}"
                )
            front = 0 if found_special else start
            self._set_idf(weights, front, 0.0 if found_special else float(np.average(weights)))

    @classmethod
    def from_config(cls, config):
        check_vocabulary_file(config)
        return cls(**config)

    def _read_vocabulary_file(self, path):
        if not os.path.exists(path):
            raise ValueError(f"Vocabulary file {path} does not exist.")
        if self.output_mode == "tf_idf":
            raise ValueError(
                "output_mode `'tf_idf'` does not support loading a vocabulary from file."
            )
        with open(path, "rb") as f:
            raw = f.read()
        try:
            lines = raw.decode("utf-8").splitlines()
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + 1
            raise ValueError(
                f"{type(self).__name__} '{self.name}': vocabulary file {path} is not UTF-8 "
                f"text (line {line}: {err.reason}). Expected one token per line."
            ) from None
        while lines and lines[-1] == "":
            lines.pop()
        if not self._strings:
            for number, token in enumerate(lines, 1):
                if not _is_integer(token):
                    raise ValueError(
                        f"IntegerLookup '{self.name}': line {number} of vocabulary file "
                        f"{path} is {token[:50]!r}, not an integer. Expected one integer "
                        "per line."
                    )
        return lines

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: i + start for i, t in enumerate(self._tokens)}
        self._record_vocabulary_size()

    def _set_idf(self, weights, front, front_value):
        back = 0
        if self.pad_to_max_tokens and self.max_tokens is not None:
            back = self.max_tokens - front - len(weights)
        self._idf_source = np.asarray(weights, dtype=np.float32)
        self._idf = np.pad(
            weights, (front, back), "constant", constant_values=(front_value, 0)
        ).astype(np.float32)
        self._idf_cache = {}

    def _record_vocabulary_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            self._frozen_vocab_size = self.vocabulary_size()
            return
        size = self.vocabulary_size()
        if (
            self._frozen_vocab_size is not None
            and size != self._frozen_vocab_size
            and getattr(self, "_called", False)
        ):
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "the vocabulary size cannot be changed after the layer is called. Old vocab "
                f"size is {self._frozen_vocab_size}, new vocab size is {size}"
            )
        self._frozen_vocab_size = size

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, steps=None):
        """Learn the vocabulary from `data` (an array, a list, or an iterable of batches):
        tokens by descending frequency (ties: descending token), at most `max_tokens`."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )
        counts, doc_counts, num_docs = collections.Counter(), collections.Counter(), 0
        whole = isinstance(data, (list, tuple, np.ndarray, StringArray, torch.Tensor))
        items = [data] if whole else batches(data)
        for i, batch in enumerate(items):
            if steps is not None and i >= steps:
                break
            array = np.asarray(
                as_numpy(
                    StringArray(batch) if whole and isinstance(batch, (list, tuple)) else batch
                ),
                dtype=object,
            )
            if array.ndim == 0:
                array = array.reshape(1, 1)
            elif array.ndim == 1:
                array = array.reshape(-1, 1) if whole else array.reshape(1, -1)
            rows = array.reshape(array.shape[0], -1)
            for row in rows:
                tokens = self._normalize_tokens(row)
                counts.update(tokens)
                if self.output_mode == "tf_idf":
                    doc_counts.update(set(tokens))
            num_docs += rows.shape[0]
        self._finalize(counts, doc_counts, num_docs)

    def _finalize(self, counts, doc_counts, num_docs):
        if not counts:
            self._record_vocabulary_size()
            return
        counts.pop(self.mask_token, None)
        counts.pop(self.oov_token, None)
        tokens = sorted(counts, key=lambda t: (counts[t], _sort_key(t)), reverse=True)
        if self.max_tokens:
            tokens = tokens[: self.max_tokens - self._token_start_index()]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.array(
                [np.log(1 + num_docs / (1 + doc_counts[t])) for t in tokens], dtype=np.float32
            )
            self._set_idf(weights, self._token_start_index(), float(np.mean(weights)))

    # ------------------------------------------------------------------- call
    def output_dtype_for(self, input_dtype):
        if self.invert:
            return "string" if self._strings else torch.int64
        return torch.int64 if self.output_mode == "int" else torch.float32

    def _lookup(self, array):
        """Indices (int64 NumPy array) of the tokens in `array` (object array)."""
        flat = array.reshape(-1)
        out = np.empty(flat.shape, dtype=np.int64)
        oov_default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        mask_index = 0 if self.output_mode == "int" else np.iinfo(np.int64).max
        for i, token in enumerate(self._normalize_tokens(flat)):
            if self.mask_token is not None and token == self.mask_token:
                out[i] = mask_index
                continue
            index = self._index.get(token)
            if index is None:
                if self.num_oov_indices == 0:
                    raise ValueError(
                        "When `num_oov_indices=0` all inputs should be in vocabulary, found "
                        f"OOV values [{token!r}], consider setting `num_oov_indices=1`. "
                        f"(layer '{self.name}')"
                    )
                index = (
                    oov_default
                    if self.num_oov_indices == 1
                    else self._oov_bucket(token) + self._oov_start_index()
                )
            out[i] = index
        return out.reshape(array.shape)

    def _oov_bucket(self, token):
        if not self._strings and getattr(self, "oov_method", "floormod") != "farmhash":
            return token % self.num_oov_indices
        data = str(token).encode("utf-8")
        if self.salt is not None:
            salt = self.salt if isinstance(self.salt, (list, tuple)) else [self.salt] * 2
            return siphash24(salt[0], salt[1], data) % self.num_oov_indices
        return fingerprint64(data) % self.num_oov_indices

    def _inverse(self, array):
        vocab = self.get_vocabulary()
        flat = [int(i) for i in array.reshape(-1)]
        out = [
            vocab[i]
            if 0 <= i < len(vocab) and i >= self._token_start_index()
            else (self.mask_token if (i == 0 and self.mask_token is not None) else self.oov_token)
            for i in flat
        ]
        result = np.empty(len(out), dtype=object)
        result[:] = out
        return result.reshape(array.shape)

    def forward(self, inputs):
        self._called = True
        if (
            self.output_mode != "int"
            and not self.pad_to_max_tokens
            and self._frozen_vocab_size is None
        ):
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data."
            )
        device = self._device_anchor.device
        if isinstance(inputs, StringArray):
            array = inputs.array
        else:
            device = inputs.device if inputs.device.type != "cpu" else device
            array = inputs.detach().cpu().numpy().astype(object)
        scalar = array.ndim == 0
        if scalar:
            array = array.reshape(1)
        if self.invert:
            out = self._inverse(array)
            if self._strings:
                return StringArray(out[0] if scalar else out)
            result = torch.as_tensor(out.astype(np.int64), device=device)
            return result[0] if scalar else result
        ids = torch.as_tensor(self._lookup(array), device=device)
        if self.output_mode == "int":
            return ids[0] if scalar else ids
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        output = encode_categorical(ids, mode, depth, torch.float32)
        if self.output_mode == "tf_idf":
            output = output * self._idf_tensor(device)
        return output

    def _idf_tensor(self, device):
        cached = self._idf_cache.get(device)
        if cached is None:
            cached = self._idf_cache[device] = torch.as_tensor(self._idf, device=device)
        return cached

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        input_shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def get_config(self):
        config = super().get_config()
        vocabulary = self.input_vocabulary
        if vocabulary is None and self._tokens:  # adapted: the vocabulary is state
            vocabulary = list(self._tokens)
        idf = self.input_idf_weights
        if idf is None and self.output_mode == "tf_idf" and self._idf is not None:
            idf = self._idf_source.tolist()
        config.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": _listify(vocabulary),
                "idf_weights": _listify(idf),
                "vocabulary_size": self._frozen_vocab_size,
                "salt": self.salt,
                "has_input_vocabulary": self._has_input_vocabulary,
            }
        )
        return config


def check_vocabulary_file(config):
    """A config (from a file) naming a vocabulary file loads only with safe_mode=False."""
    path = config.get("vocabulary")
    if isinstance(path, str) and in_safe_mode():
        raise ValueError(
            "Requested the loading of a vocabulary file outside of the model archive. This "
            "carries a potential risk of loading arbitrary and sensitive files and thus it is "
            "disallowed by default. If you trust the source of the artifact, pass "
            f"`safe_mode=False` to the loading function. Vocabulary file: '{path}'"
        )


def _listify(value):
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value).tolist() if not isinstance(value, list) else list(value)


def _sort_key(token):
    return token.encode("utf-8") if isinstance(token, str) else token


@register_serializable(package="plait")
class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (given, or learned by `adapt`).

    Args:
        max_tokens: the largest vocabulary size (special tokens included), or None.
        num_oov_indices: out-of-vocabulary slots (default 1); several are filled by
            hashing the token (FarmHash, or SipHash with `salt`).
        mask_token: a token that maps to 0 (the mask), or None (default).
        oov_token: the OOV token returned by `invert=True` (default '[UNK]').
        vocabulary: a list/array of strings or a path to a text file; duplicates raise.
        idf_weights: with 'tf_idf', one weight per vocabulary term.
        invert: map indices back to strings.
        output_mode: 'int' (default), 'one_hot', 'multi_hot', 'count' or 'tf_idf'.
        pad_to_max_tokens: encode to `max_tokens` columns rather than the vocabulary size.
        sparse: must be False. encoding: the text encoding of bytes inputs ('utf-8').

    Input shape: string data of any shape (a NumPy array, a list, or a model's
    `Input(dtype="string")`). Output shape: the input's ('int', int64) or encoded.

        >>> StringLookup(vocabulary=["a", "b", "c"])([["a", "c"], ["d", "b"]]).tolist()
        [[1, 3], [0, 2]]
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        salt=None,
        **kwargs,
    ):
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(**base_arguments(IndexLookup, locals()), **kwargs)

    def get_config(self):
        config = super().get_config()
        config["encoding"] = self.encoding
        return config


@register_serializable(package="plait")
class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices from a vocabulary (given, or learned by `adapt`).

    Args are StringLookup's, with integer tokens: `oov_token` (default -1), `mask_token`
    (an int or None), `vocabulary_dtype` ('int64' only), and `oov_method` ('floormod',
    default: an OOV integer goes to slot `x % num_oov_indices`; or 'farmhash').

    Input shape: integers of any shape. Output shape: the input's ('int', int64) or encoded.

        >>> import torch
        >>> lookup = IntegerLookup(vocabulary=[12, 36, 1138])
        >>> lookup(torch.tensor([[12, 1138], [42, 36]])).tolist()
        [[1, 3], [0, 2]]
    """

    _strings = False

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                "IntegerLookup: `oov_method` must be 'floormod' or 'farmhash'. Received: "
                f"oov_method={oov_method!r}"
            )
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        super().__init__(**base_arguments(IndexLookup, locals()), **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({"vocabulary_dtype": self.vocabulary_dtype, "oov_method": self.oov_method})
        return config
