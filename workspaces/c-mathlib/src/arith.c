#include "mathlib.h"

long gcd(long a, long b) {
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b != 0) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

long lcm(long a, long b) {
    if (a == 0 || b == 0) return 0;
    long g = gcd(a, b);
    long r = (a / g) * b;
    return r < 0 ? -r : r;
}

long clamp(long value, long low, long high) {
    if (value < low) return low;
    if (value > high) return high;
    return value;
}

long ipow(long base, unsigned int exp) {
    long result = 1;
    while (exp > 0) {
        if (exp & 1u) result *= base;
        base *= base;
        exp >>= 1;
    }
    return result;
}

int is_prime(long n) {
    if (n < 2) return 0;
    for (long d = 2; d * d <= n; d++) {
        if (n % d == 0) return 0;
    }
    return 1;
}
