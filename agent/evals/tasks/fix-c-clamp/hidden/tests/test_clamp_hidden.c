#include <stdio.h>

#include "clamp.h"

static int failures = 0;

static void check(long got, long want, const char *what) {
    if (got != want) {
        printf("FAIL %s: got %ld, want %ld\n", what, got, want);
        failures++;
    }
}

int main(void) {
    check(clamp(0, 0, 10), 0, "at low");
    check(clamp(10, 0, 10), 10, "at high");
    check(clamp(-100, -5, 5), -5, "negative range, below");
    check(clamp(100, -5, 5), 5, "negative range, above");
    check(clamp(7, 7, 7), 7, "empty range");
    return failures ? 1 : 0;
}
