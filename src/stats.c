/*
 * stats.c: timer health (see stats.h for what is counted, where, and what
 * each number means).
 *
 * Owns: the code that fills each owner's tf_timer_stats, the slow-call
 * watch (its threshold and hook live in the module state), and the module
 * functions that read, reset and configure them for twisted_fast.health.
 *
 * Invariants: state->firing is NULL outside passes, and inside one it is
 * the call that the innermost pass is running (a strong reference, so its
 * owner is alive too); every pass restores the value it found.  Greenlets
 * can switch stacks in the middle of a call and end passes out of order: a
 * pass that does not find its own call there at its end leaves NULL (the
 * ticks and units of the interleaved calls are then not counted), and the
 * references keep the value from ever dangling.  An owner's pass_depth
 * counts its running passes.
 *
 * Calls into Python: tf_pass_fire runs the call; the slow-call hook
 * (twisted_fast.health) runs after a slow call, tick or work unit, with any
 * exception of that call kept aside and restored.  Nothing here holds a
 * pointer into a heap across either.
 */
#include "stats.h"

#include <time.h>

#include "timerowner.h"
#include "util.h"

/* Tests replace the clock (_set_monotonic) so that a call can be "slow"
 * without taking time.  Not a hot path: only while they do. */
static double
monotonic_override(tf_state *state)
{
    PyObject *pending = PyErr_Occurred() ? tf_take_exception() : NULL;
    PyObject *now = PyObject_CallNoArgs(state->monotonic);
    double value = now ? PyFloat_AsDouble(now) : -1.0;
    Py_XDECREF(now);
    if (PyErr_Occurred()) {
        PyErr_WriteUnraisable(state->monotonic); /* a broken test clock */
        value = 0.0;
    }
    if (pending != NULL) {
        tf_restore_exception(pending);
    }
    return value;
}

