"""IREE: ONNX -> MLIR (iree-import-onnx, opset 17, entry function "main") -> .vmfb (iree-compile) and the runtime."""
import os
import subprocess
import sys

from . import fix_onnx_shapes, package_version, per_sample, scratch, timed, write_file

NAME = "iree"


def version():
    return package_version("iree-base-runtime")


class Runtime:
    def __init__(self, params, io_spec, workdir):
        self.params, self.io_spec, self.workdir = params, io_spec, workdir

    def load(self, model_bytes):
        import iree.runtime as rt
        config = rt.Config(self.params.get("driver", "local-sync"))
        self.ctx = rt.SystemContext(config=config)
        self.ctx.add_vm_module(rt.VmModule.copy_buffer(self.ctx.instance, model_bytes))
        module = self.ctx.modules.module
        self.function = module[self.params.get("function", "main")]

    def _one(self, inputs):
        result, seconds = timed(lambda: self.function(*inputs))
        outs = result if isinstance(result, (list, tuple)) else [result]
        return [o.to_host() for o in outs], seconds

    def run(self, inputs):
        return per_sample(self._one, inputs)


def compile(optimizer, model_bytes, io_spec, calibration, workdir):
    import onnx
    import iree.compiler as ic
    p = optimizer.get("parameters", {})
    out = p["compiled_model_path"]
    model = onnx.load_from_string(model_bytes)
    model.graph.name = "main"            # the exported function is named after the graph
    fix_onnx_shapes(model, io_spec, 1)   # IREE wants static shapes
    src = scratch(workdir, "input.onnx", model.SerializeToString())
    mlir = os.path.join(workdir, "input.mlir")
    r = subprocess.run([sys.executable, "-m", "iree.compiler.tools.import_onnx", src, "--opset-version", "17", "-o", mlir],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"iree-import-onnx failed: {r.stderr.strip()[-2000:]}")
    backend = p.get("backend", "llvm-cpu")
    args = []
    if backend == "llvm-cpu":
        args.append(f"--iree-llvmcpu-target-cpu={p.get('target_cpu', 'host')}")
    args += list(p.get("compiler_args") or [])
    vmfb = ic.compile_file(mlir, target_backends=[backend], extra_args=args)
    write_file(out, vmfb)
    return vmfb
