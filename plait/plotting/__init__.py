"""Plotting: a model's graph (`plot_model`, `model_to_dot`) and training curves
(`plot_history`), drawn without Graphviz or matplotlib.

- `layout.py`: layered (Sugiyama-style) placement of boxes and routed edges.
- `draw.py`: the abstract `Diagram` (boxes, clusters, arrows) and its writers: PNG (Pillow,
  with its bundled font), SVG and PDF (vector: text and lines), Graphviz DOT.
- `pdf.py`: the small vector PDF writer the PDF output uses.
- `model_plot.py`: a model as a `Diagram` (`plot_model`, `model_to_dot`).
- `history.py`: `plot_history`, the curves of a `History`.

Keras's names stay where Keras has them: `plait.utils.plot_model`, `model_to_dot` and
`plot_history` are lazy re-exports of these.

    from plait.utils import plot_model
    plot_model(model, to_file="model.pdf", show_shapes=True)
"""

from plait.plotting.history import plot_history
from plait.plotting.model_plot import model_to_dot, plot_model

__all__ = ["model_to_dot", "plot_history", "plot_model"]
