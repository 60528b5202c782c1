import torch
from plait import Input, Model
from plait.models import load_model
from plait.layers import Dense

x = Input(shape=(3,))
h = Dense(4, name="first layer.v1")(x)
h = Dense(4, name="fit")(h)
y = Dense(2, name="état-final")(h)
model = Model(x, y)
model.save("awkward.plait")
again = load_model("awkward.plait")
data = torch.randn(2, 3)
assert torch.allclose(model(data), again(data))
assert [l.name for l in again.layers][1:] == ["first layer.v1", "fit", "état-final"]
