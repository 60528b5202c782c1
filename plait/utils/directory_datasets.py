"""`image_dataset_from_directory` and `text_dataset_from_directory`: a folder with one
sub-folder per class becomes a `BatchDataset` of `(inputs, labels)` batches that `fit` takes.

The files are listed and shuffled exactly as Keras lists and shuffles them (sorted class
folders, sorted files, numpy's `RandomState(seed)`), so one `seed` gives Keras's training /
validation split. Files are read when their batch is needed; each pass (epoch) reads the
training files in a new order when `shuffle=True`.
"""

import os

import numpy as np
import torch

from plait.utils import dataset_utils

__all__ = [
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "audio_dataset_from_directory",
    "index_directory",
]

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_TORCH_MODES = {
    "bilinear": "bilinear",
    "nearest": "nearest-exact",
    "bicubic": "bicubic",
    "area": "area",
}
_PIL_MODES = {
    "lanczos3": "LANCZOS",
    "lanczos5": "LANCZOS",
    "gaussian": "BICUBIC",
    "mitchellcubic": "BICUBIC",
}


def _class_folders(directory, labels, class_names):
    """The sub-folders whose files are listed: the class folders (all, or `class_names`)
    for `labels="inferred"`, else the directory itself (`[""]`)."""
    if labels == "inferred":
        subdirs = [
            d
            for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            raise ValueError(
                "When `labels=None` (no labels), argument `class_names` cannot be specified."
                if labels is None
                else "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels)."
            )
    return subdirs


def _list_files(directory, subdirs, formats, follow_links):
    """`(file names relative to directory, the index of each one's sub-folder)`, in
    sorted order, of the files ending in one of `formats`."""
    filenames, found = [], []
    for index, subdir in enumerate(subdirs):
        root = os.path.join(directory, subdir)
        walked = sorted(os.walk(root, followlinks=follow_links), key=lambda entry: entry[0])
        for folder, _, files in walked:
            for name in sorted(files):
                if name.lower().endswith(formats):
                    filenames.append(
                        os.path.join(subdir, os.path.relpath(os.path.join(folder, name), root))
                    )
                    found.append(index)
    return filenames, found


def index_directory(
    directory,
    labels,
    formats,
    class_names=None,
    shuffle=True,
    seed=None,
    follow_links=False,
    verbose=True,
):
    """Keras's file listing: `(file_paths, labels, class_names)` for a class-per-folder tree
    (or the files of the whole tree, when `labels` is None or a list)."""
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find directory {directory}. Received: directory={directory!r}")
    subdirs = _class_folders(directory, labels, class_names)
    filenames, found = _list_files(directory, subdirs, formats, follow_links)
    if labels == "inferred":
        labels, names = np.array(found, dtype="int32"), subdirs
    elif labels is None:
        names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(filenames)} "
                f"files in directory {directory}."
            )
        names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        print(
            f"Found {len(filenames)} files."
            if labels is None
            else f"Found {len(filenames)} files belonging to {len(names)} classes."
        )
    paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed  # one order for both
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def _check_common(labels, label_mode, class_names, kind):
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"`labels` argument should be a list/tuple of integer labels, of the same size "
                f"as the number of {kind} files in the target directory. If you wish to infer "
                "the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains '
                f"{kind} samples (no labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. Received: '
                f"labels={labels}, and class_names={class_names}"
            )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )


def _label_tensor(labels, label_mode, num_classes):
    labels = torch.as_tensor(np.asarray(labels).astype("int64"))
    if label_mode == "binary":
        return labels.float().unsqueeze(-1)
    if label_mode == "categorical":
        return torch.nn.functional.one_hot(labels, num_classes).float()
    return labels.int()


