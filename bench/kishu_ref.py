"""2c. Kishu on the same session: a reference row, if it installs here.

Kishu (PyPI ``kishu``) is the closest installable peer: it lives in the
kernel and checkpoints the *variables* after each cell (plus the notebook file
as last saved), so its store answers a different question (restore kernel
state) than ours (keep every source and output). Its size is shown for scale,
not as a like-for-like comparison.

It gets its own venv (``bench/.venv-kishu``) so its dependencies (Flask,
ipylab, ...) never enter the project's environment, and a kernelspec pointing
at that venv in the server's private data dir. The server runs without
jupyter-branch. Kishu runs in its test mode (``ENV_KISHU_TEST_MODE``), which
only skips asking a browser frontend to save and reload the notebook; the
notebook is saved through the contents API after every execution instead, as
Kishu's 1 s autosave would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import size
from .servers import Server

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-kishu"
PACKAGES = ["kishu==0.3.4", "ipykernel", "numpy", "pandas", "matplotlib"]


def install(log: Any) -> tuple[Path | None, str]:
    """Return the Kishu venv's python (made if needed), or None and why not."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text() == " ".join(PACKAGES):
        return python, ""
    log("  installing Kishu into bench/.venv-kishu (first run only)")
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PACKAGES],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if done.returncode != 0:
            return None, (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        stamp.write_text(" ".join(PACKAGES))
        return python, ""
    except (OSError, subprocess.SubprocessError) as err:
        return None, str(err)


def kernelspec(server: Server, python: Path) -> None:
    folder = server.data / "kernels" / "kishu"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Kishu)",
        "language": "python",
        "env": {
            "ENV_KISHU_TEST_MODE": "1",
            "KISHU_PATH_ROOT": str(server.base / "kishu-home"),
        },
    }
    (folder / "kernel.json").write_text(json.dumps(spec))


async def measure(quick: bool, log: Any) -> dict[str, Any]:
    python, why = await asyncio.to_thread(install, log)
    if python is None:
        return {"installed": False, "reason": why}
    version = subprocess.run(
        [str(python), "-c", "import kishu; print(kishu.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    server = Server("kishu", branch=False)
    kernelspec(server, python)
    server.start()
    try:
        nb_abs = (server.root / size.NOTEBOOK).resolve()
        prelude = [f"from kishu import init_kishu\ninit_kishu({str(nb_abs)!r})"]
        doc = await size.run_session(
            server,
            kernel_name="kishu",
            prelude=prelude,
            report=False,
            save_after_each=True,
            log=log,
        )
        await asyncio.sleep(1.0)
        server.stop(keep=True)
        files = sorted(server.root.glob("*.kishudb*"))
        kishu_bytes = sum(f.stat().st_size for f in files)
        return {
            "installed": True,
            "version": version,
            "executions": len(doc.ipynb_bytes),
            "files": [f.name for f in files],
            "store_bytes": kishu_bytes,
        }
    finally:
        server.stop()
