"""Verify a generated app before delivery: own venv, own tests, a real server probed over HTTP.

Steps (each timed; the first failure stops the run and names the step):

1. ``wheels``  the wheel cache in the data home (``$IZA_HOME/cache/wheels``) holds every pinned
   requirement; on a cold cache ``pip wheel`` fills it once from the package index.
2. ``venv``    a fresh virtual environment inside the app (``.venv``).
3. ``install`` the requirements from the cache only (``--no-index --find-links``): uv when the
   ``uv`` package is installed (about 1 s), pip otherwise (several seconds).
4. ``tests``   the app's own pytest suite, counted from its JUnit XML report.
5. ``serve``   uvicorn on a free 127.0.0.1 port with a throw-away database.
6. ``probe``   create, read, list/search, update, delete and read-after-delete of every entity
   through the JSON API, plus its HTML list page; then the server is stopped.

Child processes get a minimal environment (no API keys leak into the app under test, so its AI
features are probed in their honest "not configured" state).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iza.apps._generate import PINS, samples
from iza.apps._records import AppSpec
from iza.errors import RuntimeFailure

__all__ = ["STEPS", "StepResult", "Verification", "VerifyError", "WheelCache", "verify_app"]

logger = logging.getLogger(__name__)

STEPS: tuple[str, ...] = ("wheels", "venv", "install", "tests", "serve", "probe")
Progress = Callable[[str, str], None]


class VerifyError(RuntimeFailure):
    """A verification step could not run at all (as opposed to running and failing)."""


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "detail": self.detail,
        }


@dataclass
class Verification:
    """The outcome: ``ok`` only when every step passed."""

    steps: list[StepResult] = field(default_factory=list)
    tests: dict[str, int] = field(default_factory=lambda: {"passed": 0, "failed": 0})
    probe: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return len(self.steps) == len(STEPS) and all(s.ok for s in self.steps)

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)

    def as_dict(self) -> dict[str, Any]:
        failed = self.failed_step
        return {
            "ok": self.ok,
            "failed_step": failed.name if failed else None,
            "steps": [s.as_dict() for s in self.steps],
            "tests": dict(self.tests),
            "probe": self.probe,
        }


def _child_env(venv_bin: Path, **extra: str) -> dict[str, str]:
    # Byte-code is written on purpose: the tests' first imports compile the venv once and the
    # server started next reuses it.
    env = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": tempfile.gettempdir(),
    }
    env.update(extra)
    return env


def _uv(installer: str = "auto") -> str | None:
    """The uv binary to use, or ``None`` for pip (``installer``: auto, uv or pip)."""
    if installer == "pip":
        return None
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        if installer == "uv":
            raise VerifyError(
                "apps.installer is 'uv' but the uv package is not installed",
                fix="pip install 'iza-os[apps]', or set apps.installer to auto or pip",
            ) from None
        return None


def _run(
    cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    logger.info("run %s", " ".join(cmd[:6]))
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _tail(proc: subprocess.CompletedProcess[str], lines: int = 12) -> str:
    text = (proc.stdout or "") + (proc.stderr or "")
    kept = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("WARNING: Location")]
    return "\n".join(kept[-lines:])


class WheelCache:
    """A folder of wheels for the pinned requirements, filled once and then used offline.

    A file lock serialises filling, so parallel verifications (``pytest -n 2``) share one cache.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def missing(self, pins: tuple[tuple[str, str], ...] = PINS) -> list[str]:
        names = (
            {
                p.name.split("-")[0].lower().replace("_", "-") + "==" + p.name.split("-")[1]
                for p in self.path.glob("*.whl")
            }
            if self.path.exists()
            else set()
        )
        return [f"{n}=={v}" for n, v in pins if f"{n.lower().replace('_', '-')}=={v}" not in names]

    def ensure(self, pins: tuple[tuple[str, str], ...] = PINS) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            need = self.missing(pins)
            if not need:
                return "warm cache"
            # Inherits the caller's environment on purpose: pip's index and proxy settings.
            proc = _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "wheel",
                    "-q",
                    "--wheel-dir",
                    str(self.path),
                    *[f"{n}=={v}" for n, v in pins],
                ]
            )
            if proc.returncode != 0:
                raise VerifyError(
                    f"could not fill the wheel cache {self.path}: {_tail(proc, 4)}",
                    fix="check that the package index is reachable, or copy the wheels there",
                )
            return f"filled {len(need)} missing requirement(s)"


def _venv(app_dir: Path, installer: str) -> Path:
    venv = app_dir / ".venv"
    if venv.exists():
        shutil.rmtree(venv)
    uv = _uv(installer)
    cmd = (
        [uv, "venv", "-q", "--python", sys.executable, str(venv)]
        if uv
        else [sys.executable, "-m", "venv", "--without-pip", str(venv)]
    )
    proc = _run(cmd)
    if proc.returncode != 0:
        raise VerifyError(
            f"could not create {venv}: {_tail(proc, 4)}", fix="check disk space and permissions"
        )
    return venv / "bin" / "python"


def _install(app_dir: Path, python: Path, cache: WheelCache, installer: str) -> str:
    uv = _uv(installer)
    req = str(app_dir / "requirements.txt")
    if uv:
        cmd = [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "--offline",
            "--compile-bytecode",
            "--no-index",
            "--find-links",
            str(cache.path),
            "--cache-dir",
            str(cache.path.parent / "uv"),
            "-r",
            req,
        ]
    else:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "--isolated",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(cache.path),
            "-r",
            req,
        ]
    proc = _run(cmd)
    if proc.returncode != 0:
        raise _StepFailed(_tail(proc))
    return "uv" if uv else "pip"


