"""plait's preprocessing layers against Keras 3 (torch backend): same config, same input,
same adapt data -> same outputs (1e-5), same output shapes, same config keys.

Keras's string layers (StringLookup, IntegerLookup, TextVectorization, Hashing) need
TensorFlow, which is not installed here: their expected values are the TensorFlow-computed
ones in Keras's own test files, tabled in tests/layers/preprocessing/test_strings.py.
Random augmentations are compared where Keras's draw is degenerate (a factor range of one
value: the transform is fixed) and on properties otherwise.
"""

import numpy as np
import pytest
import torch

import plait
import plait.layers as L
from tests.keras_oracle.conftest import keras

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, size=(2, 9, 7, 3)).astype("float32")
TABULAR = RNG.normal(3.0, 2.0, size=(16, 4)).astype("float32")

# (class name, config, input, call kwargs)
DETERMINISTIC = [
    (
        "Normalization",
        {"mean": [1.0, 2.0, 3.0, 4.0], "variance": [4.0, 9.0, 1.0, 0.25]},
        TABULAR,
        {},
    ),
    ("Normalization", {"mean": 2.0, "variance": 3.0}, TABULAR, {}),
    (
        "Normalization",
        {"mean": [1.0, 2.0, 3.0, 4.0], "variance": [4.0, 9.0, 1.0, 0.25], "invert": True},
        TABULAR,
        {},
    ),
    ("Normalization", {"axis": None, "mean": 1.5, "variance": 2.0}, IMAGES, {}),
    (
        "Normalization",
        {
            "axis": (1, 2),
            "mean": np.ones((9, 7)).tolist(),
            "variance": (2 * np.ones((9, 7))).tolist(),
        },
        IMAGES,
        {},
    ),
    ("Discretization", {"bin_boundaries": [0.0, 1.0, 2.5, 4.0]}, TABULAR, {}),
    (
        "Discretization",
        {"bin_boundaries": [0.0, 2.0, 4.0], "output_mode": "one_hot"},
        TABULAR[:, :1],
        {},
    ),
    (
        "Discretization",
        {"bin_boundaries": [0.0, 2.0, 4.0], "output_mode": "multi_hot"},
        TABULAR,
        {},
    ),
    ("Discretization", {"bin_boundaries": [0.0, 2.0, 4.0], "output_mode": "count"}, TABULAR, {}),
    (
        "CategoryEncoding",
        {"num_tokens": 6, "output_mode": "multi_hot"},
        np.array([[0, 1, 5], [2, 2, 3]]),
        {},
    ),
    (
        "CategoryEncoding",
        {"num_tokens": 6, "output_mode": "count"},
        np.array([[0, 1, 5, 1], [2, 2, 3, 2]]),
        {},
    ),
    (
        "CategoryEncoding",
        {"num_tokens": 6, "output_mode": "one_hot"},
        np.array([[0], [4], [5]]),
        {},
    ),
    ("CategoryEncoding", {"num_tokens": 6, "output_mode": "one_hot"}, np.array([0, 4, 5]), {}),
    (
        "CategoryEncoding",
        {"num_tokens": 4, "output_mode": "count"},
        np.array([[0, 1], [0, 0], [1, 2], [3, 1]]),
        {"count_weights": np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])},
    ),
    ("Resizing", {"height": 4, "width": 5}, IMAGES, {}),
    ("Resizing", {"height": 12, "width": 10, "interpolation": "nearest"}, IMAGES, {}),
    ("Resizing", {"height": 5, "width": 5, "interpolation": "bicubic"}, IMAGES, {}),
    ("Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True}, IMAGES, {}),
    (
        "Resizing",
        {"height": 4, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 7.0},
        IMAGES,
        {},
    ),
    ("Resizing", {"height": 3, "width": 3, "antialias": True}, IMAGES, {}),
    ("Resizing", {"height": 4, "width": 5}, IMAGES[0], {}),
    ("CenterCrop", {"height": 5, "width": 3}, IMAGES, {}),
    ("CenterCrop", {"height": 12, "width": 12}, IMAGES, {}),
    ("CenterCrop", {"height": 4, "width": 4}, IMAGES[0], {}),
    # random layers with a one-value range are deterministic transforms
    ("RandomRotation", {"factor": (0.25, 0.25)}, IMAGES, {"training": True}),
    (
        "RandomRotation",
        {"factor": (0.1, 0.1), "fill_mode": "constant", "fill_value": 3.0},
        IMAGES,
        {"training": True},
    ),
    ("RandomRotation", {"factor": (-0.07, -0.07), "fill_mode": "wrap"}, IMAGES, {"training": True}),
    (
        "RandomRotation",
        {"factor": (0.13, 0.13), "fill_mode": "nearest", "interpolation": "nearest"},
        IMAGES,
        {"training": True},
    ),
    (
        "RandomRotation",
        {"factor": (0.13, 0.13), "fill_mode": "reflect"},
        IMAGES[0],
        {"training": True},
    ),
    ("RandomZoom", {"height_factor": (-0.3, -0.3)}, IMAGES, {"training": True}),
    (
        "RandomZoom",
        {"height_factor": (0.5, 0.5), "width_factor": (0.2, 0.2), "fill_mode": "constant"},
        IMAGES,
        {"training": True},
    ),
    (
        "RandomTranslation",
        {"height_factor": (0.2, 0.2), "width_factor": (-0.3, -0.3)},
        IMAGES,
        {"training": True},
    ),
    (
        "RandomTranslation",
        {
            "height_factor": (0.1, 0.1),
            "width_factor": (0.25, 0.25),
            "fill_mode": "constant",
            "fill_value": 1.0,
        },
        IMAGES,
        {"training": True},
    ),
    ("RandomContrast", {"factor": (-0.5, 0.5)}, IMAGES, {"training": True}),
    ("RandomBrightness", {"factor": (0.1, 0.1)}, IMAGES, {"training": True}),
    (
        "RandomBrightness",
        {"factor": (0.5, 0.5), "value_range": (0, 1)},
        IMAGES / 255,
        {"training": True},
    ),
    ("RandomGrayscale", {"factor": 1.0}, IMAGES, {"training": True}),
    ("RandomGrayscale", {"factor": 0.0}, IMAGES, {"training": True}),
    ("RandomInvert", {"factor": (1.0, 1.0)}, IMAGES, {"training": True}),
    (
        "RandomInvert",
        {"factor": (1.0, 1.0), "value_range": (0, 1)},
        IMAGES / 255,
        {"training": True},
    ),
    ("Solarization", {}, IMAGES, {"training": True}),
    ("Solarization", {"value_range": (0, 1)}, IMAGES / 255, {"training": True}),
    ("AutoContrast", {}, IMAGES / 2 + 10, {}),
    ("AutoContrast", {"value_range": (0, 1)}, IMAGES / 600, {"training": True}),
    ("RandomPosterization", {"factor": (3, 3)}, IMAGES, {"training": True}),
    (
        "RandomPosterization",
        {"factor": (5, 5), "value_range": (0, 1)},
        IMAGES / 255,
        {"training": True},
    ),
    ("RandomSaturation", {"factor": (0.3, 0.3)}, IMAGES, {"training": True}),
    (
        "RandomSaturation",
        {"factor": (0.8, 0.8), "value_range": (0, 1)},
        IMAGES / 255,
        {"training": True},
    ),
    ("RandomColorDegeneration", {"factor": (0.4, 0.4)}, IMAGES, {"training": True}),
    ("RandomHue", {"factor": (0.0, 0.0)}, IMAGES, {"training": True}),
    ("RandomSharpness", {"factor": (0.9, 0.9)}, IMAGES, {"training": True}),
    (
        "RandomSharpness",
        {"factor": (0.2, 0.2), "value_range": (0, 1)},
        IMAGES / 255,
        {"training": True},
    ),
    ("RandomGaussianBlur", {"factor": (1.0, 1.0), "sigma": (0.7, 0.7)}, IMAGES, {"training": True}),
    (
        "RandomGaussianBlur",
        {"factor": (1.0, 1.0), "sigma": (0.4, 0.4), "kernel_size": 5},
        IMAGES,
        {"training": True},
    ),
    (
        "RandomColorJitter",
        {
            "brightness_factor": (0.1, 0.1),
            "contrast_factor": (-0.2, 0.2),
            "saturation_factor": (0.6, 0.6),
        },
        IMAGES,
        {"training": True},
    ),
]


