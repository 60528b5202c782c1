"""Models for the saving tests: the tutorial's seven, one small model per layer kind, and a
few with nested models, shared layers and dict inputs/outputs.

`LAYER_CASES` rows are `(class name, kwargs, input shape(s), how to call)`; rows whose class
plait does not have (yet) are left out by `layer_cases()`, and `uncovered_layer_classes()`
names every exported layer class that has no row, so a new layer kind cannot skip the
round-trip tests unnoticed.
"""

import inspect

import numpy as np
import torch

import plait
from plait import layers
from plait.layers import Dense, Input
from plait.utils.string_array import StringArray
from plait.models import Model, Sequential
from plait.utils import nest
from tests.models import tutorial_models

TUTORIAL = list(tutorial_models.ALL)

# (class name, constructor kwargs, input shape or list of shapes, call style)
# call style: "one" (layer(x)), "list" (layer([a, b])), "args" (layer(a, b)),
# "int" (layer(x) on int64 input in [0, 10)), "intlist" (layer([a, b]) on int64 inputs).
LAYER_CASES = [
    ("Dense", dict(units=4, activation="relu"), (3,), "one"),
    ("Dense", dict(units=4, use_bias=False), (5, 3), "one"),
    ("Activation", dict(activation="tanh"), (3, 2), "one"),
    ("Conv1D", dict(filters=3, kernel_size=3, padding="causal"), (10, 2), "one"),
    (
        "Conv2D",
        dict(filters=4, kernel_size=3, strides=2, padding="same", activation="relu"),
        (9, 8, 2),
        "one",
    ),
    ("Conv2D", dict(filters=4, kernel_size=3, padding="same", groups=2), (6, 6, 2), "one"),
    ("Conv3D", dict(filters=2, kernel_size=2), (4, 4, 4, 2), "one"),
    # preprocessing layers (plait/layers/preprocessing); "string": Input(dtype="string")
    ("Normalization", dict(mean=[1.0, 2.0], variance=[4.0, 9.0]), (2,), "one"),
    ("Normalization", dict(axis=-1), (3,), "one"),
    ("Discretization", dict(bin_boundaries=[-0.5, 0.0, 0.5]), (4,), "one"),
    ("CategoryEncoding", dict(num_tokens=10, output_mode="count"), (3,), "int"),
    ("Hashing", dict(num_bins=5, salt=7), (3,), "int"),
    ("IntegerLookup", dict(vocabulary=[1, 3, 5], output_mode="multi_hot"), (3,), "int"),
    ("StringLookup", dict(vocabulary=["w1", "w2"], num_oov_indices=2), (2,), "string"),
    ("TextVectorization", dict(vocabulary=["w1", "w2"], output_sequence_length=3), (1,), "string"),
    ("Resizing", dict(height=3, width=5, interpolation="bicubic"), (6, 6, 2), "one"),
    ("CenterCrop", dict(height=3, width=4), (6, 6, 2), "one"),
    ("RandomCrop", dict(height=3, width=4, seed=1), (6, 6, 2), "one"),
    ("RandomFlip", dict(mode="horizontal", seed=1), (6, 6, 2), "one"),
    ("RandomRotation", dict(factor=0.2, fill_mode="constant"), (6, 6, 2), "one"),
    ("RandomZoom", dict(height_factor=0.2, width_factor=(0.1, 0.3)), (6, 6, 2), "one"),
    ("RandomTranslation", dict(height_factor=0.2, width_factor=0.1), (6, 6, 2), "one"),
    ("RandomShear", dict(x_factor=0.2, y_factor=(0.1, 0.2)), (6, 6, 2), "one"),
    ("RandomContrast", dict(factor=0.3), (6, 6, 3), "one"),
    ("RandomBrightness", dict(factor=0.3, value_range=(0, 1)), (6, 6, 3), "one"),
    ("RandomGrayscale", dict(factor=0.3), (6, 6, 3), "one"),
    ("RandomInvert", dict(factor=0.3), (6, 6, 3), "one"),
    ("Solarization", dict(addition_factor=0.1, threshold_factor=0.5), (6, 6, 3), "one"),
    ("AutoContrast", dict(value_range=(0, 1)), (6, 6, 3), "one"),
    ("RandomPosterization", dict(factor=4), (6, 6, 3), "one"),
    ("RandomHue", dict(factor=0.3), (6, 6, 3), "one"),
    ("RandomSaturation", dict(factor=0.3), (6, 6, 3), "one"),
    ("RandomColorDegeneration", dict(factor=0.3), (6, 6, 3), "one"),
    ("RandomColorJitter", dict(brightness_factor=0.1, hue_factor=0.2), (6, 6, 3), "one"),
    ("RandomGaussianBlur", dict(kernel_size=5, sigma=0.5), (6, 6, 3), "one"),
    ("RandomSharpness", dict(factor=0.3), (6, 6, 3), "one"),
    ("MixUp", dict(alpha=0.3), (6, 6, 3), "one"),
    ("CutMix", dict(factor=0.5), (6, 6, 3), "one"),
    (
        "Pipeline",
        dict(layers=lambda: [layers.RandomFlip(), layers.Resizing(3, 3)]),
        (6, 6, 3),
        "one",
    ),
    ("MaxPooling1D", dict(pool_size=2), (8, 3), "one"),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (8, 7, 3), "one"),
    ("MaxPooling3D", dict(pool_size=2), (4, 4, 4, 2), "one"),
    ("AveragePooling1D", dict(pool_size=2, padding="same"), (7, 3), "one"),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (8, 7, 3), "one"),
    ("AveragePooling3D", dict(pool_size=2), (4, 4, 4, 2), "one"),
    ("Flatten", {}, (4, 5, 3), "one"),
    ("Concatenate", dict(axis=-1), [(3, 4), (3, 2)], "list"),
    ("LSTM", dict(units=5), (7, 3), "one"),
    ("LSTM", dict(units=5, return_sequences=True, go_backwards=True), (7, 3), "one"),
    ("LSTM", dict(units=5, return_state=True), (7, 3), "one"),
    ("LSTM", dict(units=4, activation="relu", recurrent_activation="hard_sigmoid"), (6, 2), "one"),
    ("TimeDistributed", dict(layer=lambda: Dense(2)), (5, 3), "one"),
    # The layer library (built as it lands).
    ("Embedding", dict(input_dim=10, output_dim=4), (6,), "int"),
    ("Identity", {}, (3,), "one"),
    ("Rescaling", dict(scale=0.5, offset=1.0), (3,), "one"),
    ("Masking", dict(mask_value=0.0), (5, 3), "one"),
    ("Dropout", dict(rate=0.5), (3,), "one"),
    ("SpatialDropout1D", dict(rate=0.5), (4, 3), "one"),
    ("SpatialDropout2D", dict(rate=0.5), (4, 4, 3), "one"),
    ("SpatialDropout3D", dict(rate=0.5), (3, 3, 3, 2), "one"),
    ("GaussianNoise", dict(stddev=0.1), (3,), "one"),
    ("GaussianDropout", dict(rate=0.1), (3,), "one"),
    ("ActivityRegularization", dict(l1=0.01), (3,), "one"),
    ("Reshape", dict(target_shape=(4, 3)), (12,), "one"),
    ("Permute", dict(dims=(2, 1)), (3, 4), "one"),
    ("RepeatVector", dict(n=3), (4,), "one"),
    ("ZeroPadding1D", dict(padding=1), (4, 3), "one"),
    ("ZeroPadding2D", dict(padding=1), (4, 4, 3), "one"),
    ("Cropping1D", dict(cropping=1), (5, 3), "one"),
    ("Cropping2D", dict(cropping=1), (5, 5, 3), "one"),
    ("UpSampling1D", dict(size=2), (4, 3), "one"),
    ("UpSampling2D", dict(size=2), (4, 4, 3), "one"),
    ("Add", {}, [(3, 4), (3, 4)], "list"),
    ("Subtract", {}, [(3, 4), (3, 4)], "list"),
    ("Multiply", {}, [(3, 4), (3, 4)], "list"),
    ("Average", {}, [(3, 4), (3, 4)], "list"),
    ("Maximum", {}, [(3, 4), (3, 4)], "list"),
    ("Minimum", {}, [(3, 4), (3, 4)], "list"),
    ("Dot", dict(axes=1), [(4,), (4,)], "list"),
    ("SimpleRNN", dict(units=4), (5, 3), "one"),
    ("GRU", dict(units=4), (5, 3), "one"),
    ("Bidirectional", dict(layer=lambda: layers.LSTM(3, return_sequences=True)), (5, 2), "one"),
    (
        "GRU",
        dict(units=3, reset_after=False, return_sequences=True, return_state=True),
        (5, 2),
        "one",
    ),
    (
        "Bidirectional",
        dict(layer=lambda: layers.GRU(3, return_state=True), merge_mode=None),
        (5, 2),
        "one",
    ),
    ("BatchNormalization", {}, (4, 3), "one"),
    ("LayerNormalization", {}, (4, 3), "one"),
    ("GroupNormalization", dict(groups=2), (4, 4), "one"),
    ("UnitNormalization", {}, (4, 3), "one"),
    ("ReLU", dict(max_value=1.0), (3,), "one"),
    ("LeakyReLU", {}, (3,), "one"),
    ("PReLU", {}, (3,), "one"),
    ("ELU", {}, (3,), "one"),
    ("Softmax", {}, (3,), "one"),
    ("MultiHeadAttention", dict(num_heads=2, key_dim=4), [(5, 6), (7, 6)], "args"),
    ("Attention", {}, [(5, 4), (6, 4)], "list"),
    ("AdditiveAttention", {}, [(5, 4), (6, 4)], "list"),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2), (5, 2), "one"),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2), (4, 4, 2), "one"),
    ("SeparableConv1D", dict(filters=3, kernel_size=3), (6, 2), "one"),
    ("SeparableConv2D", dict(filters=3, kernel_size=3), (6, 6, 2), "one"),
    ("DepthwiseConv2D", dict(kernel_size=3), (6, 6, 2), "one"),
    ("DepthwiseConv1D", dict(kernel_size=3), (6, 2), "one"),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), (3, 3, 3, 2), "one"),
    ("ZeroPadding3D", dict(padding=1), (3, 3, 3, 2), "one"),
    ("Cropping3D", dict(cropping=1), (4, 4, 4, 2), "one"),
    ("UpSampling3D", dict(size=2), (2, 2, 2, 3), "one"),
    ("GlobalMaxPooling1D", {}, (5, 3), "one"),
    ("GlobalMaxPooling2D", {}, (4, 4, 3), "one"),
    ("GlobalMaxPooling3D", {}, (3, 3, 3, 2), "one"),
    ("GlobalAveragePooling1D", {}, (5, 3), "one"),
    ("GlobalAveragePooling2D", {}, (4, 4, 3), "one"),
    ("GlobalAveragePooling3D", {}, (3, 3, 3, 2), "one"),
    ("RNN", dict(cell=lambda: layers.LSTMCell(4)), (5, 3), "one"),
    ("RNN", dict(cell=lambda: layers.GRUCell(3), return_sequences=True), (5, 3), "one"),
    (
        "RNN",
        dict(cell=lambda: layers.StackedRNNCells([layers.SimpleRNNCell(4), layers.LSTMCell(2)])),
        (5, 3),
        "one",
    ),
    ("RNN", dict(cell=lambda: layers.SimpleRNNCell(4), return_state=True), (5, 3), "one"),
    ("AdaptiveAveragePooling1D", dict(output_size=2), (6, 3), "one"),
    ("AdaptiveAveragePooling2D", dict(output_size=(2, 3)), (6, 7, 2), "one"),
    ("AdaptiveAveragePooling3D", dict(output_size=2), (4, 4, 4, 2), "one"),
    ("AdaptiveMaxPooling1D", dict(output_size=3), (6, 3), "one"),
    ("AdaptiveMaxPooling2D", dict(output_size=2), (6, 7, 2), "one"),
    ("AdaptiveMaxPooling3D", dict(output_size=(1, 2, 2)), (4, 4, 4, 2), "one"),
    ("RMSNormalization", dict(epsilon=1e-5), (4, 3), "one"),
    (
        "EinsumDense",
        dict(equation="abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de"),
        (5, 4),
        "one",
    ),
    (
        "GroupedQueryAttention",
        dict(head_dim=4, num_query_heads=4, num_key_value_heads=2),
        [(5, 6), (7, 6)],
        "args",
    ),
    ("SpectralNormalization", dict(layer=lambda: layers.Dense(3)), (4,), "one"),
    ("ConvLSTM1D", dict(filters=2, kernel_size=2), (3, 5, 2), "one"),
    (
        "ConvLSTM2D",
        dict(filters=2, kernel_size=2, padding="same", return_sequences=True),
        (3, 4, 4, 1),
        "one",
    ),
    ("ConvLSTM3D", dict(filters=2, kernel_size=2), (2, 3, 3, 3, 1), "one"),
    ("ConvLSTM1D", dict(filters=2, kernel_size=2, dropout=0.2, seed=3), (3, 5, 2), "one"),
    ("AlphaDropout", dict(rate=0.2, seed=1), (3,), "one"),
    ("ReversibleEmbedding", dict(input_dim=10, output_dim=4, tie_weights=False), (6,), "int"),
    ("Equalization", dict(bins=64), (6, 6, 3), "one"),
    (
        "ContrastLimitedAdaptiveHistogramEqualization",
        dict(clip_limit=2.0, tile_grid_size=(2, 3)),
        (6, 6, 3),
        "one",
    ),
    ("RandomErasing", dict(scale=(0.1, 0.3), seed=1), (6, 6, 3), "one"),
    ("RandomPerspective", dict(scale=0.3, seed=1), (6, 6, 3), "one"),
    ("RandomElasticTransform", dict(scale=0.5, fill_mode="wrap", seed=1), (8, 8, 3), "one"),
    ("MaxNumBoundingBoxes", dict(max_number=3, bounding_box_format="xyxy"), (6, 6, 3), "one"),
    ("MelSpectrogram", dict(fft_length=32, sequence_stride=8, num_mel_bins=4), (64,), "one"),
    ("STFTSpectrogram", dict(frame_length=8, mode="magnitude"), (32, 2), "one"),
    ("HashedCrossing", dict(num_bins=7, output_mode="one_hot"), [(1,), (1,)], "intlist"),
]

