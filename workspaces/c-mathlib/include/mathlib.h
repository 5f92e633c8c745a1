#ifndef MATHLIB_H
#define MATHLIB_H

#include <stddef.h>
#include <stdint.h>

/* arith.c */
long gcd(long a, long b);
long lcm(long a, long b);
long clamp(long value, long low, long high);
long ipow(long base, unsigned int exp);
int is_prime(long n);

/* strutil.c */
void str_reverse(char *s);
size_t str_count_char(const char *s, char c);
int str_is_palindrome(const char *s);
void str_to_upper(char *s);

/* stats.c */
long array_sum(const long *values, size_t n);
long array_max(const long *values, size_t n);
long array_min(const long *values, size_t n);
double array_mean(const long *values, size_t n);

/* checksum.c */
uint32_t adler32(const unsigned char *data, size_t len);
uint8_t xor_checksum(const unsigned char *data, size_t len);

#endif
