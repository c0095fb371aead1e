"""The compatibility suite: jupyter-branch's wheel in the setups where notebooks run.

One job per setup (SPEC, "Where notebooks run"), each in a venv of its own with
pinned versions:

    nb7      Notebook 7.6: notebooks open at /notebooks/...
    collab   jupyter-collaboration 5.0 (real-time collaboration, two browsers)
    nbmodel  jupyter-server-nbmodel 0.2 (cells run by POST /api/kernels/<id>/execute)
    jsd      jupyter-server-documents 0.3 (its own kernel websocket, server-side execution)

Steps: build our wheel once (``pip wheel --no-deps .``), make or reuse the venvs
(in parallel, two at a time), then for each setup start ``jupyter lab`` (or
``jupyter notebook``) from its venv on 127.0.0.1, a free port, a token, a temp
root dir, temp Jupyter data/runtime/config dirs and a temp history store; run
that setup's Playwright spec (``ui-tests/compat/<setup>.spec.ts``, config
``ui-tests/compat.config.ts``) in Debian's Chromium against it; stop the server;
and fail if the server log has a 5xx answer or a Traceback.

Venvs are cached in ``.compat/venvs/<setup>-<key>``: the key covers the pins, the
Python version and our wheel's own requirements, so a venv is made again when any
of them changes; when only our wheel changed, it is reinstalled into the venv.
CI starts from a clean clone and makes them all. Each setup's server log, the
Playwright report and traces of failures are kept in ``ui-tests/compat-results/<setup>/``.

Usage: python scripts/compat.py [--setups nb7,collab,...] [--grep TITLE] [--keep] [--rebuild]
Exit status: 0 every setup passed, 1 a setup failed, 2 the suite could not run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UI_TESTS = REPO / "ui-tests"
CACHE = Path(os.environ.get("JUPYTER_BRANCH_COMPAT_CACHE", REPO / ".compat"))
RESULTS = UI_TESTS / "compat-results"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or os.environ.get("CHROMIUM") or "/usr/bin/chromium"

COMMON_PINS = ("jupyterlab==4.6.*",)


@dataclass(frozen=True)
class Setup:
    name: str
    pins: tuple[str, ...]
    app: str  # "lab" or "notebook": the command that serves the frontend
    what: str

    @property
    def all_pins(self) -> tuple[str, ...]:
        return (*self.pins, *COMMON_PINS)


SETUPS = {
    s.name: s
    for s in (
        Setup("nb7", ("notebook==7.6.*",), "notebook", "Notebook 7.6, /notebooks/..."),
        Setup(
            "collab",
            ("jupyter-collaboration==5.0.*",),
            "lab",
            "jupyter-collaboration 5.0, two browsers in one notebook",
        ),
        Setup(
            "nbmodel",
            ("jupyter-server-nbmodel==0.2.*",),
            "lab",
            "jupyter-server-nbmodel 0.2, POST /api/kernels/<id>/execute",
        ),
        Setup(
            "jsd",
            ("jupyter-server-documents==0.3.*",),
            "lab",
            "jupyter-server-documents 0.3, its own kernel websocket and execution",
        ),
    )
}
# the packages whose versions each job reports
REPORTED = (
    "jupyterlab",
    "jupyter-server",
    "notebook",
    "jupyter-collaboration",
    "jupyter-server-ydoc",
    "jupyter-server-nbmodel",
    "jupyter-server-documents",
    "ipykernel",
    "pycrdt",
)

# a server log line that is a 5xx answer ("500 GET /api/... (127.0.0.1) 3.1ms"), or
# the start of a traceback
BAD_LOG_LINE = re.compile(
    r"\b5\d\d (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) |Traceback \(most recent call last\)"
)

VENV_TIMEOUT = 15 * 60
SERVER_START_TIMEOUT = 120
SERVER_STOP_TIMEOUT = 20
SPEC_TIMEOUT = 12 * 60


def say(message: str) -> None:
    print(f"[compat] {message}", flush=True)


def quiet_pip_output(text: str) -> str:
    """pip's output without this machine's noise about absent local indexes."""
    return "\n".join(
        line for line in text.splitlines() if not line.startswith("WARNING: Location ")
    )


def run(
    command: list[str], *, timeout: float, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion, its output captured; raise with that output on failure."""
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )  # type: ignore[call-overload]
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}:\n"
            f"{quiet_pip_output(done.stdout)}\n{quiet_pip_output(done.stderr)}"
        )
    return done


