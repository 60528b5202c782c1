import torch
from plait.models import Sequential
from plait.layers import Dense, Dropout, BatchNormalization

model = Sequential([Dense(8, input_shape=(4,)), BatchNormalization(), Dropout(0.5), Dense(1)])
x = torch.randn(16, 4)
assert torch.equal(model(x), model(x))  # a fresh model infers: deterministic
bn = model.layers[1]
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
model.train()  # the user asks for training mode, as in any PyTorch loop
for _ in range(3):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), torch.zeros(16, 1))
    loss.backward()
    optimizer.step()
assert not torch.allclose(bn.moving_mean, torch.zeros(8))  # statistics were updated
assert not torch.equal(model(x), model(x))  # dropout is on
model.eval()
assert torch.equal(model(x), model(x))
