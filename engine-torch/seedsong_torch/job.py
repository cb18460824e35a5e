"""A training job folder, as Seedsong writes it (engine-torch/job.ts; the format is in the README):

  job.json          what to train: model spec, training config, encoding (the vocabulary), split
  train.ids         training tunes' token ids, end to end, int32 little-endian
  validation.ids    held-out tunes' token ids, the same way
  initial/          the initial weights Seedsong built for this preset and seed (model.json + weights)

Token ids and the vocabulary come from Seedsong's encoders; nothing here reads music.
"""

import json
import os

import numpy as np

from .errors import TrainerError

JOB_FILE = "job.json"
JOB_FORMAT = "seedsong-torch-job"
JOB_VERSION = 1


class Job:
    def __init__(self, directory: str):
        self.dir = os.path.abspath(directory)
        path = os.path.join(self.dir, JOB_FILE)
        try:
            with open(path, "r", encoding="utf-8") as f:
                doc = json.load(f)
        except FileNotFoundError:
            raise TrainerError("not_found", f"{path}: no such file (is {directory} a Seedsong training job folder?)")
        except (OSError, ValueError) as e:
            raise TrainerError("invalid_request", f"{path}: not valid JSON ({e})")
        if not isinstance(doc, dict) or doc.get("format") != JOB_FORMAT:
            raise TrainerError("invalid_request", f'{path}: not a Seedsong training job (expected "format": "{JOB_FORMAT}")')
        if doc.get("version") != JOB_VERSION:
            raise TrainerError("invalid_request", f"{path}: job format version {doc.get('version')}, this trainer reads version {JOB_VERSION} (write the job again with this Seedsong)")
        for key in ("model", "training", "encoding", "data", "initial", "name"):
            if key not in doc:
                raise TrainerError("invalid_request", f'{path}: "{key}" is missing')
        self.doc = doc
        self.path = path

    @property
    def model(self) -> dict:
        return self.doc["model"]

    @property
    def training(self) -> dict:
        return self.doc["training"]

    @property
    def vocab_size(self) -> int:
        return int(self.doc["model"]["vocabSize"])

    def out_dir(self) -> str:
        """The model folder: the job's parent unless the job names another (relative to the job)."""
        return os.path.normpath(os.path.join(self.dir, self.doc.get("out", "..")))

    def initial_dir(self) -> str:
        return os.path.normpath(os.path.join(self.dir, os.path.dirname(self.doc["initial"])))

    def tokens(self, split: str) -> np.ndarray:
        entry = self.doc["data"].get(split)
        if entry is None:
            return np.zeros(0, dtype=np.int64)
        file = os.path.join(self.dir, entry["file"])
        try:
            ids = np.fromfile(file, dtype="<i4")
        except OSError:
            raise TrainerError("not_found", f"{file}: the {split} token ids are missing")
        if ids.size != entry["tokens"]:
            raise TrainerError("bad_input", f"{file}: {ids.size} token ids, job.json says {entry['tokens']} (a partial copy?)")
        if ids.size:
            lo, hi = int(ids.min()), int(ids.max())
            if lo < 0 or hi >= self.vocab_size:
                bad = int(np.nonzero((ids < 0) | (ids >= self.vocab_size))[0][0])
                raise TrainerError("bad_input", f"{file}: token {bad} is {int(ids[bad])}, outside the vocabulary 0..{self.vocab_size - 1}")
        return ids.astype(np.int64)
