"""Keras's callbacks: hooks the training loop calls at the start and end of training, of each
epoch and of each batch, for fit, evaluate and predict.

Callbacks work on any `torch.nn.Module` trained by `plait.training`. They reach the optimizer
as `model.optimizer` when the model has one, else through the compiled state
`model._compile_state.optimizer`. Batch-level `logs` are lazy: reading a value makes the
host wait for the device, so callbacks that do not look at them cost nothing.

One module per callback, named as in Keras (`plait.callbacks.early_stopping`, ...); every
name is also here, as `plait.callbacks.EarlyStopping`.
"""

from plait.callbacks._util import _HOOKS as _HOOKS  # the hook names, read by tests
from plait.callbacks.backup_and_restore import BackupAndRestore
from plait.callbacks.callback import Callback
from plait.callbacks.callback_list import CallbackList
from plait.callbacks.csv_logger import CSVLogger
from plait.callbacks.early_stopping import EarlyStopping
from plait.callbacks.history import History
from plait.callbacks.lambda_callback import LambdaCallback
from plait.callbacks.learning_rate_scheduler import LearningRateScheduler
from plait.callbacks.model_checkpoint import ModelCheckpoint
from plait.callbacks.progbar_logger import ProgbarLogger
from plait.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from plait.callbacks.remote_monitor import RemoteMonitor
from plait.callbacks.swap_ema_weights import SwapEMAWeights
from plait.callbacks.tensorboard import TensorBoard
from plait.callbacks.terminate_on_nan import TerminateOnNaN


def __dir__():  # dir() lists the public API, not the modules or helpers
    return sorted(__all__)


__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "ProgbarLogger",
    "EarlyStopping",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "LearningRateScheduler",
    "CSVLogger",
    "TerminateOnNaN",
    "LambdaCallback",
    "BackupAndRestore",
    "RemoteMonitor",
    "TensorBoard",
    "SwapEMAWeights",
]
