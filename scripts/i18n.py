"""Translation maintenance: `python scripts/i18n.py update` re-extracts messages and merges them into the
English catalogue; `python scripts/i18n.py missing` lists French messages without an English translation;
`python scripts/i18n.py compile` builds the .mo files (run by `make install`);
`python scripts/i18n.py apply FILE.json` fills missing English translations from a JSON file
({"french message": "english translation"})."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "bridge" / "translations"
POT = TRANSLATIONS / "messages.pot"
BABEL = [sys.executable, "-m", "babel.messages.frontend"]


def _run(*args: str) -> None:
    subprocess.run([*BABEL, *args], check=True, cwd=ROOT)  # noqa: S603 - fixed argument list


def update() -> None:
    _run("extract", "-F", "babel.cfg", "-k", "_l", "-o", str(POT), "--no-location", "--omit-header", ".")
    _run("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--ignore-obsolete")


def missing() -> list[str]:
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    return [
        str(m.id)
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]


def apply(path: Path) -> int:
    # Plural messages: the key is the singular French message, the value a list of English forms.
    translations: dict[str, str | list[str]] = json.loads(path.read_text(encoding="utf-8"))
    po_path = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        missing_text = not message.string or (isinstance(message.string, tuple) and not all(message.string))
        if key and missing_text and key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            filled += 1
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=110)
    return filled


def compile_catalogs() -> None:
    _run("compile", "-d", str(TRANSLATIONS), "--use-fuzzy")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "missing"
    if command == "update":
        update()
    elif command == "apply":
        sys.stdout.write(f"filled {apply(Path(sys.argv[2]))} translations\n")
    elif command == "compile":
        compile_catalogs()
    else:
        gaps = missing()
        sys.stdout.write("\n".join(gaps) + ("\n" if gaps else "all messages translated\n"))
        sys.exit(1 if gaps else 0)
