"""The deployment files stay true to the code: every setting is documented, and the image carries
every package the project has."""

from __future__ import annotations

import re

from bot.settings import Settings
from tests.conftest import ROOT


def test_every_setting_is_in_the_deployment_guide_and_env_example() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in guide, f"{name.upper()} is not in docs/deploy.md"
        assert re.search(rf"^{name.upper()}=", example, re.M), f"{name.upper()} is not in .env.example"


def test_the_image_copies_every_package_and_runs_the_webhook() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"}
    copied = set(re.findall(r"^COPY (?:--chown=\S+ )?(\w+) \./\1$", dockerfile, re.M))
    assert packages <= copied, f"not copied into the image: {packages - copied}"
    assert 'CMD ["python", "-m", "bot", "--webhook"]' in dockerfile
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored and ".git" in ignored


def test_the_readme_points_to_the_deployment_guide() -> None:
    assert "docs/deploy.md" in (ROOT / "README.md").read_text(encoding="utf-8")
