"""`model.to_source("my_model.py")`: the model as a standalone, readable PyTorch file.

The file holds one `nn.Module` class per model (nested models get their own), whose
`__init__` creates plain `torch.nn` modules (`nn.Linear`, `nn.Conv2d`, `nn.LSTM`) and whose
`forward` is straight-line code with `torch` / `torch.nn.functional` calls, one line per
layer call, in the channels-last layout plait (and Keras) use. The weights go next to it as
`my_model.safetensors`, and the file carries a small safetensors reader, so it needs nothing
but torch:

    from my_model import load_model
    model = load_model()              # reads my_model.safetensors beside the file
    y = model(x)

`writer.py` writes the classes; each layer family's writers live in the module of the
family's name here and register by class (`@writes(Dense)`).
"""

from plait.saving.source import (  # noqa: F401  (each registers its family's writers)
    activation,
    convolutional,
    core,
    merge,
    normalization,
    pooling,
    recurrent,
    regularization,
    reshaping,
    torch_ops,
    wrappers,
)
from plait.saving.source.writer import (  # noqa: F401
    SourceError,
    to_source,
    write_source,
    writer_for,
    writes,
)

__all__ = ["SourceError", "to_source", "write_source", "writer_for", "writes"]
