import numpy as np
import torch
from plait.models import Sequential, load_model
from plait.layers import Dense
from plait.serialization import register_serializable


@register_serializable(package="my_package")
def scaled_relu(x):
    return torch.relu(x) * 0.5


@register_serializable(package="my_package")
def my_mse(y_true, y_pred):
    return torch.mean((y_true - y_pred) ** 2, dim=-1)


model = Sequential([Dense(4, activation="scaled_relu", input_shape=(3,)), Dense(1)])
model.compile("adam", loss="my_mse")
model.fit(np.random.rand(8, 3), np.random.rand(8, 1), verbose=0)
model.save("custom.plait")
again = load_model("custom.plait")
x = np.random.rand(2, 3)
np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
