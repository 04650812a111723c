/*
 * delayedcall.c: DelayedCall, the C twin of twisted.internet.base.DelayedCall.
 *
 * Mirrors: twisted/internet/base.py, class DelayedCall (IDelayedCall).
 * Owns: the call's function, arguments, times and state flags; for owned
 * calls (see delayedcall.h) its node in the owner's heap.
 *
 * Invariants:
 * - called and cancelled are 0 or 1 and never both 1 through our API.
 * - An owned call is in its owner's heap (node.index != TF_HEAP_NONE) only
 *   while it is neither called nor cancelled, and the heap then holds one
 *   strong reference to it.  The deadline stored in the heap is always
 *   time + delayed_time computed in double, exactly Twisted's getTime().
 * - Times are never NaN.
 *
 * Calls into Python: cancel (canceller, debug repr), reset (seconds,
 * resetter), delay (resetter), repr (Twisted's own __repr__), fire (the
 * function).  Nothing keeps a pointer into a heap across those calls.
 */
#include "delayedcall.h"
#include "timerowner.h"

#include <math.h>
#include <stddef.h>

#include "debug.h"
#include "util.h"
#include "structmember.h"

PyDoc_STRVAR(delayedcall_doc,
"DelayedCall(time, func, args, kw, cancel, reset, seconds=...)\n"
"--\n\n"
"A call scheduled to run at a given time; see\n"
"L{twisted.internet.interfaces.IDelayedCall}.\n\n"
"Calls made by a twisted-fast clock live in its C timer heap.  Calls built\n"
"directly, with Twisted's signature, use the C{cancel} and C{reset}\n"
"callbacks as Twisted's own DelayedCall does.");

int
tf_check_not_nan(double value, const char *what)
{
    if (isnan(value)) {
        PyErr_Format(PyExc_ValueError, "%s must not be NaN", what);
        return -1;
    }
    return 0;
}

/* --- the extra block ----------------------------------------------------- */

static tf_dc_extra *
extra_get(DelayedCallObject *self)
{
    if (self->extra == NULL) {
        self->extra = PyMem_Calloc(1, sizeof(tf_dc_extra));
        if (self->extra == NULL) {
            PyErr_NoMemory();
        }
    }
    return self->extra;
}

static void
extra_clear(tf_dc_extra *extra)
{
    if (extra != NULL) {
        Py_CLEAR(extra->canceller);
        Py_CLEAR(extra->resetter);
        Py_CLEAR(extra->seconds);
        Py_CLEAR(extra->creator);
        Py_CLEAR(extra->repr_cache);
    }
}

/* Replace one of the extra fields (value may be NULL to delete). */
static int
extra_set(DelayedCallObject *self, size_t offset, PyObject *value)
{
    tf_dc_extra *extra = extra_get(self);
    if (extra == NULL) {
        return -1;
    }
    PyObject **slot = (PyObject **)((char *)extra + offset);
    Py_XSETREF(*slot, Py_XNewRef(value));
    return 0;
}

static PyObject *
extra_field(DelayedCallObject *self, size_t offset)
{
    if (self->extra == NULL) {
        return NULL;
    }
    return *(PyObject **)((char *)self->extra + offset);
}

/* --- helpers --------------------------------------------------------------- */

static int
raise_if_done(tf_state *state, DelayedCallObject *self)
{
    if (self->cancelled) {
        PyErr_SetNone(state->AlreadyCancelled);
        return -1;
    }
    if (self->called) {
        PyErr_SetNone(state->AlreadyCalled);
        return -1;
    }
    return 0;
}

static int
in_owner_heap(DelayedCallObject *self)
{
    return self->owner != NULL && tf_heap_contains(&self->node);
}

void
tf_delayedcall_settle(DelayedCallObject *self)
{
    if (self->delayed_time > 0.0 && self->owner != NULL && !self->in_new &&
        tf_heap_contains(&self->node) &&
        self->time <= TimerOwner_CAST(self->owner)->surfaced_until) {
        /* The deadline does not change: nothing to move in the heap. */
        self->time += self->delayed_time;
        self->delayed_time = 0.0;
    }
}

/* reset() or delay() moved a call: count it on its owner if it is pending
 * there (stats.h). */
static inline void
count_reset(DelayedCallObject *self)
{
    if (in_owner_heap(self)) {
        TF_STATS_ADD(&TimerOwner_CAST(self->owner)->stats, reset, 1);
    }
}

/* Make the heap agree with time + delayed_time after either changed from
 * old_time and old_delayed_time.  Return 0, or -1 with MemoryError when the
 * heap could not move the call (both are then put back as they were). */
