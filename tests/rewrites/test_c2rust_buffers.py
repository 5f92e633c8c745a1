"""Buffers whose length C's types leave open: code wires a slice only when the function's code
settles the length, since a slice longer than the caller's buffer is undefined behaviour however
the safe body uses it (found on libscrypt: `be32enc_vect(unsigned char *dst, const uint32_t *src,
size_t len)` counts `len` in bytes, and `libscrypt_mcf(..., char *mcf)` fills `mcf`)."""

from __future__ import annotations

from agent.rewrites.c2rust.exports import c_signature, export_for, rust_signature, safe_signature, wirable, with_body

BE32ENC = """static void be32enc_vect(unsigned char *dst, const uint32_t *src, size_t len)
{
	size_t i;
	for (i = 0; i < len / 4; i++)
		be32enc(dst + i * 4, src[i]);
}"""
# C2Rust's translation of a function of the same shape
BE32DEC_RS = """unsafe extern "C" fn be32dec_vect(mut dst: *mut uint32_t, mut src: *const uint8_t, mut len: size_t) {
    let mut i: size_t = 0;
    i = 0 as ::core::ffi::c_int as size_t;
    while i < len.wrapping_div(4 as ::core::ffi::c_int as size_t) {
        *dst.offset(i as isize) = be32dec(src.offset(i.wrapping_mul(4) as isize) as *const ::core::ffi::c_void);
        i = i.wrapping_add(1);
    }
}"""


def _asked(code: str) -> str | None:
    """What a translate stage asks of the model for the C function ``code``."""
    signature = with_body(c_signature(code.split("{", 1)[0].strip()), code)
    return safe_signature(code.split("(", 1)[0].split()[-1], signature)


def test_a_length_the_code_counts_in_bytes_is_no_slice_of_wider_elements() -> None:
    assert _asked(BE32ENC) is None
    assert safe_signature("be32dec_vect", with_body(rust_signature(BE32DEC_RS), BE32DEC_RS)) is None
    for body in ("n >> 3", "n % sizeof(double)", "n / sizeof (double)", "n /= 8"):
        assert _asked(f"double sum(const double *v, size_t n) {{ return {body}; }}") is None, body
    # counted in elements: every element is reached, or only half of them
    assert _asked("long sum(const long *v, size_t n) { long s = 0; for (size_t i = 0; i < n; i++) s += v[i]; "
                  "return s; }") == "pub fn sum_rs(v: &[i64]) -> i64"
    assert _asked("uint32_t mid(const uint32_t *v, size_t n) { return n > 0 ? v[n / 2] : 0; }") \
        == "pub fn mid_rs(v: &[u32]) -> u32"
    # bytes are elements: a `void *` or a byte buffer takes its length as is
    assert _asked("int fill(void *p, size_t len) { memset(p, 0, len); return len / 4; }") \
        == "pub fn fill_rs(p: &mut [u8]) -> i32"
    assert _asked("int fill(uint8_t *p, size_t len) { return len >= 4 ? len / 4 : 0; }") \
        == "pub fn fill_rs(p: &mut [u8]) -> i32"
    # the plan sees the same, so such a function is not staged as one code wires
    assert not wirable(BE32ENC.split("\n", 1)[0], BE32ENC, set())


def test_a_number_after_a_pointer_is_its_length_only_when_the_code_bounds_something_by_it() -> None:
    """`integerify(void *B, size_t r)` reads 64 bytes at `(2 * r - 1) * 64`: `r` is no length."""
    assert _asked("uint64_t integerify(void *B, size_t r) { uint32_t *X = (void *)((uintptr_t)(B) + (2 * r - 1) * 64); "
                  "return X[0]; }") is None
    assert _asked("long at(const long *v, int i) { return v[i]; }") is None
    assert _asked("long at(const long *v, int off, int n) { long s = 0; for (int i = off; i < n; i++) s += v[i]; "
                  "return s; }") is None  # `n` bounds, but is not the number after the pointer
    for body in ("for (size_t i = 0; i < n; i++) s += v[i];", "while (n-- > 0) s += *v++;", "s = sum(v, n);",
                 "memcpy(&s, v, n);", "if (n >= 1) s = v[0];"):
        assert _asked(f"long f(const long *v, size_t n) {{ long s = 0; {body} return s; }}") \
            == "pub fn f_rs(v: &[i64]) -> i64", body


def test_code_refuses_to_wire_a_model_slice_over_a_length_counted_in_bytes() -> None:
    """A model writing the pair itself may still take the slice: the export is then its own."""
    model = "pub fn words_rs(dst: &mut [u32]) {}"
    head = 'pub unsafe extern "C" fn words(mut dst: *mut uint32_t, mut len: size_t)'
    for body, wired in (("{ while i < len.wrapping_div(4 as ::core::ffi::c_int as size_t) {} }", False),
                        ("{ while i < len >> 2 as ::core::ffi::c_int {} }", False),
                        ("{ while i < len { *dst.offset(i as isize) = 0; } }", True)):
        export = export_for("words", with_body(rust_signature(f"{head} {body}"), f"{head} {body}"), model)
        assert (export is not None and "std::slice::from_raw_parts_mut(dst, len)" in export) is wired, body


