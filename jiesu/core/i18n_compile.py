"""Translation tooling without GNU gettext.

    python -m jiesu.core.i18n_compile          compile every jiesu/**/locale/*/LC_MESSAGES/django.po → .mo
    python -m jiesu.core.i18n_compile --check  also list source strings that lack a Chinese translation

The .mo files are build products (ignored by git); `make test` and `make setup` run this.
Compilation uses polib (pure Python), writes atomically and skips .mo files that are
newer than their .po, so it is cheap to call often.

The module also holds the message *extraction* used by tests/test_infra_i18n.py and
scripts/i18n-missing.py: every literal marked for translation in the project's templates
({% translate %}, {% trans %}, {% blocktranslate %}/{% blocktrans %}, _("...") in template
filters) and Python code (_(), gettext(), gettext_lazy(), gettext_noop(), ngettext(),
pgettext() and their _lazy forms).
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polib

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # jiesu/
MAIN_LOCALE = PACKAGE_DIR / "locale"  # settings.LOCALE_PATHS
ZH = "zh_Hans"

PO_HEADER = {
    "Project-Id-Version": "jiesu",
    "Report-Msgid-Bugs-To": "",
    "Language": ZH,
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}


# ---------------------------------------------------------------- compile

def po_files(root: Path = PACKAGE_DIR) -> list[Path]:
    """Every django.po under root/**/locale/*/LC_MESSAGES/."""
    return sorted(p for p in root.glob("**/locale/*/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def compile_po(po_path: Path, force: bool = False) -> bool:
    """Compile one .po to the .mo beside it. Returns True when the .mo was (re)written."""
    mo_path = po_path.with_suffix(".mo")
    if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return False
    po = polib.pofile(str(po_path), encoding="utf-8", wrapwidth=0)
    # Write next to the target and rename: a test run reading the .mo never sees half a file.
    fd, tmp = tempfile.mkstemp(prefix=".django.", suffix=".mo.tmp", dir=mo_path.parent)
    os.close(fd)
    try:
        po.save_as_mofile(tmp)  # translated entries only (no fuzzy, no empty msgstr)
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


def compile_all(root: Path = PACKAGE_DIR, force: bool = False, verbose: bool = True) -> list[Path]:
    written = []
    for po_path in po_files(root):
        try:
            if compile_po(po_path, force=force):
                written.append(po_path)
        except (OSError, ValueError) as exc:  # polib raises OSError/ValueError on syntax errors
            raise SystemExit(f"i18n: cannot compile {po_path}: {exc}") from exc
    if verbose:
        total = len(po_files(root))
        print(f"i18n: {total} catalogue(s), {len(written)} compiled"
              + (": " + ", ".join(str(p.relative_to(root.parent)) for p in written) if written else ""))
    return written


def ensure_compiled(log=print, root: Path = PACKAGE_DIR) -> None:
    """Compile the catalogues that are newer than their .mo files, as `jiesu setup` and `jiesu run` start: the
    .mo files are not in git, and without them the UI is English (only `make` compiled them before)."""
    try:
        written = compile_all(root, verbose=False)
    except SystemExit as exc:  # an install that cannot be written to ships its .mo files
        log(f"  translations: {exc}")
        return
    if written:
        log(f"  translations: {len(written)} catalogue(s) compiled")


# ---------------------------------------------------------------- extraction

@dataclass(frozen=True, order=True)
class Message:
    msgid: str
    context: str = ""   # msgctxt ("" = none)
    plural: str = ""    # msgid_plural ("" = none)
    where: str = ""     # first place seen, "path:line"

    @property
    def key(self) -> tuple[str, str]:
        return (self.context, self.msgid)


PY_FUNCS_SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop", "_lazy", "ugettext", "ugettext_lazy"}
PY_FUNCS_PLURAL = {"ngettext", "ngettext_lazy"}
PY_FUNCS_CONTEXT = {"pgettext", "pgettext_lazy"}
PY_FUNCS_CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}


def _func_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # translation.gettext(...)
        return node.attr
    return None


def _literal(node: ast.AST) -> str | None:
    """A plain string literal (implicit concatenation is one Constant). f-strings → None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract_python(path: Path, rel: str) -> list[Message]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError):
        return []  # someone's file mid-edit; the real test suite will complain about it
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _func_name(node.func)
        args = node.args
        where = f"{rel}:{node.lineno}"
        if name in PY_FUNCS_SINGULAR and args:
            s = _literal(args[0])
            if s:
                found.append(Message(s, where=where))
        elif name in PY_FUNCS_PLURAL and len(args) >= 2:
            s, p = _literal(args[0]), _literal(args[1])
            if s:
                found.append(Message(s, plural=p or "", where=where))
        elif name in PY_FUNCS_CONTEXT and len(args) >= 2:
            c, s = _literal(args[0]), _literal(args[1])
            if s and c is not None:
                found.append(Message(s, context=c, where=where))
        elif name in PY_FUNCS_CONTEXT_PLURAL and len(args) >= 3:
            c, s, p = _literal(args[0]), _literal(args[1]), _literal(args[2])
            if s and c is not None:
                found.append(Message(s, context=c, plural=p or "", where=where))
    return found


_STR = r'''(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')'''
# {% translate "x" %}, {% trans 'x' noop %}, {% translate "x" context "c" as v %}
RE_TRANS = re.compile(r"{%-?\s*(?:translate|trans)\s+(" + _STR + r")((?:(?!%}).)*)%}", re.S)
RE_CONTEXT = re.compile(r"\bcontext\s+(" + _STR + r")")
# {% blocktranslate ... %} body {% plural %} body {% endblocktranslate %}
RE_BLOCK = re.compile(
    r"{%\s*(blocktranslate|blocktrans)\b((?:(?!%}).)*)%}(.*?){%\s*end(?:blocktranslate|blocktrans)\s*%}", re.S)
RE_PLURAL_TAG = re.compile(r"{%\s*plural\s*%}")
RE_VAR = re.compile(r"{{\s*([\w.]+)\s*}}")
# _("x") inside template tags/filters: {{ v|default:_("x") }}, {% firstof a _("x") %}
RE_TPL_UNDERSCORE = re.compile(r"(?<![\w.])_\(\s*(" + _STR + r")\s*\)")


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _block_text(body: str, trimmed: bool) -> str:
    # Django: {{ var }} → %(var)s and a literal % → %% (django/templatetags/i18n.py, render_token_list).
    text = body.replace("%", "%%")
    text = RE_VAR.sub(lambda m: "%(" + m.group(1) + ")s", text)
    if trimmed:
        text = " ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text


def _lineno(source: str, pos: int) -> int:
    return source.count("\n", 0, pos) + 1


def extract_template(path: Path, rel: str) -> list[Message]:
    try:
        src = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []
    # Template comments are not rendered and not extracted by makemessages either.
    src_nc = re.sub(r"{#.*?#}", lambda m: " " * len(m.group(0)), src)
    src_nc = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}",
                    lambda m: re.sub(r"[^\n]", " ", m.group(0)), src_nc, flags=re.S)
    found = []
    for m in RE_TRANS.finditer(src_nc):
        ctx = RE_CONTEXT.search(m.group(2))
        found.append(Message(_unquote(m.group(1)), context=_unquote(ctx.group(1)) if ctx else "",
                             where=f"{rel}:{_lineno(src_nc, m.start())}"))
    for m in RE_BLOCK.finditer(src_nc):
        opts, body = m.group(2), m.group(3)
        trimmed = re.search(r"\btrimmed\b", opts) is not None
        ctx = RE_CONTEXT.search(opts)
        parts = RE_PLURAL_TAG.split(body, maxsplit=1)
        singular = _block_text(parts[0], trimmed)
        plural = _block_text(parts[1], trimmed) if len(parts) > 1 else ""
        if singular.strip():
            found.append(Message(singular, context=_unquote(ctx.group(1)) if ctx else "", plural=plural,
                                 where=f"{rel}:{_lineno(src_nc, m.start())}"))
    for m in RE_TPL_UNDERSCORE.finditer(src_nc):
        found.append(Message(_unquote(m.group(1)), where=f"{rel}:{_lineno(src_nc, m.start())}"))
    return found


def _skip(path: Path) -> bool:
    parts = set(path.parts)
    return bool(parts & {"__pycache__", "migrations", ".venv", "node_modules"})


def extract_messages(root: Path = PACKAGE_DIR) -> dict[tuple[str, str], Message]:
    """Every translatable literal in root (the jiesu package), keyed by (context, msgid).

    Migrations are skipped (their verbose names repeat the models'). Strings with no
    ASCII letter (already Chinese, or only punctuation/placeholders) are skipped: there
    is nothing to translate into Chinese.
    """
    out: dict[tuple[str, str], Message] = {}
    base = root.parent
    files = [(p, extract_python) for p in root.rglob("*.py")]
    files += [(p, extract_template) for p in root.glob("**/templates/**/*.html")]
    for path, fn in sorted(files):
        if _skip(path.relative_to(base)):
            continue
        for msg in fn(path, str(path.relative_to(base))):
            if not re.search(r"[A-Za-z]", re.sub(r"%\(\w+\)[sdifr]|%[sdifr%]|\{\w*\}", "", msg.msgid)):
                continue
            out.setdefault(msg.key, msg)
    return out


