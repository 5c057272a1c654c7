"""Test support: on PYTHONPATH with KENNING_WORKER_FAULT=crash|hang|garbage, the framework worker misbehaves when the
host asks it to PROCESS (it dies from SIGKILL, never answers, or answers bytes that are not a Kenning message), so the
host's failure paths are tested against a real misbehaving process. Nothing of this is in the worker itself."""
import os
import time

FAULT = os.environ.get("KENNING_WORKER_FAULT", "")

if FAULT:
    from kenning_worker import server
    from kenning_worker.protocol import MessageType

    original_handle = server.Worker.handle
    original_send = server.send

    def faulty_handle(self, mtype, payload):
        if mtype == MessageType.PROCESS:
            if FAULT == "crash":
                os.kill(os.getpid(), 9)
            elif FAULT == "hang":
                while True:
                    time.sleep(60)
        return original_handle(self, mtype, payload)

    def faulty_send(conn, mtype, *args, **kwargs):
        if FAULT == "garbage" and mtype == MessageType.PROCESS:
            conn.sendall(b"this is not a Kenning message\n" * 4)
            return
        return original_send(conn, mtype, *args, **kwargs)

    server.Worker.handle = faulty_handle
    server.send = faulty_send
