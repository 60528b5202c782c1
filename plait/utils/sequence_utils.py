"""`pad_sequences`: lists of sequences of different lengths to one padded 2-D array."""

import numpy as np

__all__ = ["pad_sequences"]


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
):
    """Pad (or cut) sequences to one length, as Keras does.

    Args:
        sequences: a list of sequences (lists or arrays, each `(length, ...)`).
        maxlen: the length of every output row. Default None: the longest sequence.
        dtype: the output dtype. Default "int32" (use `object` for strings).
        padding: "pre" or "post": pad before or after each sequence. Default "pre".
        truncating: "pre" or "post": drop values from the start or the end of sequences
            longer than `maxlen`. Default "pre".
        value: the padding value. Default 0.

    Returns:
        A numpy array of shape `(len(sequences), maxlen) + sample_shape`.

    Raises:
        ValueError: unknown `padding`/`truncating`, a non-iterable entry, entries of
            different inner shapes, or a string `value` with a non-string dtype.

    Example:
        >>> padded = pad_sequences([[1, 2, 3], [4]], maxlen=2)
        >>> padded.tolist(), padded.dtype
        ([[2, 3], [0, 4]], dtype('int32'))
    """
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(
                f"pad_sequences: `{name}` must be 'pre' or 'post'. Received: {name}={given!r}"
            )
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            "pad_sequences: `sequences` must be a list of sequences. "
            f"Received: sequences of type {type(sequences).__name__}"
        )
    lengths, sample_shape = [], None
    for i, seq in enumerate(sequences):
        try:
            lengths.append(len(seq))
        except TypeError:
            raise ValueError(
                "pad_sequences: `sequences` must be a list of iterables, but entry "
                f"{i} is not one. Received: sequences[{i}]={seq!r}"
            ) from None
        if sample_shape is None and len(seq):
            sample_shape = np.asarray(seq).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    is_text = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(
            f"pad_sequences: `dtype` {dtype} cannot hold the string `value`; pass "
            f"dtype=object for variable-length strings. Received: value={value!r}"
        )
    out = np.full((len(lengths), maxlen) + tuple(sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(
                f"pad_sequences: sequence {i} has entries of shape {kept.shape[1:]}, but "
                f"the first non-empty sequence's entries have shape {tuple(sample_shape)}. "
                "All entries must have one shape."
            )
        if padding == "post":
            out[i, : len(kept)] = kept
        else:
            out[i, -len(kept) :] = kept
    return out
