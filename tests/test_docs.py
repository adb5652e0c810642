"""The README says what the code does: every setting with its default, every failure kind."""

from __future__ import annotations

import re

from summarizer.batch import FailureKind
from summarizer.settings import Settings
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _table_after(heading: str) -> list[list[str]]:
    section = README[README.index(heading) :]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows and not line.startswith("|"):
            break
    return rows[1:]  # without the header row


def _value(cell: str) -> object:
    cell = cell.strip().strip("`")
    if cell in {"true", "false"}:
        return cell == "true"
    try:
        return float(cell.replace(",", ""))
    except ValueError:
        return cell


def test_the_settings_table_names_every_setting_once_with_its_default():
    documented: dict[str, str] = {}
    for names, default, _ in _table_after("## Configuration"):
        variables = re.findall(r"`SUMMARIZER_(\w+)`", names)
        defaults = [d.strip() for d in default.split(",")] if len(variables) > 1 else [default]
        assert len(defaults) == len(variables), f"one default per variable: {names} | {default}"
        for name, value in zip(variables, defaults, strict=True):
            assert name.lower() not in documented, f"SUMMARIZER_{name} is documented twice"
            documented[name.lower()] = value
    assert set(documented) == set(Settings.model_fields), "README settings table and Settings differ"
    for name, field in Settings.model_fields.items():
        if field.default is not None:  # unset defaults are described in words ("auto", "all cores")
            assert _value(documented[name]) == field.default, f"SUMMARIZER_{name.upper()}: README default"


def test_the_failure_kinds_table_is_the_closed_set():
    rows = _table_after("whose `kind` is one of")
    assert [row[0].strip("`") for row in rows] == [kind.value for kind in FailureKind]
    assert [row[1] for row in rows] == [kind.status for kind in FailureKind]
