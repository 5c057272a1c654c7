"""The request loop. One client at a time; on connect the server sends the single byte 0x00.

Runtime flow (every upload is a REQUEST answered by a TRANSMISSION with IS_KENNING, SUCCESS or FAIL,
whose payload is one ServerAction byte; OUTPUT/STATS/OPTIMIZE_MODEL answer with data on success):
  PING                      -> SUCCESS (health check)
  IO_SPEC   json            -> UPLOADING_IOSPEC. Kenning's IO spec ({"input": [...], "output": [...]}),
                               plus the extension key "runtime": {"type", "parameters"} for runtime settings.
  MODEL     bytes           -> UPLOADING_MODEL (model file bytes; OpenVINO IR is packed, see frameworks/openvino.py); an
                               empty MODEL after an IO spec with "model_file" (extension) reads that local file instead
  DATA      bytes           -> UPLOADING_INPUT (the inputs' raw bytes, concatenated in IO-spec order)
  PROCESS                   -> PROCESSING_INPUT (one inference, timed around the framework call only)
  OUTPUT                    -> the outputs' raw bytes, concatenated
  STATS                     -> JSON {"target_inference_step": [seconds...], "output_shapes": [[...], ...], ...}; steps
                               since the last STATS, and the shapes of the last OUTPUT's tensors
Streaming (extension, when the IO spec carries "stream": true): a DATA holds several input sets, a PROCESS runs
each set as its own timed inference, and one OUTPUT returns them all, so a whole chunk of the test split costs
three round trips instead of four per inference:
  DATA      u32 LE count K, then K input sets of equal size (each as in plain DATA)
  OUTPUT    u32 LE header length, the UTF-8 JSON header {"target_inference_step": [K seconds],
            "target_inference_step_timestamp": [K], "output_shapes": [K lists of shapes], "session": {...}},
            then the K sets' outputs, each set's tensors concatenated as in plain OUTPUT
  With "input_file": PATH in the IO spec as well (extension for a host on this machine, like "model_file"), the
  input sets are the first bytes of that shared-memory file and DATA is only u32 LE K and u64 LE their byte length.
A new client connection starts from a clean state (no IO spec, model, inputs or statistics), so one worker can
serve several runs in turn.
Compile flow:
  IO_SPEC, then any number of DATA uploads (calibration samples, kept in order),
  OPTIMIZERS json {"optimizers": [{"type", "parameters"}]} -> UPLOADING_OPTIMIZERS
  UNOPTIMIZED_MODEL bytes   -> UPLOADING_UNOPTIMIZED_MODEL
  OPTIMIZE_MODEL            -> compiled model bytes (also written at the optimizer's compiled_model_path)
"""
import importlib
import json
import mmap
import os
import select
import socket
import sys
import tempfile
import time
import traceback

import struct

import numpy as np

from .protocol import Flag, FlowControl, MessageType as M, ProtocolError, ServerAction as A, receive, send

FRAMEWORK_MODULES = {
    "onnxruntime": "onnxruntime_worker",
    "openvino": "openvino_worker",
    "iree": "iree_worker",
    "tvm": "tvm_worker",
    "tflite": "tflite_worker",
    "tensorflow": "tensorflow_worker",
    "onnx2tf": "onnx2tf_worker",
    "images": "images_worker",
}

UPLOAD_ACTIONS = {
    M.IO_SPEC: A.UPLOADING_IOSPEC,
    M.MODEL: A.UPLOADING_MODEL,
    M.DATA: A.UPLOADING_INPUT,
    M.PROCESS: A.PROCESSING_INPUT,
    M.OPTIMIZERS: A.UPLOADING_OPTIMIZERS,
    M.UNOPTIMIZED_MODEL: A.UPLOADING_UNOPTIMIZED_MODEL,
    M.RUNTIME: A.UPLOADING_RUNTIME,
}


def log(text):
    sys.stderr.write(f"[kenning_worker {os.getpid()}] {text}\n")
    sys.stderr.flush()