static int
sync_deadline(DelayedCallObject *self, double old_time, double old_delayed_time)
{
    if (!in_owner_heap(self)) {
        return 0;
    }
    tf_heap *heap = tf_delayedcall_heap(self);
    double deadline = self->time + self->delayed_time;
    if (deadline != tf_heap_deadline(heap, &self->node) &&
        tf_heap_update(heap, &self->node, deadline) < 0) {
        self->time = old_time;
        self->delayed_time = old_delayed_time;
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Twisted's self.seconds(): the call's own seconds callable if it has one
 * (standalone, made while the clock's seconds was replaced, or set by the
 * user), else its owner's built-in clock. */
static int
call_now(DelayedCallObject *self, double *now)
{
    PyObject *seconds = extra_field(self, offsetof(tf_dc_extra, seconds));
    if (seconds == NULL) {
        if (self->owner != NULL) {
            TimerOwnerObject *owner = TimerOwner_CAST(self->owner);
            int error = 0;
            *now = owner->ops->builtin_now(owner, &error);
            return error ? -1 : 0;
        }
        PyErr_SetString(PyExc_AttributeError,
                        "'DelayedCall' object has no attribute 'seconds'");
        return -1;
    }
    Py_INCREF(seconds);
    PyObject *result = PyObject_CallNoArgs(seconds);
    Py_DECREF(seconds);
    if (result == NULL) {
        return -1;
    }
    *now = PyFloat_AsDouble(result);
    Py_DECREF(result);
    return (*now == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/* Call the standalone canceller or resetter with self. */
static int
call_hook(DelayedCallObject *self, size_t offset, const char *name)
{
    PyObject *hook = extra_field(self, offset);
    if (hook == NULL) {
        PyErr_Format(PyExc_AttributeError,
                     "'DelayedCall' object has no attribute '%s'", name);
        return -1;
    }
    Py_INCREF(hook);
    PyObject *result = PyObject_CallOneArg(hook, (PyObject *)self);
    Py_DECREF(hook);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/*
 * The module state, for the methods.  They take no defining class
 * (METH_METHOD): CPython 3.11+ specialises calls to METH_NOARGS, METH_O and
 * METH_FASTCALL methods but not to METH_METHOD ones, which measured ~100
 * instructions more per cancel.  A call made by a C owner has the state at
 * hand; another finds it through its type (ours is first in its MRO).
 */
static inline tf_state *
state_of_call(DelayedCallObject *self)
{
    if (self->owner != NULL && TimerOwner_CAST(self->owner)->state != NULL) {
        return TimerOwner_CAST(self->owner)->state;
    }
    return tf_get_state_of((PyObject *)self);
}

/*
 * DelayedCall.debug on our own type, a bool, found without an attribute
 * lookup while the type is unchanged since the last answer: every callLater
 * asks.  -1 when it is something else (a descriptor, gone, not a bool).
 */
static int
class_debug_flag(tf_state *state, PyTypeObject *type)
{
    unsigned int version = tf_type_version(type);
    if (version != 0 && version == state->debug_version) {
        return state->debug_flag;
    }
    PyObject *flag = tf_type_lookup(type, state->str_debug);
    if (flag != Py_True && flag != Py_False) {
        return -1;
    }
    state->debug_flag = flag == Py_True;
    state->debug_version = tf_type_version(type); /* the lookup set it */
    return state->debug_flag;
}

/* Twisted reads self.debug: the instance's, else the class attribute. */
static int
is_debug_lookup(tf_state *state, DelayedCallObject *self)
{
    PyObject *flag;
    PyTypeObject *type = Py_TYPE(self);
    if (self->dict == NULL && type == state->DelayedCallType) {
        /* No instance dict to shadow the class attribute: a bool there is
         * the answer. */
        int debug = class_debug_flag(state, type);
        if (debug >= 0) {
            return debug;
        }
    }
    flag = PyObject_GetAttr((PyObject *)self, state->str_debug);
    if (flag == NULL) {
        return -1;
    }
    int result = PyObject_IsTrue(flag);
    Py_DECREF(flag);
    return result;
}

/* is_debug_lookup, with the common answer inline: every callLater and
 * cancel asks (no instance dict, our own type, unchanged since asked). */
static inline int
is_debug(tf_state *state, DelayedCallObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    if (self->dict == NULL && type == state->DelayedCallType &&
        state->debug_version != 0 &&
        tf_type_version(type) == state->debug_version) {
        return state->debug_flag;
    }
    return is_debug_lookup(state, self);
}

/*
 * Debug mode: keep the creation stack, as Twisted's format_stack()[:-2].
 * Called from C, format_stack() already ends at the innermost Python frame;
 * drop says how many of those frames belong to the construction itself.
 */
static int
capture_creator(tf_state *state, DelayedCallObject *self, Py_ssize_t drop)
{
    PyObject *stack = PyObject_CallNoArgs(state->format_stack);
    if (stack == NULL) {
        return -1;
    }
    Py_ssize_t keep = PyList_GET_SIZE(stack) - drop;
    PyObject *creator = PyList_GetSlice(stack, 0, keep < 0 ? 0 : keep);
    Py_DECREF(stack);
    if (creator == NULL) {
        return -1;
    }
    int result = extra_set(self, offsetof(tf_dc_extra, creator), creator);
    Py_DECREF(creator);
    return result;
}

static int
maybe_capture_creator(tf_state *state, DelayedCallObject *self,
                      Py_ssize_t drop)
{
    int debug = is_debug(state, self);
    if (debug <= 0) {
        return debug;
    }
    return capture_creator(state, self, drop);
}

static void
init_fields(DelayedCallObject *self)
{
    self->func = NULL;
    self->args = NULL;
    self->kw = NULL;
    self->owner = NULL;
    self->extra = NULL;
    self->dict = NULL;
    self->weakreflist = NULL;
    self->time = 0.0;
    self->delayed_time = 0.0;
    self->node.seq = 0;
    self->node.index = TF_HEAP_NONE;
    self->called = 0;
    self->cancelled = 0;
    self->kw_lazy = 0;
    self->in_new = 0;
}

/* --- construction ---------------------------------------------------------- */

/*
 * Free list.  With a million pending timers, freeing a fired call touches
 * its allocator pool's header, which is no longer in cache, and the next
 * callLater allocates elsewhere; reusing the memory just freed avoids both.
 * The benchmark's clock-scaling workload shows 1.2x at a million pending
 * timers (and 1.07x at a thousand).  Only calls made by a C owner, of the
 * exact type, go on the list: their state is known without a lookup.
 */
#define TF_FREE_CALLS_MAX 256

static DelayedCallObject *
alloc_owned(tf_state *state)
{
    DelayedCallObject *self = state->free_calls;
    if (self == NULL) {
        return PyObject_GC_New(DelayedCallObject, state->DelayedCallType);
    }
    state->free_calls = (DelayedCallObject *)self->func;
    state->free_calls_len--;
    /* Untracked since its dealloc; a fresh reference to a fresh object. */
    return (DelayedCallObject *)PyObject_Init((PyObject *)self,
                                              state->DelayedCallType);
}

/* Keep a dead call's memory instead of freeing it; 0 when the list is full
 * or the call is not of the kind the list holds. */
static int
keep_for_reuse(DelayedCallObject *self, tf_state *state)
{
    if (state == NULL || Py_TYPE(self) != state->DelayedCallType ||
        state->free_calls_len >= TF_FREE_CALLS_MAX) {
        return 0;
    }
    self->func = (PyObject *)state->free_calls;
    state->free_calls = self;
    state->free_calls_len++;
    return 1;
}

void
tf_delayedcall_free_list_clear(tf_state *state)
{
    while (state->free_calls != NULL) {
        DelayedCallObject *self = state->free_calls;
        state->free_calls = (DelayedCallObject *)self->func;
        PyObject_GC_Del(self);
    }
    state->free_calls_len = 0;
}

PyObject *
tf_delayedcall_new_owned(tf_state *state, TimerOwnerObject *owner,
                         double time, PyObject *func, PyObject *args,
                         PyObject *kw, int in_new, PyObject *seconds)
{
    DelayedCallObject *self = alloc_owned(state);
    if (self == NULL) {
        return NULL;
    }
    init_fields(self);
    TF_LIVE_COUNT(state, live_delayedcalls, 1);
    self->func = Py_NewRef(func);
    self->args = Py_NewRef(args);
    self->kw = Py_XNewRef(kw);
    self->kw_lazy = (kw == NULL);
    self->owner = Py_NewRef((PyObject *)owner);
    self->time = time;
    if (maybe_capture_creator(state, self, 0) < 0 ||
        (seconds != NULL &&
         extra_set(self, offsetof(tf_dc_extra, seconds), seconds) < 0)) {
        goto error;
    }
    self->in_new = (char)in_new;
    if (tf_heap_push(tf_delayedcall_heap(self), &self->node, time) < 0) {
        PyErr_NoMemory();
        goto error;
    }
    Py_INCREF(self); /* the heap's reference */
    /* Not tracked while pending: see timerowner.h. */
    return (PyObject *)self;

error:
    Py_DECREF(self);
    return NULL;
}

static void delayedcall_dealloc(PyObject *op);

static PyObject *
delayedcall_new(PyTypeObject *type, PyObject *Py_UNUSED(args),
                PyObject *Py_UNUSED(kwds))
{
    DelayedCallObject *self = (DelayedCallObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    init_fields(self);
    TF_LIVE_COUNT(tf_get_state_by_type(type), live_delayedcalls, 1);
    return (PyObject *)self;
}

static int
delayedcall_init(PyObject *op, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"time", "func", "args", "kw", "cancel",
                             "reset", "seconds", NULL};
    DelayedCallObject *self = DelayedCall_CAST(op);
    tf_state *state = tf_get_state_by_type(Py_TYPE(op));
    double time;
    PyObject *func, *call_args, *kw, *cancel, *reset, *seconds = NULL;

    if (state == NULL) {
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "dOOOOO|O:DelayedCall",
                                     kwlist, &time, &func, &call_args, &kw,
                                     &cancel, &reset, &seconds)) {
        return -1;
    }
    if (tf_check_not_nan(time, "time") < 0) {
        return -1;
    }
    if (self->owner != NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "a DelayedCall made by a clock cannot be re-initialised");
        return -1;
    }
    Py_XSETREF(self->func, Py_NewRef(func));
    Py_XSETREF(self->args, Py_NewRef(call_args));
    Py_XSETREF(self->kw, Py_NewRef(kw));
    self->kw_lazy = 0;
    self->time = time;
    self->delayed_time = 0.0;
    self->called = self->cancelled = 0;
    if (extra_set(self, offsetof(tf_dc_extra, canceller), cancel) < 0 ||
        extra_set(self, offsetof(tf_dc_extra, resetter), reset) < 0 ||
        extra_set(self, offsetof(tf_dc_extra, seconds),
                  seconds ? seconds : state->runtime_seconds) < 0) {
        return -1;
    }
    /* From Python, the innermost frame is whoever called DelayedCall(...);
     * Twisted's [:-2] drops that caller too. */
    return maybe_capture_creator(state, self, 1);
}

/* --- lifetime -------------------------------------------------------------- */

int
tf_delayedcall_traverse_contents(DelayedCallObject *self, visitproc visit,
                                 void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->func);
    Py_VISIT(self->args);
    Py_VISIT(self->kw);
    Py_VISIT(self->dict);
    if (self->extra != NULL) {
        Py_VISIT(self->extra->canceller);
        Py_VISIT(self->extra->resetter);
        Py_VISIT(self->extra->seconds);
        Py_VISIT(self->extra->creator);
        Py_VISIT(self->extra->repr_cache);
    }
    return 0;
}

static int
delayedcall_traverse(PyObject *op, visitproc visit, void *arg)
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    Py_VISIT(self->owner);
    return tf_delayedcall_traverse_contents(self, visit, arg);
}

/*
 * Break cycles.  The owner is kept: while the call is in the owner's heap the
 * owner is part of any cycle the call is in, and the owner's own clear drops
 * the heap; dealloc releases it.
 */
static int
delayedcall_clear(PyObject *op)
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    Py_CLEAR(self->func);
    Py_CLEAR(self->args);
    Py_CLEAR(self->kw);
    self->kw_lazy = 0;
    Py_CLEAR(self->dict);
    extra_clear(self->extra);
    return 0;
}

