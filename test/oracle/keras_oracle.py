#!/usr/bin/env python3
"""Live oracle for the TypeScript tests: run a Keras model file through real Keras.

  keras_oracle.py MODEL_PATH [--architecture ARCH.json] --inputs INPUTS.json --out OUT.json
  keras_oracle.py MODEL_PATH [--architecture ARCH.json] --describe [--out OUT.json]

INPUTS.json is `[{"dims": [...], "data": [...]}]`, one entry per model input, in model.inputs order.
OUT.json is `{"keras": "<framework> <version>", "outputs": [{"dims": [...], "data": [...]}]}` (one
entry per model output; float32 values widened to float, non-finite values written as null).
--describe prints `{"keras", "inputs": [{"name", "shape", "dtype"}], "outputs": [{"name", "shape"}]}`.

Which Keras loads the file:
  - .keras zip                                   -> Keras 3 (`keras.models.load_model`)
  - .h5 with keras_version 3.x                   -> Keras 3 (legacy HDF5 loader)
  - .h5 with keras_version 1.x / 2.x / "-tf" / none -> tf-keras 2.x (`tf_keras.models.load_model`)
  - weights-only .h5 (no model_config) + --architecture: model_from_json of the framework matching
    the JSON's keras_version, then load_weights.

Exit codes: 0 ok; 2 usage or bad inputs; 3 Keras itself cannot load the model (message on stderr);
1 anything else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

EXIT_USAGE = 2
EXIT_CANNOT_LOAD = 3


class CannotLoad(Exception):
    pass


def _text(v) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if hasattr(v, "tolist"):
        v = v.tolist()
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
    return str(v)


def inspect_file(path: str) -> dict:
    """Decide the format without Keras: {'kind': 'keras'|'h5'|'weights', 'keras_version': str|None}."""
    if zipfile.is_zipfile(path):
        version = None
        with zipfile.ZipFile(path) as z:
            if "metadata.json" in z.namelist():
                version = json.loads(z.read("metadata.json")).get("keras_version")
        return {"kind": "keras", "keras_version": version}
    import h5py

    with h5py.File(path, "r") as f:
        attrs = f.attrs
        version = _text(attrs["keras_version"]) if "keras_version" in attrs else None
        if "model_config" in attrs:
            return {"kind": "h5", "keras_version": version}
        if "layer_names" in attrs or "model_weights" not in f:
            return {"kind": "weights", "keras_version": version}
        return {"kind": "h5", "keras_version": version}


def is_keras3(version: str | None) -> bool:
    return bool(version) and version.split(".")[0] == "3"


def load(path: str, architecture: str | None):
    """Return (model, framework label). Raises CannotLoad when Keras refuses the model."""
    info = inspect_file(path)
    if info["kind"] == "weights":
        if not architecture:
            raise CannotLoad("weights-only file (no model_config): pass --architecture ARCH.json")
        with open(architecture, encoding="utf-8") as fh:
            arch_text = fh.read()
        try:
            arch_version = json.loads(arch_text).get("keras_version")
        except (ValueError, AttributeError) as e:
            raise CannotLoad(f"architecture JSON unreadable: {e}") from e
        if is_keras3(arch_version):
            import keras

            fw, from_json = f"keras {keras.__version__}", keras.models.model_from_json
        else:
            import tf_keras

            fw, from_json = f"tf_keras {tf_keras.__version__}", tf_keras.models.model_from_json
        try:
            model = from_json(arch_text)
        except Exception as e:  # noqa: BLE001
            raise CannotLoad(f"{fw}: model_from_json failed: {type(e).__name__}: {e}") from e
        try:
            model.load_weights(path)
        except Exception as e:  # noqa: BLE001
            raise CannotLoad(f"{fw}: load_weights failed: {type(e).__name__}: {e}") from e
        return model, fw

    if info["kind"] == "keras" or is_keras3(info["keras_version"]):
        import keras

        fw = f"keras {keras.__version__}"
        loader = keras.models.load_model
    else:
        import tf_keras

        fw = f"tf_keras {tf_keras.__version__}"
        loader = tf_keras.models.load_model
    try:
        model = loader(path, compile=False)
    except Exception as e:  # noqa: BLE001
        raise CannotLoad(
            f"{fw}: load_model failed (file keras_version {info['keras_version']}): "
            f"{type(e).__name__}: {e}"
        ) from e
    return model, fw


def _dtype_name(t) -> str:
    d = t.dtype
    return getattr(d, "name", None) or str(d)


def _shape(t) -> list:
    return [None if d is None else int(d) for d in tuple(t.shape)]


def _names(model, attr: str, tensors) -> list:
    names = None
    try:
        names = list(getattr(model, attr))
    except Exception:  # noqa: BLE001
        names = None
    if not names or len(names) != len(tensors):
        names = [getattr(t, "name", None) for t in tensors]
    return names


def describe(model, fw: str) -> dict:
    ins, outs = list(model.inputs), list(model.outputs)
    return {
        "keras": fw,
        "inputs": [{"name": n, "shape": _shape(t), "dtype": _dtype_name(t)}
                   for n, t in zip(_names(model, "input_names", ins), ins)],
        "outputs": [{"name": n, "shape": _shape(t)}
                    for n, t in zip(_names(model, "output_names", outs), outs)],
    }


def tensor_json(a) -> dict:
    import numpy as np

    a = np.asarray(a)
    flat = a.astype(np.float32).ravel().tolist() if a.dtype.kind == "f" else a.ravel().tolist()
    data = [v if isinstance(v, int) or math.isfinite(v) else None for v in flat]
    return {"dims": [int(d) for d in a.shape], "data": data}


def run(model, inputs_path: str) -> list:
    import numpy as np

    with open(inputs_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    if isinstance(spec, dict):
        spec = [spec]
    if len(spec) != len(model.inputs):
        raise ValueError(f"model has {len(model.inputs)} input(s), INPUTS.json has {len(spec)}")
    xs = []
    for i, (s, t) in enumerate(zip(spec, model.inputs)):
        dims = [int(d) for d in s["dims"]]
        dtype = _dtype_name(t)
        arr = np.asarray(s["data"], dtype="float64").reshape(dims)
        xs.append(arr.astype(dtype if dtype in ("int32", "int64", "float64", "float16") else "float32"))
        want = _shape(t)
        if len(want) != len(dims):
            raise ValueError(f"input {i}: rank {len(dims)} given, model expects shape {want}")
    batch = xs[0].shape[0] if xs and xs[0].ndim else 1
    y = model.predict(xs if len(xs) > 1 else xs[0], verbose=0, batch_size=max(1, batch))
    if isinstance(y, dict):
        y = [y[k] for k in model.output_names] if hasattr(model, "output_names") else list(y.values())
    if not isinstance(y, (list, tuple)):
        y = [y]
    return [tensor_json(o) for o in y]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Run a Keras model file through real Keras.")
    ap.add_argument("model")
    ap.add_argument("--architecture", help="model.to_json() file for a weights-only .h5")
    ap.add_argument("--inputs", help="INPUTS.json: [{dims, data}] per model input")
    ap.add_argument("--out", help="where to write the JSON result (default stdout)")
    ap.add_argument("--describe", action="store_true", help="print input/output shapes, no predict")
    args = ap.parse_args(argv)
    if not args.describe and not args.inputs:
        print("keras_oracle: --inputs is required unless --describe", file=sys.stderr)
        return EXIT_USAGE
    if not os.path.exists(args.model):
        print(f"keras_oracle: no such file: {args.model}", file=sys.stderr)
        return EXIT_USAGE

    real_stdout = sys.stdout
    try:
        # Keras/TF may print to stdout while loading; keep stdout for our JSON only.
        with contextlib.redirect_stdout(sys.stderr):
            try:
                model, fw = load(args.model, args.architecture)
            except CannotLoad as e:
                print(f"keras_oracle: cannot load {args.model}: {e}", file=sys.stderr)
                return EXIT_CANNOT_LOAD
            if args.describe:
                result = describe(model, fw)
            else:
                try:
                    outputs = run(model, args.inputs)
                except (ValueError, KeyError, TypeError) as e:
                    print(f"keras_oracle: bad inputs: {type(e).__name__}: {e}", file=sys.stderr)
                    return EXIT_USAGE
                result = {"keras": fw, "outputs": outputs}
    except Exception as e:  # noqa: BLE001
        print(f"keras_oracle: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    text = json.dumps(result, separators=(",", ":"))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        real_stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
