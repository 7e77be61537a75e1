"""The real weftd for the HTTP interop tests: started on port 0, stopped with SIGTERM.

Shared by the Python tests in tests/interop (xmlrpc_client_test.py, jsonrpc_client_test.py).
Like tests/integration/weftd_process.cc, it writes a config into TEST_TMPDIR (a throwaway data
dir, the wire listener on tcp:0 loopback, every other gateway off but http, which gets
`http_listener`, plus `extra_config`), starts broker/weftd (relative to the runfiles root, the
test's working directory), waits for `weftd: ready` and reads the HTTP port from
`weftd: http listening on tcp:PORT:...`. Every wait is bounded; nothing sleeps a fixed time.
"""

import os
import select
import signal
import subprocess
import tempfile
import time

WEFTD = "broker/weftd"
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 20
SERVICES = 'services { name: "demo.Calculator" }\nservices { name: "demo.Types" }\n'
_OFF = ("control", "smtp", "imap", "pop3", "ssh", "irc")


class Weftd:
    """One weftd process. `port` is its HTTP listener's port."""

    def __init__(self, extra_config="", http_listener='endpoint: "tcp:0:interface=127.0.0.1"'):
        self.dir = tempfile.mkdtemp(prefix="weftd.", dir=os.environ.get("TEST_TMPDIR"))
        listeners = ['  wire { endpoint: "tcp:0:interface=127.0.0.1" }',
                     "  http { %s }" % http_listener]
        listeners += ["  %s { enabled: false }" % name for name in _OFF]
        config = 'data_dir: "%s/data"\nlisteners {\n%s\n}\n%s%s' % (
            self.dir, "\n".join(listeners), SERVICES, extra_config)
        self.config_path = os.path.join(self.dir, "weft.conf")
        # Owner-only: weftd refuses a config holding tokens that others can read.
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(config)
        self.stderr_path = os.path.join(self.dir, "weftd.stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen([WEFTD, "--config", self.config_path],
                                        stdout=subprocess.PIPE, stderr=self._stderr)
        self.stdout = self._read_until_ready()
        self.port = self._http_port()

    def _read_until_ready(self):
        out = b""
        deadline = time.monotonic() + START_TIMEOUT_S
        fd = self.process.stdout.fileno()
        while b"weftd: ready\n" not in out:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail_start("no 'weftd: ready' within %d s" % START_TIMEOUT_S, out)
            readable, _, _ = select.select([fd], [], [], left)
            if not readable:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self._fail_start("weftd closed stdout before ready", out)
            out += chunk
        return out.decode()

    def _http_port(self):
        for line in self.stdout.splitlines():
            prefix = "weftd: http listening on "
            if line.startswith(prefix):
                return int(line[len(prefix):].split(":")[1])
        self._fail_start("no http listener line", self.stdout.encode())
        return 0

    def _fail_start(self, why, out):
        self.process.kill()
        self.process.wait()
        raise RuntimeError("weftd did not start (%s)\nstdout:\n%s\nstderr:\n%s" % (
            why, out.decode(errors="replace"), self.stderr_text()))

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        """SIGTERM, then waits; returns the exit code (-signal when killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process.stdout.close()
        self._stderr.close()
        return code
