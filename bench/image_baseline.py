"""The obvious Python script for scoring a folder of images (the image bench's baseline).

    python image_baseline.py MODEL SOURCE_DIR TARGET_DIR COLOR SCALE BATCH

Pillow through Keras' own helpers (`keras.utils.load_img(color_mode, target_size)`, `img_to_array`), batches of
BATCH images stacked with NumPy, `model.predict`, one JSON output per image keyed by its name (the seed's shape).
COLOR is grayscale or rgb; SCALE divides the pixels (1 or 255). Prints one JSON line:
{"files": n, "seconds": s, "load_seconds": l}. Timing starts after the model is loaded.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main():
    model_path, source, target, color, scale, batch = sys.argv[1:7]
    scale, batch = float(scale), int(batch)
    import keras
    import numpy as np

    started = time.perf_counter()
    model = keras.models.load_model(model_path, compile=False)
    loaded = time.perf_counter()
    size = tuple(model.inputs[0].shape[1:3])
    os.makedirs(target, exist_ok=True)
    names = sorted(os.listdir(source))
    t0 = time.perf_counter()
    for first in range(0, len(names), batch):
        chunk = names[first : first + batch]
        x = np.stack(
            [
                keras.utils.img_to_array(
                    keras.utils.load_img(os.path.join(source, n), color_mode=color, target_size=size)
                )
                for n in chunk
            ]
        )
        prediction = model.predict(x / scale, batch_size=batch, verbose=0)
        for n, row in zip(chunk, prediction):
            cls = int(row.argmax()) if row.shape[-1] > 1 else int(row[0] > 0.5)
            out = {n: {"fields": ["prediction", "prediction_classes", "probability"], "values": [row.tolist(), cls, row.tolist()]}}
            with open(os.path.join(target, n + ".json"), "w") as f:
                json.dump(out, f)
    seconds = time.perf_counter() - t0
    print(json.dumps({"files": len(names), "seconds": seconds, "load_seconds": loaded - started}))


if __name__ == "__main__":
    main()
