"""Adam and RMSprop exactly as electron/engine/optimizer.ts applies them, and its global-norm clip.

torch.optim.Adam differs in two small ways that would make "the same learning" drift: its epsilon
(1e-8) is added to sqrt(v) / sqrt(1 - beta2^t), where Keras and Seedsong add epsilon (1e-7) to
sqrt(v) and fold the bias correction into the step size; and clip_grad_norm_ divides by
norm + 1e-6. The state is kept per TensorFlow.js weight in the engine's slot names ("3/m", "3/v"),
in the TensorFlow.js layout when saved, so a checkpoint written here resumes in Seedsong and the
other way round. Weight decay (the job's optional training.weightDecay) is decoupled, as
optimizer.ts applies it: w *= 1 - lr * weightDecay before the update, for weights whose
TensorFlow.js shape is a matrix (kernels, embeddings, the position table), not biases or gains.
"""

import math

import numpy as np
import torch

from .errors import HyperparameterError, TrainerError

ADAM = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}
RMSPROP = {"rho": 0.9, "epsilon": 1e-7}


class KerasOptimizer:
    def __init__(self, name: str, bindings, weight_decay: float = 0.0, epsilon=None):
        """weight_decay: AdamW's decoupled decay of every matrix (w *= 1 - lr * decay before the step,
        as optimizer.ts); epsilon: the preset's Adam / RMSprop epsilon (None: Keras's 1e-7)."""
        if name not in ("adam", "rmsprop"):
            raise HyperparameterError(f'optimizer must be adam or rmsprop, got "{name}"')
        self.name = name
        self.bindings = bindings
        self.params = [b.param for b in bindings]
        self.weight_decay = float(weight_decay or 0.0)
        self.decays = [len(getattr(b, "tfjs_shape", b.param.shape)) >= 2 for b in bindings]
        self.step = 0
        self.epsilon = epsilon
        self.m = [torch.zeros_like(p) for p in self.params] if name == "adam" else []
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def apply(self, learning_rate: float) -> None:
        self.step += 1
        if self.weight_decay > 0:
            factor = np.float32(1 - learning_rate * self.weight_decay).item()
            for p, d in zip(self.params, self.decays):
                if d:
                    p.mul_(factor)
        if self.name == "adam":
            b1, b2 = ADAM["beta1"], ADAM["beta2"]
            eps = ADAM["epsilon"] if self.epsilon is None else self.epsilon
            # In float64 from the step count, as optimizer.ts does (so a resumed run matches).
            lr_t = learning_rate * math.sqrt(1 - b2**self.step) / (1 - b1**self.step)
            for p, m, v in zip(self.params, self.m, self.v):
                g = p.grad
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                p.sub_(lr_t * m / (v.sqrt() + eps))
        else:
            rho = RMSPROP["rho"]
            eps = RMSPROP["epsilon"] if self.epsilon is None else self.epsilon
            for p, v in zip(self.params, self.v):
                g = p.grad
                v.mul_(rho).addcmul_(g, g, value=1 - rho)
                p.sub_(learning_rate * g / (v.sqrt() + eps))

    def snapshot(self) -> dict:
        """{optimizer, step, slots: [{name, shape, data}]}: every m, then every v, in weight order."""
        slots = []
        for kind, tensors in (("m", self.m), ("v", self.v)):
            for i, (b, t) in enumerate(zip(self.bindings, tensors)):
                a = b.layout_to_tfjs(t)
                slots.append({"name": f"{i}/{kind}", "shape": list(a.shape), "data": a})
        return {"optimizer": self.name, "step": self.step, "slots": slots}

    def restore(self, snap: dict, where: str) -> None:
        if snap["optimizer"] != self.name:
            raise TrainerError("bad_input", f"{where}: the checkpoint was trained with {snap['optimizer']}, not {self.name}")
        expect = len(self.m) + len(self.v)
        if len(snap["slots"]) != expect:
            raise TrainerError("bad_input", f"{where}: the checkpoint's optimizer state has {len(snap['slots'])} slots, expected {expect} for this model")
        by_name = {s["name"]: s for s in snap["slots"]}
        for kind, tensors in (("m", self.m), ("v", self.v)):
            for i, (b, t) in enumerate(zip(self.bindings, tensors)):
                s = by_name.get(f"{i}/{kind}")
                if s is None or list(s["data"].shape) != b.tfjs_shape:
                    raise TrainerError("bad_input", f"{where}: the checkpoint's optimizer slot {i}/{kind} does not match the model")
                with torch.no_grad():
                    t.copy_(b.layout_from_tfjs(s["data"], t))
        self.step = int(snap["step"])


@torch.no_grad()
def clip_global_norm(params, clip_norm: float) -> None:
    """Scales every gradient by clip / max(norm, clip), as train.ts does (0 = no clipping)."""
    if clip_norm <= 0:
        return
    norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params)).item()
    factor = clip_norm / max(norm, clip_norm)
    if factor != 1.0:
        for p in params:
            p.grad.mul_(factor)


def slots_to_bytes(snap: dict) -> bytes:
    return b"".join(np.ascontiguousarray(s["data"], dtype="<f4").tobytes() for s in snap["slots"])
