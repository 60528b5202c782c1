import numpy as np
from plait import Input, Model
from plait.layers import Dense, concatenate

title = Input(shape=(5,), name="title")
body = Input(shape=(7,), name="body")
x = concatenate([Dense(4)(title), Dense(4)(body)])
priority = Dense(1, name="priority")(x)
department = Dense(3, activation="softmax", name="department")(x)
model = Model(inputs=[title, body], outputs=[priority, department])
model.compile(
    optimizer="rmsprop",
    loss={"priority": "mse", "department": "categorical_crossentropy"},
    loss_weights={"priority": 1.0, "department": 0.2},
)
data = {"title": np.random.rand(16, 5), "body": np.random.rand(16, 7)}
targets = {"priority": np.random.rand(16, 1), "department": np.eye(3)[np.random.randint(0, 3, 16)]}
history = model.fit(data, targets, epochs=1, batch_size=8, verbose=0)
assert "priority_loss" in history.history