def _make_dataset(paths, labels, label_mode, num_classes, batch_size, shuffle, seed, read, stack):
    """A BatchDataset reading `paths` with `read(path)`; `stack(list)` makes a batch."""
    paths = list(paths)
    label_tensor = None if labels is None else _label_tensor(labels, label_mode, num_classes)
    rng = np.random.RandomState(seed)
    size = len(paths) if batch_size is None else batch_size

    def make():
        order = np.arange(len(paths))
        if shuffle:
            rng.shuffle(order)
        for low in range(0, len(paths), max(size, 1)):
            index = order[low : low + size]
            inputs = [read(paths[i]) for i in index]
            if batch_size is None:
                for i, sample in zip(index, inputs):
                    yield sample if label_tensor is None else (sample, label_tensor[int(i)])
                continue
            batch = stack(inputs)
            yield batch if label_tensor is None else (batch, label_tensor[torch.from_numpy(index)])

    count = len(paths) if batch_size is None else -(-len(paths) // batch_size)
    dataset = dataset_utils.BatchDataset(make, count)
    dataset.file_paths = paths
    return dataset


def _both_or_one(directory, paths, labels, validation_split, subset, build, what, verbose):
    if subset == "both":
        train = dataset_utils.training_or_validation_split(
            paths, labels, validation_split, "training", verbose
        )
        val = dataset_utils.training_or_validation_split(
            paths, labels, validation_split, "validation", verbose
        )
        for part, name in ((train, "training"), (val, "validation")):
            if not part[0]:
                raise ValueError(f"No {name} {what} found in directory {directory}.")
        return build(*train, True), build(*val, False)
    paths, labels = dataset_utils.training_or_validation_split(
        paths, labels, validation_split, subset, verbose
    )
    if not paths:
        raise ValueError(f"No {what} found in directory {directory}.")
    return build(paths, labels, True)


_FOLDER_ARGUMENTS = (
    "labels",
    "label_mode",
    "class_names",
    "batch_size",
    "shuffle",
    "seed",
    "validation_split",
    "subset",
    "follow_links",
    "verbose",
)


def _folder_arguments(arguments):
    return {name: arguments[name] for name in _FOLDER_ARGUMENTS}


def _from_directory(
    directory,
    formats,
    what,
    read,
    stack,
    *,
    labels,
    label_mode,
    class_names,
    batch_size,
    shuffle,
    seed,
    validation_split,
    subset,
    follow_links,
    verbose,
):
    """What the `*_dataset_from_directory` functions share once their own arguments are
    checked: index the folder, split it, and make a dataset of each part that reads a file
    with `read(path)` and makes a batch with `stack(samples)`."""
    if labels is None or label_mode is None:
        labels = label_mode = None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    seed = np.random.randint(1e6) if seed is None else seed
    paths, labels, class_names = index_directory(
        directory, labels, formats, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 '
            f"class_names. Received: class_names={class_names}"
        )

    def build(part_paths, part_labels, is_training):
        dataset = _make_dataset(
            part_paths,
            part_labels,
            label_mode,
            len(class_names or ()),
            batch_size,
            shuffle and is_training,
            seed,
            read,
            stack,
        )
        dataset.class_names = class_names
        return dataset

    return _both_or_one(directory, paths, labels, validation_split, subset, build, what, verbose)


def _check_image_args(color_mode, image_size, interpolation):
    """`(size as a tuple of 2 ints, interpolation in lower case)`, or a ValueError naming
    the bad argument."""
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            "Invalid `image_size` value. Expected a tuple of 2 integers. "
            f"Received: image_size={image_size}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _TORCH_MODES and interpolation not in _PIL_MODES:
        raise ValueError(
            "Argument `interpolation` should be one of "
            f"{tuple(_TORCH_MODES) + tuple(_PIL_MODES)}. Received: interpolation={interpolation}"
        )
    return tuple(int(s) for s in image_size), interpolation


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    verbose=True,
):
    """A dataset of image batches from a folder with one sub-folder per class.

    Args:
        directory: the folder (`directory/class_a/x.png`, ...). Images are .bmp, .gif,
            .jpeg, .jpg or .png.
        labels: "inferred" (from the sub-folders), None (images only), or a list of integer
            labels, one per file in sorted (alphanumeric) path order.
        label_mode: "int" (int32 `(batch,)`), "categorical" (float one-hot), "binary"
            (float `(batch, 1)`, two classes only), or None (no labels). Default "int".
        class_names: the sub-folders to use, in label order. Default None: all, sorted.
        color_mode: "rgb", "rgba" or "grayscale". Default "rgb".
        batch_size: images per batch, or None for single images. Default 32.
        image_size: `(height, width)` every image is resized to. Default (256, 256).
        shuffle: shuffle the files (and each epoch's order). Default True.
        seed: the shuffle's seed (required with `validation_split` and `shuffle`).
        validation_split: the fraction held out (the last files after shuffling).
        subset: "training", "validation" or "both" (returns a pair).
        interpolation: "bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
            "gaussian" or "mitchellcubic". Default "bilinear".
        follow_links: follow symbolic links to folders. Default False.
        crop_to_aspect_ratio: crop the middle to `image_size`'s aspect ratio first.
        pad_to_aspect_ratio: pad with zeros to `image_size`'s aspect ratio first.
        data_format: "channels_last" (default) or "channels_first".
        verbose: print how many files were found. Default True.

    Returns:
        A `BatchDataset` of `(images, labels)` (float32 `(batch, height, width, channels)`
        tensors with values 0..255), with `.class_names` and `.file_paths`; a pair of them
        for `subset="both"`.

    Raises:
        ValueError: a bad argument (named, with the value received), or no images found.

    Example:
        >>> import pathlib, tempfile
        >>> from plait.utils import save_img
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for label in ("cats", "dogs"):
        ...     (root / label).mkdir()
        ...     for i in range(3):
        ...         save_img(root / label / f"{i}.png", np.zeros((8, 8, 3), "uint8"))
        >>> train = image_dataset_from_directory(root, image_size=(4, 4), batch_size=4)
        Found 6 files belonging to 2 classes.
        >>> train.class_names
        ['cats', 'dogs']
        >>> images, labels = next(iter(train))
        >>> tuple(images.shape), images.dtype, tuple(labels.shape)
        ((4, 4, 4, 3), torch.float32, (4,))
    """
    _check_common(labels, label_mode, class_names, "image")
    size, interpolation = _check_image_args(color_mode, image_size, interpolation)
    from plait.utils.image_utils import image_data_format

    data_format = image_data_format(data_format)

    def read(path):
        return _load_image(
            path,
            size,
            color_mode,
            interpolation,
            crop_to_aspect_ratio,
            pad_to_aspect_ratio,
            data_format,
        )

    return _from_directory(
        directory, IMAGE_FORMATS, "images", read, torch.stack, **_folder_arguments(locals())
    )


