#include "clamp.h"

long clamp(long value, long low, long high) {
    if (value < low) {
        return low;
    }
    if (value > high) {
        return high;
    }
    return value;
}
