#include <stdio.h>

#include "gcd.h"

static int failures = 0;

static void check(long got, long want, const char *what) {
    if (got != want) {
        printf("FAIL %s: got %ld, want %ld\n", what, got, want);
        failures++;
    }
}

int main(void) {
    check(gcd(12, 18), 6, "gcd(12, 18)");
    check(gcd(-4, 6), 2, "gcd(-4, 6)");
    check(gcd(0, 5), 5, "gcd(0, 5)");
    check(gcd(7, 0), 7, "gcd(7, 0)");
    if (failures) {
        return 1;
    }
    printf("4 checks passed\n");
    return 0;
}