def _ids(table):
    return [f"{row[0]}-{i}" for i, row in enumerate(table)]


def _keras_value(result):
    if isinstance(result, torch.Tensor):
        return result.detach().cpu().numpy()
    return np.asarray(result)


@pytest.mark.parametrize("name,config,data,kwargs", DETERMINISTIC, ids=_ids(DETERMINISTIC))
def test_same_outputs_as_keras(name, config, data, kwargs):
    expected = _keras_value(getattr(keras.layers, name)(**config)(data, **kwargs))
    got = getattr(L, name)(**config)(data, **kwargs)
    assert isinstance(got, torch.Tensor)
    assert tuple(got.shape) == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-4)


def test_random_hue_is_one_of_keras_two_signed_shifts():
    seen = []
    for seed in range(12):
        out = _keras_value(keras.layers.RandomHue((0.3, 0.3), seed=seed)(IMAGES[:1], training=True))
        if not any(np.allclose(out, s, atol=1e-3) for s in seen):
            seen.append(out)
    assert len(seen) == 2
    for seed in range(4):
        got = L.RandomHue((0.3, 0.3), seed=seed)(IMAGES[:1], training=True).numpy()
        assert any(np.allclose(got, s, rtol=1e-4, atol=1e-3) for s in seen)


def test_random_shear_is_one_of_keras_two_signed_shears():
    config = {"x_factor": (0.3, 0.3), "y_factor": (0.1, 0.1)}
    seen = []
    for seed in range(12):
        out = _keras_value(keras.layers.RandomShear(**config, seed=seed)(IMAGES[:1], training=True))
        if not any(np.allclose(out, s, atol=1e-4) for s in seen):
            seen.append(out)
    assert len(seen) == 2
    for seed in range(4):
        got = L.RandomShear(**config, seed=seed)(IMAGES[:1], training=True).numpy()
        assert any(np.allclose(got, s, rtol=1e-5, atol=1e-3) for s in seen)


