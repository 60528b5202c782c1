# A Keras 2 / tf.keras program: `K.*` in a Lambda (the VAE sampling trick) and in a custom
# loss, as old tutorials write them; only the import root changed to plait.
import numpy as np

from plait import backend as K
from plait.layers import Dense, Input, Lambda
from plait.models import Model
from plait.utils import set_random_seed

set_random_seed(0)

rng = np.random.default_rng(0)
x_train = rng.uniform(size=(256, 12)).astype("float32")
latent_dim = 2


def sampling(args):
    z_mean, z_log_var = args
    batch = K.shape(z_mean)[0]
    dim = K.int_shape(z_mean)[1]
    epsilon = K.random_normal(shape=(batch, dim))
    return z_mean + K.exp(0.5 * z_log_var) * epsilon


inputs = Input(shape=(12,), name="encoder_input")
h = Dense(16, activation="relu")(inputs)
z_mean = Dense(latent_dim, name="z_mean")(h)
z_log_var = Dense(latent_dim, name="z_log_var")(h)
z = Lambda(sampling, output_shape=(latent_dim,), name="z")([z_mean, z_log_var])
decoded = Dense(12, activation="sigmoid")(Dense(16, activation="relu")(z))
vae = Model(inputs, decoded)


def reconstruction_loss(y_true, y_pred):
    return K.mean(K.sum(K.binary_crossentropy(y_true, y_pred), axis=-1)) / K.cast(
        K.shape(y_true)[1], "float32"
    )


vae.compile(optimizer="adam", loss=reconstruction_loss)
history = vae.fit(x_train, x_train, epochs=4, batch_size=32, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0], history.history
assert K.int_shape(z) == (None, latent_dim)
assert K.floatx() == "float32" and K.epsilon() == 1e-7
assert K.image_data_format() == "channels_last"
K.clear_session()
assert Dense(1).name == "dense_1"
