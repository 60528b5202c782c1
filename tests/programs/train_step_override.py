import numpy as np
import torch
from plait import Model, Input
from plait.layers import Dense


class CustomModel(Model):
    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        self.steps_seen = getattr(self, "steps_seen", 0) + 1
        return {m.name: m.result() for m in self.metrics}


inputs = Input(shape=(32,))
outputs = Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
history = model.fit(
    np.random.random((64, 32)), np.random.random((64, 1)), epochs=2, batch_size=32, verbose=0
)
assert model.steps_seen == 4
assert set(history.history) == {"loss", "mae"}
