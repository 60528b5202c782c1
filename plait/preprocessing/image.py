"""Keras 2's `keras.preprocessing.image`: the image helpers (`load_img`, `img_to_array`,
`array_to_img`, `save_img`, `smart_resize`) and `ImageDataGenerator` with `flow` (batches
of randomly transformed images from arrays, a PyDataset `fit` takes) and
`flow_from_directory`.

Random draws come from numpy's global generator in Keras 2's order, and the geometric
transforms use scipy's `affine_transform` as Keras 2 does.
"""

import math
import warnings

import numpy as np

from plait.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from plait.preprocessing.image_iterators import DirectoryIterator, NumpyArrayIterator


__all__ = [
    "load_img",
    "img_to_array",
    "array_to_img",
    "save_img",
    "smart_resize",
    "ImageDataGenerator",
    "NumpyArrayIterator",
    "DirectoryIterator",
    "apply_affine_transform",
    "flip_axis",
]


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resize an image (or batch) to `size` = (height, width) without distorting it: crop
    the largest centred window of the target aspect ratio, then resize."""
    import torch

    array = torch.as_tensor(np.asarray(x, dtype="float32"))
    batched = array.dim() == 4
    images = array if batched else array[None]
    if data_format == "channels_last":
        images = images.permute(0, 3, 1, 2)
    height, width = images.shape[-2:]
    target_h, target_w = size
    crop_h = min(height, int(width * target_h / target_w))
    crop_w = min(width, int(height * target_w / target_h))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    images = images[..., top : top + crop_h, left : left + crop_w]
    mode = {"nearest": "nearest-exact"}.get(interpolation, interpolation)
    images = torch.nn.functional.interpolate(images, size=tuple(size), mode=mode)
    if data_format == "channels_last":
        images = images.permute(0, 2, 3, 1)
    return (images if batched else images[0]).numpy()


def flip_axis(x, axis):
    """`x` reversed along `axis`."""
    return np.flip(np.asarray(x), axis)


def _offset_center(matrix, height, width):
    oy, ox = height / 2 - 0.5, width / 2 - 0.5
    to_center = np.array([[1, 0, oy], [0, 1, ox], [0, 0, 1]])
    back = np.array([[1, 0, -oy], [0, 1, -ox], [0, 0, 1]])
    return to_center @ matrix @ back


def apply_affine_transform(
    x,
    theta=0,
    tx=0,
    ty=0,
    shear=0,
    zx=1,
    zy=1,
    row_axis=0,
    col_axis=1,
    channel_axis=2,
    fill_mode="nearest",
    cval=0.0,
    order=1,
):
    """Rotate (degrees), shift (rows `tx`, columns `ty`), shear (degrees) and zoom one
    image about its centre, as Keras 2 does; pixels from outside follow `fill_mode`
    ("constant", "nearest", "reflect" or "wrap")."""
    from scipy import ndimage

    if x.ndim != 3:
        raise ValueError(f"Input arrays must be multi-channel 2D images. Received: shape {x.shape}")
    parts = []
    if theta:
        t = np.deg2rad(theta)
        parts.append(np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]]))
    if tx or ty:
        parts.append(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear:
        s = np.deg2rad(shear)
        parts.append(np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        parts.append(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if not parts:
        return x
    matrix = parts[0]
    for part in parts[1:]:
        matrix = matrix @ part
    matrix = _offset_center(matrix, x.shape[row_axis], x.shape[col_axis])
    channels = np.moveaxis(x, channel_axis, 0)
    if col_axis > row_axis:  # the matrix is written with x (columns) first: swap to (row, col)
        matrix[:, [0, 1]] = matrix[:, [1, 0]]
        matrix[[0, 1]] = matrix[[1, 0]]
    out = [
        ndimage.affine_transform(
            c, matrix[:2, :2], matrix[:2, 2], order=order, mode=fill_mode, cval=cval
        )
        for c in channels
    ]
    return np.moveaxis(np.stack(out), 0, channel_axis)


class ImageDataGenerator:
    """Real-time image augmentation (Keras 2's `ImageDataGenerator`).

    Args (all default off): featurewise_center, samplewise_center,
        featurewise_std_normalization, samplewise_std_normalization, zca_whitening,
        zca_epsilon (1e-6), rotation_range (degrees), width_shift_range /
        height_shift_range (a fraction of the size when < 1, else pixels; or a list of
        choices), brightness_range ((low, high)), shear_range (degrees), zoom_range (a
        float z for [1-z, 1+z], or (low, high)), channel_shift_range, fill_mode
        ("nearest"), cval (0.0), horizontal_flip, vertical_flip, rescale (a factor applied
        after the other transforms), preprocessing_function (applied first),
        data_format ("channels_last"), validation_split (for `subset=`), interpolation_order
        (1), dtype ("float32").

    Example:
        >>> import numpy as np
        >>> x_train = np.random.rand(64, 8, 8, 3).astype("float32")
        >>> y_train = np.random.randint(0, 2, size=(64, 1))
        >>> gen = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True,
        ...                          width_shift_range=0.1)
        >>> batches = gen.flow(x_train, y_train, batch_size=32)  # model.fit(batches, ...)
        >>> len(batches), batches[0][0].shape
        (2, (32, 8, 8, 3))
    """

    def __init__(
        self,
        featurewise_center=False,
        samplewise_center=False,
        featurewise_std_normalization=False,
        samplewise_std_normalization=False,
        zca_whitening=False,
        zca_epsilon=1e-6,
        rotation_range=0,
        width_shift_range=0.0,
        height_shift_range=0.0,
        brightness_range=None,
        shear_range=0.0,
        zoom_range=0.0,
        channel_shift_range=0.0,
        fill_mode="nearest",
        cval=0.0,
        horizontal_flip=False,
        vertical_flip=False,
        rescale=None,
        preprocessing_function=None,
        data_format=None,
        validation_split=0.0,
        interpolation_order=1,
        dtype=None,
    ):
        if zca_whitening and not featurewise_center:
            warnings.warn(
                "This ImageDataGenerator specifies `zca_whitening`, which "
                "overrides setting of `featurewise_center`.",
                stacklevel=2,
            )
        if zca_whitening and featurewise_std_normalization:
            warnings.warn(
                "This ImageDataGenerator specifies `zca_whitening` which "
                "overrides setting of`featurewise_std_normalization`.",
                stacklevel=2,
            )
        self.featurewise_center = featurewise_center or zca_whitening
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization and not zca_whitening
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening, self.zca_epsilon = zca_whitening, zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.shear_range, self.channel_shift_range = shear_range, channel_shift_range
        self.fill_mode, self.cval = fill_mode, cval
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.interpolation_order = interpolation_order
        self.dtype = dtype or "float32"
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                '`data_format` should be "channels_last" (channel after row '
                'and column) or "channels_first" (channel before row and '
                f"column). Received: {data_format}"
            )
        if fill_mode not in ("constant", "nearest", "reflect", "wrap"):
            raise ValueError(
                "`fill_mode` must be one of 'constant', 'nearest', 'reflect', "
                f"'wrap'. Received: fill_mode={fill_mode!r}"
            )
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(
                f"`validation_split` must be strictly between 0 and 1. Received: {validation_split}"
            )
        self._validation_split = validation_split
        first = self.data_format == "channels_first"
        self.channel_axis, self.row_axis, self.col_axis = (1, 2, 3) if first else (3, 1, 2)
        if np.isscalar(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2:
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(
                "`zoom_range` should be a float or a tuple or list of two "
                f"floats. Received: {zoom_range}"
            )
        if brightness_range is not None and len(brightness_range) != 2:
            raise ValueError(
                "`brightness_range should be tuple or list of two floats. "
                f"Received: {brightness_range}"
            )
        self.brightness_range = brightness_range
        self.mean = self.std = self.zca_whitening_matrix = None

    def flow(
        self,
        x,
        y=None,
        batch_size=32,
        shuffle=True,
        sample_weight=None,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        ignore_class_split=False,
        subset=None,
        **kwargs,
    ):
        """Batches of augmented images from the arrays `x` (and labels `y`): a PyDataset
        (`fit` takes it; `next(it)` gives one batch). `**kwargs` are PyDataset's."""
        return NumpyArrayIterator(
            x,
            y,
            self,
            batch_size,
            shuffle,
            sample_weight,
            seed,
            save_to_dir,
            save_prefix,
            save_format,
            subset,
            **kwargs,
        )

    def flow_from_directory(
        self,
        directory,
        target_size=(256, 256),
        color_mode="rgb",
        classes=None,
        class_mode="categorical",
        batch_size=32,
        shuffle=True,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        follow_links=False,
        subset=None,
        interpolation="nearest",
        keep_aspect_ratio=False,
        **kwargs,
    ):
        """Batches of augmented images read from a folder with one sub-folder per class."""
        return DirectoryIterator(
            directory,
            self,
            target_size,
            color_mode,
            classes,
            class_mode,
            batch_size,
            shuffle,
            seed,
            save_to_dir,
            save_prefix,
            save_format,
            follow_links,
            subset,
            interpolation,
            keep_aspect_ratio,
            **kwargs,
        )

    def standardize(self, x):
        """Apply the normalizations (in place where possible) to an image or batch."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        for flag, value, what in (
            (self.featurewise_center, self.mean, "featurewise_center"),
            (self.featurewise_std_normalization, self.std, "featurewise_std_normalization"),
            (self.zca_whitening, self.zca_whitening_matrix, "zca_whitening"),
        ):
            if flag and value is None:
                warnings.warn(
                    f"This ImageDataGenerator specifies `{what}`, but it hasn't "
                    "been fit on any training data. Fit it first by calling "
                    "`.fit(numpy_data)`.",
                    stacklevel=2,
                )
        if self.featurewise_center and self.mean is not None:
            x -= self.mean
        if self.featurewise_std_normalization and self.std is not None:
            x /= self.std + 1e-6
        if self.zca_whitening and self.zca_whitening_matrix is not None:
            flat = x.reshape(-1, math.prod(x.shape[-3:]))
            x = (flat @ self.zca_whitening_matrix).reshape(x.shape)
        return x

    def get_random_transform(self, img_shape, seed=None):
        """Draw the random parameters for one image (numpy's global generator)."""
        if seed is not None:
            np.random.seed(seed)
        rows, cols = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        theta = (
            np.random.uniform(-self.rotation_range, self.rotation_range)
            if self.rotation_range
            else 0
        )
        tx = self._shift(self.height_shift_range, rows)
        ty = self._shift(self.width_shift_range, cols)
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx = zy = 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_h = (np.random.random() < 0.5) * self.horizontal_flip
        flip_v = (np.random.random() < 0.5) * self.vertical_flip
        shift = (
            np.random.uniform(-self.channel_shift_range, self.channel_shift_range)
            if self.channel_shift_range != 0
            else None
        )
        brightness = (
            np.random.uniform(*self.brightness_range) if self.brightness_range is not None else None
        )
        return {
            "theta": theta,
            "tx": tx,
            "ty": ty,
            "shear": shear,
            "zx": zx,
            "zy": zy,
            "flip_horizontal": flip_h,
            "flip_vertical": flip_v,
            "channel_shift_intensity": shift,
            "brightness": brightness,
        }

    @staticmethod
    def _shift(spec, size):
        if not spec:
            return 0
        try:
            value = np.random.choice(spec) * np.random.choice([-1, 1])
        except ValueError:  # a float range
            value = np.random.uniform(-spec, spec)
        return value * size if np.max(spec) < 1 else value

    def apply_transform(self, x, params):
        """Apply `get_random_transform`'s parameters to one image."""
        rows, cols, chans = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        x = apply_affine_transform(
            x,
            params.get("theta", 0),
            params.get("tx", 0),
            params.get("ty", 0),
            params.get("shear", 0),
            params.get("zx", 1),
            params.get("zy", 1),
            rows,
            cols,
            chans,
            self.fill_mode,
            self.cval,
            self.interpolation_order,
        )
        if params.get("channel_shift_intensity") is not None:
            low, high = np.min(x), np.max(x)
            x = np.clip(x + params["channel_shift_intensity"], low, high)
        if params.get("flip_horizontal", False):
            x = flip_axis(x, cols)
        if params.get("flip_vertical", False):
            x = flip_axis(x, rows)
        if params.get("brightness") is not None:
            from PIL import ImageEnhance

            image = array_to_img(x, data_format="channels_last", scale=False)
            x = img_to_array(ImageEnhance.Brightness(image).enhance(params["brightness"]))
        return x

    def random_transform(self, x, seed=None):
        """One image with random transformations applied."""
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the featurewise mean/std (and ZCA matrix) from sample images `x`."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(
                f"Input to `.fit()` should have rank 4. Got array with shape: {x.shape}"
            )
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.concatenate([self.random_transform(img) for _ in range(rounds) for img in x])
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = x.reshape(x.shape[0], -1)
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            self.zca_whitening_matrix = (u * (np.sqrt(len(x)) / (s + self.zca_epsilon))) @ u.T