def split_inputs(buf, specs):
    """Splits the flat DATA buffer per input spec; one unknown (-1) dimension per input is solved for (the batch)."""
    per, dtypes = [], []
    for s in specs:
        dt = np.dtype(s.get("prequantized_dtype", s.get("dtype", "float32")))
        known = int(np.prod([d for d in s["shape"] if d > 0] or [1]))
        per.append(known * dt.itemsize)
        dtypes.append(dt)
    unknown = [any(d < 0 for d in s["shape"]) for s in specs]
    fixed = sum(p for p, u in zip(per, unknown) if not u)
    var = sum(p for p, u in zip(per, unknown) if u)
    if var:
        if (len(buf) - fixed) % var or len(buf) < fixed:
            raise ValueError(f"{len(buf)} input bytes do not fit the IO spec")
        n = (len(buf) - fixed) // var
    elif len(buf) != fixed:
        raise ValueError(f"{len(buf)} input bytes, the IO spec needs {fixed}")
    else:
        n = 1
    arrays, off = [], 0
    for s, dt, p, u in zip(specs, dtypes, per, unknown):
        shape = [n if d < 0 else d for d in s["shape"]]
        size = p * (n if u else 1)
        arrays.append(np.frombuffer(buf, dtype=dt, count=size // dt.itemsize, offset=off).reshape(shape))
        off += size
    return arrays


def join_outputs(arrays, specs):
    parts = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if i < len(specs) and specs[i].get("dtype"):
            a = a.astype(np.dtype(specs[i]["dtype"]), copy=False)
        parts.append(np.ascontiguousarray(a).tobytes())
    return b"".join(parts)


def split_stream(buf, specs):
    """A streaming DATA: the count K, then K equally sized input sets."""
    if len(buf) < 4:
        raise ValueError("a streaming DATA needs its 4-byte set count")
    (count,) = struct.unpack_from("<I", buf)
    return split_sets(memoryview(buf)[4:], count, specs)


def split_sets(body, count, specs):
    """`body` cut into `count` equally sized input sets (arrays over its memory, not copies)."""
    if count == 0 or len(body) % count:
        raise ValueError(f"{len(body)} input bytes do not split into {count} equal input sets")
    size = len(body) // count
    return [split_inputs(body[i * size:(i + 1) * size], specs) for i in range(count)]


class Worker:
    def __init__(self, framework, workdir=None):
        self.framework_name = framework
        self.fw = importlib.import_module(f".frameworks.{FRAMEWORK_MODULES[framework]}", __package__)
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"kenning-worker-{framework}-")
        self.reset()

    def reset(self):
        """Forgets everything a client set up (a new client starts clean)."""
        self.io_spec = None
        self.runtime = None
        self.inputs = None
        self.outputs = None
        self.steps = []
        self.stamps = []
        self.calibration = []
        self.optimizers = []
        self.unoptimized = None
        self.stream = False
        self.shared = None

    def shared_inputs(self, payload):
        """The input sets a DATA points at in the IO spec's "input_file" (mapped again when the host grew it)."""
        if len(payload) != 12:
            raise ValueError("a DATA with an input file holds the set count (u32) and the byte length (u64) only")
        count, length = struct.unpack("<IQ", payload)
        path = self.io_spec["input_file"]
        if self.shared is None or self.shared[0] != path or len(self.shared[1]) < length:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < length:
                    raise ValueError(f"the input file holds {size} bytes, DATA says {length}")
                # Arrays of an earlier mapping keep it alive until they are dropped; it is never closed under them.
                # Its pages are mapped now (MAP_POPULATE), not faulted in inside the first timed inferences.
                flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
                self.shared = (path, mmap.mmap(f.fileno(), size, flags=flags, prot=mmap.PROT_READ))
        return split_sets(memoryview(self.shared[1])[:length], count, self.io_spec["input"])

    # Each handler returns (success, payload_or_None). None payload on an upload means "status only".
    def handle(self, mtype, payload):
        if mtype == M.PING:
            return True, None
        if mtype == M.IO_SPEC:
            self.io_spec = json.loads(payload.decode("utf-8"))
            self.stream = self.io_spec.get("stream") is True
            self.runtime = None
            return True, None
        if mtype == M.MODEL:
            if self.io_spec is None:
                raise ValueError("MODEL before IO_SPEC")
            rt_cfg = self.io_spec.get("runtime") or {}
            if not payload and self.io_spec.get("model_file"):
                # Extension for a host on this machine: the model is read from its file rather than sent.
                with open(self.io_spec["model_file"], "rb") as f:
                    payload = f.read()
            self.runtime = self.fw.Runtime(rt_cfg.get("parameters") or {}, self.io_spec, self.workdir)
            self.runtime.load(payload)
            return True, None
        if mtype == M.DATA:
            if self.io_spec is None:
                raise ValueError("DATA before IO_SPEC")
            if self.stream:
                if self.runtime is None:
                    raise ValueError("a streaming DATA needs the model first")
                self.inputs = (self.shared_inputs(payload) if self.io_spec.get("input_file")
                               else split_stream(payload, self.io_spec["input"]))
                self.outputs = None
                return True, None
            arrays = split_inputs(payload, self.io_spec["input"])
            if self.runtime is None:
                self.calibration.append(arrays)
            self.inputs = arrays
            return True, None
        if mtype == M.PROCESS:
            if self.runtime is None or self.inputs is None:
                raise ValueError("PROCESS before MODEL and DATA")
            if self.stream:
                self.outputs, self.chunk_steps, self.chunk_stamps = [], [], []
                run, clock = self.runtime.run, time.monotonic
                for inputs in self.inputs:
                    outputs, seconds = run(inputs)
                    self.outputs.append(outputs)
                    self.chunk_steps.append(seconds)
                    self.chunk_stamps.append(clock())
                return True, None
            self.outputs, seconds = self.runtime.run(self.inputs)
            self.steps.append(seconds)
            self.stamps.append(time.monotonic())
            return True, None
        if mtype == M.OUTPUT:
            if self.outputs is None:
                raise ValueError("OUTPUT before PROCESS")
            if self.stream:
                specs = self.io_spec.get("output", [])
                header = {"target_inference_step": self.chunk_steps, "target_inference_step_timestamp": self.chunk_stamps,
                          "output_shapes": [[list(np.shape(a)) for a in outs] for outs in self.outputs]}
                details = getattr(self.runtime, "details", None)
                if details:
                    header["session"] = details
                head = json.dumps(header).encode("utf-8")
                return True, b"".join([struct.pack("<I", len(head)), head] + [join_outputs(o, specs) for o in self.outputs])
            return True, join_outputs(self.outputs, self.io_spec.get("output", []))
        if mtype == M.STATS:
            stats = {"target_inference_step": self.steps, "target_inference_step_timestamp": self.stamps,
                     "framework": {"name": self.fw.NAME, "version": self.fw.version()}}
            details = getattr(self.runtime, "details", None)
            if details:
                stats["session"] = details
            if self.outputs is not None:
                # The real shapes of the last OUTPUT, so outputs with symbolic dimensions are split without guessing.
                stats["output_shapes"] = [list(np.shape(a)) for a in self.outputs]
            self.steps, self.stamps = [], []
            return True, json.dumps(stats).encode("utf-8")
        if mtype == M.OPTIMIZERS:
            self.optimizers = json.loads(payload.decode("utf-8"))["optimizers"]
            return True, None
        if mtype == M.UNOPTIMIZED_MODEL:
            self.unoptimized = payload
            return True, None
        if mtype == M.OPTIMIZE_MODEL:
            if self.unoptimized is None or not self.optimizers:
                raise ValueError("OPTIMIZE_MODEL needs OPTIMIZERS and UNOPTIMIZED_MODEL first")
            model = self.unoptimized
            for opt in self.optimizers:
                model = self.fw.compile(opt, model, self.io_spec or {}, self.calibration, self.workdir)
            return True, model
        raise ValueError(f"unsupported request {M(mtype).name}")


def serve(args):
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
    worker = Worker(args.framework, args.workdir)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.host, args.port))
    srv.listen(1)
    port = srv.getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.rename(tmp, args.port_file)
    log(f"{args.framework} worker listening on {args.host}:{port}")
    while True:
        ready, _, _ = select.select([srv], [], [], args.idle_timeout)
        if not ready:
            log("idle timeout, exiting")
            return
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            worker.reset()
            conn.sendall(b"\x00")
            serve_client(conn, worker, args.idle_timeout)
        except (EOFError, ConnectionError, socket.timeout):
            pass
        except ProtocolError as e:
            log(f"protocol error: {e}")
        finally:
            conn.close()


