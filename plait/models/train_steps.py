"""The training steps every `Model` has: the defaults of `train_step`, `test_step`,
`predict_step`, `compute_loss` and `compute_metrics` (what `fit`, `evaluate` and `predict`
call, and what an override reaches through `super()`), and the `optimizer`, `metrics` and
`metrics_names` that `compile` set up."""

import torch

__all__ = ["TrainingSteps"]


class TrainingSteps:
    """What `fit`, `evaluate` and `predict` call on a model: its optimizer and metrics, and
    the default `train_step`, `test_step`, `predict_step`, `compute_loss` and
    `compute_metrics` that an override may call through `super()` (Keras 3's PyTorch
    pattern). A mixin of `Model`; it needs `compile` to have run."""

    @property
    def optimizer(self):
        """The optimizer given to `compile` (None before)."""
        state = getattr(self, "_compile_state", None)
        return state.optimizer if state is not None else None

    @property
    def metrics(self):
        """The loss tracker (a running mean named "loss") and the metric objects `compile`
        made, one per output and name; [] before compile. A custom `train_step` updates
        them (`metric.update_state(loss)` for "loss", `(y, y_pred)` for the others)."""
        state = getattr(self, "_compile_state", None)
        if state is None:
            return []
        return [state.loss_tracker] + [metric for _, metric in state.metric_keys]

    # ------------------------------------------------------ custom training steps
    # fit/evaluate/predict call an overridden train_step/test_step/predict_step (Keras 3's
    # PyTorch-backend pattern); these defaults are what they do otherwise, for an
    # override that calls super().
    def train_step(self, data):
        """One training step on `data` (`x`, `(x, y)` or `(x, y, sample_weight)`); returns
        the logs. Override it to change what fit does."""
        x, y, sample_weight = _unpack(data)
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        loss.backward()
        self.optimizer.step()
        return self.compute_metrics(x, y, y_pred, sample_weight, loss=loss)

    def test_step(self, data):
        """One evaluation step; returns the logs. Override it to change evaluate."""
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight, loss=loss)

    def predict_step(self, data):
        """The predictions for one batch. Override it to change predict."""
        x, _, _ = _unpack(data)
        return self(x, training=False)

    train_step._plait_default = test_step._plait_default = True  # type: ignore[attr-defined]  # a function attribute
    predict_step._plait_default = True  # type: ignore[attr-defined]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The loss `compile` configured on `(y, y_pred)`, plus the model's own losses
        (`add_loss`, regularizers), as a 0-d tensor."""
        state = self._state("compute_loss")
        outs = _flat_outputs(y_pred, getattr(state, "output_names", None))
        if not state.resolved:
            names = self.__dict__.get("_output_names") or [
                f"output_{i + 1}" for i in range(len(outs))
            ]
            state.resolve(names)
        ys = [None] * len(outs) if y is None else _flat_outputs(y, state.output_names)
        sws = (
            [None] * len(outs)
            if sample_weight is None
            else _flat_outputs(sample_weight, state.output_names)
        )
        total, _ = state.compute_loss(ys, outs, sws)
        extra = self.losses
        self.clear_added_losses()
        for value in extra:
            total = value.reshape(()) if total is None else total + value.reshape(())
        if total is None:
            total = torch.zeros((), device=outs[0].device if outs else None)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None, loss=None):
        """Update the compiled metrics (and the loss tracker with `loss`) and return their
        current values as a dict."""
        state = self._state("compute_metrics")
        outs = _flat_outputs(y_pred, state.output_names)
        if not state.resolved:
            state.resolve([f"output_{i + 1}" for i in range(len(outs))])
        ys = [None] * len(outs) if y is None else _flat_outputs(y, state.output_names)
        sws = (
            [None] * len(outs)
            if sample_weight is None
            else _flat_outputs(sample_weight, state.output_names)
        )
        batch = outs[0].shape[0] if outs and outs[0].dim() else 1
        if loss is not None:
            state.loss_tracker.update(loss.detach(), batch)
        with torch.no_grad():
            for i, out in enumerate(outs):
                if ys[i] is None:
                    continue
                for metric in state.output_metrics[i]:
                    metric.update_state(ys[i], out.detach())
                for metric in state.output_weighted_metrics[i]:
                    metric.update_state(ys[i], out.detach(), sample_weight=sws[i])
        return self.get_metrics_result()

    def get_metrics_result(self):
        """The current values of `metrics` as a dict of tensors."""
        state = self._state("get_metrics_result")
        logs = {"loss": state.loss_tracker.result()} if state.loss_tracker.count else {}
        for key, metric in state.metric_keys:
            logs[key] = metric.result()
        return logs

    def _state(self, caller):
        state = getattr(self, "_compile_state", None)
        if state is None:
            raise ValueError(f"{caller}() needs the model compiled: call model.compile(...) first.")
        return state

    @property
    def metrics_names(self):
        """Names of the values `evaluate` returns, in order (`['loss', 'accuracy']`)."""
        state = getattr(self, "_compile_state", None)
        return list(state.metrics_names) if state is not None else []


def _unpack(data):
    """Keras's `unpack_x_y_sample_weight`."""
    if isinstance(data, tuple) and 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    return data, None, None


def _flat_outputs(value, names):
    if isinstance(value, dict):
        return (
            [value[n] for n in names]
            if names and all(n in value for n in names)
            else list(value.values())
        )
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]
