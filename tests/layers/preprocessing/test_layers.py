"""Preprocessing layers: the layer contract (harness), config round trips with vocabularies
and adapted state, adapt inputs, symbolic shapes and dtypes, models that train with fit,
and `.plait` saving. Values against Keras are in tests/keras_oracle/test_preprocessing.py
and test_strings.py."""

import json

import numpy as np
import pytest
import torch

import plait
import plait.layers as L
from plait import serialization
from plait.layers.preprocessing.base import RandomPreprocessingLayer
from tests.layers.harness import run_layer_test

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "cls,kwargs,shape,out_shape,dtype,n_weights",
    [
        (
            L.Normalization,
            {"mean": [1.0, 2.0], "variance": [1.0, 4.0]},
            (2,),
            (None, 2),
            torch.float32,
            0,
        ),
        (L.Discretization, {"bin_boundaries": [-1.0, 0.0, 1.0]}, (5,), (None, 5), torch.float32, 0),
        (
            L.Discretization,
            {"bin_boundaries": [0.0], "output_mode": "multi_hot"},
            (5,),
            (None, 2),
            torch.float32,
            0,
        ),
        (L.CategoryEncoding, {"num_tokens": 5}, (3,), (None, 5), torch.int64, 0),
        (
            L.CategoryEncoding,
            {"num_tokens": 5, "output_mode": "one_hot"},
            (1,),
            (None, 5),
            torch.int64,
            0,
        ),
        (L.IntegerLookup, {"vocabulary": [0, 2, 4]}, (3,), (None, 3), torch.int64, 0),
        (
            L.IntegerLookup,
            {"vocabulary": [0, 2, 4], "output_mode": "count"},
            (3,),
            (None, 4),
            torch.int64,
            0,
        ),
        (L.Hashing, {"num_bins": 4}, (3,), (None, 3), torch.int64, 0),
        (L.Resizing, {"height": 3, "width": 4}, (6, 6, 2), (None, 3, 4, 2), torch.float32, 0),
        (L.CenterCrop, {"height": 3, "width": 4}, (6, 6, 2), (None, 3, 4, 2), torch.float32, 0),
        (L.RandomCrop, {"height": 3, "width": 4}, (6, 6, 2), (None, 3, 4, 2), torch.float32, 0),
        (L.RandomFlip, {"seed": 1}, (6, 6, 2), (None, 6, 6, 2), torch.float32, 0),
        (
            L.RandomRotation,
            {"factor": 0.2, "seed": 1},
            (6, 6, 2),
            (None, 6, 6, 2),
            torch.float32,
            0,
        ),
        (L.RandomZoom, {"height_factor": 0.2}, (6, 6, 2), (None, 6, 6, 2), torch.float32, 0),
        (
            L.RandomTranslation,
            {"height_factor": 0.2, "width_factor": 0.1},
            (6, 6, 2),
            (None, 6, 6, 2),
            torch.float32,
            0,
        ),
        (L.RandomContrast, {"factor": 0.2}, (6, 6, 2), (None, 6, 6, 2), torch.float32, 0),
        (L.RandomBrightness, {"factor": 0.2}, (6, 6, 2), (None, 6, 6, 2), torch.float32, 0),
        (L.RandomGrayscale, {"factor": 0.5}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.RandomInvert, {}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.Solarization, {"threshold_factor": 0.5}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.AutoContrast, {}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.RandomPosterization, {"factor": 4}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.RandomShear, {"x_factor": 0.2}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.RandomHue, {"factor": 0.2}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.RandomSaturation, {"factor": 0.2}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.RandomColorDegeneration, {"factor": 0.2}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.RandomGaussianBlur, {"kernel_size": 5}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (L.RandomSharpness, {"factor": 0.3}, (6, 6, 3), (None, 6, 6, 3), torch.float32, 0),
        (
            L.RandomColorJitter,
            {"contrast_factor": 0.2, "hue_factor": 0.1},
            (6, 6, 3),
            (None, 6, 6, 3),
            torch.float32,
            0,
        ),
    ],
)
def test_layer_contract(cls, kwargs, shape, out_shape, dtype, n_weights):
    # augmentations called directly augment (as in Keras): compare them at inference
    random = issubclass(cls, RandomPreprocessingLayer) and cls is not L.AutoContrast
    run_layer_test(
        cls,
        kwargs,
        shape,
        expected_output_shape=out_shape,
        input_dtype=dtype,
        expected_num_weights=n_weights,
        call_kwargs={"training": False} if random else None,
    )


def test_normalization_weights_are_keras_shaped_buffers():
    # (the harness perturbs every weight by 0.5, which the int64 `count` cannot hold)
    layer = L.Normalization(axis=(1, 2))
    layer(plait.Input(shape=(3, 4, 2)))
    assert [tuple(w.shape) for w in layer.get_weights()] == [(3, 4), (3, 4), ()]
    assert sorted(layer.state_dict()) == ["count", "mean", "variance"]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    layer.set_weights([np.full((3, 4), 2.0), np.full((3, 4), 4.0), np.array(7)])
    torch.testing.assert_close(layer(torch.full((1, 3, 4, 2), 4.0)), torch.ones(1, 3, 4, 2))
    again = _round_trip(layer)
    again(plait.Input(shape=(3, 4, 2)))
    again.load_state_dict(layer.state_dict())
    torch.testing.assert_close(again(torch.full((1, 3, 4, 2), 4.0)), torch.ones(1, 3, 4, 2))


