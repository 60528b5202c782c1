from plait import Input, Model
from plait.layers import Dense

shared = Dense(4, name="shared")
a, b = Input(shape=(4,)), Input(shape=(4,))
first, second = shared(a), shared(b)
assert shared.output is first  # Keras 3: the first call's
assert shared.get_output_at(1) is second
model = Model([a, b], [first, second])
assert len(model.weights) == 2
