"""The analyst path: JupyterLab through `make lab` starts as root and as a normal user.

Jupyter refuses root unless allowed; the project's jupyter/jupyter_server_config.py allows it
only when running as root. The server is started headless on a free port, asked for /api/status
and stopped: as whoever runs the tests, and as a normal user made with useradd when that is root.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "jupyter"
BIN = Path(sys.executable).parent
TEST_USER = "annual-figures-lab"

pytest.importorskip("jupyter_server", reason="jupyter_server is not installed (pip install -e '.[dev]')")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_config(euid: int, monkeypatch) -> Config:
    """The project's server config as Jupyter's loader would build it, for a given user id."""
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    config = Config()
    code = (CONFIG_DIR / "jupyter_server_config.py").read_text(encoding="utf-8")
    exec(compile(code, "jupyter_server_config.py", "exec"), {"get_config": lambda: config})
    return config


def test_the_config_allows_root_only_as_root(monkeypatch):
    assert load_config(0, monkeypatch).ServerApp.allow_root is True
    assert "allow_root" not in load_config(1000, monkeypatch).ServerApp


def test_make_lab_points_jupyter_at_the_config():
    result = subprocess.run(["make", "-n", "lab"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "jupyter lab" in line)
    assert re.search(rf"JUPYTER_CONFIG_PATH={re.escape(str(CONFIG_DIR))}\b", line), line


@contextlib.contextmanager
def serving(tmp_path: Path, user: str | None = None, config_dir: Path = CONFIG_DIR):
    """The server as `make lab` starts it (headless, on a free port), up once /api/status answers;
    yields (port, token, status, log path) and stops it."""
    app = "lab" if shutil.which("jupyter-lab", path=str(BIN)) else "server"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    token = secrets.token_hex(16)
    port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(home),
        "JUPYTER_CONFIG_PATH": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
    }
    options = {}
    if user is not None:
        entry = pwd.getpwnam(user)
        shutil.chown(home, entry.pw_uid, entry.pw_gid)
        options = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    command = [str(BIN / "jupyter"), app, "--no-browser", f"--port={port}", "--ServerApp.port_retries=0"]
    command += [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT / 'notebooks'}"]
    log_path = tmp_path / "server.log"
    log = log_path.open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home, **options)
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"}
        )
        deadline = time.monotonic() + 120  # a bound on the wait, not a measurement
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter {app} exited with {server.returncode}: {log_path.read_text()}")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status = json.loads(response.read())
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"no /api/status from jupyter {app}: {log_path.read_text()}")
                time.sleep(0.5)
        yield port, token, status, log_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def serve_and_ask_status(tmp_path: Path, user: str | None = None) -> dict:
    with serving(tmp_path, user) as (_port, _token, status, _log):
        return status


async def _print_in_a_kernel(port: int, token: str) -> str:
    """Start a kernel through the server's REST API and run print(6 * 7) over its websocket."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    headers = {"Authorization": f"token {token}"}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/kernels", data=b'{"name": "python3"}', headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        kernel = json.loads(response.read())
    socket = await websocket_connect(
        HTTPRequest(f"ws://127.0.0.1:{port}/api/kernels/{kernel['id']}/channels", headers=headers)
    )
    header = {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "username": "", "version": "5.3"}
    message = {"header": {**header, "session": uuid.uuid4().hex}, "parent_header": {}, "metadata": {}}
    message.update(channel="shell", content={"code": "print(6 * 7)", "silent": False})
    socket.write_message(json.dumps(message))
    while True:
        reply = json.loads(await asyncio.wait_for(socket.read_message(), 60))
        if reply["msg_type"] == "stream":
            socket.close()
            return reply["content"]["text"].strip()


def test_lab_kernels_run_encrypted_without_the_warning(tmp_path):
    # without the project's config (root allowed only) a kernel warns; with it, it does not
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "jupyter_server_config.py").write_text("c = get_config()\nc.ServerApp.allow_root = True\n")
    for config_dir, warns in ((plain, True), (CONFIG_DIR, False)):
        run = tmp_path / config_dir.name
        run.mkdir(exist_ok=True)
        with serving(run, config_dir=config_dir) as (port, token, _status, log):
            assert asyncio.run(_print_in_a_kernel(port, token)) == "42"
            time.sleep(1)  # let the kernel's start-up log reach the server's log
            assert ("without encryption" in log.read_text()) is warns, log.read_text()


def test_the_server_starts_as_whoever_runs_the_tests(tmp_path):
    status = serve_and_ask_status(tmp_path)
    assert "started" in status and status["kernels"] == 0


def _normal_user() -> str:
    """A normal user to run the server as, made with useradd if need be; skips with the reason."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name  # already one: the test above covers it
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        if shutil.which("useradd") is None:
            pytest.skip("running as root and there is no useradd to make a normal user")
        made = subprocess.run(["useradd", "--no-create-home", "--system", TEST_USER], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"running as root and useradd failed: {made.stderr.strip()}")
    entry = pwd.getpwnam(TEST_USER)
    where = f"a normal user cannot run this environment's Python ({Path(sys.executable).resolve()})"
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import jupyter_server"],
            user=entry.pw_uid,
            group=entry.pw_gid,
            extra_groups=[],
            capture_output=True,
            text=True,
            cwd="/",
        )
    except PermissionError as exc:
        pytest.skip(f"{where}: {exc.strerror}")
    if probe.returncode != 0:
        pytest.skip(f"{where}: {(probe.stderr.strip().splitlines() or ['exit ' + str(probe.returncode)])[-1]}")
    return TEST_USER


def test_the_server_starts_as_a_normal_user(tmp_path):
    user = _normal_user()
    if os.geteuid() != 0:
        pytest.skip("not root: the test above already ran the server as the normal user " + user)
    os.chmod(tmp_path, 0o755)
    status = serve_and_ask_status(tmp_path, user=user)
    assert "started" in status
