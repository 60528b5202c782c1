"""Issue 13's last preprocessing layers against Keras 3 (torch backend).

Random layers (RandomErasing, RandomPerspective): Keras draws a transformation with its own
`get_random_transformation`; both libraries' `transform_images` apply that same draw and
must agree exactly; plait's own draws have Keras's keys, shapes and dtypes. HashedCrossing:
Keras's layer needs TensorFlow (not installed); its expected values are the TF-computed ones
of Keras's hashed_crossing_test.py. Equalization, STFTSpectrogram and MelSpectrogram
outputs and gradients are rows of layer_cases.py; here their inference and error paths.
"""

import numpy as np
import pytest
import torch

import plait
import plait.layers as L
from tests.keras_oracle.conftest import keras

RNG = np.random.default_rng(5)
IMAGES = RNG.uniform(0, 255, size=(4, 9, 7, 3)).astype("float32")


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def _as_torch(transformation):
    return {
        k: v if isinstance(v, torch.Tensor) else torch.as_tensor(np.asarray(v))
        for k, v in transformation.items()
        if k != "input_shape"
    }


RANDOM = [
    ("RandomPerspective", {"scale": 0.4}),
    ("RandomPerspective", {"scale": 0.9, "interpolation": "nearest", "fill_value": 3.0}),
    ("RandomPerspective", {"factor": 0.5, "scale": 0.2}),
    ("RandomErasing", {}),
    ("RandomErasing", {"fill_value": 9.0, "scale": (0.1, 0.5)}),
    ("RandomErasing", {"fill_value": [1.0, 2.0, 3.0], "factor": (1.0, 1.0)}),
    ("RandomErasing", {"value_range": (0, 1), "factor": 0.8}),
]


@pytest.mark.parametrize("name,config", RANDOM, ids=[f"{n}-{i}" for i, (n, _) in enumerate(RANDOM)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_keras_draw_applied_alike(name, config, seed):
    k_layer = getattr(keras.layers, name)(**config, seed=seed)
    p_layer = getattr(L, name)(**config, seed=seed)
    draw = k_layer.get_random_transformation(IMAGES, training=True)
    expected = _np(k_layer.transform_images(torch.tensor(IMAGES), draw))
    got = _np(p_layer.transform_images(torch.tensor(IMAGES), _as_torch(draw)))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)
    ours = p_layer.get_random_transformation(torch.tensor(IMAGES))
    theirs = _as_torch(draw)
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert tuple(ours[key].shape) == tuple(value.shape), key
        assert ours[key].dtype == value.dtype, key


@pytest.mark.parametrize("name,config", RANDOM[::3], ids=["persp", "erase", "erase_range"])
def test_random_layers_identity_at_inference_and_seeded(name, config):
    expected = _np(getattr(keras.layers, name)(**config)(IMAGES, training=False))
    got = getattr(L, name)(**config, seed=4)(IMAGES, training=False)
    np.testing.assert_allclose(_np(got), expected)
    np.testing.assert_allclose(_np(got), IMAGES)
    a = getattr(L, name)(**config, seed=4)(IMAGES)  # called directly: augments, as Keras
    b = getattr(L, name)(**config, seed=4)(IMAGES)
    torch.testing.assert_close(a, b)
    assert a.shape == IMAGES.shape and a.dtype == torch.float32
    single = getattr(L, name)(**config, seed=4)(IMAGES[0])
    assert single.shape == IMAGES[0].shape
    inputs = plait.Input(IMAGES.shape[1:])
    model = plait.Model(inputs, getattr(L, name)(**config, seed=4)(inputs))
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), IMAGES)


def test_random_erasing_fills_one_rectangle_with_the_fill_value():
    out = _np(L.RandomErasing(factor=(1.0, 1.0), fill_value=0.0, seed=7)(IMAGES))
    for image in out:
        rows, cols = np.nonzero((image == 0).all(-1))
        assert len(rows) > 0
        box = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert (box == 0).all()


@pytest.mark.parametrize(
    "name,kwargs,match",
    [
        ("RandomPerspective", {"scale": 1.5}, "scale"),
        ("RandomErasing", {"factor": 2.0}, "factor"),
    ],
)
def test_random_layer_errors_like_keras(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError, match=match):
        getattr(L, name)(**kwargs)
    with pytest.raises(NotImplementedError, match="interpolation"):
        L.RandomPerspective(interpolation="bicubic")


