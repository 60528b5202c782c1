"""Keras 2's `keras.preprocessing.text`: `Tokenizer`, `text_to_word_sequence`, `one_hot`,
`hashing_trick`, `tokenizer_from_json`.

The word indices, matrices and JSON are those Keras 2 computes (words ranked by count,
ties in first-seen order, index 0 reserved; `num_words` keeps indices below it).
"""

import collections
import hashlib
import json
import warnings

import numpy as np

__all__ = ["Tokenizer", "text_to_word_sequence", "one_hot", "hashing_trick", "tokenizer_from_json"]

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=FILTERS, lower=True, split=" "):
    """Split a text into words: lower-case it, turn every character of `filters` into
    `split`, split on `split`, drop empty pieces.

    Example:
        >>> text_to_word_sequence("The cat, the hat.")
        ['the', 'cat', 'the', 'hat']
    """
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def hashing_trick(
    text, n, hash_function=None, filters=FILTERS, lower=True, split=" ", analyzer=None
):
    """Each word of `text` as an index in `1 .. n-1` by hashing (`hash_function`: a
    function, "md5" for a stable hash, or None for Python's `hash`, which varies between
    runs unless PYTHONHASHSEED is set)."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":

        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)

    words = (
        analyzer(text)
        if analyzer is not None
        else text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    )
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(input_text, n, filters=FILTERS, lower=True, split=" ", analyzer=None):
    """`hashing_trick` with Python's `hash`: each word as an integer in `1 .. n-1`."""
    return hashing_trick(
        input_text,
        n,
        hash_function=hash,
        filters=filters,
        lower=lower,
        split=split,
        analyzer=analyzer,
    )


class Tokenizer:
    """Keras 2's text tokenizer: learns a word index from texts, then turns texts into
    sequences of indices or into matrices.

    Args:
        num_words: keep only words whose index is below this (the `num_words - 1` most
            frequent). Default None: all.
        filters: characters removed from texts. Default: punctuation, tabs, newlines.
        lower: lower-case texts. Default True.
        split: the word separator. Default " ".
        char_level: treat every character as a token. Default False.
        oov_token: a token (index 1) that replaces out-of-vocabulary words. Default None:
            unknown words are dropped.
        analyzer: a function `text -> list of tokens` used instead of the splitting.

    Attributes:
        word_index, index_word, word_counts, word_docs, index_docs, document_count.

    Example:
        >>> tok = Tokenizer(num_words=100, oov_token="<OOV>")
        >>> tok.fit_on_texts(["the cat sat", "the dog"])
        >>> tok.texts_to_sequences(["the bird sat"])
        [[2, 1, 4]]
    """

    def __init__(
        self,
        num_words=None,
        filters=FILTERS,
        lower=True,
        split=" ",
        char_level=False,
        oov_token=None,
        analyzer=None,
        **kwargs,
    ):
        if "nb_words" in kwargs:
            warnings.warn(
                "The `nb_words` argument in `Tokenizer` has been renamed `num_words`.", stacklevel=2
            )
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Tokenizer: unrecognized keyword arguments: {kwargs}")
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.index_docs = collections.defaultdict(int)
        self.filters, self.split, self.lower = filters, split, lower
        self.num_words, self.document_count = num_words, document_count
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.word_index, self.index_word = {}, {}

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts):
        """Count the words of `texts` (strings, or lists of tokens) and rebuild the index."""
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [
            word for word, _ in ranked
        ]
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        for word, count in list(self.word_docs.items()):
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Count documents per index from sequences (for `sequences_to_matrix` tf-idf)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            out = []
            for token in self._tokens(text):
                i = self.word_index.get(token)
                if i is not None and not (self.num_words and i >= self.num_words):
                    out.append(i)
                elif oov is not None and (i is not None or self.oov_token is not None):
                    out.append(oov)
            yield out

    def sequences_to_texts(self, sequences):
        """Each sequence of indices as a text (words joined by spaces)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for i in seq:
                word = self.index_word.get(i)
                if word is not None and not (self.num_words and i >= self.num_words):
                    words.append(word)
                elif oov is not None and (word is not None or self.oov_token is not None):
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """`(len(texts), num_words)` matrix: "binary", "count", "freq" or "tfidf"."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """`(len(sequences), num_words)` matrix of the indices (see `texts_to_matrix`)."""
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(
                "Tokenizer: unknown vectorization mode. Expected one of 'binary', 'count', "
                f"'freq', 'tfidf'. Received: mode={mode!r}"
            )
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError(
                "Specify a dimension (`num_words` argument), or fit on some text data first."
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        out = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            if not seq:
                continue
            counts = collections.Counter(i for i in seq if i < width)
            for i, count in counts.items():
                if mode == "count":
                    out[row, i] = count
                elif mode == "freq":
                    out[row, i] = count / len(seq)
                elif mode == "binary":
                    out[row, i] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(i, 0)))
                    out[row, i] = (1 + np.log(count)) * idf
        return out

    def get_config(self):
        """The tokenizer's settings and learned tables (tables as JSON strings)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string; `tokenizer_from_json` reads it back."""
        return json.dumps(
            {"class_name": type(self).__name__, "config": self.get_config()}, **kwargs
        )


def tokenizer_from_json(json_string):
    """A `Tokenizer` from `Tokenizer.to_json()`'s output (Keras 2's format)."""
    config = dict(json.loads(json_string).get("config"))
    tables = {
        key: json.loads(config.pop(key))
        for key in ("word_counts", "word_docs", "index_docs", "index_word", "word_index")
    }
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = tables["word_counts"]
    tokenizer.word_docs = tables["word_docs"]
    tokenizer.index_docs = {int(k): v for k, v in tables["index_docs"].items()}
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    tokenizer.word_index = tables["word_index"]
    return tokenizer
