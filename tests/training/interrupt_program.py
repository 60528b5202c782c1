"""A Keras-style training script that tests/training/test_faults_interrupt.py runs, stops
with SIGINT (Ctrl-C) mid-fit, and runs again to resume:

    python interrupt_program.py WORK_DIR

It trains for 4 epochs with BackupAndRestore (WORK_DIR/backup) and ModelCheckpoint
(WORK_DIR/checkpoint.keras). A layer sleeps a little in each training step, so a signal lands
inside a step; once epoch 1 is under way the script writes WORK_DIR/ready. On Ctrl-C it
catches the KeyboardInterrupt (as a notebook user would), writes WORK_DIR/interrupted.json
(the epochs done, the optimizer's step count, the training flags) and exits with status 3.
A run that finishes writes WORK_DIR/final.json (the epochs it ran, the final weights).
"""

import json
import os
import sys
import time

import numpy as np

import plait
from plait import callbacks, layers

work = sys.argv[1]
plait.utils.set_random_seed(7)


class SlowIdentity(layers.Layer):
    """Sleeps in training, so that a Ctrl-C lands inside a step."""

    def call(self, inputs, training=None):
        if training:
            time.sleep(0.02)
        return inputs


class Ready(callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2 and self.model.history.epoch == [0]:
            with open(os.path.join(work, "ready"), "w") as f:
                f.write("ready")


x = np.random.RandomState(0).rand(256, 6).astype("float32")
y = (x @ np.arange(6, dtype="float32")[:, None] > 7.5).astype("float32")

model = plait.Sequential(
    [
        layers.Input((6,)),
        layers.Dense(16, activation="relu"),
        layers.BatchNormalization(),
        layers.Dropout(0.2),
        SlowIdentity(),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
ended = []  # on_train_end's logs
try:
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=4,
        verbose=0,
        callbacks=[
            callbacks.BackupAndRestore(os.path.join(work, "backup")),
            callbacks.ModelCheckpoint(os.path.join(work, "checkpoint.keras")),
            Ready(),
            callbacks.LambdaCallback(on_train_end=lambda logs: ended.append(sorted(logs))),
        ],
    )
except KeyboardInterrupt:
    report = {
        "epochs": model.history.epoch,
        "iterations": int(model.optimizer.iterations),
        "training": [m.training for m in model.modules()],
        "finite": all(bool(np.isfinite(w).all()) for w in model.get_weights()),
        "ended": ended,
    }
    with open(os.path.join(work, "interrupted.json"), "w") as f:
        json.dump(report, f)
    sys.exit(3)
with open(os.path.join(work, "final.json"), "w") as f:
    json.dump({"epochs": history.epoch, "weights": [w.tolist() for w in model.get_weights()]}, f)
