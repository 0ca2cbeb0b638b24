/* src/base/clock.h — monotonic and wall clocks. */
#ifndef RN_BASE_CLOCK_H
#define RN_BASE_CLOCK_H

#include <stdint.h>

/** Monotonic nanoseconds (CLOCK_MONOTONIC); for intervals and deadlines only. */
uint64_t clock_mono_ns(void);
/** Wall-clock Unix time in microseconds (CLOCK_REALTIME). */
uint64_t clock_unix_us(void);
/** Sleep until the monotonic clock reaches deadline_ns (returns early on a signal). */
void clock_sleep_until_ns(uint64_t deadline_ns);

#endif
