"""The two architectures Seedsong builds (electron/engine/model.ts, gpt.ts), in PyTorch, with the
mapping of every weight to and from its TensorFlow.js (Keras) form.

LSTM: Embedding -> LSTM xN -> Dense, logits out. Each layer is its own nn.LSTM so that dropout is
applied as TensorFlow.js applies an LSTM's `dropout`: one mask per sequence on the layer's input,
the same at every step and for all four gates (tfjs uses dropoutMask[0] for every gate); nn.LSTM's
own `dropout` (between layers, a new mask per step) would be a different model.

Weight mapping, Keras -> PyTorch:
- kernel [in, 4u] -> weight_ih [4u, in] (transpose), recurrent_kernel [u, 4u] -> weight_hh
  (transpose). Both use the gate order input, forget, cell candidate, output (Keras i, f, c, o;
  PyTorch i, f, g, o), so no block is moved.
- Keras has one bias, PyTorch two (bias_ih + bias_hh, always added together). Importing puts the
  Keras bias in bias_ih and zeroes bias_hh; exporting writes bias_ih + bias_hh. In training bias_hh
  stays frozen at zero: with two trainable copies Adam would move their sum twice as fast as
  Seedsong moves its one bias, and the optimizer state could not map one to one.

GPT (pre-LayerNorm decoder): every weight is kept in its TensorFlow.js layout (kernels [in, out],
x @ kernel + bias), so the mapping is the identity by name; the math follows gpt.ts (queries, keys
and values split in that order from one [w, 3w] projection, head h taking columns h*d..(h+1)*d,
scores / sqrt(d), causal mask, exact-erf GELU, LayerNorm epsilon 1e-5 over the last axis).
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import HyperparameterError, TrainerError


class Binding:
    """One TensorFlow.js weight and the PyTorch parameter behind it."""

    def __init__(self, name, param, transpose=False, frozen_addend=None):
        self.name = name
        self.param = param
        self.transpose = transpose
        # PyTorch's second LSTM bias: added on export, zeroed on import.
        self.frozen_addend = frozen_addend

    @property
    def tfjs_shape(self):
        s = list(self.param.shape)
        return s[::-1] if self.transpose else s

    def layout_to_tfjs(self, t: torch.Tensor) -> np.ndarray:
        t = t.detach().to("cpu", torch.float32)
        return (t.t() if self.transpose else t).contiguous().numpy()

    def layout_from_tfjs(self, a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
        return (t.t() if self.transpose else t).contiguous().to(like.device)

    def export(self) -> np.ndarray:
        v = self.param.detach()
        if self.frozen_addend is not None:
            v = v + self.frozen_addend.detach()
        return self.layout_to_tfjs(v)

    def load(self, a: np.ndarray) -> None:
        if list(a.shape) != self.tfjs_shape:
            raise TrainerError("bad_input", f"weight {self.name} has shape {list(a.shape)}, this model needs {self.tfjs_shape}")
        with torch.no_grad():
            self.param.copy_(self.layout_from_tfjs(a, self.param))
            if self.frozen_addend is not None:
                self.frozen_addend.zero_()


class DropoutMasks:
    """Dropout masks for one training batch. Each is drawn for the whole (global) batch from one
    generator seeded by (seed, step), in a fixed order, and a process keeps only its own rows: so
    2 or 8 processes drop exactly what one process would, and a resumed run the same as an
    uninterrupted one. Inverted dropout (kept values scaled by 1 / (1 - rate)), as TensorFlow.js."""

    def __init__(self, generator: torch.Generator, rate: float, rows: slice, batch: int, device):
        self.generator = generator
        self.rate = rate
        self.rows = rows
        self.batch = batch
        self.device = device

    def mask(self, *shape) -> torch.Tensor:
        r = torch.rand((self.batch, *shape), generator=self.generator, device=self.device)[self.rows]
        return (r >= self.rate).to(torch.float32) / (1.0 - self.rate)


def check_spec(spec: dict) -> None:
    arch = spec.get("architecture")
    if arch == "gru":
        raise TrainerError("unsupported", "GRU models cannot be trained with torchrun: TensorFlow.js's GRU applies the reset gate before the recurrent product and PyTorch's after it, so they are different models. Use an LSTM or a GPT, or train the GRU on this machine")
    if arch not in ("lstm", "gpt"):
        raise HyperparameterError(f'architecture must be lstm or gpt, got "{arch}"')
    if spec.get("recurrentDropout", 0) > 0:
        raise TrainerError("unsupported", f"recurrent dropout ({spec['recurrentDropout']}) cannot be trained with torchrun: PyTorch's fused LSTM has no mask on the recurrent state. Set it to 0, or train on this machine")


class SeedsongLSTM(nn.Module):
    def __init__(self, spec: dict):
        super().__init__()
        check_spec(spec)
        self.vocab = spec["vocabSize"]
        self.dropout = float(spec.get("dropout", 0))
        self.embedding = nn.Embedding(self.vocab, spec["embeddingSize"])
        self.rnns = nn.ModuleList()
        d = spec["embeddingSize"]
        for u in spec["units"]:
            rnn = nn.LSTM(d, u, batch_first=True)
            with torch.no_grad():
                rnn.bias_hh_l0.zero_()
            rnn.bias_hh_l0.requires_grad_(False)
            self.rnns.append(rnn)
            d = u
        self.logits_kernel = nn.Parameter(torch.zeros(d, self.vocab))
        self.logits_bias = nn.Parameter(torch.zeros(self.vocab))

    def bindings(self):
        out = [Binding("embedding/embeddings", self.embedding.weight)]
        for i, rnn in enumerate(self.rnns):
            out.append(Binding(f"lstm{i}/kernel", rnn.weight_ih_l0, transpose=True))
            out.append(Binding(f"lstm{i}/recurrent_kernel", rnn.weight_hh_l0, transpose=True))
            out.append(Binding(f"lstm{i}/bias", rnn.bias_ih_l0, frozen_addend=rnn.bias_hh_l0))
        out.append(Binding("logits/kernel", self.logits_kernel))
        out.append(Binding("logits/bias", self.logits_bias))
        return out

    def forward(self, x, masks: DropoutMasks = None, last_only: bool = False):
        h = self.embedding(x)
        for rnn in self.rnns:
            if masks is not None and self.dropout > 0:
                h = h * masks.mask(1, h.shape[-1])
            h, _ = rnn(h)
        if last_only:
            h = h[:, -1:]
        return h @ self.logits_kernel + self.logits_bias


def _layer_norm(x, gamma, beta):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps=1e-5)


class _Block(nn.Module):
    def __init__(self, w: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1_gamma = nn.Parameter(torch.ones(w))
        self.ln1_beta = nn.Parameter(torch.zeros(w))
        self.qkv_kernel = nn.Parameter(torch.zeros(w, 3 * w))
        self.qkv_bias = nn.Parameter(torch.zeros(3 * w))
        self.out_kernel = nn.Parameter(torch.zeros(w, w))
        self.out_bias = nn.Parameter(torch.zeros(w))
        self.ln2_gamma = nn.Parameter(torch.ones(w))
        self.ln2_beta = nn.Parameter(torch.zeros(w))
        self.mlp_in_kernel = nn.Parameter(torch.zeros(w, 4 * w))
        self.mlp_in_bias = nn.Parameter(torch.zeros(4 * w))
        self.mlp_out_kernel = nn.Parameter(torch.zeros(4 * w, w))
        self.mlp_out_bias = nn.Parameter(torch.zeros(w))

    def attention(self, x):
        b, t, w = x.shape
        d = w // self.heads
        qkv = x @ self.qkv_kernel + self.qkv_bias
        q, k, v = (m.reshape(b, t, self.heads, d).transpose(1, 2) for m in qkv.split(w, dim=-1))
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d))
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        scores = scores.masked_fill(~causal, -1e9)
        att = torch.softmax(scores, dim=-1) @ v
        return att.transpose(1, 2).reshape(b, t, w) @ self.out_kernel + self.out_bias

    def forward(self, x, masks, dropout):
        h = self.attention(_layer_norm(x, self.ln1_gamma, self.ln1_beta))
        if masks is not None and dropout > 0:
            h = h * masks.mask(x.shape[1], x.shape[2])
        x = x + h
        h = _layer_norm(x, self.ln2_gamma, self.ln2_beta)
        h = F.gelu(h @ self.mlp_in_kernel + self.mlp_in_bias) @ self.mlp_out_kernel + self.mlp_out_bias
        if masks is not None and dropout > 0:
            h = h * masks.mask(x.shape[1], x.shape[2])
        return x + h


class SeedsongGPT(nn.Module):
    def __init__(self, spec: dict):
        super().__init__()
        check_spec(spec)
        w, heads = spec["embeddingSize"], spec["heads"]
        if heads < 1 or w % heads:
            raise HyperparameterError(f"width (embedding size {w}) must be divisible by the number of heads ({heads})")
        self.vocab = spec["vocabSize"]
        self.context = spec["contextLength"]
        self.dropout = float(spec.get("dropout", 0))
        self.embedding = nn.Embedding(self.vocab, w)
        self.positions = nn.Parameter(torch.zeros(self.context, w))
        self.blocks = nn.ModuleList(_Block(w, heads) for _ in range(spec["layers"]))
        self.final_gamma = nn.Parameter(torch.ones(w))
        self.final_beta = nn.Parameter(torch.zeros(w))
        self.logits_kernel = nn.Parameter(torch.zeros(w, self.vocab))
        self.logits_bias = nn.Parameter(torch.zeros(self.vocab))

    def bindings(self):
        out = [Binding("embedding/embeddings", self.embedding.weight), Binding("positions/positions", self.positions)]
        for i, b in enumerate(self.blocks):
            p = f"block{i}_"
            out += [
                Binding(p + "ln1/gamma", b.ln1_gamma),
                Binding(p + "ln1/beta", b.ln1_beta),
                Binding(p + "attention/qkv_kernel", b.qkv_kernel),
                Binding(p + "attention/qkv_bias", b.qkv_bias),
                Binding(p + "attention/out_kernel", b.out_kernel),
                Binding(p + "attention/out_bias", b.out_bias),
                Binding(p + "ln2/gamma", b.ln2_gamma),
                Binding(p + "ln2/beta", b.ln2_beta),
                Binding(p + "mlp_in/kernel", b.mlp_in_kernel),
                Binding(p + "mlp_in/bias", b.mlp_in_bias),
                Binding(p + "mlp_out/kernel", b.mlp_out_kernel),
                Binding(p + "mlp_out/bias", b.mlp_out_bias),
            ]
        out += [
            Binding("final_ln/gamma", self.final_gamma),
            Binding("final_ln/beta", self.final_beta),
            Binding("logits/kernel", self.logits_kernel),
            Binding("logits/bias", self.logits_bias),
        ]
        return out

    def forward(self, x, masks: DropoutMasks = None, last_only: bool = False):
        t = x.shape[1]
        if t > self.context:
            raise HyperparameterError(f"sequence of {t} steps is longer than the model's context length {self.context}")
        h = self.embedding(x) + self.positions[:t]
        if masks is not None and self.dropout > 0:
            h = h * masks.mask(t, h.shape[-1])
        for block in self.blocks:
            h = block(h, masks, self.dropout)
        h = _layer_norm(h, self.final_gamma, self.final_beta)
        if last_only:
            h = h[:, -1:]
        return h @ self.logits_kernel + self.logits_bias


def build_model(spec: dict) -> nn.Module:
    check_spec(spec)
    return SeedsongGPT(spec) if spec["architecture"] == "gpt" else SeedsongLSTM(spec)


def load_tfjs_weights(model: nn.Module, weights: dict, where: str) -> None:
    """Loads every weight by name; a missing or unexpected one is an error naming it."""
    bindings = model.bindings()
    wanted = {b.name for b in bindings}
    missing = [b.name for b in bindings if b.name not in weights]
    extra = sorted(set(weights) - wanted)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:5])}{'...' if len(missing) > 5 else ''}")
        if extra:
            parts.append(f"unexpected {', '.join(extra[:5])}{'...' if len(extra) > 5 else ''}")
        raise TrainerError("bad_input", f"{where}: the weights do not fit the model described in the job ({'; '.join(parts)})")
    for b in bindings:
        try:
            b.load(weights[b.name])
        except TrainerError as e:
            raise TrainerError(e.code, f"{where}: {e.message}")


def export_tfjs_weights(model: nn.Module) -> dict:
    return {b.name: b.export() for b in model.bindings()}


def count_parameters(model: nn.Module) -> int:
    """As countParameters in model.ts: the TensorFlow.js model's trainable weights."""
    return sum(int(np.prod(b.tfjs_shape)) for b in model.bindings())
