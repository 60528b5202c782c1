"""TextVectorization: strings to token indices (or multi-hot/count/TF-IDF vectors).

It runs on the host: it standardizes each string, splits it into tokens, adds n-grams and
looks the tokens up in a StringLookup (mask '' = 0, OOV '[UNK]' = 1). As a model's first
layer behind `Input(shape=(1,), dtype="string")`, `fit`/`predict` hand it the batch's
strings (a `StringArray`) and it returns an int64 tensor on the model's device, where the
torch part of the model (an Embedding, ...) starts.
"""

import collections
import re

import numpy as np
import torch

from plait.layers.preprocessing.base import PreprocessingLayer, as_numpy, batches
from plait.layers.preprocessing.encoding import check_output_mode
from plait.layers.preprocessing.lookups import (
    StringLookup,
    _listify,
    check_vocabulary_file,
)
from plait.serialization import register_serializable
from plait.utils.string_array import StringArray

_STRIP = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# TensorFlow's strings.lower (no encoding given) lowercases ASCII letters only.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_TF_WHITESPACE = " \t\n\v\f\r"


def _check_choice(name, value, allowed):
    if value is None or callable(value) or value in allowed:
        return
    raise ValueError(
        f"Invalid value for argument {name} of TextVectorization: expected one of "
        f"{list(allowed)}, None or a callable. Received: {name}={value!r}"
    )


def _checked_arguments(
    standardize, split, ngrams, output_mode, output_sequence_length, sparse, ragged
):
    """TextVectorization's arguments checked as Keras checks them; returns `output_mode`
    (Keras 2's 'binary' and 'tf-idf' renamed) and `ngrams` (a list made a tuple).

    Raises:
        ValueError: for an unknown mode, bad ngrams or output_sequence_length, or
            `sparse`/`ragged` (TensorFlow only).
    """
    if sparse or ragged:
        raise ValueError(
            "TextVectorization: `sparse=True` and `ragged=True` can only be used with the "
            f"TensorFlow backend. Received: sparse={sparse}, ragged={ragged}"
        )
    _check_choice(
        "standardize",
        standardize,
        ("lower_and_strip_punctuation", "lower", "strip_punctuation"),
    )
    _check_choice("split", split, ("whitespace", "character"))
    if output_mode == "binary":
        output_mode = "multi_hot"
    if output_mode == "tf-idf":
        output_mode = "tf_idf"
    check_output_mode(
        "TextVectorization", output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf")
    )
    if isinstance(ngrams, list):
        ngrams = tuple(ngrams)
    if not (
        ngrams is None
        or isinstance(ngrams, int)
        or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))
    ):
        raise ValueError(
            f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}"
        )
    if output_mode == "int" and not (
        output_sequence_length is None or isinstance(output_sequence_length, int)
    ):
        raise ValueError(
            "`output_sequence_length` must be either None or an integer when "
            f"`output_mode` is 'int'. Received: output_sequence_length="
            f"{output_sequence_length}"
        )
    if output_mode != "int" and output_sequence_length is not None:
        raise ValueError(
            "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
            f"Received output_sequence_length={output_sequence_length}."
        )
    return output_mode, ngrams