# Layer classes that are not layer kinds of their own (aliases are found by identity).
_NOT_KINDS = {
    "Layer",
    "InputLayer",
    "Wrapper",  # an abstract base (no call); its subclasses are the kinds
    # cells: saved inside the RNN rows above
    "GRUCell",
    "LSTMCell",
    "SimpleRNNCell",
    "StackedRNNCells",
}
# Classes whose config would be code: Lambda loads only with safe_mode=False and a
# TorchModule's model saves weights but refuses a config (each tested on its own).
CODE_LAYERS = {"Lambda", "TorchModule", "TorchModuleWrapper"}
# Classes made by writing operations on symbolic tensors (covered by torch_ops below).
_MADE_BY_OPS = {"TorchOp"}


def layer_cases():
    """The rows of LAYER_CASES whose class plait has, as pytest params."""
    return [row for row in LAYER_CASES if getattr(layers, row[0], None) is not None]


def case_id(row):
    return f"{row[0]}-{LAYER_CASES.index(row)}"


def uncovered_layer_classes():
    covered = {row[0] for row in LAYER_CASES} | _NOT_KINDS | CODE_LAYERS | _MADE_BY_OPS
    exported = {
        cls
        for name, cls in vars(layers).items()
        if inspect.isclass(cls) and issubclass(cls, layers.Layer)
    }
    return sorted(cls.__name__ for cls in exported if cls.__name__ not in covered)