INFERENCE_IDENTITY = [
    ("RandomFlip", {}),
    ("RandomRotation", {"factor": 0.2}),
    ("RandomZoom", {"height_factor": 0.2}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}),
    ("RandomContrast", {"factor": 0.5}),
    ("RandomBrightness", {"factor": 0.3}),
    ("RandomGrayscale", {"factor": 1.0}),
    ("RandomInvert", {"factor": (1.0, 1.0)}),
    ("Solarization", {}),
    ("RandomPosterization", {"factor": 3}),
    ("RandomShear", {"x_factor": 0.3}),
    ("RandomHue", {"factor": 0.3}),
    ("RandomSaturation", {"factor": 0.3}),
    ("RandomColorDegeneration", {"factor": 0.3}),
    ("RandomGaussianBlur", {"factor": (1.0, 1.0)}),
    ("RandomSharpness", {"factor": 0.9}),
    ("RandomColorJitter", {"brightness_factor": 0.2, "hue_factor": 0.2}),
]


@pytest.mark.parametrize("name,config", INFERENCE_IDENTITY)
def test_random_layers_are_identity_at_inference_like_keras(name, config):
    expected = _keras_value(getattr(keras.layers, name)(**config)(IMAGES, training=False))
    np.testing.assert_allclose(expected, IMAGES)
    got = getattr(L, name)(**config, seed=3)(IMAGES, training=False)
    np.testing.assert_allclose(got.numpy(), IMAGES)
    assert got.dtype == torch.float32


