import numpy as np
from plait import metrics
from plait.models import Sequential
from plait.layers import Dense


class Count(metrics.Metric):
    def __init__(self, name="count", **kwargs):
        super(Count, self).__init__(name=name, **kwargs)
        self.n = self.add_weight(name="n", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.n.assign_add(float(y_true.shape[0]))

    def result(self):
        return self.n


model = Sequential([Dense(1, input_dim=2)])
model.compile("sgd", "mse", metrics=[Count()])
model.fit(np.random.rand(20, 2), np.random.rand(20, 1), batch_size=5, epochs=1, verbose=0)
assert model.evaluate(np.random.rand(6, 2), np.random.rand(6, 1), verbose=0)[1] == 6
