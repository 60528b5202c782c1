import numpy as np
import torch
from plait.models import Model
from plait.layers import Input, Dense, Lambda
from plait.utils import set_random_seed

set_random_seed(0)

original_dim, latent_dim = 8, 2
inputs = Input(shape=(original_dim,))
h = Dense(16, activation="relu")(inputs)
z_mean = Dense(latent_dim)(h)
z_log_var = Dense(latent_dim)(h)


def sampling(args):
    z_mean, z_log_var = args
    epsilon = torch.randn_like(z_mean)
    return z_mean + torch.exp(0.5 * z_log_var) * epsilon


z = Lambda(sampling)([z_mean, z_log_var])
outputs = Dense(original_dim, activation="sigmoid")(Dense(16, activation="relu")(z))
vae = Model(inputs, outputs)
reconstruction = torch.nn.functional.binary_cross_entropy(outputs, inputs, reduction="none").sum(
    dim=-1
)
kl = -0.5 * torch.sum(1 + z_log_var - z_mean**2 - torch.exp(z_log_var), dim=-1)
vae.add_loss(torch.mean(reconstruction + kl))
vae.compile(optimizer="adam")
x = np.random.default_rng(0).random((64, original_dim)).astype("float32")
history = vae.fit(x, epochs=5, batch_size=16, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
