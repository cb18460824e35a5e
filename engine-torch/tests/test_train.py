import csv
import json
import os
import signal
import subprocess
import sys
import unittest

from .helpers import copy_job, read_json, train

ENGINE_TORCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TrainTest(unittest.TestCase):
    def test_a_run_writes_a_seedsong_model_folder(self):
        job = copy_job(self, "lstm")
        out = os.path.dirname(job)
        code, events = train(job, "--progress-interval", "0")
        self.assertEqual(code, 0)
        kinds = [e["event"] for e in events]
        self.assertEqual(kinds[0], "start")
        self.assertEqual(kinds[-1], "done")
        start, done = events[0], events[-1]
        self.assertEqual((start["worldSize"], start["device"], start["batchesPerEpoch"]), (1, "cpu", 10))
        self.assertEqual(kinds.count("progress"), 30)
        self.assertEqual(kinds.count("epoch"), 3)
        self.assertEqual(done["stopReason"], "completed")
        epochs = [e for e in events if e["event"] == "epoch"]
        self.assertLess(epochs[-1]["loss"], epochs[0]["loss"])  # it learns

        meta = read_json(os.path.join(out, "seedsong.json"))
        self.assertEqual((meta["format"], meta["status"], meta["source"]), ("seedsong-model", "complete", "trained"))
        self.assertEqual(len(meta["history"]), 3)
        self.assertEqual(meta["encoding"]["tokens"][:2], ["<s>", "</s>"])
        self.assertEqual(meta["trainedWith"]["worldSize"], 1)
        self.assertEqual(meta["metrics"]["bestValLoss"], min(e["val_loss"] for e in epochs))
        self.assertEqual(sorted(os.listdir(os.path.join(out, "checkpoints"))), ["best", "epoch-0001", "epoch-0002", "epoch-0003"])
        with open(os.path.join(out, "training-log.csv"), newline="") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"])
        self.assertEqual(len(rows), 4)
        # The saved topology is the one Seedsong built; only the weights are new.
        model = read_json(os.path.join(out, "model.json"))
        initial = read_json(os.path.join(job, "initial", "model.json"))
        self.assertEqual(model["modelTopology"], initial["modelTopology"])
        self.assertEqual([w["name"] for w in model["weightsManifest"][0]["weights"]], [w["name"] for w in initial["weightsManifest"][0]["weights"]])
        self.assertTrue(os.path.exists(os.path.join(out, model["weightsManifest"][0]["paths"][0])))
        self.assertEqual([n for n in os.listdir(out) if n.endswith(".bin")], model["weightsManifest"][0]["paths"])

    def test_stopping_and_resuming_gives_the_uninterrupted_run(self):
        whole = copy_job(self, "lstm")
        _, straight = train(whole)
        parts = copy_job(self, "lstm")
        code, first = train(parts, "--steps", "7")
        self.assertEqual((code, first[-1]["stopReason"], first[-1]["lastCheckpoint"]), (0, "steps", "step-0000007"))
        _, rest = train(parts)
        self.assertEqual(rest[0]["resumedFrom"], {"id": "step-0000007", "epoch": 0, "step": 7})
        a = [e for e in straight if e["event"] == "epoch"]
        b = [e for e in first + rest if e["event"] == "epoch"]
        for x, y in zip(a, b):
            self.assertEqual((x["loss"], x["val_loss"]), (y["loss"], y["val_loss"]))
        self.assertEqual(len(a), len(b))
        # A finished run asked for more epochs goes on.
        code, more = train(parts, "--epochs", "4")
        self.assertEqual((code, more[-1]["epochs"]), (0, 4))
        self.assertEqual(len(read_json(os.path.join(os.path.dirname(parts), "seedsong.json"))["trainedWith"]["sessions"]), 3)

    def test_sigterm_stops_after_the_batch_with_a_checkpoint(self):
        job = copy_job(self, "lstm")
        out = os.path.dirname(job)
        env = {**os.environ, "PYTHONPATH": ENGINE_TORCH, "OMP_NUM_THREADS": "1"}
        p = subprocess.Popen([sys.executable, "-m", "seedsong_torch", "train", job, "--epochs", "1000", "--progress-interval", "0"], stdout=subprocess.PIPE, env=env, text=True)
        lines = []
        for line in p.stdout:
            lines.append(json.loads(line))
            if lines[-1]["event"] == "epoch":
                p.send_signal(signal.SIGTERM)
                break
        lines += [json.loads(line) for line in p.stdout]
        p.stdout.close()
        self.assertEqual(p.wait(timeout=60), 0)
        done = lines[-1]
        self.assertEqual(done["event"], "done")
        self.assertEqual(done["stopReason"], "cancelled")
        self.assertLess(done["epochs"], 1000)
        self.assertEqual(read_json(os.path.join(out, "seedsong.json"))["status"], "cancelled")
        last = done["lastCheckpoint"]
        self.assertIn("final", read_json(os.path.join(out, "checkpoints", last, "trainer.json"))["reasons"])
        code, resumed = train(job, "--epochs", str(done["epochs"] + 1))
        self.assertEqual((code, resumed[0]["resumedFrom"]["id"], resumed[-1]["stopReason"]), (0, last, "completed"))

    def test_a_gpt_job_trains(self):
        job = copy_job(self, "gpt")
        code, events = train(job, "--epochs", "1")
        self.assertEqual(code, 0, events)
        self.assertEqual(events[-1]["stopReason"], "completed")
        self.assertEqual(read_json(os.path.join(os.path.dirname(job), "seedsong.json"))["model"]["architecture"], "gpt")

    def test_bad_jobs_fail_with_a_reason_naming_the_file(self):
        job = copy_job(self, "lstm")
        with open(os.path.join(job, "train.ids"), "ab") as f:
            f.write(b"\0\0\0\0")
        code, events = train(job)
        self.assertEqual(code, 1)
        self.assertEqual(events[-1]["event"], "error")
        self.assertEqual(events[-1]["code"], "bad_input")
        self.assertIn("train.ids", events[-1]["message"])

        job = copy_job(self, "lstm")
        doc = read_json(os.path.join(job, "job.json"))
        doc["version"] = 99
        with open(os.path.join(job, "job.json"), "w") as f:
            json.dump(doc, f)
        code, events = train(job)
        self.assertEqual((code, events[-1]["code"]), (1, "invalid_request"))
        self.assertIn("version 99", events[-1]["message"])

        job = copy_job(self, "lstm")
        code, events = train(job, "--checkpoint", "nope")
        self.assertIn('no checkpoint "nope"', events[-1]["message"])
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(job), "seedsong.json")))


if __name__ == "__main__":
    unittest.main()
