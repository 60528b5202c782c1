"""Keras's preprocessing layers on PyTorch: numeric (Normalization, Discretization),
categorical (CategoryEncoding, Hashing, StringLookup, IntegerLookup), text
(TextVectorization), image geometry and color augmentation, and Pipeline.

Numeric and image layers compute with torch on the input's device. String layers work on
NumPy string arrays, lists of strings and a model's `Input(dtype="string")`: the strings
travel as a host-side `StringArray` (plait/utils/string_array.py) and the layer returns an
int64 tensor on the model's device.
"""

from plait.layers.preprocessing.encoding import CategoryEncoding, Hashing
from plait.layers.preprocessing.image_adjust import (
    RandomColorDegeneration,
    RandomColorJitter,
    RandomGaussianBlur,
    RandomHue,
    RandomSaturation,
    RandomSharpness,
)
from plait.layers.preprocessing.image_color import (
    AutoContrast,
    RandomBrightness,
    RandomContrast,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    Solarization,
)
from plait.layers.preprocessing.image_geometry import (
    CenterCrop,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Resizing,
)
from plait.layers.preprocessing.image_mix import CutMix, MixUp
from plait.layers.preprocessing.lookups import IntegerLookup, StringLookup
from plait.layers.preprocessing.numeric import Discretization, Normalization
from plait.layers.preprocessing.pipeline import Pipeline
from plait.layers.preprocessing.text import TextVectorization
from plait.layers.preprocessing.bounding_boxes import MaxNumBoundingBoxes
from plait.layers.preprocessing.clahe import ContrastLimitedAdaptiveHistogramEqualization
from plait.layers.preprocessing.crossing import HashedCrossing
from plait.layers.preprocessing.equalization import Equalization
from plait.layers.preprocessing.image_elastic import RandomElasticTransform
from plait.layers.preprocessing.image_erase import RandomErasing, RandomPerspective
from plait.layers.preprocessing.spectrogram import MelSpectrogram, STFTSpectrogram

__all__ = [
    "AutoContrast",
    "CategoryEncoding",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Equalization",
    "HashedCrossing",
    "MaxNumBoundingBoxes",
    "MelSpectrogram",
    "RandomErasing",
    "RandomPerspective",
    "STFTSpectrogram",
    "Discretization",
    "Hashing",
    "IntegerLookup",
    "MixUp",
    "Normalization",
    "Pipeline",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomElasticTransform",
    "RandomCrop",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
    "Solarization",
    "StringLookup",
    "TextVectorization",
]
