"""Two processes on this machine (gloo, CPU) against one: the run completes and learns the same.

The preset's batch is the global batch, split between the processes, with the whole batch's
dropout masks drawn on each (models.DropoutMasks), so two processes take the same steps as one up
to the order of float additions; the issue asks for the held-out loss within 2%."""

import json
import os
import subprocess
import sys
import time
import unittest

from .helpers import copy_job, read_json, train

ENGINE_TORCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TwoProcessesTest(unittest.TestCase):
    def test_two_gloo_processes_learn_what_one_does(self):
        one = copy_job(self, "lstm")
        code, single = train(one)
        self.assertEqual(code, 0)

        two = copy_job(self, "lstm")
        env = {**os.environ, "PYTHONPATH": ENGINE_TORCH, "OMP_NUM_THREADS": "1"}
        started = time.perf_counter()
        p = subprocess.run(
            [sys.executable, "-m", "seedsong_torch.torchrun", "--standalone", "--nnodes", "1", "--nproc_per_node", "2", "-m", "seedsong_torch", "train", two, "--progress-interval", "0"],
            capture_output=True, text=True, env=env, timeout=300,
        )
        wall = time.perf_counter() - started
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        events = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        start, done = events[0], events[-1]
        self.assertEqual((start["worldSize"], start["backend"], done["stopReason"]), (2, "gloo", "completed"))
        # Only rank 0 reports: one line per batch, not two.
        self.assertEqual(sum(e["event"] == "progress" for e in events), 30)

        v1, v2 = single[-1]["bestValLoss"], done["bestValLoss"]
        self.assertLess(abs(v2 - v1) / v1, 0.02)
        meta = read_json(os.path.join(os.path.dirname(two), "seedsong.json"))
        self.assertEqual((meta["trainedWith"]["worldSize"], meta["trainedWith"]["backend"], meta["status"]), (2, "gloo", "complete"))
        rates = [e["tokensPerSecondPerProcess"] for e in events if e["event"] == "progress"]
        print(f"\n2 processes: wall {wall:.1f} s (trainer {done['wallSeconds']:.1f} s), {rates[-1]:.0f} tokens/s per process; held-out loss {v2:.6f} vs {v1:.6f} on one process ({100 * (v2 - v1) / v1:+.4f}%)", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
