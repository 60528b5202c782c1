"""Focal, overlap, sequence and metric-learning losses: focal crossentropies, `Dice`,
`Tversky`, `CTC`, `Circle` and `CategoricalGeneralizedCrossEntropy`, classes whose
constructors take their function's keyword arguments.
"""

import warnings

import torch
import torch.nn.functional as F

from plait import serialization
from plait.losses.loss import (
    EPSILON,
    _BuiltinLoss,
    _as_pred,
    _like,
    _pair,
    class_example,
    squeeze_or_expand_to_same_rank,
)
from plait.losses.probabilistic_losses import _bce_from_probs

__all__ = [
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "Circle",
    "Dice",
    "Tversky",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "circle",
    "ctc",
    "dice",
    "tversky",
]


# --- focal, overlap, sequence and metric-learning losses -------------------------------


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary focal crossentropy (Lin et al., 2018), averaged over `axis`.

    Each element's binary crossentropy is scaled by `(1 - p_t) ** gamma`, where `p_t` is
    the predicted probability of the true class, so easy examples count less. With
    `apply_class_balancing=True` it is also weighted by `alpha` for class 1 and
    `1 - alpha` for class 0.

    Args:
        y_true: labels in [0, 1], shape `(batch, d0, ..., dN)`.
        y_pred: probabilities or (with `from_logits=True`) logits, the same shape.
        apply_class_balancing: weight the classes with `alpha`. Default False.
        alpha: the weight of class 1. Default 0.25.
        gamma: the focusing parameter; 0 gives binary crossentropy. Default 2.0.
        from_logits: whether `y_pred` holds logits. Default False.
        label_smoothing: in [0, 1]; labels become `y * (1 - s) + 0.5 * s`. Default 0.
        axis: the axis averaged over. Default -1.

    Returns:
        Tensor of shape `(batch, d0, ..., dN-1)`.

    Example:
        >>> binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([0.3299, 0.2058])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _bce_from_probs(y_true, y_pred, "none")
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return focal.mean(dim=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical focal crossentropy: `sum(alpha * (1 - p)**gamma * -y_true * log(p))`
    over `axis`, with `p` the predictions rescaled to sum to 1 and clipped to
    `[EPSILON, 1 - EPSILON]` (a softmax first with `from_logits=True`).

    Args:
        y_true: one-hot labels, shape `(batch, ..., num_classes)`.
        y_pred: probabilities or logits, the same shape.
        alpha: a weight of every class (a float or one per class). Default 0.25.
        gamma: the focusing parameter; 0 gives `alpha` times crossentropy. Default 2.0.
        from_logits: whether `y_pred` holds logits. Default False.
        label_smoothing: in [0, 1]; labels become `y * (1 - s) + s / num_classes`.
        axis: the class axis. Default -1.

    Returns:
        Tensor of shape `y_pred.shape` without `axis`.

    Raises:
        ValueError: when `axis` is a bool.

    Example:
        >>> categorical_focal_crossentropy([[0., 1., 0.], [0., 0., 1.]], [[0.1, 0.8, 0.1], [0.2, 0.3, 0.5]])
        tensor([0.0022, 0.0433])
    """
    if isinstance(axis, bool):  # Keras raises a ValueError here
        raise ValueError(
            "Argument `axis` of categorical_focal_crossentropy must be an int. "  # noqa: TRY004
            f"Received: axis={axis} of type {type(axis)}"
        )
    y_true, y_pred = _pair(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_focal_crossentropy, expected y_pred.shape to be "
            "(batch_size, num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={tuple(y_pred.shape)}. Consider using 'binary_crossentropy' "
            "if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    probs = y_pred / y_pred.sum(dim=axis, keepdim=True)
    probs = torch.clamp(probs, EPSILON, 1.0 - EPSILON)
    if not isinstance(alpha, (int, float)):
        alpha = torch.as_tensor(alpha, dtype=probs.dtype, device=probs.device)
    focal = torch.pow(1.0 - probs, gamma) * alpha * (-y_true * torch.log(probs))
    return focal.sum(dim=axis)


def ctc(y_true, y_pred):
    """Connectionist Temporal Classification loss, per sample.

    Args:
        y_true: integer labels, shape `(batch, max_label_length)`; 0 is the blank (and
            padding) index and is not a class. A label's length is its count of
            non-zero entries.
        y_pred: logits (not softmax outputs), shape `(batch, steps, num_classes)`.

    Returns:
        Tensor of shape `(batch,)`.

    Raises:
        ValueError: when `y_true` is not 2-D or `y_pred` not 3-D.

    Example:
        >>> import numpy as np
        >>> ctc(np.array([[1, 2]]), np.zeros((1, 4, 3), dtype="float32"))  # uniform logits
        tensor([1.6864])
    """
    y_pred = _as_pred(y_pred)
    y_true = _like(y_true, y_pred.device)
    if y_true.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape "
            "`(batch_size, max_length)` in integer format. "
            f"Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            "`(batch_size, max_length, num_classes)`. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    labels = y_true.long()
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    label_lengths = (labels != 0).sum(dim=-1)
    input_lengths = torch.full((batch,), steps, dtype=torch.long, device=y_pred.device)
    log_probs = torch.log_softmax(y_pred.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, labels, input_lengths, label_lengths, blank=0, reduction="none")


def _overlap_axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _sum(x, axis):
    return x.sum() if axis is None else x.sum(dim=axis)


def dice(y_true, y_pred, axis=None):
    """Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + EPSILON)`.

    Args:
        y_true, y_pred: tensors of the same shape (e.g. segmentation masks).
        axis: the axes summed over (a tuple, e.g. `(1, 2, 3)` for one value per sample).
            Default None: every axis, one value in all.

    Returns:
        A tensor without `axis` (0-d for `axis=None`).

    Example:
        >>> dice([[0., 1.], [1., 1.]], [[0.2, 0.8], [0.6, 0.4]])
        tensor(0.2800)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    axis = _overlap_axis(axis)
    intersection = _sum(y_true * y_pred, axis)
    return 1.0 - 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss: `1 - tp / (tp + alpha * fp + beta * fn + EPSILON)` with
    `tp = sum(y_true * y_pred)`, `fp = sum((1 - y_pred) * y_true)` and
    `fn = sum(y_pred * (1 - y_true))` (Keras's naming); `alpha = beta = 0.5` is Dice.

    Args:
        y_true, y_pred: tensors of the same shape.
        alpha, beta: the weights of the two error terms. Default 0.5 each.
        axis: the axes summed over; default None, every axis.

    Returns:
        A tensor without `axis` (0-d for `axis=None`).

    Example:
        >>> tversky([[0., 1.], [1., 1.]], [[0.2, 0.8], [0.6, 0.4]], alpha=0.3, beta=0.7)
        tensor(0.2174)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    axis = _overlap_axis(axis)
    intersection = _sum(y_true * y_pred, axis)
    fp = _sum((1.0 - y_pred) * y_true, axis)
    fn = _sum(y_pred * (1.0 - y_true), axis)
    return 1.0 - intersection / (intersection + fp * alpha + fn * beta + EPSILON)


def circle(
    y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4
):
    """Circle loss (Sun et al., 2020) between integer labels and L2-normalized
    embeddings, one value per sample.

    Args:
        y_true: integer labels, shape `(batch,)`.
        y_pred: L2-normalized embeddings, shape `(batch, dim)`.
        ref_labels, ref_embeddings: the reference set; default the batch itself.
        remove_diagonal: leave each sample's similarity to itself out of the positives.
            Default True.
        gamma: the scale. Default 80.
        margin: the relaxation margin. Default 0.4.

    Returns:
        Tensor of shape `(batch,)`.

    Example:
        >>> circle([0, 0, 1, 1], [[1., 0.], [0.8, 0.6], [0., 1.], [0.6, 0.8]])
        tensor([ 6.4017, 51.3280,  6.4017, 51.3280])
    """
    y_pred = _as_pred(y_pred)
    labels = _like(y_true, y_pred.device).long().reshape(-1, 1)
    refs = y_pred if ref_embeddings is None else _like(ref_embeddings, y_pred.device, y_pred.dtype)
    ref = labels if ref_labels is None else _like(ref_labels, y_pred.device).long()
    ref = ref.reshape(-1, 1)
    distances = torch.clamp(1.0 - y_pred @ refs.T, min=0.0)
    positive = labels == ref.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~torch.eye(
            labels.shape[0], ref.shape[0], dtype=torch.bool, device=y_pred.device
        )
    pos_weights = torch.clamp((margin + distances) * positive.to(distances.dtype), min=0.0)
    neg_weights = torch.clamp((1.0 + margin - distances) * negative.to(distances.dtype), min=0.0)
    pos = -gamma * pos_weights * (margin - distances)
    neg = gamma * neg_weights * (1.0 - margin - distances)
    minus_inf = torch.tensor(float("-inf"), dtype=distances.dtype, device=distances.device)
    p_loss = torch.logsumexp(torch.where(positive, pos, minus_inf), dim=1)
    n_loss = torch.logsumexp(torch.where(negative, neg, minus_inf), dim=1)
    return F.softplus(p_loss + n_loss)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized crossentropy (Zhang & Sabuncu, 2018): `(1 - p**q) / q`, with `p` the
    predicted probability of the true class; robust to noisy labels.

    Args:
        y_true: integer class ids, shape `(batch,)` or `(batch, 1)`.
        y_pred: probabilities, shape `(batch, num_classes)`.
        q: in (0, 1): near 0 like crossentropy, near 1 like mean absolute error.

    Returns:
        Tensor of shape `(batch,)` (`(batch, 1)` for `(batch, 1)` labels).

    Example:
        >>> y_true = torch.tensor([1, 2])
        >>> y_pred = torch.tensor([[0.05, 0.95, 0.], [0.1, 0.8, 0.1]])
        >>> categorical_generalized_cross_entropy(y_true, y_pred, q=0.5)
        tensor([0.0506, 1.3675])
    """
    y_pred = _as_pred(y_pred)
    labels = _like(y_true, y_pred.device).long()
    one_hot = F.one_hot(labels, y_pred.shape[-1]).to(y_pred.dtype)
    p = (y_pred * one_hot).sum(dim=-1)
    return (1.0 - torch.pow(p, q)) / q


def _keyword_class(class_name, fn, default_name, doc, arg_names, int_labels=False, mask=None):
    """A built-in loss class whose constructor takes `fn`'s keyword arguments (in Keras's
    order, `arg_names` with defaults), then reduction, name, dtype."""

    def __init__(self, *args, **kwargs):
        params = dict(arg_names)
        params.update({"reduction": "sum_over_batch_size", "name": default_name, "dtype": None})
        order = list(getattr(type(self), "_order", params))
        if len(args) > len(order):
            raise TypeError(
                f"{class_name}() takes at most {len(order)} positional "
                f"arguments. Received: {len(args)}"
            )
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"{class_name}() got multiple values for argument '{key}'")
            kwargs[key] = value
        unknown = set(kwargs) - set(params)
        if unknown:
            raise TypeError(
                f"{class_name}() got unexpected arguments {sorted(unknown)}. "
                f"Expected some of {list(params)}."
            )
        params.update(kwargs)
        fn_kwargs = {key: params[key] for key in dict(arg_names)}
        _BuiltinLoss.__init__(
            self,
            fn,
            reduction=params["reduction"],
            name=params["name"],
            dtype=params["dtype"],
            **fn_kwargs,
        )
        for key, value in fn_kwargs.items():
            setattr(self, key, value)

    attrs = {
        "__init__": __init__,
        "__doc__": doc,
        "__module__": __name__,
        "_cast_labels": not int_labels,
    }
    if mask is not None:
        attrs["_values_and_mask"] = mask
    cls = type(class_name, (_BuiltinLoss,), attrs)
    return serialization.register_serializable(package="plait")(cls)


_FOCAL_DOC = """{what}

    Args:
{args}        reduction: "sum_over_batch_size" (default), "sum", "mean",
            "mean_with_sample_weight" or None/"none"; see `Loss`.
        name: default "{name}".
        dtype: the dtype computed in; see `Loss`.
"""


def _doc(cls, name, what, args, example):
    """The class's docstring; `example` is `(call, y_true, y_pred, value)`."""
    text = _FOCAL_DOC.format(what=what, name=name, args="".join(f"        {a}\n" for a in args))
    return text + class_example(*example)


BinaryFocalCrossentropy = _keyword_class(
    "BinaryFocalCrossentropy",
    binary_focal_crossentropy,
    "binary_focal_crossentropy",
    _doc(
        "BinaryFocalCrossentropy",
        "binary_focal_crossentropy",
        "Binary focal crossentropy: binary crossentropy scaled by `(1 - p_t) ** gamma`.",
        [
            "apply_class_balancing: weight class 1 by alpha, 0 by 1 - alpha. Default False.",
            "alpha: default 0.25.",
            "gamma: default 2.0.",
            "from_logits: default False.",
            "label_smoothing: default 0.",
            "axis: default -1.",
        ],
        ("BinaryFocalCrossentropy()", "[[0., 1.], [0., 0.]]", "[[0.6, 0.4], [0.4, 0.6]]", 0.2678),
    ),
    [
        ("apply_class_balancing", False),
        ("alpha", 0.25),
        ("gamma", 2.0),
        ("from_logits", False),
        ("label_smoothing", 0.0),
        ("axis", -1),
    ],
)
CategoricalFocalCrossentropy = _keyword_class(
    "CategoricalFocalCrossentropy",
    categorical_focal_crossentropy,
    "categorical_focal_crossentropy",
    _doc(
        "CategoricalFocalCrossentropy",
        "categorical_focal_crossentropy",
        "Categorical focal crossentropy for one-hot labels.",
        [
            "alpha: a float or one per class. Default 0.25.",
            "gamma: default 2.0.",
            "from_logits: default False.",
            "label_smoothing: default 0.",
            "axis: default -1.",
        ],
        (
            "CategoricalFocalCrossentropy()",
            "[[0., 1., 0.], [0., 0., 1.]]",
            "[[0.1, 0.8, 0.1], [0.2, 0.3, 0.5]]",
            0.0228,
        ),
    ),
    [
        ("alpha", 0.25),
        ("gamma", 2.0),
        ("from_logits", False),
        ("label_smoothing", 0.0),
        ("axis", -1),
    ],
)
CTC = _keyword_class(
    "CTC",
    ctc,
    "ctc",
    _doc(
        "CTC",
        "ctc",
        "CTC loss between integer label sequences (0 = blank) and "
        "logits `(batch, steps, num_classes)`.",
        [],
        ("CTC()", "[[1, 2]]", "[[[0., 0., 0.]] * 4]", 1.6864),
    ),
    [],
    int_labels=True,
)
Dice = _keyword_class(
    "Dice",
    dice,
    "dice",
    _doc(
        "Dice",
        "dice",
        "Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))`.",
        ["axis: the axes summed over. Default None (all)."],
        ("Dice()", "[[0., 1.], [1., 1.]]", "[[0.2, 0.8], [0.6, 0.4]]", 0.28),
    ),
    [("axis", None)],
)
Dice._order = ("reduction", "name", "axis", "dtype")
Tversky = _keyword_class(
    "Tversky",
    tversky,
    "tversky",
    _doc(
        "Tversky",
        "tversky",
        "Tversky loss, Dice with weighted error terms.",
        [
            "alpha: default 0.5.",
            "beta: default 0.5.",
            "axis: the axes summed over. Default None (all).",
        ],
        (
            "Tversky(alpha=0.3, beta=0.7)",
            "[[0., 1.], [1., 1.]]",
            "[[0.2, 0.8], [0.6, 0.4]]",
            0.2174,
        ),
    ),
    [("alpha", 0.5), ("beta", 0.5), ("axis", None)],
)
Tversky._order = ("alpha", "beta", "reduction", "name", "axis", "dtype")


