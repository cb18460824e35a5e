"""python -m seedsong_torch COMMAND ...

  probe                       what this Python offers: torch version, gloo/nccl, GPUs (one JSON line)
  train JOB [options]         train a job folder (run it under torchrun for several processes)
  predict MODEL --sequences J next-token probabilities of a Seedsong model folder, as JSON
  export-random SRC DST ...   (tests) random PyTorch weights for SRC's architecture, with both LSTM
                              biases set, exported to DST; prints that PyTorch model's probabilities
  selftest TASKS.json         (tests) several of the above, window orders and training runs in one
                              process: one torch start-up instead of one per check
"""

import argparse
import json
import os
import shutil
import sys

from .errors import TrainerError


def probe() -> int:
    import multiprocessing

    import torch
    import torch.distributed as dist

    print(
        json.dumps(
            {
                "python": sys.executable,
                "torch": torch.__version__,
                "distributed": dist.is_available(),
                "gloo": dist.is_available() and dist.is_gloo_available(),
                "nccl": dist.is_available() and dist.is_nccl_available(),
                "cuda": torch.cuda.is_available(),
                "gpus": torch.cuda.device_count() if torch.cuda.is_available() else 0,
                "cpus": multiprocessing.cpu_count(),
            }
        )
    )
    return 0


def _probabilities(model, sequences):
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for seq in sequences:
            x = torch.tensor([seq], dtype=torch.int64)
            out.append(torch.softmax(model(x), -1)[0].tolist())
    return out


def _load_spec(model_dir: str) -> dict:
    from .library import read_meta

    meta = read_meta(model_dir)
    if not meta.get("model"):
        raise TrainerError("bad_input", f"{model_dir}: this model was imported, so its architecture is not described in seedsong.json")
    return meta["model"]


def predict(argv) -> int:
    from .models import build_model, load_tfjs_weights
    from .tfjs import read_layers_model

    p = argparse.ArgumentParser(prog="seedsong-torch predict")
    p.add_argument("model")
    p.add_argument("--checkpoint")
    p.add_argument("--sequences", required=True, help="JSON list of token id lists")
    a = p.parse_args(argv)
    model = build_model(_load_spec(a.model))
    weights_dir = os.path.join(a.model, "checkpoints", a.checkpoint) if a.checkpoint else a.model
    load_tfjs_weights(model, read_layers_model(weights_dir).weights, weights_dir)
    print(json.dumps({"probabilities": _probabilities(model, json.loads(a.sequences))}))
    return 0


def export_random(argv) -> int:
    import torch

    from .models import build_model, export_tfjs_weights
    from .tfjs import read_layers_model, write_layers_model

    p = argparse.ArgumentParser(prog="seedsong-torch export-random")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=0.3)
    p.add_argument("--sequences", required=True)
    a = p.parse_args(argv)
    model = build_model(_load_spec(a.src))
    torch.manual_seed(a.seed)
    with torch.no_grad():
        for param in model.parameters():  # includes the frozen second LSTM bias, so export must add it
            param.copy_(torch.randn_like(param) * a.scale)
    src = read_layers_model(a.src)
    os.makedirs(a.dst, exist_ok=True)
    write_layers_model(a.dst, src.topology, src.specs, export_tfjs_weights(model))
    shutil.copyfile(os.path.join(a.src, "seedsong.json"), os.path.join(a.dst, "seedsong.json"))
    print(json.dumps({"probabilities": _probabilities(model, json.loads(a.sequences))}))
    return 0


def selftest(argv) -> int:
    """TASKS.json: [{"kind": "predict" | "export-random" | "orders" | "train", "args": [...]}]
    (orders: {"cases": [[size, seed, epoch], ...]}). Prints one JSON list of results."""
    import contextlib
    import io

    from .rng import window_order

    with open(argv[0], "r", encoding="utf-8") as f:
        tasks = json.load(f)
    results = []
    for task in tasks:
        kind = task["kind"]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            if kind == "predict":
                predict(task["args"])
            elif kind == "export-random":
                export_random(task["args"])
            elif kind == "train":
                from .train import main as train_main

                code = train_main(task["args"])
                print(json.dumps({"exitCode": code}))
            elif kind == "orders":
                print(json.dumps([window_order(n, seed, epoch) for n, seed, epoch in task["cases"]]))
            else:
                raise TrainerError("invalid_request", f"unknown selftest task {kind!r}")
        lines = [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]
        results.append(lines if kind == "train" else lines[-1])
    print(json.dumps(results))
    return 0


def main(argv) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "probe":
            return probe()
        if command == "train":
            from .train import main as train_main

            return train_main(rest)
        if command == "predict":
            return predict(rest)
        if command == "export-random":
            return export_random(rest)
        if command == "selftest":
            return selftest(rest)
    except TrainerError as e:
        sys.stderr.write(f"seedsong-torch: {e.message}\n")
        return 1
    sys.stderr.write(f"seedsong-torch: unknown command {command!r}\n{__doc__}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
