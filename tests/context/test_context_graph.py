"""Call graph (C, Python) and ranking on real git repositories."""

from __future__ import annotations

from agent.context.graph import call_graph, resolve_imports, symbol_graph
from agent.context.rank import rank, term_postings
from agent.context.repomap import build_repo_map


def test_c_call_graph_resolves_statics_per_file_and_drops_libc(make_repo) -> None:
    graph = call_graph(make_repo("c_project"))
    assert graph == {
        "list.c::add": set(),
        "list.c::list_len": {"list.c::add"},  # its own static add, not util.c's
        "list.c::list_push": set(),  # malloc is outside the repository
        "main.c::main": {"list.c::list_len", "list.c::list_push", "util.c::util_sum"},
        "util.c::add": set(),
        "util.c::counter_bump": set(),  # UTIL_MAX is a macro, not a function
        "util.c::util_sum": {"util.c::add"},
    }


def test_python_call_graph_follows_imports_methods_and_constructors(make_repo) -> None:
    graph = call_graph(make_repo("py_project"))
    assert graph["app.py::main"] == {"pkg/core.py::WordEngine.__init__",
                                     "pkg/core.py::WordEngine.count"}
    assert graph["pkg/core.py::WordEngine.count"] == {"pkg/core.py::WordEngine.words"}
    assert graph["pkg/core.py::WordEngine.words"] == {"pkg/helpers.py::tokenize_words"}
    assert graph["pkg/helpers.py::normalise"] == set()


def test_call_graph_restricted_to_files(make_repo) -> None:
    graph = call_graph(make_repo("c_project"), files=["main.c", "util.c"])
    assert graph["main.c::main"] == {"util.c::util_sum"}
    assert not any(k.startswith("list.c") for k in graph)


def test_imports_resolve_to_repository_files(make_repo) -> None:
    rmap = build_repo_map(make_repo("c_project"))
    deps = resolve_imports(rmap)
    assert deps["main.c"] == {"util.h", "util.c", "list.h", "list.c"}  # stdio.h is not ours
    rmap = build_repo_map(make_repo("py_project", name="py"))
    deps = resolve_imports(rmap)
    assert deps["pkg/core.py"] == {"pkg/helpers.py"}
    assert deps["app.py"] == {"pkg/core.py"}


def test_rank_follows_the_goal(make_repo) -> None:
    rmap = build_repo_map(make_repo("c_project"))
    graph = symbol_graph(rmap)
    plain = rank(graph, "")
    assert plain.files[-1] == "main.c"  # nothing uses main.c
    goal = rank(graph, "make list_len count in O(1)")
    assert set(goal.files[:2]) == {"list.c", "list.h"}  # both define list_len
    named = rank(graph, "rename things in main.c")
    assert named.files[0] == "main.c" and named.named == {"main.c"}
    scores = goal.symbol_scores("list.h")
    assert scores["list_len"] > 0


def test_goal_words_match_whole_subwords_of_names_not_substrings(make_repo) -> None:
    repo = make_repo(None)
    (repo / "http.py").write_text("def parseHTTPHeader(raw):\n    return raw\n")
    (repo / "ahead.py").write_text("def lookahead(xs):\n    return xs\n")
    (repo / "notes.txt").write_text("the header of a request\n")
    rmap = build_repo_map(repo)
    graph = symbol_graph(rmap)
    postings = term_postings(graph, frozenset({"header", "head"}))
    found = {w: sorted(graph.paths[d] for d in docs) for w, (docs, _tf) in postings.items()}
    # "header" is a subword of parseHTTPHeader and a word of the notes; "head" is neither's
    assert found == {"header": ["http.py", "notes.txt"]}
    assert rank(graph, "parse the header").files[0] == "http.py"


def test_c_call_graph_counts_functions_taken_as_pointers(make_repo) -> None:
    repo = make_repo(None)
    (repo / "sort.c").write_text(
        "#include <stdlib.h>\n"
        "typedef int (*fn)(int);\n"
        "static int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }\n"
        "static int twice(int x) { return 2 * x; }\n"
        "void sort_ints(int *xs, size_t n) { qsort(xs, n, sizeof *xs, by_value); }\n"
        "fn pick(void) { return twice; }\n"
        "int apply(int x) { fn g = twice; int count = x; return g(count); }\n"
    )
    assert call_graph(repo) == {
        "sort.c::by_value": set(),
        "sort.c::twice": set(),
        "sort.c::sort_ints": {"sort.c::by_value"},  # handed to qsort: it must exist first
        "sort.c::pick": {"sort.c::twice"},
        "sort.c::apply": {"sort.c::twice"},  # g and count are variables, not functions
    }
