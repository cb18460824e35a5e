import unittest

import numpy as np
import torch

from seedsong_torch.errors import TrainerError
from seedsong_torch.models import DropoutMasks, SeedsongGPT, SeedsongLSTM, build_model, count_parameters, export_tfjs_weights, load_tfjs_weights

from . import helpers  # noqa: F401  (one thread)

LSTM_SPEC = {"architecture": "lstm", "vocabSize": 11, "embeddingSize": 6, "units": [8, 5], "dropout": 0.0, "recurrentDropout": 0, "layers": 2, "heads": 0, "contextLength": 0}
GPT_SPEC = {"architecture": "gpt", "vocabSize": 11, "embeddingSize": 8, "units": [], "dropout": 0.0, "recurrentDropout": 0, "layers": 2, "heads": 2, "contextLength": 16}


def random_tfjs_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    return {b.name: rng.uniform(-0.6, 0.6, size=b.tfjs_shape).astype(np.float32) for b in model.bindings()}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def keras_lstm_logits(w, ids, units):
    """The Keras / TensorFlow.js LSTM written out in NumPy from its documented formulas: one fused
    kernel [in, 4u] with the gates in the order i, f, c, o, one bias, h = o * tanh(c)."""
    x = w["embedding/embeddings"][ids]
    for i, u in enumerate(units):
        k, r, b = w[f"lstm{i}/kernel"], w[f"lstm{i}/recurrent_kernel"], w[f"lstm{i}/bias"]
        h, c, outs = np.zeros(u), np.zeros(u), []
        for t in range(len(ids)):
            z = x[t] @ k + h @ r + b
            ig, fg, cg, og = z[:u], z[u : 2 * u], z[2 * u : 3 * u], z[3 * u :]
            c = sigmoid(fg) * c + sigmoid(ig) * np.tanh(cg)
            h = sigmoid(og) * np.tanh(c)
            outs.append(h)
        x = np.stack(outs)
    return x @ w["logits/kernel"] + w["logits/bias"]


class LstmMappingTest(unittest.TestCase):
    def test_keras_weights_give_the_keras_lstm(self):
        model = SeedsongLSTM(LSTM_SPEC)
        w = random_tfjs_weights(model, 1)
        load_tfjs_weights(model, w, "test")
        ids = [0, 3, 7, 2, 9, 1, 5]
        with torch.no_grad():
            got = model(torch.tensor([ids]))[0].numpy()
        np.testing.assert_allclose(got, keras_lstm_logits(w, ids, [8, 5]), atol=1e-5)

    def test_the_two_pytorch_biases_export_as_their_sum(self):
        model = SeedsongLSTM(LSTM_SPEC)
        torch.manual_seed(3)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.randn_like(p) * 0.5)
        rnn = model.rnns[0]
        exported = export_tfjs_weights(model)
        np.testing.assert_allclose(exported["lstm0/bias"], (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy(), atol=0)
        np.testing.assert_allclose(exported["lstm0/kernel"], rnn.weight_ih_l0.detach().numpy().T, atol=0)
        again = SeedsongLSTM(LSTM_SPEC)
        load_tfjs_weights(again, exported, "test")
        self.assertEqual(float(again.rnns[0].bias_hh_l0.abs().sum()), 0.0)
        ids = torch.tensor([[0, 4, 4, 9, 2]])
        with torch.no_grad():
            np.testing.assert_allclose(again(ids).numpy(), model(ids).numpy(), atol=1e-6)

    def test_the_second_bias_is_frozen_so_adam_moves_one_bias_as_seedsong_does(self):
        model = SeedsongLSTM(LSTM_SPEC)
        self.assertFalse(model.rnns[0].bias_hh_l0.requires_grad)
        trained = [b.param for b in model.bindings()]
        self.assertTrue(all(p.requires_grad for p in trained))
        self.assertEqual(count_parameters(model), sum(p.numel() for p in trained))

    def test_weights_that_do_not_fit_are_refused_by_name(self):
        model = SeedsongLSTM(LSTM_SPEC)
        w = random_tfjs_weights(model)
        del w["lstm1/bias"]
        w["lstm2/bias"] = np.zeros(20, np.float32)
        with self.assertRaisesRegex(TrainerError, r"somewhere: .*missing lstm1/bias; unexpected lstm2/bias"):
            load_tfjs_weights(model, w, "somewhere")
        w = random_tfjs_weights(model)
        w["logits/kernel"] = np.zeros((4, 4), np.float32)
        with self.assertRaisesRegex(TrainerError, r"logits/kernel has shape \[4, 4\], this model needs \[5, 11\]"):
            load_tfjs_weights(model, w, "x")

    def test_what_pytorch_cannot_reproduce_is_refused(self):
        with self.assertRaisesRegex(TrainerError, "GRU"):
            build_model({**LSTM_SPEC, "architecture": "gru"})
        with self.assertRaisesRegex(TrainerError, "recurrent dropout"):
            build_model({**LSTM_SPEC, "recurrentDropout": 0.2})


class GptTest(unittest.TestCase):
    def test_a_position_sees_only_the_tokens_before_it(self):
        model = SeedsongGPT(GPT_SPEC)
        load_tfjs_weights(model, random_tfjs_weights(model, 2), "test")
        with torch.no_grad():
            a = model(torch.tensor([[0, 3, 5, 7, 9, 2]]))
            b = model(torch.tensor([[0, 3, 5, 7, 1, 8]]))
        np.testing.assert_allclose(a[0, :4].numpy(), b[0, :4].numpy(), atol=1e-6)
        self.assertGreater(float((a[0, 4:] - b[0, 4:]).abs().max()), 1e-4)

    def test_weights_round_trip_unchanged(self):
        model = SeedsongGPT(GPT_SPEC)
        w = random_tfjs_weights(model, 4)
        load_tfjs_weights(model, w, "test")
        back = export_tfjs_weights(model)
        self.assertEqual(sorted(back), sorted(w))
        for k in w:
            np.testing.assert_array_equal(back[k], w[k])

    def test_a_window_longer_than_the_context_is_refused(self):
        with self.assertRaisesRegex(TrainerError, "longer than the model's context length 16"):
            SeedsongGPT(GPT_SPEC)(torch.zeros((1, 17), dtype=torch.int64))


class DropoutMasksTest(unittest.TestCase):
    def test_processes_draw_their_rows_of_the_one_batch_mask(self):
        def masks(rows):
            g = torch.Generator().manual_seed(42)
            m = DropoutMasks(g, 0.3, rows, 8, torch.device("cpu"))
            return m.mask(1, 6), m.mask(5, 6)

        whole = masks(slice(0, 8))
        parts = [masks(slice(0, 3)), masks(slice(3, 8))]
        for k in range(2):
            np.testing.assert_array_equal(torch.cat([parts[0][k], parts[1][k]]).numpy(), whole[k].numpy())
        values = np.unique(whole[1].numpy())
        np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-6)


if __name__ == "__main__":
    unittest.main()
