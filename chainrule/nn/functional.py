"""chainrule.nn.functional: PyTorch's ``torch.nn.functional``.

The functions live in ``chainrule/nn/_functional/``, one module per family; this module only
gathers them.

>>> import chainrule.nn.functional as F
>>> F.relu(chainrule.tensor([-1., 2.]))
tensor([0., 2.])
"""
# Convolutions and im2col
from ._functional.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, fold,
                               unfold)
# Linear maps
from ._functional.linear import (bilinear, linear)
# Pooling
from ._functional.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,
                                  avg_pool1d, avg_pool2d, avg_pool3d, lp_pool1d, lp_pool2d, max_pool1d, max_pool2d,
                                  max_pool3d)
# Normalization
from ._functional.normalization import (batch_norm, group_norm, instance_norm, layer_norm, local_response_norm,
                                        normalize, rms_norm)
# Activations
from ._functional.activation import (celu, celu_, elu, elu_, gelu, glu, gumbel_softmax, hardshrink, hardsigmoid,
                                     hardswish, hardtanh, hardtanh_, leaky_relu, leaky_relu_, log_softmax, logsigmoid,
                                     mish, prelu, relu, relu6, relu_, rrelu, rrelu_, selu, selu_, sigmoid, silu,
                                     softmax, softmin, softplus, softshrink, softsign, tanh, tanhshrink, threshold,
                                     threshold_)
# Dropout
from ._functional.dropout import (alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout)
# Embeddings
from ._functional.sparse import (embedding, one_hot)
# Distances
from ._functional.distance import (cosine_similarity, pairwise_distance, pdist)
# Attention
from ._functional.attention import (scaled_dot_product_attention)
# Padding, resampling and pixel rearrangement
from ._functional.vision import (channel_shuffle, interpolate, pad, pixel_shuffle, pixel_unshuffle, upsample,
                                 upsample_bilinear, upsample_nearest)
# Losses
from ._functional.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss,
                               cross_entropy, gaussian_nll_loss, hinge_embedding_loss, huber_loss, kl_div, l1_loss,
                               margin_ranking_loss, mse_loss, multi_margin_loss, multilabel_margin_loss,
                               multilabel_soft_margin_loss, nll_loss, poisson_nll_loss, smooth_l1_loss,
                               soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss)

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "fold", "unfold",
    "bilinear", "linear", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "avg_pool2d", "avg_pool3d", "lp_pool1d", "lp_pool2d", "max_pool1d", "max_pool2d", "max_pool3d",
    "batch_norm", "group_norm", "instance_norm", "layer_norm", "local_response_norm", "normalize", "rms_norm", "celu",
    "celu_", "elu", "elu_", "gelu", "glu", "gumbel_softmax", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
    "hardtanh_", "leaky_relu", "leaky_relu_", "log_softmax", "logsigmoid", "mish", "prelu", "relu", "relu6", "relu_",
    "rrelu", "rrelu_", "selu", "selu_", "sigmoid", "silu", "softmax", "softmin", "softplus", "softshrink", "softsign",
    "tanh", "tanhshrink", "threshold", "threshold_", "alpha_dropout", "dropout", "dropout1d", "dropout2d",
    "dropout3d", "feature_alpha_dropout", "embedding", "one_hot", "cosine_similarity", "pairwise_distance", "pdist",
    "scaled_dot_product_attention", "channel_shuffle", "interpolate", "pad", "pixel_shuffle", "pixel_unshuffle",
    "upsample", "upsample_bilinear", "upsample_nearest", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cosine_embedding_loss", "cross_entropy", "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss", "kl_div",
    "l1_loss", "margin_ranking_loss", "mse_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "nll_loss", "poisson_nll_loss", "smooth_l1_loss", "soft_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss"
]


def __getattr__(name):
    # multi_head_attention_forward lives with nn.MultiheadAttention (imported after this module)
    if name == "multi_head_attention_forward":
        from .modules.activation_attention import multi_head_attention_forward
        return multi_head_attention_forward
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
