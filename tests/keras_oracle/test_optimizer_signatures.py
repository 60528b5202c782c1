"""Every optimizer's signature is Keras's (the base options are written once, in
`Optimizer.__init__`, and shown by `@keras_signature`), and the options given by position
land where Keras puts them."""

import inspect

import pytest

from plait import optimizers
from tests.keras_oracle.conftest import keras

NAMES = [
    "SGD",
    "Lion",
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "Lamb",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Ftrl",
    "Adafactor",
    "ScheduleFreeAdamW",
]


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_keras(name):
    ours = inspect.signature(getattr(optimizers, name))
    theirs = inspect.signature(getattr(keras.optimizers, name))
    assert ours == theirs


@pytest.mark.parametrize("name", NAMES)
def test_options_by_position_land_as_in_keras(name):
    params = list(inspect.signature(getattr(keras.optimizers, name)).parameters)
    at = params.index("global_clipnorm")
    args = [
        inspect.signature(getattr(keras.optimizers, name)).parameters[p].default
        for p in params[:at]
    ]
    ours = getattr(optimizers, name)(*args, 2.5)
    theirs = getattr(keras.optimizers, name)(*args, 2.5)
    assert ours.global_clipnorm == theirs.global_clipnorm == 2.5
    assert ours.get_config()["weight_decay"] == theirs.get_config()["weight_decay"]


def test_unknown_keyword_still_raises():
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(learning_rate=0.1, betta_1=0.5)
