"""Validate a content directory from the shell: ``python -m store.check content``."""

from __future__ import annotations

import sys
from pathlib import Path

from store.content import check_directory


def main(argv: list[str]) -> int:
    directory = Path(argv[0] if argv else "content")
    errors = check_directory(directory)
    for error in errors:
        sys.stdout.write(f"{error}\n")
    sys.stdout.write(f"{len(errors)} error(s) in {directory}\n")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