@pytest.mark.parametrize("name,config", INFERENCE_IDENTITY)
def test_called_directly_layers_augment_as_in_keras(name, config):
    # Keras 3's augmentation layers default to training=True when called directly (a data
    # pipeline); a model passes its own mode (predict: inference).
    keras_out = _keras_value(getattr(keras.layers, name)(**config, seed=5)(IMAGES))
    plait_out = getattr(L, name)(**config, seed=5)(IMAGES).numpy()
    assert not np.allclose(keras_out, IMAGES) and not np.allclose(plait_out, IMAGES)
    inputs = plait.Input(shape=IMAGES.shape[1:])
    model = plait.Model(inputs, getattr(L, name)(**config, seed=5)(inputs))
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), IMAGES)


def test_random_flip_gives_flips_of_each_image():
    layer = L.RandomFlip("horizontal_and_vertical", seed=1)
    out = layer(IMAGES, training=True).numpy()
    for image, result in zip(IMAGES, out):
        candidates = [image, image[:, ::-1], image[::-1], image[::-1, ::-1]]
        assert any(np.allclose(result, c) for c in candidates)
    horizontal = L.RandomFlip("horizontal", seed=2)(IMAGES, training=True).numpy()
    for image, result in zip(IMAGES, horizontal):
        assert np.allclose(result, image) or np.allclose(result, image[:, ::-1])


def test_random_crop_matches_keras_at_inference_and_shapes_in_training():
    # Keras documents inference as "the largest window of the target aspect ratio, resized"
    # (its Resizing with crop_to_aspect_ratio); Keras 3.15's code returns the input
    # unchanged there, so its output shape would not match its own compute_output_shape.
    expected = _keras_value(keras.layers.Resizing(5, 4, crop_to_aspect_ratio=True)(IMAGES))
    got = L.RandomCrop(5, 4)(IMAGES, training=False)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-4)
    crop = L.RandomCrop(5, 4, seed=0)(IMAGES, training=True).numpy()
    assert crop.shape == (2, 5, 4, 3)
    found = any(
        np.allclose(crop, IMAGES[:, i : i + 5, j : j + 4]) for i in range(5) for j in range(4)
    )
    assert found


@pytest.mark.parametrize(
    "name,config",
    [
        ("RandomRotation", {"factor": 0.3}),
        ("RandomZoom", {"height_factor": (-0.4, 0.4)}),
        ("RandomContrast", {"factor": 0.9}),
        ("RandomBrightness", {"factor": 0.5}),
        ("RandomTranslation", {"height_factor": 0.3, "width_factor": 0.3}),
    ],
)
def test_seeded_random_layers_repeat_and_stay_in_range(name, config):
    a = getattr(L, name)(**config, seed=7)(IMAGES, training=True)
    b = getattr(L, name)(**config, seed=7)(IMAGES, training=True)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, torch.as_tensor(IMAGES))
    assert a.shape == IMAGES.shape
    if name in ("RandomContrast", "RandomBrightness"):
        assert float(a.min()) >= 0 and float(a.max()) <= 255


def test_normalization_adapt_matches_keras_weights():
    for axis, data in [(-1, TABULAR), ((1, 2), IMAGES), (None, IMAGES), (2, IMAGES)]:
        k = keras.layers.Normalization(axis=axis)
        k.build(data.shape)
        # Keras's adapt needs TensorFlow here; its arithmetic is NumPy's mean/var over the
        # reduced axes, so that is assigned to Keras's layer as adapt would.
        reduce_axis = tuple(d for d in range(data.ndim) if d not in k._keep_axis)
        k.adapt_mean.assign(np.mean(data, axis=reduce_axis))
        k.adapt_variance.assign(np.var(data, axis=reduce_axis))
        k.finalize_state()
        p = L.Normalization(axis=axis)
        p.adapt(data)
        assert [tuple(w.shape) for w in p.get_weights()] == [tuple(w.shape) for w in k.weights]
        np.testing.assert_allclose(p.get_weights()[0], k.get_weights()[0], rtol=1e-6)
        np.testing.assert_allclose(p(data).numpy(), _keras_value(k(data)), rtol=1e-5, atol=1e-5)


