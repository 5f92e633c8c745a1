use std::os::raw::c_long;

pub fn gcd_rs(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.wrapping_abs(), b.wrapping_abs());
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

#[no_mangle]
pub extern "C" fn gcd(a: c_long, b: c_long) -> c_long {
    gcd_rs(a, b)
}
