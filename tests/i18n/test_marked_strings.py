"""Strings marked for translation must be where the extractor can see them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRANSLATING = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}


def _calls_inside_fstrings(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in TRANSLATING
                ):
                    lines.append(inner.lineno)
    return lines


def test_no_translatable_string_hides_inside_an_fstring() -> None:
    # pybabel does not extract from f-string expressions: such a string would stay English.
    problems = []
    for folder in ("diaspora", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            problems += [
                f"{path.relative_to(ROOT)}:{line}" for line in _calls_inside_fstrings(tree)
            ]
    assert not problems, f"translatable strings inside f-strings: {problems}"


def test_the_check_finds_a_hidden_string() -> None:
    tree = ast.parse("x = f'<b>{_l(\"Privacy\")}</b>'")
    assert _calls_inside_fstrings(tree) == [1]
