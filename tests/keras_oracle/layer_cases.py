"""The table of layer configurations the conformance harness compares with Keras 3.

Each `Case` builds one layer through `factory(layers_module)` (the same lambda makes the plait
layer and the Keras layer), calls it on `inputs` (arrays, passed positionally, or as one list
when `as_list`), with `call` keyword arguments (arrays become tensors). `train=False` marks
layers whose training-mode forward is random; `full=True` rows run only with
PLAIT_ORACLE_FULL=1.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FULL = os.environ.get("PLAIT_ORACLE_FULL") == "1"
RNG = np.random.default_rng(0)


def _f(*shape):
    return RNG.normal(size=shape).astype("float32")


VEC = _f(3, 6)
SEQ = _f(3, 5, 4)
SEQ2 = _f(3, 5, 4)
KEYS = _f(3, 7, 4)
IMG = _f(2, 8, 8, 3)
IMG_ODD = _f(2, 7, 9, 3)
VOL = _f(2, 6, 6, 6, 2)
IDS = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8], [9, 0, 0, 0, 0]], dtype="int64")
SEQ_MASK = IDS != 0
ATT_MASK = RNG.random((3, 5, 7)) > 0.3
ATT_MASK[:, :, 0] = True
SIGNAL = _f(2, 96, 2)
SIGNAL_FIRST = SIGNAL.transpose(0, 2, 1).copy()
AUDIO = _f(2, 200)
PIXELS = RNG.uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")


@dataclass
class Case:
    id: str
    factory: Callable[[Any], Any]
    inputs: list
    as_list: bool = False
    call: dict = field(default_factory=dict)
    train: bool = True
    full: bool = False


def c(id, factory, *inputs, **kw):
    return Case(id, factory, list(inputs), **kw)


CASES = [
    # core
    c("dense", lambda L: L.Dense(5), VEC),
    c("dense_nobias_relu", lambda L: L.Dense(4, use_bias=False, activation="relu"), VEC),
    c("dense_seq_tanh", lambda L: L.Dense(3, activation="tanh"), SEQ),
    c("dense_softmax", lambda L: L.Dense(4, activation="softmax"), VEC, full=True),
    c("activation", lambda L: L.Activation("gelu"), VEC),
    c("identity", lambda L: L.Identity(), VEC),
    c("embedding", lambda L: L.Embedding(10, 3), IDS),
    c("embedding_mask_zero", lambda L: L.Embedding(10, 3, mask_zero=True), IDS),
    c("masking", lambda L: L.Masking(0.0), SEQ),
    c("rescaling", lambda L: L.Rescaling(0.5, offset=1.0), VEC),
    c("lambda", lambda L: L.Lambda(lambda t: t * 2.0), VEC),
    c("activity_regularization", lambda L: L.ActivityRegularization(l1=0.1), VEC),
    # activations
    c("relu", lambda L: L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2), VEC),
    c("leaky_relu", lambda L: L.LeakyReLU(), VEC),
    c("elu", lambda L: L.ELU(alpha=0.5), VEC),
    c("prelu", lambda L: L.PReLU(), SEQ),
    c("prelu_shared", lambda L: L.PReLU(shared_axes=[1]), SEQ, full=True),
    c("softmax", lambda L: L.Softmax(), SEQ),
    c(
        "softmax_mask",
        lambda L: L.Softmax(axis=-1),
        KEYS[:, :5, :],
        call={"mask": SEQ_MASK[:, :, None] | np.zeros((3, 5, 4), bool)},
    ),
    # convolution
    c("conv1d", lambda L: L.Conv1D(4, 3), SEQ),
    c("conv1d_same_s2_k4", lambda L: L.Conv1D(4, 4, strides=2, padding="same"), SEQ),
    c("conv1d_causal_dil", lambda L: L.Conv1D(3, 2, padding="causal", dilation_rate=2), SEQ),
    c("conv2d", lambda L: L.Conv2D(4, 3, activation="relu"), IMG),
    c("conv2d_same_s2_k2", lambda L: L.Conv2D(4, 2, strides=2, padding="same"), IMG_ODD),
    c("conv2d_same_s2_k4", lambda L: L.Conv2D(3, 4, strides=2, padding="same"), IMG),
    c("conv2d_same_k4", lambda L: L.Conv2D(3, (4, 2), padding="same"), IMG_ODD),
    c("conv2d_first", lambda L: L.Conv2D(2, 3, data_format="channels_first"), IMG, full=True),
    c("conv2d_groups", lambda L: L.Conv2D(6, 3, groups=3, use_bias=False), IMG, full=True),
    c("conv3d", lambda L: L.Conv3D(3, 2), VOL),
    c("conv3d_same_s2_k2", lambda L: L.Conv3D(2, 2, strides=2, padding="same"), VOL[:, :5]),
    c("conv1d_transpose", lambda L: L.Conv1DTranspose(3, 3, strides=2), SEQ),
    c("conv2d_transpose", lambda L: L.Conv2DTranspose(3, 3, strides=2, padding="same"), IMG),
    c("conv2d_transpose_k4", lambda L: L.Conv2DTranspose(2, 4, strides=2), IMG, full=True),
    c("conv3d_transpose", lambda L: L.Conv3DTranspose(2, 2, strides=2), VOL),
    c("depthwise1d", lambda L: L.DepthwiseConv1D(3, depth_multiplier=2), SEQ),
    c("depthwise2d", lambda L: L.DepthwiseConv2D(3), IMG),
    c("depthwise2d_same_s2", lambda L: L.DepthwiseConv2D(2, strides=2, padding="same"), IMG_ODD),
    c("separable1d", lambda L: L.SeparableConv1D(4, 3), SEQ),
    c("separable2d", lambda L: L.SeparableConv2D(4, 3, depth_multiplier=2), IMG),
    c("separable2d_same_s2", lambda L: L.SeparableConv2D(4, 2, strides=2, padding="same"), IMG_ODD),
    # pooling
    c("maxpool1d", lambda L: L.MaxPooling1D(2), SEQ),
    c("maxpool2d_same", lambda L: L.MaxPooling2D(2, padding="same"), IMG_ODD),
    c("maxpool3d", lambda L: L.MaxPooling3D(2), VOL),
    c("avgpool1d_same", lambda L: L.AveragePooling1D(2, padding="same"), SEQ),
    c("avgpool2d", lambda L: L.AveragePooling2D(3, strides=2), IMG),
    c("avgpool2d_same", lambda L: L.AveragePooling2D(2, padding="same"), IMG_ODD),
    c("avgpool3d", lambda L: L.AveragePooling3D(2), VOL),
    c("gap1d", lambda L: L.GlobalAveragePooling1D(), SEQ),
    c("gap2d_keepdims", lambda L: L.GlobalAveragePooling2D(keepdims=True), IMG),
    c("gap3d", lambda L: L.GlobalAveragePooling3D(), VOL),
    c("gmp1d", lambda L: L.GlobalMaxPooling1D(), SEQ),
    c("gmp2d", lambda L: L.GlobalMaxPooling2D(), IMG),
    c("gmp3d", lambda L: L.GlobalMaxPooling3D(), VOL),
    c("adaptive_avg1d", lambda L: L.AdaptiveAveragePooling1D(3), SEQ),
    c("adaptive_avg2d", lambda L: L.AdaptiveAveragePooling2D(3), IMG_ODD),
    c("adaptive_avg3d", lambda L: L.AdaptiveAveragePooling3D(2), VOL),
    c("adaptive_max1d", lambda L: L.AdaptiveMaxPooling1D(2), SEQ),
    c("adaptive_max2d", lambda L: L.AdaptiveMaxPooling2D(3), IMG_ODD),
    c("adaptive_max3d", lambda L: L.AdaptiveMaxPooling3D(2), VOL),
    # normalization
    c("batchnorm", lambda L: L.BatchNormalization(), IMG),
    c("batchnorm_mom_eps", lambda L: L.BatchNormalization(momentum=0.5, epsilon=0.1), VEC),
    c(
        "batchnorm_axis1_noscale",
        lambda L: L.BatchNormalization(axis=1, scale=False, center=False),
        SEQ,
        full=True,
    ),
    c("layernorm", lambda L: L.LayerNormalization(), SEQ),
    c("layernorm_axes", lambda L: L.LayerNormalization(axis=[1, 2], epsilon=1e-2), SEQ),
    c("groupnorm", lambda L: L.GroupNormalization(groups=2, axis=-1), _f(2, 4, 4, 6)),
    c("unitnorm", lambda L: L.UnitNormalization(), VEC),
    c("rmsnorm", lambda L: L.RMSNormalization(), SEQ),
    # recurrent
    c("simple_rnn", lambda L: L.SimpleRNN(4), SEQ),
    c(
        "simple_rnn_seq_state_back",
        lambda L: L.SimpleRNN(4, return_sequences=True, return_state=True, go_backwards=True),
        SEQ,
    ),
    c("lstm", lambda L: L.LSTM(4), SEQ),
    c("lstm_seq_state", lambda L: L.LSTM(4, return_sequences=True, return_state=True), SEQ),
    c(
        "lstm_back_hardsig",
        lambda L: L.LSTM(3, go_backwards=True, recurrent_activation="hard_sigmoid"),
        SEQ,
    ),
    c("lstm_masked", lambda L: L.LSTM(4, return_sequences=True), SEQ, call={"mask": SEQ_MASK}),
    c(
        "lstm_masked_back",
        lambda L: L.LSTM(4, go_backwards=True),
        SEQ,
        call={"mask": SEQ_MASK},
        full=True,
    ),
    c("gru", lambda L: L.GRU(4), SEQ),
    c("gru_reset_before", lambda L: L.GRU(4, reset_after=False, return_sequences=True), SEQ),
    c(
        "gru_state_back_relu",
        lambda L: L.GRU(
            3, return_state=True, go_backwards=True, activation="relu", recurrent_activation="tanh"
        ),
        SEQ,
    ),
    c("gru_masked", lambda L: L.GRU(4, return_sequences=True), SEQ, call={"mask": SEQ_MASK}),
    c("rnn_lstmcell", lambda L: L.RNN(L.LSTMCell(3)), SEQ),
    c("rnn_grucell", lambda L: L.RNN(L.GRUCell(3), return_sequences=True), SEQ),
    c("rnn_simplecell", lambda L: L.RNN(L.SimpleRNNCell(3)), SEQ),
    c("rnn_stacked", lambda L: L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)])), SEQ),
    c("bidirectional_lstm", lambda L: L.Bidirectional(L.LSTM(3, return_sequences=True)), SEQ),
    c("bidirectional_gru_sum", lambda L: L.Bidirectional(L.GRU(3), merge_mode="sum"), SEQ),
    c("time_distributed", lambda L: L.TimeDistributed(L.Dense(3)), SEQ),
    c(
        "time_distributed_conv",
        lambda L: L.TimeDistributed(L.Conv1D(2, 2)),
        _f(2, 3, 5, 4),
        full=True,
    ),
    # attention
    c("mha", lambda L: L.MultiHeadAttention(2, 3), SEQ, KEYS),
    c(
        "mha_mask",
        lambda L: L.MultiHeadAttention(2, 3, value_dim=2),
        SEQ,
        KEYS,
        call={"attention_mask": ATT_MASK},
    ),
    c(
        "mha_causal",
        lambda L: L.MultiHeadAttention(2, 4, output_shape=5),
        SEQ,
        SEQ2,
        call={"use_causal_mask": True},
    ),
    c("attention", lambda L: L.Attention(), [SEQ, KEYS], as_list=True),
    c(
        "attention_scale_causal",
        lambda L: L.Attention(use_scale=True, score_mode="concat"),
        [SEQ, SEQ2],
        as_list=True,
        call={"use_causal_mask": True},
    ),
    c(
        "attention_masks",
        lambda L: L.Attention(),
        [SEQ, KEYS],
        as_list=True,
        call={"mask": [SEQ_MASK, np.ones((3, 7), bool)]},
    ),
    c("additive_attention", lambda L: L.AdditiveAttention(), [SEQ, KEYS], as_list=True),
    c(
        "additive_attention_noscale",
        lambda L: L.AdditiveAttention(use_scale=False),
        [SEQ, KEYS, KEYS],
        as_list=True,
    ),
    # merging
    c("add", lambda L: L.Add(), [SEQ, SEQ2], as_list=True),
    c("subtract", lambda L: L.Subtract(), [SEQ, SEQ2], as_list=True),
    c("multiply", lambda L: L.Multiply(), [SEQ, SEQ2], as_list=True),
    c("average", lambda L: L.Average(), [SEQ, SEQ2], as_list=True),
    c("maximum", lambda L: L.Maximum(), [SEQ, SEQ2], as_list=True),
    c("minimum", lambda L: L.Minimum(), [SEQ, SEQ2], as_list=True),
    c("concatenate", lambda L: L.Concatenate(axis=1), [SEQ, KEYS], as_list=True),
    c("dot", lambda L: L.Dot(axes=2), [SEQ, KEYS], as_list=True),
    c(
        "dot_normalize",
        lambda L: L.Dot(axes=1, normalize=True),
        [VEC, VEC[::-1].copy()],
        as_list=True,
    ),
    # reshaping
    c("flatten", lambda L: L.Flatten(), IMG),
    c("reshape", lambda L: L.Reshape((2, -1)), SEQ),
    c("permute", lambda L: L.Permute((2, 1)), SEQ),
    c("repeat_vector", lambda L: L.RepeatVector(3), VEC),
    c("cropping1d", lambda L: L.Cropping1D((1, 2)), SEQ),
    c("cropping2d", lambda L: L.Cropping2D(((1, 0), (2, 1))), IMG),
    c("cropping3d", lambda L: L.Cropping3D(1), VOL),
    c("zeropad1d", lambda L: L.ZeroPadding1D(2), SEQ),
    c("zeropad2d", lambda L: L.ZeroPadding2D(((1, 0), (0, 2))), IMG),
    c("zeropad3d", lambda L: L.ZeroPadding3D(1), VOL),
    c("upsampling1d", lambda L: L.UpSampling1D(2), SEQ),
    c("upsampling2d", lambda L: L.UpSampling2D(2), IMG),
    c(
        "upsampling2d_bilinear",
        lambda L: L.UpSampling2D(2, interpolation="bilinear"),
        IMG,
        full=True,
    ),
    c("upsampling3d", lambda L: L.UpSampling3D(2), VOL),
    # regularization / noise (inference; training is random)
    c("dropout", lambda L: L.Dropout(0.5), VEC, train=False),
    c("spatial_dropout1d", lambda L: L.SpatialDropout1D(0.5), SEQ, train=False),
    c("spatial_dropout2d", lambda L: L.SpatialDropout2D(0.5), IMG, train=False),
    c("spatial_dropout3d", lambda L: L.SpatialDropout3D(0.5), VOL, train=False),
    c("gaussian_dropout", lambda L: L.GaussianDropout(0.3), VEC, train=False),
    c("gaussian_noise", lambda L: L.GaussianNoise(0.3), VEC, train=False),
    c("alpha_dropout", lambda L: L.AlphaDropout(0.2, noise_shape=(None, 1, 4)), SEQ, train=False),
    # ReversibleEmbedding: forward lookups, and reverse logits through tied or own weights
    c("reversible_embedding", lambda L: L.ReversibleEmbedding(10, 3, mask_zero=True), IDS),
    c(
        "reversible_embedding_reverse",
        lambda L: L.ReversibleEmbedding(10, 4),
        SEQ,
        call={"reverse": True},
    ),
    c(
        "reversible_embedding_untied_capped",
        lambda L: L.ReversibleEmbedding(10, 4, tie_weights=False, logit_soft_cap=2.0),
        SEQ,
        call={"reverse": True},
    ),
    # preprocessing layers with a deterministic inference path
    c("center_crop", lambda L: L.CenterCrop(4, 5), IMG, full=False),
    c("resizing", lambda L: L.Resizing(4, 6), IMG),
    c("equalization", lambda L: L.Equalization(), PIXELS),
    # CLAHE: whole tiles and a whole-number clip limit, where Keras's torch backend computes
    # the documented algorithm (see the layer's docstring)
    c(
        "clahe",
        lambda L: L.ContrastLimitedAdaptiveHistogramEqualization(
            clip_limit=16.0, tile_grid_size=(2, 2)
        ),
        PIXELS,
    ),
    c(
        "clahe_unclipped_range",
        lambda L: L.ContrastLimitedAdaptiveHistogramEqualization(
            value_range=(0, 1), clip_limit=0.0, tile_grid_size=(4, 2)
        ),
        PIXELS / 255,
    ),
    c("equalization_bins", lambda L: L.Equalization(value_range=(0, 1), bins=16), PIXELS / 255),
    # audio: STFT kernels are weights (Keras's STFT initializer); gradients flow to them
    c("stft_log", lambda L: L.STFTSpectrogram(frame_length=32), SIGNAL),
    c(
        "stft_magnitude_same",
        lambda L: L.STFTSpectrogram(
            mode="magnitude", frame_length=20, frame_step=8, fft_length=32, padding="same"
        ),
        SIGNAL,
    ),
    c(
        "stft_psd_expand",
        lambda L: L.STFTSpectrogram(
            mode="psd", frame_length=16, window="hamming", periodic=True, expand_dims=True
        ),
        SIGNAL,
    ),
    c(
        "stft_stft_spectrum",
        lambda L: L.STFTSpectrogram(mode="stft", frame_length=16, scaling="spectrum"),
        SIGNAL,
    ),
    c(
        "stft_real_first",
        lambda L: L.STFTSpectrogram(mode="real", frame_length=16, data_format="channels_first"),
        SIGNAL_FIRST,
    ),
    c(
        "stft_imag_boxcar",
        lambda L: L.STFTSpectrogram(mode="imag", frame_length=8, window=None),
        SIGNAL,
    ),
    c("mel", lambda L: L.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8), AUDIO),
    c(
        "mel_power_hamming",
        lambda L: L.MelSpectrogram(
            fft_length=64,
            sequence_length=48,
            sequence_stride=32,
            window="hamming",
            num_mel_bins=6,
            power_to_db=False,
            sampling_rate=8000,
            min_freq=60.0,
            max_freq=3000.0,
        ),
        AUDIO,
    ),
]

ACTIVE = [case for case in CASES if FULL or not case.full]

# Layers both libraries have that the table does not build through a Case, and why.
SKIPPED = {
    "Layer": "the base class; every row exercises it",
    "RandomErasing": "random; Keras's drawn transformation applied by both in test_preprocessing_surface.py",
    "RandomElasticTransform": (
        "random; Keras's draw and noise applied by both in test_preprocessing_surface.py"
    ),
    "RandomPerspective": "random; Keras's drawn transformation applied by both in test_preprocessing_surface.py",
    "HashedCrossing": "string/integer hashing (Keras's needs TensorFlow); TF's values in test_preprocessing_surface.py",
    "MaxNumBoundingBoxes": "takes a dict of images and boxes; compared in test_preprocessing_surface.py",
    "Wrapper": "an abstract base (no call); compared through a subclass in test_layers_surface.py",
    "InputSpec": "not a layer; compared with Keras's checks in test_layers_surface.py",
    "ConvLSTM1D": "compared with Keras in test_layers_new.py (outputs, gradients, config)",
    "ConvLSTM2D": "compared with Keras in test_layers_new.py (outputs, gradients, config)",
    "ConvLSTM3D": "as ConvLSTM1D/2D (the same cell code)",
    "EinsumDense": "compared with Keras in test_layers_new.py over its equations",
    "GroupQueryAttention": "compared with Keras in test_layers_new.py",
    "SpectralNormalization": "random power iteration; compared in test_layers_new.py",
    "TorchModuleWrapper": "wraps a user's nn.Module; compared in test_layers_new.py",
    "RandomGaussianBlur": "random augmentation; compared in test_preprocessing.py",
    "RandomSharpness": "random augmentation; compared in test_preprocessing.py",
    "InputLayer": "no computation; covered by every symbolic-shape check (Input)",
    "GRUCell": "covered inside RNN(GRUCell) and GRU rows",
    "LSTMCell": "covered inside RNN(LSTMCell) and LSTM rows",
    "SimpleRNNCell": "covered inside RNN(SimpleRNNCell) and SimpleRNN rows",
    "StackedRNNCells": "covered inside the rnn_stacked row",
    "Normalization": "stateful preprocessing (adapt); compared in test_preprocessing.py",
    "Discretization": "preprocessing (adapt); compared in test_preprocessing.py",
    "CategoryEncoding": "integer preprocessing; compared in test_preprocessing.py",
    "Hashing": "string/integer preprocessing; compared in test_preprocessing.py",
    "IntegerLookup": "vocabulary preprocessing; compared in test_preprocessing.py",
    "StringLookup": "vocabulary preprocessing on strings; compared in test_preprocessing.py",
    "TextVectorization": "string preprocessing; compared in test_preprocessing.py",
    "Pipeline": "container of preprocessing layers, no numerics of its own",
    "AutoContrast": "image preprocessing; compared in test_preprocessing.py",
    "Solarization": "image augmentation with a random path",
    "CutMix": "random augmentation",
    "MixUp": "random augmentation",
    "RandomBrightness": "random augmentation",
    "RandomColorDegeneration": "random augmentation",
    "RandomColorJitter": "random augmentation",
    "RandomContrast": "random augmentation",
    "RandomCrop": "random augmentation",
    "RandomFlip": "random augmentation",
    "RandomGrayscale": "random augmentation",
    "RandomHue": "random augmentation",
    "RandomInvert": "random augmentation",
    "RandomPosterization": "random augmentation",
    "RandomRotation": "random augmentation",
    "RandomSaturation": "random augmentation",
    "RandomShear": "random augmentation",
    "RandomTranslation": "random augmentation",
    "RandomZoom": "random augmentation",
}

# Aliases: same class under another name in both libraries.
ALIASES = {
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D",
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "MaxPool3D": "MaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "Convolution1DTranspose": "Conv1DTranspose",
    "Convolution2DTranspose": "Conv2DTranspose",
    "Convolution3DTranspose": "Conv3DTranspose",
    "SeparableConvolution1D": "SeparableConv1D",
    "SeparableConvolution2D": "SeparableConv2D",
}

# get_config keys whose value differs from Keras on purpose (see docs/differences.md).
CONFIG_DIFFERENCES = {
    "name",
    "dtype",
    "trainable",  # names are unique per library; dtype policy objects
    "quantization_config",  # plait has no quantization
    "input_axes",
    "output_axes",  # Keras 3.15's initializer fan axes: not in plait
    "renorm",
    "renorm_clipping",
    "renorm_momentum",  # batch renormalization: not in plait
    "sliding_window",
    "use_gate",  # Keras 3.15 MultiHeadAttention options: not in plait
}
