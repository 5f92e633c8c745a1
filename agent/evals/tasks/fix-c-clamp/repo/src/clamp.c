#include "clamp.h"

long clamp(long value, long low, long high) {
    if (value < low) {
        return high;
    }
    if (value > high) {
        return low;
    }
    return value;
}
