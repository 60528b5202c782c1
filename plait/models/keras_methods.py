"""The Keras methods of `Model` for training and saving: `compile`, `fit`, `evaluate`,
`predict`, `train_on_batch`, `test_on_batch`, `predict_on_batch`, `save`, `save_weights`
and `load_weights`, with Keras's parameters, defaults and meaning.

They delegate to `plait.training` (which trains any `torch.nn.Module`) and `plait.saving`.
`plait.saving` sits above `plait.models` in the import graph (it builds models from files),
so the saving methods import it when called, never at module level
(docs/architecture.md).
"""

from collections.abc import Sequence
from typing import Any

from plait import training
from plait.models import compile_config

__all__ = ["KerasMethods"]


class KerasMethods:
    """Mixed into `plait.Model` (before `Layer`, so `compile` is Keras's, not
    `torch.nn.Module.compile`)."""

    # ------------------------------------------------------------------ training
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: bool = False,
        auto_scale_loss: bool = True,
    ) -> None:
        """Configure the model for training.

        Args:
            optimizer: a name (`"adam"`, `"sgd"`, `"rmsprop"`, ...), a `plait.optimizers`
                optimizer, or a `torch.optim.Optimizer` (which keeps PyTorch's math).
                Default `"rmsprop"`.
            loss: a name (`"mse"`, `"binary_crossentropy"`, ...), a `plait.losses.Loss`, a
                callable `(y_true, y_pred)`; for several outputs a list (output order) or a
                dict keyed by output name. Default None.
            metrics: metric names/objects for every output (`["accuracy"]`), a list of
                such lists (one per output), or a dict keyed by output name. `"accuracy"`
                picks binary, categorical or sparse accuracy from the loss. Default None.
            loss_weights: a list or dict of weights of the outputs' losses; the loss
                minimized is their weighted sum. Default None (all 1).
            weighted_metrics: like `metrics`, but weighted by `sample_weight` and
                `class_weight`. Default None.
            run_eagerly: never compile the train step (for debugging). Default False.
            steps_per_execution: batches per execution: the batch hooks and the
                progress bar see executions, as in Keras; with `jit_compile=True` the N
                train steps run as one compiled call. Default 1.
            jit_compile: run the train step (forward, loss, backward, update) under
                `torch.compile`, falling back to eager with a warning when it cannot.
                Default False.
            auto_scale_loss: accepted for Keras compatibility: under `"mixed_float16"`
                the loss is always scaled. Default True.

        Returns:
            The compiled state (Keras returns None; plait's callers may ignore it).

        Raises:
            ValueError: an unknown loss/metric/optimizer name, or losses, metrics or
                weights that name no output.
            TypeError: an argument of the wrong type.

        Example:
            >>> import plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(4,))])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            >>> model.metrics_names
            ['loss', 'mae']

        Note: the third positional parameter is `metrics`, as in Keras 2 and plait's
        `training.compile` (Keras 3 puts `loss_weights` there); pass them by keyword.
        """
        training.compile(self, **_passed_on(locals()))

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: str | int = "auto",
        callbacks: Sequence | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool | str = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | Sequence[int] = 1,
        *,
        distribute: str = "auto",
    ):
        """Train the model for `epochs` epochs (iterations over the data).

        Args:
            x: inputs: a numpy array or torch tensor `(samples, *input_shape)`, a list or
                dict (keyed by input name) of them for several inputs, a torch `Dataset` or
                `DataLoader`, or a generator of `(x, y)` / `(x, y, sample_weight)`.
            y: targets like `x`, one per output (a list, or a dict keyed by output name);
                None when `x` yields them.
            batch_size: samples per step for in-memory data. Default None (32).
            epochs: the epoch to stop at (training runs `initial_epoch..epochs-1`).
                Default 1.
            verbose: `"auto"`, 0 (silent), 1 (progress bar) or 2 (a line per epoch).
                `"auto"` is 1 on a terminal, else 2. Default `"auto"`.
            callbacks: `plait.callbacks.Callback` objects. Default None.
            validation_split: the fraction of in-memory data, taken from the end before
                shuffling, to validate on. Default 0.
            validation_data: `(x_val, y_val)`, `(x_val, y_val, sample_weight_val)`, a
                Dataset, DataLoader or generator; overrides `validation_split`.
            shuffle: shuffle in-memory data each epoch (True, False or `"batch"`).
                Default True.
            class_weight: `{class_index: weight}` scaling each sample's loss by its class
                (for several outputs, a dict of those keyed by output name).
            sample_weight: per-sample loss weights `(samples,)` (one per output for several).
            initial_epoch: the epoch to start at (to resume). Default 0.
            steps_per_epoch: batches per epoch; data streams on across epochs. Default
                None (one pass over the data).
            validation_steps: batches per validation. Default None (all).
            validation_batch_size: batch size of validation. Default None (`batch_size`).
            validation_freq: validate every this many epochs, or on the listed epochs
                (counted from 1). Default 1.
            distribute: under `torchrun` (several processes), how to train: `"auto"`
                (data-parallel with DDP, or FSDP2 when the model is already sharded with
                `fully_shard`), `"ddp"`, or `"fsdp"` (plait shards each layer that holds
                weights, then the model, with `fully_shard`). In one process it changes
                nothing. plait's own argument (Keras has none). Default `"auto"`.

        Returns:
            A `plait.callbacks.History` (also `model.history`): `history.history` maps
            each loss/metric name (and `val_` name) to its per-epoch values.

        Raises:
            ValueError: the model is not compiled, the data's shapes or sample counts do
                not fit the model, or an argument is out of range.
            TypeError: an argument of the wrong type.

        Example:
            >>> import numpy as np, plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(4,))])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
            >>> history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
            >>> len(history.history["loss"])
            2

        Under `torchrun` it trains data-parallel; see `plait.training.fit`.
        """
        return training.fit(self, **_passed_on(locals()))

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: str | int = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Sequence | None = None,
        return_dict: bool = False,
    ):
        """The loss and metrics of the model on data, in inference mode.

        Args:
            x, y, sample_weight: data, as for `fit`.
            batch_size: samples per step for in-memory data. Default None (32).
            verbose: `"auto"`, 0, 1 or 2. Default `"auto"`.
            steps: batches to evaluate. Default None (all the data).
            callbacks: callbacks whose `on_test_*` hooks run. Default None.
            return_dict: return `{name: value}` instead of a list. Default False.

        Returns:
            The loss (a float) when there are no metrics, else `[loss, *metrics]` in
            `metrics_names` order, or a dict with `return_dict=True`.

        Raises:
            ValueError: the model is not compiled, or the data is empty or does not fit.

        Example:
            >>> import numpy as np, plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(4,))])
            >>> model.compile(loss="mse", metrics=["mae"])
            >>> x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
            >>> sorted(model.evaluate(x, y, verbose=0, return_dict=True))
            ['loss', 'mae']
        """
        return training.evaluate(self, **_passed_on(locals()))

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: str | int = "auto",
        steps: int | None = None,
        callbacks: Sequence | None = None,
    ):
        """The model's outputs on `x`, batch by batch, as numpy arrays (inference mode,
        under `torch.inference_mode()`; the model need not be compiled).

        Args:
            x: inputs, as for `fit` (a batch's targets, if any, are ignored).
            batch_size: samples per step for in-memory data. Default None (32).
            verbose: `"auto"`, 0, 1 or 2. Default `"auto"`.
            steps: batches to predict. Default None (all the data).
            callbacks: callbacks whose `on_predict_*` hooks run. Default None.

        Returns:
            One array `(samples, *output_shape)` for one output, a list for several, a
            dict for dict outputs.

        Raises:
            ValueError: the data is empty or does not fit the model's inputs.

        Example:
            >>> import numpy as np, plait
            >>> model = plait.Sequential([plait.layers.Dense(3, input_shape=(4,))])
            >>> model.predict(np.ones((5, 4), "float32"), verbose=0).shape
            (5, 3)
        """
        return training.predict(
            self, x, batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks
        )

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ):
        """One gradient update on one batch.

        Args:
            x, y, sample_weight, class_weight: one batch, as for `fit`.
            reset_metrics: report this batch's values only (else the running values since
                the last reset). Default True.
            return_dict: return `{name: value}` instead of a list. Default False.

        Returns:
            The loss (a float) when there are no metrics, else `[loss, *metrics]`, or a
            dict.

        Raises:
            ValueError: the model is not compiled, or the batch does not fit it.

        Example:
            >>> import numpy as np, plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(4,))])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> loss = model.train_on_batch(np.ones((4, 4), "float32"), np.zeros((4, 1)))
            >>> isinstance(loss, float)
            True
        """
        return training.train_on_batch(
            self,
            x,
            y=y,
            sample_weight=sample_weight,
            class_weight=class_weight,
            reset_metrics=reset_metrics,
            return_dict=return_dict,
        )

    def test_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ):
        """The loss and metrics on one batch, without updating the model.

        Args:
            x, y, sample_weight: one batch, as for `fit`.
            reset_metrics: report this batch's values only. Default True.
            return_dict: return `{name: value}` instead of a list. Default False.

        Returns:
            As `train_on_batch`.

        Raises:
            ValueError: the model is not compiled, or the batch does not fit it.

        Example:
            >>> import numpy as np, plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(4,))])
            >>> model.compile(loss="mse")
            >>> model.test_on_batch(np.ones((4, 4), "float32"), np.zeros((4, 1))) >= 0
            True
        """
        return training.test_on_batch(
            self,
            x,
            y=y,
            sample_weight=sample_weight,
            reset_metrics=reset_metrics,
            return_dict=return_dict,
        )

    def predict_on_batch(self, x: Any):
        """The model's outputs on one batch, as numpy arrays (inference mode).

        Args:
            x: one batch of inputs (an array or tensor, or a list or dict of them).

        Returns:
            As `predict`.

        Raises:
            TypeError: `x` is not arrays or tensors.

        Example:
            >>> import numpy as np, plait
            >>> model = plait.Sequential([plait.layers.Dense(2, input_shape=(4,))])
            >>> model.predict_on_batch(np.ones((3, 4), "float32")).shape
            (3, 2)
        """
        return training.predict_on_batch(self, x)

    # -------------------------------------------------------------------- saving
    def save(self, filepath: str, overwrite: bool = True, include_optimizer: bool = True):
        """Save the architecture, the weights and, when compiled, the compile settings and
        optimizer state to a `.plait` file (JSON + safetensors in a zip, never pickle),
        atomically: a failure leaves any previous file as it was.

        A `.keras` name writes Keras 3's format and a `.h5`/`.hdf5` name Keras 2's legacy
        HDF5 format (both need h5py: `pip install plait[keras]`), which Keras loads.

        Args:
            filepath: the path, ending in `.plait`, `.keras`, `.h5` or `.hdf5`.
            overwrite: replace an existing file. Default True.
            include_optimizer: also save the optimizer's state. Default True.

        Raises:
            ValueError: another extension, the model is not built, or the
                file exists and `overwrite=False`.

        Example:
            >>> import os, tempfile, plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(4,))])
            >>> path = os.path.join(tempfile.mkdtemp(), "model.plait")
            >>> model.save(path)
            >>> plait.models.load_model(path).count_params() == model.count_params()
            True
        """
        from plait import saving  # saving sits above models (docs/architecture.md)

        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath: str, overwrite: bool = True):
        """Write the weights to a `.safetensors` file, keyed by `state_dict` name,
        atomically; a `.weights.h5` name writes Keras 3's layout, `.h5` Keras 2's (h5py).

        Args:
            filepath: the path, ending in `.safetensors`, `.weights.h5` or `.h5`.
            overwrite: replace an existing file. Default True.

        Raises:
            ValueError: another extension, or the model is not built.

        Example:
            >>> import os, tempfile, plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(4,))])
            >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
            >>> model.save_weights(path)
            >>> model.load_weights(path)
        """
        from plait import saving  # saving sits above models (docs/architecture.md)

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str, skip_mismatch: bool = False, by_name: bool = False):
        """Load weights by name from a `.safetensors` (or `.plait`) file, or from Keras's
        files: `.weights.h5`, `.keras`, and legacy `.h5` (by layer order, or by layer name
        with `by_name=True`).

        Args:
            filepath: the weights file.
            skip_mismatch: skip, with a warning, weights missing on either side or of
                another shape, instead of raising. Default False.
            by_name: legacy `.h5` only: match layers by name instead of order.

        Raises:
            ValueError: no such file, a damaged file, or (without `skip_mismatch`) names
                or shapes that do not match; no weight changes then.

        Example: see `save_weights`.
        """
        from plait import saving  # saving sits above models (docs/architecture.md)

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    # ------------------------------------------------------------ Keras 3's model API

    weights: list
    trainable_weights: list
    non_trainable_weights: list

    @property
    def variables(self) -> list:
        """Every weight of the model, trainable first: Keras 3's name for `weights`.

        Example:
            >>> import plait
            >>> model = plait.Sequential([plait.layers.Dense(2, input_shape=(3,))])
            >>> len(model.variables), len(model.non_trainable_variables)
            (2, 0)
        """
        return self.weights

    @property
    def trainable_variables(self) -> list:
        """The trainable weights (`trainable_weights`)."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        """The weights training does not update, such as BatchNormalization's moving
        statistics (`non_trainable_weights`)."""
        return self.non_trainable_weights

    def reset_metrics(self) -> None:
        """Reset the loss trackers and every compiled metric to their initial state."""
        state = getattr(self, "_compile_state", None)
        if state is not None:
            state.reset_metrics()

    def get_compile_config(self) -> dict | None:
        """The arguments `compile` was given, serialized (None before `compile`), as a
        `.keras` file's `compile_config`.

        Example:
            >>> import plait
            >>> model = plait.Sequential([plait.layers.Dense(1, input_shape=(3,))])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> model.get_compile_config()["loss"]
            'mse'
        """
        return compile_config.get_compile_config(self)

    def compile_from_config(self, config: dict) -> None:
        """Compile with what `get_compile_config()` returned.

        Raises:
            TypeError: when `config` is not a dict.
        """
        compile_config.compile_from_config(self, config)


def _passed_on(arguments):
    """A method's arguments (its `locals()`, taken first thing), without `self`, to pass on
    by name to the `plait.training` function of the same name and parameters."""
    return {name: value for name, value in arguments.items() if name not in ("self", "__class__")}
