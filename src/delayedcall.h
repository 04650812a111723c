/*
 * delayedcall.h: the DelayedCall object and the timer owners it can live in.
 *
 * A DelayedCall is in one of two modes:
 * - owned: created by a C timer owner (the C Clock, later the reactor's
 *   timer queue).  It sits in the owner's tf_heap and cancel/reset/delay
 *   move it there directly, with no Python call.
 * - standalone: built from Python with Twisted's signature
 *   DelayedCall(time, func, args, kw, cancel, reset, seconds=...), as
 *   Twisted's ReactorBase.callLater does.  Its canceller/resetter/seconds
 *   callbacks live in the separately allocated tf_dc_extra, so owned calls do
 *   not pay for them.
 */
#ifndef TF_DELAYEDCALL_H
#define TF_DELAYEDCALL_H

/* Python.h first, as the C API requires. */
#include "state.h"
#include "heap.h"
#include "stats.h"

/*
 * Common head of every C object that owns a tf_heap of DelayedCalls.  Types
 * that start with it (the Clock, and subclasses, whose layout extends it)
 * let a DelayedCall reach its heap and the owner's notion of "now".  The
 * rest of the owner machinery (registry, GC support) is in timerowner.h.
 */
typedef struct tf_owner_ops tf_owner_ops;
typedef struct TimerOwnerObject TimerOwnerObject;

struct TimerOwnerObject {
    PyObject_HEAD
    const tf_owner_ops *ops;
    tf_heap heap;
    /* Calls scheduled since the owner last took new calls in: Twisted's
     * reactor keeps them apart (_newTimedCalls) until its next timeout() or
     * runUntilCurrent(), so a call scheduled by a timed call waits for the
     * next pass.  The Clock never uses it. */
    tf_heap new_heap;
    uint64_t next_seq; /* shared by both heaps: one FIFO order */
    tf_state *state; /* the type keeps the module (and state) alive */
    /* Every live owner, for the GC callback (timerowner.c). */
    TimerOwnerObject *prev_owner;
    TimerOwnerObject *next_owner;
    /* The latest time a pass of the reactor ran at (-inf for the Clock):
     * Twisted's pass folds delayed_time into time for every call whose
     * time is due, which the C heap does lazily (tf_delayedcall_settle). */
    double surfaced_until;
    /* How many passes of this owner are running (nested: a call that
     * advances its own Clock); only the outermost measures busy time. */
    int pass_depth;
    /* Timer health: counters and lateness histogram (stats.h).  Last: the
     * fields above are the hot ones. */
    tf_timer_stats stats;
};

struct tf_owner_ops {
    /* Store the owner's current time in *now; 0, or -1 with an exception.
     * May call into Python (an overridden seconds()).  When source is not
     * NULL, also say where the time came from, for a new call to keep as
     * Twisted's DelayedCall keeps the seconds it was given: NULL for the
     * owner's built-in clock, else a new reference to the callable used. */
    int (*now)(TimerOwnerObject *owner, double *now, PyObject **source);
    /* The built-in clock: no Python. */
    double (*builtin_now)(TimerOwnerObject *owner, int *error);
    /* What `seconds` reads as on a call that uses the built-in clock: a new
     * reference, or NULL with an exception. */
    PyObject *(*builtin_seconds)(TimerOwnerObject *owner);
};

/* What only standalone (or debug-mode) calls need. */
typedef struct {
    PyObject *canceller;
    PyObject *resetter;
    PyObject *seconds;
    PyObject *creator;    /* traceback lines in debug mode */
    PyObject *repr_cache; /* Twisted's _repr: repr frozen at cancel */
} tf_dc_extra;

typedef struct DelayedCallObject {
    PyObject_HEAD
    PyObject *func;  /* NULL once deleted (cancel) */
    PyObject *args;  /* NULL once deleted */
    PyObject *kw;    /* NULL: absent, or empty if kw_lazy */
    PyObject *owner; /* TimerOwnerObject*, strong; NULL when standalone */
    tf_dc_extra *extra;
    PyObject *dict;
    PyObject *weakreflist;
    double time;
    double delayed_time;
    tf_heap_node node;
    char called;
    char cancelled;
    char kw_lazy; /* kw is an empty dict not created yet */
    char in_new;  /* queued in the owner's new_heap, not its heap */
} DelayedCallObject;

#define DelayedCall_CAST(op) ((DelayedCallObject *)(op))
#define TimerOwner_CAST(op) ((TimerOwnerObject *)(op))

/* The heap of the owner that holds (or last held) the call. */
static inline tf_heap *
tf_delayedcall_heap(DelayedCallObject *call)
{
    TimerOwnerObject *owner = (TimerOwnerObject *)call->owner;
    return call->in_new ? &owner->new_heap : &owner->heap;
}

/*
 * Create an owned call and push it onto owner's heap (new_heap when in_new)
 * at time; seconds (may be NULL: the owner's built-in clock) is what its
 * reset() and repr() will ask for the time.  Steals
 * nothing; args must be a tuple, kw a dict or NULL for no keywords.  Returns
 * a new reference (the heap holds another), or NULL with an exception set.
 */
PyObject *tf_delayedcall_new_owned(tf_state *state, TimerOwnerObject *owner,
                                   double time, PyObject *func,
                                   PyObject *args, PyObject *kw, int in_new,
                                   PyObject *seconds);

/*
 * Mark a call that the owner has just taken off its heap as called and run
 * it.  Returns 0, or -1 with the call's exception set.  Runs Python code.
 */
int tf_delayedcall_fire(DelayedCallObject *call);

/* Forget that a call is in its owner's heap (the owner is dropping its
 * heap): the call stays uncalled and uncancelled but can no longer fire. */
static inline void
tf_delayedcall_orphan(DelayedCallObject *call)
{
    call->node.index = TF_HEAP_NONE;
}

static inline DelayedCallObject *
tf_delayedcall_from_node(tf_heap_node *node)
{
    return (DelayedCallObject *)((char *)node -
                                 offsetof(DelayedCallObject, node));
}

/* Fold delayed_time into time if the owner's pass would have (see
 * TimerOwnerObject.surfaced_until); call before reading either. */
void tf_delayedcall_settle(DelayedCallObject *call);

/* Free the memory kept for reuse (module teardown). */
void tf_delayedcall_free_list_clear(tf_state *state);

/* Visit what the call references, except its owner (timerowner.c visits
 * the contents of the untracked calls only its heap holds). */
int tf_delayedcall_traverse_contents(DelayedCallObject *call, visitproc visit,
                                     void *arg);

/* Refuse a NaN time: 0, or -1 with ValueError set. */
int tf_check_not_nan(double value, const char *what);

#endif /* TF_DELAYEDCALL_H */
