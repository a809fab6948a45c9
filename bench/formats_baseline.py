"""The obvious Python for record files (the `formats` bench's baseline): pandas reads, Keras predicts in batches.

    python formats_baseline.py jsonl MODEL INPUT.jsonl OUTPUT.jsonl LIMIT
    python formats_baseline.py csv MODEL INPUT.csv OUTPUT.csv LIMIT ID_COLUMN
    python formats_baseline.py build-mlp PATH     (the bench's small MLP: 20 inputs -> 64 -> 32 -> 3 softmax)

JSON Lines: `pandas.read_json(lines=True, chunksize=...)` (a whole 1,000,000-line file does not fit in memory
read at once), `np.stack` of each chunk's `values`, `model.predict(x, batch_size=256)`, one output line per input.
CSV: `pandas.read_csv(chunksize=...)`, the feature columns as float32, `model.predict`, predictions and class per
row with `DataFrame.to_csv`. At most LIMIT records. Prints one JSON line: {"records", "seconds", "peak_rss_mib"};
timing starts after the model is loaded. Needs pandas: `.venv/bin/pip install -r bench/requirements.txt`.
"""
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CHUNK = 10_000


def build_mlp(path):
    import keras

    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.save(path)


def score_jsonl(model, source, target, limit):
    import numpy as np
    import pandas as pd

    done = 0
    with open(target, "w") as out:
        for chunk in pd.read_json(source, lines=True, chunksize=CHUNK, nrows=limit):
            x = np.stack([np.asarray(v, dtype=np.float32) for v in chunk["values"]])
            x = x.reshape((len(chunk),) + tuple(model.input_shape[1:]))
            pred = model.predict(x, batch_size=256, verbose=0)
            classes = pred.argmax(-1)
            for i in range(len(chunk)):
                p = pred[i].tolist()
                out.write(json.dumps({"line": done + i + 1, "fields": ["prediction", "prediction_classes", "probability"], "values": [p, int(classes[i]), p]}) + "\n")
            done += len(chunk)
    return done


def score_csv(model, source, target, limit, id_column):
    import numpy as np
    import pandas as pd

    done = 0
    first = True
    for chunk in pd.read_csv(source, chunksize=CHUNK, nrows=limit):
        x = chunk.drop(columns=[id_column]).to_numpy(dtype=np.float32)
        pred = model.predict(x, batch_size=256, verbose=0)
        out = pd.DataFrame(pred, columns=[f"prediction_{i}" for i in range(pred.shape[1])])
        out.insert(0, id_column, chunk[id_column].to_numpy())
        out["prediction_class"] = pred.argmax(-1)
        out.to_csv(target, mode="w" if first else "a", header=first, index=False)
        first = False
        done += len(chunk)
    return done


def main():
    kind = sys.argv[1]
    if kind == "build-mlp":
        build_mlp(sys.argv[2])
        return
    model_path, source, target, limit = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    import keras

    model = keras.models.load_model(model_path, compile=False)
    started = time.perf_counter()
    if kind == "jsonl":
        records = score_jsonl(model, source, target, limit)
    else:
        records = score_csv(model, source, target, limit, sys.argv[6])
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "seconds": seconds, "peak_rss_mib": peak}))


if __name__ == "__main__":
    main()
