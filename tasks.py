#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+.

    python3 tasks.py start [ARGS]   create .venv if needed, install, run ``python -m bot ARGS``
    python3 tasks.py test [ARGS]    create .venv if needed, install with test extras, run pytest ARGS

The virtualenv is reinstalled only when pyproject.toml changes (a stamp file remembers its hash).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_env(extras: str) -> None:
    """Create the virtualenv and install the project (editable) when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.is_file() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    target = f".[{extras}]" if extras else "."
    print(f"installing {target} into .venv …", flush=True)
    quiet = ["-q"] if os.environ.get("CI") else []
    subprocess.check_call([str(PYTHON), "-m", "pip", "install", *quiet, "--upgrade", "pip"], cwd=ROOT)
    subprocess.check_call([str(PYTHON), "-m", "pip", "install", *quiet, "-e", target], cwd=ROOT)
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("start", "test"):
        print(__doc__)
        return 2
    task, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if task == "start":
        ensure_env("")
        return subprocess.call([str(PYTHON), "-m", "bot", *rest])
    ensure_env("test")
    return subprocess.call([str(PYTHON), "-m", "pytest", *rest])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