# -- the wheel ---------------------------------------------------------------------


def build_wheel(python: str) -> Path:
    """Build jupyter-branch's wheel into .compat/wheel/ and return its path.

    hatch-jupyter-builder builds the frontend (``jlpm build:prod``) unless the
    checkout has one already (``make setup`` builds it; pyproject's skip-if-exists).
    """
    out = CACHE / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    run(
        [python, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        timeout=VENV_TIMEOUT,
    )
    wheels = sorted(out.glob("jupyter_branch-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel in {out}, found {wheels}")
    return wheels[0]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def wheel_requirements(wheel: Path) -> list[str]:
    """The Requires-Dist lines of the wheel's metadata."""
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = z.read(name).decode()
    return sorted(
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    )


# -- the venvs ---------------------------------------------------------------------


@dataclass
class Venv:
    setup: Setup
    path: Path
    made: str  # "made", "reused", "wheel reinstalled"
    seconds: float
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return self.path / "bin"


def venv_key(setup: Setup, requirements: list[str]) -> str:
    material = json.dumps(
        {"pins": setup.all_pins, "python": sys.version.split()[0], "requires": requirements},
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:12]


def installed_versions(venv: Path) -> dict[str, str]:
    done = run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"], timeout=120)
    found = {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(done.stdout)}
    return {name: found[name] for name in REPORTED if name in found}


def check_installed(venv: Path) -> None:
    """Raise unless the venv's Jupyter enables and loads our server and lab extensions."""
    jupyter = str(venv / "bin" / "jupyter")
    server = run([jupyter, "server", "extension", "list"], timeout=300)
    text = re.sub(r"\x1b\[[0-9;]*m", "", server.stdout + server.stderr)  # no colours
    loaded = re.search(r"jupyter_branch\s+enabled", text) and re.search(
        r"jupyter_branch .*OK", text
    )
    if not loaded:
        raise RuntimeError(f"jupyter_branch is not an enabled server extension in {venv}:\n{text}")
    lab = run([jupyter, "labextension", "list"], timeout=300)
    if "jupyter-branch" not in lab.stdout + lab.stderr:
        raise RuntimeError(f"the jupyter-branch labextension is missing in {venv}")


def make_venv(setup: Setup, wheel: Path, wheel_sha: str, key: str, rebuild: bool) -> Venv:
    """Make (or reuse) the setup's venv with our wheel and the setup's pins installed."""
    start = time.monotonic()
    path = CACHE / "venvs" / f"{setup.name}-{key}"
    stamp = path / ".compat-stamp.json"
    for old in (CACHE / "venvs").glob(f"{setup.name}-*"):
        if old != path or rebuild:  # made for other pins or another wheel's requirements
            shutil.rmtree(old, ignore_errors=True)
    if stamp.exists():
        python = str(path / "bin" / "python")
        if json.loads(stamp.read_text()).get("wheel") == wheel_sha:
            made = "reused"
        else:
            reinstall = ["install", "-q", "--no-deps", "--force-reinstall", str(wheel)]
            run([python, "-m", "pip", *reinstall], timeout=VENV_TIMEOUT)
            made = "wheel reinstalled"
    else:
        # made in place (a venv's scripts name its path); the stamp, written last,
        # says it is complete
        shutil.rmtree(path, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(path)], timeout=300)
        python = str(path / "bin" / "python")
        # the machine's pip constraints (PIP_CONSTRAINT, /etc/xdg/pip) apply as usual
        run(
            [python, "-m", "pip", "install", "-q", str(wheel), *setup.all_pins],
            timeout=VENV_TIMEOUT,
        )
        made = "made"
    if made != "reused":
        check_installed(path)
    stamp.write_text(json.dumps({"wheel": wheel_sha, "pins": setup.all_pins}))
    versions = installed_versions(path)
    return Venv(setup, path, made, time.monotonic() - start, versions)


# -- one job -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LAB_SETTINGS = {
    # no news or update pop-ups over the notebook
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def server_command(venv: Venv, port: int, token: str, root: Path, db: Path) -> list[str]:
    app = venv.setup.app
    expose = "JupyterNotebookApp" if app == "notebook" else "LabApp"
    command = [
        str(venv.bin / "jupyter"),
        app,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--BranchApp.db_url=sqlite:///{db}",
        # the specs read cell ids from the page's notebook model (window.jupyterapp)
        f"--{expose}.expose_app_in_browser=True",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


@dataclass
class JobResult:
    setup: str
    ok: bool
    seconds: float
    spec_exit: int | None
    bad_lines: list[str]
    note: str = ""


def wait_until_up(server: subprocess.Popen[bytes], base_url: str, token: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before answering")
        try:
            request = urllib.request.Request(
                f"{base_url}/api/status", headers={"Authorization": f"token {token}"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the server did not answer within {SERVER_START_TIMEOUT} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM (Jupyter stops its kernels and extensions), then SIGKILL the group."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            say(f"the server did not stop within {SERVER_STOP_TIMEOUT} s: killing it")
    with contextlib.suppress(ProcessLookupError):  # kernels are in the server's group
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


VARYING = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ "  # a record's time
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32}\b"  # ids
    r"|\b\d+\.\d+ms\b"  # durations
)


# One traceback is not the server failing anyone: a websocket write that nobody awaits
# (jupyter_server_ydoc's send, jupyter_server's kernel channels), to a browser that has
# just gone (a test closing its pages). asyncio reports it when the future is collected:
#   Task exception was never retrieved
#   future: <Task finished ... coro=<WebSocketProtocol13.write_message.<locals>.wrapper()
#     ... exception=WebSocketClosedError()>
#   Traceback ... tornado.websocket.WebSocketClosedError
# It is left out (and counted), up to the next log record.
WRITE_TO_CLOSED_SOCKET = re.compile(
    r"^future: <Task finished .*WebSocketProtocol13\.write_message\.<locals>\.wrapper\(\).*"
    r"exception=WebSocketClosedError\(\)>$"
)


def ignored_lines(lines: list[str]) -> set[int]:
    """The indexes of the lines that report a write to a browser that has gone."""
    ignored: set[int] = set()
    inside = False
    for i, line in enumerate(lines):
        if WRITE_TO_CLOSED_SOCKET.match(line):
            inside = True
        elif line.startswith("[") or line.startswith("Task exception was never retrieved"):
            inside = False
        if inside:
            ignored.add(i)
    return ignored


def bad_log_lines(log: Path) -> list[str]:
    """The log's 5xx answers and tracebacks (with the lines that explain them), each
    once, times, ids and durations left out, with how often it occurred."""
    lines = log.read_text(errors="replace").splitlines()
    ignored = ignored_lines(lines)
    counts: dict[str, int] = {}
    for i, line in enumerate(lines):
        if i not in ignored and BAD_LOG_LINE.search(line):
            context = lines[i : i + 12] if "Traceback" in line else [line]
            entry = VARYING.sub("…", "\n".join(context))
            counts[entry] = counts.get(entry, 0) + 1
    return [f"{n} x {entry}" for entry, n in counts.items()]


def run_job(venv: Venv, keep: bool, grep: str | None) -> JobResult:
    setup = venv.setup
    start = time.monotonic()
    results = RESULTS / setup.name
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir(parents=True)
    log_path = results / "server.log"
    base = Path(tempfile.mkdtemp(prefix=f"jupyter-branch-compat-{setup.name}-"))
    root, data, runtime, config = (base / d for d in ("root", "data", "runtime", "config"))
    for d in (root, data, runtime, config):
        d.mkdir()
    for name, value in LAB_SETTINGS.items():
        target = config / "lab" / "user-settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    port = free_port()
    token = secrets.token_hex(24)
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PATH": f"{venv.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv.path),
        "JUPYTER_DATA_DIR": str(data),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(config),
        "IPYTHONDIR": str(base / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTHONPATH", None)
    command = server_command(venv, port, token, root, base / "history.sqlite")
    say(f"{setup.name} ({setup.what}): {' '.join(command[:2])} on {base_url}, root {root}")
    spec_exit: int | None = None
    note = ""
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_up(server, base_url, token)
            spec_env = {
                **os.environ,
                "COMPAT_SETUP": setup.name,
                "COMPAT_APP": setup.app,
                "COMPAT_BASE_URL": base_url,
                "COMPAT_TOKEN": token,
                "COMPAT_SERVER_LOG": str(log_path),
                "COMPAT_RESULTS": str(results),
                "CHROMIUM_PATH": CHROMIUM,
                "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
            }
            playwright = [
                str(UI_TESTS / "node_modules" / ".bin" / "playwright"),
                "test",
                "--config",
                "compat.config.ts",
                f"compat/{setup.name}.spec.ts",
            ]
            if grep:
                playwright += ["--grep", grep]
            # its own process group, so that a spec past its time goes with its browsers
            spec = subprocess.Popen(playwright, cwd=UI_TESTS, env=spec_env, start_new_session=True)
            try:
                spec_exit = spec.wait(SPEC_TIMEOUT)
            except subprocess.TimeoutExpired:
                note = f"the spec did not end within {SPEC_TIMEOUT} s"
            finally:  # past its time, or the runner interrupted
                if spec.poll() is None:
                    os.killpg(spec.pid, signal.SIGKILL)
                    spec.wait()
        except RuntimeError as err:
            note = str(err)
        finally:
            stop_server(server)
    bad = bad_log_lines(log_path)
    if not keep:
        shutil.rmtree(base, ignore_errors=True)
    ok = spec_exit == 0 and not bad and not note
    return JobResult(setup.name, ok, time.monotonic() - start, spec_exit, bad, note)


# -- main --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--setups",
        default=os.environ.get("COMPAT_SETUPS") or ",".join(SETUPS),
        help=f"comma-separated, from {', '.join(SETUPS)} (default: all)",
    )
    parser.add_argument("--grep", help="run only the tests whose title matches (Playwright)")
    parser.add_argument("--keep", action="store_true", help="keep each job's temp root and store")
    parser.add_argument("--rebuild", action="store_true", help="make the venvs anew")
    parser.add_argument("--python", default=sys.executable, help="the Python that builds the wheel")
    args = parser.parse_args()
    names = [n.strip() for n in args.setups.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETUPS]
    if unknown or not names:
        parser.error(f"unknown setups {unknown}; choose from {', '.join(SETUPS)}")
    if not (UI_TESTS / "node_modules" / ".bin" / "playwright").exists():
        say("ui-tests/node_modules is missing: `make test-compat` installs it")
        return 2
    if not Path(CHROMIUM).exists():
        say(f"no Chromium at {CHROMIUM} (make chromium installs Debian's)")
        return 2

    timings: dict[str, float] = {}
    total = time.monotonic()
    try:
        t = time.monotonic()
        wheel = build_wheel(args.python)
        timings["wheel"] = time.monotonic() - t
        wheel_sha = sha256(wheel)
        say(f"wheel {wheel.name} sha256 {wheel_sha[:12]} in {timings['wheel']:.0f} s")
        requirements = wheel_requirements(wheel)

        t = time.monotonic()
        venvs: dict[str, Venv] = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futures = {
                pool.submit(
                    make_venv,
                    SETUPS[n],
                    wheel,
                    wheel_sha,
                    venv_key(SETUPS[n], requirements),
                    args.rebuild,
                ): n
                for n in names
            }
            for future in concurrent.futures.as_completed(futures):
                venv = future.result()
                venvs[venv.setup.name] = venv
                versions = ", ".join(f"{k} {v}" for k, v in venv.versions.items())
                say(f"venv {venv.setup.name}: {venv.made} in {venv.seconds:.0f} s ({versions})")
        timings["venvs"] = time.monotonic() - t
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        say(f"could not prepare the suite: {err}")
        return 2

    results = []
    for name in names:
        result = run_job(venvs[name], args.keep, args.grep)
        results.append(result)
        if result.bad_lines:
            say(f"{name}: the server log has 5xx answers or tracebacks:")
            for entry in result.bad_lines[:20]:
                print("    " + entry.replace("\n", "\n    "), flush=True)
        if result.note:
            say(f"{name}: {result.note}")
        say(f"{name}: {'passed' if result.ok else 'FAILED'} in {result.seconds:.0f} s")

    elapsed = time.monotonic() - total
    say("summary")
    print(f"  wheel    {timings['wheel']:6.0f} s", flush=True)
    for name in names:
        print(f"  venv     {venvs[name].seconds:6.0f} s  {name} ({venvs[name].made})")
    print(f"  venvs    {timings['venvs']:6.0f} s  (two at a time)")
    for r in results:
        how = "passed" if r.ok else "FAILED"
        detail = [] if r.spec_exit in (0, None) else [f"spec exit {r.spec_exit}"]
        detail += ["5xx or tracebacks in the server log"] if r.bad_lines else []
        detail += [r.note] if r.note else []
        extra = f" ({'; '.join(detail)})" if detail else ""
        log = RESULTS / r.setup / "server.log"
        print(f"  {r.setup:8} {r.seconds:6.0f} s  {how}{extra}; log: {log}")
    print(f"  total    {elapsed:6.0f} s", flush=True)
    failed = [r.setup for r in results if not r.ok]
    print(f"compat: {len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