def model_for_case(row):
    """A functional model around one layer built from a LAYER_CASES row."""
    name, kwargs, shape, style = row
    cls = getattr(layers, name)
    kwargs = {k: v() if callable(v) and not isinstance(v, type) else v for k, v in kwargs.items()}
    layer = cls(**kwargs)
    if style == "int":
        inputs = Input(shape=shape, dtype="int64")
        outputs = layer(inputs)
    elif style == "one":
        inputs = Input(shape=shape)
        outputs = layer(inputs)
    elif style == "string":
        inputs = Input(shape=shape, dtype="string")
        outputs = layer(inputs)
    elif style == "intlist":
        inputs = [Input(shape=s, dtype="int64") for s in shape]
        outputs = layer(inputs)
    else:
        inputs = [Input(shape=s) for s in shape]
        outputs = layer(inputs) if style == "list" else layer(*inputs)
    return Model(inputs, outputs)


def nested_and_shared():
    """A model holding a nested model, a layer shared by two branches, and two outputs."""
    inner_in = Input(shape=(4,), name="inner_in")
    inner = Model(
        inner_in, Dense(3, activation="tanh", name="inner_dense")(inner_in), name="encoder"
    )
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    shared = Dense(4, name="shared")
    ea, eb = inner(shared(a)), inner(shared(b))
    merged = layers.concatenate([ea, eb])
    return Model([a, b], [Dense(1, name="head")(merged), Dense(2, name="aux")(ea)], name="siamese")


