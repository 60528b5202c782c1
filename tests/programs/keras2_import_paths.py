import numpy as np
from plait.models import Sequential
from plait.layers import Dense, Dropout
from plait.layers.core import Activation
from plait.optimizers import Adam
from plait.callbacks import EarlyStopping

model = Sequential()
model.add(Dense(12, input_dim=8))
model.add(Activation("relu"))
model.add(Dropout(0.1))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate=0.01), metrics=["accuracy"])
X = np.random.rand(50, 8)
Y = (np.random.rand(50) > 0.5).astype(int)  # int targets
model.fit(
    X, Y, epochs=2, batch_size=10, verbose=0, callbacks=[EarlyStopping(monitor="loss", patience=1)]
)
scores = model.evaluate(X, Y, verbose=0)
print("%s: %.2f%%" % (model.metrics_names[1], scores[1] * 100))
