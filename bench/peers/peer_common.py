"""Shared by the PyTorch peers: which BLAS torch really uses, and the timing helpers.

torch.__config__ says how torch was built (Debian's says BLAS_INFO=generic: it links libblas.so.3,
which the alternatives system points at OpenBLAS or at the reference BLAS). So the loaded library is
read from /proc/self/maps after a matrix product, and the build line is quoted beside it."""
import re
import time

import torch


def torch_blas():
    """(kind, description): kind is 'openblas', 'mkl', 'blis', 'reference' or 'unknown'."""
    a = torch.ones(64, 64)
    (a @ a).sum().item()
    cfg = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
    built = m.group(1) if m else "?"
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = path.rsplit("/", 1)[-1]
                if re.search(r"(openblas|libblas|mkl_|libblis|libcblas)", name) and path not in libs:
                    libs.append(path)
    except OSError:
        pass
    joined = " ".join(libs)
    if "openblas" in joined:
        kind = "openblas"
    elif "mkl" in joined or built == "mkl":
        kind = "mkl"
    elif "blis" in joined:
        kind = "blis"
    elif re.search(r"/blas/libblas\.so", joined) or "libblas.so" in joined:
        kind = "reference"
    else:
        kind = "unknown"
    return kind, "%s (built BLAS_INFO=%s; loaded %s)" % (kind, built, ", ".join(libs) or "no BLAS library")


def fields():
    kind, desc = torch_blas()
    return {"torch": torch.__version__, "torch_blas": desc, "torch_blas_kind": kind}


def timed_steps(step, seconds, warm=1, at_least=3):
    """(steps, wall seconds, CPU seconds of this process): on a shared machine the CPU time is the
    steadier figure."""
    for _ in range(warm):
        step()
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds or n < at_least:
        step()
        n += 1
    return n, time.perf_counter() - t0, time.process_time() - c0


def per_token_times(step, seconds, at_least=200):
    times = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(times) < at_least:
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"median_ms": times[len(times) // 2], "p99_ms": times[int(len(times) * 0.99)], "steps": len(times)}
