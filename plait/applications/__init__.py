"""Keras's `applications`: ImageNet architectures with Keras's layer names, so the weight
files Keras publishes (legacy `.h5`) and the ones Keras users save load into them.

    model = plait.applications.ResNet50(weights="path/to/resnet50.h5")
    x = plait.applications.resnet.preprocess_input(images)

`weights="imagenet"` downloads Keras's file once through `plait.utils.get_file` (checked
by its hash). Available: VGG16, ResNet50.
"""

from plait.applications import imagenet_utils, resnet, vgg16  # noqa: F401
from plait.applications.resnet import ResNet50  # noqa: F401
from plait.applications.vgg16 import VGG16  # noqa: F401

resnet50 = resnet

__all__ = ["VGG16", "ResNet50", "imagenet_utils", "resnet", "resnet50", "vgg16"]
