#!/usr/bin/env python3
"""PyTorch peer for bench/engine.ts: the same Embedding -> LSTM xN -> Linear model, trained
(Adam, loss on every step) and sampled (stateful, batch 1) on the CPU, so the TypeScript numbers
have a side-by-side reference. Prints one JSON object, with the BLAS torch really loaded
(torch_blas). Needs torch and OpenBLAS (Debian: apt-get install python3-torch libopenblas0-pthread)."""
import argparse
import json

import torch
import torch.nn as nn

from peer_common import fields, per_token_times, timed_steps


class Net(nn.Module):
    """dropout/placement as model.ts: 'input' drops each LSTM layer's input with one mask per window
    (Keras's LSTM dropout), 'output' is a Dropout layer after each LSTM layer (per element)."""

    def __init__(self, vocab, emb, units, dropout=0.0, placement="input"):
        super().__init__()
        self.dropout = dropout
        self.placement = placement
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.ModuleList()
        d = emb
        for u in units:
            self.lstm.append(nn.LSTM(d, u, batch_first=True))
            d = u
        self.out = nn.Linear(d, vocab)

    def forward(self, x, state=None):
        h = self.emb(x)
        new_state = []
        drop = self.training and self.dropout > 0
        for i, layer in enumerate(self.lstm):
            if drop and self.placement == "input":
                keep = 1 - self.dropout
                h = h * (torch.rand(h.shape[0], 1, h.shape[2]) < keep).float() / keep
            h, s = layer(h, None if state is None else state[i])
            if drop and self.placement == "output":
                h = nn.functional.dropout(h, self.dropout, True)
            new_state.append(s)
        return self.out(h), new_state


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "sample"])
    p.add_argument("--vocab", type=int, default=130)
    p.add_argument("--emb", type=int, default=256)
    p.add_argument("--units", default="256,256")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seq", type=int, default=30)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--placement", choices=["input", "output"], default="input")
    a = p.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    units = [int(u) for u in a.units.split(",")]
    net = Net(a.vocab, a.emb, units, a.dropout, a.placement)
    if a.mode == "train":
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        x = torch.randint(0, a.vocab, (a.batch, a.seq))
        y = torch.randint(0, a.vocab, (a.batch, a.seq))

        def step():
            opt.zero_grad()
            logits, _ = net(x)
            loss = loss_fn(logits.reshape(-1, a.vocab), y.reshape(-1))
            loss.backward()
            opt.step()

        n, dt, cpu = timed_steps(step, a.seconds)
        print(json.dumps({"tokens_per_s": n * a.batch * a.seq / dt, "tokens_per_cpu_s": n * a.batch * a.seq / cpu, "steps": n, "threads": a.threads, **fields()}))
    else:
        net.eval()
        state = [None]
        tok = [torch.zeros((1, 1), dtype=torch.long)]

        def one():
            logits, state[0] = net(tok[0], state[0])
            probs = torch.softmax(logits[0, -1], -1)
            tok[0] = torch.multinomial(probs, 1).view(1, 1)

        with torch.no_grad():
            r = per_token_times(one, a.seconds)
        print(json.dumps({**r, "threads": a.threads, **fields()}))

if __name__ == "__main__":
    main()
