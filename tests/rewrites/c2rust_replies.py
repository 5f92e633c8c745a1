"""Recorded translator replies for c-mathlib, one per stage: correct, reviewed Rust for every
function (and one broken first attempt, to exercise a repair). Code writes every C ABI export
from the C signatures: two stages' replies leave them out, the others write their own (one
taking a pointer where C takes a number), which code replaces; one copies the prompt's example
along, and one assigns to a parameter not declared `mut`, for the compiler's fix."""

from __future__ import annotations

CLAMP_GCD_IPOW = """
pub fn clamp_rs(value: i64, low: i64, high: i64) -> i64 {
    if value < low {
        low
    } else if value > high {
        high
    } else {
        value
    }
}

pub fn gcd_rs(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.wrapping_abs(), b.wrapping_abs());
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

pub fn ipow_rs(base: i64, exp: u32) -> i64 {
    let (mut result, mut base, mut exp) = (1i64, base, exp);
    while exp > 0 {
        if exp & 1 == 1 {
            result = result.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    result
}

#[no_mangle]
pub extern "C" fn clamp(value: c_long, low: c_long, high: c_long) -> c_long {
    clamp_rs(value, low, high)
}

#[no_mangle]
pub extern "C" fn gcd(a: c_long, b: c_long) -> c_long {
    gcd_rs(a, b)
}

#[no_mangle]
pub extern "C" fn ipow(base: c_long, exp: c_uint) -> c_long {
    ipow_rs(base, exp)
}
"""

IS_PRIME_LCM = """
pub fn is_prime_rs(n: i64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d: i64 = 2;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

pub fn lcm_rs(a: i64, b: i64) -> i64 {
    if a == 0 || b == 0 {
        return 0;
    }
    let g = GCD(a, b);
    (a / g).wrapping_mul(b).wrapping_abs()
}

#[no_mangle]
pub extern "C" fn is_prime(n: c_long) -> c_int {
    c_int::from(is_prime_rs(n))
}

#[no_mangle]
pub extern "C" fn lcm(a: c_long, b: c_long) -> c_long {
    lcm_rs(a, b)
}
"""

CHECKSUMS = """
pub fn adler32_rs(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

pub fn xor_checksum_rs(data: &[u8]) -> u8 {
    let mut x = 0u8;
    while let Some((&first, rest)) = data.split_first() {
        x ^= first;
        data = rest;
    }
    x
}

/// # Safety
/// `data` must point to `len` readable bytes, or be null.
#[no_mangle]
pub unsafe extern "C" fn adler32(data: *const u8, len: usize) -> u32 {
    if data.is_null() {
        return adler32_rs(&[]);
    }
    adler32_rs(unsafe { std::slice::from_raw_parts(data, len) })
}

/// # Safety
/// `data` must point to `len` readable bytes, or be null.
#[no_mangle]
pub unsafe extern "C" fn xor_checksum(data: *const u8, len: usize) -> u8 {
    if data.is_null() {
        return 0;
    }
    xor_checksum_rs(unsafe { std::slice::from_raw_parts(data, len) })
}
"""

STATS = """
pub fn array_max_rs(values: &[i64]) -> i64 {
    values.iter().copied().max().unwrap_or(0)
}

pub fn array_min_rs(values: &[i64]) -> i64 {
    values.iter().copied().min().unwrap_or(0)
}

pub fn array_sum_rs(values: &[i64]) -> i64 {
    values.iter().fold(0i64, |total, &v| total.wrapping_add(v))
}

/// # Safety
/// `values` must point to `n` readable longs, or be null.
#[no_mangle]
pub unsafe extern "C" fn array_max(values: *const c_long, n: usize) -> c_long {
    if values.is_null() {
        return 0;
    }
    array_max_rs(unsafe { std::slice::from_raw_parts(values, n) })
}

/// # Safety
/// `values` must point to `n` readable longs, or be null.
#[no_mangle]
pub unsafe extern "C" fn array_min(values: *const c_long, n: usize) -> c_long {
    if values.is_null() {
        return 0;
    }
    array_min_rs(unsafe { std::slice::from_raw_parts(values, n) })
}

/// # Safety
/// `values` must point to `n` readable longs, or be null.
#[no_mangle]
pub unsafe extern "C" fn array_sum(values: *const c_long, n: usize) -> c_long {
    if values.is_null() {
        return 0;
    }
    array_sum_rs(unsafe { std::slice::from_raw_parts(values, n) })
}
"""

