"""Packing under a budget: order, determinism, signatures, and the real tokenizer."""

from __future__ import annotations

import pytest

from agent.context.pack import pack_repository, tokenizer_identity
from agent.context.tokens import ApproxCounter, GGUFCounter


def test_everything_fits_whole_and_the_text_is_deterministic(make_repo, approx) -> None:
    repo = make_repo("c_project")
    first = pack_repository(repo, "speed up list_len", 100_000, approx)
    again = pack_repository(repo, "speed up list_len", 100_000, approx)
    assert sorted(first.files_full) == ["list.c", "list.h", "main.c", "util.c", "util.h"]
    assert first.text == again.text and first.digest == again.digest
    assert first.text.startswith("=== list.")  # the goal's files lead
    assert first.tokens == approx(first.text) <= 100_000
    assert first.left_out == {}


def test_tight_budget_gives_signatures_then_names(make_repo, approx) -> None:
    repo = make_repo("c_project")
    packed = pack_repository(repo, "speed up list_len", 260, approx)
    assert packed.tokens <= 260
    assert packed.files_signatures, packed.text
    sig_file = packed.files_signatures[0]
    assert f"=== {sig_file} (signatures) ===" in packed.text
    assert "{ ... }" in packed.text or ";" in packed.text
    everything = set(packed.files_full) | set(packed.files_signatures) | set(packed.left_out)
    assert everything == {"list.c", "list.h", "main.c", "util.c", "util.h"}
    for path in packed.files_listed:
        assert packed.left_out[path] == "listed by name only (over budget)"
        assert path in packed.text.split("=== other files (not shown) ===")[1]


@pytest.mark.parametrize("budget", [40, 120, 400, 900])
def test_budget_is_never_exceeded(make_repo, approx, budget: int) -> None:
    packed = pack_repository(make_repo("py_project"), "count words", budget, approx)
    assert approx(packed.text) == packed.tokens <= budget


def test_different_goals_pack_different_files_first(make_repo, approx) -> None:
    repo = make_repo("py_project")
    a = pack_repository(repo, "normalise whitespace in helpers", 400, approx)
    b = pack_repository(repo, "app main should print ten words", 400, approx)
    assert a.text.startswith("=== pkg/helpers.py ===")
    assert b.text.startswith("=== app.py ===")


def test_a_file_the_goal_quotes_whole_is_not_packed_again(make_repo, approx, git) -> None:
    repo = make_repo("py_project")
    notes = "".join(f"Rule {i}: words are split on whitespace and counted once each.\n" for i in range(8))
    (repo / "NOTES.md").write_text(notes)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "notes")
    quoted = pack_repository(repo, f"Do what these notes say:\n\n{notes}\nin app.py", 100_000, approx)
    assert "NOTES.md" not in quoted.files_full and quoted.left_out == {"NOTES.md": "quoted whole by the goal"}
    assert "Rule 3:" not in quoted.text and "=== app.py ===" in quoted.text
    # a goal that quotes only part of the file, or no goal text at all, leaves it in
    partly = pack_repository(repo, f"Do what these notes say:\n\n{notes[:300]}\nin app.py", 100_000, approx)
    assert "NOTES.md" in partly.files_full


def test_empty_repository_packs_nothing(make_repo, approx) -> None:
    packed = pack_repository(make_repo(None), "anything", 1000, approx)
    assert packed.text == "" and packed.tokens == 0 and packed.left_out == {}


def test_token_counts_are_cached_per_blob(make_repo) -> None:
    repo = make_repo("c_project")
    calls: list[str] = []

    class Counting(ApproxCounter):
        tokenizer_id = "test-counting"

        def __call__(self, text: str) -> int:
            calls.append(text)
            return super().__call__(text)

    pack_repository(repo, "", 100_000, Counting())
    cold = len(calls)
    calls.clear()
    pack_repository(repo, "", 100_000, Counting())
    assert cold >= 7  # five file blocks, the list header, the final text
    # warm: no file block is tokenized again, only the list header and the final check
    assert len(calls) == 2 and calls[-1].count("\n=== ") == 4


def test_real_tokenizer_budget(make_repo, small_model_path) -> None:
    counter = GGUFCounter(small_model_path)
    packed = pack_repository(make_repo("py_project"), "count words", 300, counter)
    assert packed.tokens == counter(packed.text) <= 300
    assert packed.files_full or packed.files_signatures


def test_a_models_bound_count_tokens_names_its_tokenizer() -> None:
    class Model:
        name = "tiny"

        def count_tokens(self, text: str) -> int:
            return len(text)

    assert tokenizer_identity(Model().count_tokens) == "Model:tiny"
    assert tokenizer_identity(ApproxCounter()) == "approx-chars/3"
    assert tokenizer_identity(len) is None
