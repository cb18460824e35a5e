import math
import unittest

import numpy as np
import torch

from seedsong_torch.errors import TrainerError
from seedsong_torch.models import SeedsongLSTM
from seedsong_torch.optim import KerasOptimizer, clip_global_norm

from . import helpers  # noqa: F401
from .test_models import LSTM_SPEC


class _Binding:
    def __init__(self, p):
        self.param = p
        self.name = "w"
        self.tfjs_shape = list(p.shape)

    def layout_to_tfjs(self, t):
        return t.detach().numpy().copy()

    def layout_from_tfjs(self, a, like):
        return torch.from_numpy(np.array(a, dtype=np.float32))


class OptimizerTest(unittest.TestCase):
    def test_adam_is_kerass_adam(self):
        # optimizer.ts: m, v as usual; lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); w -= lr_t m / (sqrt(v) + 1e-7)
        p = torch.nn.Parameter(torch.tensor([0.5, -1.0, 2.0]))
        opt = KerasOptimizer("adam", [_Binding(p)])
        w, m, v = p.detach().double().numpy().copy(), np.zeros(3), np.zeros(3)
        for t, g in enumerate([[0.1, -0.2, 0.3], [0.0, 1.0, -1.0], [2.0, 0.5, 1e-4]], start=1):
            g = np.array(g)
            p.grad = torch.tensor(g, dtype=torch.float32)
            opt.apply(0.01)
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            w = w - 0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-7)
        np.testing.assert_allclose(p.detach().numpy(), w, rtol=1e-6)

    def test_weight_decay_is_decoupled_and_for_matrices_only(self):
        # optimizer.ts: w *= 1 - lr * weightDecay before the update, rank >= 2 weights only
        k = torch.nn.Parameter(torch.tensor([[0.5, -1.0], [2.0, 1.0]]))
        b = torch.nn.Parameter(torch.tensor([0.5, -1.0]))
        opt = KerasOptimizer("adam", [_Binding(k), _Binding(b)], weight_decay=0.1)
        k0, b0 = k.detach().double().numpy().copy(), b.detach().double().numpy().copy()
        k.grad = torch.zeros_like(k)
        b.grad = torch.zeros_like(b)
        opt.apply(0.01)
        np.testing.assert_allclose(k.detach().numpy(), k0 * (1 - 0.01 * 0.1), rtol=1e-6)
        np.testing.assert_allclose(b.detach().numpy(), b0, rtol=0)

    def test_rmsprop_is_kerass_rmsprop(self):
        p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        opt = KerasOptimizer("rmsprop", [_Binding(p)])
        w, v = p.detach().double().numpy().copy(), np.zeros(2)
        for g in ([0.5, -0.5], [1.0, 0.25]):
            g = np.array(g)
            p.grad = torch.tensor(g, dtype=torch.float32)
            opt.apply(0.1)
            v = 0.9 * v + 0.1 * g * g
            w = w - 0.1 * g / (np.sqrt(v) + 1e-7)
        np.testing.assert_allclose(p.detach().numpy(), w, rtol=1e-6)

    def test_clipping_scales_to_the_global_norm(self):
        a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(1))
        a.grad, b.grad = torch.tensor([3.0, 0.0]), torch.tensor([4.0])
        clip_global_norm([a, b], 1.0)
        np.testing.assert_allclose(torch.cat([a.grad, b.grad]).numpy(), [0.6, 0.0, 0.8], rtol=1e-6)
        a.grad, b.grad = torch.tensor([0.3, 0.0]), torch.tensor([0.4])
        clip_global_norm([a, b], 1.0)
        np.testing.assert_allclose(torch.cat([a.grad, b.grad]).numpy(), [0.3, 0.0, 0.4], rtol=1e-7)

    def test_the_state_saves_in_tfjs_layout_and_restores_exactly(self):
        model = SeedsongLSTM(LSTM_SPEC)
        opt = KerasOptimizer("adam", model.bindings())
        for p in opt.params:
            p.grad = torch.randn_like(p)
        opt.apply(0.01)
        snap = opt.snapshot()
        names = [s["name"] for s in snap["slots"]]
        self.assertEqual(names[:2], ["0/m", "1/m"])
        self.assertEqual(len(names), 2 * len(opt.params))
        kernel = next(s for s in snap["slots"] if s["name"] == "1/m")
        self.assertEqual(kernel["shape"], [6, 32])  # lstm0/kernel as TensorFlow.js holds it
        other = KerasOptimizer("adam", SeedsongLSTM(LSTM_SPEC).bindings())
        other.restore(snap, "test")
        self.assertEqual(other.step, 1)
        for a, b in zip(opt.m + opt.v, other.m + other.v):
            self.assertTrue(torch.equal(a, b))
        with self.assertRaisesRegex(TrainerError, "trained with adam, not rmsprop"):
            KerasOptimizer("rmsprop", model.bindings()).restore(snap, "test")


if __name__ == "__main__":
    unittest.main()
