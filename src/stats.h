/*
 * stats.h: timer health, measured where the timers run (stats.c).
 *
 * Owns: the counters and the lateness histogram of one timer owner
 * (tf_timer_stats, a field of TimerOwnerObject), the bookkeeping of one
 * timed-call pass (tf_pass), and the process-wide slow-call watch (fields
 * of tf_state).  No Twisted source is mirrored: Twisted measures nothing.
 *
 * What is counted, and where the C code already does the work:
 * - scheduled: tf_owner_call_later; cancelled, reset: DelayedCall.cancel,
 *   reset and delay on a call pending in its owner's heap (a standalone
 *   DelayedCall has no owner: not counted);
 * - fired, lateness, busy: the passes that fire calls (Clock.advance,
 *   TimerQueue.runTimedCalls), through tf_pass_fire (timerowner.h);
 * - LoopingCall ticks and skipped intervals, Cooperator work units: on the
 *   owner whose timed call they run inside (state->firing, a reference to
 *   the call being run).
 *
 * Lateness of a fired call is the time its pass read as "now" (the Clock's
 * seconds() at the pop, the reactor's `now` of runUntilCurrent) minus its
 * due time, time + delayed_time: what Twisted compares (getTime() <= now in
 * Clock.advance, time <= now once delayed_time is folded in, in
 * runUntilCurrent).  So no clock is read per call for it.  `busy` is real
 * time (CLOCK_MONOTONIC, even for a Clock whose own time is fake), read
 * twice per pass that fires anything.  With the slow-call watch on, the
 * monotonic clock is read once per call more: a call's duration runs from
 * the end of the previous call of its pass (the heap's work in between, a
 * fraction of a microsecond, included), or from a read just before it.
 *
 * The histogram: bucket 0 holds lateness up to 2**-20 s (about 0.95 us,
 * exact 0 included); buckets 1 .. TF_STATS_BOUNDED split each power of two
 * from 2**-20 to 2**7 s (128 s) in four, at 1.25, 1.5, 1.75 and 2 times the
 * power (the exponent and the top two bits of the mantissa: O(1), no log(),
 * exact bounds); the last bucket holds more than 128 s.  A bucket holds
 * what is above the previous bound and at most its own, as Prometheus'
 * "le" means: the index is that of the double just below the lateness.
 *
 * Memory per owner: the counters stay inline (104 bytes with the two
 * pointers below); the histogram's 110 buckets are uint32_t words (440
 * bytes) allocated at the owner's first callLater, so a Clock or reactor
 * that never schedules anything pays nothing for them.  A bucket must not
 * wrap (2**32 calls is 60 hours at 20,000 timers a second, and Prometheus
 * counters must never go back): the word that overflows carries into a
 * second array of high words, allocated the first time any bucket does.
 * If either allocation fails, nothing is raised out of callLater or a pass:
 * the histogram counts nothing until a later allocation succeeds (its sum
 * then falls short of `fired`), and a bucket whose carry cannot be kept
 * stays at 2**32 - 1 (it saturates, never goes back).
 *
 * Calls into Python: tf_pass_fire (the call itself, and the slow-call hook
 * when a call was slow).  The hook runs after the call, with nothing of the
 * heap held.
 */
#ifndef TF_STATS_H
#define TF_STATS_H

#include "state.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Histogram layout (see above). */
#define TF_STATS_MIN_EXP (-20)
#define TF_STATS_MAX_EXP 7
#define TF_STATS_PER_OCTAVE 4
#define TF_STATS_BOUNDED                                                     \
    ((TF_STATS_MAX_EXP - TF_STATS_MIN_EXP) * TF_STATS_PER_OCTAVE)
#define TF_STATS_BUCKETS (TF_STATS_BOUNDED + 2)

typedef struct {
    uint64_t scheduled;
    uint64_t fired;
    uint64_t cancelled;
    uint64_t reset;
    uint64_t loopingcall_ticks;
    uint64_t skipped_intervals;
    uint64_t work_units;
    uint64_t slow_calls;
    double max_lateness; /* 0 until a call fires */
    double lateness_sum; /* Prometheus's histogram _sum */
    double busy;         /* seconds inside passes that fired calls */
    /* TF_STATS_BUCKETS low words, NULL until the owner's first callLater
     * (tf_stats_alloc); the high words, NULL until a low word wraps. */
    uint32_t *buckets;
    uint32_t *buckets_high;
} tf_timer_stats;

/* Bytes of one array of histogram words (low or high). */
#define TF_STATS_WORDS_BYTES (TF_STATS_BUCKETS * sizeof(uint32_t))

/* Bytes of statistics per owner that schedules anything: the inline part
 * and the histogram (the high words come only after 2**32 calls). */
#define TF_STATS_BYTES (sizeof(tf_timer_stats) + TF_STATS_WORDS_BYTES)

struct TimerOwnerObject;
struct DelayedCallObject;

/* The bucket of a lateness (NaN and negatives: bucket 0). */
static inline size_t
tf_stats_bucket(double lateness)
{
    if (!(lateness > 0x1p-20)) {
        return 0;
    }
    if (lateness > 0x1p7) {
        return TF_STATS_BUCKETS - 1;
    }
    uint64_t bits;
    memcpy(&bits, &lateness, sizeof(bits));
    /* The double just below (a positive double's bits minus one): a normal
     * double in [2**-20, 2**7), exponent e in [-20, 6]. */
    bits -= 1;
    int exponent = (int)((bits >> 52) & 0x7ff) - 1023;
    return 1 + (size_t)(exponent - TF_STATS_MIN_EXP) * TF_STATS_PER_OCTAVE +
           (size_t)((bits >> 50) & 3);
}

