"""Generated documentation stays current."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_architecture_diagram_matches_its_source():
    out = subprocess.run(
        [sys.executable, "scripts/render_docs.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