def test_normalization_not_adapted_is_identity_as_in_keras():
    data = TABULAR[:3]
    np.testing.assert_allclose(_keras_value(keras.layers.Normalization()(data)), data)
    np.testing.assert_allclose(L.Normalization()(data).numpy(), data)


@pytest.mark.parametrize(
    "name,config",
    [
        ("Normalization", {"axis": -1, "invert": True}),
        ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}),
        ("CategoryEncoding", {"num_tokens": 4, "output_mode": "count"}),
        ("Resizing", {"height": 4, "width": 5, "interpolation": "nearest"}),
        ("CenterCrop", {"height": 4, "width": 5}),
        ("RandomCrop", {"height": 4, "width": 5}),
        ("RandomFlip", {"mode": "vertical"}),
        ("RandomRotation", {"factor": 0.1}),
        ("RandomZoom", {"height_factor": 0.1}),
        ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.2}),
    ],
)
def test_config_keys_match_keras(name, config):
    k_config = getattr(keras.layers, name)(**config).get_config()
    p_config = getattr(L, name)(**config).get_config()
    missing = set(k_config) - set(p_config) - {"dtype"}
    assert not missing, missing


def _check_mixup(images, labels, out_images, out_labels):
    """Each output is w x_i + (1 - w) x_j with the weights its one-hot label row shows."""
    for i in range(len(images)):
        row = out_labels[i]
        j = int(np.argmax(np.where(np.arange(len(row)) == i, -1, row)))
        w = row[i] if row[i] > 0 else 0.0
        if np.isclose(w, 1.0):
            j = i
        expected = w * images[i] + (1 - w) * images[j]
        np.testing.assert_allclose(out_images[i], expected, rtol=1e-4, atol=1e-2)
        np.testing.assert_allclose(row.sum(), 1.0, rtol=1e-5)


def _check_cutmix(images, out_images, out_labels):
    for i in range(len(images)):
        row = out_labels[i]
        others = [j for j in range(len(row)) if j != i and row[j] > 0]
        sources = [images[i]] + [images[j] for j in others]
        match = np.zeros(out_images[i].shape, dtype=bool)
        for source in sources:
            match |= np.isclose(out_images[i], source)
        assert match.all()
        np.testing.assert_allclose(row.sum(), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name,config", [("MixUp", {"alpha": 0.4}), ("CutMix", {})])
def test_mixing_layers_keep_keras_semantics(name, config):
    images = IMAGES.repeat(3, axis=0)[:6]
    images = images + np.arange(6, dtype="float32").reshape(6, 1, 1, 1)
    labels = np.eye(6, dtype="float32")
    outputs = []
    keras_out = getattr(keras.layers, name)(**config, seed=1)({"images": images, "labels": labels})
    outputs.append({k: _keras_value(v) for k, v in keras_out.items()})
    plait_out = getattr(L, name)(**config, seed=1)({"images": images, "labels": labels})
    outputs.append({k: v.numpy() for k, v in plait_out.items()})
    for out in outputs:  # Keras's and plait's outputs have the same structure
        if name == "MixUp":
            _check_mixup(images, labels, out["images"], out["labels"])
        else:
            _check_cutmix(images, out["images"], out["labels"])
    same = getattr(L, name)(**config, seed=1)({"images": images, "labels": labels})
    torch.testing.assert_close(same["images"], plait_out["images"])
    still = getattr(L, name)(**config)(images, training=False)
    np.testing.assert_allclose(still.numpy(), images)
