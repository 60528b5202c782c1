"""`TensorBoard`: TensorBoard logs laid out as Keras writes them."""

import os
import time
import warnings

import torch

from plait.callbacks._util import (
    _get_lr,
)
from plait.callbacks.callback import Callback

__all__ = ["TensorBoard"]


class TensorBoard(Callback):
    """Write TensorBoard logs through `torch.utils.tensorboard`, laid out as Keras does.

    Event files go to `log_dir/train` and `log_dir/validation`. Per epoch: scalars
    `epoch_<metric>` (training logs and `epoch_learning_rate` in `train`, `val_` logs without
    the prefix in `validation`) at step `epoch`; with `histogram_freq`, a histogram
    `<layer>/<weight>/histogram` of every weight (Keras layout). Per batch, when
    `update_freq` is "batch" or an int N: scalars `batch_<metric>` every N batches at the
    global batch number (from 1). After each evaluation: `evaluation_<metric>_vs_iterations`
    at the optimizer's iteration count. With `write_graph`, the model's traced graph
    (`add_graph`) and its Keras JSON (tag `keras`, the graph dashboard's Keras plugin) are
    written once, after the first batch.

    Args:
        log_dir: the folder of the logs. Default "logs".
        histogram_freq: write weight histograms every this many epochs; 0 (default) never.
        write_graph: write the graph. Default True.
        write_images: accepted for Keras compatibility and ignored: weights are not
            written as images.
        write_steps_per_second: also write `epoch_steps_per_second` (and
            `batch_steps_per_second` with batch updates). Default False.
        update_freq: "epoch" (default), "batch" (every batch) or an int N (every N
            batches). Batch scalars read the batch logs, a device sync each time.
        profile_batch, embeddings_freq, embeddings_metadata: accepted for Keras
            compatibility; profiling and embeddings are not written (use
            `torch.profiler`).

    Raises:
        ValueError: for an `update_freq` that is not "epoch", "batch" or an int >= 1.

    Example: pass it to `fit` (`model.fit(x, y, callbacks=[board])`), then run
    `tensorboard --logdir logs`.

        >>> from plait import callbacks
        >>> board = callbacks.TensorBoard(log_dir="logs", update_freq="batch")
        >>> board.log_dir, board.update_freq
        ('logs', 1)
        >>> callbacks.TensorBoard(update_freq=0)
        Traceback (most recent call last):
        ...
        ValueError: Invalid value for argument `update_freq` of TensorBoard. Expected 'epoch', 'batch' or an integer >= 1. Received: update_freq=0
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        if update_freq not in ("epoch", "batch") and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                "Invalid value for argument `update_freq` of TensorBoard. "
                "Expected 'epoch', 'batch' or an integer >= 1. "
                f"Received: update_freq={update_freq!r}"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._graph_pending = False
        self._epoch_start = None
        self._epoch_steps = 0
        self._batch_start = None

    def _writer(self, which):
        if which not in self._writers:
            from torch.utils.tensorboard import SummaryWriter

            folder = os.path.join(self.log_dir, "train" if which == "train" else "validation")
            self._writers[which] = SummaryWriter(log_dir=folder)
        return self._writers[which]

    def set_model(self, model):
        super().set_model(model)
        self._graph_pending = bool(self.write_graph)

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_steps += 1
        if self.write_steps_per_second:
            self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self._graph_pending:
            self._graph_pending = False
            self._write_graph()
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer, step = self._writer("train"), self._global_train_batch
        if self.write_steps_per_second and self._batch_start is not None:
            elapsed = max(time.time() - self._batch_start, 1e-9)
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", float(value), step)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None) or getattr(
            getattr(self.model, "_compile_state", None), "optimizer", None
        )
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            try:
                train["learning_rate"] = _get_lr(optimizer)
            except (TypeError, ValueError):
                pass
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = max(time.time() - self._epoch_start, 1e-9)
            train["steps_per_second"] = self._epoch_steps / elapsed
        if train:
            writer = self._writer("train")
            for name, value in train.items():
                writer.add_scalar(f"epoch_{name}", float(value), epoch)
        if val:
            writer = self._writer("val")
            for name, value in val.items():
                writer.add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if iterations is None or not logs:
            return
        writer = self._writer("val")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), int(iterations))
        writer.flush()

    def _write_histograms(self, epoch):
        writer = self._writer("train")
        for path, value in _model_weight_entries(self.model):
            writer.add_histogram(
                f"{path.replace(':', '_')}/histogram", value.float().cpu().numpy(), epoch
            )

    def _write_graph(self):
        writer = self._writer("train")
        self._write_keras_json(writer)
        example = _example_inputs(self.model)
        if example is None:
            return
        was_training = self.model.training
        try:
            self.model.eval()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                writer.add_graph(self.model, example)
        except Exception as error:  # tracing is best effort, as in Keras  # noqa: BLE001
            warnings.warn(
                f"TensorBoard could not trace the model's graph ({error}); the "
                "graph is left out of the logs.",
                stacklevel=2,
            )
        finally:
            self.model.train(was_training)
        writer.flush()

    def _write_keras_json(self, writer):
        to_json = getattr(self.model, "to_json", None)
        if to_json is None:
            return
        try:
            text = to_json()
        except Exception as error:  # noqa: BLE001
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {error}", stacklevel=2)
            return
        from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboard.compat.proto.tensor_pb2 import TensorProto

        metadata = SummaryMetadata()
        metadata.plugin_data.plugin_name = "graph_keras_model"
        metadata.plugin_data.content = b"1"
        tensor = TensorProto(dtype=7, string_val=[text.encode()])  # 7: DT_STRING
        summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        writer._get_file_writer().add_summary(summary, 0)


# ---------------------------------------------------------------------- SwapEMAWeights


def _model_weight_entries(model):
    """(Keras path, tensor in Keras layout) of every weight of `model`'s layers."""
    entries = []
    for layer in getattr(model, "layers", []):
        ordered = getattr(layer, "_ordered_entries", None)
        if ordered is None:
            continue
        for path, tensor, spec, _ in ordered():
            entries.append((path, spec.to_keras(tensor.detach())))
    return entries


def _example_inputs(model):
    """Zeros shaped like the model's inputs (unknown dimensions as 1), or None."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return None
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    tensors = []
    for symbolic in inputs:
        shape = tuple(1 if d is None else int(d) for d in symbolic.shape)
        dtype = getattr(symbolic, "dtype", torch.float32)
        dtype = dtype if isinstance(dtype, torch.dtype) else torch.float32
        tensors.append(torch.zeros(shape, dtype=dtype, device=device))
    return tensors[0] if len(tensors) == 1 else tuple(tensors)
