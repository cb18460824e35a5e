"""TensorFlow.js LayersModel files (model.json + weight files), read and written as Seedsong's
library.ts does: one weights manifest group, float32 little-endian, the sizes checked against the
manifest. The topology is never built here: it is taken from the job (Seedsong wrote it) and
written back unchanged, so what the studio loads is exactly the model it would have built.
"""

import json
import os
import re

import numpy as np

from .atomic import write_file_atomic
from .errors import TrainerError

MODEL_FILE = "model.json"
_DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4")}
_SUFFIX = re.compile(r"_\d+$")


def canonical_name(name: str) -> str:
    """`layer/weight`, without the `_N` TensorFlow.js appends to a weight name it saw before in the
    same process (saved models normally carry clean names; this only makes reading tolerant)."""
    layer, _, weight = name.rpartition("/")
    return f"{layer}/{_SUFFIX.sub('', weight)}" if layer else name


class LayersModelFiles:
    """The topology, the manifest's weight specs (in file order) and the weights by name."""

    def __init__(self, topology, specs, weights):
        self.topology = topology
        self.specs = specs  # [{"name", "shape", "dtype"}], in the order of the weight file
        self.weights = weights  # canonical name -> np.ndarray (float32, TensorFlow.js layout)

    @property
    def names(self):
        return [canonical_name(s["name"]) for s in self.specs]


def read_layers_model(directory: str, file_name: str = MODEL_FILE) -> LayersModelFiles:
    path = os.path.join(directory, file_name)
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise TrainerError("not_found", f"{path}: no such file (is {directory} a model or checkpoint folder?)")
    except (OSError, ValueError) as e:
        raise TrainerError("bad_input", f"{path}: not valid JSON ({e})")
    if not isinstance(doc, dict) or "modelTopology" not in doc or not isinstance(doc.get("weightsManifest"), list):
        raise TrainerError("bad_input", f"{path}: not a TensorFlow.js LayersModel (expected modelTopology and weightsManifest)")
    specs, blobs = [], []
    for group in doc["weightsManifest"]:
        for w in group.get("weights", []):
            dtype = (w.get("quantization") or {}).get("dtype") or w.get("dtype", "float32")
            if w.get("quantization") or dtype not in _DTYPES:
                raise TrainerError("bad_input", f"{path}: weight {w.get('name')} is stored as {dtype}; only float32 and int32 weights can be trained")
            specs.append({"name": w["name"], "shape": list(w["shape"]), "dtype": dtype})
        for p in group.get("paths", []):
            file = os.path.normpath(os.path.join(directory, p))
            if os.path.relpath(file, directory).startswith(".."):
                raise TrainerError("bad_input", f'{path}: weights path "{p}" points outside the model folder')
            try:
                with open(file, "rb") as f:
                    blobs.append(f.read())
            except OSError:
                raise TrainerError("bad_input", f"{file}: weights file is missing (listed in {file_name})")
    data = b"".join(blobs)
    expected = sum(int(np.prod(s["shape"], dtype=np.int64)) * 4 for s in specs)
    if len(data) != expected:
        raise TrainerError("bad_input", f"{directory}: weights are corrupt or truncated: {len(data)} bytes on disk, {expected} expected from {file_name}")
    weights, offset = {}, 0
    for s in specs:
        n = int(np.prod(s["shape"], dtype=np.int64))
        arr = np.frombuffer(data, dtype=_DTYPES[s["dtype"]], count=n, offset=offset).reshape(s["shape"]).astype(np.float32)
        offset += n * 4
        weights[canonical_name(s["name"])] = arr
    return LayersModelFiles(doc["modelTopology"], specs, weights)


def write_layers_model(directory: str, topology, specs, weights, weights_name: str = "weights.bin", generated_by: str = "") -> None:
    """Writes the weights file, then model.json (atomically, in that order: a reader of model.json
    always finds its weights). `weights` maps canonical names to arrays in TensorFlow.js layout."""
    parts, manifest = [], []
    for s in specs:
        name = canonical_name(s["name"])
        if name not in weights:
            raise TrainerError("bad_input", f"no value for weight {name} (the model and its topology do not match)")
        arr = np.ascontiguousarray(weights[name], dtype=np.float32)
        if list(arr.shape) != list(s["shape"]):
            raise TrainerError("bad_input", f"weight {name} has shape {list(arr.shape)}, the topology expects {s['shape']}")
        parts.append(arr.astype("<f4").tobytes())
        manifest.append({"name": name, "shape": list(s["shape"]), "dtype": "float32"})
    write_file_atomic(os.path.join(directory, weights_name), b"".join(parts))
    doc = {
        "modelTopology": topology,
        "format": "layers-model",
        "generatedBy": generated_by or "Seedsong PyTorch trainer",
        "convertedBy": None,
        "weightsManifest": [{"paths": [weights_name], "weights": manifest}],
    }
    write_file_atomic(os.path.join(directory, MODEL_FILE), json.dumps(doc))
