import numpy as np
import torchmetrics
from plait.models import Sequential
from plait.layers import Dense

model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
model.compile(
    "adam",
    "sparse_categorical_crossentropy",
    metrics=[torchmetrics.Accuracy(task="multiclass", num_classes=3)],
)
history = model.fit(np.random.rand(30, 4), np.random.randint(0, 3, 30), epochs=1, verbose=0)
assert len(history.history) == 2
