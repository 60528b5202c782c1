# A Keras 2 text classifier: Tokenizer + pad_sequences + Embedding + LSTM, Keras 2 import paths.
import numpy as np

from plait.layers.core import Dense
from plait.layers.embeddings import Embedding
from plait.layers.recurrent import LSTM
from plait.models import Sequential
from plait.preprocessing.sequence import pad_sequences
from plait.preprocessing.text import Tokenizer, tokenizer_from_json
from plait.utils import set_random_seed

set_random_seed(0)

positive = [
    "what a great movie",
    "i loved it",
    "wonderful acting and a great story",
    "best film of the year",
    "truly great fun",
]
negative = [
    "what a terrible movie",
    "i hated it",
    "awful acting and a boring story",
    "worst film of the year",
    "truly boring",
]
texts = positive * 8 + negative * 8
labels = np.array([1] * 40 + [0] * 40)

tokenizer = Tokenizer(num_words=50, oov_token="<OOV>")
tokenizer.fit_on_texts(texts)
assert tokenizer.word_index["<OOV>"] == 1
sequences = tokenizer.texts_to_sequences(texts)
x = pad_sequences(sequences, maxlen=8, padding="post")
assert x.shape == (80, 8) and x.dtype == np.int32

model = Sequential()
model.add(Embedding(50, 8, input_shape=(8,)))
model.add(LSTM(16))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x, labels, epochs=25, batch_size=16, verbose=0)
loss, accuracy = model.evaluate(x, labels, verbose=0)
assert accuracy > 0.9, accuracy

restored = tokenizer_from_json(tokenizer.to_json())
probe = pad_sequences(
    restored.texts_to_sequences(["a great story", "a boring story"]), maxlen=8, padding="post"
)
scores = model.predict(probe, verbose=0)
assert scores[0, 0] > scores[1, 0], scores
