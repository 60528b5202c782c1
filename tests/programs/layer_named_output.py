import numpy as np
from plait import Input, Model
from plait.layers import Dense

inputs = Input(shape=(4,), name="input")
hidden = Dense(8, activation="relu", name="layers")(inputs)
outputs = Dense(1, activation="sigmoid", name="output")(hidden)
model = Model(inputs=inputs, outputs=outputs)
assert model.get_layer("output").units == 1
assert model.output.shape == (None, 1)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(np.random.rand(20, 4), np.random.randint(0, 2, (20, 1)), epochs=1, verbose=0)
model.save_weights("named.safetensors")
