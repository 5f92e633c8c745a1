#include "mathlib.h"

long array_sum(const long *values, size_t n) {
    long total = 0;
    for (size_t i = 0; i < n; i++) total += values[i];
    return total;
}

long array_max(const long *values, size_t n) {
    long best = values[0];
    for (size_t i = 1; i < n; i++) {
        if (values[i] > best) best = values[i];
    }
    return best;
}

long array_min(const long *values, size_t n) {
    long best = values[0];
    for (size_t i = 1; i < n; i++) {
        if (values[i] < best) best = values[i];
    }
    return best;
}

double array_mean(const long *values, size_t n) {
    return (double)array_sum(values, n) / (double)n;
}
