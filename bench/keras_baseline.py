#!/usr/bin/env python3
"""Keras baseline of `npm run bench`: real Keras `model.predict` on TensorFlow CPU.

Usage: keras_baseline.py SPEC.json   (written by bench/baselines/keras.ts)

SPEC: {"seed": int, "batches": [1, 32, 256],
       "budget": {"warmupMs", "repMs", "reps"},
       "models": [{"key", "path", "checkFile"?, "checkDims"?}]}

Each model is loaded with the Keras that wrote it: tf_keras (Keras 2 / tf.keras) for an HDF5 file whose
root attribute keras_version is < 3, Keras 3 for 3.x HDF5 files and .keras zips. For each batch size b it
times model.predict(x, batch_size=b, verbose=0) on seeded uniform [0, 1) records, after a warm-up: x is a
data set sized so one call takes about 2 x repMs, one call per repetition, median records/s with
predict's fixed per-call cost taken out (see time_batch); TensorFlow uses all cores (its default).
It also predicts the records in checkFile (float32, row-major) so the caller can check the weights agree.
Prints one JSON document on stdout; TensorFlow's chatter goes to stderr.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
warnings.filterwarnings("ignore")


def keras_major(path: str) -> tuple[int, str | None]:
    """Major Keras version that wrote the file, and the version string when recorded."""
    if path.endswith(".keras"):
        return 3, None
    import h5py

    with h5py.File(path, "r") as f:
        v = f.attrs.get("keras_version")
    if isinstance(v, bytes):
        v = v.decode()
    if v is None:
        return 2, None
    major = re.match(r"\d+", str(v))
    return (3 if major and int(major.group()) >= 3 else 2), str(v)


def load(path: str):
    major, version = keras_major(path)
    if major >= 3:
        import keras

        return keras.models.load_model(path, compile=False), f"keras {keras.__version__}", version
    import tf_keras

    return tf_keras.models.load_model(path, compile=False), f"tf_keras {tf_keras.__version__}", version


def predict_timer(model, batch: int):
    """Seconds one model.predict(x, batch_size=batch) call takes."""

    def timed(x) -> float:
        t = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        return time.perf_counter() - t

    return timed


def calibrate(timed, one, many, batches: int, warmup_s: float) -> tuple[float, float]:
    """predict's fixed cost per call (the fastest one-batch call, after tracing and warm-up) and the time of one
    batch of work: the marginal estimate from a `batches`-batch call, kept within 4x of its plain average (noise)."""
    timed(one)  # traces the predict function
    end = time.perf_counter() + warmup_s
    overhead = timed(one)
    while time.perf_counter() < end:
        overhead = min(overhead, timed(one))
    t = timed(many)
    return overhead, max((t - overhead) / (batches - 1), t / (4 * batches))


def time_batch(model, shape, batch: int, budget: dict, rng) -> dict:
    """Throughput of model.predict(x, batch_size=batch) over a data set x sized so one call takes about
    2 x repMs. predict has a large fixed cost per call (data adapter, iterator: tens to hundreds of ms),
    which a data scientist scoring a whole data set in one call pays once; so recordsPerSec is the
    steady-state rate len(x) / (call time - that fixed cost), the fixed cost measured as the fastest
    one-batch call (which also holds one batch of work: this favors Keras). wholeCallRecordsPerSec keeps
    the rate of the calls as timed."""
    import numpy as np

    def records(n: int):
        return rng.random((n, *shape), dtype=np.float32)

    timed = predict_timer(model, batch)
    one = records(batch)
    overhead, per_step = calibrate(timed, one, records(batch * 16), 16, budget["warmupMs"] / 1000)
    target = 2 * budget["repMs"] / 1000
    steps = int(min(max(target / per_step, 16), max(16, 65536 // batch)))
    x = records(steps * batch)
    times = []
    for _ in range(budget["reps"]):
        overhead = min(overhead, timed(one))
        times.append(timed(x))
    steady = [len(x) / max(t - overhead, 1e-9) for t in times]
    return {
        "batch": batch,
        "recordsPerSec": median(steady),
        "reps": steady,
        "wholeCallRecordsPerSec": median([len(x) / t for t in times]),
        "calls": len(times),
        "recordsPerCall": len(x),
        "callOverheadMs": overhead * 1000,
    }


def median(values: list[float]) -> float:
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def run_model(entry: dict, spec: dict) -> dict:
    import numpy as np

    out: dict = {"key": entry["key"], "path": entry["path"]}
    started = time.perf_counter()
    model, loader, version = load(entry["path"])
    out.update(loader=loader, kerasVersionInFile=version)
    if len(model.inputs) != 1:
        raise ValueError(f"{len(model.inputs)} inputs; the baseline handles one")
    shape = [int(d) if d is not None else 8 for d in model.inputs[0].shape[1:]]
    out["inputShape"] = shape
    if entry.get("checkFile"):
        dims = entry["checkDims"]
        x = np.fromfile(entry["checkFile"], dtype=np.float32).reshape(dims)
        y = model.predict(x, batch_size=len(x), verbose=0)
        y = y[0] if isinstance(y, list) else y
        out["check"] = {"dims": list(y.shape), "data": [float(v) for v in np.asarray(y).ravel()]}
    out["loadMs"] = (time.perf_counter() - started) * 1000
    rng = np.random.default_rng(spec["seed"])
    out["results"] = [time_batch(model, shape, b, spec["budget"], rng) for b in spec["batches"]]
    return out


def main() -> int:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    t0 = time.perf_counter()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    info = {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "importMs": (time.perf_counter() - t0) * 1000,
        "intraOpThreads": tf.config.threading.get_intra_op_parallelism_threads() or f"default ({os.cpu_count()} cores)",
        "models": [],
    }
    for entry in spec["models"]:
        try:
            info["models"].append(run_model(entry, spec))
        except Exception as e:  # noqa: BLE001 — reported, not fatal
            traceback.print_exc(file=sys.stderr)
            info["models"].append({"key": entry["key"], "path": entry["path"], "error": f"{type(e).__name__}: {e}"})
    json.dump(info, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