double
tf_monotonic(tf_state *state)
{
    if (state->monotonic != NULL) {
        return monotonic_override(state);
    }
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double
tf_stats_bound(size_t i)
{
    if (i == 0) {
        return ldexp(1.0, TF_STATS_MIN_EXP);
    }
    if (i >= TF_STATS_BUCKETS - 1) {
        return Py_HUGE_VAL;
    }
    /* Bucket i covers (2**e * (1 + q/4), 2**e * (1 + (q+1)/4)]. */
    size_t k = i - 1;
    int exponent = TF_STATS_MIN_EXP + (int)(k / TF_STATS_PER_OCTAVE);
    double quarter = (double)(k % TF_STATS_PER_OCTAVE + 1);
    return ldexp(1.0 + quarter / TF_STATS_PER_OCTAVE, exponent);
}

/* --- the histogram's memory (stats.h) ------------------------------------ */

/* One array of histogram words, zeroed; NULL when memory is short. */
static uint32_t *
histogram_words(void)
{
    return PyMem_Calloc(TF_STATS_BUCKETS, sizeof(uint32_t));
}

int
tf_stats_alloc(tf_timer_stats *stats)
{
    if (stats->buckets == NULL) {
        stats->buckets = histogram_words();
        if (stats->buckets == NULL) {
            return -1;
        }
    }
    return 0;
}

void
tf_stats_carry(tf_timer_stats *stats, size_t i)
{
    if (stats->buckets_high == NULL) {
        stats->buckets_high = histogram_words();
    }
    if (stats->buckets_high == NULL || stats->buckets_high[i] == UINT32_MAX) {
        /* No room for the carry (or 2**64 calls): saturate, never wrap. */
        stats->buckets[i] = UINT32_MAX;
        return;
    }
    stats->buckets_high[i]++;
}

void
tf_stats_free(tf_timer_stats *stats)
{
    PyMem_Free(stats->buckets);
    PyMem_Free(stats->buckets_high);
    stats->buckets = NULL;
    stats->buckets_high = NULL;
}

/* --- slow calls ----------------------------------------------------------- */

/*
 * Tell the hook that something ran longer than the threshold:
 * hook(kind, callable, duration, lateness or None, creator or None).  A
 * failing hook is reported as unraisable: logging must not change what the
 * timed calls do.  An exception pending (the slow call's own) is kept.
 */
static void
report_slow(tf_state *state, TimerOwnerObject *owner, const char *kind,
            PyObject *callable, double duration, PyObject *lateness,
            PyObject *creator)
{
    state->slow_reported++;
    if (owner != NULL) {
        TF_STATS_ADD(&owner->stats, slow_calls, 1);
    }
    PyObject *hook = state->slow_call_hook;
    if (hook == NULL) {
        return; /* unwatched while the call ran */
    }
    Py_INCREF(hook);
    PyObject *pending = PyErr_Occurred() ? tf_take_exception() : NULL;
    PyObject *result = PyObject_CallFunction(
        hook, "sOdOO", kind, callable ? callable : Py_None, duration,
        lateness ? lateness : Py_None, creator ? creator : Py_None);
    if (result == NULL) {
        PyErr_WriteUnraisable(hook);
    }
    Py_XDECREF(result);
    Py_DECREF(hook);
    if (pending != NULL) {
        tf_restore_exception(pending);
    }
}

/* The lateness of the timed call being run, as a float, or None. */
static PyObject *
firing_lateness(tf_state *state)
{
    if (state->firing == NULL) {
        return Py_NewRef(Py_None);
    }
    return PyFloat_FromDouble(state->firing_lateness);
}

void
tf_watch_start(tf_state *state, tf_watch *watch)
{
    watch->reported = state->slow_reported;
    watch->started = tf_monotonic(state);
}

void
tf_watch_end(tf_state *state, tf_watch *watch, const char *kind,
             PyObject *callable)
{
    double duration = tf_monotonic(state) - watch->started;
    if (!(duration > state->slow_threshold) ||
        state->slow_reported != watch->reported) {
        return; /* fast enough, or something inside it was reported */
    }
    PyObject *pending = PyErr_Occurred() ? tf_take_exception() : NULL;
    PyObject *lateness = firing_lateness(state);
    if (lateness == NULL) {
        PyErr_WriteUnraisable(NULL); /* no memory: report nothing */
    }
    else {
        report_slow(state, tf_stats_firing_owner(state), kind, callable,
                    duration, lateness, NULL);
        Py_DECREF(lateness);
    }
    if (pending != NULL) {
        tf_restore_exception(pending);
    }
}

/* --- passes --------------------------------------------------------------- */

void
tf_pass_end(tf_pass *pass)
{
#ifndef TF_NO_STATS
    if (pass->timing && pass->started != 0.0) {
        double ended = pass->last_end != 0.0
                           ? pass->last_end
                           : tf_monotonic(pass->owner->state);
        pass->owner->stats.busy += ended - pass->started;
    }
#endif
    pass->owner->pass_depth--;
}

int
tf_pass_fire_watched(tf_pass *pass, DelayedCallObject *call, double lateness)
{
    tf_state *state = pass->owner->state;
    /* What to name it by, should it be slow: the call may drop it. */
    PyObject *func = Py_XNewRef(call->func);
    uint64_t reported = state->slow_reported;
    double started =
        pass->last_end != 0.0 ? pass->last_end : tf_monotonic(state);
    if (pass->timing && pass->started == 0.0) {
        pass->started = started;
    }
    int result = tf_delayedcall_fire(call);
    double ended = tf_monotonic(state);
    pass->last_end = ended;
    double duration = ended - started;
    if (duration > state->slow_threshold &&
        state->slow_reported == reported) {
        PyObject *pending = PyErr_Occurred() ? tf_take_exception() : NULL;
        PyObject *late = PyFloat_FromDouble(lateness);
        if (late == NULL) {
            PyErr_WriteUnraisable(NULL); /* no memory: report nothing */
        }
        else {
            PyObject *creator = call->extra ? call->extra->creator : NULL;
            Py_XINCREF(creator);
            report_slow(state, pass->owner, "timed call", func, duration,
                        late, creator);
            Py_XDECREF(creator);
            Py_DECREF(late);
        }
        if (pending != NULL) {
            tf_restore_exception(pending);
        }
        /* The report took time: the next call starts after it. */
        pass->last_end = 0.0;
    }
    Py_XDECREF(func);
    return result;
}

/* Passes end in the order they began, each finding its own call in
 * state->firing and putting back what it found there.  When a greenlet
 * switched stacks in the middle of a call, passes may end out of order:
 * then what it found may be stale too, and nothing is known to run; NULL
 * until the next pass.  The state's references go. */
void
tf_pass_interleaved(tf_state *state, DelayedCallObject *outer)
{
    DelayedCallObject *current = state->firing;
    state->firing = NULL;
    Py_XDECREF(outer);
    Py_XDECREF(current);
}

/* --- LoopingCall and Cooperator ------------------------------------------- */

TimerOwnerObject *
tf_stats_firing_owner(tf_state *state)
{
    DelayedCallObject *firing = state->firing;
    return firing ? TimerOwner_CAST(firing->owner) : NULL;
}

int
tf_stats_tick(tf_state *state, PyObject *loop, double *due)
{
    DelayedCallObject *firing = state->firing;
    if (firing == NULL || firing->func != loop) {
        return 0; /* not run by its own timed call (start(now=True)...) */
    }
    TF_STATS_ADD(&TimerOwner_CAST(firing->owner)->stats, loopingcall_ticks,
                 1);
    *due = state->firing_due;
    return 1;
}

void
tf_stats_skipped(tf_state *state, double due, double interval, PyObject *next)
{
#ifndef TF_NO_STATS
    if (!PyObject_TypeCheck(next, state->DelayedCallType)) {
        return;
    }
    DelayedCallObject *call = DelayedCall_CAST(next);
    if (call->owner == NULL || !(interval > 0.0)) {
        return;
    }
    /* The next tick is due one interval after this one, plus one interval
     * per interval that no tick ran in. */
    double intervals = floor((call->time + call->delayed_time - due) /
                                 interval + 0.5) - 1.0;
    if (intervals >= 1.0 && intervals < 0x1p63) {
        TF_STATS_ADD(&TimerOwner_CAST(call->owner)->stats, skipped_intervals,
                     intervals);
    }
#else
    (void)state;
    (void)due;
    (void)interval;
    (void)next;
#endif
}

/* --- module functions ----------------------------------------------------- */

/* value as a timer owner (a C Clock or TimerQueue), or NULL with a
 * TypeError naming function. */
static TimerOwnerObject *
stats_owner(PyObject *module, PyObject *value, const char *function)
{
    tf_state *state = tf_get_state(module);
    if (!PyObject_TypeCheck(value, state->ClockType) &&
        !PyObject_TypeCheck(value, state->TimerQueueType)) {
        PyErr_Format(PyExc_TypeError, "%s() takes a Clock or a TimerQueue, "
                     "not %.100s", function, Py_TYPE(value)->tp_name);
        return NULL;
    }
    return TimerOwner_CAST(value);
}

#ifdef TF_NO_STATS
static PyObject *
no_stats(void)
{
    PyErr_SetString(PyExc_RuntimeError,
                    "twisted_fast._speedups was built without timer "
                    "statistics (TWISTED_FAST_NO_STATS=1)");
    return NULL;
}
#endif

PyObject *
tf_stats_get(PyObject *module, PyObject *value)
{
    TimerOwnerObject *owner = stats_owner(module, value, "_timer_stats");
    if (owner == NULL) {
        return NULL;
    }
#ifdef TF_NO_STATS
    return no_stats();
#else
    /* A copy first: building the result allocates, which may collect
     * garbage, and finalizers may schedule or cancel calls (or reset the
     * statistics) meanwhile. */
    tf_timer_stats copy = owner->stats;
    uint64_t counts[TF_STATS_BUCKETS];
    for (size_t i = 0; i < TF_STATS_BUCKETS; i++) {
        counts[i] = copy.buckets ? tf_stats_bucket_count(&copy, i) : 0;
    }
    PyObject *buckets = PyTuple_New(TF_STATS_BUCKETS);
    if (buckets == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < TF_STATS_BUCKETS; i++) {
        PyObject *count = PyLong_FromUnsignedLongLong(counts[i]);
        if (count == NULL) {
            Py_DECREF(buckets);
            return NULL;
        }
        PyTuple_SET_ITEM(buckets, (Py_ssize_t)i, count);
    }
    return Py_BuildValue("(KKKKddNKKKKd)", (unsigned long long)copy.scheduled,
                         (unsigned long long)copy.fired,
                         (unsigned long long)copy.cancelled,
                         (unsigned long long)copy.reset, copy.max_lateness,
                         copy.busy, buckets,
                         (unsigned long long)copy.loopingcall_ticks,
                         (unsigned long long)copy.skipped_intervals,
                         (unsigned long long)copy.work_units,
                         (unsigned long long)copy.slow_calls,
                         copy.lateness_sum);
#endif
}

PyObject *
tf_stats_reset(PyObject *module, PyObject *value)
{
    TimerOwnerObject *owner = stats_owner(module, value, "_reset_timer_stats");
    if (owner == NULL) {
        return NULL;
    }
#ifdef TF_NO_STATS
    return no_stats();
#else
    /* The histogram stays allocated (the owner has scheduled calls); the
     * high words go: every count is 0 again. */
    tf_timer_stats *stats = &owner->stats;
    uint32_t *buckets = stats->buckets;
    PyMem_Free(stats->buckets_high);
    memset(stats, 0, sizeof(*stats));
    if (buckets != NULL) {
        memset(buckets, 0, TF_STATS_WORDS_BYTES);
        stats->buckets = buckets;
    }
    Py_RETURN_NONE;
#endif
}

/* For tests: set bucket index of owner's histogram to count (a 64-bit
 * count: the carry into the high words is reachable without 2**32
 * calls).  Allocates the histogram like a first callLater. */
PyObject *
tf_stats_set_bucket(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "_set_stats_bucket() takes an owner, "
                        "a bucket index and a count");
        return NULL;
    }
    TimerOwnerObject *owner = stats_owner(module, args[0], "_set_stats_bucket");
    if (owner == NULL) {
        return NULL;
    }
    Py_ssize_t index = PyLong_AsSsize_t(args[1]);
    if (index == -1 && PyErr_Occurred()) {
        return NULL;
    }
    unsigned long long count = PyLong_AsUnsignedLongLong(args[2]);
    if (count == (unsigned long long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    if (index < 0 || index >= (Py_ssize_t)TF_STATS_BUCKETS) {
        PyErr_SetString(PyExc_IndexError, "bucket index out of range");
        return NULL;
    }
#ifdef TF_NO_STATS
    return no_stats();
#else
    tf_timer_stats *stats = &owner->stats;
    if (tf_stats_alloc(stats) < 0) {
        return PyErr_NoMemory();
    }
    uint32_t high = (uint32_t)(count >> 32);
    if (high != 0 && stats->buckets_high == NULL) {
        stats->buckets_high = histogram_words();
        if (stats->buckets_high == NULL) {
            return PyErr_NoMemory();
        }
    }
    stats->buckets[index] = (uint32_t)count;
    if (stats->buckets_high != NULL) {
        stats->buckets_high[index] = high;
    }
    Py_RETURN_NONE;
#endif
}

PyObject *
tf_stats_bounds(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    PyObject *bounds = PyTuple_New(TF_STATS_BUCKETS);
    if (bounds == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < TF_STATS_BUCKETS; i++) {
        PyObject *bound = PyFloat_FromDouble(tf_stats_bound(i));
        if (bound == NULL) {
            Py_DECREF(bounds);
            return NULL;
        }
        PyTuple_SET_ITEM(bounds, (Py_ssize_t)i, bound);
    }
    return bounds;
}

PyObject *
tf_stats_watch(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    tf_state *state = tf_get_state(module);
    if (nargs == 1 && args[0] == Py_None) {
        state->watch_slow = 0;
        Py_CLEAR(state->slow_call_hook);
        Py_RETURN_NONE;
    }
    if (nargs != 2 || !PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "_watch_slow_calls() takes a "
                        "threshold and a callable, or None");
        return NULL;
    }
    double threshold = PyFloat_AsDouble(args[0]);
    if (threshold == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    if (!(threshold >= 0.0) || isinf(threshold)) {
        PyErr_SetString(PyExc_ValueError,
                        "the threshold must be a finite number >= 0");
        return NULL;
    }
#ifdef TF_NO_STATS
    return no_stats();
#else
    Py_XSETREF(state->slow_call_hook, Py_NewRef(args[1]));
    state->slow_threshold = threshold;
    state->watch_slow = 1;
    Py_RETURN_NONE;
#endif
}

/* A LoopingCall tick that waited on a Deferred has scheduled the next one
 * (twisted_fast/_loopingcall.py): count what it skipped. */
PyObject *
tf_stats_count_skipped(PyObject *module, PyObject *const *args,
                       Py_ssize_t nargs)
{
    tf_state *state = tf_get_state(module);
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError,
                        "_count_skipped() takes a LoopingCall and a time");
        return NULL;
    }
    double due = PyFloat_AsDouble(args[1]);
    if (due == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *next = PyObject_GetAttr(args[0], state->str_call);
    PyObject *interval =
        next ? PyObject_GetAttr(args[0], state->str_interval) : NULL;
    double step = interval ? PyFloat_AsDouble(interval) : -1.0;
    Py_XDECREF(interval);
    if (PyErr_Occurred()) {
        /* Counting must not break the loop, which has scheduled its next
         * tick already: a loop whose attributes say nothing usable is not
         * counted. */
        PyErr_Clear();
        Py_XDECREF(next);
        Py_RETURN_NONE;
    }
    tf_stats_skipped(state, due, step, next);
    Py_DECREF(next);
    Py_RETURN_NONE;
}

/* For tests: replace the monotonic clock that slow calls and busy time are
 * measured with (None: the real one). */
PyObject *
tf_stats_set_monotonic(PyObject *module, PyObject *clock)
{
    tf_state *state = tf_get_state(module);
    if (clock != Py_None && !PyCallable_Check(clock)) {
        PyErr_SetString(PyExc_TypeError,
                        "_set_monotonic() takes a callable or None");
        return NULL;
    }
    Py_XSETREF(state->monotonic, clock == Py_None ? NULL : Py_NewRef(clock));
    Py_RETURN_NONE;
}