# ---------------------------------------------------------------- checking

RE_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def zh_catalogues(root: Path = PACKAGE_DIR) -> list[Path]:
    return [p for p in po_files(root) if p.parent.parent.name.lower().replace("-", "_") in ("zh_hans", "zh_cn")]


def translations(root: Path = PACKAGE_DIR) -> dict[tuple[str, str], polib.POEntry]:
    """(context, msgid) → the entry that translates it, over every Chinese catalogue."""
    out: dict[tuple[str, str], polib.POEntry] = {}
    for po_path in zh_catalogues(root):
        for e in polib.pofile(str(po_path), encoding="utf-8", wrapwidth=0):
            if e.obsolete:
                continue
            key = (e.msgctxt or "", e.msgid)
            if key not in out or is_translated(e):
                out[key] = e
    return out


def is_translated(entry: polib.POEntry | None) -> bool:
    """A non-fuzzy entry whose translation(s) are non-empty and contain Chinese."""
    if entry is None or entry.fuzzy or entry.obsolete:
        return False
    texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
    return bool(texts) and all(t.strip() and RE_CJK.search(t) for t in texts)


def missing_translations(root: Path = PACKAGE_DIR) -> list[Message]:
    """Source strings without a usable Chinese translation, sorted by msgid."""
    have = translations(root)
    return sorted((m for k, m in extract_messages(root).items() if not is_translated(have.get(k))),
                  key=lambda m: (m.msgid, m.context))


def format_missing(missing: list[Message]) -> str:
    lines = []
    for m in missing:
        ctx = f" [context {m.context!r}]" if m.context else ""
        lines.append(f"  {m.msgid!r}{ctx}    ({m.where})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jiesu.core.i18n_compile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="recompile even when the .mo is newer")
    parser.add_argument("--check", action="store_true", help="list strings without a Chinese translation")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    compile_all(force=args.force, verbose=not args.quiet)
    if args.check:
        missing = missing_translations()
        if missing:
            print(f"i18n: {len(missing)} string(s) without a Chinese translation "
                  f"(scripts/i18n-missing.py adds them to {MAIN_LOCALE / ZH / 'LC_MESSAGES/django.po'}):")
            print(format_missing(missing))
            return 1
        print("i18n: every string has a Chinese translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
