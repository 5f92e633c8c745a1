"""The code-generated parts of a translation, on their own: Makefile wiring, cutting C
functions out, counting unsafe outside the FFI boundary, choosing the strategy from a goal."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agent.cli import main
from agent.errors import AgentError
from agent.rewrites import strategy_from_goal, wants_rust
from agent.rewrites.c2rust.builds import Build
from agent.rewrites.c2rust.configurations import Split, differing, per_configuration, with_redirects
from agent.rewrites.c2rust.csource import functions, remove_functions, renamed
from agent.rewrites.c2rust.exports import (
    Param,
    c_signature,
    crate_types,
    export_for,
    named_types,
    rust_signature,
    safe_signature,
    wirable,
    with_body,
    with_exports,
)
from agent.rewrites.c2rust.fallback import CHECK, FIX_ROUNDS, as_cargo_test
from agent.rewrites.c2rust.finalize import called_exports, calling_rules, distinct_tests, exports_outline
from agent.rewrites.c2rust.layout import (
    CARGO_TOML,
    LIB_RS,
    c_sources,
    c_tests,
    cargo_toml,
    plain_makefile,
    wire_makefile,
    with_runtime_crates,
)
from agent.rewrites.c2rust.renames import clashing
from agent.rewrites.c2rust.report import clippy_warnings, exported_and_unsafe, model_safe, raw_pointers
from agent.rewrites.c2rust.rustfix import error_text, fixed
from agent.rewrites.c2rust.rustitems import (
    exported,
    items,
    model_parts,
    only_asked,
    outline,
    render,
    with_dependencies,
)
from agent.rewrites.c2rust.stages import plan_stages, translation_order
from agent.rewrites.c2rust.translate import _headers, feedback_block, merge_uses, parse_reply, prompt_types, used_from
from agent.rewrites.c2rust.transpile import Transpiled, with_crate_paths
from agent.sandbox.base import CommandResult, Limits
from tests.conftest import WORKSPACES, git, repo_from_texts

C = """#include "m.h"

/* doubles */
long twice(long x) { return 2 * x; }

static int *pick(int **xs) {
    return xs[0];
}

int keep(void) { return 1; }
"""


def test_makefile_links_the_rust_library_into_each_program() -> None:
    wired = wire_makefile((WORKSPACES / "c-mathlib" / "Makefile").read_text(), "c_mathlib")
    lines = wired.splitlines()
    assert lines[1] == "RUST_LIB := rust/target/release/libc_mathlib.a"
    assert any(ln.startswith("build/test_mathlib:") and ln.endswith(" $(RUST_LIB)") for ln in lines)
    assert any(ln.startswith("\t$(CC)") and ln.endswith("-o $@ $(RUST_LIB) -lpthread -ldl -lm") for ln in lines)
    assert wired.rstrip().endswith("cd rust && cargo build --release --offline")
    with pytest.raises(AgentError, match="no link command"):
        wire_makefile("all:\n\techo nothing to link\n", "x")


def test_c_functions_are_found_and_cut_out_by_name() -> None:
    assert [(f.name, f.signature) for f in functions(C)] == [
        ("twice", "long twice(long x)"), ("pick", "static int *pick(int **xs)"), ("keep", "int keep(void)")]
    rest = remove_functions(C, {"twice", "pick"})
    assert [f.name for f in functions(rest)] == ["keep"] and "/* doubles */" in rest and "return xs" not in rest
    # a static function leaves a prototype: the C still calling it now calls the Rust export
    assert "int *pick(int **xs);" in rest and "static" not in rest and "long twice" not in rest


def test_sources_and_tests_leave_out_hidden_folders_and_know_a_test_program_by_its_name(tmp_path: Path) -> None:
    for rel in ["lib.c", "util/str.c", ".pc/fix-overflow.patch/lib.c", ".github/probe.c", "test.c",
                "json_test.c", "test_json.c", "tests/helpers.c", "testing.c", "rust/src/x.c"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("int f(void) { return 0; }\n")
    assert c_sources(tmp_path) == ["lib.c", "testing.c", "util/str.c"]  # a patch's original copy is not built
    assert c_tests(tmp_path) == ["json_test.c", "test.c", "test_json.c", "tests/helpers.c"]
    # a program is never library code; it is the test where no file is named as one (libscrypt's main.c)
    (tmp_path / "main.c").write_text('#include "lib.h"\nint main()\n{\n    return f();\n}\n')
    assert "main.c" not in c_tests(tmp_path) and "main.c" not in c_sources(tmp_path)
    for rel in c_tests(tmp_path):
        (tmp_path / rel).unlink()
    assert c_tests(tmp_path) == ["main.c"] and "main.c" not in c_sources(tmp_path)


def test_an_emptied_c_file_stays_where_the_makefile_names_it(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("OBJS= b64.o crypto-mcf.o\nlib.so: $(OBJS)\n\t$(CC) -shared -o lib.so $(OBJS)\n")
    build = Build("make", "Makefile")
    assert build.names_source(tmp_path, "b64.c") and build.names_source(tmp_path, "crypto-mcf.c")
    assert not build.names_source(tmp_path, "mcf.c")  # not the tail of another name
    (tmp_path / "Makefile").write_text("SRC := $(wildcard src/*.c)\n")
    assert not build.names_source(tmp_path, "src/b64.c")
    assert Build("cmake", "CMakeLists.txt").names_source(tmp_path, "src/b64.c")


def test_unsafe_is_counted_only_outside_extern_functions() -> None:
    lib = """
