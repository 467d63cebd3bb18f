"""Kernels that papermill starts, without "Kernel is running over TCP without encryption".

ipykernel logs that warning at every start when its sockets use TCP and it was given no CurveZMQ
key (`ipykernel.kernelapp.IPKernelApp.init_sockets`). jupyter_client can hand the kernel a key
pair in the connection file (`KernelManager.transport_encryption`, off by default) when the
kernelspec declares `supported_encryption: ["curve"]`, as ipykernel's own spec does. So the
kernel manager asks for it whenever libzmq has CurveZMQ (`zmq.has("curve")`); where it has not,
the kernel talks over unix sockets (the `ipc` transport) in a private temp folder instead, which
never leave the machine and which ipykernel does not warn about. Nothing else changes: the
kernel, its parameters and its outputs are the same.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any


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
            for name, value in transport_options().items():
                kw.setdefault(name, value)
            super().__init__(**kw)

    SecureKernelManager.__name__ = SecureKernelManager.__qualname__ = f"Secure{manager_class.__name__}"
    return SecureKernelManager
