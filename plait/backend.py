"""Keras's `backend` module, as far as plait has one."""
from plait.utils.naming import reset_names


def clear_session():
    """Reset the automatic layer-name counters, so the next Dense is `dense_1` again."""
    reset_names()
