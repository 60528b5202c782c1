"""Keras's `applications`: ImageNet architectures with Keras's layer names, so the weight
files Keras publishes (legacy `.h5`) and the ones Keras users save load into them.

    model = plait.applications.ResNet50(weights="path/to/resnet50.h5")
    x = plait.applications.resnet.preprocess_input(images)

`weights="imagenet"` downloads Keras's file once through `plait.utils.get_file` (checked
by its hash). Available: VGG16, VGG19; ResNet50, ResNet101, ResNet152 and their V2 versions;
MobileNet, MobileNetV2; EfficientNetB0 to B7; DenseNet121, DenseNet169, DenseNet201.
"""

from plait.applications import (  # noqa: F401
    densenet,
    efficientnet,
    imagenet_utils,
    mobilenet,
    mobilenet_v2,
    resnet,
    resnet_v2,
    vgg16,
    vgg19,
)
from plait.applications.densenet import DenseNet121, DenseNet169, DenseNet201  # noqa: F401
from plait.applications.efficientnet import (  # noqa: F401
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from plait.applications.mobilenet import MobileNet  # noqa: F401
from plait.applications.mobilenet_v2 import MobileNetV2  # noqa: F401
from plait.applications.resnet import ResNet50, ResNet101, ResNet152  # noqa: F401
from plait.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2  # noqa: F401
from plait.applications.vgg16 import VGG16  # noqa: F401
from plait.applications.vgg19 import VGG19  # noqa: F401

resnet50 = resnet

__all__ = [
    "VGG16",
    "VGG19",
    "ResNet50",
    "ResNet101",
    "ResNet152",
    "ResNet50V2",
    "ResNet101V2",
    "ResNet152V2",
    "MobileNet",
    "MobileNetV2",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "densenet",
    "efficientnet",
    "imagenet_utils",
    "mobilenet",
    "mobilenet_v2",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg16",
    "vgg19",
]
