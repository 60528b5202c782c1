# Recurrent Neural Network: 100 steps of one feature, an LSTM, a binary output.
from plait.utils import plot_model
from plait.models import Model
from plait.layers import Input
from plait.layers import Dense
from plait.layers.recurrent import LSTM
visible = Input(shape=(100,1))
hidden1 = LSTM(10)(visible)
hidden2 = Dense(10, activation='relu')(hidden1)
output = Dense(1, activation='sigmoid')(hidden2)
model = Model(inputs=visible, outputs=output)
# summarize layers
print(model.summary())
# plot graph
plot_model(model, to_file='recurrent_neural_network.png')
