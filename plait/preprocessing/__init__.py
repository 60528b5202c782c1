"""Keras's `keras.preprocessing`: the dataset builders, and Keras 2's modules
`plait.preprocessing.sequence` (pad_sequences, TimeseriesGenerator, skipgrams),
`plait.preprocessing.text` (Tokenizer, ...) and `plait.preprocessing.image`
(load_img, ImageDataGenerator, ...)."""

from plait.preprocessing import image, sequence, text
from plait.utils.dataset_utils import timeseries_dataset_from_array
from plait.utils.directory_datasets import image_dataset_from_directory, text_dataset_from_directory

__all__ = [
    "image",
    "sequence",
    "text",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