def test_a_char_pointer_is_a_c_string_only_when_the_code_reads_it_as_one_first() -> None:
    mcf = ("int mcf(uint32_t N, const char *salt, char *mcf) { if (!mcf) return 0; "
           "return snprintf(mcf, 128, \"$s1$%s\", salt); }")
    assert _asked(mcf) is None  # a buffer to fill: its bytes are no string yet
    assert _asked("void up(char *s) { for (; *s; s++) { *s = (char)toupper((unsigned char)*s); } }") \
        == "pub fn up_rs(s: &mut [u8])"
    assert _asked("void rev(char *s) { size_t n = strlen(s); s[0] = s[n - 1]; }") == "pub fn rev_rs(s: &mut [u8])"
    assert _asked("int check(char *mcf, const char *pw) { if (memcmp(mcf, \"$s1\", 3) != 0) return 0; "
                  "char *tok = strtok(mcf, \"$\"); return strcmp(tok, pw); }") \
        == "pub fn check_rs(mcf: &mut [u8], pw: &[u8]) -> i32"
    assert _asked("int same(char *a, const char *b) { return strcmp(b, a) == 0; }") \
        == "pub fn same_rs(a: &mut [u8], b: &[u8]) -> i32"
    assert _asked("void minify(char *json) { while (json[0] != '\\0') { json++; } }") \
        == "pub fn minify_rs(json: &mut [u8])"
    # measured only after it was written: the function filled it
    assert _asked("size_t put(char *dst) { sprintf(dst, \"%d\", 1); return strlen(dst); }") is None
    assert _asked("size_t put(char *dst) { dst[0] = 'a'; dst[1] = 0; return strlen(dst); }") is None
    assert _asked("size_t put(char *dst) { *dst++ = 'a'; *dst = 0; return strlen(dst); }") is None
    # C2Rust's loop on the characters reads it
    rust = ('pub unsafe extern "C" fn up(mut s: *mut ::core::ffi::c_char) {\n    while *s != 0 {\n'
            '        *s = toupper(*s as ::core::ffi::c_int) as ::core::ffi::c_char;\n'
            '        s = s.offset(1);\n    }\n}')
    assert safe_signature("up", with_body(rust_signature(rust), rust)) == "pub fn up_rs(s: &mut [u8])"
    # a `const char *` the code reads by offsets is part of a buffer, not a string (http-parser's
    # `http_parse_host`, called with a URL buffer that need not end in a NUL); nor is an
    # `unsigned char *` unless the code reads it as one (cJSON's `case_insensitive_strcmp`; not
    # `parse_hex4`'s 4 digits)
    assert _asked("int host(const char *buf, int off, int len) { const char *p; int n = 0; "
                  "for (p = buf + off; p < buf + off + len; p++) { n++; } return n; }") is None
    assert _asked("int count(const char *s) { return 0; }") is None
    assert _asked("int count(const unsigned char *s) { return 0; }") is None
    assert _asked("int same(const unsigned char *a, const unsigned char *b) { for (; *a == *b; a++, b++) "
                  "{ if (*a == '\\0') return 0; } return 1; }") == "pub fn same_rs(a: &[u8], b: &[u8]) -> i32"
    assert _asked("size_t len(const unsigned char *s) { return strlen((const char*)s); }") \
        == "pub fn len_rs(s: &[u8]) -> usize"
    assert _asked("unsigned hex4(const unsigned char * const input) { unsigned h = 0; size_t i = 0; "
                  "for (i = 0; i < 4; i++) { h += input[i]; } return h; }") is None
    assert _asked("int sum(const uint8_t *s) { int t = 0; while (*s) t += *s++; return t; }") is None


def test_code_refuses_to_read_a_buffer_to_fill_as_a_c_string() -> None:
    """`CStr::from_ptr` on a buffer the caller has not filled reads on to a NUL it may not hold."""
    fill = "void fill(char *out) { strcpy(out, \"x\"); }"
    signature = with_body(c_signature("void fill(char *out)"), fill)
    for reply in ("pub fn fill_rs(out: &mut [u8]) {}", "pub fn fill_rs(out: &[u8]) {}",
                  "pub fn fill_rs(out: &CStr) {}", "pub fn fill_rs(out: &str) {}"):
        assert export_for("fill", signature, reply) is None, reply
    upper = "void up(char *s) { for (; *s; s++) *s = 'A'; }"
    export = export_for("up", with_body(c_signature("void up(char *s)"), upper), "pub fn up_rs(s: &mut [u8]) {}")
    assert export is not None and "CStr::from_ptr(s).to_bytes().len()" in export
