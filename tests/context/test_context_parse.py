"""Definitions, imports and calls from the real tree-sitter grammars, one language at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.context.languages import detect_language
from agent.context.parse import parse_path, parse_source

FIXTURES = Path(__file__).parent / "fixtures"


def _defs(name: str) -> tuple[set[tuple[str, str, str]], dict]:
    data = (FIXTURES / "polyglot" / name).read_bytes()
    lang = detect_language(name, data)
    assert lang is not None
    syms = parse_source(lang, data)
    assert syms["error"] == ""
    return {(d[0], d[1], d[3]) for d in syms["defs"]}, syms


@pytest.mark.parametrize(
    ("name", "expected", "imports"),
    [
        ("shapes.rs", {("Area", "trait", ""), ("area", "method", "Circle"), ("Circle", "type", ""),
                       ("square", "macro", ""), ("total_area", "function", "")}, ["std::fmt"]),
        ("server.go", {("Server", "type", ""), ("Start", "method", "Server"),
                       ("NewServer", "function", "")}, ["net/http"]),
        ("Greeter.java", {("Greeter", "class", ""), ("greet", "method", "Greeter")},
         ["java.util.List"]),
        ("widget.ts", {("Props", "class", ""), ("Id", "type", ""), ("Widget", "class", ""),
                       ("draw", "method", "Widget"), ("makeWidget", "function", "")}, ["./render"]),
        ("render.js", {("render", "function", "")}, []),
        ("matrix.hpp", {("Matrix", "class", "la"), ("at", "prototype", "la.Matrix")}, ["vector"]),
        ("matrix.cpp", {("at", "method", "Matrix")}, ["matrix.hpp"]),
    ],
)
def test_definitions_and_imports_per_language(name: str, expected: set, imports: list) -> None:
    defs, syms = _defs(name)
    assert expected <= defs
    assert syms["imports"] == imports


def test_c_definitions_signatures_and_calls() -> None:
    syms = parse_source("c", (FIXTURES / "c_project" / "util.c").read_bytes())
    by_name = {(d[0], d[1]): d[4] for d in syms["defs"]}
    assert by_name[("util_sum", "function")] == "int util_sum(const int *xs, int n) { ... }"
    assert by_name[("add", "function")] == "static int add(int a, int b) { ... }"
    # "&total": a bare name returned, a function pointer if it names a function (resolution decides)
    assert syms["calls"] == {"counter_bump": ["UTIL_MAX"], "util_sum": ["&total", "add"]}
    header = parse_source("c", (FIXTURES / "c_project" / "util.h").read_bytes())
    kinds = {(d[0], d[1]) for d in header["defs"]}
    assert {("UTIL_MAX", "macro"), ("counter_t", "type"), ("util_sum", "prototype")} <= kinds
    struct = next(d[4] for d in header["defs"] if d[0] == "counter_t")
    assert "int limit;" in struct  # small types keep their fields: the reader needs them


def test_python_methods_nested_scopes_and_self_calls() -> None:
    src = (b"class A:\n    def k(self):\n        def inner():\n            pass\n"
           b"        return self.m(inner())\n")
    syms = parse_source("python", src)
    assert [(d[0], d[1], d[3]) for d in syms["defs"]] == [
        ("A", "class", ""), ("k", "method", "A"), ("inner", "function", "A.k")
    ]
    assert syms["calls"] == {"A.k": ["inner", "self.m"]}


def test_header_language_and_shebang_detection() -> None:
    assert detect_language("x.h", b"int f(void);\n") == "c"
    assert detect_language("x.h", b"namespace a {\nclass B {};\n}\n") == "cpp"
    assert detect_language("tool", b"#!/usr/bin/env python3\nprint()\n") == "python"
    assert detect_language("README", b"hello") is None


def test_broken_source_is_partial_and_an_unreadable_file_is_a_note(tmp_path) -> None:
    syms = parse_source("c", b"int f( { return ;; }}} #if\n")
    assert syms["error"].startswith("partial parse")
    gone = parse_path((str(tmp_path / "missing.c"), "c"))
    assert gone["defs"] == [] and gone["error"].startswith("not parsed: FileNotFoundError")