@register_serializable(package="plait")
class TextVectorization(PreprocessingLayer):
    """Turns strings into sequences of token indices or into token-count vectors.

    Args:
        max_tokens: the vocabulary's largest size (the mask '' and OOV '[UNK]' included).
        standardize: 'lower_and_strip_punctuation' (default), 'lower', 'strip_punctuation',
            None, or a callable on a NumPy array of strings.
        split: 'whitespace' (default), 'character', None, or a callable (one string ->
            list of tokens).
        ngrams: None, an int n (1..n-grams) or a tuple of n-gram sizes.
        output_mode: 'int' (default), 'multi_hot', 'count' or 'tf_idf'.
        output_sequence_length: with 'int', pad or cut every sequence to this length
            (default: pad to the batch's longest).
        pad_to_max_tokens: encode to `max_tokens` columns.
        vocabulary: a list of strings or a vocabulary file path, instead of `adapt`.
        idf_weights: with 'tf_idf' and a `vocabulary`, one weight per term.
        sparse, ragged: must be False. encoding: 'utf-8'.

    Input shape: strings `(batch,)` or `(batch, 1)`. Output shape: 'int': `(batch,
    output_sequence_length)` int64; other modes `(batch, vocabulary size)` float32.

        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["The cat sat.", "the dog"])
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
        >>> layer(["the cat"]).tolist()
        [[2, 5, 0, 0]]
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        **kwargs,
    ):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(**kwargs)
        output_mode, ngrams = _checked_arguments(
            standardize, split, ngrams, output_mode, output_sequence_length, sparse, ragged
        )
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._ragged, self._sparse = ragged, sparse
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            has_input_vocabulary=self._has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
            name=f"{self.name}_lookup",
        )
        self.built = True

    # ------------------------------------------------------------- vocabulary
    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary: '' (padding), '[UNK]', then the terms by frequency."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and, for 'tf_idf', the idf weights) directly."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and document frequencies) from strings: an array or list
        of strings, or an iterable of batches of them."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )
        whole = isinstance(data, (list, tuple, np.ndarray, StringArray))
        counts, doc_counts, num_docs = collections.Counter(), collections.Counter(), 0
        for i, batch in enumerate([data] if whole else batches(data)):
            if steps is not None and i >= steps:
                break
            for tokens in self._tokenize(
                StringArray(as_numpy(batch) if not isinstance(batch, (list, tuple)) else batch)
            ):
                counts.update(tokens)
                if self._output_mode == "tf_idf":
                    doc_counts.update(set(tokens))
                num_docs += 1
        self._lookup_layer._finalize(counts, doc_counts, num_docs)

    # ------------------------------------------------------------------- call
    def _standardized(self, array):
        standardize = self._standardize
        if callable(standardize):
            return np.asarray(standardize(array.astype(str)), dtype=object)
        flat = [str(s) for s in array.reshape(-1)]
        if standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [s.translate(_ASCII_LOWER) for s in flat]
        if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [_STRIP.sub("", s) for s in flat]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(array.shape)

    def _tokenize(self, strings):
        """One list of tokens (n-grams included) per input string."""
        array = self._standardized(strings.array)
        if self._split is not None and array.ndim > 1:
            if array.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must "
                    "be 1 or the last shape dimension must be 1. Received: inputs.shape="
                    f"{array.shape} with rank={array.ndim}"
                )
            array = array[..., 0]
        if array.ndim == 0:
            array = array.reshape(1)
        docs = []
        for text in array.reshape(-1):
            if self._split is None:
                tokens = [text]
            elif self._split == "whitespace":
                tokens = [t for t in re.split(f"[{_TF_WHITESPACE}]+", text) if t]
            elif self._split == "character":
                tokens = list(text)
            else:
                tokens = [str(t) for t in self._split(text)]
            docs.append(self._with_ngrams(tokens))
        return docs

    def _with_ngrams(self, tokens):
        if not self._ngrams:
            return tokens
        out = []
        for n in self._ngrams:
            out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return out

    def output_dtype_for(self, input_dtype):
        return torch.int64 if self._output_mode == "int" else torch.float32

    def forward(self, inputs):
        if not isinstance(inputs, StringArray):
            raise TypeError(
                f"TextVectorization layer '{self.name}' takes strings (a NumPy array or list "
                "of str, or a model Input(dtype='string')). Received: inputs of type "
                f"{type(inputs).__name__}"
            )
        docs = self._tokenize(inputs)
        lookup = self._lookup_layer
        if self._output_mode != "int":
            width = max((len(d) for d in docs), default=0)
            table = np.full((len(docs), max(width, 1)), "", dtype=object)
            for row, doc in zip(table, docs):
                row[: len(doc)] = doc
            return lookup(StringArray(table))
        length = self._output_sequence_length
        if length is None:
            length = max((len(d) for d in docs), default=0)
        flat = [t for d in docs for t in d[:length]]
        ids = lookup._lookup(np.array(flat, dtype=object)) if flat else np.zeros(0, np.int64)
        out = np.zeros((len(docs), length), dtype=np.int64)
        pos = 0
        for i, doc in enumerate(docs):
            n = min(len(doc), length)
            out[i, :n] = ids[pos : pos + n]
            pos += n
        return torch.as_tensor(out, device=lookup._device_anchor.device)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0] if input_shape else None, self._output_sequence_length)
        lookup = self._lookup_layer
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        return (input_shape[0] if input_shape else None, depth)

    def get_config(self):
        config = super().get_config()
        lookup = self._lookup_layer
        lookup_config = lookup.get_config()
        config.update(
            {
                "max_tokens": lookup.max_tokens,
                "standardize": self._standardize,
                "split": self._split,
                "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens,
                "sparse": self._sparse,
                "ragged": self._ragged,
                "vocabulary": _listify(lookup_config["vocabulary"]),
                "idf_weights": _listify(lookup_config["idf_weights"]),
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size(),
                "has_input_vocabulary": self._has_input_vocabulary,
            }
        )
        if isinstance(config["ngrams"], tuple):
            config["ngrams"] = list(config["ngrams"])
        return config

    @classmethod
    def from_config(cls, config):
        check_vocabulary_file(config)
        return cls(**config)
