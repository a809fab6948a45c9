"""Keras' own image loading and resizing, for test/batch/formats/image-oracle.slow.test.ts.

Writes test images with Pillow into DIR (several formats, sizes and modes), then, for each, what Keras makes of it:
`keras.utils.load_img` + `img_to_array`, resized by `tf.image.resize` (bilinear: image_dataset_from_directory's
default), `keras.preprocessing.image.smart_resize` (crop) or `keras.ops.image.resize(pad_to_aspect_ratio=True)`
(pad); and `keras.applications.imagenet_utils.preprocess_input` in caffe and torch modes. Prints nothing; writes
DIR/keras.json.

usage: image_oracle.py DIR
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras.applications import imagenet_utils  # noqa: E402


def smooth(h, w, seed):
    """A picture-like RGB image: gradients and a few discs, plus mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([x / w * 255, y / h * 255, (x + y) / (w + h) * 255], -1)
    for _ in range(4):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(3, max(4, min(h, w) / 2))
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def main(out):
    Image.fromarray(smooth(40, 56, 1), "RGB").save(os.path.join(out, "rgb_40x56.png"))
    rgba = np.concatenate([smooth(33, 21, 2), smooth(33, 21, 3)[..., :1]], -1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(out, "rgba_33x21.png"))
    Image.fromarray(smooth(50, 50, 4)).convert("L").save(os.path.join(out, "gray_50x50.png"))
    Image.fromarray(smooth(30, 45, 5)).quantize(64).save(os.path.join(out, "palette_30x45.gif"))
    Image.fromarray(smooth(37, 29, 6)).save(os.path.join(out, "photo_37x29.jpg"), quality=90)
    Image.fromarray(smooth(45, 60, 7)).save(os.path.join(out, "photo_45x60.webp"), quality=85)
    Image.fromarray(smooth(31, 44, 8)).save(os.path.join(out, "rgb_31x44.bmp"))
    Image.fromarray(smooth(41, 23, 9)).save(os.path.join(out, "rgb_41x23.tif"))
    Image.fromarray(smooth(19, 17, 10)).save(os.path.join(out, "small_19x17.png"))
    names = sorted(f for f in os.listdir(out) if not f.endswith(".json"))

    cases = []
    sizes = {"grayscale": [(28, 28)], "rgb": [(28, 28), (64, 48)], "rgba": [(28, 28)]}
    for name in names:
        for color, targets in sizes.items():
            x = keras.utils.img_to_array(keras.utils.load_img(os.path.join(out, name), color_mode=color))
            for size in targets:
                resized = {
                    "stretch": tf.image.resize(x, size).numpy(),
                    "crop": np.asarray(keras.preprocessing.image.smart_resize(x, size)),
                    "pad": np.asarray(keras.ops.image.resize(x, size, pad_to_aspect_ratio=True)),
                }
                for mode, array in resized.items():
                    cases.append(
                        {
                            "file": name,
                            "color": color,
                            "mode": mode,
                            "size": list(size),
                            "shape": list(array.shape),
                            "data": [round(float(v), 4) for v in array.reshape(-1)],
                        }
                    )
    base = tf.image.resize(
        keras.utils.img_to_array(keras.utils.load_img(os.path.join(out, "rgb_40x56.png"))), (28, 28)
    ).numpy()
    preprocess = {
        mode: [round(float(v), 5) for v in imagenet_utils.preprocess_input(base.copy(), mode=mode).reshape(-1)]
        for mode in ("caffe", "torch")
    }
    with open(os.path.join(out, "keras.json"), "w") as f:
        json.dump({"keras": keras.__version__, "cases": cases, "preprocess": preprocess}, f)


if __name__ == "__main__":
    main(sys.argv[1])
