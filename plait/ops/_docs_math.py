"""Docstrings of the ops of `math.py` (segment reductions, top-k, Fourier transforms,
framing; format: `plait/ops/_docs.py`). Each example's output is Keras 3's value on the
torch backend."""

from plait.ops._docs import parse

_SEGMENT = """Args:
        data: a tensor whose first axis is split into segments.
        segment_ids: a 1-D int tensor, one segment id per row of `data`.
        num_segments: the number of segments (default None: `max(segment_ids) + 1`).
        sorted: accepted for Keras's signature (whether the ids are sorted); any order works.

    Returns:
        A tensor of shape `(num_segments,) + data.shape[1:]` in `data`'s dtype"""
_PAIR = """x: a tuple `(real, imag)` of float tensors of one shape"""
_FRAMES = """sequence_length: the length of each frame (the window's length).
        sequence_stride: the step between frames.
        fft_length: the FFT size (at least `sequence_length`; the window is centred in it)."""

_MATH = f"""
segment_sum: The sum of the rows of `data` in each segment.
    {_SEGMENT} (empty segments are 0).
    >>> data, ids = ops.array([1, 2, 3, 4]), ops.array([0, 0, 1, 1])
    >>> ops.segment_sum(data, ids)
    tensor([3, 7], dtype=torch.int32)
segment_prod: The product of the rows of `data` in each segment.
    {_SEGMENT} (empty segments are 1).
    >>> data, ids = ops.array([1.0, 2.0, 3.0, 4.0]), ops.array([0, 0, 1, 1])
    >>> ops.segment_prod(data, ids)
    tensor([ 2., 12.])
segment_max: The largest row of `data`, element-wise, in each segment.
    {_SEGMENT} (empty segments hold the dtype's lowest value: -inf for floats).
    >>> data, ids = ops.array([1, 5, 3, 4]), ops.array([0, 0, 1, 1])
    >>> ops.segment_max(data, ids)
    tensor([5, 4], dtype=torch.int32)
segment_min: The smallest row of `data`, element-wise, in each segment.
    {_SEGMENT} (empty segments hold the dtype's highest value: inf for floats).
    >>> data, ids = ops.array([1, 5, 3, 4]), ops.array([0, 0, 1, 1])
    >>> ops.segment_min(data, ids)
    tensor([1, 3], dtype=torch.int32)
top_k: The `k` largest values along the last axis of `x`, and their indices.
    Args:
        x: a tensor, NumPy array or nested list.
        k: how many values to keep.
        sorted: whether they come in descending order (default True).

    Returns:
        A tuple `(values, indices)`, both of shape `x.shape[:-1] + (k,)`; `indices` are
        int64.
    >>> values, indices = ops.top_k([1.0, 5.0, 3.0, 4.0], 2)
    >>> values, indices
    (tensor([5., 4.]), tensor([1, 3]))
in_top_k: Whether each target's class is among the `k` highest predictions of its row.
    Args:
        targets: a 1-D int tensor of class indices, one per row of `predictions`.
        predictions: a 2-D tensor of scores, `(batch, classes)`.
        k: how many of the highest scores count (a target tied with the k-th is in).

    Returns:
        A bool tensor of shape `(batch,)`.
    >>> ops.in_top_k([2, 0], [[0.1, 0.2, 0.7], [0.3, 0.5, 0.2]], 1)
    tensor([ True, False])
logdet: The natural log of the determinant of the positive-definite matrices `x`.
    Args:
        x: a tensor of shape `(..., n, n)`.

    Returns:
        A float tensor of shape `x.shape[:-2]` (floatx for ints).
    >>> ops.logdet([[2.0, 0.0], [0.0, 3.0]])
    tensor(1.7918)
fft: The discrete Fourier transform over the last axis of a complex signal.
    Args:
        {_PAIR}.

    Returns:
        A tuple `(real, imag)` of the transform, of `x`'s shape.
    >>> ops.fft(([1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]))
    (tensor([1., 1., 1., 1.]), tensor([0., 0., 0., 0.]))
fft2: The 2-D discrete Fourier transform over the last two axes of a complex signal.
    Args:
        {_PAIR}, at least 2-D.

    Returns:
        A tuple `(real, imag)` of the transform, of `x`'s shape.
    >>> real, imag = ops.fft2((ops.ones((2, 2)), ops.zeros((2, 2))))
    >>> real
    tensor([[4., 0.],
            [0., 0.]])
ifft2: The inverse 2-D discrete Fourier transform over the last two axes.
    Args:
        {_PAIR}, at least 2-D.

    Returns:
        A tuple `(real, imag)` of the inverse transform, of `x`'s shape.
    >>> real, imag = ops.ifft2(([[4.0, 0.0], [0.0, 0.0]], ops.zeros((2, 2))))
    >>> real
    tensor([[1., 1.],
            [1., 1.]])
rfft: The discrete Fourier transform over the last axis of a real signal.
    Args:
        x: a real tensor.
        fft_length: the FFT size (default None: the last axis's length); the signal is
            cut or zero-padded to it.

    Returns:
        A tuple `(real, imag)` of shape `x.shape[:-1] + (fft_length // 2 + 1,)`.
    >>> ops.rfft([1.0, 2.0, 3.0, 4.0])
    (tensor([10., -2., -2.]), tensor([0., 2., 0.]))
irfft: The real inverse of `rfft`, over the last axis.
    Args:
        {_PAIR}: the non-negative frequencies.
        fft_length: the length of the output signal (default None: `2 * (n - 1)` for `n`
            frequencies).

    Returns:
        A real tensor of shape `x.shape[:-1] + (fft_length,)`.
    >>> ops.irfft(([10.0, -2.0, -2.0], [0.0, 2.0, 0.0]))
    tensor([1., 2., 3., 4.])
stft: The short-time Fourier transform over the last axis of a real signal.
    Args:
        x: a real tensor `(..., samples)`.
        {_FRAMES}
        window: 'hann' (the default), 'hamming', a 1-D tensor of `sequence_length`, or None
            (a rectangular window).
        center: whether to pad `x` by `fft_length // 2` on both sides (reflecting) so that
            frame `t` is centred at `t * sequence_stride` (default True).

    Returns:
        A tuple `(real, imag)` of shape `(..., frames, fft_length // 2 + 1)`.

    Raises:
        ValueError: an unknown window name.
    >>> real, imag = ops.stft(ops.ones((1, 16)), 8, 4, 8)
    >>> real.shape
    torch.Size([1, 5, 5])
istft: The inverse short-time Fourier transform: the signal whose `stft` is `x`.
    Args:
        x: a tuple `(real, imag)` of shape `(..., frames, fft_length // 2 + 1)`.
        {_FRAMES}
        length: the output's length (default None: as the frames give it).
        window: as for `stft` (default 'hann').
        center: as for `stft` (default True).

    Returns:
        A float tensor `(..., samples)`.

    Raises:
        ValueError: an unknown window name.
    >>> x = ops.linspace(0.0, 1.0, 16)
    >>> y = ops.istft(ops.stft(x, 8, 4, 8), 8, 4, 8, length=16)
    >>> ops.round(y[4:8], 3)
    tensor([0.2670, 0.3330, 0.4000, 0.4670])
extract_sequences: The frames of `sequence_length` every `sequence_stride` along the last axis.
    Args:
        x: a tensor `(..., samples)`.
        sequence_length: the length of each frame.
        sequence_stride: the step between frames.

    Returns:
        A tensor of shape `(..., frames, sequence_length)` with
        `frames = 1 + (samples - sequence_length) // sequence_stride`.
    >>> ops.extract_sequences([1, 2, 3, 4, 5], 3, 2)
    tensor([[1, 2, 3],
            [3, 4, 5]], dtype=torch.int32)
view_as_complex: A real tensor whose last axis holds (real, imag) pairs, as a complex one.
    Args:
        x: a float tensor of shape `(..., 2)`.

    Returns:
        A complex tensor of shape `x.shape[:-1]`.
    >>> ops.view_as_complex([[1.0, 2.0], [3.0, -1.0]])
    tensor([1.+2.j, 3.-1.j])
view_as_real: A complex tensor as a real one whose last axis holds (real, imag) pairs.
    Args:
        x: a complex tensor.

    Returns:
        A float tensor of shape `x.shape + (2,)`.
    >>> ops.view_as_real(np.array([1 + 2j, 3 - 1j], dtype=np.complex64))
    tensor([[ 1.,  2.],
            [ 3., -1.]])
cdist: The distance between each row of `x` and each row of `y` (Euclidean by default).
    Args:
        x: a tensor `(..., n, d)`.
        y: a tensor `(..., m, d)`.
        p: the norm's order (default 2.0: Euclidean, Keras's only choice; a plait extension).

    Returns:
        A float tensor `(..., n, m)`.
    >>> ops.cdist([[0.0, 0.0], [1.0, 1.0]], [[3.0, 4.0]])
    tensor([[5.0000],
            [3.6056]])
"""

DOCS = parse(_MATH)
