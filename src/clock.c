/*
 * clock.c: Clock, the C twin of twisted.internet.task.Clock.
 *
 * Mirrors: twisted/internet/task.py, class Clock (IReactorTime).
 * Owns: the fake time (rightNow) and a tf_heap of the pending DelayedCalls it
 * made, holding one strong reference to each.
 *
 * Twisted keeps a list and re-sorts it on every callLater and after every
 * call that advance() runs: O(n log n) per operation.  Here callLater,
 * cancel, reset and delay are O(log n) heap operations and advance pops the
 * due calls one at a time.  `calls` and getDelayedCalls() build the sorted
 * list on demand.
 *
 * Calls into Python: advance and pump run the due calls, which may do
 * anything to this clock (schedule, cancel, reset, advance again, drop the
 * last reference to a call); an overridden seconds() runs Python too.  After
 * each such call the loop re-reads the heap from scratch.
 */
#include "timerowner.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "structmember.h"

typedef struct {
    TimerOwnerObject owner; /* must come first: calls reach their heap */
    PyObject *dict;
    PyObject *weakreflist;
    double right_now;
} ClockObject;

#define Clock_CAST(op) ((ClockObject *)(op))

PyDoc_STRVAR(clock_doc,
"Clock()\n--\n\n"
"Provide a deterministic, easily-controlled implementation of\n"
"L{IReactorTime.callLater}, as L{twisted.internet.task.Clock} does, with\n"
"pending calls kept in a C timer heap.");

/* --- time ------------------------------------------------------------------ */

/*
 * Where this clock's time comes from.  Twisted's Clock reads self.seconds()
 * and self.rightNow by attribute every time, so tests may replace either:
 * seconds on the instance, on a subclass or on the class itself (patched),
 * rightNow as a subclass's class attribute.  A plain Clock answers with a
 * pointer test and two lookups in its type's dict.
 */
typedef enum {
    TIME_FIELD,     /* the C field right_now */
    TIME_ATTRIBUTE, /* self.rightNow: a subclass shadows our descriptor */
    TIME_METHOD,    /* self.seconds(): replaced */
} time_source;

/* Is name, looked up on the type, still the descriptor we defined?  (When
 * it was deleted, "no": the attribute access that follows raises the
 * AttributeError where Twisted would.) */
static inline int
type_attribute_is(PyTypeObject *type, PyObject *name, PyObject *ours)
{
    return tf_type_lookup(type, name) == ours;
}

static int
time_source_of(ClockObject *self)
{
    tf_state *state = self->owner.state;
    PyTypeObject *type = Py_TYPE(self);
    if (self->dict != NULL) {
        int found = PyDict_Contains(self->dict, state->str_seconds);
        if (found != 0) {
            return found < 0 ? -1 : TIME_METHOD;
        }
    }
    if (!type_attribute_is(type, state->str_seconds,
                           state->clock_seconds_descr)) {
        return TIME_METHOD;
    }
    if (!type_attribute_is(type, state->str_rightNow,
                           state->clock_rightNow_descr)) {
        return TIME_ATTRIBUTE;
    }
    return TIME_FIELD;
}