def test_random_erasing_bad_fill_value_raises_when_made():
    # Keras raises this when the layer first runs; plait as soon as it is made
    with pytest.raises(ValueError, match="fill_value"):
        keras.layers.RandomErasing(fill_value=[1.0, 2.0])(IMAGES)
    with pytest.raises(ValueError, match="fill_value"):
        L.RandomErasing(fill_value=[1.0, 2.0])


@pytest.mark.parametrize(
    "name,config",
    [
        ("RandomPerspective", {"scale": 0.5, "factor": 0.3, "fill_value": 1.0}),
        ("RandomErasing", {"scale": (0.1, 0.2), "fill_value": 3.0}),
        ("Equalization", {"bins": 64}),
        ("MelSpectrogram", {"num_mel_bins": 40}),
        ("STFTSpectrogram", {"mode": "psd"}),
        ("MaxNumBoundingBoxes", {"max_number": 4}),
    ],
)
def test_config_keys_and_values_match_keras(name, config):
    k_config = getattr(keras.layers, name)(**config).get_config()
    p_config = getattr(L, name)(**config).get_config()
    for key, value in k_config.items():
        if key in ("name", "dtype", "trainable", "data_format"):
            continue
        assert key in p_config, key
        got = p_config[key]
        if isinstance(value, (tuple, list)):
            assert list(got) == list(value), key
        else:
            assert got == value, key
    clone = getattr(L, name).from_config(p_config)
    assert clone.get_config() == p_config


def test_equalization_identity_when_not_training_like_keras():
    expected = _np(keras.layers.Equalization()(IMAGES, training=False))
    np.testing.assert_allclose(_np(L.Equalization()(IMAGES, training=False)), expected)
    flat = np.full((2, 4, 4, 3), 7.0, "float32")  # one bin: left as it is
    np.testing.assert_allclose(_np(L.Equalization()(flat)), _np(keras.layers.Equalization()(flat)))


def test_mel_spectrogram_symbolic_shape_and_errors():
    audio = plait.Input((4000,))
    out = L.MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=20)(audio)
    concrete = L.MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=20)(
        torch.randn(2, 4000)
    )
    assert out.shape == (None,) + tuple(concrete.shape[1:])
    with pytest.raises(ValueError, match="fft_length"):
        keras.layers.MelSpectrogram(fft_length=256, sequence_length=512)
    with pytest.raises(ValueError, match="fft_length"):
        L.MelSpectrogram(fft_length=256, sequence_length=512)


def test_stft_spectrogram_angle_matches_keras_modulo_2pi_and_errors():
    signal = RNG.normal(size=(2, 64, 1)).astype("float32")
    k = keras.layers.STFTSpectrogram(mode="angle", frame_length=16)
    p = L.STFTSpectrogram(mode="angle", frame_length=16)
    diff = _np(p(torch.tensor(signal))) - _np(k(torch.tensor(signal)))
    np.testing.assert_allclose(np.angle(np.exp(1j * diff)), 0.0, atol=1e-4)
    for kwargs, match in [
        ({"frame_step": 0}, "frame_step"),
        ({"fft_length": 8, "frame_length": 16}, "fft_length"),
        ({"mode": "power"}, "mode"),
        ({"scaling": "l2"}, "Scaling"),
        ({"padding": "causal"}, "Padding"),
    ]:
        with pytest.raises(ValueError, match=match):
            keras.layers.STFTSpectrogram(**kwargs)
        with pytest.raises(ValueError, match=match):
            L.STFTSpectrogram(**kwargs)
    with pytest.raises(TypeError, match="float"):
        L.STFTSpectrogram(frame_length=4)(torch.ones(1, 8, 1, dtype=torch.int64))
    inputs = plait.Input((96, 2))
    layer = L.STFTSpectrogram(frame_length=32, frame_step=16)
    assert layer(inputs).shape == keras.layers.STFTSpectrogram(
        frame_length=32, frame_step=16
    ).compute_output_shape((None, 96, 2))


