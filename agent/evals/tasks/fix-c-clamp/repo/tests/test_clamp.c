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
    check(clamp(5, 0, 10), 5, "inside");
    check(clamp(-3, 0, 10), 0, "below");
    check(clamp(42, 0, 10), 10, "above");
    if (failures) {
        return 1;
    }
    printf("3 checks passed\n");
    return 0;
}
