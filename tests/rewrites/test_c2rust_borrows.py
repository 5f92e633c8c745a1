"""Safe signatures for what C passes by pointer beyond a slice and a C string: a struct holding
no pointers that the function changes (libscrypt's `SHA256_CTX`) as ``Option<&mut T>``, a
`void *` and its length as bytes, and a C array parameter of fixed size as a slice of that size."""

from __future__ import annotations

from agent.rewrites.c2rust.csource import functions, records
from agent.rewrites.c2rust.exports import (
    Param,
    c_signature,
    changeable,
    export_for,
    pointer_free,
    rust_records,
    rust_signature,
    safe_signature,
    wirable,
    with_body,
)
from agent.rewrites.c2rust.report import raw_pointers
from agent.rewrites.c2rust.safety import without_unsafe_blocks
from agent.rewrites.c2rust.translate import _pointers_changed, used_from

HEADER = """
typedef struct sha_ctx { uint32_t state[8]; uint32_t count[2]; unsigned char buf[64]; } SHA_CTX;
typedef struct hmac_ctx { SHA_CTX inner; SHA_CTX outer; } HMAC_CTX;
struct node { struct node *next; int value; };
typedef struct { struct node head; long n; } list;
typedef struct { void (*callback)(int); } hooks;
typedef struct { hooks h; } with_hooks;
"""

CRATE = """#[derive(Copy, Clone)]
#[repr(C)]
pub struct sha_ctx {
    pub state: [uint32_t; 8],
    pub count: [uint32_t; 2],
    pub buf: [::core::ffi::c_uchar; 64],
}
pub type SHA_CTX = sha_ctx;
pub type uint32_t = u32;
#[derive(Copy, Clone)]
#[repr(C)]
pub struct hmac_ctx {
    pub inner: SHA_CTX,
    pub outer: SHA_CTX,
}
pub type HMAC_CTX = hmac_ctx;
#[derive(Copy, Clone)]
#[repr(C)]
pub struct node {
    pub next: *mut node,
    pub value: ::core::ffi::c_int,
}
#[derive(Copy, Clone)]
#[repr(C)]
pub struct list {
    pub head: node,
    pub n: ::core::ffi::c_long,
}
"""
TYPES = {"SHA_CTX": "sha_ctx", "sha_ctx": "sha_ctx", "HMAC_CTX": "hmac_ctx", "node": "node"}


def test_structs_holding_no_pointer_are_found_in_c_and_in_the_crate() -> None:
    assert pointer_free(records(HEADER)) == {"sha_ctx", "SHA_CTX", "hmac_ctx", "HMAC_CTX"}
    # a pointer two structs down, or a function pointer, makes a struct not plain
    assert {"node", "list", "hooks", "with_hooks"}.isdisjoint(pointer_free(records(HEADER)))
    assert pointer_free(rust_records(CRATE)) >= {"sha_ctx", "SHA_CTX", "hmac_ctx", "HMAC_CTX"}
    assert {"node", "list"}.isdisjoint(pointer_free(rust_records(CRATE)))


def test_a_plain_struct_the_function_changes_is_a_mutable_borrow_and_code_writes_the_export() -> None:
    plain = pointer_free(rust_records(CRATE))
    signature = c_signature("void sha_init(SHA_CTX *ctx)", TYPES)
    asked = safe_signature("sha_init", signature, plain)
    assert asked == "pub fn sha_init_rs(ctx: Option<&mut sha_ctx>)"
    export = export_for("sha_init", signature, f"{asked} {{ if let Some(c) = ctx {{ c.count = [0; 2]; }} }}")
    assert export is not None and raw_pointers(export) == 1
    assert "    let ctx: Option<&mut sha_ctx> = unsafe { ctx.as_mut() };\n    sha_init_rs(ctx)\n" in export
    # a struct holding pointers, a function that frees, or two pointers that may be one struct: the model's
    assert safe_signature("push", c_signature("void push(node *n, int v)", TYPES), plain) is None
    assert changeable(plain, "void done(SHA_CTX *c) { memset(c, 0, sizeof *c); free(c); }") == set()
    assert safe_signature("copy", c_signature("void copy(SHA_CTX *dst, const SHA_CTX *src)", TYPES), plain) is None
    # without the plain structs (what a caller passes for a function that frees), as before
    assert safe_signature("sha_init", signature) is None
    # a `const` pointer is never taken as a mutable borrow
    assert export_for("peek", c_signature("int peek(const SHA_CTX *ctx)", TYPES),
                      "pub fn peek_rs(ctx: Option<&mut sha_ctx>) -> i32 { 0 }") is None


