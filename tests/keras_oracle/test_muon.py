"""Muon beyond the optimizer oracle table (tests/keras_oracle/test_optimizers.py): which
weights take the AdamW step in a real model, as Keras decides, and training a model."""

import numpy as np
import torch

import plait
from plait import layers, optimizers
from tests.keras_oracle.conftest import keras


def _plait_model():
    return plait.Sequential(
        [
            plait.Input((4,), dtype="int32"),
            layers.Embedding(10, 6, name="embedding"),
            layers.Flatten(name="flatten"),
            layers.Dense(8, name="hidden"),
            layers.Dense(3, name="output_dense"),
        ]
    )


def _keras_model():
    return keras.Sequential(
        [
            keras.Input((4,), dtype="int32"),
            keras.layers.Embedding(10, 6, name="embedding"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(8, name="hidden"),
            keras.layers.Dense(3, name="output_dense"),
        ]
    )


def _rules(opt, variables):
    # Keras's paths start with the model's name: "sequential/hidden/kernel"
    return {"/".join(v.path.split("/")[-2:]): opt._should_use_adamw(v) for v in variables}


def test_adamw_weights_as_kerass():
    for kwargs in ({}, {"exclude_layers": ["output_dense"]}, {"exclude_embeddings": False}):
        ours = _rules(optimizers.Muon(**kwargs), _plait_model().parameters())
        theirs = _rules(keras.optimizers.Muon(**kwargs), _keras_model().trainable_variables)
        assert ours == theirs, kwargs


def test_state_slots_only_where_keras_makes_them():
    model = _plait_model()
    opt = optimizers.Muon()
    opt.build(list(model.parameters()))
    kmodel = _keras_model()
    kopt = keras.optimizers.Muon()
    kopt.build(kmodel.trainable_variables)
    assert [tuple(v.shape) for v in opt.variables][2:] == [
        tuple(v.shape)[::-1] if len(v.shape) == 2 and "kernel" in v.path else tuple(v.shape)
        for v in kopt.variables[2:]
    ]


def test_fit_reduces_the_loss():
    plait.utils.set_random_seed(0)
    model = _plait_model()
    model.compile(optimizer=optimizers.Muon(learning_rate=0.02), loss="mse")
    x = np.random.randint(0, 10, size=(64, 4)).astype("int32")
    y = np.random.normal(size=(64, 3)).astype("float32")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_newton_schulz_orthogonalizes():
    opt = optimizers.Muon(ns_steps=10)
    x = torch.randn(4, 7, generator=torch.Generator().manual_seed(0))
    u = opt.zeropower_via_newtonschulz5(x, 10)
    singular = torch.linalg.svdvals(u)
    assert bool(((singular > 0.6) & (singular < 1.3)).all())
    assert optimizers.get("muon").__class__ is optimizers.Muon
