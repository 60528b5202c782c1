"""The table of op calls the oracle tests run through both `keras.ops` (on its PyTorch
backend) and `plait.ops`: (op name, positional args, keyword args)."""

import numpy as np
import torch

rng = np.random.default_rng(0)
F = rng.uniform(0.1, 0.9, (3, 4)).astype("float32")  # floats in (0, 1)
G = rng.uniform(0.1, 0.9, (3, 4)).astype("float32")
I = rng.integers(1, 9, (3, 4)).astype("int32")  # small positive ints
J = rng.integers(1, 9, (3, 4)).astype("int32")
B = F > 0.5
N = rng.normal(size=(3, 4)).astype("float32")  # signed floats
V = rng.normal(size=(6,)).astype("float32")
SPD = (lambda a: a @ a.T + 3 * np.eye(3))(rng.normal(size=(3, 3))).astype("float32")
IMG = rng.uniform(0, 1, (2, 6, 8, 3)).astype("float32")  # channels-last images
SEQ = rng.normal(size=(2, 7, 3)).astype("float32")
NAN = np.where(F > 0.6, np.nan, F).astype("float32")

UNARY = (
    "abs absolute negative sign square sqrt rsqrt exp exp2 expm1 log log10 log1p log2 "
    "sin cos tan arcsin arccos arctan arcsinh arctanh sinh cosh tanh erf erfc erfinv sinc "
    "floor ceil trunc fabs reciprocal deg2rad rad2deg cbrt isfinite isinf isnan isneginf "
    "isposinf signbit logical_not conj conjugate real copy ravel relu relu6 sigmoid "
    "softplus softsign silu swish log_sigmoid hard_sigmoid hard_silu hard_swish selu "
    "tanh_shrink hard_tanh elu celu gelu leaky_relu sparse_plus sparse_sigmoid squareplus "
    "softmax log_softmax glu hard_shrink soft_shrink transpose flip fliplr flipud "
    "sort argsort nonzero ndim size zeros_like ones_like empty_like diag diagonal trace "
    "tril triu rot90 shape cumsum cumprod diff"
).split()
VALUES_ARBITRARY = {"empty_like", "empty"}  # compared by shape and dtype only
# Compared with NumPy, where Keras 3.15 on PyTorch departs from NumPy (cross without `axis`
# uses the first axis of size 3; symmetric padding repeats the edge).
NUMPY = [
    ("cross", (F[:, :3], G[:, :3]), {}),
    ("cross", (V[:3], V[3:]), {}),
    ("pad", (F, ((1, 1), (2, 0))), {"mode": "symmetric"}),
    ("sparsemax", (N,), {}),
    ("unstack", (F,), {"axis": 1}),
    ("stop_gradient", (F,), {}),
    ("pad", (I, ((0, 2), (1, 1))), {"mode": "edge"}),
    ("pad", (F, ((1, 0), (0, 2))), {"mode": "wrap"}),
    ("average_pool", (IMG, 3), {"strides": 2, "padding": "same"}),
    ("imag", (F,), {}),
]
# Ops Keras 3.15 on PyTorch cannot run on int inputs (plait computes them in floatx).
NO_INT = set(
    "softplus silu swish log_sigmoid hard_sigmoid hard_silu hard_swish selu elu celu "
    "leaky_relu softmax log_softmax imag".split()
)
REDUCE = (
    "sum prod mean max min amax amin all any std var median logsumexp nansum nanmean "
    "nanprod nanmax nanmin nanvar nanstd nanmedian ptp argmax argmin nanargmax "
    "nanargmin count_nonzero"
).split()
BINARY = (
    "add subtract multiply divide true_divide maximum minimum power mod fmod floor_divide "
    "arctan2 hypot logaddexp logaddexp2 equal not_equal greater greater_equal less "
    "less_equal logical_and logical_or logical_xor fmax fmin heaviside divide_no_nan "
    "isclose matmul_t dot_t inner outer kron_skip"
).split()
INT_BINARY = "bitwise_and bitwise_or bitwise_xor left_shift right_shift gcd lcm".split()


