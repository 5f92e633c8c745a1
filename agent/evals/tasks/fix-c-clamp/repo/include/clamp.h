#ifndef CLAMP_H
#define CLAMP_H

/* value limited to the range [low, high] */
long clamp(long value, long low, long high);

#endif
