"""Prompt rendering is one pass and strict: inserted text reaches the model byte for byte, and a
template whose placeholders do not match its caller's values is refused with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.prompts import TemplateError, bundled_names, placeholders, prompts_from, prompts_hash, render, template

EDIT_VALUES = ("goal", "stage_number", "stage_count", "title", "intent", "files", "feedback")


def test_a_file_naming_every_placeholder_renders_byte_identical() -> None:
    every = sorted(set().union(*(placeholders(template(n)) for n in bundled_names())))
    shown = "=== t.py ===\n" + "".join(f'x = f"{{{name}}}"  # {{{name}}}\n' for name in every) + "{}\n{{goal}}\n"
    values = {key: f"<{key}>" for key in EDIT_VALUES}
    values["files"] = shown
    values["feedback"] = "Why: {files} was {goal}\n"
    out = render("edit", **values)
    assert shown in out and "Why: {files} was {goal}\n" in out
    assert out.count("<goal>") == 1 and "{title}" in out  # only the template's own {title} was filled
    assert '{"edits": [{"file": "...", "search": "...", "replace": "..."}]}' in out


def test_json_and_code_braces_in_templates_stay_literal() -> None:
    assert placeholders('Reply: {"rust": "x"} and if a > b { a } else { b }') == set()
    assert "{ a } else { b }" in render(
        "c2rust_translate_pairs", **{k: "" for k in placeholders(template("c2rust_translate_pairs"))}
    )


def test_a_template_missing_a_placeholder_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "edit.md").write_text(template("edit").replace("{files}", "the files"))
    values = {key: "v" for key in EDIT_VALUES}
    with prompts_from(tmp_path), pytest.raises(TemplateError) as err:
        render("edit", **values)
    assert str(err.value) == "prompt template edit.md lost placeholder {files}: put it back, its caller fills it in"


def test_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plan.md").write_text(template("plan") + "\nUse {language}.\n")
    with prompts_from(tmp_path), pytest.raises(TemplateError, match=r"unknown placeholder \{language\}: use only"):
        render("plan", goal="g", max_stages="3")


def test_prompts_hash_names_the_templates_read(tmp_path: Path) -> None:
    bundled = prompts_hash()
    assert prompts_hash(tmp_path) == bundled  # an empty folder falls back to every bundled template
    (tmp_path / "plan.md").write_text(template("plan") + "\nBe brief.\n")
    assert prompts_hash(tmp_path) != bundled and len(bundled) == 12
