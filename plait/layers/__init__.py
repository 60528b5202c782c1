"""plait's layers. The Keras 2 family modules are real import paths:
`plait.layers.core`, `.convolutional`, `.pooling`, `.reshaping`, `.merge`, `.recurrent`,
`.wrappers`, `.normalization`, `.regularization`, `.activation`, `.attention`,
`.torch_ops`."""

from plait.layers.activation import ELU, PReLU, LeakyReLU, ReLU, Softmax  # noqa: F401
from plait.layers.attention import AdditiveAttention, Attention, MultiHeadAttention  # noqa: F401
from plait.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)  # noqa: F401
from plait.layers.convolutional import (  # noqa: F401
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from plait.layers.core import Activation, Dense, Input, InputLayer  # noqa: F401
from plait.layers.core import Embedding, Identity, Lambda, Masking, Rescaling  # noqa: F401
from plait.layers.layer import Layer  # noqa: F401
from plait.layers.merge import Concatenate, concatenate  # noqa: F401
from plait.layers.merge import (  # noqa: F401
    Add,
    Average,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from plait.layers.normalization import (  # noqa: F401
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)
from plait.layers.pooling import (  # noqa: F401
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from plait.layers.pooling import (  # noqa: F401
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)
from plait.layers.recurrent import GRU, LSTM, SimpleRNN  # noqa: F401
from plait.layers.regularization import (  # noqa: F401
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from plait.layers.reshaping import Flatten  # noqa: F401
from plait.layers.reshaping import (  # noqa: F401
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from plait.layers.torch_ops import TorchModule, TorchModuleWrapper, TorchOp  # noqa: F401
from plait.layers.wrappers import Bidirectional, TimeDistributed  # noqa: F401
from plait.layers.recurrent import GRUCell, LSTMCell, RNN, SimpleRNNCell, StackedRNNCells  # noqa: F401
from plait.layers.adaptive_pooling import (  # noqa: F401
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from plait.layers.rms_normalization import RMSNormalization  # noqa: F401
from plait.layers.einsum_dense import EinsumDense  # noqa: F401
from plait.layers.grouped_query_attention import GroupedQueryAttention, GroupQueryAttention  # noqa: F401
from plait.layers.spectral_normalization import SpectralNormalization  # noqa: F401
from plait.layers.recurrent import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D  # noqa: F401
from plait.layers.preprocessing import (  # noqa: F401
    RandomColorDegeneration,
    RandomColorJitter,
    RandomHue,
    RandomSaturation,
    CutMix,
    MixUp,
    RandomGaussianBlur,
    RandomSharpness,
    AutoContrast,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    RandomShear,
    Solarization,
    CategoryEncoding,
    CenterCrop,
    Discretization,
    Hashing,
    IntegerLookup,
    Normalization,
    Pipeline,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
    StringLookup,
    TextVectorization,
)
from plait.layers.preprocessing import (  # noqa: F401
    ContrastLimitedAdaptiveHistogramEqualization,
    Equalization,
    HashedCrossing,
    MaxNumBoundingBoxes,
    MelSpectrogram,
    RandomElasticTransform,
    RandomErasing,
    RandomPerspective,
    STFTSpectrogram,
)
from plait.layers.alpha_dropout import AlphaDropout  # noqa: F401
from plait.layers.reversible_embedding import ReversibleEmbedding  # noqa: F401
from plait.layers.wrapper import Wrapper  # noqa: F401
from plait.layers.input_spec import InputSpec  # noqa: F401
from plait.layers.layer_serialization import deserialize, serialize  # noqa: F401

Convolution1DTranspose = Conv1DTranspose  # Keras's own alias of the same class
from plait.layers import experimental  # noqa: F401,E402 (Keras 2: layers.experimental.preprocessing)

# Every public class and function above; submodules (the Keras 2 module paths) stay
# importable as attributes but are not star-exported.
__all__ = sorted(
    name for name, value in dict(globals()).items() if not name.startswith("_") and callable(value)
)
