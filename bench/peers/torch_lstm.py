#!/usr/bin/env python3
"""PyTorch peer for bench/engine.ts: the same Embedding -> LSTM xN -> Linear model, trained
(Adam, loss on every step) and sampled (stateful, batch 1) on the CPU, so the TypeScript numbers
have a side-by-side reference. Prints one JSON object. Needs torch (Debian: python3-torch)."""
import argparse
import json
import time

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, vocab, emb, units):
        super().__init__()
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
        for i, layer in enumerate(self.lstm):
            h, s = layer(h, None if state is None else state[i])
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
    a = p.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    units = [int(u) for u in a.units.split(",")]
    net = Net(a.vocab, a.emb, units)
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

        step()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < a.seconds:
            step()
            n += 1
        dt = time.perf_counter() - t0
        print(json.dumps({"tokens_per_s": n * a.batch * a.seq / dt, "threads": a.threads, "torch": torch.__version__}))
    else:
        times = []
        with torch.no_grad():
            state = None
            tok = torch.zeros((1, 1), dtype=torch.long)
            t_end = time.perf_counter() + a.seconds
            while time.perf_counter() < t_end or len(times) < 200:
                t0 = time.perf_counter()
                logits, state = net(tok, state)
                probs = torch.softmax(logits[0, -1], -1)
                tok = torch.multinomial(probs, 1).view(1, 1)
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(json.dumps({"median_ms": times[len(times) // 2], "p99_ms": times[int(len(times) * 0.99)], "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
