import numpy as np
from plait.models import Sequential
from plait.layers import Dense, Dropout

model = Sequential()
model.add(Dense(16, activation="relu"))
model.add(Dropout(0.2))
model.add(Dense(3, activation="softmax"))
model.build((None, 5))
model.summary()
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(np.random.rand(30, 5), np.random.randint(0, 3, size=(30,)), epochs=1, verbose=0)
