"""Kernels that papermill starts, without "Kernel is running over TCP without encryption".

ipykernel logs that warning at every start when its sockets use TCP and it was given no CurveZMQ
key (`ipykernel.kernelapp.IPKernelApp.init_sockets`). jupyter_client can hand the kernel a key
pair in the connection file (`KernelManager.transport_encryption`, off by default) when the
kernelspec declares `supported_encryption: ["curve"]`, as ipykernel's own spec does. So the
kernel manager asks for it whenever libzmq has CurveZMQ (`zmq.has("curve")`); where it has not,
the kernel talks over unix sockets (the `ipc` transport) in a private temp folder instead, which
never leave the machine and which ipykernel does not warn about. Nothing else changes: the
kernel, its parameters and its outputs are the same.

Every kernel a run starts carries KERNEL_MARK in its environment, so the next run can find and
kill what a run killed with SIGKILL left behind.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pipeline import paths


def has_curve() -> bool:
    import zmq

    return bool(zmq.has("curve"))


def transport_options() -> dict[str, Any]:
    """The keyword arguments that make a kernel manager's transport encrypted or local."""
    if has_curve():
        return {"transport_encryption": "auto"}
    if os.name == "posix":
        folder = tempfile.mkdtemp(prefix="annual-figures-kernel-")  # mode 0700: only this user
        return {"transport": "ipc", "ip": os.path.join(folder, "kernel")}
    return {}  # Windows without CurveZMQ: TCP on loopback, as jupyter_client does by default


def secure(manager_class: type) -> type:
    """`manager_class` (a jupyter_client KernelManager) with transport_options() as its defaults."""

    class SecureKernelManager(manager_class):  # type: ignore[misc, valid-type]
        def __init__(self, **kw: Any) -> None:
            options = transport_options()
            for name, value in options.items():
                kw.setdefault(name, value)
            super().__init__(**kw)
            # the private socket folder goes with the kernel (jupyter_client removes only the sockets)
            self._private_folder = os.path.dirname(options["ip"]) if "ip" in options else None

        def cleanup_ipc_files(self) -> None:
            super().cleanup_ipc_files()
            if self._private_folder:
                try:
                    Path(self._private_folder).rmdir()  # empty now: jupyter_client removed its sockets
                except OSError:
                    pass

    SecureKernelManager.__name__ = SecureKernelManager.__qualname__ = f"Secure{manager_class.__name__}"
    return SecureKernelManager


KERNEL_MARK = "ANNUAL_FIGURES_KERNEL_OF"


def _kernel_mark() -> str:
    """The value of KERNEL_MARK in the environment of every kernel a run starts for this project.
    The kernel is given it before it exists, and its forkserver and pool workers inherit it, so a
    run killed at any moment (even between spawning a kernel and learning its pid) leaves nothing
    the next run cannot find. A kernel JupyterLab starts has no mark and is never touched."""
    return str(paths.corpus_dir().resolve())


def _stat(pid: int | str) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) from /proc/PID/stat; None when the process is gone. The
    command name in parentheses may hold spaces or ')', so the fields are read after the last ')'."""
    try:
        state, parent, group = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[:3]
        return state, int(parent), int(group)
    except (OSError, ValueError, IndexError):
        return None


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _marked_processes(mark: str) -> list[int]:
    """The live processes whose environment carries KERNEL_MARK=`mark`, except this process and
    its ancestors (a run started from inside a kernel of ours must not kill its own parent)."""
    entry = f"{KERNEL_MARK}={mark}".encode()
    spared = _ancestors()
    found = []
    for pid in _pids():
        if pid in spared:
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:  # gone meanwhile, or another user's
            continue
        stat = _stat(pid)
        if stat is not None and stat[0] != "Z" and entry in environ.split(b"\0"):
            found.append(pid)
    return found


def _ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        stat = _stat(pid)
        if stat is None:
            break
        pid = stat[1]
    return pids


REAP_ROUNDS, REAP_PAUSE = 200, 0.02  # scans 20 ms apart: 4 s for what a killed run left to stop growing


def reap_orphans() -> list[int]:
    """Kill what a run killed with SIGKILL left behind: a kernel still starting or running, and the
    forkserver and pool workers that outlive it. Called with the run lock held. Returns the pids
    killed, and still-live marked processes after REAP_ROUNDS scans are named on stderr.

    One scan is not enough: an orphaned kernel is still running its cell, and between the scan and
    its death it can have its forkserver start a worker the scan never saw, which would then wait
    on its task queue for ever. So the scan repeats until it finds nothing alive."""
    mark, killed = _kernel_mark(), []
    for _ in range(REAP_ROUNDS):
        found = _marked_processes(mark)
        if not found:
            return killed
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        killed.extend(pid for pid in found if pid not in killed)
        time.sleep(REAP_PAUSE)  # the killed exit; the next scan sees only what they started meanwhile
    left = _marked_processes(mark)
    if left:
        print(f"pipeline: warning: processes of an earlier run are still alive: {left}", file=sys.stderr, flush=True)
    return killed


def _kill_group(pgid: int, patience: float = 5.0) -> None:
    """SIGKILL the group, then wait (up to `patience` s) until none of it is alive, so that when a
    run returns nothing it started is still on its way out."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + patience
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_alive(pgid: int) -> bool:
    return any(stat[2] == pgid and stat[0] != "Z" for stat in map(_stat, _pids()) if stat is not None)


def logging_to(stderr):
    """nbclient's kernel manager, with the kernel process's stderr sent to `stderr` and KERNEL_MARK
    in its environment; the kernel's process group (its own session) is killed when the notebook
    is done, so pool workers it started never outlive it."""
    from jupyter_client.manager import AsyncKernelManager

    class KernelManager(secure(AsyncKernelManager)):
        async def start_kernel(self, **kw: Any) -> None:
            kw.setdefault("stderr", stderr)
            kw["env"] = {**kw.get("env", os.environ), KERNEL_MARK: _kernel_mark()}
            await super().start_kernel(**kw)
            self._group = getattr(getattr(self, "provisioner", None), "pid", None)

        async def shutdown_kernel(self, *args: Any, **kw: Any) -> None:
            try:
                await super().shutdown_kernel(*args, **kw)
            finally:
                group = getattr(self, "_group", None)
                if group:
                    _kill_group(group)

    return KernelManager
