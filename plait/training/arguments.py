"""The checks of fit/evaluate/predict's arguments, with Keras's errors (`Received: name=value`)."""

import numbers

from plait.utils.progbar import is_interactive

__all__ = ["resolve_verbose", "check_batch_size", "check_optional_steps", "check_fit_arguments"]


def resolve_verbose(verbose):
    if verbose == "auto":
        return 1 if is_interactive() else 2
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return int(verbose)


def check_batch_size(value, argument):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{argument}` must be a positive integer. Received: {argument}={value!r}")
    if value < 1:
        raise ValueError(f"`{argument}` must be a positive integer. Received: {argument}={value!r}")


def _check_positive_int(value, argument, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{argument}` must be an integer. Received: {argument}={value!r}")
    if value < (0 if allow_zero else 1):
        raise ValueError(
            f"`{argument}` must be {'>= 0' if allow_zero else 'positive'}. "
            f"Received: {argument}={value!r}"
        )


def check_optional_steps(value, argument):
    if value is not None:
        _check_positive_int(value, argument)


def check_fit_arguments(
    epochs,
    batch_size,
    validation_batch_size,
    steps_per_epoch,
    validation_steps,
    validation_freq,
    shuffle,
):
    _check_positive_int(epochs, "epochs", allow_zero=True)
    check_batch_size(batch_size, "batch_size")
    check_batch_size(validation_batch_size, "validation_batch_size")
    check_optional_steps(steps_per_epoch, "steps_per_epoch")
    check_optional_steps(validation_steps, "validation_steps")
    _check_validation_freq(validation_freq)
    if shuffle not in (True, False, "batch"):
        raise ValueError(f"`shuffle` must be True, False or 'batch'. Received: shuffle={shuffle!r}")


def _check_validation_freq(value):
    if isinstance(value, bool):
        raise TypeError(
            f"`validation_freq` must be an integer or a list of epochs. "
            f"Received: validation_freq={value!r}"
        )
    if isinstance(value, numbers.Integral):
        if value < 1:
            raise ValueError(
                f"`validation_freq` must be a positive integer. Received: validation_freq={value!r}"
            )
        return
    if not hasattr(value, "__contains__"):
        raise TypeError(
            f"`validation_freq` must be an integer or a list of epochs. "
            f"Received: validation_freq={value!r}"
        )
