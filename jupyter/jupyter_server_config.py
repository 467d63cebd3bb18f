# Jupyter server settings for this project, found through JUPYTER_CONFIG_PATH (set by `make lab`).
# Jupyter refuses to start as root unless told to; these machines, and many containers, run as
# root, so the project allows it there and only there. As a normal user nothing changes.
import os

c = get_config()  # noqa: F821 (Jupyter's config loader defines it)

if hasattr(os, "geteuid") and os.geteuid() == 0:
    c.ServerApp.allow_root = True

# Kernels started from JupyterLab get CurveZMQ keys (ipykernel's kernelspec declares it can use
# them), so their traffic is encrypted and ipykernel does not warn "running over TCP without
# encryption" at each start; where libzmq has no CurveZMQ, jupyter_client's default stays.
try:
    import zmq

    if zmq.has("curve"):
        c.KernelManager.transport_encryption = "auto"
except ImportError:
    pass