def serve_client(conn, worker, idle_timeout):
    conn.settimeout(idle_timeout)
    while True:
        t = receive(conn)
        mtype = t.mtype
        # Replies use the message size the client used (Kenning's 1024 bytes by default; our host sends larger ones).
        size = t.message_size
        try:
            M(mtype)
        except ValueError:
            send(conn, mtype, FlowControl.TRANSMISSION, Flag.IS_KENNING | Flag.FAIL, bytes([A.IDLE]), size)
            continue
        action = UPLOAD_ACTIONS.get(mtype, {M.OUTPUT: A.EXTRACTING_OUTPUT, M.STATS: A.COMPUTING_STATISTICS,
                                            M.OPTIMIZE_MODEL: A.OPTIMIZING_MODEL, M.PING: A.CLIENT_CONNECTED}.get(mtype, A.IDLE))
        try:
            ok, data = worker.handle(mtype, t.payload)
            error = None
        except Exception as e:  # reported to the host: the FAIL reply carries the action byte and the message
            ok, data, error = False, None, f"{type(e).__name__}: {e}"
            log(f"{M(mtype).name} failed:\n{traceback.format_exc()}")
        if ok and data is not None:
            send(conn, mtype, FlowControl.TRANSMISSION, Flag.IS_KENNING | Flag.SUCCESS, data, size)
        elif ok:
            send(conn, mtype, FlowControl.TRANSMISSION, Flag.IS_KENNING | Flag.SUCCESS, bytes([action]), size)
        else:
            # ServerAction byte, then (extension) the UTF-8 error text so the host can say what went wrong.
            send(conn, mtype, FlowControl.TRANSMISSION, Flag.IS_KENNING | Flag.FAIL, bytes([action]) + error.encode("utf-8")[:4000], size)