def _round_trip(layer):
    blob = json.loads(json.dumps(serialization.serialize(layer)))
    return serialization.deserialize(blob)


def test_adapted_state_round_trips_through_config():
    lookup = L.StringLookup(max_tokens=10, output_mode="tf_idf")
    lookup.adapt([["x", "y", "y"], ["y", "z", "x"]])
    again = _round_trip(lookup)
    assert again.get_vocabulary() == lookup.get_vocabulary()
    data = [["x", "q", "y"]]
    torch.testing.assert_close(again(data), lookup(data))
    text = L.TextVectorization(output_sequence_length=3, ngrams=(1, 2))
    text.adapt(["a b c", "b c d"])
    again = _round_trip(text)
    assert again.get_vocabulary() == text.get_vocabulary()
    torch.testing.assert_close(again(["b c a"]), text(["b c a"]))
    disc = L.Discretization(num_bins=3)
    disc.adapt(RNG.normal(size=(100,)))
    again = _round_trip(disc)
    assert again.bin_boundaries == disc.bin_boundaries and len(disc.bin_boundaries) == 2
    pipeline = L.Pipeline([L.RandomFlip(seed=1), L.Rescaling(1 / 255)])
    again = _round_trip(pipeline)
    assert [type(x).__name__ for x in again.layers] == ["RandomFlip", "Rescaling"]


