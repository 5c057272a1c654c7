#!/usr/bin/env python3
"""Native runtime vs ONNX Runtime, side by side, interleaved (called by scripts/bench-native-vs-ort).

  .venv/bin/python scripts/bench_native_vs_ort.py [--models a,b] [--threads 1,2] [--backends x,y] [--rounds N]
                                                  [--block-seconds S] [--json PATH] [--markdown PATH]

For every model and thread count, one kenning-bench server per native backend and one ONNX Runtime
session (intra_op_num_threads = threads, inter_op_num_threads = 1, sequential execution, input and
output pre-bound with IOBinding so the loop runs no Python conversion) are loaded together. After a
warm-up (5 inferences each, excluded), the engines take turns in ROUNDS rounds: each engine runs a block
of inferences (about BLOCK_SECONDS long, after an untimed 50 ms pause so the previous engine's worker
threads have stopped spinning) and reports every inference's time; ONNX Runtime is timed with
perf_counter_ns around each run_with_iobinding call, inside one Python process. Reported numbers are the
medians of all samples. ratio = native_ms / ort_ms (below 1: native is faster).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, ".build", "release", "kenning-bench")
MODELS = {
    "resnet50": ("build/models/resnet50.onnx", [1, 3, 224, 224]),
    "squeezenet": ("build/models/squeezenet.onnx", [1, 3, 224, 224]),
    "mobilenetv2": ("build/models/mobilenetv2.onnx", [1, 3, 224, 224]),
    "digits-cnn": ("models/digits-cnn.onnx", [1, 1, 8, 8]),
    # PP-OCR's production models (rapidocr-onnxruntime wheel; scripts/make-op-models.py) at RapidOCR's input sizes.
    "ppocr-det": ("build/op-models/ppocr_det.onnx", [1, 3, 288, 736]),
    "ppocr-cls": ("build/op-models/ppocr_cls.onnx", [1, 3, 48, 192]),
    "ppocr-rec": ("build/op-models/ppocr_rec.onnx", [1, 3, 48, 320]),
    # Edge model families built with seeded weights by scripts/make-model-families.py.
    "mobilenetv3-small": ("build/model-families/mobilenetv3_small.onnx", [1, 3, 224, 224]),
    "efficientnet-lite0": ("build/model-families/efficientnet_lite0.onnx", [1, 3, 224, 224]),
    "vit-tiny": ("build/model-families/vit_tiny.onnx", [1, 3, 224, 224]),
}
# The models of the default run (the PP-OCR rows are written to their own section with --models ppocr-…).
DEFAULT_MODELS = ["resnet50", "squeezenet", "mobilenetv2", "digits-cnn"]
# int8 QDQ versions written by `kenning-bench quantize` (NativeQuantizer, reduce_range auto); see prepare_int8().
INT8 = {name: (f"build/models/{name}-int8.onnx", shape) for name, (_, shape) in MODELS.items() if name in DEFAULT_MODELS}
# The same quantized with the CPU capped at AVX2 (no AVX-512, no VNNI): auto then writes 7-bit weights.
INT8_AVX2 = {name: (f"build/models/{name}-int8-avx2.onnx", shape) for name, (_, shape) in MODELS.items() if name in DEFAULT_MODELS}
# Precision → (models, environment of the native engines). "int8-avx2" runs the native side on the code paths of an
# AVX2-only CPU (KENNING_MAX_CPU_ISA caps oneDNN and XNNPACK); ONNX Runtime's MLAS cannot be capped and keeps this
# machine's full ISA.
AVX2 = {"KENNING_MAX_CPU_ISA": "avx2"}
VARIANTS = {"fp32": (MODELS, {}), "int8": (INT8, {}), "int8-avx2": (INT8_AVX2, AVX2)}
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8")


def to_opset13(src, dst):
    """The onnx package's ImageNet models are opset 9; QuantizeLinear with per-channel weights needs opset 13.
    Their ops (Conv, BatchNormalization, Relu, MaxPool, AveragePool, Sum, Concat, Reshape, Gemm, Softmax on
    [N, C] or [N, C, 1, 1]) mean the same at opset 13; Dropout (inference identity) is removed."""
    import onnx
    m = onnx.load(src)
    g = m.graph
    rename = {}
    keep = []
    for n in g.node:
        if n.op_type == "Dropout":
            rename[n.output[0]] = n.input[0]
        else:
            keep.append(n)
    for n in keep:
        for i, v in enumerate(n.input):
            while v in rename:
                v = rename[v]
            n.input[i] = v
    del g.node[:]
    g.node.extend(keep)
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = 13

    onnx.save(m, dst)


def prepare_int8(models, table=INT8, env=None):
    for name in models:
        src, _ = MODELS[name]
        dst, _ = table[name]
        if os.path.exists(os.path.join(ROOT, dst)) and os.path.getmtime(os.path.join(ROOT, dst)) >= os.path.getmtime(os.path.join(ROOT, src)):
            continue
        if name in ("resnet50", "squeezenet"):
            opset13 = src.replace(".onnx", "-opset13.onnx")
            to_opset13(os.path.join(ROOT, src), os.path.join(ROOT, opset13))
            src = opset13
        extra = ["--digits", "--samples", "64"] if name == "digits-cnn" else ["--samples", "8"]
        subprocess.run([BENCH, "quantize", src, dst] + extra, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, **(env or {})})
BACKENDS = ["reference", "openblas", "onednn", "xnnpack"]
PAUSE = 0.05


class Native:
    def __init__(self, model, shape, backend, threads, env=None):
        self.name = backend
        self.proc = subprocess.Popen(
            [BENCH, "serve", model, ",".join(map(str, shape)), "--backend", backend, "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, **(env or {})})
        ready = json.loads(self.proc.stdout.readline())
        self.gflop = ready["conv_gflop"]
        self.samples = []

    def run(self, k, keep=True):
        self.proc.stdin.write(f"run {k}\n")
        self.proc.stdin.flush()
        ms = json.loads(self.proc.stdout.readline())["ms"]
        if keep:
            self.samples += ms
        return ms

    def close(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait()


class ORT:
    def __init__(self, model, shape, threads):
        self.name = "onnxruntime"
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(os.path.join(ROOT, model), opts, providers=["CPUExecutionProvider"])
        x = np.random.default_rng(7).uniform(-1, 1, shape).astype(np.float32)
        self.binding = self.sess.io_binding()
        self.binding.bind_cpu_input(self.sess.get_inputs()[0].name, x)
        for o in self.sess.get_outputs():
            self.binding.bind_output(o.name, "cpu")
        self.samples = []

    def run(self, k, keep=True):
        ms = []
        run, binding, clock = self.sess.run_with_iobinding, self.binding, time.perf_counter_ns
        for _ in range(k):
            t0 = clock()
            run(binding)
            ms.append((clock() - t0) / 1e6)
        if keep:
            self.samples += ms
        return ms


def bench(model_key, threads, backends, rounds, block_seconds, precision="fp32"):
    table, env = VARIANTS[precision]
    path, shape = table[model_key]
    engines = [Native(path, shape, b, threads, env) for b in backends]
    reference = ORT(path, shape, threads)
    everyone = engines + [reference]
    blocks = {}
    for e in everyone:
        time.sleep(PAUSE)
        warm = e.run(5, keep=False)
        blocks[e.name] = max(1, min(2000, int(block_seconds * 1000 / max(statistics.median(warm), 1e-3))))
    for _ in range(rounds):
        for e in engines:
            # A short untimed pause before each block lets the other engine's worker threads (OpenMP, ORT's pool,
            # pthreadpool) finish spin-waiting and sleep, so no engine runs against another's spinning threads.
            time.sleep(PAUSE)
            e.run(blocks[e.name])
            time.sleep(PAUSE)
            reference.run(blocks[reference.name])
    ort_ms = statistics.median(reference.samples)
    rows = []
    for e in engines:
        native_ms = statistics.median(e.samples)
        rows.append({
            "model": model_key, "precision": precision.split("-")[0], "threads": threads, "backend": e.name,
            "native_isa": env.get("KENNING_MAX_CPU_ISA", "full") if env else "full",
            "native_ms": round(native_ms, 4), "ort_ms": round(ort_ms, 4), "ratio": round(native_ms / ort_ms, 3),
            "native_samples": len(e.samples), "ort_samples": len(reference.samples),
            "dense_gflop": round(e.gflop, 4), "gflops": round(e.gflop / (native_ms / 1000), 1) if native_ms > 0 else None,
        })
        e.close()
    return rows


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                flags = ", ".join(f for f in ISA_FLAGS if f in have)
                break
    except OSError:
        pass
    if flags:
        cpu = f"{cpu} ({flags})"
    return {"cpu": cpu, "cores": os.cpu_count(), "loadavg": os.getloadavg(), "onnxruntime": ort.__version__,
            "python": platform.python_version(), "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def markdown(rows, info, command):
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, load average {', '.join(f'{v:.2f}' for v in info['loadavg'])} at the start; "
        f"ONNX Runtime {info['onnxruntime']}; {info['date']}.",
        "",
        "Method: for each model and thread count every engine is loaded at once (one `kenning-bench serve` process per",
        "native backend, one ONNX Runtime session in the Python driver with `intra_op_num_threads` = threads and",
        "`inter_op_num_threads` = 1, input and output bound with IOBinding). 5 warm-up inferences each are dropped, then",
        "the engines take turns in rounds, each running a block of about the same wall time, every inference timed on its",
        "own; the table shows medians. `ratio` = native / ORT (below 1: native is faster). GFLOP/s counts the",
        "Conv/Gemm/MatMul multiply-adds (×2) of the model over the native median; the single-core fp32 peak is about",
        "100 GFLOP/s on this CPU (two 256-bit FMA pipes, 32 FLOP per cycle, ~3.3-3.5 GHz). Models with random weights come from `scripts/make-test-models.py` (ResNet-50 and",
        "SqueezeNet from the `onnx` package's test data, MobileNetV2 from `scripts/make-mobilenetv2.py`); the digits CNN",
        "is `models/digits-cnn.onnx`. int8 rows run the QDQ model `kenning-bench quantize` writes with `NativeQuantizer`",
        "(per-channel int8 weights, asymmetric int8 activations calibrated on seeded random inputs; ResNet-50 and",
        "SqueezeNet first moved from opset 9 to 13): the native runtime fuses its Conv chains into int8 convolutions,",
        "oneDNN's int8 primitive on the `onednn` rows and XNNPACK QC8 on the `xnnpack` rows; ONNX Runtime runs the same file",
        "with its own QDQ fusion. `native ISA` full: the machine's own instruction set (its flags above), where",
        "`reduce_range` auto keeps 8-bit weights when the CPU has VNNI; avx2: the native engines run with",
        "`KENNING_MAX_CPU_ISA=avx2` (oneDNN and XNNPACK use their AVX2 kernels, as on an AVX2-only CPU without VNNI) on",
        "a model quantized under the same cap (7-bit weights), while ONNX Runtime, which cannot be capped, runs that",
        "model with this machine's full ISA, so on those rows compare native ms with the full-ISA int8 rows above them",
        "rather than with ORT. The machine is",
        "shared with other jobs, so treat differences under ~10% as noise, and 2-thread rows as the most affected.",
        "",
        "| model | precision | native ISA | threads | backend | native ms | ORT ms | ratio | dense GFLOP | GFLOP/s (int8: GOP/s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['model']} | {r['precision']} | {r['native_isa']} | {r['threads']} | {r['backend']} | {r['native_ms']:.3f} | {r['ort_ms']:.3f} | "
                     f"{r['ratio']:.2f} | {r['dense_gflop']:.3f} | {r['gflops'] if r['gflops'] is not None else ''} |")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default=",".join(DEFAULT_MODELS))
    p.add_argument("--section", default="## Native runtime vs ONNX Runtime (batch 1)",
                   help="the BENCHMARKS.md section these rows replace")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--block-seconds", type=float, default=0.3)
    p.add_argument("--json", default=os.path.join(ROOT, "build", "bench", "native-vs-ort.json"))
    p.add_argument("--markdown", default="")
    p.add_argument("--command", default="scripts/bench-native-vs-ort")
    p.add_argument("--precisions", default="fp32,int8,int8-avx2",
                   help="fp32, int8 (this machine's ISA), int8-avx2 (native engines capped at AVX2)")
    p.add_argument("--int8-backends", default="onednn,xnnpack",
                   help="backends for int8 rows (onednn: oneDNN int8 convolutions; xnnpack: XNNPACK QC8)")
    a = p.parse_args()
    info = machine()
    rows = []
    precisions = a.precisions.split(",")
    if "int8" in precisions:
        prepare_int8(a.models.split(","))
    if "int8-avx2" in precisions:
        prepare_int8(a.models.split(","), INT8_AVX2, AVX2)
    for m in a.models.split(","):
        for precision in precisions:
            backends = a.backends.split(",") if precision == "fp32" else a.int8_backends.split(",")
            for t in [int(v) for v in a.threads.split(",")]:
                for r in bench(m, t, backends, a.rounds, a.block_seconds, precision):
                    rows.append(r)
                    print(f"{r['model']:12} {precision:9} {r['threads']}t {r['backend']:10} native {r['native_ms']:9.3f} ms  "
                          f"ort {r['ort_ms']:9.3f} ms  ratio {r['ratio']:6.2f}  {r['gflops']} GFLOP/s", flush=True)
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(rows, f, indent=1)
    if a.markdown:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from benchmarks_md import replace_section
        replace_section(a.markdown, a.section, markdown(rows, info, a.command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