def _circle_mask(self, y_true, y_pred):
    values = self.call(y_true, y_pred)
    return values, values > 0  # Keras averages over the samples with a positive loss


Circle = _keyword_class(
    "Circle",
    circle,
    "circle",
    _doc(
        "Circle",
        "circle",
        "Circle loss between integer labels and L2-normalized "
        "embeddings; the mean runs over the samples whose loss is positive.",
        ["gamma: default 80.0.", "margin: default 0.4.", "remove_diagonal: default True."],
        (
            "Circle()",
            "[0, 0, 1, 1]",
            "[[1., 0.], [0.8, 0.6], [0., 1.], [0.6, 0.8]]",
            28.8648,
        ),
    ),
    [("gamma", 80.0), ("margin", 0.4), ("remove_diagonal", True)],
    mask=_circle_mask,
)


CategoricalGeneralizedCrossEntropy = _keyword_class(
    "CategoricalGeneralizedCrossEntropy",
    categorical_generalized_cross_entropy,
    "categorical_generalized_cross_entropy",
    _doc(
        "CategoricalGeneralizedCrossEntropy",
        "categorical_generalized_cross_entropy",
        "Generalized crossentropy `(1 - p**q) / q` for integer labels.",
        ["q: in (0, 1). Default 0.5."],
        (
            "CategoricalGeneralizedCrossEntropy(q=0.5)",
            "[1, 2]",
            "[[0.05, 0.95, 0.], [0.1, 0.8, 0.1]]",
            0.7091,
        ),
    ),
    [("q", 0.5)],
    int_labels=True,
)
_gce_init = CategoricalGeneralizedCrossEntropy.__init__


def _checked_gce_init(self, *args, **kwargs):
    q = args[0] if args else kwargs.get("q", 0.5)
    if not 0 < q < 1:
        raise ValueError(
            "Argument `q` of CategoricalGeneralizedCrossEntropy must be in "
            f"the interval (0, 1). Received: q={q}"
        )
    _gce_init(self, *args, **kwargs)


CategoricalGeneralizedCrossEntropy.__init__ = _checked_gce_init