#[no_mangle]
pub unsafe extern "C" fn f(p: *const u8) -> u8 { unsafe { *p } }
pub fn g(p: *const u8) -> u8 { unsafe { *p } }
unsafe fn h() {}
pub fn safe() -> u8 { 1 }
"""
    assert exported_and_unsafe(lib) == (["f"], 2)


def test_strategy_follows_the_goal_and_refine_needs_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert wants_rust("translate to Rust") and wants_rust("port it into rust, leaves first")
    assert not wants_rust("make the rust-free build faster") and not wants_rust("trust the input")
    with pytest.raises(SystemExit) as ex:
        main(["refine", "--goal", "anything"])
    assert ex.value.code == 1 and "pass PATH, or --self" in capsys.readouterr().err


def test_bot_mode_takes_the_strategy_from_the_goal_as_refine_does() -> None:
    assert strategy_from_goal("Translate the parser to Rust") == "c2rust"
    assert strategy_from_goal("validate quantities") is None


def test_a_build_the_strategy_cannot_wire_is_refused_at_plan_time(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.c").write_text("int one(void) { return 1; }\n")
    (tmp_path / "meson.build").write_text("project('m', 'c')\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "meson")
    with pytest.raises(AgentError) as meson:
        plan_stages(tmp_path, 10)
    assert str(meson.value) == (f"{tmp_path} has no Makefile or CMakeLists.txt (found Meson (meson.build)): c2rust "
                                "links the Rust library into a Makefile or CMake build; add one that builds and "
                                "tests the C code")
    cmake = "project(m C)\nadd_custom_target(docs ALL)\n"
    (tmp_path / "CMakeLists.txt").write_text(cmake)
    with pytest.raises(AgentError, match="^no add_executable or add_library in CMakeLists.txt: c2rust needs"):
        plan_stages(tmp_path, 10)
    assert (tmp_path / "CMakeLists.txt").read_text() == cmake and not (tmp_path / "rust").exists()



def test_a_function_inside_a_preprocessor_branch_is_not_planned(tmp_path: Path) -> None:
    """No stage could cut it out of its file (cJSON's MSVC-only allocators), and a stage that
    fails leaves its callers to pull it in as a dependency, then defined twice."""
    repo = repo_from_texts(tmp_path / "m", {
        "Makefile": "test: t\n\t./t\n\nt: src/m.c tests/test_m.c\n\t$(CC) src/m.c tests/test_m.c -o t\n",
        "src/m.c": "#include <stdlib.h>\n#if defined(_MSC_VER)\nstatic void *grab(size_t n) { return malloc(n); }\n"
                   "#else\n#define grab malloc\n#endif\nint one(void) { return 1; }\n"
                   "void *two(void) { return grab(2); }\n",
        "tests/test_m.c": "int one(void);\nint main(void) { return one() != 1; }\n",
    })
    stages = plan_stages(repo, 10)
    planned = [name for s in stages if s["kind"] == "translate" for name in s["symbols"]]
    assert planned == ["src/m.c::one", "src/m.c::two"]

TRANSPILED = """#![allow(dead_code, non_snake_case)]
extern "C" {
    fn strlen(__s: *const ::core::ffi::c_char) -> size_t;
    fn abs(__x: ::core::ffi::c_int) -> ::core::ffi::c_int;
}
pub type size_t = usize;
#[inline]
unsafe extern "C" fn helper(mut c: ::core::ffi::c_int) -> ::core::ffi::c_int {
    return abs(c);
}
#[no_mangle]
pub unsafe extern "C" fn str_len2(mut s: *const ::core::ffi::c_char) -> size_t {
    return strlen(s).wrapping_mul(2 as size_t);
}
#[no_mangle]
pub unsafe extern "C" fn uses_helper(mut c: ::core::ffi::c_int) -> ::core::ffi::c_int {
    return helper(c);
}
"""


def test_a_transpiled_function_comes_with_what_it_uses_and_nothing_the_crate_has() -> None:
    pool = items(TRANSPILED)
    assert [(i.kind, i.name) for i in pool] == [
        ("extern", "strlen"), ("extern", "abs"), ("type", "size_t"), ("fn", "helper"),
        ("fn", "str_len2"), ("fn", "uses_helper")]
    taken = render(with_dependencies(pool, ["uses_helper"], set()))
    assert 'extern "C" {\n    fn abs(' in taken and "fn helper" in taken and "strlen" not in taken
    assert taken.index("#[inline]") < taken.index('unsafe extern "C" fn helper')
    # the crate already declares strlen (an earlier stage): it is not declared twice
    again = render(with_dependencies(pool, ["str_len2"], {"strlen"}))
    assert "fn strlen" not in again and "pub type size_t = usize;" in again


def test_a_reply_splits_by_c_function_with_its_safe_twin() -> None:
    code = ('use std::ffi::CStr;\n\nfn shared() {}\n\npub fn a_rs() {}\n\n#[no_mangle]\npub extern "C" fn a() {}\n\n'
            "pub fn b_rs() {}\n")
    parts, shared = model_parts(code, ["a", "b"])
    assert parts["a"].count("fn a") == 2 and "#[no_mangle]" in parts["a"] and parts["b"].strip() == "pub fn b_rs() {}"
    assert "use std::ffi::CStr;" in shared and "fn shared" in shared


def test_exports_split_into_model_written_and_transpiled() -> None:
    lib = 'pub fn a_rs() {}\n#[no_mangle]\npub extern "C" fn a() {}\n' + TRANSPILED.split("\n", 1)[1]
    assert exported_and_unsafe(lib)[0] == ["a", "str_len2", "uses_helper"]  # the private helper is no export
    # a model's export with the body inline and no `unsafe` is safe too; C2Rust's are all unsafe
    inline = '#[no_mangle]\npub extern "C" fn c(x: c_long) -> c_long { x }\n'
    assert model_safe(lib + inline) == ["a", "c"]


def test_a_transpiled_c_test_program_becomes_one_cargo_test() -> None:
    source = ("#![allow(dead_code)]\n#![feature(raw_ref_op)]\nextern \"C\" {\n    fn gcd(a: i64, b: i64) -> i64;\n}\n"
              "unsafe fn main_0() -> ::core::ffi::c_int {\n    return (gcd(4, 6) != 2) as ::core::ffi::c_int;\n}\n"
              "pub fn main() {\n    unsafe { ::std::process::exit(main_0() as i32) }\n}\n")
    path, text = as_cargo_test(source, "tests/test-math.c", "c_mathlib")
    assert path == "rust/tests/c_test_math.rs"
    assert "feature" not in text and "pub fn main" not in text and "fn gcd(a: i64" in text
    assert "use ::c_mathlib as _;" in text and "fn c_test_math() {\n    assert_eq!(unsafe { main_0() }, 0" in text
    with pytest.raises(AgentError, match="no argument-less main"):
        as_cargo_test(source.replace("main_0()", "main_0(argc: i32)", 1), "tests/t.c", "c_mathlib")
    both = source.replace("(raw_ref_op)", "(label_break_value, raw_ref_op)")
    assert "feature" not in as_cargo_test(both, "tests/test-math.c", "c_mathlib")[1]
    with pytest.raises(AgentError, match=r"needs nightly Rust \(c_variadic\)"):  # http-parser's test program
        as_cargo_test(source.replace("(raw_ref_op)", "(c_variadic, raw_ref_op)"), "test.c", "c_mathlib")


class _Clippy:
    """Replays one clippy output: what is parsed here is cargo's text, not a sandbox."""

    def __init__(self, status: int, output: str) -> None:
        self.result = CommandResult(status, output, 0.1)

    def run(self, workdir: Path, command: list[str], limits: Limits) -> CommandResult:
        return self.result


def test_clippy_denials_are_findings_and_build_errors_are_not() -> None:
    lints = "src/lib.rs:3:1: warning: unused\nsrc/lib.rs:9:20: error: equal expressions as operands to `!=`\n"
    assert clippy_warnings(Path("."), _Clippy(101, lints), Limits()) == 2
    broken = "src/lib.rs:9:20: error[E0425]: cannot find value `x`\n"
    assert clippy_warnings(Path("."), _Clippy(101, broken), Limits()) == "clippy failed (status 101)"
    assert clippy_warnings(Path("."), _Clippy(0, "src/lib.rs:3:1: warning: unused\n"), Limits()) == 1


def test_a_transpiled_static_function_becomes_an_export() -> None:
    (helper,) = [i for i in items(TRANSPILED) if i.name == "helper"]
    text = exported(helper).text
    assert text.startswith("#[inline]\n#[no_mangle]\npub unsafe extern \"C\" fn helper(")
    (already,) = [i for i in items(TRANSPILED) if i.name == "str_len2"]
    assert exported(already) == already


def test_an_export_is_written_from_the_c_signature_around_a_safe_function() -> None:
    safe = """pub fn scale_rs(values: &mut [i64], by: i32) -> bool { values.is_empty() || by > 0 }
pub fn count(s: &[u8], c: u8) -> usize { s.iter().filter(|&&b| b == c).count() }
"""
    code, wired = with_exports(safe, {"scale": with_body(c_signature("int scale(long *values, size_t n, int by)"),
                                                         "{ for (size_t i = 0; i < n; i++) {} }"),
                                      "count": with_body(c_signature("size_t count(const char *s, char c)"),
                                                         "{ for (; *s; s++) {} }")})
    assert wired == ["scale", "count"]
    assert ('pub unsafe extern "C" fn scale(values: *mut c_long, n: usize, by: c_int) -> c_int {\n'
            "    let values: &mut [i64] = if values.is_null() { &mut [] } else { unsafe { "
            "std::slice::from_raw_parts_mut(values, n) } };\n    scale_rs(values, by) as c_int\n}") in code
    # a safe function named after C (no `_rs`) takes the `_rs` name, so the export can take C's
    assert "pub fn count_rs(s: &[u8], c: u8)" in code and "    count_rs(s, c as u8)\n" in code
    assert "/// # Safety" in code and 'pub extern "C" fn' not in code  # pointers make both unsafe
    # an export the model wrote is kept as it is
    written = '#[no_mangle]\npub extern "C" fn f(x: c_int) -> c_int { x }\n'
    assert with_exports(written, {"f": c_signature("int f(int x)")})[1] == []
    # ... and a safe function beside it with the C name takes the `_rs` name the export calls
    both = ("pub fn top(v: &[i64]) -> i64 { if v.len() > 1 { top(&v[1..]) } else { v[0] } }\n\n"
            '#[no_mangle]\npub unsafe extern "C" fn top(v: *const c_long, n: usize) -> c_long {\n'
            "    top_rs(unsafe { std::slice::from_raw_parts(v, n) })\n}\n")
    code, wired = with_exports(both, {"top": c_signature("long top(const long *v, size_t n)")})
    assert wired == [] and code == both.replace("fn top(v: &", "fn top_rs(v: &").replace("{ top(&", "{ top_rs(&")
    # ... as are the export's own calls of it: an export calling itself with a slice meant the safe one
    calls_itself = both.replace("top_rs(unsafe", "top(unsafe")
    assert with_exports(calls_itself, {"top": c_signature("long top(const long *v, size_t n)")})[0] == code
    # a safety stage's signature is C2Rust's Rust one, paths and all
    assert rust_signature("pub unsafe extern \"C\" fn f(mut p: *mut ::core::ffi::c_char, n: size_t) {}") == (
        [Param("p", "::core::ffi::c_char", "mut"), Param("n", "size_t")], "")


def test_a_safety_stage_asks_for_a_safe_signature_code_can_wire_to_the_export() -> None:
    def asked(export: str, body: str = "{}") -> str | None:
        name = export.split(" fn ", 1)[1].split("(", 1)[0]
        return safe_signature(name, with_body(rust_signature(f"{export} {body}"), body))

    c = "::core::ffi::"
    assert asked(f'pub unsafe extern "C" fn adler32(mut data: *const {c}c_uchar, mut len: size_t) -> uint32_t',
                 "{ while i < len {} }") \
        == "pub fn adler32_rs(data: &[u8]) -> u32"
    assert asked(f'pub unsafe extern "C" fn count(s: *const {c}c_char, c: {c}c_char) -> size_t') is None
    counting = f'pub unsafe extern "C" fn count(s: *const {c}c_char, c: {c}c_char) -> size_t {{ while *s != 0 {{}} }}'
    assert safe_signature("count", with_body(rust_signature(counting), counting)) \
        == "pub fn count_rs(s: &[u8], c: u8) -> usize"
    assert asked(f'pub unsafe extern "C" fn rev(s: *mut {c}c_char)') is None  # a buffer to fill, or a string?
    reverse = f'pub unsafe extern "C" fn rev(mut s: *mut {c}c_char) {{\n    let mut n: size_t = strlen(s);\n}}'
    assert safe_signature("rev", with_body(rust_signature(reverse), reverse)) == "pub fn rev_rs(s: &mut [u8])"
    assert asked(f'pub unsafe extern "C" fn mean(v: *const {c}c_long, n: {c}c_int) -> {c}c_double',
                 "{ sum(v, n) }") == "pub fn mean_rs(v: &[i64]) -> f64"
    assert asked(f'pub unsafe extern "C" fn ipow(b: {c}c_long, e: {c}c_uint) -> {c}c_long') \
        == "pub fn ipow_rs(b: i64, e: u32) -> i64"
    assert asked('pub unsafe extern "C" fn f(p: *mut Foo) -> c_int') is None
    assert asked(f'pub unsafe extern "C" fn g(p: *const {c}c_long) -> {c}c_long') is None  # no length
    # each asked signature is one the export is wired to, with no raw-pointer type beyond the
    # export's own parameters (a `*mut c_char` needs no cast to the `*const` that CStr takes)
    for export in (counting,
                   f'pub unsafe extern "C" fn mean(v: *const {c}c_long, n: {c}c_int) -> {c}c_double {{ sum(v, n) }}',
                   reverse,
                   f'pub unsafe extern "C" fn up(s: *mut {c}c_char) {{ while *s != 0 {{ *s = 1; }} }}'):
        name = export.split(" fn ", 1)[1].split("(", 1)[0]
        signature = with_body(rust_signature(export), export)
        wired = export_for(name, signature, f"{safe_signature(name, signature)} {{ todo!() }}")
        assert wired is not None and raw_pointers(wired) == 1, wired


CRATE = """#[derive(Copy, Clone)]
#[repr(C)]
pub struct cJSON {
    pub next: *mut cJSON,
    pub type_0: ::core::ffi::c_int,
    pub valuedouble: ::core::ffi::c_double,
}
pub type cJSON_bool = ::core::ffi::c_int;
pub type node = cJSON;
pub type handler = Option<unsafe extern "C" fn() -> ()>;
"""


def test_a_struct_the_function_only_reads_is_borrowed_and_code_writes_the_export() -> None:
    types = crate_types(CRATE)
    assert types == {"cJSON": "cJSON", "cJSON_bool": "c_int", "node": "cJSON"}
    # the library's export macro around the result type is read through
    signature = c_signature("CJSON_PUBLIC(cJSON_bool) cJSON_IsArray(const cJSON * const item)", types)
    assert signature == ([Param("item", "cJSON", "const")], "c_int")
    asked = safe_signature("cJSON_IsArray", signature)
    assert asked == "pub fn cJSON_IsArray_rs(item: Option<&cJSON>) -> i32"
    code, wired = with_exports(f"{asked} {{ item.map_or(0, |i| i32::from(i.type_0 == 32)) }}\n",
                               {"cJSON_IsArray": signature})
    assert wired == ["cJSON_IsArray"]
    assert ('pub unsafe extern "C" fn cJSON_IsArray(item: *const cJSON) -> c_int {\n'
            "    let item: Option<&cJSON> = unsafe { item.as_ref() };\n    cJSON_IsArray_rs(item)\n}") in code
    assert raw_pointers(code) == 1  # the export's parameter only
    # a struct the function may change or free, one unknown to the crate, or one passed by value: the model's
    assert safe_signature("d", c_signature("void d(cJSON *item)", types)) is None
    assert c_signature("int f(const point *p)", types) is None
    assert safe_signature("v", c_signature("int v(cJSON item)", types)) is None
    assert safe_signature("n", c_signature("node *n(const node *a)", types)) is None  # a struct pointer result
    assert safe_signature("g", c_signature("double g(const struct node *a)", types)) == \
        "pub fn g_rs(a: Option<&cJSON>) -> f64"
    # a borrow of another struct than C's pointee is not wired
    assert export_for("g", c_signature("double g(const cJSON *a)", types),
                      "pub fn g_rs(a: Option<&Other>) -> f64 { 0.0 }") is None


def test_the_types_a_signature_names_are_those_the_crate_must_declare_first() -> None:
    assert named_types("CJSON_PUBLIC(cJSON_bool) cJSON_IsArray(const cJSON * const item)") == {"cJSON_bool", "cJSON"}
    assert named_types("static node *make(const struct hooks *h)") == {"node", "hooks"}
    assert named_types("long sum(const long *v, size_t n)") == set()
    assert named_types("void clear(void *p, FILE *f)") == set()


def test_stages_hold_only_functions_code_can_wire_or_only_others() -> None:
    for signature, wired in [("CJSON_PUBLIC(cJSON_bool) cJSON_IsNull(const cJSON * const item)", True),
                             ("long sum(const long *v, size_t n)", True),  # `i < n` in its body below
                             ("CJSON_PUBLIC(void) cJSON_Delete(cJSON *item)", False),
                             ("static cJSON *cJSON_New_Item(const internal_hooks * const hooks)", False)]:
        assert wirable(signature, signature + " { for (i = 0; i < n; i++) { } }", set()) is wired, signature
    graph: dict[str, set[str]] = {f"a.c::{n}": set() for n in ("del", "is_a", "is_b", "is_c", "new")}
    graph["a.c::use"] = {"a.c::is_a"}
    wired = frozenset({"a.c::is_a", "a.c::is_b", "a.c::is_c", "a.c::use"})
    assert translation_order(graph, wired=wired) == [
        ["a.c::del", "a.c::new"], ["a.c::is_a", "a.c::is_b", "a.c::is_c"], ["a.c::use"]]
    assert translation_order(graph) == [["a.c::del", "a.c::is_a", "a.c::is_b"], ["a.c::is_c", "a.c::new", "a.c::use"]]


def test_an_enum_is_the_number_c2rust_declares_it_as() -> None:
    """`enum http_host_state` was looked up with its keyword: no signature at the stage, where the
    plan had counted the function as one code wires, so its whole stage went to the pairs prompt."""
    types = crate_types("pub type http_host_state = ::core::ffi::c_uint;\n")
    signature = c_signature("static enum http_host_state host_char(enum http_host_state s, const char ch)", types)
    assert signature == ([Param("s", "c_uint"), Param("ch", "c_char")], "c_uint")
    assert safe_signature("host_char", signature) == "pub fn host_char_rs(s: u32, ch: u8) -> u32"
    assert named_types("const char *method_str(enum http_method m)") == {"http_method"}


def test_a_signature_code_cannot_wire_is_left_to_the_model() -> None:
    cases = {
        "struct": ("pub fn f_rs(p: &Point) -> i64 { p.x }", "long f(struct point *p)"),
        "pointer to pointer": ("pub fn f_rs(xs: &[&[u8]]) -> i64 { 0 }", "long f(char **xs)"),
        "a result C does not have": ("pub fn f_rs(x: i64) -> i64 { x }", "void f(long x)"),
        "too few parameters": ("pub fn f_rs() -> i64 { 0 }", "long f(long x)"),
        "a slice without a length": ("pub fn f_rs(xs: &[i64]) -> i64 { 0 }", "long f(const long *xs)"),
        "no safe function": ("fn helper() {}", "long f(long x)"),
        "an unsafe one": ("pub unsafe fn f_rs(x: i64) -> i64 { x }", "long f(long x)"),
    }
    for why, (code, signature) in cases.items():
        assert export_for("f", c_signature(signature), code) is None, why
    assert with_exports("fn helper() {}", {"f": c_signature("long f(long x)")}) == ("fn helper() {}", [])


def _error(span: tuple[int, int], replacement: str, applicability: str = "MachineApplicable") -> str:
    """One error as cargo's JSON reports it, with one suggestion (the fields rustfix reads)."""
    child = {"message": "consider making this binding mutable", "children": [], "spans": [
        {"file_name": "src/lib.rs", "byte_start": span[0], "byte_end": span[1],
         "suggested_replacement": replacement, "suggestion_applicability": applicability}]}
    message = {"level": "error", "message": "cannot assign", "children": [child],
               "rendered": "src/lib.rs:2:5: error[E0384]: cannot assign to immutable argument `a`\n"}
    return json.dumps({"reason": "compiler-message", "message": message})


def test_the_compilers_sure_fixes_apply_to_the_models_part_only() -> None:
    lib = "fn old(a: i64) { a = 1; }\nfn new(a: i64) { a = 1; }\n"
    part = (lib.index("fn new"), len(lib))
    output = "\n".join([_error((7, 7), "mut "), _error((part[0] + 7, part[0] + 7), "mut "),
                        _error((part[0] + 7, part[0] + 7), "mut "),  # reported once per assignment
                        _error((part[0] + 17, part[0] + 22), "a == 1", "MaybeIncorrect"),
                        "error: could not compile `x` (lib) due to 2 previous errors"])
    assert fixed(lib, part, output, "rust/src/lib.rs") == "fn old(a: i64) { a = 1; }\nfn new(mut a: i64) { a = 1; }\n"
    assert fixed(lib, (0, 3), output, "rust/src/lib.rs") is None
    assert error_text(output) == "src/lib.rs:2:5: error[E0384]: cannot assign to immutable argument `a`"
    assert error_text("error: failed to parse manifest\n  caused by: nope") == "error: failed to parse manifest"


def _type_error(text: str, what: str, label: str, code: str = "E0308", said: str = "mismatched types") -> str:
    """One error of a test file as cargo's JSON reports it, its span on ``what`` in ``text``."""
    start = text.index(what)
    span = {"file_name": "tests/t.rs", "byte_start": len(text[:start].encode()),
            "byte_end": len(text[:start + len(what)].encode()), "is_primary": True, "label": label}
    message = {"level": "error", "message": said, "code": {"code": code}, "children": [], "spans": [span]}
    return json.dumps({"reason": "compiler-message", "message": message})


def test_a_ported_tests_c_habits_get_their_sure_fixes_and_nothing_else_does() -> None:
    lib = '#[no_mangle]\npub unsafe extern "C" fn rev(s: *mut c_char) {}\n'

    def fix(text: str, what: str, label: str, **kw: str) -> str | None:
        return fixed(text, (0, len(text.encode())), _type_error(text, what, label, **kw), "rust/tests/t.rs", lib)

    assert fix("rev(&mut s);", "&mut s", "expected `*mut i8`, found `&mut [u8; 6]`") == "rev(s.as_mut_ptr().cast());"
    assert fix('f(b"ab", 2);', 'b"ab"', "expected `*const i8`, found `&[u8; 2]`") == 'f(b"ab\\0".as_ptr().cast(), 2);'
    assert fix('f(b"ab", 2);', 'b"ab"', "expected `*const u8`, found `&[u8; 2]`") == 'f(b"ab".as_ptr().cast(), 2);'
    # an integer array's element type is the compiler's to infer: a cast would read i32s as i64s
    assert fix("f(&v, 4);", "&v", "expected `*const i64`, found `&[{integer}; 4]`") == "f(v.as_ptr(), 4);"
    assert fix("assert!(!f(1));", "assert!(!f(1))", "expected `bool`, found `i32`") == "assert!((f(1)) == 0);"
    assert fix("assert_eq!(f(1), true);", "true", "expected `i32`, found `bool`") == "assert_eq!(f(1), 1);"
    assert fix("count(s, 'a');", "'a'", "expected `i8`, found `char`") == "count(s, b'a' as i8);"
    # a call with several wrong arguments: rustc names each in a note of the one error
    call = 'count(b"aa\\0", \'a\');'
    args = {"level": "error", "message": "arguments to this function are incorrect", "code": {"code": "E0308"},
            "spans": [{"file_name": "tests/t.rs", "byte_start": 15, "byte_end": 18, "is_primary": False,
                       "label": "expected `i8`, found `char`"},
                      {"file_name": "tests/t.rs", "byte_start": 0, "byte_end": 5, "is_primary": True, "label": None}],
            "children": [{"message": "expected `*const i8`, found `&[u8; 3]`", "spans": [
                {"file_name": "tests/t.rs", "byte_start": 6, "byte_end": 13}]}]}
    assert call[15:18] == "'a'" and call[6:13] == 'b"aa\\0"'
    assert fixed(call, (0, len(call)), json.dumps({"reason": "compiler-message", "message": args}), "rust/tests/t.rs",
                 lib) == 'count(b"aa\\0".as_ptr().cast(), b\'a\' as i8);'
    # C's literal suffixes go, on hex literals too (whose `f` is a digit)
    assert fix("x == 0x1Fu", "0x1Fu", "", code="", said="invalid suffix `u` for number literal") == "x == 0x1F"
    assert fix("rev(s);", "rev(s)", "call to unsafe function", code="E0133",
               said="call to unsafe function `c_mathlib::rev` is unsafe and requires unsafe block") \
        == "unsafe { rev(s) };"
    # where the fix is not sure, the error goes back to the model
    assert fix("assert!(!f(1) + 2);", "assert!(!f(1) + 2)", "expected `bool`, found `i32`") is None
    assert fix("f(&v);", "&v", "expected `*mut i64`, found `&[{integer}; 4]`") is None  # read-only, written through
    assert fix("f(s);", "s", "expected `*const i8`, found `String`") is None
    assert fix("g(s);", "g(s)", "call to unsafe function", code="E0133",
               said="call to unsafe function `g` is unsafe and requires unsafe block") is None  # not an export
    # a test written twice under one name keeps both checks
    twice = "#[test]\nfn t() { a(); }\n\n#[test]\nfn t() { b(); }\n\n#[test]\nfn t() { b(); }\n"
    assert distinct_tests(twice) == twice.replace("fn t() { b(); }", "fn t_2() { b(); }", 1).replace(
        "fn t() { b(); }", "fn t_3() { b(); }")


def test_the_library_is_shown_to_the_model_without_bodies() -> None:
    lib = ('use std::os::raw::c_long;\n\n/// Doubles.\npub fn twice_rs(x: i64) -> i64 {\n    x * 2\n}\n\n'
           '#[no_mangle]\npub unsafe extern "C" fn twice(mut x: c_long) -> c_long {\n    x = twice_rs(x);\n    x\n}\n'
           "pub type size_t = usize;\nimpl Point {\n    fn norm(&self) -> f64 { self.x.hypot(self.y) }\n}\n")
    assert outline(lib) == (
        'use std::os::raw::c_long;\n\n/// Doubles.\npub fn twice_rs(x: i64) -> i64 { ... }\n\n'
        '#[no_mangle]\npub unsafe extern "C" fn twice(mut x: c_long) -> c_long { ... }\n'
        "pub type size_t = usize;\nimpl Point {\n    fn norm(&self) -> f64 { ... }\n}\n")


def test_the_test_port_is_shown_the_exports_and_how_to_pass_each_kind_of_pointer_they_take() -> None:
    lib = ('pub fn str_reverse_rs(s: &mut [u8]) {\n    s.reverse();\n}\n\n'
           '#[no_mangle]\npub unsafe extern "C" fn str_reverse(mut s: *mut libc::c_char) {\n    todo!()\n}\n'
           '#[no_mangle]\npub unsafe extern "C" fn str_upper(s: *mut c_char) {}\n'
           '#[no_mangle]\npub unsafe extern "C" fn count(s: *const c_char, c: c_char) -> usize { 0 }\n'
           '#[no_mangle]\npub unsafe extern "C" fn array_sum(v: *const c_long, n: usize) -> c_long { 0 }\n'
           '#[no_mangle]\npub unsafe extern "C" fn adler32(d: *const u8, n: usize) -> u32 { 0 }\n'
           '#[no_mangle]\npub extern "C" fn gcd(a: c_long, b: c_long) -> c_long { a }\n'
           "pub fn helper_rs(p: *const c_long) -> i64 { 0 }\n")
    shown = exports_outline(lib)
    assert "str_reverse_rs" not in shown and "helper_rs" not in shown and "todo!" not in shown
    assert 'pub unsafe extern "C" fn str_reverse(mut s: *mut libc::c_char) { ... }' in shown
    assert 'pub extern "C" fn gcd(a: c_long, b: c_long) -> c_long { ... }' in shown
    lines = calling_rules(lib).splitlines()
    assert lines[0].startswith("- Call each export by its C name inside `unsafe { }`")
    assert [line.split("`")[1:4:2] for line in lines[1:]] == [
        ["*mut c_char", "str_reverse"], ["*const c_char", "count"], ["*const c_long", "array_sum"],
        ["*const u8", "adler32"]]  # one line per kind, named by its first export; none for helper_rs
    assert "s.as_mut_ptr() as *mut std::os::raw::c_char" in lines[1] and "v.len()" in lines[3]
    assert calling_rules('#[no_mangle]\npub extern "C" fn gcd(a: c_long) -> c_long { a }\n') == lines[0] + "\n"
    # the checks a port must keep: the exports the C tests call, in their order, not C's own calls
    c_test = 'int main(void) {\n  CHECK("gcd", gcd(4, 6) == 2);\n  printf("%d", count("aa", 97));\n  gcd(1, 1);\n}\n'
    assert called_exports(lib, c_test) == ["gcd", "count"]


def test_a_reply_keeps_only_the_exports_it_was_asked_for() -> None:
    code = ('use std::ffi::CStr;\n\npub fn a_rs() -> i64 { 1 }\n\n'
            '#[no_mangle]\npub extern "C" fn a() -> i64 { a_rs() }\n\n'
            'pub fn sum_rs(v: &[i64]) -> i64 { v.iter().sum() }\n\n/// # Safety\n#[no_mangle]\n'
            'pub unsafe extern "C" fn sum(v: *const i64, n: usize) -> i64 { 0 }\n\nfn helper() {}\n'
            "pub fn later_rs() -> u8 { 0 }\n")
    kept, extra = only_asked(code, ["a"], ["a", "later"])
    assert extra == ["sum", "later_rs"] and "sum" not in kept and "Safety" not in kept and "later" not in kept
    assert "pub fn a_rs()" in kept and 'extern "C" fn a()' in kept and "fn helper()" in kept
    assert only_asked(kept, ["a"], ["later"]) == (kept, [])


def test_a_translate_prompt_shows_only_what_the_stage_needs(tmp_path: Path) -> None:
    lib = ("use std::os::raw::{c_int, c_long};\n\npub fn gcd_rs(a: i64, b: i64) -> i64 {\n    a % b\n}\n\n"
           'pub fn clamp_rs(v: i64) -> i64 {\n    v\n}\n\n'
           '#[no_mangle]\npub extern "C" fn clamp(v: c_long) -> c_long {\n    clamp_rs(v)\n}\n')
    # of the library, only what the C code calls, bodies left out
    assert used_from(lib, "long lcm(long a, long b) { return a / gcd(a, b) * b; }") == (
        "pub fn gcd_rs(a: i64, b: i64) -> i64 { ... }\n")
    assert used_from(lib, "int is_prime(long n) { return n > 1; }").startswith("(nothing")
    # a reply's fences come off even around code written on one line; prose in place of code is refused
    assert parse_reply("```rust\npub fn f() {}\n```\nNotes: a slice.") == ("pub fn f() {}\n", "a slice.")
    with pytest.raises(AgentError, match="the ```rust block holds no Rust function"):
        parse_reply("```rust\nThe Rust code is provided below.\n```\nNotes: ")
    with pytest.raises(AgentError, match="cut off inside its ```rust block"):
        parse_reply("```rust\npub fn f() {\n")
    # of the headers, the stage's prototypes, types and includes, not the other functions'
    (tmp_path / "m.h").write_text("/* m: a licence\n   of many lines */\n#include <stddef.h>\n\n"
                                  "typedef long num; // a number\nnum gcd(num a, num b);\n"
                                  "#define PAIR(XX)      \\\n  XX(1,   one)   \\\n  XX(2,   two)\n"
                                  "#define SEP \"a  b\" /* two spaces */\n"
                                  "/* whether n is prime, as is_prime(7) says */\nint is_prime(long n);\n"
                                  "void str_reverse(char *s);\n")
    shown = _headers(tmp_path, ["is_prime"])
    assert "typedef long num;" in shown and "#include <stddef.h>" in shown and "is_prime(long n);" in shown
    assert "gcd" not in shown and "str_reverse" not in shown
    # without comments, blank lines or the spaces aligning columns; a string's spaces stay
    assert shown == ("=== m.h ===\n#include <stddef.h>\ntypedef long num;\n#define PAIR(XX) \\\n  XX(1, one) \\\n"
                     "  XX(2, two)\n#define SEP \"a  b\"\nint is_prime(long n);\n")
    # of the type rules, those of the stage's C types
    assert prompt_types(["long array_sum(const long *values, size_t n)"]) == (
        "size_t -> usize, long -> c_long, const T * -> *const T, T * -> *mut T")
    assert prompt_types(["unsigned int f(unsigned char c)"]) == "unsigned char -> u8, unsigned int -> c_uint"
    assert "CStr::from_ptr" in prompt_types(["void str_reverse(char *s)"])
    # the model's imports the library has are dropped, whole lines or single names
    code = "use std::os::raw::{c_long, c_char};\nuse std::os::raw::c_int;\nuse std::ffi::CStr;\npub fn f() {}\n"
    assert merge_uses(lib, code) == "use std::os::raw::c_char;\nuse std::ffi::CStr;\npub fn f() {}\n"


def _unfixed(message: str, span: tuple[int, int], code: str | None = None) -> str:
    """An error rustc gives no suggestion for, as cargo's JSON reports it."""
    primary = {"file_name": "src/lib.rs", "byte_start": span[0], "byte_end": span[1], "is_primary": True}
    return json.dumps({"reason": "compiler-message", "message": {
        "level": "error", "message": message, "code": {"code": code} if code else None, "spans": [primary],
        "children": [], "rendered": f"src/lib.rs: error: {message}\n"}})


def test_c_literal_suffixes_and_imports_that_do_not_resolve_are_fixed_by_code() -> None:
    lib = ("use std::os::raw::c_size_t;\nuse std::os::raw::{c_long, c_str, c_int};\n"
           "use std::os::raw::{c_char, c_ptr};\nfn f(e: u32) -> bool { e & 1u == 1u }\n")
    at = lib.index
    output = "\n".join([
        _unfixed("unresolved import `std::os::raw::c_size_t`", (4, 26), "E0432"),
        _unfixed("unresolved import `std::os::raw::c_str`", (at("c_str"), at("c_str") + 5), "E0432"),
        _unfixed("unresolved import `std::os::raw::c_ptr`", (at("c_ptr"), at("c_ptr") + 5), "E0432"),
        _unfixed("invalid suffix `u` for number literal", (at("1u"), at("1u") + 2)),
        _unfixed("invalid suffix `u` for number literal", (at("1u }"), at("1u }") + 2)),
    ])
    assert fixed(lib, (0, len(lib)), output, "rust/src/lib.rs") == (
        "use std::os::raw::{c_long, c_int};\nuse std::os::raw::{c_char};\nfn f(e: u32) -> bool { e & 1 == 1 }\n")


def _fixed_until_it_builds(root: Path, lib: str, model: str) -> tuple[str, subprocess.CompletedProcess[str]]:
    """``lib`` + ``model`` as a crate's lib.rs, the sure fixes applied to the model's part after
    each real `cargo check`, until none applies; the text and the last check."""
    (root / "rust/src").mkdir(parents=True)
    (root / "rust/Cargo.toml").write_text('[package]\nname = "m"\nversion = "0.1.0"\nedition = "2021"\n')
    text = lib + model
    for _ in range(FIX_ROUNDS + 1):
        (root / "rust/src/lib.rs").write_text(text)
        check = subprocess.run(CHECK, cwd=root, capture_output=True, text=True)
        better = fixed(text, (len(lib), len(text)), check.stdout, "rust/src/lib.rs") if check.returncode else None
        if better is None:
            break
        text = better
    return text, check


def test_a_small_models_c_habits_in_rust_are_fixed_until_rustc_accepts_them(tmp_path: Path) -> None:
    """The bundled 1.5B's own `ipow`, `lcm` and `adler32` (2026-12-02), checked by the real
    compiler: a parameter assigned but not `mut`, `1u`, a number as a condition, C's `?:`, a
    byte dereferenced and then added to a `u32`."""
    lib = ("use std::os::raw::{c_long, c_uint};\n\n"
           "pub fn gcd_rs(a: i64, b: i64) -> i64 { if b == 0 { a } else { gcd_rs(b, a % b) } }\n")
    model = ("pub fn ipow_rs(base: c_long, exp: c_uint) -> c_long {\n    let mut result = 1;\n    while exp > 0 {\n"
             "        if exp & 1u { result *= base; }\n        base *= base;\n        exp >>= 1;\n"
             "    }\n    result\n}\n\n"
             "pub fn lcm_rs(a: c_long, b: c_long) -> c_long {\n    if a == 0 || b == 0 { return 0; }\n"
             "    let r = (a / gcd_rs(a, b)) * b;\n    return r < 0 ? -r : r;\n}\n\n"
             "pub fn adler32_rs(data: &[u8]) -> u32 {\n    let mut a = 1u32;\n    for &byte in data.iter() {\n"
             "        a = (a.wrapping_add(*byte)) % 65521u32;\n    }\n    a\n}\n")
    text, check = _fixed_until_it_builds(tmp_path, lib, model)
    assert check.returncode == 0, error_text(check.stdout)
    assert text[:len(lib)] == lib  # the library's part is never touched
    for line in ("pub fn ipow_rs(mut base: c_long, mut exp: c_uint)", "if (exp & 1) != 0 { result *= base; }",
                 "return if r < 0 { -r } else { r };", "a.wrapping_add(byte.into())"):
        assert line in text
    # a line that only looks like `?:` is left alone: the error goes to the model
    odd = "pub fn f(v: Option<i64>) -> i64 {\n    let x = v? : i64;\n    x\n}\n"
    (tmp_path / "rust/src/lib.rs").write_text(odd)
    check = subprocess.run(CHECK, cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode != 0 and fixed(odd, (0, len(odd)), check.stdout, "rust/src/lib.rs") is None


def test_a_comparison_returned_as_a_c_truth_value_is_cast_to_it(tmp_path: Path) -> None:
    """The bundled 1.5B's `cJSON_IsArray_rs` (2026-12-07) returned C's comparison where the
    signature returns an int, checked by the real compiler."""
    lib = "use std::os::raw::c_int;\n\npub struct cJSON { pub type_0: c_int }\npub const cJSON_Array: c_int = 32;\n"
    model = ("pub fn cJSON_IsArray_rs(item: Option<&cJSON>) -> i32 {\n    if item.is_none() {\n        return 0;\n"
             "    }\n    let item = item.unwrap();\n    item.type_0 & 0xFF == cJSON_Array as ::core::ffi::c_int\n}\n\n"
             "pub fn odd_rs(x: c_int) -> c_int {\n    if x > 0 {\n        return x == 3;\n    }\n    0\n}\n")
    text, check = _fixed_until_it_builds(tmp_path, lib, model)
    assert check.returncode == 0, error_text(check.stdout)
    assert "    (item.type_0 & 0xFF == cJSON_Array as ::core::ffi::c_int) as i32\n" in text
    assert "        return (x == 3) as i32;\n" in text  # rustc names c_int by what it is


def test_a_c_bit_field_read_or_written_as_a_field_goes_through_its_methods(tmp_path: Path) -> None:
    """The bundled 1.5B's `http_body_is_final_rs` (2026-12-07) read http-parser's bit-fields as
    C does, `parser.state`; C2Rust packs them into a byte array behind methods its derive writes
    (here written out by hand, the attribute kept as C2Rust writes it), checked by the real compiler."""
    lib = ("pub struct parser {\n    /// #[bitfield(name = \"state\", ty = \"u32\", bits = \"0..=6\")]\n"
           "    /// #[bitfield(name = \"flags\", ty = \"u32\", bits = \"7..=14\")]\n    pub packed: [u8; 4],\n"
           "    pub nread: u32,\n}\nimpl parser {\n    pub fn state(&self) -> u32 { self.packed[0] as u32 }\n"
           "    pub fn set_state(&mut self, v: u32) { self.packed[0] = v as u8; }\n"
           "    pub fn flags(&self) -> u32 { self.packed[1] as u32 }\n}\npub struct other { pub n: u32 }\n"
           "impl other {\n    pub fn len(&self) -> u32 { self.n }\n}\n")
    model = ("pub fn done_rs(p: Option<&parser>) -> i32 {\n    let p = p.unwrap();\n"
             "    if p.state == 3 && p.nread > 0 {\n"
             "        return 1;\n    }\n    if p.flags & 4 {\n        return 2;\n    }\n    0\n}\n\n"
             "pub fn reset_rs(p: &mut parser) {\n    p.state = 1 + 2;\n}\n\n"
             "pub fn size_rs(o: &other) -> u32 {\n    o.len\n}\n")
    text, check = _fixed_until_it_builds(tmp_path, lib, model)
    for line in ("    if p.state() == 3 && p.nread > 0 {", "    if (p.flags() & 4) != 0 {", "    p.set_state(1 + 2);"):
        assert line in text
    # a method of a struct with no such bit-field is the model's to mend
    assert check.returncode != 0 and "o.len\n" in text and "method `len`" in error_text(check.stdout)


def test_a_call_to_the_twin_of_a_transpiled_function_calls_its_export(tmp_path: Path) -> None:
    """The bundled 1.5B's `lcm` on c-mathlib called `gcd_rs` where the stage before had landed
    C2Rust's `gcd`: the call goes to the export, in `unsafe { }`, checked by the real compiler."""
    lib = ("use std::os::raw::c_long;\n\n#[no_mangle]\npub unsafe extern \"C\" fn gcd(mut a: c_long, mut b: c_long)"
           " -> c_long {\n    while b != 0 { let t = b; b = a % b; a = t; }\n    a\n}\n")
    model = ("pub fn lcm_rs(a: i64, b: i64) -> i64 {\n    if a == 0 || b == 0 { return 0; }\n"
             "    (a / gcd_rs(a, b)) * b\n}\n\npub fn half_rs(a: i64) -> i64 { div_rs(a, 2) }\n")
    text, check = _fixed_until_it_builds(tmp_path, lib, model)
    assert "(a / unsafe { gcd(a, b) }) * b" in text and text[:len(lib)] == lib
    # `div_rs` has no export to call: that error is the model's to mend
    assert check.returncode != 0 and "div_rs" in error_text(check.stdout) and "div_rs(a, 2)" in text


def test_a_function_written_twice_word_for_word_is_kept_once() -> None:
    twice = ('pub fn p_rs(a: i64) -> i64 {\n    a\n}\n\n'
             '#[no_mangle]\npub extern "C" fn p(a: i64) -> i64 {\n    p_rs(a)\n}\n')
    kept, extra = only_asked(twice + "\n" + twice + "\npub fn p_rs2() {}\n", ["p"], [])
    assert kept == twice + "\npub fn p_rs2() {}\n" and extra == []


def test_a_previous_attempt_is_shown_again_only_when_short() -> None:
    def patch(lines: int) -> str:
        added = "".join(f"+    let x{i} = {i};\n" for i in range(lines))
        return f"diff --git a/rust/src/lib.rs b/rust/src/lib.rs\n--- a/rust/src/lib.rs\n+++ b/rust/src/lib.rs\n{added}"

    short = feedback_block({"feedback": "error[E0425]", "patch": patch(3)}, "rust/src/lib.rs")
    assert "Your previous attempt added:" in short and "let x2 = 2;" in short and "error[E0425]" in short
    long = feedback_block({"feedback": "error[E0425]", "patch": patch(4000)}, "rust/src/lib.rs")
    assert "Your previous attempt added:" not in long and "error[E0425]" in long


def test_c2rust_bit_field_derive_is_named_by_its_crate_path() -> None:
    rust = "#[derive(Copy, Clone, BitfieldStruct)]\n#[repr(C)]\npub struct p {\n"
    named = with_crate_paths(rust)
    assert named.startswith("#[derive(Copy, Clone, ::c2rust_bitfields::BitfieldStruct)]")
    assert with_crate_paths(named) == named  # already named: left alone
    assert with_crate_paths("struct BitfieldStruct;") == "struct BitfieldStruct;"  # not a derive


def test_the_manifest_depends_on_a_runtime_crate_only_where_the_crate_names_it() -> None:
    manifest = cargo_toml("demo", "staticlib")
    on_disk = {CARGO_TOML: manifest, LIB_RS: "pub fn f() {}\n"}
    plain = {LIB_RS: "pub fn g() {}\n"}
    assert with_runtime_crates(plain, on_disk.get) == plain
    derived = {LIB_RS: "#[derive(::c2rust_bitfields::BitfieldStruct)]\nstruct s {}\n"}
    added = with_runtime_crates(derived, on_disk.get)
    assert added[CARGO_TOML].count('c2rust-bitfields = "0.22.1"') == 1
    assert with_runtime_crates(added, on_disk.get) == added  # once only
    # a stage that rewrites the manifest but not lib.rs (the last one) keeps what lib.rs on disk needs
    on_disk[LIB_RS] = derived[LIB_RS]
    final = with_runtime_crates({CARGO_TOML: cargo_toml("demo", "rlib")}, on_disk.get)
    assert 'crate-type = ["rlib"]' in final[CARGO_TOML] and "c2rust-bitfields" in final[CARGO_TOML]


@pytest.mark.parametrize("target", ["test", "check"])
def test_the_plain_crates_makefile_runs_the_cargo_tests_under_either_test_target(tmp_path: Path, target: str) -> None:
    """A project tested by `make check` (libscrypt) keeps its test command after the last stage."""
    (tmp_path / "Makefile").write_text(plain_makefile())
    dry = subprocess.run(["make", "-n", target], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert dry.stdout.strip() == "cd rust && cargo test --offline"


def test_static_data_only_the_translated_functions_read_goes_with_them() -> None:
    """A -Werror build fails on a static table nothing uses any more (http-parser's)."""
    source = (
        '#include <stdio.h>\n'
        'static const struct { const char *name; } tab[] = { {"a"} };\n'
        'static int counter = 0;\n'
        'static const char *names[] = { "x" };\n'
        'static int helper(int);\n'
        'const char *desc(int i) { return tab[i].name; }\n'
        'int count(void) { return ++counter; }\n'
        'const char *nm(int i) { return names[i]; }\n'
    )
    assert remove_functions(source, {"desc", "nm"}) == (
        "#include <stdio.h>\nstatic int counter = 0;\nstatic int helper(int);\nint count(void) { return ++counter; }\n"
    )
    assert "counter" in remove_functions(source, {"desc"})  # still read by count
    through_macro = ("static const char table[] = {1, 0};\n#define IS_OK(c) \\\n  (table[(c) & 1])\n"
                     "int ok(int c) { return IS_OK(c); }\nint other(void) { return 0; }\n")
    assert remove_functions(through_macro, {"ok"}) == \
        "#define IS_OK(c) \\\n  (table[(c) & 1])\nint other(void) { return 0; }\n"
    assert "table" in remove_functions(through_macro, {"other"}).split("#define")[0]  # IS_OK is still used
    commented = "static int limit = 80;\n/* limit: the longest line */\nint lim(void) { return limit; }\n"
    assert remove_functions(commented, {"lim"}) == "/* limit: the longest line */\n"  # a comment uses nothing


def test_a_static_function_is_renamed_where_its_file_names_it_and_nowhere_else() -> None:
    source = (
        '#define TWICE(x) scale(scale(x))\n'
        'static int scale(int x);\n'
        'struct s { int scale; };\n'
        'static int scale(int x) { return x * 2; }  /* scale */\n'
        'int (*pick)(int) = scale;\n'
        'int use(struct s *v) { const char *n = "scale"; return scale(v->scale) + TWICE(1) + (n != 0); }\n'
    )
    assert renamed(source, {"scale": "b_scale"}) == (
        '#define TWICE(x) b_scale(b_scale(x))\n'
        'static int b_scale(int x);\n'
        'struct s { int scale; };\n'
        'static int b_scale(int x) { return x * 2; }  /* scale */\n'
        'int (*pick)(int) = b_scale;\n'
        'int use(struct s *v) { const char *n = "scale"; return b_scale(v->scale) + TWICE(1) + (n != 0); }\n'
    )


SAME_STATIC_NAMES = {
    "Makefile": "test: t\n\t./t\n\nt: src/a.c src/b-two.c tests/test_m.c\n"
                "\t$(CC) -Wall -Werror src/a.c src/b-two.c tests/test_m.c -o t\n",
    "src/a.c": "static int scale(int x) { return 2 * x; }\nint a_twice(int x) { return scale(x); }\n",
    "src/b-two.c": "static int scale(int x) { return 3 * x; }\nint b_thrice(int x) { return scale(x); }\n",
    "tests/test_m.c": "int a_twice(int);\nint b_thrice(int);\n"
                      "int main(void) { return a_twice(1) != 2 || b_thrice(1) != 3; }\n",
}


def test_file_local_functions_of_one_name_are_renamed_in_a_stage_before_any_is_translated(tmp_path: Path) -> None:
    """cJSON.c and cJSON_Utils.c each define a static `get_array_item`: in the one lib.rs the
    second translated would clash with the first."""
    repo = repo_from_texts(tmp_path / "m", SAME_STATIC_NAMES)
    stages = plan_stages(repo, 10)
    assert [s["kind"] for s in stages[:2]] == ["scaffold", "rename"] and stages[1]["files"] == ["src/b-two.c"]
    planned = [name for s in stages if s["kind"] == "translate" for name in s["symbols"]]
    assert sorted(planned) == ["src/a.c::a_twice", "src/a.c::scale", "src/b-two.c::b_thrice",
                               "src/b-two.c::b_two_scale"]
    assert planned.index("src/b-two.c::b_two_scale") < planned.index("src/b-two.c::b_thrice")  # callee first
    # once the crate exports one of them, every C file's static of that name is renamed
    (repo / "rust/src").mkdir(parents=True)
    (repo / LIB_RS).write_text('#[no_mangle]\npub unsafe extern "C" fn scale(x: i32) -> i32 { 2 * x }\n')
    (repo / "src/a.c").write_text("int scale(int x);\nint a_twice(int x) { return scale(x); }\n")
    assert clashing(repo) == {"src/b-two.c": {"scale": "b_two_scale"}}
    (repo / "src/b-two.c").write_text("int b_two_scale;\nstatic int scale(int x) { return 3 * x; }\n")
    assert clashing(repo) == {"src/b-two.c": {"scale": "b_two_scale_"}}  # a name the code has is not taken
    (repo / "src/a.c").write_text("static const int table[] = {2};\nint a_twice(int x) { return table[0] * x; }\n")
    (repo / "src/b-two.c").write_text("static const int table[] = {3};\nint b_thrice(int x) { return table[0] * x; }\n")
    assert clashing(repo) == {"src/b-two.c": {"table": "b_two_table"}}  # C2Rust copies a table into lib.rs


STRICT_RUST = """pub type size_t = usize;
unsafe extern "C" fn url_char(mut c: size_t) -> ::core::ffi::c_int {
    return (c > 32) as ::core::ffi::c_int;
}
#[no_mangle]
pub unsafe extern "C" fn parse_url(mut c: ::core::ffi::c_int) -> ::core::ffi::c_int {
    if c < 0 { fail(b"int parse_url(int)\0", b'"', '"'); }
    return url_char(c as size_t);
}
#[no_mangle]
pub unsafe extern "C" fn twice(mut x: ::core::ffi::c_int) -> ::core::ffi::c_int {
    return 2 * x;
}
"""


def test_what_the_builds_macros_change_is_transpiled_once_per_configuration_and_c_picks_its_own(
        tmp_path: Path) -> None:
    """http-parser's `parse_url_char` under `-DHTTP_PARSER_STRICT=1` and `=0`: what differs, and
    what uses it, gets an export per configuration; what is the same comes once."""
    fast = STRICT_RUST.replace("(c > 32)", "(c != 0)")
    made = Transpiled(STRICT_RUST, macros="-DSTRICT=1 -DX", variants=(("-DSTRICT=0 -DX", fast),))
    assert differing(made) == {"url_char", "parse_url"}  # parse_url calls what differs
    split = per_configuration(made, ["parse_url"], differing(made), {"twice"})
    assert isinstance(split, Split)
    assert split.rust.count("pub type size_t") == 1 and "fn twice" not in split.rust
    assert "pub unsafe extern \"C\" fn parse_url__cfg_STRICT_1(" in split.rust
    assert "return url_char__cfg_STRICT_0(c as size_t);" in split.rust and "(c != 0)" in split.rust
    # a literal keeps the C name: C2Rust sized `assert`'s function-name string by it
    assert split.rust.count("fail(b\"int parse_url(int)\0\", b'\"', '\"');") == 2
    assert split.redirects["parse_url"].splitlines()[1:] == [
        "#if STRICT == 1", "#define parse_url parse_url__cfg_STRICT_1",
        "#else", "#define parse_url parse_url__cfg_STRICT_0", "#endif"]
    # a later stage: C calls url_char through the `#define`, so C2Rust declares each export
    def later(v: int) -> str:  # the strict build alone calls keep_alive, which C still defines
        alive = "\n    fn keep_alive(c: c_int) -> c_int;" if v else ""
        return (f'extern "C" {{\n    fn url_char__cfg_STRICT_{v}(c: size_t) -> c_int;{alive}\n}}\n'
                'pub type size_t = usize;\n#[no_mangle]\n'
                'pub unsafe extern "C" fn parse_url(mut c: c_int) -> c_int {\n'
                f'    return url_char__cfg_STRICT_{v}(c as size_t){" + keep_alive(c)" if v else ""};\n}}\n')
    made = Transpiled(later(1), macros="-DSTRICT=1", variants=(("-DSTRICT=0", later(0)),))
    landed = {"url_char__cfg_STRICT_1", "url_char__cfg_STRICT_0"}
    again = per_configuration(made, ["parse_url"], differing(made), landed)
    assert isinstance(again, Split) and "__cfg_STRICT_1__cfg" not in again.rust and "fn url_char" not in again.rust
    assert "return url_char__cfg_STRICT_0(c as size_t);" in again.rust
    assert "fn keep_alive(c: c_int)" in again.rust and "keep_alive__cfg" not in again.rust  # one symbol in both
    words = Transpiled(STRICT_RUST, macros="-DMODE=fast", variants=(("-DMODE=slow", fast),))
    assert "not a number" in str(per_configuration(words, ["parse_url"], differing(words), set()))
    # the redirect goes before the first declaration: in the header that declares it, else in the file
    repo = repo_from_texts(tmp_path / "p", {
        "include/p.h": "#ifdef __cplusplus\nextern \"C\" {\n#endif\nint\nparse_url(int c);\n"
                       "#ifdef __cplusplus\n}\n#endif\n",
        "src/p.c": "#include \"p.h\"\nstatic int helper(int c);\nint helper(int c);\n",
    })
    files = with_redirects(repo, "src/p.c", "#include \"p.h\"\nstatic int helper(int c);\nint helper(int c);\n",
                           {"parse_url": "/*A*/\n", "helper": "/*B*/\n"})
    assert files == {"include/p.h": "#ifdef __cplusplus\nextern \"C\" {\n#endif\n/*A*/\nint\nparse_url(int c);\n"
                                    "#ifdef __cplusplus\n}\n#endif\n",
                     "src/p.c": "#include \"p.h\"\n/*B*/\nstatic int helper(int c);\nint helper(int c);\n"}


def test_a_uint8_t_pointer_is_binary_data_never_a_c_string() -> None:
    """`strlen` does not give the length of binary data: libscrypt's `uint8_t *dest` is none.
    (When a `char *` or `unsigned char *` is one: test_c2rust_buffers.py.)"""
    assert safe_signature("blkcpy", c_signature("void blkcpy(uint8_t *dest, uint8_t *src, size_t len)")) is None
    assert safe_signature("count", with_body(c_signature("int count(const uint8_t *s)"), "{ return strlen(s); }")) \
        is None
    assert safe_signature("count", with_body(c_signature("int count(const char *s)"), "{ return strlen(s); }")) \
        == "pub fn count_rs(s: &[u8]) -> i32"
    assert safe_signature("sum", with_body(c_signature("int sum(const uint8_t *data, size_t len)"), "len > 0")) == \
        "pub fn sum_rs(data: &[u8]) -> i32"


def test_a_forward_static_prototype_of_a_translated_function_loses_static() -> None:
    """cJSON declares `static cJSON_bool parse_value(...)` before the functions that call it; left
    static and never defined, it failed the -Werror build, and the call would not reach Rust."""
    source = ("static int parse_value(int a);\nstatic inline int other(int);\n"
              "int user(void) { return parse_value(1) + other(2); }\n"
              "static int parse_value(int a) { return a; }\nstatic inline int other(int b) { return b; }\n")
    assert remove_functions(source, {"parse_value"}) == (
        "int parse_value(int a);\nstatic inline int other(int);\nint user(void) { return parse_value(1) + other(2); }\n"
        "int parse_value(int a);\nstatic inline int other(int b) { return b; }\n")
