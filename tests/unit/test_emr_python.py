"""The jobs' package runs on the EMR Serverless image's Python, which is older than the 3.11 used here."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Python of the emr-7.x release images (Amazon Linux 2023); pyproject's ruff per-file target says the same
EMR_PYTHON = "3.9"


def test_jobs_package_uses_nothing_newer_than_the_emr_python():
    """vermin checks library members as well as syntax (``datetime.UTC`` is 3.11; ruff sees only syntax)."""
    vermin = Path(sys.executable).with_name("vermin")  # the dev dependency's console script
    out = subprocess.run(
        [
            str(vermin),
            f"-t={EMR_PYTHON}-",
            "--no-tips",
            "--violations",
            "emr_jobs/lakehouse",
            "emr_jobs/entrypoints",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
