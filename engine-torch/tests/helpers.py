"""Shared by the tests: the fixture jobs (written by engine-torch/testing/make-fixtures.ts) and a
way to run the trainer in this process and collect its progress lines."""

import contextlib
import io
import json
import os
import shutil
import tempfile

import torch

# One core each: the machine is shared, and the figures do not depend on it.
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")


def temp_dir(test) -> str:
    d = tempfile.mkdtemp(prefix="seedsong-torch-test-")
    test.addCleanup(shutil.rmtree, d, True)
    return d


def copy_job(test, kind: str) -> str:
    """A fresh copy of a fixture job as <tmp>/model/torch-job; returns the job folder."""
    job = os.path.join(temp_dir(test), "model", "torch-job")
    shutil.copytree(os.path.join(FIXTURES, kind), job)
    return job


def train(job_dir: str, *args: str):
    """Runs the trainer here (no torchrun): (exit code, events)."""
    from seedsong_torch.train import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        code = main([job_dir, *args])
    return code, [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


def read_json(path: str):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)