def test_a_void_pointer_and_its_length_are_bytes() -> None:
    plain = pointer_free(rust_records(CRATE))
    update = "void sha_update(SHA_CTX *ctx, const void *in, size_t len)"
    signature = with_body(c_signature(update, TYPES), update + " { if (len < 64) { } }")
    assert signature == ([Param("ctx", "sha_ctx", "mut"), Param("r#in", "std::ffi::c_void", "const"),
                          Param("len", "usize", length=True)], "")
    asked = safe_signature("sha_update", signature, plain)
    assert asked == "pub fn sha_update_rs(ctx: Option<&mut sha_ctx>, r#in: &[u8])"
    export = export_for("sha_update", signature, f"{asked} {{}}")
    assert export is not None
    assert ("let r#in: &[u8] = if r#in.is_null() { &[] } else { unsafe { "
            "std::slice::from_raw_parts(r#in.cast::<u8>(), len) } };") in export
    assert "r#in: *const std::ffi::c_void, len: usize" in export
    # C2Rust's export, in a safety stage, names its own `c_void`
    blk = 'pub unsafe extern "C" fn blk(mut dest: *mut ::core::ffi::c_void, mut len: size_t) { memset(dest, 0, len); }'
    assert safe_signature("blk", with_body(rust_signature(blk), blk)) == "pub fn blk_rs(dest: &mut [u8])"
    # a `void *` without a length is nothing code can wire
    assert safe_signature("clear", c_signature("void clear(void *p)")) is None


def test_a_c_array_parameter_of_fixed_size_is_a_slice_of_that_size() -> None:
    plain = pointer_free(rust_records(CRATE))
    signature = c_signature("void sha_final(unsigned char digest[32], SHA_CTX *ctx)", TYPES)
    assert signature == ([Param("digest", "c_uchar", "mut", 32), Param("ctx", "sha_ctx", "mut")], "")
    asked = safe_signature("sha_final", signature, plain)
    assert asked == "pub fn sha_final_rs(digest: &mut [u8], ctx: Option<&mut sha_ctx>)"
    export = export_for("sha_final", signature, f"{asked} {{}}")
    assert export is not None and "std::slice::from_raw_parts_mut(digest, 32)" in export
    assert safe_signature("mix", c_signature("static void mix(uint32_t B[16])")) == "pub fn mix_rs(B: &mut [u32])"
    # the array's length is its own: the number after it stays a number
    assert safe_signature("f", c_signature("int f(const long v[4], size_t n)")) == \
        "pub fn f_rs(v: &[i64], n: usize) -> i32"
    # before, C's array parameter was read as the element passed by value: an ABI C does not call
    assert c_signature("void g(uint32_t B[16])") == ([Param("B", "u32", "mut", 16)], "")
    # an array without a size is a pointer with no length
    assert safe_signature("h", c_signature("void h(uint32_t B[])")) is None
    # the plan sees the same: a stage of such functions is asked for safe signatures
    plain_c = pointer_free(records(HEADER))
    final = "void sha_final(unsigned char digest[32], SHA_CTX *ctx)"
    assert wirable(final, final + " { }", plain_c)
    assert not wirable(final, final + " { }", set())


def test_an_export_keeps_c_s_pointers_counted_on_c_s_parameters_only() -> None:
    """An array parameter is a pointer C passes; a pointer result, inside an export macro too,
    is no parameter (every `CJSON_PUBLIC(char *)` function's export was refused before)."""
    (digest,) = functions("void acc_digest(unsigned char out[4], const acc *a) { }")
    assert _pointers_changed('pub unsafe extern "C" fn acc_digest(out: *mut c_uchar, a: *const acc) {}', digest) == ""
    assert "takes 1 pointer parameter(s) but" in _pointers_changed(
        'pub unsafe extern "C" fn acc_digest(out: c_uchar, a: *const acc) {}', digest)
    (printed,) = functions("CJSON_PUBLIC(char *) cJSON_Print(const cJSON *item) { return 0; }")
    export = 'pub unsafe extern "C" fn cJSON_Print(item: *const cJSON) -> *mut c_char {}'
    assert _pointers_changed(export, printed) == ""


def test_a_prompt_shows_the_struct_behind_an_alias_the_function_names() -> None:
    """Shown only `pub type SHA_CTX = sha_ctx;`, the 1.5B could not know the fields it sets."""
    shown = used_from(CRATE, "pub unsafe extern \"C\" fn init(mut ctx: *mut SHA_CTX) { (*ctx).count[0] = 0; }")
    assert "pub type SHA_CTX = sha_ctx;" in shown and "pub struct sha_ctx {" in shown
    assert "pub type uint32_t = u32;" in shown  # the struct's field type, in turn
    assert "pub struct node {" not in shown and "pub struct hmac_ctx {" not in shown


def test_unsafe_blocks_in_the_safe_function_become_plain_blocks_for_cargo_check_to_judge() -> None:
    reply = ("pub fn init_rs(ctx: Option<&mut SHA_CTX>) {\n    if let Some(ctx) = ctx {\n"
             "        unsafe {\n            (*ctx).count[0] = 0;\n        }\n    }\n}\n"
             "fn other() { unsafe { f() } }\n")
    assert without_unsafe_blocks(reply, "init_rs") == reply.replace("        unsafe {\n", "        {\n")
    nested = "fn g_rs(p: &[u8]) -> u8 { let y = unsafe { h(unsafe { *p.as_ptr() }) }; y }\n"
    assert without_unsafe_blocks(nested, "g_rs") == "fn g_rs(p: &[u8]) -> u8 { let y = { h({ *p.as_ptr() }) }; y }\n"
    assert without_unsafe_blocks(nested, "absent_rs") == nested
