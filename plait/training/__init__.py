"""Keras's compile/fit/evaluate/predict over any `torch.nn.Module`.

`plait.Model` delegates to these functions; a plain `nn.Module` can use them directly:

    from plait import training
    training.compile(module, optimizer="adam", loss="mse")
    history = training.fit(module, x, y, epochs=3)

This package knows nothing of plait's models and layers. It reads optional attributes when a
module has them: `input_names`, `output_names`, `_input_structure` and `_output_structure`
("single" | "list" | "dict"), and `_input_shapes`.
"""

from plait.training.compile import compile  # noqa: F401
from plait.training.loop import (  # noqa: F401
    evaluate,
    fit,
    predict,
    predict_on_batch,
    test_on_batch,
    train_on_batch,
)
from plait.training.progbar import Progbar  # noqa: F401

__all__ = [
    "compile",
    "fit",
    "evaluate",
    "predict",
    "train_on_batch",
    "test_on_batch",
    "predict_on_batch",
    "Progbar",
]