class _StepFailed(Exception):
    """A step ran and failed; the message is what the user should read."""


def _tests(app_dir: Path, python: Path, counts: dict[str, int]) -> None:
    """Run the app's suite; ``counts`` is filled in even when the run fails."""
    report = app_dir / ".iza-junit.xml"
    proc = _run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=app_dir,
        env=_child_env(python.parent),
    )
    if report.exists():
        root = ET.parse(report).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        if suite is not None:
            total, fail = (
                int(suite.get("tests", 0)),
                int(suite.get("failures", 0)) + int(suite.get("errors", 0)),
            )
            skipped = int(suite.get("skipped", 0))
            counts.update(passed=total - fail - skipped, failed=fail)
        report.unlink()
    if proc.returncode != 0 or counts["passed"] == 0:
        raise _StepFailed(f"pytest exit {proc.returncode}: {_tail(proc)}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _server(app_dir: Path, python: Path, token: str) -> Iterator[str]:
    import httpx

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="iza-probe-") as tmp:
        env = _child_env(python.parent, APP_DB_PATH=str(Path(tmp) / "probe.db"), APP_ACCESS_TOKEN=token)
        log = open(Path(tmp) / "server.log", "w+")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [
                str(python),
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=app_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise _StepFailed(f"the server exited with {proc.returncode}: {log.read()[-800:]}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise _StepFailed("the server did not answer /healthz within 30 s")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _probe(spec: AppSpec, base: str, token: str) -> dict[str, Any]:
    """CRUD every entity over HTTP; references point at records made first."""
    import httpx

    data = samples(spec)
    result: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:

        def make(name: str, depth: int = 0) -> int:
            e = spec.entity(name)
            body = dict(data[name]["create"])
            for f in e.fields:
                if f.type == "ref" and f.ref and f.ref != name and depth < 4:
                    body[f.name] = make(f.ref, depth + 1)
            resp = http.post(f"/api/{e.plural}", json=body)
            if resp.status_code != 201:
                raise _StepFailed(f"POST /api/{e.plural} → {resp.status_code}: {resp.text[:300]}")
            return int(resp.json()["id"])

        for e in spec.entities:
            checks: dict[str, int] = {}
            rid = make(e.name)
            checks["create"] = 201
            checks["read"] = http.get(f"/api/{e.plural}/{rid}").status_code
            found = http.get(f"/api/{e.plural}", params={"q": data[e.name]["search"]})
            checks["search"] = found.status_code if any(r["id"] == rid for r in found.json()) else 0
            update = dict(data[e.name]["update"])
            checks["update"] = http.put(f"/api/{e.plural}/{rid}", json=update).status_code
            checks["page"] = http.get(f"/{e.plural}").status_code
            checks["delete"] = http.delete(f"/api/{e.plural}/{rid}").status_code
            checks["gone"] = http.get(f"/api/{e.plural}/{rid}").status_code
            expected = {
                "create": 201,
                "read": 200,
                "search": 200,
                "update": 200,
                "page": 200,
                "delete": 204,
                "gone": 404,
            }
            bad = {k: v for k, v in checks.items() if v != expected[k]}
            result[e.name] = {**checks, "ok": not bad}
            if bad:
                raise _StepFailed(f"{e.name}: unexpected status {bad} (expected {expected})")
        result["home"] = http.get("/").status_code
    return result


def verify_app(
    spec: AppSpec,
    app_dir: Path,
    cache: WheelCache,
    progress: Progress | None = None,
    installer: str = "auto",
) -> Verification:
    """Run every step; never raises for a failing app (the result names the failing step).

    ``installer`` is ``auto`` (uv when installed, else pip), ``uv`` or ``pip``.
    """
    out = Verification()
    note = progress or (lambda step, msg: None)
    token = secrets.token_urlsafe(16)
    python = app_dir / ".venv" / "bin" / "python"
    actions: dict[str, Callable[[], str]] = {
        "wheels": lambda: cache.ensure(),
        "venv": lambda: str(_venv(app_dir, installer).parent.parent.name),
        "install": lambda: f"installed with {_install(app_dir, python, cache, installer)}",
    }

    def tests() -> str:
        _tests(app_dir, python, out.tests)
        return f"{out.tests['passed']} passed, {out.tests['failed']} failed"

    actions["tests"] = tests
    stack = contextlib.ExitStack()
    base: list[str] = []

    def serve() -> str:
        base.append(stack.enter_context(_server(app_dir, python, token)))
        return base[0]

    def probe() -> str:
        out.probe = _probe(spec, base[0], token)
        return f"{len(spec.entities)} entities: create/read/search/update/delete ok"

    actions["serve"], actions["probe"] = serve, probe
    with stack:
        for step in STEPS:
            note(step, "running")
            started = time.perf_counter()
            try:
                detail = actions[step]()
                ok = True
            except (_StepFailed, VerifyError, subprocess.TimeoutExpired, OSError) as exc:
                detail, ok = (exc.message if isinstance(exc, VerifyError) else str(exc)), False
            except Exception as exc:  # an unexpected failure of the app under test, e.g. bad JSON
                detail, ok = f"{type(exc).__name__}: {exc}", False
            out.steps.append(StepResult(step, ok, time.perf_counter() - started, detail))
            note(step, "ok" if ok else "failed")
            if not ok:
                break
    return out