/* float(self.<name>) or float(self.<name>()). */
static int
read_time_from(ClockObject *self, PyObject *name, int call, double *now)
{
    PyObject *result = call ? PyObject_CallMethodNoArgs((PyObject *)self, name)
                            : PyObject_GetAttr((PyObject *)self, name);
    if (result == NULL) {
        return -1;
    }
    *now = PyFloat_AsDouble(result);
    Py_DECREF(result);
    return (*now == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/* float(callable()). */
static int
read_time_by_calling(PyObject *callable, double *now)
{
    PyObject *result = PyObject_CallNoArgs(callable);
    if (result == NULL) {
        return -1;
    }
    *now = PyFloat_AsDouble(result);
    Py_DECREF(result);
    return (*now == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/*
 * The clock's time.  With source, also what a new call keeps, as Twisted's
 * Clock.callLater gives DelayedCall its bound self.seconds: nothing when
 * that is our own seconds() reading the rightNow field (the built-in
 * clock), else that bound method.
 */
static int
clock_now(TimerOwnerObject *owner, double *now, PyObject **source)
{
    ClockObject *self = Clock_CAST(owner);
    int kind = time_source_of(self);
    if (kind < 0) {
        return -1;
    }
    if (kind == TIME_FIELD) {
        *now = self->right_now;
        return 0;
    }
    if (source == NULL) {
        return kind == TIME_ATTRIBUTE
                   ? read_time_from(self, owner->state->str_rightNow, 0, now)
                   : read_time_from(self, owner->state->str_seconds, 1, now);
    }
    *source = PyObject_GetAttr((PyObject *)self, owner->state->str_seconds);
    if (*source == NULL || read_time_by_calling(*source, now) < 0) {
        Py_CLEAR(*source);
        return -1;
    }
    return 0;
}

static double
clock_builtin_now(TimerOwnerObject *owner, int *Py_UNUSED(error))
{
    return Clock_CAST(owner)->right_now;
}

static PyObject *
clock_builtin_seconds(TimerOwnerObject *owner)
{
    return PyObject_GetAttr((PyObject *)owner, owner->state->str_seconds);
}

static const tf_owner_ops clock_ops = {
    .now = clock_now,
    .builtin_now = clock_builtin_now,
    .builtin_seconds = clock_builtin_seconds,
};

/* --- methods ----------------------------------------------------------------- */

PyDoc_STRVAR(clock_seconds_doc,
"seconds($self)\n--\n\n"
"Pretend to be time.time(): return the clock's current time, C{rightNow}.");

static PyObject *
clock_seconds(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    ClockObject *self = Clock_CAST(op);
    tf_state *state = self->owner.state;
    if (!type_attribute_is(Py_TYPE(self), state->str_rightNow,
                           state->clock_rightNow_descr)) {
        return PyObject_GetAttr(op, state->str_rightNow);
    }
    return PyFloat_FromDouble(self->right_now);
}

PyDoc_STRVAR(clock_callLater_doc,
"callLater($self, delay, callable, *args, **kw)\n--\n\n"
"Call C{callable(*args, **kw)} once the clock has advanced C{delay} seconds\n"
"from now; see L{IReactorTime.callLater}.\n\n"
"@raise TypeError: if C{callable} is not callable.\n"
"@raise ValueError: if C{delay} is NaN.");

/* Clock.callLater's own checks: a number for delay, a callable. */
static int
clock_check_call(PyObject *delay, PyObject *callable, double *seconds)
{
    *seconds = PyFloat_AsDouble(delay);
    if (*seconds == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    if (!PyCallable_Check(callable)) {
        PyErr_Format(PyExc_TypeError, "%R is not callable", callable);
        return -1;
    }
    return 0;
}

static PyObject *
clock_callLater(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return tf_owner_call_later(&Clock_CAST(op)->owner, args, nargs, kwnames,
                               clock_check_call, 0);
}

/* --- for the LoopingCall tick -------------------------------------------------- */

/* Is method `name` of this exact C Clock still ours (not replaced on the
 * instance or patched on the class)? */
static int
method_is_ours(ClockObject *self, PyObject *name, PyObject *ours)
{
    tf_state *state = self->owner.state;
    if (self->dict != NULL) {
        int found = PyDict_Contains(self->dict, name);
        if (found != 0) {
            return found < 0 ? -1 : 0;
        }
    }
    PyObject *method = PyDict_GetItemWithError(state->ClockType->tp_dict, name);
    if (method == NULL && PyErr_Occurred()) {
        return -1;
    }
    return method != NULL && method == ours;
}

PyObject *
tf_clock_seconds_of(PyObject *clock)
{
    tf_state *state = Clock_CAST(clock)->owner.state;
    if (Py_TYPE(clock) == state->ClockType) {
        int kind = time_source_of(Clock_CAST(clock));
        if (kind < 0) {
            return NULL;
        }
        if (kind == TIME_FIELD) {
            return PyFloat_FromDouble(Clock_CAST(clock)->right_now);
        }
    }
    return PyObject_CallMethodNoArgs(clock, state->str_seconds);
}

PyObject *
tf_clock_call_later_of(PyObject *clock, PyObject *delay, PyObject *callable)
{
    tf_state *state = Clock_CAST(clock)->owner.state;
    if (Py_TYPE(clock) == state->ClockType) {
        int ours = method_is_ours(Clock_CAST(clock), state->str_callLater,
                                  state->clock_callLater_descr);
        if (ours < 0) {
            return NULL;
        }
        if (ours) {
            PyObject *args[2] = {delay, callable};
            return tf_owner_call_later(&Clock_CAST(clock)->owner, args, 2,
                                       NULL, clock_check_call, 0);
        }
    }
    return PyObject_CallMethodObjArgs(clock, state->str_callLater, delay,
                                      callable, NULL);
}

/* Run every call due at the clock's current time, in order. */
static int
run_due_calls(ClockObject *self)
{
    tf_pass pass;
    int result = 0;
    tf_pass_begin(&pass, &self->owner);
    /* As Twisted's "while self.calls and ... <= self.seconds()": the time
     * is asked only while calls are pending. */
    while (tf_heap_len(&self->owner.heap) > 0) {
        double now;
        if (clock_now(&self->owner, &now, NULL) < 0) {
            result = -1;
            break;
        }
        DelayedCallObject *call;
        int found = tf_owner_pop_due(&self->owner, now, &call);
        if (found <= 0) {
            result = found;
            break;
        }
        /* Due at getTime(), what Twisted's advance() compares with now. */
        result = tf_pass_fire(&pass, call, call->time + call->delayed_time,
                              now);
        if (Py_REFCNT(call) > 1) {
            tf_owner_adopted(call); /* it outlives our reference */
        }
        Py_DECREF(call);
        if (result < 0) {
            break;
        }
    }
    tf_pass_end(&pass);
    return result;
}

static int
parse_time(PyObject *value, double *out, const char *what)
{
    *out = PyFloat_AsDouble(value);
    if (*out == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    return tf_check_not_nan(*out, what);
}

PyDoc_STRVAR(clock_advance_doc,
"advance($self, amount)\n--\n\n"
"Move time on this clock forward by C{amount} seconds and run whatever\n"
"pending calls are due.  An exception raised by a call propagates; the\n"
"calls not yet run stay pending.\n\n"
"@raise ValueError: if C{amount} is NaN.");

/* self.rightNow += amount, where a subclass shadows our rightNow. */
static int
advance_attribute(ClockObject *self, PyObject *amount)
{
    PyObject *name = self->owner.state->str_rightNow;
    PyObject *now = PyObject_GetAttr((PyObject *)self, name);
    if (now == NULL) {
        return -1;
    }
    PyObject *later = PyNumber_InPlaceAdd(now, amount);
    Py_DECREF(now);
    if (later == NULL) {
        return -1;
    }
    int result = PyObject_SetAttr((PyObject *)self, name, later);
    Py_DECREF(later);
    return result;
}

static PyObject *
clock_advance(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    ClockObject *self = Clock_CAST(op);
    tf_state *state = self->owner.state;
    double seconds;
    PyObject *amount = tf_one_arg(args, nargs, kwnames, "advance", "amount");
    if (amount == NULL || parse_time(amount, &seconds, "amount") < 0) {
        return NULL;
    }
    if (!type_attribute_is(Py_TYPE(self), state->str_rightNow,
                           state->clock_rightNow_descr)) {
        if (advance_attribute(self, amount) < 0) {
            return NULL;
        }
    }
    else if (tf_check_not_nan(self->right_now + seconds, "the new time") < 0) {
        return NULL;
    }
    else {
        self->right_now += seconds;
    }
    if (run_due_calls(self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(clock_pump_doc,
"pump($self, timings)\n--\n\n"
"Advance incrementally by the given set of times.");

static PyObject *
clock_pump(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    PyObject *advance = Clock_CAST(op)->owner.state->str_advance;
    PyObject *timings = tf_one_arg(args, nargs, kwnames, "pump", "timings");
    if (timings == NULL) {
        return NULL;
    }
    PyObject *iterator = PyObject_GetIter(timings);
    if (iterator == NULL) {
        return NULL;
    }
    PyObject *amount;
    while ((amount = PyIter_Next(iterator)) != NULL) {
        /* Through the attribute, as Twisted's self.advance(amount). */
        PyObject *result = PyObject_CallMethodOneArg(op, advance, amount);
        Py_DECREF(amount);
        if (result == NULL) {
            break;
        }
        Py_DECREF(result);
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(clock_getDelayedCalls_doc,
"getDelayedCalls($self)\n--\n\n"
"Return the pending calls, sorted by the time they will fire.");

static PyObject *
clock_getDelayedCalls(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    return tf_owner_sorted_calls(&Clock_CAST(op)->owner.heap);
}

/* --- attributes -------------------------------------------------------------- */

static PyObject *
clock_get_rightNow(PyObject *op, void *Py_UNUSED(closure))
{
    return PyFloat_FromDouble(Clock_CAST(op)->right_now);
}

static int
clock_set_rightNow(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete 'rightNow'");
        return -1;
    }
    return parse_time(value, &Clock_CAST(op)->right_now, "rightNow");
}

static PyObject *
clock_get_calls(PyObject *op, void *Py_UNUSED(closure))
{
    return tf_owner_sorted_calls(&Clock_CAST(op)->owner.heap);
}

/* Is value a call of ours that may go (back) into our heap? */
static int
is_pending_call_of(ClockObject *self, PyObject *value)
{
    if (!PyObject_TypeCheck(value, self->owner.state->DelayedCallType)) {
        PyErr_Format(PyExc_TypeError,
                     "Clock.calls takes DelayedCalls, not %.100s",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    DelayedCallObject *call = DelayedCall_CAST(value);
    if (call->owner != (PyObject *)self) {
        PyErr_SetString(PyExc_ValueError,
                        "Clock.calls takes only calls made by this clock");
        return -1;
    }
    return !(call->called || call->cancelled);
}

/* Assigning a list of this clock's calls makes them the pending set;
 * Clock.__init__ in Twisted assigns []. */
static int
clock_set_calls(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    ClockObject *self = Clock_CAST(op);
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete 'calls'");
        return -1;
    }
    /* A tuple of our own, not the list itself: releasing the old calls
     * runs Python code, which may change the list. */
    PyObject *items = PySequence_Tuple(value);
    if (items == NULL) {
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(items);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_pending_call_of(self, PyTuple_GET_ITEM(items, i)) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    tf_owner_release_calls(&self->owner);
    for (Py_ssize_t i = 0; i < n; i++) {
        DelayedCallObject *call = DelayedCall_CAST(PyTuple_GET_ITEM(items, i));
        /* release_heap may have run Python: check again. */
        if (call->called || call->cancelled || tf_heap_contains(&call->node) ||
            call->owner != op) {
            continue;
        }
        if (tf_owner_requeue(&self->owner, call) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    return 0;
}

/* --- lifetime ---------------------------------------------------------------- */

static PyObject *
clock_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    tf_state *state = tf_get_state_by_type(type);
    if (state == NULL) {
        return NULL;
    }
    ClockObject *self = (ClockObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    TF_LIVE_COUNT(state, live_clocks, 1);
    tf_owner_init(&self->owner, state, &clock_ops);
    return (PyObject *)self;
}

static int
clock_init(PyObject *op, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, ":Clock", kwlist)) {
        return -1;
    }
    /* Twisted's __init__ starts an empty list of calls. */
    tf_owner_release_calls(&Clock_CAST(op)->owner);
    return 0;
}

static int
clock_traverse(PyObject *op, visitproc visit, void *arg)
{
    ClockObject *self = Clock_CAST(op);
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->dict);
    return tf_owner_traverse(&self->owner, visit, arg);
}

static int
clock_clear(PyObject *op)
{
    ClockObject *self = Clock_CAST(op);
    Py_CLEAR(self->dict);
    tf_owner_release_calls(&self->owner);
    return 0;
}

static void
clock_dealloc(PyObject *op)
{
    ClockObject *self = Clock_CAST(op);
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    TF_LIVE_COUNT(self->owner.state, live_clocks, -1);
    Py_CLEAR(self->dict);
    tf_owner_fini(&self->owner);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyGetSetDef clock_getset[] = {
    {"rightNow", clock_get_rightNow, clock_set_rightNow,
     "The clock's current time.", NULL},
    {"calls", clock_get_calls, clock_set_calls,
     "The pending calls, sorted by the time they will fire (a new list).",
     NULL},
    {NULL},
};

static PyMemberDef clock_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(ClockObject, dict), READONLY},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(ClockObject, weakreflist),
     READONLY},
    {NULL},
};

static PyMethodDef clock_methods[] = {
    {"seconds", clock_seconds, METH_NOARGS, clock_seconds_doc},
    {"callLater", (PyCFunction)(void (*)(void))clock_callLater,
     METH_FASTCALL | METH_KEYWORDS, clock_callLater_doc},
    {"advance", (PyCFunction)(void (*)(void))clock_advance,
     METH_FASTCALL | METH_KEYWORDS, clock_advance_doc},
    {"pump", (PyCFunction)(void (*)(void))clock_pump,
     METH_FASTCALL | METH_KEYWORDS, clock_pump_doc},
    {"getDelayedCalls", clock_getDelayedCalls, METH_NOARGS,
     clock_getDelayedCalls_doc},
    {"__sizeof__", tf_owner_sizeof, METH_NOARGS, tf_owner_sizeof_doc},
    {NULL},
};

static PyType_Slot clock_slots[] = {
    {Py_tp_doc, (void *)clock_doc},
    {Py_tp_new, clock_new},
    {Py_tp_init, clock_init},
    {Py_tp_dealloc, clock_dealloc},
    {Py_tp_traverse, clock_traverse},
    {Py_tp_clear, clock_clear},
    {Py_tp_methods, clock_methods},
    {Py_tp_getset, clock_getset},
    {Py_tp_members, clock_members},
    {0, NULL},
};

PyType_Spec tf_clock_spec = {
    .name = "twisted_fast._speedups.Clock",
    .basicsize = sizeof(ClockObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = clock_slots,
};

