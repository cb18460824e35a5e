"""The training loop: electron/engine/train.ts's loop (same window order, learning-rate schedule,
loss, clipping, optimizer, validation, early stopping and checkpoints), run by every process that
torchrun starts, with PyTorch's DistributedDataParallel averaging the gradients.

Each global batch is the preset's batch: process r of W takes rows [r*B/W, (r+1)*B/W) of it and
scales its summed loss by W / (tokens in the global batch), so DDP's average of the W gradients is
the gradient of the global batch's mean loss: one process or eight take the same steps. Dropout
masks are drawn for the whole batch too (models.DropoutMasks). Only rank 0 writes files and
progress lines; one small all-reduce per batch shares the loss, the accuracy and a stop request
(SIGINT or SIGTERM on any process: stop after this batch, write a checkpoint, exit 0).
"""

import argparse
import json
import math
import os
import signal
import sys
import time
import traceback

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from .errors import HyperparameterError, TrainerError
from .job import Job
from .library import (
    list_checkpoints,
    load_checkpoint,
    now_iso,
    read_meta,
    remove_checkpoint,
    save_checkpoint,
    update_model_weights,
    write_meta_and_log,
    META_FILE,
)
from .models import DropoutMasks, build_model, count_parameters, export_tfjs_weights, load_tfjs_weights
from .optim import KerasOptimizer, clip_global_norm
from .rng import derive_seed, window_order
from .tfjs import read_layers_model

PROGRESS_INTERVAL = 0.1  # seconds between progress lines (the engine's 10 per second)


def emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Windows:
    """WindowSet of data.ts: a window is seq inputs plus the token after them; starts every stride."""

    def __init__(self, ids: np.ndarray, seq: int, stride: int, device):
        total = int(ids.size)
        count = (total - seq - 1) // stride + 1 if total >= seq + 1 else 0
        self.size = count
        self.seq = seq
        self.stream = torch.from_numpy(ids).to(device)
        self.starts = torch.arange(count, dtype=torch.int64, device=device) * stride
        self.offsets = torch.arange(seq + 1, dtype=torch.int64, device=device)
        self.device = device

    def batch(self, indices):
        idx = torch.as_tensor(indices, dtype=torch.int64, device=self.device)
        w = self.stream[self.starts[idx][:, None] + self.offsets]
        return w[:, :-1], w[:, 1:]


def learning_rate_at(t: dict, epoch: int, step: int) -> float:
    warm = min(1.0, (step + 1) / t["warmupSteps"]) if t["warmupSteps"] > 0 else 1.0
    return t["learningRate"] * (t["lrDecay"] ** epoch) * warm


def initial_state() -> dict:
    return {
        "epoch": 0,
        "batchInEpoch": 0,
        "step": 0,
        "history": [],
        "bestValLoss": None,
        "bestEpoch": None,
        "epochsWithoutImprovement": 0,
        "epochLossSum": 0.0,
        "epochAccuracySum": 0.0,
        "epochSeconds": 0.0,
        "finished": False,
    }


