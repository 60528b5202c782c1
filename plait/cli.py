"""The `plait` command: look at a saved model without writing a program.

    plait summary m.plait
    plait plot m.plait -o graph.png [--show-shapes] [--rankdir LR] ...

A thin layer of argparse over `plait.models.load_model`, `Model.summary` and
`plait.utils.plot_model`. Errors print one line to stderr and exit with status 1.
"""

import argparse
import sys

from plait.models import load_model
from plait.plotting import plot_model


def build_parser():
    parser = argparse.ArgumentParser(
        prog="plait", description="Inspect models saved with model.save('m.plait')."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    summary = commands.add_parser("summary", help="print the model's summary table")
    _add_model_argument(summary)
    summary.add_argument(
        "--line-length",
        type=int,
        default=None,
        help="width of the table (default: Keras's 65 or 100)",
    )

    plot = commands.add_parser("plot", help="draw the model's graph (PNG, SVG, PDF or DOT)")
    _add_model_argument(plot)
    plot.add_argument(
        "-o",
        "--output",
        default="model.png",
        help="the image to write; its extension picks the format (default: model.png)",
    )
    plot.add_argument("--show-shapes", action="store_true", help="show input/output shapes")
    plot.add_argument("--show-dtype", action="store_true", help="show output dtypes")
    plot.add_argument("--hide-layer-names", action="store_true", help="omit layer names")
    plot.add_argument(
        "--rankdir",
        default="TB",
        choices=["TB", "LR", "BT", "RL"],
        help="direction of the graph (default: TB, top to bottom)",
    )
    plot.add_argument(
        "--expand-nested",
        action="store_true",
        help="draw nested models as clusters of their layers",
    )
    plot.add_argument("--dpi", type=int, default=200, help="resolution (default: 200)")
    plot.add_argument("--show-layer-activations", action="store_true", help="show activations")
    plot.add_argument("--show-trainable", action="store_true", help="mark trainable layers")
    return parser


def _add_model_argument(parser):
    parser.add_argument("model", help="a .plait file written by model.save()")
    parser.add_argument(
        "--unsafe",
        action="store_true",
        help="allow layers whose config is code (Lambda): only for files you "
        "trust (safe_mode=False)",
    )


def main(argv=None):
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        model = load_model(args.model, compile=False, safe_mode=not args.unsafe)
        if args.command == "summary":
            model.summary(line_length=args.line_length)
        else:
            plot_model(
                model,
                to_file=args.output,
                show_shapes=args.show_shapes,
                show_dtype=args.show_dtype,
                show_layer_names=not args.hide_layer_names,
                rankdir=args.rankdir,
                expand_nested=args.expand_nested,
                dpi=args.dpi,
                show_layer_activations=args.show_layer_activations,
                show_trainable=args.show_trainable,
            )
            print(f"Wrote {args.output}")
    except (ValueError, TypeError, OSError) as err:
        message = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
        if "safe_mode" in message and not args.unsafe:
            message += " On the command line: add --unsafe."
        print(f"plait {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0
