"""What CIFAR-10 and CIFAR-100 share: reading one pickled batch file safely."""

from plait.datasets._common import RestrictedUnpickler, reading

__all__ = ["load_batch"]


def load_batch(fpath, label_key="labels"):
    """One CIFAR batch file as `(data, labels)`: data `(n, 3, 32, 32)` uint8.

    The file is a Python pickle; it is read with an unpickler that builds only numpy
    arrays, dicts, lists and plain values, so a crafted file cannot run code; a damaged
    file raises ValueError naming it.
    """
    with reading(fpath), open(fpath, "rb") as f:
        raw = RestrictedUnpickler(f, encoding="bytes").load()
        batch = {(k.decode("utf8") if isinstance(k, bytes) else k): v for k, v in raw.items()}
        data = batch["data"]
        return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]
