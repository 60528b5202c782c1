"""The public Model methods show their real parameters (help(), IDEs) with Keras's names and
defaults, and their docstring examples run."""

import doctest
import inspect

import keras
import pytest

import plait
from plait.models import keras_methods
from plait.utils import validation

KERAS_FIT = [
    "x",
    "y",
    "batch_size",
    "epochs",
    "verbose",
    "callbacks",
    "validation_split",
    "validation_data",
    "shuffle",
    "class_weight",
    "sample_weight",
    "initial_epoch",
    "steps_per_epoch",
    "validation_steps",
    "validation_batch_size",
    "validation_freq",
]


# plait's own keyword-only additions after Keras's parameters (fit's `distribute`)
PLAIT_ONLY = {"distribute"}


def parameters(fn):
    return [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.name != "self" and p.name not in PLAIT_ONLY
    ]


def test_fit_shows_keras_parameters_in_keras_order():
    assert [p.name for p in parameters(plait.Model.fit)] == KERAS_FIT


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict", "predict_on_batch"])
def test_parameters_and_defaults_match_keras(method):
    ours = {p.name: p.default for p in parameters(getattr(plait.Model, method))}
    theirs = {
        p.name: p.default
        for p in parameters(getattr(keras.Model, method))
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    }
    assert ours == theirs


@pytest.mark.parametrize("method", ["compile", "train_on_batch", "test_on_batch"])
def test_keras_parameters_are_all_there_with_keras_defaults(method):
    ours = {p.name: p.default for p in parameters(getattr(plait.Model, method))}
    theirs = {
        p.name: p.default
        for p in parameters(getattr(keras.Model, method))
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    }
    assert set(theirs) <= set(ours)
    differ = {k for k in theirs if ours[k] != theirs[k]}
    # Keras 3 compiles with XLA when it can ("auto"); plait's jit_compile is opt-in.
    assert differ <= {"jit_compile"}


@pytest.mark.parametrize(
    "method",
    [
        "compile",
        "fit",
        "evaluate",
        "predict",
        "train_on_batch",
        "test_on_batch",
        "predict_on_batch",
        "save",
        "save_weights",
        "load_weights",
        "summary",
    ],
)
def test_public_methods_are_documented_with_an_example(method):
    fn = getattr(plait.Model, method)
    assert "*args" not in str(inspect.signature(fn))
    doc = inspect.getdoc(fn)
    assert "Example" in doc and ("Args:" in doc or "Returns:" in doc)


@pytest.mark.parametrize("module", [keras_methods, validation])
def test_docstring_examples_run(module):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module):
        runner.run(test)
    assert runner.tries > 0 and runner.failures == 0


def test_summary_example_runs():
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(
        plait.Model.summary, "summary", globs={"plait": plait}
    ):
        runner.run(test)
    assert runner.tries and not runner.failures
