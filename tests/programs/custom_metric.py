import numpy as np
from plait import metrics
from plait.models import Sequential
from plait.layers import Dense


class BinaryTruePositives(metrics.Metric):
    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = y_true > 0.5
        y_pred = y_pred > 0.5
        values = (y_true & y_pred).float()
        if sample_weight is not None:
            values = values * sample_weight
        self.true_positives.assign_add(values.sum())

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0)


model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy", metrics=["accuracy", BinaryTruePositives()])
y = np.random.rand(40, 1) > 0.5  # bool targets
history = model.fit(np.random.rand(40, 3), y, epochs=2, verbose=0)
assert "binary_true_positives" in history.history
