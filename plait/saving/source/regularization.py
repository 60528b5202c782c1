"""Source writers (`to_source`) of the regularization (the dropout and noise layers,
ActivityRegularization: the identity at inference).
"""

from plait.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from plait.saving.source.writer import writes

__all__ = []


@writes(
    Dropout,
    ActivityRegularization,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    GaussianNoise,
    GaussianDropout,
)
def _inference_identity(ctx, layer, attr, x, shape, kwargs):
    return x  # identity at inference (the ejected module computes inference)