# TensorFlow's values (Keras's hashed_crossing_test.py)
CROSSINGS = [
    (5, "int", (["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102]), [1, 4, 1, 1, 3]),
    (10, "int", (np.array("A"), np.array(101)), 1),
    (
        5,
        "one_hot",
        (["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102]),
        np.eye(5)[[1, 4, 1, 1, 3]],
    ),
    (
        5,
        "int",
        (
            np.array([["A"], ["B"], ["A"], ["B"], ["A"]]),
            np.array([[101], [101], [101], [102], [102]]),
        ),
        [[1], [4], [1], [1], [3]],
    ),
]


@pytest.mark.parametrize("num_bins,mode,inputs,expected", CROSSINGS)
def test_hashed_crossing_gives_tensorflow_values(num_bins, mode, inputs, expected):
    out = L.HashedCrossing(num_bins, output_mode=mode)(inputs)
    np.testing.assert_array_equal(_np(out), np.asarray(expected))
    assert out.dtype == (torch.int64 if mode == "int" else torch.float32)


def test_hashed_crossing_in_a_model_and_errors():
    colors, sizes = plait.Input((1,), dtype="string"), plait.Input((1,), dtype="int64")
    out = L.HashedCrossing(5, output_mode="one_hot")((colors, sizes))
    assert out.shape == (None, 5)
    model = plait.Model([colors, sizes], out)
    got = model.predict([np.array([["A"], ["B"]]), np.array([[101], [101]])], verbose=0)
    np.testing.assert_array_equal(got, np.eye(5)[[1, 4]])
    ints = L.HashedCrossing(7)((torch.tensor([3, 4]), torch.tensor([5, 6])))
    assert ints.dtype == torch.int64 and ints.shape == (2,)
    with pytest.raises(ValueError, match="list or tuple"):
        L.HashedCrossing(10)(np.array([1]))
    with pytest.raises(ValueError, match="at least two"):
        L.HashedCrossing(10)([np.array([1])])
    with pytest.raises(ValueError, match="should have shape"):
        L.HashedCrossing(10)((np.array([[[1]]]), np.array([[[1]]])))
    with pytest.raises(ValueError, match="equal shape"):
        L.HashedCrossing(10)((np.array([1, 2]), np.array([1])))
    with pytest.raises(ValueError, match="output_mode"):
        L.HashedCrossing(10, output_mode="multi_hot")


@pytest.mark.parametrize("max_number", [2, 5, 8])
def test_max_num_bounding_boxes_matches_keras(max_number):
    boxes = {
        "boxes": RNG.uniform(size=(2, 5, 4)).astype("float32"),
        "labels": np.arange(10, dtype="float32").reshape(2, 5),
    }
    k_out = keras.layers.MaxNumBoundingBoxes(max_number, bounding_box_format="xyxy")(
        {"images": IMAGES[:2], "bounding_boxes": dict(boxes)}
    )
    p_out = L.MaxNumBoundingBoxes(max_number, bounding_box_format="xyxy")(
        {"images": IMAGES[:2], "bounding_boxes": dict(boxes)}
    )
    for key in ("boxes", "labels"):
        np.testing.assert_allclose(
            _np(p_out["bounding_boxes"][key]), _np(k_out["bounding_boxes"][key])
        )
    np.testing.assert_allclose(_np(p_out["images"]), IMAGES[:2])


def test_max_num_bounding_boxes_ragged_and_errors():
    layer = L.MaxNumBoundingBoxes(3, fill_value=-2, bounding_box_format="xyxy")
    ragged = {"boxes": [np.ones((1, 4)), np.ones((4, 4))], "labels": [np.array([7]), np.arange(4)]}
    out = layer({"images": IMAGES[:2], "bounding_boxes": ragged})["bounding_boxes"]
    assert tuple(out["boxes"].shape) == (2, 3, 4)
    assert _np(out["labels"]).tolist() == [[7, -2, -2], [0, 1, 2]]
    np.testing.assert_allclose(_np(layer(IMAGES)), IMAGES)
    with pytest.raises(ValueError, match="bounding box format"):
        keras.layers.MaxNumBoundingBoxes(3)(
            {
                "images": IMAGES[:1],
                "bounding_boxes": {"boxes": np.ones((1, 1, 4)), "labels": np.ones((1, 1))},
            }
        )
    with pytest.raises(ValueError, match="bounding box format"):
        L.MaxNumBoundingBoxes(3)(
            {
                "images": IMAGES[:1],
                "bounding_boxes": {"boxes": np.ones((1, 1, 4)), "labels": np.ones((1, 1))},
            }
        )


ELASTIC = [
    {},
    {"fill_mode": "constant", "fill_value": 5.0},
    {"fill_mode": "wrap", "interpolation": "nearest"},
    {"fill_mode": "mirror"},
    {"fill_mode": "nearest", "factor": 0.5},
    {"scale": (0.8, 1.0), "value_range": (20, 200)},
]


@pytest.mark.parametrize("config", ELASTIC, ids=[str(c) for c in ELASTIC])
def test_random_elastic_transform_applies_keras_draw_alike(config):
    images = RNG.uniform(0, 255, size=(3, 16, 12, 3)).astype("float32")
    k_layer = keras.layers.RandomElasticTransform(**config, seed=4)
    p_layer = L.RandomElasticTransform(**config)
    draw = k_layer.get_random_transformation(images, training=True)
    # three times the drawn distortion, so pixels come from outside the image too
    draw["distortion_factor"] = torch.tensor(3 * float(draw["distortion_factor"]))
    # Keras's torch backend draws its two noise fields from torch's global generator
    torch.manual_seed(11)
    noise = torch.stack([torch.normal(0.0, 1.0, size=(3, 16, 12)) for _ in range(2)])
    torch.manual_seed(11)
    expected = _np(k_layer.transform_images(torch.tensor(images), draw))
    ours = {
        "apply_transform": draw["apply_transform"],
        "distortion_factor": draw["distortion_factor"],
    }
    got = _np(p_layer.transform_images(torch.tensor(images), {**ours, "noise": noise}))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)
    assert np.abs(expected - images).max() > 50  # the distortion is visible


def test_random_elastic_transform_draws_and_errors():
    layer = L.RandomElasticTransform(seed=2)
    a = layer(IMAGES)
    b = L.RandomElasticTransform(seed=2)(IMAGES)
    torch.testing.assert_close(a, b)
    assert a.shape == IMAGES.shape and float(a.min()) >= 0 and float(a.max()) <= 255
    np.testing.assert_allclose(_np(layer(IMAGES, training=False)), IMAGES)
    assert L.RandomElasticTransform(scale=0.0).get_random_transformation(IMAGES) is None
    with pytest.raises(NotImplementedError, match="fill_mode"):
        keras.layers.RandomElasticTransform(fill_mode="clamp")
    with pytest.raises(NotImplementedError, match="fill_mode"):
        L.RandomElasticTransform(fill_mode="clamp")
    with pytest.raises(ValueError, match="scale"):
        L.RandomElasticTransform(scale=2.0)
    k_config = keras.layers.RandomElasticTransform(scale=0.3, fill_mode="wrap").get_config()
    p_config = L.RandomElasticTransform(scale=0.3, fill_mode="wrap").get_config()
    for key in ("factor", "scale", "interpolation", "fill_mode", "fill_value", "value_range"):
        assert list(np.atleast_1d(p_config[key])) == list(np.atleast_1d(k_config[key])), key


CLAHE = [
    ((2, 32, 32, 3), (2, 2), 4.0),
    ((1, 16, 16, 1), (1, 1), 2.0),
    ((2, 32, 48, 2), (2, 3), 1.0),
    ((1, 64, 64, 1), (4, 4), 0.0),
    ((2, 16, 16, 3), (1, 1), -1.0),
]


@pytest.mark.parametrize("shape,grid,clip", CLAHE)
def test_clahe_matches_keras_on_whole_tiles(shape, grid, clip):
    images = RNG.uniform(0, 120, size=shape).astype("float32")
    layer = L.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=clip, tile_grid_size=grid)
    expected = _np(
        keras.layers.ContrastLimitedAdaptiveHistogramEqualization(
            clip_limit=clip, tile_grid_size=grid
        )(images)
    )
    np.testing.assert_allclose(_np(layer(images)), expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(_np(layer(images, training=False)), expected, rtol=1e-5, atol=1e-3)


def test_clahe_pads_partial_tiles_symmetrically():
    # a 7x5 image in a 2x2 grid is padded to 8x6 by mirroring (NumPy's 'symmetric')
    image = RNG.uniform(0, 255, size=(1, 7, 5, 1)).astype("float32")
    padded = np.pad(image, [(0, 0), (0, 1), (0, 1), (0, 0)], mode="symmetric")
    layer = L.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=0.0, tile_grid_size=(2, 2))
    np.testing.assert_allclose(_np(layer(image)), _np(layer(padded))[:, :7, :5], rtol=1e-6)
