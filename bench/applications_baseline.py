#!/usr/bin/env python3
"""Keras baseline of the `applications` bench suite: a long-lived `model.predict` server, so the suite can
interleave Keras repetitions with its own, rep by rep (bench/suites/applications.ts).

  applications_baseline.py [--threads N]        serve requests, one JSON object a line on stdin
  applications_baseline.py --build-transformer PATH [--seed N]   write the suite's small transformer (.keras)

--threads N pins TensorFlow to N intra-op threads and 1 inter-op thread (tf.config.threading, set before
TensorFlow starts); without it TensorFlow uses its defaults (all cores).

Requests (each answered by one JSON line on stdout; TensorFlow's chatter goes to stderr):
  {"op": "load", "key", "path", "batch", "warmupMs", "repMs", "checkFile", "checkDims", "high"}
      loads the .keras file with Keras 3, predicts the check records (float32 row-major), warms up predict at
      `batch` and sizes the timing data set (uniform [0, high)) so one call takes about repMs
  {"op": "rep", "key"}   one repetition: model.predict(x, batch_size=batch) over the data set (at least 8 batches).
      recordsPerSec is predict's steady rate, read by a callback: the records of batches 2..n over the time from
      the end of batch 1 to the end of batch n. It leaves out predict's fixed per-call cost (data adapter,
      iterator, the first step) and keeps the per-step cost a long call pays. cpuMsPerRecord: process CPU time
      of the whole call (all threads) per record; wholeCallRecordsPerSec keeps the raw rate of the call.
  {"op": "drop", "key"}  forgets the model
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
warnings.filterwarnings("ignore")



def build_transformer(path: str, seed: int) -> None:
    """(32, 64) float sequence -> MultiHeadAttention(4 heads, key_dim 16) + residual + LayerNormalization ->
    Dense FFN (128, relu; 64) + residual + LayerNormalization -> GlobalAveragePooling1D -> Dense(10)."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(seed)
    x = keras.Input((32, 64), name="sequence")
    a = keras.layers.MultiHeadAttention(num_heads=4, key_dim=16, name="mha")(x, x)
    h = keras.layers.LayerNormalization(name="ln1")(keras.layers.Add()([x, a]))
    f = keras.layers.Dense(128, activation="relu", name="ffn1")(h)
    f = keras.layers.Dense(64, name="ffn2")(f)
    h = keras.layers.LayerNormalization(name="ln2")(keras.layers.Add()([h, f]))
    y = keras.layers.Dense(10, name="logits")(keras.layers.GlobalAveragePooling1D()(h))
    model = keras.Model(x, y, name="small_transformer")
    rng = np.random.default_rng(seed)
    for v in model.weights:  # non-trivial biases and normalization parameters
        name = (getattr(v, "path", None) or v.name).split("/")[-1]
        shape = tuple(int(d) for d in v.shape)
        if name == "gamma":
            v.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif name in ("beta", "bias"):
            v.assign(rng.normal(0, 0.1, shape).astype("float32"))
    model.save(path)


def step_clock():
    """A Keras callback noting when each batch of a predict call ends (perf_counter seconds)."""
    import keras

    class StepClock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.ends: list[float] = []

        def on_predict_batch_end(self, batch, logs=None) -> None:
            self.ends.append(time.perf_counter())

    return StepClock()


def steady(model, x, batch: int, clock) -> tuple[float, float]:
    """One model.predict call: (seconds per record between the end of its first batch and the end of its last,
    seconds of the whole call)."""
    clock.ends = []
    t = time.perf_counter()
    model.predict(x, batch_size=batch, verbose=0, callbacks=[clock])
    whole = time.perf_counter() - t
    ends = clock.ends
    return (ends[-1] - ends[0]) / (len(x) - batch), whole


class Server:
    def __init__(self) -> None:
        self.models: dict = {}
        self.rng = None

    def load(self, req: dict) -> dict:
        import keras
        import numpy as np

        if self.rng is None:
            self.rng = np.random.default_rng(int(req.get("seed", 0)))
        t0 = time.perf_counter()
        model = keras.models.load_model(req["path"], compile=False)
        out: dict = {"loader": f"keras {keras.__version__}", "loadMs": (time.perf_counter() - t0) * 1000}
        batch = int(req["batch"])
        if req.get("checkFile"):
            x = np.fromfile(req["checkFile"], dtype=np.float32).reshape(req["checkDims"])
            y = model.predict(x, batch_size=batch, verbose=0)
            y = y[0] if isinstance(y, list) else y
            out["check"] = {"dims": list(y.shape), "data": [float(v) for v in np.asarray(y).ravel()]}
        shape = [int(d) for d in model.inputs[0].shape[1:]]
        high = float(req.get("high", 1.0))

        def records(n: int):
            return (self.rng.random((n, *shape), dtype=np.float32) * high).astype(np.float32)

        clock = step_clock()
        x8 = records(batch * 8)
        end = time.perf_counter() + req["warmupMs"] / 1000
        steady(model, x8, batch, clock)  # traces the predict function
        per_step = steady(model, x8, batch, clock)[0] * batch
        while time.perf_counter() < end:
            per_step = min(per_step, steady(model, x8, batch, clock)[0] * batch)
        steps = int(min(max(req["repMs"] / 1000 / per_step, 8), max(8, 16384 // batch)))
        self.models[req["key"]] = {"model": model, "batch": batch, "x": records(steps * batch), "clock": clock}
        out.update(recordsPerCall=steps * batch)
        return out

    def rep(self, req: dict) -> dict:
        m = self.models[req["key"]]
        cpu = time.process_time()
        rate, whole = steady(m["model"], m["x"], m["batch"], m["clock"])
        cpu = time.process_time() - cpu
        n = len(m["x"])
        # CPU time of every thread of the process over the whole call (fixed cost included): a measure the
        # load of a shared machine distorts far less than wall time.
        return {"recordsPerSec": 1 / rate, "wholeCallRecordsPerSec": n / whole, "cpuMsPerRecord": cpu * 1000 / n}

    def drop(self, req: dict) -> dict:
        import keras

        self.models.pop(req["key"], None)
        keras.backend.clear_session()
        return {}


def serve(threads: int | None) -> int:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    server = Server()
    hello = {"ready": True, "python": sys.version.split()[0], "tensorflow": tf.__version__,
             "keras": keras.__version__,
             "intraOpThreads": tf.config.threading.get_intra_op_parallelism_threads()
             or f"default ({os.cpu_count()} cores)",
             "interOpThreads": tf.config.threading.get_inter_op_parallelism_threads() or "default"}
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            res = getattr(server, req["op"])(req)
            res["ok"] = True
        except Exception as e:  # noqa: BLE001 — reported to the suite, not fatal
            traceback.print_exc(file=sys.stderr)
            res = {"ok": False, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"}
        print(json.dumps(res), flush=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--build-transformer")
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()
    if args.build_transformer:
        build_transformer(args.build_transformer, args.seed)
        return 0
    return serve(args.threads or None)


if __name__ == "__main__":
    sys.exit(main())
