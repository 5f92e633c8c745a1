"""`agent context` end to end through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

from agent.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ex:
        main(argv)
    out = capsys.readouterr()
    return int(ex.value.code or 0), out.out, out.err


def test_json_reports_every_file_once(make_repo, capsys) -> None:
    repo = make_repo("c_project")
    (repo / "pic.png").write_bytes(b"\x89PNG")
    code, out, err = _run(
        ["context", str(repo), "--goal", "list_len", "--budget", "300", "--json",
         "--tokenizer", "approx"], capsys)
    assert code == 0 and err == ""
    report = json.loads(out)
    assert report["tokens"] <= 300 and report["tokenizer"] == "approx-chars/3"
    packed = [f["path"] for f in report["files_full"] + report["files_signatures"]]
    assert set(packed) | set(report["left_out"]) == {
        "list.c", "list.h", "main.c", "util.c", "util.h", "pic.png"}
    assert report["left_out"]["pic.png"] == "binary (by extension)"
    assert all(f["tokens"] > 0 for f in report["files_full"])


def test_table_and_fallback_note_without_a_model(make_repo, capsys, monkeypatch) -> None:
    monkeypatch.setattr("agent.context.tokens.bundled_gguf", lambda: None)
    code, out, err = _run(["context", str(make_repo("py_project")), "--budget", "5000"], capsys)
    assert code == 0
    assert err.startswith("note: no model tokenizer found") and err.count("\n") == 1
    assert "pkg/core.py" in out and "full" in out and "tokens" in out


def test_user_errors_are_one_line(tmp_path, capsys) -> None:
    code, _, err = _run(["context", str(tmp_path), "--tokenizer", "approx"], capsys)
    assert code == 1
    assert err == f"agent: {tmp_path} is not a git repository: run `git init` there first\n"
    code, _, err = _run(["context", str(tmp_path), "--budget", "0"], capsys)
    assert code == 1 and "--budget must be positive" in err
    code, _, err = _run(["context", str(tmp_path), "--tokenizer", "bpe"], capsys)
    assert code == 1 and "unknown tokenizer 'bpe'" in err
    code, _, err = _run(["context", str(tmp_path), "--model-path", str(tmp_path / "x.gguf")],
                        capsys)
    assert code == 1 and "not found: pass --model-path" in err


def test_model_tokenizer_from_env(make_repo, capsys, monkeypatch, small_model_path) -> None:
    monkeypatch.setenv("AGENT_TOKENIZER_GGUF", str(small_model_path))
    code, out, err = _run(["context", str(make_repo("py_project")), "--json"], capsys)
    assert code == 0 and err == ""
    assert json.loads(out)["tokenizer"].startswith("gguf:qwen2.5-coder-0.5b.gguf:")


def test_empty_repository_says_so(make_repo, capsys) -> None:
    code, out, _ = _run(["context", str(make_repo(None)), "--tokenizer", "approx"], capsys)
    assert code == 0 and out == "nothing to pack: git lists no files in this repository\n"