static void
delayedcall_dealloc(PyObject *op)
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    TF_LIVE_COUNT(tf_get_state_by_base(type, delayedcall_dealloc),
                  live_delayedcalls, -1);
    /* A cancelled call usually holds nothing more. */
    if (self->func != NULL || self->args != NULL || self->kw != NULL ||
        self->dict != NULL || self->extra != NULL) {
        (void)delayedcall_clear(op);
        if (self->extra != NULL) {
            PyMem_Free(self->extra);
            self->extra = NULL;
        }
    }
    tf_state *state = NULL;
    if (self->owner != NULL) {
        state = TimerOwner_CAST(self->owner)->state;
        Py_CLEAR(self->owner);
    }
    if (!keep_for_reuse(self, state)) {
        type->tp_free(op);
    }
    Py_DECREF(type);
}

/* --- firing ---------------------------------------------------------------- */

static PyObject *
attribute_missing(const char *name)
{
    PyErr_Format(PyExc_AttributeError,
                 "'DelayedCall' object has no attribute '%s'", name);
    return NULL;
}

/* func(*args, **kw) for arguments the user may have replaced by any
 * iterable and any mapping, as Twisted's call.func(*call.args, **call.kw). */
static PyObject *
call_general(PyObject *func, PyObject *args, PyObject *kw)
{
    PyObject *tuple = PySequence_Tuple(args);
    if (tuple == NULL) {
        return NULL;
    }
    PyObject *dict = PyDict_New();
    if (dict == NULL || (kw != NULL && PyDict_Merge(dict, kw, 1) < 0)) {
        Py_DECREF(tuple);
        Py_XDECREF(dict);
        return NULL;
    }
    PyObject *result = PyObject_Call(func, tuple, dict);
    Py_DECREF(tuple);
    Py_DECREF(dict);
    return result;
}

