"""transformer: one AdamW step of a 2-layer pre-norm transformer encoder language model.

Embedding(256, 128) -> TransformerEncoder(2 x TransformerEncoderLayer(d_model 128, 4 heads, feed-forward
512, GELU, norm_first, dropout 0, batch_first)) under a causal mask -> logits through the tied embedding
matrix -> cross-entropy against the next token. Batch 16, sequence 64, float32, AdamW(lr=1e-3).
Dropout is 0 so that both libraries compute the same numbers.
"""
import numpy as np

from ._harness import data_rng, nn_class, shared_model

NAME = "transformer"
TITLE = "transformer: AdamW step, 2-layer pre-norm d128 h4 ff512, 16x64, f32"
TARGET = 1.3
UNIT = ("ms", 1e3)
VOCAB, D, HEADS, FF, LAYERS, BATCH, SEQ = 256, 128, 4, 512, 2, 16, 64


def build(lib):
    nn = lib.nn
    layer_cls = nn_class(lib, "TransformerEncoderLayer", "transformer")
    encoder_cls = nn_class(lib, "TransformerEncoder", "transformer")

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(VOCAB, D)
            nn.init.normal_(self.emb.weight, std=0.02)  # the usual scale for a tied embedding
            layer = layer_cls(D, HEADS, FF, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
            self.encoder = encoder_cls(layer, LAYERS, enable_nested_tensor=False)

        def forward(self, tokens, mask):
            h = self.encoder(self.emb(tokens), mask=mask, is_causal=True)
            return lib.nn.functional.linear(h, self.emb.weight)

    return LM()


def _data():
    seq = data_rng(NAME).integers(0, VOCAB, (BATCH, SEQ + 1))
    mask = np.triu(np.full((SEQ, SEQ), -np.inf, dtype=np.float32), 1)
    return np.ascontiguousarray(seq[:, :-1]), np.ascontiguousarray(seq[:, 1:]), mask


def setup(lib):
    model = shared_model(lib, build, NAME)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    tokens, targets, mask = (lib.from_numpy(a) for a in _data())
    targets = targets.reshape(-1)
    F = lib.nn.functional

    def step():
        opt.zero_grad()
        logits = model(tokens, mask)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets)
        loss.backward()
        opt.step()
        return loss

    return step
