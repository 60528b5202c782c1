"""Times plot_model on a 500-layer model (target: under 2 s for the PNG).

The model is a deep residual-style stack: blocks of Dense -> Dense with an Add around them,
so the layout has long edges and merges to route, not only a chain.

    .venv/bin/python bench/bench_plot.py [--layers 500] [--repeat 3]
"""

import argparse
import os
import tempfile
import time

import plait
from plait import Input, Model
from plait.layers import Concatenate, Dense
from plait.utils import model_to_dot, plot_model


def build(layers):
    """A model of exactly `layers` layers (InputLayer included): blocks of
    Dense -> Dense whose output is concatenated with the block's input, then a Dense."""
    inputs = x = Input(shape=(32,))
    count = 1
    while count + 4 <= layers:
        h = Dense(32, activation="relu")(x)
        h = Dense(32)(h)
        x = Dense(32)(Concatenate()([x, h]))
        count += 4
    while count < layers:
        x = Dense(32)(x)
        count += 1
    return Model(inputs, x)


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layers", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plait.backend.clear_session()
    model = build(args.layers)
    print(f"model: {len(model.layers)} layers")
    with tempfile.TemporaryDirectory() as folder:
        for ext, kwargs in (
            ("png", {}),
            ("png", {"show_shapes": True}),
            ("svg", {}),
            ("pdf", {}),
            ("dot", {}),
        ):
            path = os.path.join(folder, "model." + ext)
            seconds = best_of(args.repeat, lambda: plot_model(model, to_file=path, **kwargs))
            extra = " show_shapes=True" if kwargs else ""
            print(
                f"plot_model .{ext}{extra:<17} {seconds:6.3f} s  {os.path.getsize(path) / 1e3:8.0f} kB"
            )
    seconds = best_of(args.repeat, lambda: model_to_dot(model))
    print(f"model_to_dot            {seconds:6.3f} s")


if __name__ == "__main__":
    main()