int
tf_delayedcall_fire(DelayedCallObject *call)
{
    call->called = 1;
    if (call->func == NULL) {
        attribute_missing("func");
        return -1;
    }
    if (call->args == NULL) {
        attribute_missing("args");
        return -1;
    }
    if (call->kw == NULL && !call->kw_lazy) {
        attribute_missing("kw");
        return -1;
    }
    /* Own them: the function may replace or delete them while it runs. */
    PyObject *func = Py_NewRef(call->func);
    PyObject *args = Py_NewRef(call->args);
    PyObject *kw = Py_XNewRef(call->kw);
    PyObject *result;
    if (PyTuple_CheckExact(args) &&
        (kw == NULL || (PyDict_CheckExact(kw) && PyDict_GET_SIZE(kw) == 0))) {
        result = PyObject_Vectorcall(func, &PyTuple_GET_ITEM(args, 0),
                                     PyTuple_GET_SIZE(args), NULL);
    }
    else if (PyTuple_CheckExact(args) && PyDict_CheckExact(kw)) {
        result = PyObject_Call(func, args, kw);
    }
    else {
        result = call_general(func, args, kw);
    }
    Py_DECREF(func);
    Py_DECREF(args);
    Py_XDECREF(kw);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* --- IDelayedCall ---------------------------------------------------------- */

PyDoc_STRVAR(delayedcall_getTime_doc,
"getTime($self)\n--\n\n"
"Return the time at which this call will fire: C{time + delayed_time}.");

static PyObject *
delayedcall_getTime(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    return PyFloat_FromDouble(self->time + self->delayed_time);
}

PyDoc_STRVAR(delayedcall_active_doc,
"active($self)\n--\n\n"
"Return whether this call is still pending (neither called nor cancelled).");

static PyObject *
delayedcall_active(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    return PyBool_FromLong(!(self->cancelled || self->called));
}

/* Twisted's cancel() ends with: debug repr, then del func, args, kw. */
static int
finish_cancel(tf_state *state, DelayedCallObject *self)
{
    self->cancelled = 1;
    int debug = is_debug(state, self);
    if (debug < 0) {
        return -1;
    }
    if (debug) {
        PyObject *repr = PyObject_Repr((PyObject *)self);
        if (repr == NULL) {
            return -1;
        }
        int result = extra_set(self, offsetof(tf_dc_extra, repr_cache), repr);
        Py_DECREF(repr);
        if (result < 0) {
            return -1;
        }
    }
    Py_CLEAR(self->func);
    Py_CLEAR(self->args);
    Py_CLEAR(self->kw);
    self->kw_lazy = 0;
    return 0;
}

PyDoc_STRVAR(delayedcall_cancel_doc,
"cancel($self)\n--\n\n"
"Unschedule this call.\n\n"
"@raise AlreadyCancelled: if this call has already been unscheduled.\n"
"@raise AlreadyCalled: if this call has already been made.");

static PyObject *
delayedcall_cancel(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    tf_state *state = state_of_call(self);
    if (state == NULL) {
        return NULL;
    }
    if (raise_if_done(state, self) < 0) {
        return NULL;
    }
    if (self->owner != NULL) {
        if (tf_heap_contains(&self->node)) {
            TF_STATS_ADD(&TimerOwner_CAST(self->owner)->stats, cancelled, 1);
            tf_heap_remove(tf_delayedcall_heap(self), &self->node);
            tf_owner_adopted(self); /* our caller holds it */
            Py_DECREF(op);          /* the heap's reference */
        }
    }
    else if (call_hook(self, offsetof(tf_dc_extra, canceller), "canceller") < 0) {
        return NULL;
    }
    if (finish_cancel(state, self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Parse the one float argument of reset() and delay(). */
static int
parse_seconds(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
              const char *method, const char *name, double *value)
{
    PyObject *arg = tf_one_arg(args, nargs, kwnames, method, name);
    if (arg == NULL) {
        return -1;
    }
    *value = PyFloat_AsDouble(arg);
    if (*value == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    return tf_check_not_nan(*value, name);
}

PyDoc_STRVAR(delayedcall_reset_doc,
"reset($self, secondsFromNow)\n--\n\n"
"Reschedule this call for C{secondsFromNow} seconds after now.\n\n"
"@raise AlreadyCancelled: if this call has been cancelled.\n"
"@raise AlreadyCalled: if this call has already been made.");

static PyObject *
delayedcall_reset(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    tf_state *state = state_of_call(self);
    double seconds, now;
    tf_delayedcall_settle(self);
    if (parse_seconds(args, nargs, kwnames, "reset", "secondsFromNow",
                      &seconds) < 0 ||
        state == NULL || raise_if_done(state, self) < 0 ||
        call_now(self, &now) < 0) {
        return NULL;
    }
    double new_time = now + seconds;
    double old_time = self->time, old_delayed_time = self->delayed_time;
    if (tf_check_not_nan(new_time, "the new time") < 0) {
        return NULL;
    }
    if (new_time < self->time) {
        self->delayed_time = 0.0;
        self->time = new_time;
        if (self->owner == NULL &&
            call_hook(self, offsetof(tf_dc_extra, resetter), "resetter") < 0) {
            return NULL;
        }
    }
    else {
        /* Equal infinite times would give inf - inf, a NaN deadline. */
        self->delayed_time =
            new_time == self->time ? 0.0 : new_time - self->time;
    }
    if (sync_deadline(self, old_time, old_delayed_time) < 0) {
        return NULL;
    }
    count_reset(self);
    Py_RETURN_NONE;
}

/* Twisted's self.activate_delay(): through the attribute for subclasses,
 * which may override it. */
static int
activate_delay(tf_state *state, DelayedCallObject *self)
{
    if (Py_TYPE(self) != state->DelayedCallType) {
        PyObject *result = PyObject_CallMethodNoArgs((PyObject *)self,
                                                     state->str_activate_delay);
        Py_XDECREF(result);
        return result ? 0 : -1;
    }
    self->time += self->delayed_time;
    self->delayed_time = 0.0;
    return 0;
}

PyDoc_STRVAR(delayedcall_delay_doc,
"delay($self, secondsLater)\n--\n\n"
"Reschedule this call C{secondsLater} seconds after its current time.\n\n"
"@raise AlreadyCancelled: if this call has been cancelled.\n"
"@raise AlreadyCalled: if this call has already been made.");

static PyObject *
delayedcall_delay(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    tf_state *state = state_of_call(self);
    double seconds;
    tf_delayedcall_settle(self);
    if (parse_seconds(args, nargs, kwnames, "delay", "secondsLater",
                      &seconds) < 0 ||
        state == NULL || raise_if_done(state, self) < 0) {
        return NULL;
    }
    double delayed_time = self->delayed_time + seconds;
    double old_time = self->time, old_delayed_time = self->delayed_time;
    if (tf_check_not_nan(self->time + delayed_time, "the new time") < 0) {
        return NULL;
    }
    self->delayed_time = delayed_time;
    if (delayed_time < 0.0) {
        if (activate_delay(state, self) < 0) {
            return NULL;
        }
        if (self->owner == NULL &&
            call_hook(self, offsetof(tf_dc_extra, resetter), "resetter") < 0) {
            return NULL;
        }
    }
    if (sync_deadline(self, old_time, old_delayed_time) < 0) {
        return NULL;
    }
    count_reset(self);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(delayedcall_activate_delay_doc,
"activate_delay($self)\n--\n\n"
"Fold C{delayed_time} into C{time}.");

static PyObject *
delayedcall_activate_delay(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    double old_time = self->time, old_delayed_time = self->delayed_time;
    self->time += self->delayed_time;
    self->delayed_time = 0.0;
    if (sync_deadline(self, old_time, old_delayed_time) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* --- comparison and repr --------------------------------------------------- */

/*
 * Twisted defines only __lt__ and __le__, on .time alone; > and >= reach
 * them through Python's reflected operands, == and != stay identity.
 */
static PyObject *
delayedcall_richcompare(PyObject *op, PyObject *other, int cmp)
{
    if (cmp != Py_LT && cmp != Py_LE) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    tf_delayedcall_settle(DelayedCall_CAST(op));
    double mine = DelayedCall_CAST(op)->time;
    /* Same slot, same layout: ours or a subclass (no state lookup needed,
     * which matters when Twisted's reactor heapq compares our calls). */
    if (Py_TYPE(other)->tp_richcompare == delayedcall_richcompare) {
        tf_delayedcall_settle(DelayedCall_CAST(other));
        double theirs = DelayedCall_CAST(other)->time;
        return PyBool_FromLong(cmp == Py_LT ? mine < theirs : mine <= theirs);
    }
    tf_state *state = state_of_call(DelayedCall_CAST(op));
    if (state == NULL) {
        return NULL;
    }
    if (state->strict_comparison) {
        /* Twisted 22.10: isinstance(other, DelayedCall), where install()
         * may have made DelayedCall ours: ours, or Twisted's own. */
        int instance = PyObject_IsInstance(other, state->twisted_dc_class);
        if (instance <= 0) {
            if (instance < 0) {
                return NULL;
            }
            Py_RETURN_NOTIMPLEMENTED;
        }
    }
    PyObject *theirs = PyObject_GetAttrString(other, "time");
    if (theirs == NULL) {
        return NULL;
    }
    PyObject *time = PyFloat_FromDouble(mine);
    PyObject *result = time ? PyObject_RichCompare(time, theirs, cmp) : NULL;
    Py_XDECREF(time);
    Py_DECREF(theirs);
    return result;
}

/* Identity hash, as object.__hash__ (defining richcompare would otherwise
 * make the type unhashable); same formula as CPython's pointer hash. */
static Py_hash_t
delayedcall_hash(PyObject *op)
{
    size_t bits = (size_t)op;
    bits = (bits >> 4) | (bits << (8 * sizeof(void *) - 4));
    Py_hash_t hash = (Py_hash_t)bits;
    return hash == -1 ? -2 : hash;
}

/* Twisted's own __repr__ runs on our attributes: the format is theirs, to
 * the letter, and it is not a hot path. */
static PyObject *
delayedcall_repr(PyObject *op)
{
    tf_state *state = tf_get_state_by_base(Py_TYPE(op), delayedcall_dealloc);
    if (state == NULL) {
        PyErr_SetString(PyExc_SystemError, "DelayedCall without its module");
        return NULL;
    }
    return PyObject_CallOneArg(state->twisted_dc_repr, op);
}

/* --- attributes ------------------------------------------------------------ */

static PyObject *
get_object(PyObject *value, const char *name)
{
    return value ? Py_NewRef(value) : attribute_missing(name);
}

static int
set_object(PyObject **slot, PyObject *value, const char *name)
{
    if (value == NULL && *slot == NULL) {
        attribute_missing(name);
        return -1;
    }
    Py_XSETREF(*slot, Py_XNewRef(value));
    return 0;
}

static PyObject *
delayedcall_get_func(PyObject *op, void *Py_UNUSED(closure))
{
    return get_object(DelayedCall_CAST(op)->func, "func");
}

static int
delayedcall_set_func(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    return set_object(&DelayedCall_CAST(op)->func, value, "func");
}

static PyObject *
delayedcall_get_args(PyObject *op, void *Py_UNUSED(closure))
{
    return get_object(DelayedCall_CAST(op)->args, "args");
}

static int
delayedcall_set_args(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    return set_object(&DelayedCall_CAST(op)->args, value, "args");
}

static PyObject *
delayedcall_get_kw(PyObject *op, void *Py_UNUSED(closure))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    if (self->kw == NULL && self->kw_lazy) {
        self->kw = PyDict_New();
        if (self->kw == NULL) {
            return NULL;
        }
        self->kw_lazy = 0;
    }
    return get_object(self->kw, "kw");
}

static int
delayedcall_set_kw(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    if (self->kw_lazy) {
        self->kw_lazy = 0;
        Py_XSETREF(self->kw, Py_XNewRef(value));
        return 0;
    }
    return set_object(&self->kw, value, "kw");
}

static int
refuse_delete(PyObject *value, const char *name)
{
    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "cannot delete '%s'", name);
        return -1;
    }
    return 0;
}

/* Set a time field; keep the heap in step. */
static int
set_time_field(DelayedCallObject *self, double *field, PyObject *value,
               const char *name)
{
    if (refuse_delete(value, name) < 0) {
        return -1;
    }
    double number = PyFloat_AsDouble(value);
    if ((number == -1.0 && PyErr_Occurred()) ||
        tf_check_not_nan(number, name) < 0) {
        return -1;
    }
    double old_time = self->time, old_delayed_time = self->delayed_time;
    *field = number;
    return sync_deadline(self, old_time, old_delayed_time);
}

static PyObject *
delayedcall_get_time(PyObject *op, void *Py_UNUSED(closure))
{
    tf_delayedcall_settle(DelayedCall_CAST(op));
    return PyFloat_FromDouble(DelayedCall_CAST(op)->time);
}

static int
delayedcall_set_time(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    return set_time_field(self, &self->time, value, "time");
}

static PyObject *
delayedcall_get_delayed_time(PyObject *op, void *Py_UNUSED(closure))
{
    tf_delayedcall_settle(DelayedCall_CAST(op));
    return PyFloat_FromDouble(DelayedCall_CAST(op)->delayed_time);
}

static int
delayedcall_set_delayed_time(PyObject *op, PyObject *value,
                             void *Py_UNUSED(closure))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    return set_time_field(self, &self->delayed_time, value, "delayed_time");
}

/* called and cancelled read as the ints 0 and 1, as Twisted's do. */
static int
set_flag(char *flag, PyObject *value, const char *name)
{
    if (refuse_delete(value, name) < 0) {
        return -1;
    }
    int truth = PyObject_IsTrue(value);
    if (truth < 0) {
        return -1;
    }
    *flag = (char)truth;
    return 0;
}

static PyObject *
delayedcall_get_called(PyObject *op, void *Py_UNUSED(closure))
{
    return PyLong_FromLong(DelayedCall_CAST(op)->called);
}

static int
delayedcall_set_called(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    return set_flag(&DelayedCall_CAST(op)->called, value, "called");
}

static PyObject *
delayedcall_get_cancelled(PyObject *op, void *Py_UNUSED(closure))
{
    return PyLong_FromLong(DelayedCall_CAST(op)->cancelled);
}

static int
delayedcall_set_cancelled(PyObject *op, PyObject *value,
                          void *Py_UNUSED(closure))
{
    return set_flag(&DelayedCall_CAST(op)->cancelled, value, "cancelled");
}

/* The extra fields, addressed by their offset in tf_dc_extra (closure). */
#define TF_EXTRA_OFFSET(closure) ((size_t)(uintptr_t)(closure))
#define TF_EXTRA_CLOSURE(field) ((void *)(uintptr_t)offsetof(tf_dc_extra, field))

/* seconds of an owned call is its clock's bound seconds method. */
static PyObject *
delayedcall_get_seconds(PyObject *op, void *Py_UNUSED(closure))
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    PyObject *seconds = extra_field(self, offsetof(tf_dc_extra, seconds));
    if (seconds == NULL && self->owner != NULL) {
        TimerOwnerObject *owner = TimerOwner_CAST(self->owner);
        return owner->ops->builtin_seconds(owner);
    }
    return get_object(seconds, "seconds");
}

/* Hooks and seconds of a standalone call; canceller and resetter of an owned
 * call are its clock's heap, which Python cannot replace. */
static PyObject *
delayedcall_get_hook(PyObject *op, void *closure)
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    if (self->owner != NULL) {
        Py_RETURN_NONE;
    }
    PyObject *hook = extra_field(self, TF_EXTRA_OFFSET(closure));
    return get_object(hook, "canceller or resetter");
}

static int
delayedcall_set_extra(PyObject *op, PyObject *value, void *closure)
{
    DelayedCallObject *self = DelayedCall_CAST(op);
    size_t offset = TF_EXTRA_OFFSET(closure);
    if (self->owner != NULL && offset != offsetof(tf_dc_extra, seconds)) {
        PyErr_SetString(PyExc_AttributeError,
                        "the canceller and resetter of a call made by a "
                        "twisted-fast clock are fixed");
        return -1;
    }
    return extra_set(self, offset, value);
}

/* creator and _repr read as None when unset, like Twisted's class attributes. */
static PyObject *
delayedcall_get_optional(PyObject *op, void *closure)
{
    PyObject *value = extra_field(DelayedCall_CAST(op), TF_EXTRA_OFFSET(closure));
    return Py_NewRef(value ? value : Py_None);
}

static int
delayedcall_set_optional(PyObject *op, PyObject *value, void *closure)
{
    return extra_set(DelayedCall_CAST(op), TF_EXTRA_OFFSET(closure),
                     value == Py_None ? NULL : value);
}

static PyGetSetDef delayedcall_getset[] = {
    {"func", delayedcall_get_func, delayedcall_set_func,
     "The callable to call.", NULL},
    {"args", delayedcall_get_args, delayedcall_set_args,
     "The positional arguments.", NULL},
    {"kw", delayedcall_get_kw, delayedcall_set_kw,
     "The keyword arguments.", NULL},
    {"time", delayedcall_get_time, delayedcall_set_time,
     "The scheduled time, before delayed_time.", NULL},
    {"delayed_time", delayedcall_get_delayed_time,
     delayedcall_set_delayed_time, "Seconds added by reset or delay.", NULL},
    {"called", delayedcall_get_called, delayedcall_set_called,
     "1 once the call has been made, else 0.", NULL},
    {"cancelled", delayedcall_get_cancelled, delayedcall_set_cancelled,
     "1 once the call has been cancelled, else 0.", NULL},
    {"seconds", delayedcall_get_seconds, delayedcall_set_extra,
     "The no-argument callable that tells the current time.",
     TF_EXTRA_CLOSURE(seconds)},
    {"canceller", delayedcall_get_hook, delayedcall_set_extra,
     "Called with this call before it is cancelled (standalone calls).",
     TF_EXTRA_CLOSURE(canceller)},
    {"resetter", delayedcall_get_hook, delayedcall_set_extra,
     "Called with this call after it moved sooner (standalone calls).",
     TF_EXTRA_CLOSURE(resetter)},
    {"creator", delayedcall_get_optional, delayedcall_set_optional,
     "In debug mode, the stack at creation.", TF_EXTRA_CLOSURE(creator)},
    {"_repr", delayedcall_get_optional, delayedcall_set_optional,
     "In debug mode, the repr frozen at cancel.", TF_EXTRA_CLOSURE(repr_cache)},
    {NULL},
};

static PyMemberDef delayedcall_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(DelayedCallObject, dict), READONLY},
    {"__weaklistoffset__", T_PYSSIZET,
     offsetof(DelayedCallObject, weakreflist), READONLY},
    {NULL},
};

