"""The printed values in the docstring examples of `plait.losses` and `plait.metrics` are
Keras's: each example is run again with Keras 3's objects (torch backend) standing in for
plait's of the same name, and must print the same output."""

import doctest
import inspect

import keras
import numpy as np
import pytest
import torch

import plait

# plait extensions, or examples that show plait-only behaviour (names, reprs, errors)
_PLAIT_ONLY = {
    "check_sparse_labels",
    "TorchMetric",
    "get",
    "serialize",
    "deserialize",
    "reduce_to_samplewise_values",
    "Loss",
    "Metric",
}


def _examples(plait_module, keras_module):
    seen = set()
    for name in plait_module.__all__:
        obj = getattr(plait_module, name)
        if name in _PLAIT_ONLY or id(obj) in seen or not callable(obj):
            continue
        seen.add(id(obj))
        doc = inspect.getdoc(obj) or ""
        if ">>>" in doc and hasattr(keras_module, name):
            label = f"{keras_module.__name__}.{name}"
            yield pytest.param(plait_module, keras_module, name, id=label)


def _cases():
    yield from _examples(plait.losses, keras.losses)
    yield from _examples(plait.metrics, keras.metrics)


def _keras_doctest(doc, keras_module, name):
    globs = {n: getattr(keras_module, n) for n in dir(keras_module) if not n.startswith("_")}
    globs.update({"np": np, "torch": torch, "keras": keras})
    test = doctest.DocTestParser().get_doctest(doc, globs, name, None, 0)
    for example in test.examples:
        # Keras's IoU metrics return their confusion matrix from `update_state` (plait's
        # return None, as every other metric does); only what `result()` gives is compared.
        if ".update_state(" in example.source and not example.want:
            example.source = "_ = " + example.source
    return test


def test_examples_found():
    assert len(list(_cases())) > 60


@pytest.mark.parametrize("plait_module, keras_module, name", list(_cases()))
def test_docstring_example_prints_keras_values(plait_module, keras_module, name):
    test = _keras_doctest(inspect.getdoc(getattr(plait_module, name)), keras_module, name)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    failures = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)
