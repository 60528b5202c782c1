"""Helpers the callbacks share: hook names, printing, the optimizer, files."""

import os
import sys

import torch.distributed as dist
from safetensors.torch import save_file

from plait.utils import atomic

_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)


def _print(message):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def _is_chief():
    """False in the processes other than rank 0 of a data-parallel run (torchrun): they
    leave writing files to rank 0."""
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def _optimizer_of(model, who):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        state = getattr(model, "_compile_state", None)
        optimizer = getattr(state, "optimizer", None)
    if optimizer is None:
        raise ValueError(
            f"{who} needs the model's optimizer, but the model is not compiled. Call "
            f"model.compile(optimizer=...) before fit. Received: model={type(model).__name__}"
        )
    return optimizer


def _get_lr(optimizer):
    return float(optimizer.learning_rate)


def _copy_state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _auto_mode(monitor):
    name = monitor[4:] if monitor.startswith("val_") else monitor
    name = name.lower()  # metrics=["AUC"] logs "AUC", as in Keras
    if name.endswith("loss"):
        return "min"
    for word in (
        "acc",
        "auc",
        "precision",
        "recall",
        "f1",
        "iou",
        "fbeta",
        "cosine_similarity",
        "r2_score",
        "true_positives",
        "true_negatives",
    ):
        if word in name:
            return "max"
    return "min"


def _check_mode(mode, who):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who} `mode` must be 'auto', 'min' or 'max'. Received: mode={mode!r}")


def _atomic_write(path, write):
    """Write `path` through `write(tmp_path)` then rename: a crash leaves the old file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic.atomic_path(path) as tmp:
        mode = os.stat(tmp).st_mode & 0o777  # what the umask gives a new file
        write(tmp)
        os.chmod(tmp, mode)  # safetensors' save_file leaves a private (0600) file


def _save_safetensors(tensors, path, metadata=None):
    plain = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    _atomic_write(path, lambda tmp: save_file(plain, tmp, metadata=metadata))


# ---------------------------------------------------------------------------- History, progbar