MEAN = """
pub fn array_mean_rs(values: &[i64]) -> f64 {
    array_sum_rs(values) as f64 / values.len() as f64
}

/// # Safety
/// `values` must point to `n` readable longs, or be null.
#[no_mangle]
pub unsafe extern "C" fn array_mean(values: *const c_long, n: usize) -> f64 {
    if values.is_null() {
        return f64::NAN;
    }
    array_mean_rs(unsafe { std::slice::from_raw_parts(values, n) })
}
"""

EXAMPLE = """
pub fn sum_rs(values: &[i64]) -> i64 {
    values.iter().sum()
}

#[no_mangle]
pub extern "C" fn sum(values: *const c_long, n: usize) -> c_long {
    sum_rs(unsafe { std::slice::from_raw_parts(values, n) })
}
"""  # the prompt's example, which small models copy along

STRINGS = """
pub fn str_count_char_rs(s: &[u8], c: u8) -> usize {
    s.iter().filter(|&&b| b == c).count()
}

pub fn str_is_palindrome_rs(s: &[u8]) -> bool {
    s.iter().eq(s.iter().rev())
}

pub fn str_reverse_rs(s: &mut [u8]) {
    s.reverse();
}

/// # Safety
/// `s` must be a NUL-terminated string, or null.
#[no_mangle]
pub unsafe extern "C" fn str_count_char(s: *const c_char, c: c_char) -> usize {
    if s.is_null() {
        return 0;
    }
    str_count_char_rs(unsafe { CStr::from_ptr(s) }.to_bytes(), c as u8)
}

/// # Safety
/// `s` must be a NUL-terminated string, or null.
#[no_mangle]
pub unsafe extern "C" fn str_is_palindrome(s: *const c_char) -> c_int {
    if s.is_null() {
        return 1;
    }
    c_int::from(str_is_palindrome_rs(unsafe { CStr::from_ptr(s) }.to_bytes()))
}

/// # Safety
/// `s` must be a writable NUL-terminated string, or null.
#[no_mangle]
pub unsafe extern "C" fn str_reverse(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let len = unsafe { CStr::from_ptr(s) }.to_bytes().len();
    str_reverse_rs(unsafe { std::slice::from_raw_parts_mut(s.cast::<u8>(), len) });
}
"""

UPPER = """
pub fn str_to_upper_rs(s: &mut [u8]) {
    s.make_ascii_uppercase();
}

/// # Safety
/// `s` must be a writable NUL-terminated string, or null.
#[no_mangle]
pub unsafe extern "C" fn str_to_upper(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let len = unsafe { CStr::from_ptr(s) }.to_bytes().len();
    str_to_upper_rs(unsafe { std::slice::from_raw_parts_mut(s.cast::<u8>(), len) });
}
"""