def _load_image(path, size, color_mode, interpolation, crop, pad, data_format):
    from plait.utils.image_utils import load_img

    img = load_img(path, color_mode=color_mode)
    height, width = size
    if crop or pad:
        img_w, img_h = img.size
        if crop:
            new_h, new_w = min(img_h, img_w * height // width), min(img_w, img_h * width // height)
            top, left = (img_h - new_h) // 2, (img_w - new_w) // 2
            img = img.crop((left, top, left + new_w, top + new_h))
        else:
            new_h, new_w = max(img_h, img_w * height // width), max(img_w, img_h * width // height)
            from PIL import Image

            canvas = Image.new(img.mode, (new_w, new_h))
            canvas.paste(img, ((new_w - img_w) // 2, (new_h - img_h) // 2))
            img = canvas
    if interpolation in _PIL_MODES:
        from PIL import Image

        img = img.resize((width, height), getattr(Image.Resampling, _PIL_MODES[interpolation]))
    array = np.asarray(img, dtype="float32")
    array = array[:, :, None] if array.ndim == 2 else array
    tensor = torch.from_numpy(array.copy())
    if tuple(tensor.shape[:2]) != size:
        mode = _TORCH_MODES[interpolation]
        tensor = (
            torch.nn.functional.interpolate(
                tensor.permute(2, 0, 1)[None],
                size=size,
                mode=mode,
                **(
                    {"align_corners": False, "antialias": False}
                    if mode in ("bilinear", "bicubic")
                    else {}
                ),
            )[0]
            .permute(1, 2, 0)
            .contiguous()
        )
    return tensor.permute(2, 0, 1).contiguous() if data_format == "channels_first" else tensor


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """A dataset of text batches from a folder with one sub-folder per class of .txt files.

    Arguments as in `image_dataset_from_directory`; `max_length` cuts each text to that
    many characters. Batches are `(texts, labels)` where `texts` is a numpy array of str
    (Python strings; feed them to a text-vectorizing layer) and labels are tensors.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for label, text in (("neg", "dull"), ("pos", "great")):
        ...     (root / label).mkdir()
        ...     _ = (root / label / "review.txt").write_text(f"a {text} film")
        >>> train = text_dataset_from_directory(root, batch_size=2, shuffle=False)
        Found 2 files belonging to 2 classes.
        >>> train.class_names
        ['neg', 'pos']
        >>> texts, labels = next(iter(train))
        >>> texts.tolist(), labels.tolist()
        (['a dull film', 'a great film'], [0, 1])
    """
    _check_common(labels, label_mode, class_names, "text")

    def read(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        return text if max_length is None else text[:max_length]

    return _from_directory(
        directory,
        (".txt",),
        "text files",
        read,
        lambda texts: np.array(texts, dtype=object),
        **_folder_arguments(locals()),
    )


def _read_wav(path, output_sequence_length, sampling_rate):
    """A WAV file as float32 `(samples, channels)` in [-1, 1), as tf.audio.decode_wav
    reads 16-bit PCM (8-bit and 32-bit PCM are scaled alike)."""
    import wave

    with wave.open(path, "rb") as f:
        channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
        raw = f.readframes(f.getnframes())
    if width == 1:
        audio = (np.frombuffer(raw, np.uint8).astype("float32") - 128.0) / 128.0
    elif width in (2, 4):
        kind = np.int16 if width == 2 else np.int32
        audio = np.frombuffer(raw, kind).astype("float32") / float(2 ** (8 * width - 1))
    else:
        raise ValueError(
            f"Unsupported WAV sample width {8 * width} bits in {path}. "
            "Expected 8-, 16- or 32-bit PCM."
        )
    tensor = torch.from_numpy(audio.reshape(-1, channels).copy())
    if sampling_rate is not None and sampling_rate != rate and len(tensor):
        length = max(1, round(len(tensor) * sampling_rate / rate))
        tensor = torch.nn.functional.interpolate(
            tensor.T[None], size=length, mode="linear", align_corners=False
        )[0].T.contiguous()
    if output_sequence_length is not None:
        if len(tensor) >= output_sequence_length:
            tensor = tensor[:output_sequence_length]
        else:
            pad = torch.zeros(output_sequence_length - len(tensor), tensor.shape[1])
            tensor = torch.cat([tensor, pad])
    return tensor


def _pad_stack(clips):
    longest = max(len(c) for c in clips)
    out = torch.zeros(len(clips), longest, clips[0].shape[1])
    for i, clip in enumerate(clips):
        out[i, : len(clip)] = clip
    return out


def audio_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    sampling_rate=None,
    output_sequence_length=None,
    ragged=False,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """A dataset of audio batches from a folder of `.wav` files, one sub-folder per class.

    Arguments as in `image_dataset_from_directory`, and:
        sampling_rate: resample every clip to this rate (linear interpolation; Keras uses
            tensorflow-io's resampler, so values differ slightly). Default None: as stored.
        output_sequence_length: cut or zero-pad every clip to this many samples. Default
            None: a batch is zero-padded to its longest clip.
        ragged: give each batch as a list of clips of their own lengths. Default False.

    Returns:
        A `BatchDataset` of `(audio, labels)`, audio float32 `(batch, samples, channels)`
        in [-1, 1), with `.class_names`.

    Raises:
        ValueError: a bad argument (named, with the value received), or no audio found.

    Example:
        >>> import pathlib, tempfile, wave
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for label in ("no", "yes"):
        ...     (root / label).mkdir()
        ...     with wave.open(str(root / label / "clip.wav"), "wb") as f:
        ...         f.setnchannels(1); f.setsampwidth(2); f.setframerate(8000)
        ...         f.writeframes(bytes(2 * 80))
        >>> ds = audio_dataset_from_directory(root, batch_size=2, shuffle=False)
        Found 2 files belonging to 2 classes.
        >>> audio, labels = next(iter(ds))
        >>> tuple(audio.shape), labels.tolist()
        ((2, 80, 1), [0, 1])
    """
    _check_common(labels, label_mode, class_names, "audio")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None and (not isinstance(sampling_rate, int) or sampling_rate <= 0):
        raise ValueError(
            f"`sampling_rate` should be a positive integer. Received: sampling_rate={sampling_rate}"
        )

    def read(path):
        return _read_wav(path, output_sequence_length, sampling_rate)

    return _from_directory(
        directory,
        (".wav",),
        "audio files",
        read,
        list if ragged else _pad_stack,
        **_folder_arguments(locals()),
    )
