"""The iterators behind `ImageDataGenerator.flow` and `flow_from_directory`:
`NumpyArrayIterator` and `DirectoryIterator`, PyDatasets of randomly transformed batches
(Keras 2's `Iterator` order of shuffles and seeds).
"""

import os

import numpy as np

from plait.utils.image_utils import img_to_array, load_img, save_img
from plait.utils.py_dataset import PyDataset

__all__ = ["DirectoryIterator", "NumpyArrayIterator"]


class _Iterator(PyDataset):
    """Batches by index over `n` samples, reshuffled each epoch (Keras 2's Iterator): with
    a `seed`, numpy's global generator is seeded with `seed + batches_seen` before each
    batch, so the shuffles and transformations repeat run to run."""

    def __init__(self, n, batch_size, shuffle, seed, **kwargs):
        super().__init__(**kwargs)
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.batch_index = 0
        self.total_batches_seen = 0
        self.index_array = None

    def _set_index_array(self):
        self.index_array = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(
                f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}"
            )
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        return self._batch(self.index_array[self.batch_size * idx : self.batch_size * (idx + 1)])

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def __next__(self):
        """The next batch of an endless stream (Keras 2's `next(iterator)`)."""
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        if self.batch_index == 0:
            self._set_index_array()
        current = (self.batch_index * self.batch_size) % self.n if self.n else 0
        self.batch_index = self.batch_index + 1 if self.n > current + self.batch_size else 0
        self.total_batches_seen += 1
        return self._batch(self.index_array[current : current + self.batch_size])

    next = __next__


class NumpyArrayIterator(_Iterator):
    """`ImageDataGenerator.flow`'s batches: `(x, y)`, `(x, y, sample_weight)` or `x`."""

    def __init__(
        self,
        x,
        y,
        generator,
        batch_size=32,
        shuffle=False,
        sample_weight=None,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        subset=None,
        **kwargs,
    ):
        x = np.asarray(x, dtype=generator.dtype)
        if x.ndim != 4:
            raise ValueError(
                "Input data in `NumpyArrayIterator` should have rank 4. You "
                f"passed an array with shape {x.shape}"
            )
        if y is not None and len(x) != len(y):
            raise ValueError(
                "`x` (images tensor) and `y` (labels) should have the same "
                f"length. Found: x.shape = {x.shape}, y.shape = "
                f"{np.asarray(y).shape}"
            )
        y = None if y is None else np.asarray(y)
        weights = None if sample_weight is None else np.asarray(sample_weight)
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(
                    f"Invalid subset name: {subset}; expected 'training' or 'validation'"
                )
            cut = int(len(x) * (1 - generator._validation_split))
            part = slice(None, cut) if subset == "training" else slice(cut, None)
            x = x[part]
            y = None if y is None else y[part]
            weights = None if weights is None else weights[part]
        self.x, self.y, self.sample_weight = x, y, weights
        self.generator = generator
        self.save_to_dir, self.save_prefix = save_to_dir, save_prefix
        self.save_format = save_format
        super().__init__(len(x), batch_size, shuffle, seed, **kwargs)

    def _batch(self, index):
        batch = np.zeros((len(index),) + self.x.shape[1:], dtype=self.generator.dtype)
        for i, j in enumerate(index):
            image = self.generator.random_transform(self.x[j].copy())
            batch[i] = self.generator.standardize(image.astype(self.generator.dtype))
        if self.save_to_dir:
            for i, j in enumerate(index):
                save_img(
                    os.path.join(
                        self.save_to_dir,
                        f"{self.save_prefix}_{j}_{np.random.randint(1e4)}.{self.save_format}",
                    ),
                    batch[i],
                    data_format=self.generator.data_format,
                )
        if self.y is None:
            return batch
        if self.sample_weight is None:
            return batch, self.y[index]
        return batch, self.y[index], self.sample_weight[index]


class DirectoryIterator(_Iterator):
    """`ImageDataGenerator.flow_from_directory`'s batches; `.class_indices`,
    `.classes`, `.filenames` as in Keras 2."""

    def __init__(
        self,
        directory,
        generator,
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
        from plait.utils.directory_datasets import IMAGE_FORMATS, index_directory

        if class_mode not in ("categorical", "binary", "sparse", "input", None):
            raise ValueError(
                f"Invalid class_mode: {class_mode}; expected one of "
                '"categorical", "binary", "sparse", "input" or None.'
            )
        paths, labels, names = index_directory(
            directory,
            "inferred",
            IMAGE_FORMATS,
            classes,
            shuffle=False,
            follow_links=follow_links,
            verbose=False,
        )
        split = generator._validation_split
        if subset is not None and split:
            keep = []
            for c in range(len(names)):  # Keras 2 splits within each class
                members = [i for i, label in enumerate(labels) if label == c]
                cut = int(len(members) * split)
                keep += members[cut:] if subset == "training" else members[:cut]
            keep.sort()
            paths = [paths[i] for i in keep]
            labels = labels[keep]
        self.filepaths = paths
        self.filenames = [os.path.relpath(p, directory) for p in paths]
        self.classes = np.asarray(labels, dtype="int32")
        self.class_indices = {name: i for i, name in enumerate(names)}
        self.num_classes = len(names)
        self.generator, self.target_size = generator, tuple(target_size)
        self.color_mode, self.class_mode = color_mode, class_mode
        self.interpolation, self.keep_aspect_ratio = interpolation, keep_aspect_ratio
        self.save_to_dir, self.save_prefix, self.save_format = (
            save_to_dir,
            save_prefix,
            save_format,
        )
        print(f"Found {len(paths)} images belonging to {self.num_classes} classes.")
        super().__init__(len(paths), batch_size, shuffle, seed, **kwargs)

    def _batch(self, index):
        images = []
        for j in index:
            img = load_img(
                self.filepaths[j],
                color_mode=self.color_mode,
                target_size=self.target_size,
                interpolation=self.interpolation,
                keep_aspect_ratio=self.keep_aspect_ratio,
            )
            x = img_to_array(img, data_format=self.generator.data_format)
            x = self.generator.random_transform(x)
            images.append(self.generator.standardize(x.astype(self.generator.dtype)))
        batch = np.stack(images)
        labels = self.classes[index]
        if self.class_mode == "input":
            return batch, batch.copy()
        if self.class_mode == "sparse":
            return batch, labels.astype(self.generator.dtype)
        if self.class_mode == "binary":
            return batch, labels.astype(self.generator.dtype)
        if self.class_mode == "categorical":
            return batch, np.eye(self.num_classes, dtype=self.generator.dtype)[labels]
        return batch
