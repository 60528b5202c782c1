"""One rate at a fixed value of another, from confusion counts at evenly spaced
thresholds: `SensitivityAtSpecificity`, `SpecificityAtSensitivity`, `PrecisionAtRecall`,
`RecallAtPrecision`.
"""

import torch

from plait import losses, serialization
from plait.metrics.confusion_metrics import _ConfusionBase, _example
from plait.metrics.metric import _divide_no_nan

__all__ = [
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
]


class _AtFixedRate(_ConfusionBase):
    """tp, fp, tn, fn at `num_thresholds` evenly spaced thresholds in [0, 1]; the result
    is the best `_dependent` rate among thresholds whose `_constrained` rate reaches
    the given value."""

    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._value_name}` must be in the range [0, 1]. "
                f"Received: {self._value_name}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._value_name, value)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            thresholds, self._evenly = [0.5], False
        else:
            thresholds = (
                [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
            )
            self._evenly = True
        self._init_thresholds(thresholds)
        for state in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            self.add_variable((len(thresholds),), name=state)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, pos, neg = self._confusion(
            y_true, y_pred, sample_weight, class_id=self.class_id, clip=self._evenly
        )
        self.true_positives.add_(tp)
        self.false_positives.add_(fp)
        self.false_negatives.add_(pos - tp)
        self.true_negatives.add_(neg - fp)

    def _rates(self):
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {
            "sensitivity": _divide_no_nan(tp, tp + fn),
            "recall": _divide_no_nan(tp, tp + fn),
            "specificity": _divide_no_nan(tn, tn + fp),
            "precision": _divide_no_nan(tp, tp + fp),
        }

    def result(self):
        rates = self._rates()
        constrained, dependent = rates[self._constrained], rates[self._dependent]
        feasible = torch.where(constrained >= self.value, dependent, 0.0)
        return torch.clamp(feasible.amax(), min=0.0)

    def get_config(self):
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_name: getattr(self, self._value_name),
        }


def _at_rate_class(class_name, value_name, constrained, dependent, doc):
    order = (value_name, "num_thresholds", "class_id", "name", "dtype")

    def __init__(self, *args, **kwargs):
        if len(args) > len(order):
            raise TypeError(
                f"{class_name}() takes at most {len(order)} arguments. Received: {len(args)}"
            )
        unknown = set(kwargs) - set(order)
        if unknown:
            raise TypeError(f"{class_name}() got unexpected arguments {sorted(unknown)}.")
        given = {**dict(zip(order, args)), **kwargs}
        if value_name not in given:
            raise TypeError(f"{class_name}() missing required argument '{value_name}'.")
        _AtFixedRate.__init__(
            self,
            given[value_name],
            given.get("num_thresholds", 200),
            given.get("class_id"),
            given.get("name") or losses._snake_case(class_name),
            given.get("dtype"),
        )

    cls = type(
        class_name,
        (_AtFixedRate,),
        {
            "__init__": __init__,
            "__module__": __name__,
            "_value_name": value_name,
            "_constrained": constrained,
            "_dependent": dependent,
            "__doc__": doc
            + (
                f"\n\n    Args:\n        {value_name}: in [0, 1].\n"
                "        num_thresholds: evenly spaced thresholds in [0, 1] "
                "(1 means 0.5 alone). Default 200.\n"
                "        class_id: the column of multi-label inputs to use.\n"
                f'        name: default "{losses._snake_case(class_name)}".\n'
                '        dtype: default "float32".\n\n    Raises:\n'
                f"        ValueError: for a `{value_name}` outside [0, 1] or "
                "`num_thresholds` < 1.\n"
            )
            + _example(f"{class_name}({value_name}=0.5)", 1.0),
        },
    )
    return serialization.register_serializable(package="plait")(cls)


SensitivityAtSpecificity = _at_rate_class(
    "SensitivityAtSpecificity",
    "specificity",
    "specificity",
    "sensitivity",
    "The best sensitivity (recall) among thresholds whose specificity is at least `specificity`.",
)
SpecificityAtSensitivity = _at_rate_class(
    "SpecificityAtSensitivity",
    "sensitivity",
    "sensitivity",
    "specificity",
    "The best specificity among thresholds whose sensitivity is at least `sensitivity`.",
)
PrecisionAtRecall = _at_rate_class(
    "PrecisionAtRecall",
    "recall",
    "recall",
    "precision",
    "The best precision among thresholds whose recall is at least `recall`.",
)
RecallAtPrecision = _at_rate_class(
    "RecallAtPrecision",
    "precision",
    "precision",
    "recall",
    "The best recall among thresholds whose precision is at least `precision`.",
)
