# Clone a trained model (new weights, same architecture), copy the weights over, and
# fine-tune the clone with a frozen body while the original stays untouched.
import numpy as np

import plait
from plait import layers

rng = np.random.default_rng(4)
x = rng.normal(size=(200, 5)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")

inputs = plait.Input((5,))
features = layers.Dense(16, activation="relu", name="body")(inputs)
outputs = layers.Dense(1, activation="sigmoid", name="head")(features)
model = plait.Model(inputs, outputs)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=5, verbose=0)

clone = plait.models.clone_model(model)
assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
assert clone.layers[1] is not model.layers[1]
clone.set_weights(model.get_weights())
np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

original_head = model.get_layer("head").get_weights()[0].copy()
clone.get_layer("body").trainable = False
clone.compile_from_config(model.get_compile_config())
assert len(clone.trainable_variables) == 2 and len(clone.non_trainable_variables) == 2
clone.fit(x, 1.0 - y, epochs=3, verbose=0)
np.testing.assert_array_equal(model.get_layer("head").get_weights()[0], original_head)
assert not np.allclose(clone.get_layer("head").get_weights()[0], original_head)
np.testing.assert_array_equal(
    clone.get_layer("body").get_weights()[0], model.get_layer("body").get_weights()[0]
)

renamed = plait.models.clone_model(
    model,
    clone_function=lambda layer: layer.__class__.from_config(
        {**layer.get_config(), "name": f"copy_of_{layer.name}"}
    ),
)
assert renamed.get_layer("copy_of_head") is not None
