#!/usr/bin/env python3
"""Append every source string that has no Chinese translation yet to the zh_Hans catalogue.

    .venv/bin/python scripts/i18n-missing.py            # append missing msgids (empty msgstr)
    .venv/bin/python scripts/i18n-missing.py --dry-run  # only list them

Entries are appended at the end of jiesu/locale/zh_Hans/LC_MESSAGES/django.po with a
`#: file:line` reference and an empty msgstr, for a translator to fill. Strings that
already have an entry (even an empty or fuzzy one) are not added again. The rest of
the file is left byte-for-byte as it was.
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

try:
    import polib  # noqa: F401
except ImportError:  # run with the system python: use the project's venv instead
    venv_python = ROOT / ".venv" / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])
    raise

import polib  # noqa: E402

from jiesu.core import i18n_compile as i18n  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--po", type=Path, default=i18n.MAIN_LOCALE / i18n.ZH / "LC_MESSAGES" / "django.po",
                        help="catalogue to append to (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="list the missing strings, change nothing")
    args = parser.parse_args()

    missing = i18n.missing_translations()
    if not args.po.exists():
        args.po.parent.mkdir(parents=True, exist_ok=True)
        header = polib.POFile(wrapwidth=0)
        header.metadata = dict(i18n.PO_HEADER)
        if not args.dry_run:
            header.save(str(args.po))
    present = set()
    if args.po.exists():
        present = {(e.msgctxt or "", e.msgid) for e in polib.pofile(str(args.po), encoding="utf-8", wrapwidth=0)}
    to_add = [m for m in missing if m.key not in present]

    print(f"{len(missing)} string(s) without a Chinese translation; "
          f"{len(to_add)} not yet in {args.po.relative_to(ROOT) if args.po.is_relative_to(ROOT) else args.po}.")
    if missing:
        print(i18n.format_missing(missing))
    if args.dry_run or not to_add:
        return 0

    chunks = []
    for m in to_add:
        entry = polib.POEntry(msgid=m.msgid, msgstr="", msgctxt=m.context or None,
                              occurrences=[tuple(m.where.rsplit(":", 1))])
        if m.plural:
            entry.msgid_plural = m.plural
            entry.msgstr_plural = {0: ""}
        if "%(" in m.msgid or "%s" in m.msgid or "%d" in m.msgid:
            entry.flags.append("python-format")
        chunks.append(entry.__unicode__(wrapwidth=0))
    text = args.po.read_text(encoding="utf-8")
    sep = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    with args.po.open("a", encoding="utf-8") as f:
        f.write(sep + "\n".join(chunks))
    print(f"appended {len(to_add)} entr{'y' if len(to_add) == 1 else 'ies'}; fill in their msgstr.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
