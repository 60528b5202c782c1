"""Image helpers over Pillow: `load_img`, `img_to_array`, `array_to_img`, `save_img`.

Pillow is imported when first needed, so `import plait` does not load it.
"""

import io
import pathlib
import warnings

import numpy as np

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "image_data_format"]

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil():
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        raise ImportError(
            "Could not import PIL.Image. Install Pillow: pip install pillow"
        ) from None
    return Image


def image_data_format(data_format=None):
    """`data_format` checked, or plait's configured default (channels_last)."""
    if data_format is None:
        try:
            from plait import config

            data_format = getattr(config, "image_data_format", lambda: "channels_last")()
        except ImportError:  # pragma: no cover
            data_format = "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def _floatx(dtype):
    return "float32" if dtype is None else dtype


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array (height, width, channels) as a PIL image.

    Args:
        x: an array or tensor of rank 3 with 1, 3 or 4 channels.
        data_format: "channels_last" or "channels_first". Default None: plait's default.
        scale: rescale the values to 0..255 (min to 0, max to 255). Default True.
        dtype: the dtype the array is read as. Default "float32".

    Returns:
        A PIL image ("L" or "I" for 1 channel, "RGB" for 3, "RGBA" for 4).

    Raises:
        ValueError: the array is not rank 3, or has another number of channels.

    Example:
        >>> img = array_to_img(np.zeros((4, 6, 3)))
        >>> img.size, img.mode
        ((6, 4), 'RGB')
    """
    data_format = image_data_format(data_format)
    x = np.array(x.detach().cpu() if hasattr(x, "detach") else x, dtype=_floatx(dtype))
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    image = _pil()
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(
        f"Unsupported channel number: {channels}. Expected 1, 3 or 4 channels. "
        f"Received: an array of shape {x.shape}"
    )


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a float32 array `(height, width, channels)` (channels first when
    asked). A grayscale image gets a channel axis of 1.

    Example:
        >>> x = img_to_array(array_to_img(np.full((4, 6, 3), 255.0), scale=False))
        >>> x.shape, x.dtype, float(x.max())
        ((4, 6, 3), dtype('float32'), 255.0)
    """
    data_format = image_data_format(data_format)
    x = np.asarray(img, dtype=_floatx(dtype))
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[:, :, None]
    raise ValueError(f"Unsupported image shape: {x.shape}. Expected a 2-D or 3-D image.")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an array (see `array_to_img`) as an image file; the format comes from the
    file's extension unless `file_format` is given. RGBA saved as JPEG becomes RGB.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "black.png"
        >>> save_img(path, np.zeros((4, 6, 3)))
        >>> load_img(path).size
        (6, 4)
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(
    path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False
):
    """Load an image file as a PIL image.

    Args:
        path: a path (str, bytes or pathlib.Path) or an `io.BytesIO`.
        color_mode: "rgb", "rgba" or "grayscale". Default "rgb".
        target_size: `(height, width)` to resize to, or None. Default None.
        interpolation: "nearest", "bilinear", "bicubic", "hamming", "box" or "lanczos".
        keep_aspect_ratio: crop the middle to the target's aspect ratio before resizing.

    Returns:
        A PIL image.

    Raises:
        TypeError: `path` is neither a path nor a BytesIO.
        ValueError: an unknown `color_mode` or `interpolation`.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "black.png"
        >>> save_img(path, np.zeros((4, 6, 3)))
        >>> img_to_array(load_img(path, color_mode="grayscale", target_size=(2, 3))).shape
        (2, 3, 1)
    """
    image = _pil()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode in ("rgba", "rgb"):
        if img.mode != color_mode.upper():
            img = img.convert(color_mode.upper())
    else:
        raise ValueError(
            f'color_mode must be "grayscale", "rgb", or "rgba". Received: color_mode={color_mode!r}'
        )
    if target_size is None:
        return img
    size = (target_size[1], target_size[0])
    if img.size == size:
        return img
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(_INTERPOLATIONS)}"
        )
    resample = getattr(image.Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_h = min(height, (width * size[1]) // size[0])
    crop_w = min(width, (height * size[0]) // size[1])
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(size, resample, box=[left, top, left + crop_w, top + crop_h])
