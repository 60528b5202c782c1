"""`model.export("m.onnx")`: the model as an ONNX graph for inference, through `torch.onnx`.

ONNX is an optional extra (`pip install onnx`, and `onnxruntime` to run the file). The
graph's inputs and outputs carry the model's input and output names, and every batch
dimension (and any other dimension the model leaves as None) stays dynamic.
"""

import contextlib
import logging
import os
import warnings

import torch

from plait.utils import atomic

__all__ = ["export"]

FORMATS = ("onnx",)


class _FlatModule(torch.nn.Module):
    """The model as `forward(*inputs) -> tuple of outputs`, in input/output name order."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *inputs):
        model = self.model
        out = model(inputs[0] if model._input_structure == "single" else list(inputs))
        if isinstance(out, dict):
            return tuple(out[name] for name in model.output_names)
        if isinstance(out, (list, tuple)):
            return tuple(out)
        return out


def export(
    model,
    filepath,
    format="onnx",
    input_signature=None,
    verbose=None,
    opset_version=None,
    dynamo=False,
):
    """Export `model` for inference.

    Args:
        model: a built plait functional model.
        filepath: where to write (`.onnx` for ONNX).
        format: only "onnx". Default "onnx".
        input_signature: sample inputs (a tensor or a list of them) to trace with.
            Default None: zeros of each input's shape, with 2 for unknown dimensions.
        verbose: print the exporter's messages. Default None (quiet).
        opset_version: the ONNX opset. Default None (the exporter's default).
        dynamo: use torch.onnx's torch.export-based exporter (needs `onnxscript`) instead
            of the TorchScript one. Default False (faster, needs only `onnx`).
    """
    if format not in FORMATS:
        raise ValueError(
            f"Unknown export format. plait exports {list(FORMATS)}; for a plain PyTorch "
            "file use model.to_source(path), for the weights model.save_weights(path). "
            f"Received: format={format!r}"
        )
    filepath = os.fspath(filepath)
    if getattr(model, "_graph", None) is None and hasattr(model, "_ensure_graph"):
        model._ensure_graph()
    try:
        import onnx  # noqa: F401  (torch.onnx needs it to write the file)
    except ImportError:
        raise ImportError(
            "model.export(format='onnx') needs the `onnx` package: pip install onnx "
            "(and onnxruntime to run the exported file)."
        ) from None
    samples = _samples(model, input_signature)
    input_names = [str(n) for n in model.input_names]
    output_names = [str(n) for n in model.output_names]
    dynamic = _dynamic_axes(model, input_names, output_names)
    flat = _FlatModule(model)
    was_training = model.training
    model.eval()
    try:
        with atomic.atomic_path(filepath) as tmp, torch.no_grad(), _quiet(verbose):
            kwargs = dict(
                input_names=input_names,
                output_names=output_names,
                opset_version=opset_version,
                verbose=bool(verbose),
                dynamo=dynamo,
            )
            if dynamo:
                kwargs["dynamic_shapes"] = _dynamic_shapes(model, samples)
            else:
                kwargs["dynamic_axes"] = dynamic
            torch.onnx.export(flat, tuple(samples), tmp, **kwargs)
    finally:
        model.train(was_training)


def _samples(model, input_signature):
    if input_signature is not None:
        samples = (
            input_signature if isinstance(input_signature, (list, tuple)) else [input_signature]
        )
        if len(samples) != len(model.input_names):
            raise ValueError(
                f"input_signature must give one tensor per model input "
                f"({len(model.input_names)}: {model.input_names}). "
                f"Received {len(samples)} tensor(s)."
            )
        return [torch.as_tensor(s) for s in samples]
    device = next(model.parameters(), torch.empty(0)).device
    return [
        torch.zeros(tuple(2 if d is None else d for d in shape), dtype=dtype, device=device)
        for shape, dtype in zip(model._input_shapes, model._input_dtypes)
    ]


def _dynamic_axes(model, input_names, output_names):
    axes = {}
    for name, shape in zip(input_names, model._input_shapes):
        axes[name] = {
            i: f"{name}_dim{i}" if i else "batch" for i, d in enumerate(shape) if d is None
        }
    output_shapes = [t.shape for t in model.outputs]
    for name, shape in zip(output_names, output_shapes):
        axes[name] = {
            i: f"{name}_dim{i}" if i else "batch" for i, d in enumerate(shape) if d is None
        }
    return axes


def _dynamic_shapes(model, samples):
    batch = torch.export.Dim("batch")
    shapes = []
    for shape in model._input_shapes:
        shapes.append(
            {
                i: batch if i == 0 else torch.export.Dim.AUTO
                for i, d in enumerate(shape)
                if d is None
            }
        )
    return (tuple(shapes),)  # one entry: the tuple of `forward(*inputs)`


@contextlib.contextmanager
def _quiet(verbose):
    if verbose:
        yield
        return
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)  # e.g. "torchvision is not installed" notices
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
