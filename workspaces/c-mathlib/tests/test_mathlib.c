#include <stdio.h>
#include <string.h>

#include "mathlib.h"

static int passed = 0, failed = 0;

#define CHECK(name, cond)                                   \
    do {                                                    \
        if (cond) {                                         \
            passed++;                                       \
        } else {                                            \
            failed++;                                       \
            printf("FAIL %s (%s:%d)\n", name, __FILE__, __LINE__); \
        }                                                   \
    } while (0)

int main(void) {
    CHECK("gcd", gcd(12, 18) == 6 && gcd(-4, 6) == 2 && gcd(7, 0) == 7);
    CHECK("lcm", lcm(4, 6) == 12 && lcm(0, 5) == 0);
    CHECK("clamp", clamp(5, 0, 3) == 3 && clamp(-1, 0, 3) == 0 && clamp(2, 0, 3) == 2);
    CHECK("ipow", ipow(2, 10) == 1024 && ipow(3, 0) == 1);
    CHECK("is_prime", is_prime(13) && !is_prime(1) && !is_prime(15));

    char word[] = "hello";
    str_reverse(word);
    CHECK("str_reverse", strcmp(word, "olleh") == 0);
    CHECK("str_count_char", str_count_char("banana", 'a') == 3);
    CHECK("str_is_palindrome", str_is_palindrome("racecar") && !str_is_palindrome("rust"));
    char shout[] = "Quiet!";
    str_to_upper(shout);
    CHECK("str_to_upper", strcmp(shout, "QUIET!") == 0);

    long values[] = {4, -2, 9, 1};
    CHECK("array_sum", array_sum(values, 4) == 12);
    CHECK("array_max", array_max(values, 4) == 9);
    CHECK("array_min", array_min(values, 4) == -2);
    CHECK("array_mean", array_mean(values, 4) == 3.0);

    const unsigned char text[] = "Wikipedia";
    CHECK("adler32", adler32(text, 9) == 0x11E60398u);
    CHECK("xor_checksum", xor_checksum((const unsigned char *)"\x01\x02\x03", 3) == 0);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