TESTS = """use c_mathlib::*;

#[test]
fn test_gcd() {
    assert_eq!(gcd(12, 18), 6);
    assert_eq!(gcd(-4, 6), 2);
    assert_eq!(gcd(7, 0), 7);
}

#[test]
fn test_lcm() {
    assert_eq!(lcm(4, 6), 12);
}

#[test]
fn test_lcm() {
    assert_eq!(lcm(0, 5), 0);
}

#[test]
fn test_clamp() {
    assert_eq!(clamp(5, 0, 3), 3);
    assert_eq!(clamp(-1, 0, 3), 0);
    assert_eq!(clamp(2, 0, 3), 2);
}

#[test]
fn test_ipow() {
    assert_eq!(ipow(2, 10), 1024);
    assert_eq!(ipow(3, 0), 1);
}

#[test]
fn test_is_prime() {
    assert!(is_prime(13));
    assert!(!is_prime(1));
    assert_eq!(is_prime(15), false);
}

#[test]
fn test_str_reverse() {
    let mut word = *b"hello\\0";
    str_reverse(&mut word);
    assert_eq!(&word[..5], b"olleh");
}

#[test]
fn test_str_count_char() {
    assert_eq!(str_count_char(b"banana", 'a'), 3);
}

#[test]
fn test_str_is_palindrome() {
    assert!(str_is_palindrome(b"racecar"));
    assert!(!str_is_palindrome("rust"));
}

#[test]
fn test_str_to_upper() {
    let mut shout = *b"Quiet!\\0";
    str_to_upper(&mut shout);
    assert_eq!(&shout[..6], b"QUIET!");
}

#[test]
fn test_array_sum() {
    let values = [4, -2, 9, 1];
    assert_eq!(array_sum(&values, 4), 12);
}

#[test]
fn test_array_max() {
    let values = [4, -2, 9, 1];
    assert_eq!(array_max(&values, values.len()), 9);
}

#[test]
fn test_array_min() {
    let values = vec![4, -2, 9, 1];
    assert_eq!(array_min(&values, 4), -2);
}

#[test]
fn test_array_mean() {
    let values = [4, -2, 9, 1];
    assert_eq!(array_mean(&values, 4), 3.0);
}

#[test]
fn test_checksums() {
    assert_eq!(adler32(b"Wikipedia", 9), 0x11E6_0398u);
    assert_eq!(xor_checksum(&[1, 2, 3], 3), 0);
}
"""  # ported as the 1.5B ports: exports called outside `unsafe`, arrays and strings passed for
# pointers, C truth values as Rust's, a test written twice; code's sure fixes make it build


def only_safe(code: str) -> str:
    """The safe ``_rs`` functions of a reply without its exports, as a small model often writes."""
    return code.split("/// # Safety")[0]


def reply(code: str, notes: str = "") -> str:
    """A reply in the form the grammar holds the model to: the code's fenced block, then its notes."""
    return f"```rust\n{code.strip()}\n```\nNotes: {notes}"


BROKEN_IS_PRIME_LCM = reply(IS_PRIME_LCM, "lcm reuses gcd")
POINTER_CLAMP = CLAMP_GCD_IPOW.replace(
    "fn clamp(value: c_long, low: c_long, high: c_long) -> c_long {\n    clamp_rs(value, low, high)",
    "fn clamp(value: *const c_long, low: c_long, high: c_long) -> c_long {\n    clamp_rs(unsafe { *value }, low, high)",
)
assert POINTER_CLAMP != CLAMP_GCD_IPOW
REPLIES = [
    reply(POINTER_CLAMP, "Scalars by value; c_long is i64; ipow wraps like C on overflow."),
    BROKEN_IS_PRIME_LCM,
    reply(IS_PRIME_LCM.replace("GCD(a, b)", "gcd_rs(a, b)"), "lcm reuses gcd_rs; is_prime returns bool inside."),
    reply(CHECKSUMS, "Byte buffers become &[u8] once at the boundary."),
    reply(only_safe(STATS), "Arrays become &[i64]; an empty array gives 0 instead of C's out-of-bounds read."),
    reply(MEAN + EXAMPLE, "Mean of an empty array is NaN, as in C."),
    reply(only_safe(STRINGS), "C strings are bytes inside."),
    reply(UPPER, "ASCII upper-casing, as toupper in the C locale."),
    reply(TESTS, "One cargo test per C check."),
]

# A translator that never gets `ipow` to compile (it calls a helper it never wrote, which
# neither rustc nor code can fix): the stage must land its clamp and gcd and C2Rust's ipow.
BROKEN_IPOW = CLAMP_GCD_IPOW.replace("result = result.wrapping_mul(base);", "result = c_mul(result, base);")
assert BROKEN_IPOW != CLAMP_GCD_IPOW

# A translator whose `ipow` builds but is wrong (2^10 gives 1): the tests fail with the stage's
# Rust, and the stage must still land its clamp and gcd, with C2Rust's ipow.
WRONG_IPOW = CLAMP_GCD_IPOW.replace("exp >>= 1;", "exp >>= 2;")
assert WRONG_IPOW != CLAMP_GCD_IPOW