def cases():
    out = []
    for name in UNARY:
        out += [
            (
                name,
                (
                    N
                    if name
                    not in (
                        "arccos",
                        "arcsin",
                        "arctanh",
                        "log",
                        "sqrt",
                        "log10",
                        "log2",
                        "rsqrt",
                        "erfinv",
                        "reciprocal",
                    )
                    else F,
                ),
                {},
            )
        ]
        if name not in NO_INT | {"erfinv", "glu", "gelu", "hard_shrink", "soft_shrink"}:
            out += [(name, (I,), {})]
    out += [
        ("bitwise_invert", (I,), {}),
        ("bitwise_not", (I,), {}),
        ("sign", (B,), {}),
        ("abs", (B,), {}),
        ("square", (B,), {}),
        ("i0", (F,), {}),
        ("angle", (N,), {}),
    ]
    for name in REDUCE:
        for x in (N, I):
            out += [(name, (x,), {}), (name, (x,), {"axis": 1})]
            if name != "count_nonzero":
                out += [(name, (x,), {"axis": 0, "keepdims": True})]
            if name not in (
                "argmax",
                "argmin",
                "nanargmax",
                "nanargmin",
                "count_nonzero",
                "median",
                "nanmedian",
            ):
                out += [(name, (x,), {"axis": (0, 1)})]
        out += [(name, (NAN,), {"axis": 1})]
    for name in ("sum", "mean", "max", "any", "all", "prod", "argmax"):
        out += [(name, (B,), {})]
    for name in ("cumsum", "cumprod", "nancumsum", "nancumprod"):
        out += [(name, (N,), {"axis": 1}), (name, (I,), {"axis": 0}), (name, (NAN,), {})]
    for name in BINARY:
        if name.endswith("_skip"):
            continue
        name = name.removesuffix("_t")
        f2 = G.T if name in ("matmul", "dot") else G
        i2 = J.T if name in ("matmul", "dot") else J
        out += [(name, (F, f2), {}), (name, (I, i2), {})]
        if name not in ("matmul", "dot", "inner", "outer"):
            out += [(name, (I, 2), {}), (name, (F, 2), {}), (name, (N, F[0]), {})]
    for name in INT_BINARY:
        out += [(name, (I, J), {}), (name, (I, 2), {})]
    return out + SPECIAL


