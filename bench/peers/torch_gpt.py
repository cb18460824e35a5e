#!/usr/bin/env python3
"""PyTorch peer for the abc-token-gpt bench: the same decoder as electron/engine/model.ts builds
(token + learned position embedding, pre-LayerNorm blocks of causal self-attention and a GELU MLP,
final LayerNorm, untied Linear head), nanoGPT-like. Trains with AdamW (loss on every step) and
samples batch 1 with a key/value cache. Prints one JSON object with the BLAS torch really loaded.
Needs torch and OpenBLAS (Debian: apt-get install python3-torch libopenblas0-pthread)."""
import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from peer_common import fields, per_token_times, timed_steps


class Attention(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, cache=None):
        b, t, w = x.shape
        d = w // self.heads
        q, k, v = self.qkv(x).split(w, dim=2)
        q, k, v = [m.view(b, t, self.heads, d).transpose(1, 2) for m in (q, k, v)]
        if cache is not None:
            if cache["k"] is not None:
                k = torch.cat([cache["k"], k], 2)
                v = torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        s = (q @ k.transpose(-2, -1)) / math.sqrt(d)
        tk = k.shape[2]
        if t > 1:
            mask = torch.ones(t, tk, dtype=torch.bool).tril(tk - t)
            s = s.masked_fill(~mask, float("-inf"))
        y = F.softmax(s, dim=-1) @ v
        return self.drop(self.out(y.transpose(1, 2).reshape(b, t, w)))


class Block(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads, dropout)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width), nn.Dropout(dropout))

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln1(x), cache)
        return x + self.mlp(self.ln2(x))


class Gpt(nn.Module):
    def __init__(self, vocab, width, layers, heads, context, dropout):
        super().__init__()
        self.emb = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(context, width) * 0.02)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(width, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, x, start=0, caches=None):
        t = x.shape[1]
        h = self.drop(self.emb(x) + self.pos[start:start + t])
        for i, blk in enumerate(self.blocks):
            h = blk(h, None if caches is None else caches[i])
        return self.head(self.ln(h))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "sample"])
    p.add_argument("--vocab", type=int, default=200)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    net = Gpt(a.vocab, a.width, a.layers, a.heads, a.context, a.dropout)
    if a.mode == "train":
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=a.weight_decay)
        x = torch.randint(0, a.vocab, (a.batch, a.seq))
        y = torch.randint(0, a.vocab, (a.batch, a.seq))

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(net(x).reshape(-1, a.vocab), y.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()

        n, dt, cpu = timed_steps(step, a.seconds)
        print(json.dumps({"tokens_per_s": n * a.batch * a.seq / dt, "tokens_per_cpu_s": n * a.batch * a.seq / cpu, "steps": n, "threads": a.threads, **fields()}))
    else:
        net.eval()
        st = {"pos": 0, "tok": torch.zeros((1, 1), dtype=torch.long), "caches": None}

        def one():
            if st["caches"] is None or st["pos"] >= a.seq:
                st["caches"] = [{"k": None, "v": None} for _ in net.blocks]
                st["pos"] = 0
            logits = net(st["tok"], st["pos"], st["caches"])
            st["pos"] += 1
            st["tok"] = torch.multinomial(F.softmax(logits[0, -1], -1), 1).view(1, 1)

        with torch.no_grad():
            r = per_token_times(one, a.seconds)
        print(json.dumps({**r, "threads": a.threads, "kv_cache": True, **fields()}))


if __name__ == "__main__":
    main()
