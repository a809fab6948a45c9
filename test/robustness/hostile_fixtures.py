"""Hostile model files for test/robustness, generated at test time (never committed).

  zip-bomb OUT GIB         a .keras zip whose config.json unpacks to GIB GiB (a 2 GiB one is ~2 MB)
  h5-huge-weight OUT N     a ~10 KB legacy .h5 (Dense N -> N) declaring an N x N kernel with no data written
  h5-dense OUT UNITS       a tiny Dense 4 -> UNITS whose outputs are its bias (many digits each)
  keras-deep OUT LAYERS    a .keras Sequential of LAYERS ReLU activations on 4 inputs (no weights; ~3 bytes a layer zipped)
"""
import json
import sys
import zipfile
import zlib

import h5py


def zip_bomb(out: str, gib: float) -> None:
    total = min(int(gib * 1024**3), 2**31 - 1)  # sizes stay exact without zip64 up to 2 GiB - 1
    head = b'{"class_name": "Sequential", "config": {"name": "'
    tail = b'", "layers": []}}'
    chunk = b" " * (64 * 1024**2)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        with z.open("config.json", "w") as f:
            f.write(head)
            left = total - len(head) - len(tail)
            while left > 0:
                n = min(left, len(chunk))
                f.write(chunk[:n])
                left -= n
            f.write(tail)


def h5_huge_weight(out: str, n: int, units: int | None = None, bias: bool = False) -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "huge",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_input_shape": [None, n], "dtype": "float32", "name": "in"}},
                {"class_name": "Dense", "config": {"name": "dense", "units": units or n, "activation": "linear", "use_bias": True}},
            ],
        },
    }
    with h5py.File(out, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        w = f.create_group("model_weights")
        w.attrs["layer_names"] = [b"dense"]
        w.attrs["keras_version"] = "2.15.0"
        g = w.create_group("dense")
        g.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        # h5py allocates lazily: no data is written, the file stays tiny
        g.create_dataset("dense/kernel:0", shape=(n, units or n), dtype="f4")
        if bias:  # digits in every output value: a long output per record
            g.create_dataset("dense/bias:0", data=[0.1234567 + i / 7 for i in range(units or n)], dtype="f4")
        else:
            g.create_dataset("dense/bias:0", shape=(units or n,), dtype="f4")


def keras_deep(out: str, layers: int) -> None:
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "deep",
            "trainable": True,
            "dtype": "float32",
            "layers": [
                {"module": "keras.layers", "class_name": "InputLayer",
                 "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input"}},
            ]
            + [
                {"module": "keras.layers", "class_name": "Activation",
                 "config": {"name": f"a{i}", "activation": "relu", "trainable": True, "dtype": "float32"}}
                for i in range(layers)
            ],
        },
        "build_config": {"input_shape": [None, 4]},
    }
    weights = out + ".weights.h5"
    with h5py.File(weights, "w") as f:
        f.create_group("layers")
        f.create_group("vars")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        z.writestr("config.json", json.dumps(config))
        z.write(weights, "model.weights.h5")


if __name__ == "__main__":
    kind, out, amount = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind == "zip-bomb":
        zip_bomb(out, float(amount))
    elif kind == "h5-huge-weight":
        h5_huge_weight(out, int(amount))
    elif kind == "h5-dense":
        h5_huge_weight(out, 4, int(amount), bias=True)
    elif kind == "keras-deep":
        keras_deep(out, int(amount))
    else:
        sys.exit(f"unknown fixture {kind}")
