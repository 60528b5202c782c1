"""tf.keras 2.11+'s `optimizers.legacy` names, for Keras 2 programs: the Keras 3 optimizers
of the same names, where `decay` (and `lr`) keep their Keras 2 meaning: the learning rate
of step `t` is `lr / (1 + decay * t)` (an `InverseTimeDecay` with `decay_steps=1`).

    opt = plait.optimizers.legacy.Adam(lr=0.001, decay=1e-6)
"""

from plait.optimizers import adam as _adam
from plait.optimizers import adaptive as _adaptive
from plait.optimizers import sgd as _sgd
from plait.optimizers.base import Optimizer
from plait.optimizers.schedules import InverseTimeDecay

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Adamax",
    "Ftrl",
    "Nadam",
    "Optimizer",
    "RMSprop",
]


def _legacy(cls):
    """`cls` taking Keras 2's `lr=` and time-based `decay=`."""

    def __init__(self, *args, decay=0.0, **kwargs):
        if "lr" in kwargs:
            kwargs["learning_rate"] = kwargs.pop("lr")
        if decay:
            if "learning_rate" in kwargs:
                rate = kwargs.pop("learning_rate")
            elif args:
                rate, args = args[0], args[1:]
            else:
                rate = cls().get_config()["learning_rate"]
            kwargs["learning_rate"] = InverseTimeDecay(rate, decay_steps=1, decay_rate=decay)
        cls.__init__(self, *args, **kwargs)

    doc = (
        f"Keras 2's `optimizers.legacy.{cls.__name__}`: `{cls.__name__}` with `lr=` and "
        "time-based `decay=` (see the module)."
    )
    return type(
        cls.__name__, (cls,), {"__init__": __init__, "__doc__": doc, "__module__": __name__}
    )


SGD = _legacy(_sgd.SGD)
Adam = _legacy(_adam.Adam)
Adamax = _legacy(_adam.Adamax)
Nadam = _legacy(_adam.Nadam)
RMSprop = _legacy(_adaptive.RMSprop)
Adagrad = _legacy(_adaptive.Adagrad)
Adadelta = _legacy(_adaptive.Adadelta)
Ftrl = _legacy(_adaptive.Ftrl)
