#!/usr/bin/env python3
"""Reference runner: run an ONNX model with onnxruntime on raw float32 input.

  .venv/bin/python scripts/ort_run.py MODEL.onnx INPUT.f32 D0,D1,... OUTPUT.f32 [--threads N]

INPUT.f32 holds little-endian float32 values of shape D0,D1,... (row-major),
fed to the model's first input. If that input's batch dimension (dim 0) is
dynamic, the whole array runs as one batch; if it is fixed at 1, each sample
runs on its own and the outputs are concatenated. The model's first output is
written to OUTPUT.f32 as little-endian float32, and its shape is printed on
stdout as JSON, e.g. {"shape":[360,10]}.

Exit code 2 with a one-line message on bad arguments or input.
"""
import json
import os
import sys

import numpy as np

USAGE = "usage: ort_run.py MODEL.onnx INPUT.f32 D0,D1,... OUTPUT.f32 [--threads N]"


class BadInput(Exception):
    pass


def parse_args(argv):
    positional, threads = [], 0
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--threads" or a.startswith("--threads="):
            value = a.split("=", 1)[1] if "=" in a else (args.pop(0) if args else "")
            try:
                threads = int(value)
            except ValueError:
                raise BadInput(f"--threads needs a non-negative integer, got {value!r}")
            if threads < 0:
                raise BadInput(f"--threads needs a non-negative integer, got {value!r}")
        elif a.startswith("--"):
            raise BadInput(f"unknown option {a}; {USAGE}")
        else:
            positional.append(a)
    if len(positional) != 4:
        raise BadInput(USAGE)
    model, inp, shape_text, out = positional
    try:
        shape = [int(d) for d in shape_text.split(",")]
    except ValueError:
        raise BadInput(f"bad shape {shape_text!r}: expected comma-separated integers like 360,1,8,8")
    if not shape or any(d < 0 for d in shape):
        raise BadInput(f"bad shape {shape_text!r}: dimensions must be non-negative integers")
    return model, inp, shape, out, threads


def read_input(path, shape):
    try:
        raw = open(path, "rb").read()
    except OSError as e:
        raise BadInput(f"cannot read input {path}: {e.strerror}")
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) != 4 * count:
        raise BadInput(
            f"input {path} has {len(raw)} bytes, shape {','.join(map(str, shape))} needs {4 * count}"
        )
    return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)


def main(argv) -> int:
    try:
        model_path, input_path, shape, output_path, threads = parse_args(argv)
        if not os.path.isfile(model_path):
            raise BadInput(f"model not found: {model_path}")
        x = read_input(input_path, shape)

        import onnxruntime as ort

        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        try:
            sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types
            raise BadInput(f"cannot load model {model_path}: {str(e).splitlines()[0]}")

        inp = sess.get_inputs()[0]
        out_name = sess.get_outputs()[0].name
        model_shape = list(inp.shape)
        if len(model_shape) != len(shape):
            raise BadInput(f"model input {inp.name!r} has rank {len(model_shape)}, given shape has rank {len(shape)}")
        for axis, (want, got) in enumerate(zip(model_shape, shape)):
            if axis > 0 and isinstance(want, int) and want != got:
                raise BadInput(f"model input {inp.name!r} wants dim {axis} = {want}, given {got}")

        batch_dim = model_shape[0]
        if isinstance(batch_dim, int) and batch_dim != shape[0]:
            if batch_dim != 1:
                raise BadInput(f"model input {inp.name!r} has fixed batch {batch_dim}, given {shape[0]}")
            if shape[0] == 0:
                raise BadInput("empty batch given to a model with fixed batch 1")
            # Fixed batch of 1: run sample by sample, concatenate along dim 0.
            try:
                parts = [sess.run([out_name], {inp.name: x[i:i + 1]})[0] for i in range(shape[0])]
            except Exception as e:
                raise BadInput(f"inference failed: {str(e).splitlines()[0]}")
            y = np.concatenate(parts, axis=0)
        else:
            try:
                y = sess.run([out_name], {inp.name: x})[0]
            except Exception as e:
                raise BadInput(f"inference failed: {str(e).splitlines()[0]}")

        y = np.ascontiguousarray(y, dtype="<f4")
        try:
            with open(output_path, "wb") as f:
                f.write(y.tobytes())
        except OSError as e:
            raise BadInput(f"cannot write output {output_path}: {e.strerror}")
    except BadInput as e:
        print(f"ort_run: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"shape": list(y.shape)}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