def dict_io():
    """A model whose inputs and outputs are dicts keyed by name."""
    x, y = Input(shape=(3,), name="x"), Input(shape=(2,), name="y")
    merged = layers.concatenate([Dense(4)(x), y])
    return Model({"x": x, "y": y}, {"score": Dense(1)(merged), "code": Dense(2)(merged)})


def sequential():
    return Sequential(
        [Dense(8, activation="relu", input_shape=(5,)), Dense(3), layers.Activation("softmax")],
        name="stack",
    )


def torch_ops():
    """Torch operators, functions, methods, indexing and a tensor constant in the graph."""
    x = Input(shape=(4, 6), name="x")
    h = Dense(6)(x)
    y = torch.cat([h[:, 0], torch.nn.functional.gelu(h).mean(dim=1)], dim=-1) * 2 - 1
    y = y.reshape(-1, 3, 4).transpose(1, 2) @ torch.ones(3, 2)
    return Model(x, Dense(1)(y.flatten(1)), name="ops")


STRUCTURES = [nested_and_shared, dict_io, sequential, torch_ops]


# ---------------------------------------------------------------------------- data helpers


def sample_inputs(model, batch=3, seed=0):
    """Random inputs for `model` in its input structure (torch tensors)."""
    model._ensure_graph()  # a Sequential compiles its graph on first use
    gen = torch.Generator().manual_seed(seed)
    flat = []
    for shape, dtype in zip(model._input_shapes, model._input_dtypes):
        full = tuple(batch if i == 0 else (5 if d is None else d) for i, d in enumerate(shape))
        if dtype == "string":  # text for the string preprocessing layers
            words = np.array(["w0", "w1", "w2 w1", "w3 w2 w1"], dtype=object)
            picks = torch.randint(0, 4, full, generator=gen).numpy()
            flat.append(StringArray(words[picks]))
        elif dtype.is_floating_point:
            flat.append(torch.randn(full, generator=gen, dtype=dtype))
        else:
            flat.append(torch.randint(0, 10, full, generator=gen, dtype=dtype))
    device = next(model.parameters(), torch.empty(0)).device  # CUDA when plait builds there
    flat = [t.to(device) for t in flat]
    if model._input_structure == "dict":
        return dict(zip(model.input_names, flat))
    if model._input_structure == "single":
        return flat[0]
    return flat


def flat_inputs(model, inputs):
    if isinstance(inputs, dict):
        return [inputs[name] for name in model.input_names]
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


def outputs_of(model, inputs):
    """The model's outputs on `inputs`, flat, as numpy arrays (inference mode)."""
    model.eval()
    with torch.no_grad():
        out = model(inputs)
    return [t.detach().cpu().numpy() for t in nest.flatten(out)]


def perturb(model, seed=1):
    """Set every weight to new random values (positive where Keras needs it, e.g. moving
    variances), so a round trip that forgot the weights cannot pass by chance."""
    rng = np.random.default_rng(seed)
    values = [
        w + rng.uniform(0.05, 0.25, size=w.shape).astype(w.dtype)
        if np.issubdtype(w.dtype, np.floating)
        else w
        for w in model.get_weights()
    ]
    model.set_weights(values)


def summary_lines(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def reset():
    plait.backend.clear_session()
