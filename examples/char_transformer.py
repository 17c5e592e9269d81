"""A small character-level transformer language model, trained on ten of Shakespeare's sonnets.

The text (``examples/data/sonnets.txt``, public domain) is split into characters. The model
embeds each character and its position, runs them through ``nn.TransformerEncoder`` (pre-norm
layers) with a causal mask so that position ``t`` sees only positions ``<= t``, and reads the
next-character logits off the output with a linear layer that shares its weight with the
character embedding (weight tying). It is trained with AdamW on random windows of the text;
the last 10% of the text is held out for a validation loss. Finally it writes a sample.

    python examples/char_transformer.py [--steps N] [--quick] [--prompt TEXT]
"""
from __future__ import annotations

import os

# These models multiply small matrices, where one BLAS thread is fastest and a busy machine
# makes more threads much slower. This must run before NumPy is first imported; a value you
# set yourself wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import chainrule as torch  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.nn import functional as F  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sonnets.txt")


def load_text(path=DATA):
    with open(path, encoding="utf-8") as f:
        return "".join(line for line in f if not line.startswith("#"))


class CharTransformer(nn.Module):
    def __init__(self, vocab_size, block_size=32, d_model=64, nhead=4, num_layers=2, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.drop = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model, dropout=dropout,
                                           activation="relu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok.weight                      # tied: one matrix embeds and un-embeds
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.register_buffer("causal_mask", nn.Transformer.generate_square_subsequent_mask(block_size),
                             persistent=False)

    def forward(self, idx):
        """Logits ``(batch, time, vocab)`` for the character after each position of ``idx``."""
        T = idx.shape[1]
        positions = torch.arange(T)
        x = self.drop(self.tok(idx) + self.pos(positions))
        x = self.encoder(x, mask=self.causal_mask[:T, :T], is_causal=True)
        return self.head(x)

    @torch.no_grad()
    def generate(self, idx, n_new, temperature=0.8, generator=None):
        self.eval()
        for _ in range(n_new):
            logits = self(idx[:, -self.block_size:])[:, -1] / temperature
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
            idx = torch.cat([idx, nxt], dim=1)
        return idx


def batches(data, block_size, batch_size, generator):
    """Random windows: inputs ``data[i:i+T]`` and targets shifted by one."""
    while True:
        starts = torch.randint(0, len(data) - block_size - 1, (batch_size,), generator=generator)
        offsets = torch.arange(block_size)
        x = data[starts[:, None] + offsets]
        y = data[starts[:, None] + offsets + 1]
        yield x, y


@torch.no_grad()
def evaluate(model, data, block_size):
    """Mean next-character loss over consecutive windows of ``data``."""
    model.eval()
    n = (len(data) - 1) // block_size
    x = data[: n * block_size].view(n, block_size)
    y = data[1: n * block_size + 1].view(n, block_size)
    logits = model(x)
    return F.cross_entropy(logits.flatten(0, 1), y.flatten()).item()


def train(steps=500, batch_size=32, block_size=32, lr=1e-2, seed=0, log_every=None, quiet=False):
    torch.manual_seed(seed)
    text = load_text()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]

    model = CharTransformer(len(chars), block_size=block_size)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.99))
    warmup = max(steps // 20, 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s / steps, 1.0))))
    n_params = sum(p.numel() for p in model.parameters())
    log_every = log_every or max(steps // 10, 1)
    if not quiet:
        print(f"{len(text)} characters ({len(chars)} distinct), {n_params} parameters, {steps} steps of "
              f"{batch_size} x {block_size} characters; uniform guessing would score {math.log(len(chars)):.3f}")

    history = []
    start = time.perf_counter()
    stream = batches(train_data, block_size, batch_size, torch.Generator().manual_seed(seed))
    running = None
    for step in range(1, steps + 1):
        model.train()
        x, y = next(stream)
        logits = model(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
        if step % log_every == 0 or step == 1 or step == steps:
            val = evaluate(model, val_data, block_size)
            history.append((step, running, val))
            if not quiet:
                print(f"step {step:>4}/{steps}  train loss {running:.3f}  val loss {val:.3f}  "
                      f"({time.perf_counter() - start:.1f}s)")
    return {"model": model, "chars": chars, "stoi": stoi, "history": history,
            "first_loss": history[0][1], "train_loss": history[-1][1], "val_loss": history[-1][2]}


def sample(result, prompt="Shall I compare thee", n_new=200, temperature=0.8, seed=0):
    stoi, chars = result["stoi"], result["chars"]
    prompt = "".join(c for c in prompt if c in stoi) or chars[0]
    idx = torch.tensor([[stoi[c] for c in prompt]], dtype=torch.long)
    out = result["model"].generate(idx, n_new, temperature=temperature, generator=torch.Generator().manual_seed(seed))
    return "".join(chars[i] for i in out[0].tolist())


def main(argv=None):
    parser = argparse.ArgumentParser(description="a character-level transformer on Shakespeare's sonnets")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default 500; 60 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prompt", default="Shall I compare thee")
    parser.add_argument("--quick", action="store_true", help="a short run, as the tests use")
    args = parser.parse_args(argv)
    steps = args.steps or (60 if args.quick else 500)
    result = train(steps=steps, seed=args.seed)
    text = sample(result, args.prompt, n_new=80 if args.quick else 300, seed=args.seed)
    print(f"final: train loss {result['train_loss']:.3f}, val loss {result['val_loss']:.3f}")
    print("sample:\n" + text)
    result["sample"] = text
    return result


if __name__ == "__main__":
    main()
