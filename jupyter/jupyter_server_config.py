# Jupyter server settings for this project, found through JUPYTER_CONFIG_PATH (set by `make lab`).
# Jupyter refuses to start as root unless told to; these machines, and many containers, run as
# root, so the project allows it there and only there. As a normal user nothing changes.
import os

c = get_config()  # noqa: F821 (Jupyter's config loader defines it)

if hasattr(os, "geteuid") and os.geteuid() == 0:
    c.ServerApp.allow_root = True
