"""A stand-in for Ray's Jobs API (the dashboard's /api/version and /api/jobs/ endpoints) for the Ray executor's tests:
it runs each job's entrypoint with sh on this machine, answers statuses and logs as Ray does, checks the bearer token,
records every request in REQUESTS (one JSON object per line), and fails the first attempt of the run named by
STUB_FAIL_RUN as a dead node would (FAILED, JOB_SUPERVISOR_ACTOR_DIED, the command never started).
Prints its port on the first line of stdout."""
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = os.environ.get("STUB_TOKEN", "")
REQUESTS = os.environ["STUB_REQUESTS"]
FAIL_RUN = os.environ.get("STUB_FAIL_RUN", "")
jobs = {}
lock = threading.Lock()


def run(job_id, entrypoint, env):
    proc = subprocess.Popen(["sh", "-c", entrypoint], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, **env), start_new_session=True)
    with lock:
        jobs[job_id]["proc"] = proc
    out, _ = proc.communicate()
    with lock:
        job = jobs[job_id]
        job["logs"] = out.decode("utf-8", "replace")
        if job["status"] == "STOPPED":
            return
        job["driver_exit_code"] = proc.returncode
        if proc.returncode == 0:
            job["status"], job["message"] = "SUCCEEDED", "Job finished successfully."
        else:
            job["status"], job["error_type"] = "FAILED", "JOB_ENTRYPOINT_COMMAND_ERROR"
            job["message"] = "Job entrypoint command failed with exit code %d" % proc.returncode


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            self.reply(401, b"Unauthorized: Missing authentication token")
            return False
        return True

    def do_GET(self):
        if not self.authorized():
            return
        parts = self.path.strip("/").split("/")
        if self.path == "/api/version":
            return self.reply(200, {"version": "4", "ray_version": "stub"})
        if len(parts) >= 3 and parts[:2] == ["api", "jobs"]:
            with lock:
                job = jobs.get(parts[2])
                if job is None:
                    return self.reply(404, b"Job does not exist")
                if len(parts) == 4 and parts[3] == "logs":
                    return self.reply(200, {"logs": job.get("logs", "")})
                return self.reply(200, {k: v for k, v in job.items() if k not in ("proc", "logs")})
        self.reply(404, b"not found")

    def do_POST(self):
        if not self.authorized():
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        parts = self.path.strip("/").split("/")
        if self.path == "/api/jobs/":
            with open(REQUESTS, "a") as f:
                f.write(json.dumps(body) + "\n")
            job_id = body["submission_id"]
            with lock:
                if job_id in jobs:
                    return self.reply(500, b"ValueError: Job with submission_id %s already exists" % job_id.encode())
                jobs[job_id] = {"submission_id": job_id, "status": "RUNNING", "error_type": None, "message": "",
                                "driver_exit_code": None, "metadata": body.get("metadata", {})}
                if FAIL_RUN and body.get("metadata", {}).get("run") == FAIL_RUN and job_id.endswith("-a1"):
                    jobs[job_id].update(status="FAILED", error_type="JOB_SUPERVISOR_ACTOR_DIED",
                                        message="The actor died because its node has died.")
                    return self.reply(200, {"job_id": job_id, "submission_id": job_id})
            env = body.get("runtime_env", {}).get("env_vars", {})
            threading.Thread(target=run, args=(job_id, body["entrypoint"], env), daemon=True).start()
            return self.reply(200, {"job_id": job_id, "submission_id": job_id})
        if len(parts) == 4 and parts[:2] == ["api", "jobs"] and parts[3] == "stop":
            with open(REQUESTS, "a") as f:
                f.write(json.dumps({"stop": parts[2]}) + "\n")
            with lock:
                job = jobs.get(parts[2])
                if job is None:
                    return self.reply(404, b"Job does not exist")
                job["status"] = "STOPPED"
                if job.get("proc"):
                    os.killpg(job["proc"].pid, 9)
            return self.reply(200, {"stopped": True})
        self.reply(404, b"not found")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