static PyMethodDef delayedcall_methods[] = {
    {"getTime", delayedcall_getTime, METH_NOARGS, delayedcall_getTime_doc},
    {"cancel", delayedcall_cancel, METH_NOARGS, delayedcall_cancel_doc},
    {"reset", (PyCFunction)(void (*)(void))delayedcall_reset,
     METH_FASTCALL | METH_KEYWORDS, delayedcall_reset_doc},
    {"delay", (PyCFunction)(void (*)(void))delayedcall_delay,
     METH_FASTCALL | METH_KEYWORDS, delayedcall_delay_doc},
    {"activate_delay", delayedcall_activate_delay, METH_NOARGS,
     delayedcall_activate_delay_doc},
    {"active", delayedcall_active, METH_NOARGS, delayedcall_active_doc},
    {NULL},
};

static PyType_Slot delayedcall_slots[] = {
    {Py_tp_doc, (void *)delayedcall_doc},
    {Py_tp_new, delayedcall_new},
    {Py_tp_init, delayedcall_init},
    {Py_tp_dealloc, delayedcall_dealloc},
    {Py_tp_traverse, delayedcall_traverse},
    {Py_tp_clear, delayedcall_clear},
    {Py_tp_richcompare, delayedcall_richcompare},
    {Py_tp_hash, delayedcall_hash},
    {Py_tp_repr, delayedcall_repr},
    {Py_tp_methods, delayedcall_methods},
    {Py_tp_getset, delayedcall_getset},
    {Py_tp_members, delayedcall_members},
    {0, NULL},
};

PyType_Spec tf_delayedcall_spec = {
    .name = "twisted_fast._speedups.DelayedCall",
    .basicsize = sizeof(DelayedCallObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = delayedcall_slots,
};