def test_normalization_adapt_inputs_and_errors():
    data = RNG.normal(2.0, 3.0, size=(64, 3)).astype("float32")
    whole = L.Normalization()
    whole.adapt(data)
    np.testing.assert_allclose(whole.mean.numpy(), data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(whole.variance.numpy(), data.var(0), rtol=1e-5)
    assert int(whole.count) == 64
    for source in (
        torch.as_tensor(data),
        [data[:10], data[10:]],
        (b for b in np.split(data, 4)),
        torch.utils.data.DataLoader(torch.as_tensor(data), batch_size=16),
    ):
        layer = L.Normalization()
        layer.adapt(source)
        np.testing.assert_allclose(layer.mean.numpy(), data.mean(0), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(layer.variance.numpy(), data.var(0), rtol=1e-4, atol=1e-5)
    out = whole(data)
    np.testing.assert_allclose(out.numpy().mean(0), 0, atol=1e-5)
    inverse = L.Normalization(invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(inverse(out).numpy(), data, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        L.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        L.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="axis"):
        L.Normalization(axis=3)(plait.Input(shape=(4,)))
    with pytest.raises(ValueError, match="incompatible"):
        whole.adapt(np.ones((5, 4)))
    with pytest.raises(ValueError, match="empty iterable"):
        L.Normalization().adapt(iter([]))


def test_discretization_and_category_encoding_errors():
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        L.Discretization()
    with pytest.raises(ValueError, match="should not be set"):
        L.Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="Cannot adapt"):
        L.Discretization(bin_boundaries=[0.0]).adapt(np.ones(3))
    with pytest.raises(ValueError, match="num_tokens must be set"):
        L.CategoryEncoding()
    with pytest.raises(ValueError, match="output_mode"):
        L.CategoryEncoding(num_tokens=3, output_mode="int")
    with pytest.raises(ValueError, match="count_weights"):
        L.CategoryEncoding(num_tokens=3)(np.array([[1]]), count_weights=np.array([[1.0]]))


def test_image_layer_argument_errors():
    with pytest.raises(ValueError, match="interpolation"):
        L.Resizing(2, 2, interpolation="area")
    with pytest.raises(ValueError, match="only one of"):
        L.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="mode"):
        L.RandomFlip("diagonal")
    with pytest.raises(NotImplementedError, match="fill_mode"):
        L.RandomRotation(0.1, fill_mode="mirror-ish")
    with pytest.raises(ValueError, match="factor"):
        L.RandomContrast(1.5)
    with pytest.raises(ValueError, match="value_range"):
        L.RandomBrightness(0.1, value_range=3)
    with pytest.raises(ValueError, match="channels-last"):
        L.Resizing(2, 2, data_format="channels_first")


def test_training_flag_reaches_augmentation_inside_a_model():
    inputs = plait.Input(shape=(8, 8, 3))
    x = L.RandomFlip("horizontal", seed=0)(inputs)
    x = L.RandomRotation(0.2, seed=0)(x)
    model = plait.Model(inputs, x)
    images = torch.rand(4, 8, 8, 3)
    torch.testing.assert_close(model(images), images)  # inference: identity
    assert not torch.allclose(model(images, training=True), images)
    torch.testing.assert_close(model.predict(images.numpy(), verbose=0), images.numpy())


def test_image_augmentation_model_fits():
    augment = plait.Sequential(
        [
            L.RandomFlip("horizontal", seed=1),
            L.RandomRotation(0.1, seed=2),
            L.RandomZoom(0.1, seed=3),
        ]
    )
    model = plait.Sequential(
        [
            plait.Input(shape=(8, 8, 1)),
            augment,
            L.Conv2D(4, 3, activation="relu"),
            L.GlobalAveragePooling2D(),
            L.Dense(2, activation="softmax"),
        ]
    )
    x = RNG.uniform(size=(16, 8, 8, 1)).astype("float32")
    y = RNG.integers(0, 2, size=(16,))
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_feature_preprocessing_model_fits_and_saves(tmp_path):
    colors = np.array([["red"], ["green"], ["blue"], ["red"], ["teal"], ["green"]] * 4)
    sizes = np.array([[1], [3], [5], [3], [1], [9]] * 4)
    amount = RNG.normal(size=(24, 1)).astype("float32")
    y = RNG.integers(0, 2, size=(24, 1)).astype("float32")
    color_lookup = L.StringLookup(output_mode="one_hot")
    color_lookup.adapt(colors)
    size_lookup = L.IntegerLookup()
    size_lookup.adapt(sizes)
    norm = L.Normalization()
    norm.adapt(amount)
    c_in = plait.Input(shape=(1,), dtype="string", name="color")
    s_in = plait.Input(shape=(1,), dtype="int64", name="size")
    a_in = plait.Input(shape=(1,), name="amount")
    encoded_size = L.CategoryEncoding(
        num_tokens=size_lookup.vocabulary_size(), output_mode="one_hot"
    )(size_lookup(s_in))
    features = L.Concatenate()([color_lookup(c_in), encoded_size, norm(a_in)])
    out = L.Dense(1, activation="sigmoid")(L.Dense(8, activation="relu")(features))
    model = plait.Model([c_in, s_in, a_in], out)
    assert tuple(features.shape) == (None, color_lookup.vocabulary_size() + 5 + 1)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(
        {"color": colors, "size": sizes, "amount": amount}, y, epochs=2, batch_size=8, verbose=0
    )
    before = model.predict([colors, sizes, amount], verbose=0)
    path = tmp_path / "features.plait"
    model.save(path)
    loaded = plait.models.load_model(path)
    np.testing.assert_allclose(
        loaded.predict([colors, sizes, amount], verbose=0), before, rtol=1e-5, atol=1e-6
    )


def test_text_model_on_strings_fits_saves_and_loads(tmp_path):
    texts = np.array(
        ["good movie", "bad movie", "great film", "awful film", "good fun", "bad acting"] * 3
    )
    labels = np.array([1, 0, 1, 0, 1, 0] * 3)
    vectorize = L.TextVectorization(max_tokens=30, output_sequence_length=4)
    vectorize.adapt(texts)
    inputs = plait.Input(shape=(1,), dtype="string")
    x = vectorize(inputs)
    assert x.shape == (None, 4) and x.dtype == torch.int64
    x = L.GlobalAveragePooling1D()(L.Embedding(30, 8)(x))
    model = plait.Model(inputs, L.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy")
    history = model.fit(texts, labels, epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for data in (texts, texts.reshape(-1, 1), texts.astype(object), texts.astype("S")):
        assert model.predict(data, verbose=0).shape == (18, 1)
    path = tmp_path / "text.plait"
    model.save(path)
    loaded = plait.models.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(texts, verbose=0), model.predict(texts, verbose=0), rtol=1e-6
    )


def test_pipeline_in_a_model_and_in_data():
    pipeline = L.Pipeline([L.Resizing(4, 4), L.RandomFlip(seed=0), L.Rescaling(1 / 255.0)])
    images = np.full((2, 8, 8, 3), 255.0, dtype="float32")
    out = pipeline(images, training=True)
    torch.testing.assert_close(out, torch.ones(2, 4, 4, 3))
    inputs = plait.Input(shape=(8, 8, 3))
    assert pipeline(inputs).shape == (None, 4, 4, 3)


def test_unbatched_images():
    image = torch.rand(6, 5, 3)
    assert L.Resizing(3, 3)(image).shape == (3, 3, 3)
    assert L.RandomRotation(0.3, seed=1)(image, training=True).shape == (6, 5, 3)
    assert L.RandomContrast(0.3, seed=1)(image, training=True).shape == (6, 5, 3)
    assert L.CenterCrop(2, 2)(image).shape == (2, 2, 3)


def test_integer_images_become_float():
    images = torch.randint(0, 255, (2, 4, 4, 3), dtype=torch.uint8)
    out = L.RandomFlip()(images)
    assert out.dtype == torch.float32
    assert L.Resizing(2, 2)(images).dtype == torch.float32


def test_strings_for_a_numeric_input_raise_clearly():
    inputs = plait.Input(shape=(1,))
    model = plait.Model(inputs, L.Dense(1)(inputs))
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match=r"takes numbers .* given strings"):
        model.fit(np.array([["a"], ["b"]]), np.zeros((2, 1)), verbose=0)
    with pytest.raises(TypeError, match="`y` could not be turned into a numeric array"):
        model.fit(np.zeros((2, 1)), np.array(["a", "b"]), verbose=0)
