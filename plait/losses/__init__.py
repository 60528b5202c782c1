"""Losses with Keras's names, classes and math, computed with PyTorch kernels.

Every loss *function* takes `(y_true, y_pred)` and returns one value per sample: the
mean (the sum for the distribution losses) over the last axis, so a `(batch, d)` pair
gives a `(batch,)` tensor. The `Loss` *classes* wrap the functions and reduce those
values over the batch as Keras 3 does (`"sum_over_batch_size"` by default), with an
optional `sample_weight`.

    loss = plait.losses.get("mse")                # MeanSquaredError(name="mean_squared_error")
    loss(y_true, y_pred)                          # 0-d tensor
    plait.losses.binary_crossentropy(y, p)        # (batch,) tensor

Probabilities are clipped to `[EPSILON, 1 - EPSILON]` (Keras's `epsilon() = 1e-7`);
`from_logits=True` uses PyTorch's numerically stable kernels
(`binary_cross_entropy_with_logits`, `cross_entropy`).
"""

from plait.losses.loss import (
    EPSILON,
    Loss,
    LossFunctionWrapper,
    REDUCTIONS,
    _like,
    _pair,
    _snake_case,
    apply_mask,
    reduce_values,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from plait.losses.regression_losses import (
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    SquaredHinge,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    squared_hinge,
)
from plait.losses.probabilistic_losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    check_sparse_labels,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from plait.losses.special_losses import (
    BinaryFocalCrossentropy,
    CTC,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    Circle,
    Dice,
    Tversky,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    circle,
    ctc,
    dice,
    tversky,
)
from plait.losses.lookup import (
    ALIASES,
    BCE,
    CLASSES,
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    bce,
    deserialize,
    get,
    kld,
    kullback_leibler_divergence,
    logcosh,
    mae,
    mape,
    mse,
    msle,
    serialize,
)


def __dir__():  # dir() lists the public API, not the submodules or helpers
    return list(__all__)


# When True, sparse_categorical_crossentropy checks its labels on every call. The check
# reads the labels on the host (a device sync per call), so it is off by default; the
# training loop calls `check_sparse_labels` once per fit on the whole label array.
CHECK_SPARSE_LABELS = False

__all__ = [
    "BCE",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLD",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "bce",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "check_sparse_labels",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "kullback_leibler_divergence",
    "log_cosh",
    "logcosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]
