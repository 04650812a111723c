/*
 * timerowner.h: what every owner of C timer heaps shares (the C Clock, the
 * reactor's timer base): its pending calls, and how the cyclic GC sees them.
 *
 * An owner has two heaps: `heap`, the calls that may fire, and `new_heap`,
 * calls scheduled but not yet taken in (the reactor's equivalent of
 * Twisted's _newTimedCalls; the Clock leaves it empty).  Both draw sequence
 * numbers from one counter, so moving a call between them keeps its place
 * among calls due at the same instant.
 *
 * GC design.  A pending call that only its owner's heap references
 * (refcount 1) is left untracked by the GC, and the owner's traverse visits
 * that call's contents (and the call's reference back to the owner) as if
 * the owner held them directly.  Tens of thousands of pending timers then
 * cost nothing in the young collections their allocations trigger, yet a
 * cycle through them (a Clock dropped by a test with pending calls that
 * refer back to it) stays collectable.  A pending call that anything else
 * references must be tracked, or a cycle through that other holder could
 * never be found; such calls are found and tracked by a gc.callbacks hook
 * before every full collection, and the owner's traverse treats an
 * untracked call with other holders as reachable from outside (safe:
 * nothing is freed early, the cycle waits for the next full collection).
 * Calls are tracked whenever they leave the heap and survive.
 *
 * Passes.  The code that runs due calls (clock.c, timerqueue.c) wraps each
 * run in a tf_pass (stats.h): tf_pass_fire, inline here because it is the
 * hot path of every fired timer, counts the call, marks it as the one
 * running (state->firing, for LoopingCall ticks and work units) and fires
 * it.
 */
#ifndef TF_TIMEROWNER_H
#define TF_TIMEROWNER_H

#include "delayedcall.h"

/* Set up the heaps and join the registry of live owners. */
void tf_owner_init(TimerOwnerObject *owner, tf_state *state,
                   const tf_owner_ops *ops);

/* Refuse bad callLater arguments (0, or -1 with an exception set) and
 * give the delay as a double. */
typedef int (*tf_call_later_check)(PyObject *delay, PyObject *callable,
                                   double *seconds);

/* callLater(delay, callable, *args, **kw) for any owner: parse, check, read
 * the owner's time, queue a new call (in new_heap when in_new). */
PyObject *tf_owner_call_later(TimerOwnerObject *owner, PyObject *const *args,
                              Py_ssize_t nargs, PyObject *kwnames,
                              tf_call_later_check check, int in_new);

/* __sizeof__ of a Clock or TimerQueue (owner first in its struct): the
 * object and its statistics' histogram, once allocated (stats.h). */
PyObject *tf_owner_sizeof(PyObject *self, PyObject *unused);
extern const char tf_owner_sizeof_doc[];

/* A call was scheduled: count it (the owner's first call allocates its
 * histogram, stats.h; on failure tf_stats_fired tries again). */
static inline void
tf_owner_scheduled(TimerOwnerObject *owner)
{
    TF_STATS_ADD(&owner->stats, scheduled, 1);
#ifndef TF_NO_STATS
    if (owner->stats.buckets == NULL) {
        (void)tf_stats_alloc(&owner->stats);
    }
#endif
}

/* Leave the registry and drop every pending call; for dealloc. */
void tf_owner_fini(TimerOwnerObject *owner);

/* Drop every pending call: each stays uncalled and uncancelled but can no
 * longer fire.  Runs Python code (the calls' deallocation). */
void tf_owner_release_calls(TimerOwnerObject *owner);

/* Take the first call of heap due at now off it: 1 and *due a new
 * reference, 0 and *due NULL when none is due, or -1 with MemoryError. */
int tf_owner_pop_due(TimerOwnerObject *owner, double now,
                     DelayedCallObject **due);

/* Put a call back on its owner's heap at time + delayed_time; 0 or -1 with
 * MemoryError. */
int tf_owner_requeue(TimerOwnerObject *owner, DelayedCallObject *call);

/* Move every call of new_heap into heap, folding its delayed_time into its
 * time as Twisted's _insertNewDelayedCalls does; 0 or -1 with MemoryError
 * (the calls not moved stay in new_heap). */
int tf_owner_take_new(TimerOwnerObject *owner);

/* A call that has left its heap and may outlive the caller's reference:
 * make sure the GC tracks it.  Inline: every cancel asks. */
static inline void
tf_owner_adopted(DelayedCallObject *call)
{
    if (!PyObject_GC_IsTracked((PyObject *)call)) {
        PyObject_GC_Track(call);
    }
}

/* The calls of one heap in the order they will fire, as a new list. */
PyObject *tf_owner_sorted_calls(const tf_heap *heap);

int tf_owner_traverse(TimerOwnerObject *owner, visitproc visit, void *arg);

/* gc.callbacks hook (module function _gc_callback). */
PyObject *tf_owner_gc_callback(PyObject *module, PyObject *const *args,
                               Py_ssize_t nargs);

/* Invariant check for tests: -1 when consistent, else the position of the
 * first bad call (counting heap, then new_heap). */
long tf_owner_check_heap(TimerOwnerObject *owner);

/* --- passes (stats.h) ------------------------------------------------------ */

static inline void
tf_pass_begin(tf_pass *pass, TimerOwnerObject *owner)
{
    pass->owner = owner;
    pass->started = 0.0;
    pass->last_end = 0.0;
    pass->timing = ++owner->pass_depth == 1;
}

/*
 * Run a call that the pass took off its owner's heap (the pass holds a
 * reference), due at due, at the pass's time now: count it and its
 * lateness, run it (tf_delayedcall_fire), and, with the slow-call watch
 * on, time it and report it if slow.  Returns what tf_delayedcall_fire
 * returned, its exception still set.  Runs Python code.
 */
static inline int
tf_pass_fire(tf_pass *pass, DelayedCallObject *call, double due, double now)
{
#ifdef TF_NO_STATS
    (void)pass;
    (void)due;
    (void)now;
    return tf_delayedcall_fire(call);
#else
    TimerOwnerObject *owner = pass->owner;
    tf_state *state = owner->state;
    double lateness = now - due;
    if (isnan(lateness)) {
        lateness = 0.0; /* due and now both infinite: on time */
    }
    tf_stats_fired(&owner->stats, lateness);
    /* Take the state's reference to the outer call, give it one to ours. */
    DelayedCallObject *outer = state->firing;
    double outer_lateness = state->firing_lateness;
    double outer_due = state->firing_due;
    Py_INCREF(call);
    state->firing = call;
    state->firing_lateness = lateness;
    state->firing_due = due;
    int result;
    if (!state->watch_slow) {
        pass->last_end = 0.0;
        if (pass->timing && pass->started == 0.0) {
            pass->started = tf_monotonic(state);
        }
        result = tf_delayedcall_fire(call);
    }
    else {
        result = tf_pass_fire_watched(pass, call, lateness);
    }
    if (state->firing == call) {
        state->firing = outer;
        state->firing_lateness = outer_lateness;
        state->firing_due = outer_due;
        Py_DECREF(call); /* not the last: the pass holds one */
    }
    else {
        tf_pass_interleaved(state, outer);
    }
    return result;
#endif
}

#endif /* TF_TIMEROWNER_H */
