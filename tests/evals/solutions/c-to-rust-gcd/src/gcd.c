#include "gcd.h"