/* Upper bound of bucket i, in seconds (+inf for the last). */
double tf_stats_bound(size_t i);

#ifndef TF_NO_STATS
#define TF_STATS_ADD(stats, field, n) ((stats)->field += (uint64_t)(n))
#else
#define TF_STATS_ADD(stats, field, n) ((void)0)
#endif

/* Allocate the histogram of stats if it has none yet: 0, or -1 (no
 * exception set) when memory is short; the histogram then counts nothing. */
int tf_stats_alloc(tf_timer_stats *stats);

/* Bucket i's low word wrapped to 0: carry into its high word (or saturate
 * the low word when the high words cannot be allocated). */
void tf_stats_carry(tf_timer_stats *stats, size_t i);

/* Free what tf_stats_alloc and tf_stats_carry allocated. */
void tf_stats_free(tf_timer_stats *stats);

/* The count of bucket i (buckets allocated). */
static inline uint64_t
tf_stats_bucket_count(const tf_timer_stats *stats, size_t i)
{
    uint64_t high = stats->buckets_high ? stats->buckets_high[i] : 0;
    return (high << 32) | stats->buckets[i];
}

/* Count a call that fired, lateness seconds late (NaN: 0). */
static inline void
tf_stats_fired(tf_timer_stats *stats, double lateness)
{
    stats->fired++;
    stats->lateness_sum += lateness;
    if (lateness > stats->max_lateness) {
        stats->max_lateness = lateness;
    }
    if (stats->buckets == NULL && tf_stats_alloc(stats) < 0) {
        return; /* no memory for the histogram: stats.h */
    }
    size_t i = tf_stats_bucket(lateness);
    if (++stats->buckets[i] == 0) {
        tf_stats_carry(stats, i);
    }
}

/*
 * One pass of an owner that fires calls (Clock.advance, runTimedCalls):
 * tf_pass_begin, tf_pass_fire for each call (timerowner.h: inline, the hot
 * path), tf_pass_end.
 */
typedef struct {
    struct TimerOwnerObject *owner;
    int timing;      /* outermost pass of this owner: it measures busy */
    double started;  /* monotonic time of its first call, or 0 */
    double last_end; /* watched: monotonic time the last call ended, or 0 */
} tf_pass;

void tf_pass_end(tf_pass *pass);

/* tf_pass_fire's call to tf_delayedcall_fire while the slow-call watch is
 * on: time it (from the end of the pass's previous call, if any: one read
 * of the clock per call) and report it if slow. */
int tf_pass_fire_watched(tf_pass *pass, struct DelayedCallObject *call,
                         double lateness);

/* tf_pass_fire found another call than its own in state->firing: give it
 * up (stats.c explains). */
void tf_pass_interleaved(tf_state *state, struct DelayedCallObject *outer);

/* The owner a LoopingCall tick or a Cooperator work unit runs on: that of
 * the timed call being run (NULL outside one). */
struct TimerOwnerObject *tf_stats_firing_owner(tf_state *state);

/* A LoopingCall tick starts: count it on the owner whose timed call runs
 * it.  1 if that timed call is the loop's own (then *due is its due time),
 * else 0 (a tick run by start(now=True), or called directly: not counted). */
int tf_stats_tick(tf_state *state, PyObject *loop, double *due);

/* A loop whose tick was due at due scheduled its next tick, next (any
 * object: counted when it is one of our owned calls), interval seconds
 * apart: count the intervals between them that no tick ran in. */
void tf_stats_skipped(tf_state *state, double due, double interval,
                      PyObject *next);

/* Is the slow-call watch on? */
static inline int
tf_stats_watching(tf_state *state)
{
#ifndef TF_NO_STATS
    return state->watch_slow;
#else
    (void)state;
    return 0;
#endif
}

/* The monotonic clock, in seconds (a replacement while tests set one). */
double tf_monotonic(tf_state *state);

/*
 * Time one work unit (cooperator.c) while the watch is on:
 * tf_watch_start before it, tf_watch_end after it (an exception it raised
 * may be pending: it is kept), which reports it if it took longer than the
 * threshold and nothing inside it was reported already.
 */
typedef struct {
    double started;
    uint64_t reported;
} tf_watch;

void tf_watch_start(tf_state *state, tf_watch *watch);
void tf_watch_end(tf_state *state, tf_watch *watch, const char *kind,
                  PyObject *callable);

/* Module functions (module.c lists them). */
PyObject *tf_stats_get(PyObject *module, PyObject *owner);
PyObject *tf_stats_reset(PyObject *module, PyObject *owner);
PyObject *tf_stats_bounds(PyObject *module, PyObject *ignored);
PyObject *tf_stats_watch(PyObject *module, PyObject *const *args,
                         Py_ssize_t nargs);
PyObject *tf_stats_count_skipped(PyObject *module, PyObject *const *args,
                                 Py_ssize_t nargs);
PyObject *tf_stats_set_monotonic(PyObject *module, PyObject *clock);
PyObject *tf_stats_set_bucket(PyObject *module, PyObject *const *args,
                              Py_ssize_t nargs);

#endif /* TF_STATS_H */
