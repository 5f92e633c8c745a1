#ifndef GCD_H
#define GCD_H

/* the greatest common divisor of a and b, never negative */
long gcd(long a, long b);

#endif
