"""Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe): no
driver, no extra package. Loads a page, records console errors, uncaught exceptions, failed loads and
every request the page makes, evaluates JavaScript and takes screenshots.

Debian's chromium is installed by scripts/ensure-browser.sh (`make test` runs it). Run as root it
needs --no-sandbox; the other flags keep it from calling home on an offline machine.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BINARY = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]
# a guard against a hung browser, not a timing assertion
GUARD_SECONDS = 90


class BrowserMissing(RuntimeError):
    pass


def find_browser() -> str:
    if os.access(BINARY, os.X_OK):
        return BINARY
    found = shutil.which("chromium")
    if found:
        return found
    raise BrowserMissing(
        f"{BINARY} not found: the browser test needs Debian's chromium and a CJK font; "
        "`make test` installs them with scripts/ensure-browser.sh (apt-get install chromium fonts-noto-cjk, as root)"
    )


@dataclass
class PageLog:
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return self.console_errors + self.exceptions + self.log_errors + self.failed


class Chromium:
    def __init__(self) -> None:
        binary = find_browser()
        self._profile = tempfile.mkdtemp(prefix="annual-figures-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:
            # the protocol pipe is the browser's fd 3 (commands in) and fd 4 (replies out). dup2 makes
            # inheritable copies; every other descriptor of ours is close-on-exec (PEP 446), so
            # close_fds=False passes nothing else. from_child_w was opened after to_child_r, so it is
            # never 3 and the first dup2 cannot clobber it.
            for fd, target in ((to_child_r, 3), (from_child_w, 4)):
                if fd == target:  # dup2 onto itself keeps close-on-exec
                    os.set_inheritable(fd, True)
                else:
                    os.dup2(fd, target)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            close_fds=False,
            preexec_fn=wire,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.session: str | None = None

    # ------------------------------------------------------------ protocol

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe: " + self._stderr_tail())
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _stderr_tail(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(still running)"
        return self.proc.stderr.read().decode("utf-8", "replace")[-2000:]

    def send(self, method: str, params: dict[str, Any] | None = None, session: bool = True) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + GUARD_SECONDS
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + GUARD_SECONDS
        for index, event in enumerate(self._events):
            if event.get("method") == method:
                return self._events.pop(index)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self._events.append(event)

    # ------------------------------------------------------------ pages

    def open(self, url: str, width: int = 1280, height: int = 900) -> PageLog:
        """Load `url` in a fresh tab of the given viewport and wait for its load event and fonts."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)[
            "sessionId"
        ]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            self.send(domain)
        self.viewport(width, height)
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")
        return self.log()

    def log(self) -> PageLog:
        log = PageLog()
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                log.console_errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                log.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                log.log_errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                log.requests.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                log.failed.append(f"{params.get('errorText')} ({params.get('requestId')})")
        return log

    def viewport(self, width: int, height: int) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            width = self.evaluate("document.documentElement.clientWidth")
            height = self.evaluate("document.documentElement.scrollHeight")
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.session = None
                try:
                    self.send("Browser.close", session=False)
                except (RuntimeError, TimeoutError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            if self.proc.stderr:
                self.proc.stderr.close()
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
