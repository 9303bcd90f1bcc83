"""Keep generated parts of README.md current: the architecture diagram comes from docs/architecture.mmd.

python scripts/render_docs.py          # rewrite README.md
python scripts/render_docs.py --check  # exit 1 if README.md is stale
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- architecture:begin (generated from docs/architecture.mmd) -->", "<!-- architecture:end -->"


def render(readme: str) -> str:
    diagram = (ROOT / "docs/architecture.mmd").read_text().strip()
    block = f"{BEGIN}\n```mermaid\n{diagram}\n```\n{END}"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit("README.md lacks the architecture markers")
    return pattern.sub(lambda _: block, readme)


def main(argv: list[str]) -> int:
    path = ROOT / "README.md"
    current = path.read_text()
    wanted = render(current)
    if "--check" in argv:
        if current != wanted:
            print("README.md is stale: run `python scripts/render_docs.py`", file=sys.stderr)
            return 1
        return 0
    path.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
