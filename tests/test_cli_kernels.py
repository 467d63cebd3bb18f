"""The kernels papermill starts: no "TCP without encryption" warning, because the transport is
encrypted (CurveZMQ keys in the connection file) or local (unix sockets)."""

from __future__ import annotations

import os

import pytest
from jupyter_client.manager import KernelManager

from pipeline.run import kernels

WARNING = "without encryption"


def run_kernel(manager_class: type, log_path) -> tuple[KernelManager, str]:
    """Start a python3 kernel, run one cell, stop it; the manager and the kernel's stderr."""
    with log_path.open("w", encoding="utf-8") as log:
        km = manager_class(kernel_name="python3")
        km.start_kernel(stderr=log)
        try:
            client = km.client()
            client.start_channels()
            client.wait_for_ready(timeout=60)
            reply = client.execute_interactive("x = 6 * 7", timeout=60)
            assert reply["content"]["status"] == "ok"
            client.stop_channels()
        finally:
            km.shutdown_kernel(now=True)
    return km, log_path.read_text(encoding="utf-8")


def test_the_warning_comes_from_a_plain_tcp_kernel(tmp_path):
    # the check below can fail: a kernel started as jupyter_client does by default warns
    _km, log = run_kernel(KernelManager, tmp_path / "plain.log")
    assert WARNING in log


@pytest.mark.skipif(not kernels.has_curve(), reason="libzmq here has no CurveZMQ")
def test_a_secure_kernel_is_encrypted_and_says_nothing(tmp_path):
    km, log = run_kernel(kernels.secure(KernelManager), tmp_path / "secure.log")
    assert WARNING not in log
    assert km.transport == "tcp" and km.curve_publickey is not None  # keys were handed to the kernel


def test_without_curve_a_kernel_uses_unix_sockets(tmp_path, monkeypatch):
    monkeypatch.setattr(kernels, "has_curve", lambda: False)
    if os.name != "posix":
        pytest.skip("no ipc transport on this operating system")
    km, log = run_kernel(kernels.secure(KernelManager), tmp_path / "ipc.log")
    assert WARNING not in log
    assert km.transport == "ipc" and km.curve_publickey is None
    assert not os.path.exists(os.path.dirname(km.ip))  # its private socket folder went with it
