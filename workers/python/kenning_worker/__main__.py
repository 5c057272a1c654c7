import argparse
import os
import shutil
import tempfile
import signal
import sys
import threading
import time


_OWN_WORKDIR = []   # the scratch folder, removed on the way out


def _cleanup():
    for d in _OWN_WORKDIR:
        shutil.rmtree(d, ignore_errors=True)


def _watch_parent(parent, owner=None):
    """Exit when the host goes away: stdin reaches EOF (the host holds the other end) or we are re-parented; a pooled
    worker (`--owner-pid`) instead exits when its owner process is gone."""
    def leave():
        _cleanup()
        # Take the worker's own process group (compiler subprocesses included) down with it.
        if os.getpgrp() == os.getpid():
            try:
                os.killpg(os.getpid(), signal.SIGKILL)
            except OSError:
                pass
        os._exit(0)

    def stdin_eof():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        leave()

    def ppid_poll():
        while True:
            if os.getppid() != parent:
                leave()
            time.sleep(0.25)

    def owner_poll():
        while True:
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                leave()
            except PermissionError:
                pass
            time.sleep(0.25)

    if owner is not None:
        threading.Thread(target=owner_poll, daemon=True).start()
        return
    if not os.isatty(0):
        threading.Thread(target=stdin_eof, daemon=True).start()
    threading.Thread(target=ppid_poll, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(prog="kenning_worker")
    ap.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--framework", required=True,
                    choices=["onnxruntime", "openvino", "iree", "tvm", "tflite", "tensorflow", "onnx2tf", "images"])
    ap.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    ap.add_argument("--workdir", help="scratch folder (the host creates and removes it); default: a new temporary one")
    ap.add_argument("--idle-timeout", type=float, default=600.0,
                    help="exit when no client talks for this many seconds")
    ap.add_argument("--owner-pid", type=int, help="a pooled worker: live as long as this process (not the one that started it)")
    args = ap.parse_args()
    _watch_parent(os.getppid(), args.owner_pid)
    if not args.workdir:
        args.workdir = tempfile.mkdtemp(prefix=f"kenning-worker-{args.framework}-")
    _OWN_WORKDIR.append(args.workdir)   # the host removes it too, but cannot after dying
    signal.signal(signal.SIGTERM, lambda *_: (_cleanup(), os._exit(0)))
    from .server import serve
    try:
        serve(args)
    finally:
        _cleanup()


if __name__ == "__main__":
    sys.exit(main())