SPECIAL = [
    ("clip", (N, -0.5, 0.5), {}),
    ("clip", (I, 2, 5), {}),
    ("clip", (B, 0, 1), {}),
    ("round", (N * 10,), {}),
    ("round", (N,), {"decimals": 2}),
    ("round", (I,), {}),
    ("nan_to_num", (NAN,), {}),
    ("nan_to_num", (NAN,), {"nan": -1.0}),
    ("ldexp", (F, J), {}),
    ("average", (N,), {}),
    ("average", (N,), {"axis": 1, "weights": F[0]}),
    ("arange", (5,), {}),
    ("arange", (1, 7, 2), {}),
    ("arange", (0.0, 1.0, 0.25), {}),
    ("array", ([[1, 2], [3, 4]],), {}),
    ("array", ([1.5, 2.0],), {}),
    ("zeros", ((2, 3),), {}),
    ("ones", ((2,),), {"dtype": "int32"}),
    ("full", ((2, 2), 7), {}),
    ("full", ((2, 2), 1.5), {}),
    ("full_like", (I, 3), {}),
    ("eye", (3,), {}),
    ("eye", (3, 4), {"k": 1}),
    ("eye", (4, 3), {"k": -1}),
    ("identity", (3,), {}),
    ("tri", (3,), {}),
    ("tri", (3, 4, 1), {}),
    ("linspace", (0.0, 1.0, 5), {}),
    ("linspace", (0, 10, 4), {"endpoint": False}),
    ("logspace", (0.0, 2.0, 3), {}),
    ("geomspace", (1.0, 100.0, 3), {}),
    ("bartlett", (5,), {}),
    ("blackman", (5,), {}),
    ("hamming", (5,), {}),
    ("hanning", (5,), {}),
    ("kaiser", (5, 2.0), {}),
    ("reshape", (F, (4, 3)), {}),
    ("reshape", (F, (-1,)), {}),
    ("expand_dims", (F, 1), {}),
    ("expand_dims", (F, (0, 3)), {}),
    ("squeeze", (F[None],), {}),
    ("squeeze", (F[None],), {"axis": 0}),
    ("transpose", (IMG,), {"axes": (0, 3, 1, 2)}),
    ("swapaxes", (IMG, 1, 3), {}),
    ("moveaxis", (IMG, 3, 1), {}),
    ("broadcast_to", (F[0], (2, 4)), {}),
    ("tile", (F, (2, 1)), {}),
    ("repeat", (F, 2), {}),
    ("repeat", (F, 2), {"axis": 1}),
    ("flip", (F,), {"axis": 1}),
    ("roll", (F, 1), {}),
    ("roll", (F, 1), {"axis": 1}),
    ("rot90", (F,), {"k": 2}),
    ("pad", (F, ((1, 1), (2, 0))), {}),
    ("pad", (F, ((1, 1), (1, 1))), {"constant_values": 5}),
    ("pad", (F, ((1, 1), (2, 0))), {"mode": "reflect"}),
    ("concatenate", ([F, G],), {}),
    ("concatenate", ([F, I],), {"axis": 1}),
    ("append", (F, G), {}),
    ("append", (F, G), {"axis": 0}),
    ("stack", ([F, G],), {"axis": 1}),
    ("hstack", ([F, G],), {}),
    ("vstack", ([F, G],), {}),
    ("dstack", ([F, G],), {}),
    ("split", (F, 2), {"axis": 1}),
    ("split", (F, [1, 2]), {}),
    ("array_split", (F, 3), {"axis": 1}),
    ("hsplit", (F, 2), {}),
    ("vsplit", (F, 3), {}),
    ("dsplit", (IMG[0], 3), {}),
    ("meshgrid", (V[:3], V[:2]), {}),
    ("meshgrid", (V[:3], V[:2]), {"indexing": "ij"}),
    ("take", (F, [0, 2]), {}),
    ("take", (F, [[0, 2]]), {"axis": 1}),
    ("take", (F, [-1]), {"axis": 0}),
    ("take_along_axis", (F, np.argsort(F, axis=1)), {"axis": 1}),
    ("where", (B, F, G), {}),
    ("where", (B, I, 0.5), {}),
    ("where", (B,), {}),
    ("select", ([F < 0.3, F > 0.7], [F, G]), {}),
    ("isin", (I, [1, 2, 3]), {}),
    ("unravel_index", (np.array([1, 5, 7], dtype="int32"), (3, 4)), {}),
    ("sort", (N,), {"axis": 0}),
    ("argsort", (N,), {"axis": 0}),
    ("searchsorted", (np.sort(V), F[0]), {}),
    ("searchsorted", (np.sort(V), F[0]), {"side": "right"}),
    ("digitize", (F[0], np.array([0.2, 0.5, 0.8], dtype="float32")), {}),
    ("unique", (np.array([3, 1, 3, 2], dtype="int32"),), {}),
    (
        "unique",
        (np.array([3, 1, 3, 2], dtype="int32"),),
        {"return_counts": True, "return_inverse": True},
    ),
    ("bincount", (np.array([0, 1, 1, 3], dtype="int32"),), {}),
    ("bincount", (np.array([0, 1, 1, 3], dtype="int32"),), {"weights": V[:4], "minlength": 6}),
    ("histogram", (V,), {"bins": 4}),
    ("dot", (V, V), {}),
    ("dot", (IMG, F), {"_skip_": 1}),
    ("tensordot", (F, G.T), {"axes": 1}),
    ("tensordot", (F, G), {"axes": ([0, 1], [0, 1])}),
    ("einsum", ("ij,kj->ik", F, G), {}),
    ("einsum", ("ij,kj->ik", I, J), {}),
    ("kron", (F[:2, :2], G[:2, :2]), {}),
    ("trace", (I,), {}),
    ("diagonal", (IMG[0],), {"offset": 1, "axis1": 0, "axis2": 1}),
    ("diag", (V,), {"k": 1}),
    ("diagflat", (F[:2, :2],), {}),
    ("vander", (V[:3],), {}),
    ("vander", (V[:3],), {"N": 4, "increasing": True}),
    ("vander", (I[0, :3],), {}),
    ("diff", (N,), {"n": 2, "axis": 0}),
    ("trapezoid", (N,), {}),
    ("trapezoid", (N,), {"dx": 0.5, "axis": 0}),
    ("correlate", (V, V[:3]), {}),
    ("correlate", (V, V[:3]), {"mode": "same"}),
    ("correlate", (V, V[:3]), {"mode": "full"}),
    ("corrcoef", (F,), {}),
    ("quantile", (N, 0.3), {}),
    ("quantile", (N, [0.25, 0.75]), {"axis": 1}),
    ("percentile", (N, 40), {"axis": 0, "keepdims": True}),
    ("nanquantile", (NAN, 0.5), {"axis": 1}),
    ("nanpercentile", (NAN, 50), {}),
    ("allclose", (F, F + 1e-9), {}),
    ("slogdet", (SPD,), {}),
    ("count_nonzero", (I - 4,), {}),
    ("cast", (F, "int32"), {}),
    ("cast", (I, "float16"), {}),
    ("saturate_cast", (N * 1000, "int8"), {}),
    ("saturate_cast", (I * 100, "uint8"), {}),
    ("convert_to_tensor", (F,), {}),
    ("convert_to_tensor", ([1, 2],), {}),
    ("convert_to_tensor", (2.5,), {}),
    ("convert_to_tensor", (I,), {"dtype": "float32"}),
    (
        "scatter",
        (np.array([[0, 1], [2, 3], [0, 1]]), np.array([1.0, 2.0, 3.0], dtype="float32"), (3, 4)),
        {},
    ),
    ("scatter_update", (F, np.array([[0, 1], [2, 3]]), np.array([9.0, 8.0], dtype="float32")), {}),
    ("slice", (F, (1, 1), (2, 2)), {}),
    ("slice_update", (F, (1, 1), np.zeros((2, 2), "float32")), {}),
    ("dtype", (I,), {}),
    ("is_tensor", (F,), {}),
    ("is_tensor", (torch.ones(2),), {}),
    ("one_hot", (np.array([0, 2, -1, 1]), 3), {}),
    ("one_hot", (np.array([[0, 2]]), 3), {"axis": 1}),
    ("multi_hot", (np.array([[0, 2], [1, 1]]), 4), {}),
    ("moments", (N, [0]), {}),
    ("moments", (N, [0, 1]), {"keepdims": True}),
    ("batch_normalization", (N, F[0], G[0] + 0.5, -1), {"offset": V[:4], "scale": F[1]}),
    ("normalize", (N,), {}),
    ("normalize", (N,), {"axis": 0, "order": 1}),
    ("layer_normalization", (N,), {}),
    ("rms_normalization", (N,), {}),
    ("psnr", (F, G, 1.0), {}),
    ("polar", (F, G), {"_skip_": 1}),
    ("softmax", (N,), {"axis": 0}),
    ("softmax", (IMG,), {"axis": (1, 2)}),
    ("log_softmax", (N,), {"axis": 0}),
    ("leaky_relu", (N,), {"negative_slope": 0.1}),
    ("elu", (N,), {"alpha": 0.5}),
    ("gelu", (N,), {"approximate": False}),
    ("threshold", (N, 0.1, -2.0), {}),
    ("squareplus", (N,), {"b": 1}),
    ("hard_shrink", (N,), {"threshold": 0.2}),
    ("binary_crossentropy", (B.astype("float32"), F), {}),
    ("binary_crossentropy", (B.astype("float32"), N), {"from_logits": True}),
    ("categorical_crossentropy", (np.eye(4, dtype="float32")[[0, 1, 3]], F), {}),
    ("categorical_crossentropy", (np.eye(4, dtype="float32")[[0, 1, 3]], N), {"from_logits": True}),
    ("sparse_categorical_crossentropy", (np.array([0, 1, 3]), F), {}),
    ("sparse_categorical_crossentropy", (np.array([0, 1, 3]), N), {"from_logits": True}),
    ("conv", (IMG, rng.normal(size=(3, 3, 3, 5)).astype("float32")), {}),
    (
        "conv",
        (IMG, rng.normal(size=(3, 2, 3, 5)).astype("float32")),
        {"strides": 2, "padding": "same"},
    ),
    (
        "conv",
        (SEQ, rng.normal(size=(2, 3, 4)).astype("float32")),
        {"dilation_rate": 2, "padding": "same"},
    ),
    ("depthwise_conv", (IMG, rng.normal(size=(3, 3, 3, 2)).astype("float32")), {"padding": "same"}),
    (
        "separable_conv",
        (
            IMG,
            rng.normal(size=(3, 3, 3, 2)).astype("float32"),
            rng.normal(size=(1, 1, 6, 4)).astype("float32"),
        ),
        {"strides": 2},
    ),
    ("conv_transpose", (IMG, rng.normal(size=(3, 3, 5, 3)).astype("float32")), {"strides": 2}),
    (
        "conv_transpose",
        (IMG, rng.normal(size=(3, 3, 5, 3)).astype("float32")),
        {"strides": 2, "padding": "same"},
    ),
    (
        "conv_transpose",
        (IMG, rng.normal(size=(4, 4, 5, 3)).astype("float32")),
        {"strides": 2, "padding": "same"},
    ),
    (
        "conv_transpose",
        (SEQ, rng.normal(size=(3, 2, 3)).astype("float32")),
        {"strides": 3, "output_padding": 1},
    ),
    ("max_pool", (IMG, 2), {}),
    ("max_pool", (IMG, 3), {"strides": 2, "padding": "same"}),
    ("average_pool", (IMG, 2), {}),
    ("average_pool", (IMG, 3), {"strides": 1, "padding": "same"}),
    ("average_pool", (SEQ, 2), {"strides": 1}),
    ("adaptive_average_pool", (IMG, (3, 4)), {}),
    ("adaptive_max_pool", (IMG, (2, 2)), {}),
    ("depth_to_space", (rng.normal(size=(1, 2, 3, 8)).astype("float32"), 2), {}),
    ("space_to_depth", (IMG[:, :, :, :], 2), {}),
    (
        "dot_product_attention",
        (SEQ[:, :, None].repeat(2, 2), SEQ[:, :, None].repeat(2, 2), SEQ[:, :, None].repeat(2, 2)),
        {},
    ),
    (
        "dot_product_attention",
        (SEQ[:, :, None], SEQ[:, :, None], SEQ[:, :, None]),
        {"is_causal": True},
    ),
    ("top_k", (N, 2), {}),
    ("in_top_k", (np.array([0, 1, 3]), F, 2), {}),
    ("segment_sum", (F, np.array([0, 0, 1])), {}),
    ("segment_max", (F, np.array([0, 1, 1])), {"num_segments": 3}),
    ("segment_min", (I, np.array([0, 1, 1])), {}),
    ("segment_prod", (F, np.array([1, 1, 0])), {}),
    ("logsumexp", (N,), {"axis": 0}),
    ("logdet", (SPD,), {}),
    ("erf", (N,), {}),
    ("rsqrt", (F,), {}),
    ("fft", ((F, G),), {}),
    ("fft2", ((F, G),), {}),
    ("ifft2", ((F, G),), {}),
    ("rfft", (F,), {}),
    ("rfft", (F,), {"fft_length": 6}),
    ("irfft", ((F, G),), {}),
    ("stft", (np.tile(V, 4), 8, 4, 8), {}),
    ("stft", (np.tile(V, 4), 6, 3, 8), {"center": False}),
    ("extract_sequences", (np.tile(V, 2), 4, 3), {}),
    ("view_as_real", (F,), {"_skip_": 1}),
    ("arccosh", (F + 1,), {}),
    ("bitwise_left_shift", (I, J % 3), {}),
    ("bitwise_right_shift", (I * 8, J % 3), {}),
    ("get_item", (F, 1), {}),
    ("get_item", (F, (slice(0, 2), [0, 3])), {}),
    ("isreal", (F,), {}),
    ("nextafter", (F, G), {}),
    ("empty", ((2, 3),), {}),
    ("view", (F, "int32"), {}),
    ("view_as_complex", (F[:, :2],), {}),
    ("vdot", (V, V), {}),
    ("lu_factor", (SPD,), {}),
    ("argpartition", (V[:1], 0), {}),
    ("istft", ((np.ones((2, 5), "float32"), np.zeros((2, 5), "float32")), 8, 4, 8), {}),
    (
        "ctc_loss",
        (
            np.array([[1, 2, 2]]),
            rng.normal(size=(1, 8, 4)).astype("float32"),
            np.array([3]),
            np.array([8]),
        ),
        {},
    ),
    ("cdist", (F, G[:2]), {}),
    ("cholesky", (SPD,), {}),
    ("det", (SPD,), {}),
    ("inv", (SPD,), {}),
    ("eigh", (SPD,), {}),
    ("norm", (N,), {}),
    ("norm", (N,), {"axis": 1}),
    ("norm", (N,), {"ord": 1, "axis": 1, "keepdims": True}),
    ("norm", (SPD,), {"ord": "fro"}),
    ("norm", (SPD,), {"ord": 2}),
    ("pinv", (F,), {}),
    ("qr", (F,), {}),
    ("solve", (SPD, F[:, :3].T), {}),
    ("solve_triangular", (np.tril(SPD), F[:, :3].T), {"lower": True}),
    ("svd", (F,), {"compute_uv": False}),
    ("lstsq", (SPD, V[:3]), {}),
    ("matrix_rank", (F,), {}),
    ("cholesky_inverse", (np.linalg.cholesky(SPD),), {}),
]

IMAGE = [
    ("resize", (IMG, (3, 4)), {}),
    ("resize", (IMG, (9, 10)), {"interpolation": "nearest"}),
    ("resize", (IMG, (4, 4)), {"crop_to_aspect_ratio": True}),
    ("resize", (IMG, (9, 10)), {"interpolation": "bicubic"}),
    ("pad_images", (IMG, 1, 2), {"target_height": 9, "target_width": 12}),
    ("crop_images", (IMG, 1, 2), {"target_height": 3, "target_width": 4}),
    ("rgb_to_grayscale", (IMG,), {}),
    ("rgb_to_hsv", (IMG,), {}),
    ("hsv_to_rgb", (IMG,), {}),
    ("extract_patches", (IMG, 2), {}),
    ("extract_patches", (IMG, (3, 2)), {"strides": 1, "padding": "same"}),
    ("affine_transform", (IMG, np.array([[1, 0, 1, 0, 1, -1, 0, 0]] * 2, "float32")), {}),
]
