"""The obvious batch-scoring script a data scientist would write for the seed's job (the bench's baseline).

    python python_batch_baseline.py MODEL SOURCE_DIR TARGET_DIR LIMIT

List the folder, json.load each input, Keras model.predict per file, json.dump the seed's output. Prints one
JSON line: {"files": n, "seconds": s, "load_seconds": l}. Timing starts after the model is loaded.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def load(path):
    if path.endswith(".keras"):
        import keras

        return keras.models.load_model(path, compile=False)
    import h5py

    with h5py.File(path, "r") as f:
        version = f.attrs.get("keras_version", b"1")
    version = version.decode() if isinstance(version, bytes) else str(version)
    if version.startswith("3"):
        import keras

        return keras.models.load_model(path, compile=False)
    import tf_keras

    return tf_keras.models.load_model(path, compile=False)


def main():
    model_path, source, target, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    import numpy as np

    started = time.perf_counter()
    model = load(model_path)
    loaded = time.perf_counter()
    os.makedirs(target, exist_ok=True)
    names = sorted(n for n in os.listdir(source) if n.endswith(".json"))[:limit]
    t0 = time.perf_counter()
    for name in names:
        with open(os.path.join(source, name)) as f:
            values = np.array(json.load(f)["values"], dtype="float32")
        prediction = model.predict(values, verbose=0)
        classes = prediction.argmax(axis=-1) if prediction.shape[-1] > 1 else (prediction > 0.5).astype("int32")
        row = prediction[0].tolist()
        out = {name: {"fields": ["prediction", "prediction_classes", "probability"], "values": [row, int(classes[0]), row]}}
        with open(os.path.join(target, name), "w") as f:
            json.dump(out, f)
    seconds = time.perf_counter() - t0
    print(json.dumps({"files": len(names), "seconds": seconds, "load_seconds": loaded - started}))


if __name__ == "__main__":
    main()
