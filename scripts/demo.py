#!/usr/bin/env python3
"""`make demo`: the main job on the built-in example, end to end.

Builds a document from NumPy arrays, saves it as JSON (base64), JSON (lists)
and MessagePack, validates and inspects each with the command line, converts
each back to the other encodings, and checks that every tensor is bit-for-bit
equal to the original. Output goes to a temporary folder that is removed.
Exits non-zero if anything differs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np

import modeldoc


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "modeldoc", *args]
    print("$ modeldoc " + " ".join(os.path.basename(a) if os.path.isabs(a) else a for a in args))
    res = subprocess.run(cmd, capture_output=True, text=True)
    # TensorFlow's C++ start-up lines appear before any log level applies; they are not ours to show.
    noise = ("absl::InitializeLog", "oneDNN custom operations")
    out = "\n".join(line for line in (res.stdout + res.stderr).splitlines() if not any(n in line for n in noise)).rstrip()
    if out:
        print("  " + out.replace("\n", "\n  "))
    return res


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def main() -> int:
    doc = modeldoc.example_document()
    total = sum(a.nbytes for a in doc.tensors.values())
    print(f"Built the example model: {len(doc.model.layers)} layers, {len(doc.tensors)} tensors, {total} bytes of weights")
    print("(float32, float16, bfloat16, int64 beyond 2^53, bool; -0.0, Infinity and NaN included)\n")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="modeldoc-demo-") as tmp:
        paths = {
            "base64": os.path.join(tmp, "example.json"),
            "list": os.path.join(tmp, "example.list.json"),
            "msgpack": os.path.join(tmp, "example.msgpack"),
        }
        for encoding, path in paths.items():
            modeldoc.save(doc, path, encoding=encoding)  # type: ignore[arg-type]
            print(f"saved {os.path.basename(path)}: {os.path.getsize(path)} bytes ({encoding})")
        print()
        res = cli("validate", *paths.values())
        failures += res.returncode != 0
        print()
        cli("inspect", paths["msgpack"])
        print()
        reports = set()
        for src_enc, src in paths.items():
            for dst_enc in paths:
                if dst_enc == src_enc:
                    continue
                dst = os.path.join(tmp, f"from-{src_enc}.{dst_enc}")
                res = cli("convert", src, dst, "--encoding", dst_enc)
                failures += res.returncode != 0
                back = modeldoc.load(dst)
                for name, arr in doc.tensors.items():
                    if not same_bits(arr, back.tensors[name]):
                        print(f"  DIFFERS: {name}")
                        failures += 1
                reports.add(modeldoc.reader_report(back))
        print()
        for path in paths.values():
            reports.add(modeldoc.reader_report(modeldoc.load(path)))
        print(f"reader reports of all {len(paths) * 3} files: {'identical' if len(reports) == 1 else 'DIFFERENT'}")
        failures += len(reports) != 1
        broken = os.path.join(tmp, "broken.json")
        with open(paths["base64"], "rb") as f:
            data = bytearray(f.read())
        at = data.index(b'"data":"') + 20  # inside the first tensor's base64 text
        data[at] = ord("B") if data[at] == ord("A") else ord("A")
        with open(broken, "wb") as f:
            f.write(bytes(data))
        print("\nchanged one base64 character of a tensor in example.json:")
        res = cli("validate", broken)
        failures += res.returncode != 1
    if failures:
        print(f"\nFAILED: {failures} problem(s)")
        return 1
    print("\nEvery tensor read back bit-for-bit equal in every encoding and conversion.")
    return keras_demo()


def keras_demo() -> int:
    """The main job: a Keras model out to ModelDoc in three encodings and back, bit for bit."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    print("\n--- Keras ---")
    try:
        import keras
    except ImportError:
        print("keras is not installed; skipping (pip install -r requirements/keras.txt)")
        return 0
    import modeldoc.keras

    L = keras.layers
    model = keras.Sequential(
        [keras.Input((12, 12, 1), name="image"), L.Conv2D(4, 3, activation="relu", name="conv"),
         L.BatchNormalization(name="bn"), L.MaxPooling2D(2, name="pool"), L.Flatten(name="flatten"),
         L.Dense(8, activation="relu", name="hidden"), L.Dense(3, activation="softmax", name="classes")],
        name="demo",
    )
    rng = np.random.default_rng(0)
    for v in model.weights:  # trained-looking weights, BatchNorm moving statistics included
        v.assign(np.abs(rng.standard_normal(tuple(v.shape))).astype("float32") * 0.5)
    x = rng.standard_normal((4, 12, 12, 1)).astype("float32")
    want = model(x, training=False).numpy()
    print(f"Built a Keras {keras.__version__} model: {len(model.layers)} layers, {model.count_params()} parameters")
    doc = modeldoc.keras.from_keras(model, test_vectors=1)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="modeldoc-keras-demo-") as tmp:
        for encoding, name in (("base64", "demo.json"), ("list", "demo.list.json"), ("msgpack", "demo.msgpack")):
            path = os.path.join(tmp, name)
            modeldoc.save(doc, path, encoding=encoding)  # type: ignore[arg-type]
            ok = modeldoc.validate(path).ok
            back = modeldoc.keras.to_keras(modeldoc.load(path))
            same_w = all(same_bits(a.numpy(), b.numpy()) for a, b in zip(model.weights, back.weights))
            same_w = same_w and len(model.weights) == len(back.weights)
            same_y = same_bits(want, back(x, training=False).numpy())
            print(f"{name}: {os.path.getsize(path)} bytes ({encoding}), valid: {ok}, "
                  f"weights bit-identical: {same_w}, predictions bit-identical: {same_y}")
            failures += (not ok) + (not same_w) + (not same_y)
        res = cli("to-keras", os.path.join(tmp, "demo.msgpack"), os.path.join(tmp, "demo.keras"))
        failures += res.returncode != 0
        again = keras.models.load_model(os.path.join(tmp, "demo.keras"))
        same = same_bits(want, again(x, training=False).numpy())
        print(f"demo.keras loaded by Keras itself: predictions bit-identical: {same}")
        failures += not same
        print("\nThe same document in the other clients, each checked against its test vector:")
        doc_path = os.path.join(tmp, "demo.json")
        for args in (("run", doc_path),  # the NumPy reference evaluator (spec.md section 15)
                     ("to-onnx", doc_path, os.path.join(tmp, "demo.onnx")),  # checked in onnxruntime
                     ("to-tfjs", doc_path, os.path.join(tmp, "tfjs"))):  # model.json + shards
            failures += cli(*args).returncode != 0
    if failures:
        print(f"\nFAILED: {failures} problem(s)")
        return 1
    print("\nThe Keras model survived every encoding bit for bit: weights and predictions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
