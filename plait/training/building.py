"""What fit/evaluate/predict do once before the first batch: build a model that has no input
shape yet on the data, and find the user's own `train_step`/`test_step`/`predict_step`."""

import itertools

import torch

from plait.training import data as data_lib
from plait.training.modes import mode as _mode
from plait.utils.py_dataset import epoch_batches

__all__ = ["may_add_loss", "custom_step", "build_from_data", "build_from_source"]


def may_add_loss(module):
    """Whether the loss may come from the model itself: `add_loss`, or an overridden
    `train_step` (then `compile(optimizer=...)` alone is legal, as in Keras)."""
    return callable(getattr(module, "regularization_losses", None)) or _overridden(
        module, "train_step"
    )


def _overridden(module, kind):
    method = getattr(type(module), kind, None)
    return method is not None and not getattr(method, "_plait_default", False)


def custom_step(module, kind, state, spec):
    """The user's own `train_step`/`test_step`/`predict_step` (Keras 3's pattern: it gets
    `data` — `x`, `(x, y)` or `(x, y, sample_weight)` — and returns a dict of logs, or the
    predictions), as a step of the loop; None for the built-in steps. Looked up once per
    fit/evaluate/predict, not per batch."""
    if not _overridden(module, kind):
        return None
    method = getattr(module, kind)

    def pack(values):
        return values[0] if len(values) == 1 else list(values)

    def inputs(xs):
        args, kwargs = spec.call_args(xs)
        return args[0] if len(args) == 1 and not kwargs else (kwargs or list(args))

    if kind == "predict_step":
        return lambda xs: method(inputs(xs))

    def step(xs, ys, sws):
        x = inputs(xs)
        y = None if ys is None or all(v is None for v in ys) else pack(ys)
        sw = None if sws is None or all(v is None for v in sws) else pack(sws)
        data = x if y is None and sw is None else (x, y) if sw is None else (x, y, sw)
        logs = method(data)
        if state is not None:
            state.custom_logs = dict(logs) if isinstance(logs, dict) else {"loss": logs}

    return step


def build_from_data(module, x, state=None):
    """Build a plait model that has no input shape yet (a Sequential without one, a
    subclassed model) on the first rows of in-memory `x`, in inference mode, without
    gradients; then give the optimizer the parameters made after `compile`."""
    if (
        getattr(module, "built", True) is False
        and getattr(module, "_keras_call_convention", False)
        and data_lib.is_array_like(x)
        and x is not None
    ):
        device = data_lib.module_device(module)

        def first_rows(value):
            if isinstance(value, dict):
                return {k: first_rows(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)) and not data_lib.is_list_of_scalars(value):
                return [first_rows(v) for v in value]
            return data_lib.to_tensor(value, device, torch.float32)[:2]

        with _mode(module, training=False), torch.no_grad():
            module(first_rows(x))
        module.clear_added_losses()
        built = True
    else:
        built = False
    if state is not None and (built or getattr(state.optimizer, "built", True) is False):
        state.optimizer.build([p for p in module.parameters() if p.requires_grad])


def build_from_source(module, spec, source, state):
    """Build a plait model with no input shape yet on the first batch of a DataLoader,
    Dataset, PyDataset or generator (arrays were handled by `build_from_data`), so that
    the optimizer, the DDP wrapper and the compiled step see every weight from the first
    step. A generator's first batch is put back in front of it; a re-iterable source is
    read once more from the start."""
    if getattr(module, "built", True) is not False or not getattr(
        module, "_keras_call_convention", False
    ):
        return
    if isinstance(source, data_lib.GeneratorSource):
        try:
            item = next(source.iterator)
        except StopIteration:
            return  # no data: fit warns that the input ran out
        source.iterator = itertools.chain([item], source.iterator)
    elif isinstance(source, data_lib.LoaderSource):
        item = _first_item(source.loader)
        if item is None:
            return
    else:
        return
    xs = source.convert(item)[0]
    with _mode(module, training=False), torch.no_grad():
        spec.call(xs)
    module.clear_added_losses()
    state.optimizer.build([p for p in module.parameters() if p.requires_grad])


def _first_item(loader):
    """The first batch of a re-iterable source, read without starting an epoch (no
    `on_epoch_begin`, no shuffle drawn, no worker pool): by index where there is one."""
    if isinstance(loader, epoch_batches):  # a PyDataset
        return None if loader.count == 0 else loader.dataset[0]
    dataset = getattr(loader, "dataset", None)
    if isinstance(loader, torch.utils.data.DataLoader) and not isinstance(
        dataset, torch.utils.data.IterableDataset
    ):
        if len(dataset) == 0:
            return None
        first = dataset[0]
        return loader.collate_fn(first if loader.batch_size is None else [first])
    iterator = iter(loader)
    item = next(iterator, None)
    shutdown = getattr(iterator, "_shutdown_workers", None)  # a DataLoader's worker pool
    if callable(shutdown):
        shutdown()
    return item