def rows_of(rank: int, world: int, n: int) -> slice:
    """This process's share of n rows: contiguous, sizes differing by at most one."""
    return slice(rank * n // world, (rank + 1) * n // world)


class Dist:
    """Rank, world and the process group (none when started without torchrun)."""

    def __init__(self, device_arg: str, backend_arg: str):
        self.started_by_torchrun = "RANK" in os.environ and "WORLD_SIZE" in os.environ
        self.rank = int(os.environ.get("RANK", 0))
        self.world = int(os.environ.get("WORLD_SIZE", 1))
        self.local_rank = int(os.environ.get("LOCAL_RANK", 0))
        self.local_world = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
        want = device_arg
        if want == "auto":
            want = "cuda" if torch.cuda.is_available() else "cpu"
        if want == "cuda":
            if not torch.cuda.is_available():
                raise TrainerError("unsupported", "--device cuda: PyTorch sees no CUDA GPU on this machine (torch.cuda.is_available() is false); use --device cpu")
            if self.local_rank >= torch.cuda.device_count():
                raise TrainerError("unsupported", f"process {self.local_rank} on this node has no GPU: {torch.cuda.device_count()} visible; start at most that many processes per node")
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        elif want == "cpu":
            self.device = torch.device("cpu")
        else:
            raise TrainerError("invalid_request", f'--device must be cpu, cuda or auto, got "{device_arg}"')
        self.backend = None
        if self.started_by_torchrun:
            self.backend = backend_arg if backend_arg != "auto" else ("nccl" if self.device.type == "cuda" else "gloo")
            dist.init_process_group(self.backend)

    @property
    def active(self) -> bool:
        return self.backend is not None

    def all_sum(self, values) -> list:
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.active and self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def close(self) -> None:
        if self.active:
            dist.destroy_process_group()


class StopRequest:
    """SIGINT / SIGTERM: finish the batch, write a checkpoint, stop. A second signal aborts."""

    def __init__(self):
        self.requested = False
        self.previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore(self):
        for s, handler in self.previous.items():
            signal.signal(s, handler)

    def _on_signal(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt(f"signal {signum} again: stopping without a checkpoint")
        self.requested = True


def batch_sums(model, x, y, masks, last_only: bool):
    """(sum of cross-entropies, correct predictions, targets) of a batch."""
    logits = model(x, masks, last_only)
    targets = y[:, -1:] if last_only else y
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum")
    correct = (logits.argmax(-1) == targets).sum()
    return ce, correct, targets.numel()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="seedsong-torch train", description="Train the model described by a Seedsong job folder (run it with torchrun for several processes).")
    p.add_argument("job", nargs="?", help="the job folder (default: the folder of train.py)")
    p.add_argument("--out", help="the model folder to write (default: the job's parent folder)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (cuda when PyTorch sees a GPU)")
    p.add_argument("--dist-backend", default="auto", help="gloo, nccl or auto (nccl on GPUs, gloo on CPUs)")
    p.add_argument("--epochs", type=int, help="train up to this many epochs in total (a finished run goes on)")
    p.add_argument("--steps", type=int, help="stop after this many batches in this call, with a checkpoint")
    p.add_argument("--checkpoint", help="resume from checkpoints/ID instead of the newest checkpoint")
    p.add_argument("--threads", type=int, help="CPU threads per process (torch.set_num_threads)")
    p.add_argument("--progress-interval", type=float, default=PROGRESS_INTERVAL, help="seconds between progress lines (0 = every batch)")
    return p.parse_args(argv)


def run(args, job: Job) -> int:
    d = Dist(args.device, args.dist_backend)
    leader = d.rank == 0
    say = emit if leader else (lambda e: None)
    stop = StopRequest()
    try:
        return _train(args, job, d, say, stop)
    finally:
        stop.restore()
        d.close()


def _train(args, job: Job, d: Dist, say, stop: StopRequest) -> int:
    session_start = time.perf_counter()
    started_at = now_iso()
    if args.threads:
        torch.set_num_threads(args.threads)
    spec = job.model
    t = dict(job.training)
    if args.epochs:
        t["epochs"] = args.epochs
    B, T = int(t["batchSize"]), int(t["seqLength"])
    last_only = t["loss"] == "last"
    if B < d.world:
        raise HyperparameterError(f"batch size {B} cannot be shared by {d.world} processes: each needs at least one window. Use a batch of at least {d.world}, or fewer processes")
    out = os.path.abspath(args.out) if args.out else job.out_dir()
    os.makedirs(out, exist_ok=True)

    model = build_model(spec).to(d.device)
    bindings = model.bindings()
    optimizer = KerasOptimizer(t["optimizer"], bindings, t.get("weightDecay") or 0.0, t.get("epsilon"))
    initial = read_layers_model(job.initial_dir(), os.path.basename(job.doc["initial"]))
    topology, specs = initial.topology, initial.specs
    generated_by = f"Seedsong PyTorch trainer (torch {torch.__version__})"

    checkpoints = list_checkpoints(out)
    resumed_from = None
    if args.checkpoint:
        pick = next((c for c in checkpoints if c["id"] == args.checkpoint), None)
        if pick is None:
            have = ", ".join(c["id"] for c in checkpoints) or "none"
            raise TrainerError("not_found", f'{out}: no checkpoint "{args.checkpoint}" (have: {have})')
    else:
        pick = checkpoints[-1] if checkpoints else None
    if pick:
        files, state, snap, resumed_from = load_checkpoint(pick["dir"])
        load_tfjs_weights(model, files.weights, pick["dir"])
        optimizer.restore(snap, pick["dir"])
        if state["finished"] and args.epochs and state["epoch"] < args.epochs:
            state = {**state, "finished": False, "epochsWithoutImprovement": 0}
    else:
        load_tfjs_weights(model, initial.weights, job.initial_dir())
        state = initial_state()

    if d.active and d.world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        net = DDP(model, device_ids=[d.device.index] if d.device.type == "cuda" else None)
    else:
        net = model

    stride = int(t.get("stride") or (1 if last_only else T))
    train_w = Windows(job.tokens("train"), T, stride, d.device)
    val_w = Windows(job.tokens("validation"), T, T, d.device)
    if train_w.size < B:
        raise HyperparameterError(f"batch size {B} is larger than the data: the training tunes give only {train_w.size} windows of {T} tokens")
    batches = train_w.size // B
    total_steps = t["epochs"] * batches
    targets_per_batch = B * (1 if last_only else T)
    rows = rows_of(d.rank, d.world, B)
    parameters = count_parameters(model)

    meta = _base_meta(job, out, parameters)
    folder_exists = os.path.exists(os.path.join(out, META_FILE))
    nodes = max(1, d.world // max(1, d.local_world))
    session = {
        "startedAt": started_at,
        "worldSize": d.world,
        "nodes": nodes,
        "device": d.device.type,
        "backend": d.backend or "none",
        "threads": torch.get_num_threads(),
        "fromStep": state["step"],
        "toStep": state["step"],
        "wallSeconds": 0.0,
        "stopReason": None,
    }
    previous = meta.get("trainedWith") or {}
    sessions = list(previous.get("sessions", []))
    earlier_wall = sum(s.get("wallSeconds", 0) for s in sessions)

    def record_run(m: dict) -> dict:
        session["toStep"] = state["step"]
        session["wallSeconds"] = round(time.perf_counter() - session_start, 3)
        m["trainedWith"] = {
            "engine": "pytorch",
            "torch": torch.__version__,
            "worldSize": d.world,
            "nodes": nodes,
            "device": d.device.type,
            "backend": d.backend or "none",
            "wallSeconds": round(earlier_wall + session["wallSeconds"], 3),
            "sessions": sessions + [dict(session)],
        }
        return m

    meta.update(
        training=t,
        status="training",
        updatedAt=now_iso(),
        backend=f"pytorch {torch.__version__} ({d.backend or 'single process'}, {d.device.type} x{d.world})",
    )
    if job.doc.get("corpus"):
        meta["corpus"] = job.doc["corpus"]

    say(
        {
            "event": "start",
            "out": out,
            "parameters": parameters,
            "batchesPerEpoch": batches,
            "preset": job.doc.get("preset"),
            "worldSize": d.world,
            "nodes": nodes,
            "device": d.device.type,
            "backend": d.backend or "none",
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "resumedFrom": {k: resumed_from[k] for k in ("id", "epoch", "step")} if resumed_from else None,
        }
    )

    last_checkpoint = None

    def save(reasons):
        nonlocal folder_exists, meta, last_checkpoint
        if not reasons or d.rank != 0:
            return
        weights = export_tfjs_weights(model)
        snap = optimizer.snapshot()
        m = dict(meta)
        m.update(
            updatedAt=now_iso(),
            history=state["history"],
            metrics={**meta.get("metrics", {}), "parameters": parameters, "bestValLoss": state["bestValLoss"], "bestEpoch": state["bestEpoch"], "lastLoss": state["history"][-1]["loss"] if state["history"] else None},
        )
        ck_id = f"epoch-{state['epoch']:04d}" if state["batchInEpoch"] == 0 else f"step-{state['step']:07d}"
        snapshot_state = json.loads(json.dumps(state))
        last_checkpoint = save_checkpoint(out, ck_id, topology, specs, weights, snapshot_state, snap, reasons, generated_by)
        if "best" in reasons:
            save_checkpoint(out, "best", topology, specs, weights, snapshot_state, snap, reasons, generated_by)
        for old in list_checkpoints(out):
            if old["id"].startswith("step-") and old["id"] != ck_id:
                remove_checkpoint(old)
        # The model itself: the best weights when there is validation, else the latest.
        if "best" in reasons or state["bestValLoss"] is None or not folder_exists:
            update_model_weights(out, topology, specs, weights, generated_by)
            if "best" in reasons or state["bestValLoss"] is None:
                m["checkpoint"] = {"id": ck_id, "epoch": state["epoch"], "step": state["step"]}
        # seedsong.json last: the library lists the folder only once its weights are complete.
        write_meta_and_log(out, record_run(m))
        folder_exists = True
        meta = m
        say({"event": "checkpoint", "id": ck_id, "epoch": state["epoch"], "step": state["step"], "reasons": list(reasons)})

    def validate():
        if val_w.size == 0:
            return None
        vr = rows_of(d.rank, d.world, val_w.size)
        ce_sum, correct, count = 0.0, 0.0, 0
        model.eval()
        with torch.no_grad():
            for s in range(vr.start, vr.stop, B):
                x, y = val_w.batch(list(range(s, min(s + B, vr.stop))))
                ce, c, n = batch_sums(model, x, y, None, last_only)
                ce_sum += ce.item()
                correct += c.item()
                count += n
        model.train()
        ce_sum, correct, count = d.all_sum([ce_sum, correct, count])
        return {"loss": ce_sum / count, "accuracy": correct / count}

    stop_reason = "completed"
    stop_agreed = False
    call_start = state["step"]
    rate = 0.0
    last_time = time.perf_counter()
    last_line = 0.0
    generator = torch.Generator(device=d.device)
    model.train()
    try:
        while state["epoch"] < t["epochs"] and not state["finished"]:
            order = torch.tensor(window_order(train_w.size, t["seed"], state["epoch"]), dtype=torch.int64)
            epoch_start = time.perf_counter() - state["epochSeconds"]
            broke = False
            while state["batchInEpoch"] < batches:
                if stop_agreed:
                    stop_reason, broke = "cancelled", True
                    break
                if args.steps is not None and state["step"] - call_start >= args.steps:
                    stop_reason, broke = "steps", True
                    break
                i = state["batchInEpoch"]
                x, y = train_w.batch(order[i * B : (i + 1) * B][rows])
                lr = learning_rate_at(t, state["epoch"], state["step"])
                generator.manual_seed(derive_seed(t["seed"], "dropout", state["step"]))
                masks = DropoutMasks(generator, float(spec.get("dropout", 0)), rows, B, d.device)
                ce, correct, _ = batch_sums(net, x, y, masks, last_only)
                for p in optimizer.params:
                    p.grad = None
                (ce * (d.world / targets_per_batch)).backward()
                clip_global_norm(optimizer.params, t["clipNorm"])
                optimizer.apply(lr)
                ce_all, correct_all, flag = d.all_sum([ce.item(), correct.item(), 1.0 if stop.requested else 0.0])
                stop_agreed = flag > 0
                loss, accuracy = ce_all / targets_per_batch, correct_all / targets_per_batch
                if not math.isfinite(loss):
                    raise HyperparameterError(f"the loss became {loss} at batch {state['step'] + 1}; try a lower learning rate or gradient clipping")
                state["step"] += 1
                state["batchInEpoch"] += 1
                state["epochLossSum"] += loss
                state["epochAccuracySum"] += accuracy
                now = time.perf_counter()
                state["epochSeconds"] = now - epoch_start
                inst = 1.0 / max(1e-6, now - last_time)
                last_time = now
                rate = inst if rate == 0 else 0.9 * rate + 0.1 * inst
                remaining = total_steps - state["step"]
                if args.steps is not None:
                    remaining = min(remaining, args.steps - (state["step"] - call_start))
                if now - last_line >= args.progress_interval or state["batchInEpoch"] == batches:
                    last_line = now
                    say(
                        {
                            "event": "progress",
                            "epoch": state["epoch"] + 1,
                            "epochs": t["epochs"],
                            "batch": state["batchInEpoch"],
                            "batchesPerEpoch": batches,
                            "step": state["step"],
                            "totalSteps": total_steps,
                            "loss": loss,
                            "accuracy": accuracy,
                            "learningRate": lr,
                            "tokensPerSecond": rate * B * T,
                            "tokensPerSecondPerProcess": rate * B * T / d.world,
                            "etaSeconds": remaining / rate if rate > 0 else 0,
                        }
                    )
                every = t.get("checkpointEverySteps", 0)
                if every > 0 and state["step"] % every == 0 and state["batchInEpoch"] < batches:
                    save(["periodic"])
            if broke:
                break

            val = validate()
            record = {
                "epoch": state["epoch"] + 1,
                "loss": state["epochLossSum"] / batches,
                "accuracy": state["epochAccuracySum"] / batches,
                "val_loss": val["loss"] if val else None,
                "val_accuracy": val["accuracy"] if val else None,
                "learning_rate": learning_rate_at(t, state["epoch"], state["step"] - 1),
                "seconds": time.perf_counter() - epoch_start,
            }
            state["history"].append(record)
            state["epoch"] += 1
            state["batchInEpoch"] = 0
            state["epochLossSum"] = 0.0
            state["epochAccuracySum"] = 0.0
            state["epochSeconds"] = 0.0
            reasons = []
            if val and (state["bestValLoss"] is None or val["loss"] < state["bestValLoss"]):
                state["bestValLoss"] = val["loss"]
                state["bestEpoch"] = record["epoch"]
                state["epochsWithoutImprovement"] = 0
                reasons.append("best")
            elif val:
                state["epochsWithoutImprovement"] += 1
            if t["patience"] > 0 and state["epochsWithoutImprovement"] >= t["patience"]:
                state["finished"] = True
                stop_reason = "early-stopping"
            if state["epoch"] >= t["epochs"]:
                state["finished"] = True
            if t["checkpointEveryEpochs"] > 0 and state["epoch"] % t["checkpointEveryEpochs"] == 0:
                reasons.append("periodic")
            if state["finished"]:
                reasons.append("final")
            say({"event": "epoch", **record})
            save(reasons)
            last_time = time.perf_counter()
        if stop_reason in ("steps", "cancelled"):
            save(["final"])
    except BaseException:
        if d.rank == 0 and folder_exists:
            session["stopReason"] = "failed"
            try:
                write_meta_and_log(out, record_run({**meta, "status": "failed", "updatedAt": now_iso()}))
            except Exception:
                pass
        raise

    session["stopReason"] = stop_reason
    if d.rank == 0 and folder_exists:
        meta = {**meta, "status": "cancelled" if stop_reason == "cancelled" else "complete", "updatedAt": now_iso(), "history": state["history"]}
        write_meta_and_log(out, record_run(meta))
    wall = time.perf_counter() - session_start
    say(
        {
            "event": "done",
            "stopReason": stop_reason,
            "epochs": state["epoch"],
            "steps": state["step"],
            "bestValLoss": state["bestValLoss"],
            "out": out,
            "worldSize": d.world,
            "wallSeconds": wall,
            "lastCheckpoint": last_checkpoint["id"] if last_checkpoint else None,
        }
    )
    return 0


def _base_meta(job: Job, out: str, parameters: int) -> dict:
    """seedsong.json as it stands (a resumed model keeps everything it had), or a new one."""
    if os.path.exists(os.path.join(out, META_FILE)):
        return read_meta(out)
    created = job.doc.get("createdAt") or now_iso()
    return {
        "format": "seedsong-model",
        "version": 1,
        "name": job.doc["name"],
        "createdAt": created,
        "updatedAt": created,
        "source": "trained",
        "encoding": job.doc["encoding"],
        "preset": job.doc.get("preset"),
        "model": job.model,
        "training": job.training,
        "corpus": job.doc.get("corpus"),
        "history": [],
        "metrics": {"parameters": parameters, "bestValLoss": None, "bestEpoch": None},
        "status": "training",
    }


def main(argv, default_job_dir: str = None) -> int:
    args = parse_args(argv)
    job_dir = args.job or default_job_dir
    rank = int(os.environ.get("RANK", 0))
    try:
        if not job_dir:
            raise TrainerError("invalid_request", "name the job folder (the folder holding job.json)")
        return run(args, Job(job_dir))
    except TrainerError as e:
        if rank == 0:
            emit({"event": "error", "code": e.code, "message": e.message, **({"hyperparameters": True} if e.hyperparameters else {})})
        sys.stderr.write(f"seedsong-torch: {e.message}\n")
        return 1
    except KeyboardInterrupt as e:
        sys.stderr.write(f"seedsong-torch: stopped ({e})\n")
        return 130
    except Exception as e:
        if rank == 0:
            emit({"event": "error", "code": "engine_failed", "message": f"{type(e).__name__}: {e}"})
        traceback.print_exc()
        return 1
