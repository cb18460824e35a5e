"""A Seedsong model folder, written as electron/engine/library.ts and catalog.ts write it:

  <out>/model.json + weights-<tag>.bin   the model (best weights when there is validation)
  <out>/seedsong.json                    encoding, hyperparameters, corpus, history, metrics, run
  <out>/training-log.csv                 epoch, loss, accuracy, val_loss, val_accuracy
  <out>/checkpoints/<id>/                model.json, weights.bin, optimizer.bin, trainer.json

Checkpoints are the engine's own format (TensorFlow.js weights, optimizer slots by weight index,
the trainer state of train.ts), so `seedsong generate --checkpoint`, `seedsong train --resume` on
one machine, and a torchrun resume all read the same folders.
"""

import json
import math
import os
import secrets
import shutil
import time
from datetime import datetime, timezone

import numpy as np

from .atomic import write_dir_atomic, write_file_atomic
from .errors import TrainerError
from .optim import slots_to_bytes
from .tfjs import MODEL_FILE, read_layers_model, write_layers_model

META_FILE = "seedsong.json"
LOG_FILE = "training-log.csv"
CHECKPOINTS = "checkpoints"


def now_iso() -> str:
    """Date.prototype.toISOString(): UTC, milliseconds, Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def js_number(v) -> str:
    """String(number) as JavaScript writes it for the CSV log (no trailing .0, e-notation like JS)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) < 1e21):
        return str(int(v))
    r = repr(float(v))
    if "e" in r:
        mant, exp = r.split("e")
        return f"{mant}e{'+' if int(exp) > 0 else '-'}{abs(int(exp))}"
    return r


def csv_log(history) -> str:
    rows = ["epoch,loss,accuracy,val_loss,val_accuracy"]
    for h in history:
        rows.append(",".join(js_number(h.get(k)) for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")))
    return "\n".join(rows) + "\n"


def read_meta(directory: str) -> dict:
    path = os.path.join(directory, META_FILE)
    try:
        with open(path, "r", encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise TrainerError("not_found", f"{path}: no such file (is {directory} a Seedsong model folder?)")
    except (OSError, ValueError) as e:
        raise TrainerError("bad_input", f"{path}: not valid JSON ({e})")
    if not isinstance(meta, dict) or meta.get("format") != "seedsong-model" or not isinstance((meta.get("encoding") or {}).get("tokens"), list):
        raise TrainerError("bad_input", f'{path}: not a Seedsong model description (expected format "seedsong-model" with an encoding and its tokens)')
    return meta


def write_meta(directory: str, meta: dict) -> None:
    write_file_atomic(os.path.join(directory, META_FILE), json.dumps(meta, indent=2) + "\n")


def write_meta_and_log(directory: str, meta: dict) -> None:
    write_meta(directory, meta)
    write_file_atomic(os.path.join(directory, LOG_FILE), csv_log(meta.get("history", [])))


def _weights_name() -> str:
    return f"weights-{np.base_repr(int(time.time() * 1000), 36).lower()}{secrets.token_hex(3)}.bin"


def update_model_weights(directory: str, topology, specs, weights, generated_by: str) -> None:
    """Replaces the model's top-level weights: a new weights file, then model.json, then the old
    file is removed (as updateModelWeights: model.json always names a complete file)."""
    old = []
    try:
        with open(os.path.join(directory, MODEL_FILE), "r", encoding="utf-8") as f:
            old = [p for g in json.load(f)["weightsManifest"] for p in g["paths"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    name = _weights_name()
    write_layers_model(directory, topology, specs, weights, name, generated_by)
    for p in old:
        if p != name:
            try:
                os.remove(os.path.join(directory, p))
            except OSError:
                pass


def save_checkpoint(model_dir: str, ck_id: str, topology, specs, weights, state: dict, optimizer: dict, reasons, generated_by: str) -> dict:
    target = os.path.join(model_dir, CHECKPOINTS, ck_id)
    saved_at = now_iso()

    def fill(tmp):
        write_layers_model(tmp, topology, specs, weights, "weights.bin", generated_by)
        write_file_atomic(os.path.join(tmp, "optimizer.bin"), slots_to_bytes(optimizer))
        trainer = {
            "state": state,
            "reasons": list(reasons),
            "savedAt": saved_at,
            "optimizer": {"optimizer": optimizer["optimizer"], "step": optimizer["step"], "slots": [{"name": s["name"], "shape": s["shape"]} for s in optimizer["slots"]]},
        }
        write_file_atomic(os.path.join(tmp, "trainer.json"), json.dumps(trainer))

    write_dir_atomic(target, fill)
    return {"id": ck_id, "dir": target, "epoch": state["epoch"], "step": state["step"], "reasons": list(reasons), "savedAt": saved_at}


def list_checkpoints(model_dir: str) -> list:
    root = os.path.join(model_dir, CHECKPOINTS)
    try:
        names = [n for n in os.listdir(root) if not n.startswith(".")]
    except OSError:
        return []
    out = []
    for ck_id in names:
        try:
            with open(os.path.join(root, ck_id, "trainer.json"), "r", encoding="utf-8") as f:
                t = json.load(f)
            out.append({"id": ck_id, "dir": os.path.join(root, ck_id), "epoch": t["state"]["epoch"], "step": t["state"]["step"], "reasons": t["reasons"], "savedAt": t["savedAt"]})
        except (OSError, ValueError, KeyError, TypeError):
            continue
    # As listCheckpoints: by step, then id (so at one step "epoch-..." comes after "best").
    return sorted(out, key=lambda c: (c["step"], c["id"]))


def remove_checkpoint(info: dict) -> None:
    shutil.rmtree(info["dir"], ignore_errors=True)


def load_checkpoint(directory: str):
    """(LayersModelFiles, trainer state, optimizer snapshot, info) of a checkpoint folder."""
    tpath = os.path.join(directory, "trainer.json")
    try:
        with open(tpath, "r", encoding="utf-8") as f:
            t = json.load(f)
    except (OSError, ValueError) as e:
        raise TrainerError("bad_input", f"{tpath}: missing or unreadable checkpoint state ({e})")
    opath = os.path.join(directory, "optimizer.bin")
    try:
        raw = np.fromfile(opath, dtype="<f4")
    except OSError:
        raise TrainerError("bad_input", f"{opath}: optimizer state is missing")
    need = sum(int(np.prod(s["shape"], dtype=np.int64)) for s in t["optimizer"]["slots"])
    if raw.size != need:
        raise TrainerError("bad_input", f"{opath}: {raw.size} values, expected {need}")
    slots, o = [], 0
    for s in t["optimizer"]["slots"]:
        n = int(np.prod(s["shape"], dtype=np.int64))
        slots.append({"name": s["name"], "shape": s["shape"], "data": raw[o : o + n].reshape(s["shape"]).astype(np.float32)})
        o += n
    files = read_layers_model(directory)
    info = {"id": os.path.basename(directory), "dir": directory, "epoch": t["state"]["epoch"], "step": t["state"]["step"], "reasons": t["reasons"], "savedAt": t["savedAt"]}
    return files, t["state"], {"optimizer": t["optimizer"]["optimizer"], "step": t["optimizer"]["step"], "slots": slots}, info


def finite_or_none(v):
    return v if v is not None and math.isfinite(v) else None
