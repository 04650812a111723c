/*
 * timerqueue.c: ReactorTimers, the timed-call half of Twisted's ReactorBase
 * in C, as a base class that a reactor class lists before Twisted's own.
 *
 * Mirrors: twisted/internet/base.py, ReactorBase.callLater,
 * getDelayedCalls, _insertNewDelayedCalls, timeout and the timed-call loop
 * of runUntilCurrent (the rest of runUntilCurrent, threads and shutdown,
 * stays in Python: twisted_fast/reactor.py).
 * Owns: the reactor's timer heaps (timerowner.h).  New calls wait in
 * new_heap until the next timeout() or pass, as in Twisted's
 * _newTimedCalls, so a call scheduled by a timed call waits for the next
 * pass; cancel and reset act on whichever heap holds the call, at once
 * (Twisted cancels lazily and re-sorts on reset).
 *
 * Calls into Python: the reactor's seconds() when it is replaced, the timed
 * calls, and the reactor's _timedCallFailed() (logging) when one raises.
 * The pass re-reads the heap after each of them.
 */
#include "timerowner.h"

#include <time.h>

#include "structmember.h"

typedef struct {
    TimerOwnerObject owner; /* must come first: calls reach their heap */
    PyObject *dict;
    PyObject *weakreflist;
} ReactorTimersObject;

#define ReactorTimers_CAST(op) ((ReactorTimersObject *)(op))

/* epoll_wait(2) takes an int of milliseconds: Twisted's longest timeout. */
#define TF_LONGEST_TIMEOUT 2147483

PyDoc_STRVAR(reactortimers_doc,
"ReactorTimers()\n--\n\n"
"The timed calls of a reactor: callLater, getDelayedCalls, timeout and the\n"
"timed-call pass of runUntilCurrent, on a C timer heap.  A base class to\n"
"list before a Twisted reactor class; see twisted_fast.reactor.");

/* --- time ------------------------------------------------------------------ */

/* time.time(), as the float CPython's time module makes of the same clock. */
static int
wall_clock(double *now)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    *now = ns % 1000000000 == 0 ? (double)(ns / 1000000000) : (double)ns / 1e9;
    return 0;
}

/*
 * self.seconds(): ReactorBase's is staticmethod(runtimeSeconds), that is
 * time.time(); tests replace it on the instance or in a subclass.
 */
static int
reactor_now(TimerOwnerObject *owner, double *now)
{
    PyObject *self = (PyObject *)owner;
    tf_state *state = owner->state;
    PyObject *seconds = NULL;
    PyObject *dict = ReactorTimers_CAST(self)->dict;
    if (dict != NULL) {
        seconds = PyDict_GetItemWithError(dict, state->str_seconds);
        if (seconds == NULL && PyErr_Occurred()) {
            return -1;
        }
    }
    if (seconds == NULL) {
        seconds = PyObject_GetAttr((PyObject *)Py_TYPE(self),
                                   state->str_seconds);
        if (seconds == NULL) {
            return -1;
        }
        int plain = seconds == state->runtime_seconds;
        Py_DECREF(seconds);
        if (plain) {
            return wall_clock(now);
        }
        seconds = NULL;
    }
    PyObject *result = seconds ? PyObject_CallNoArgs(seconds)
                               : PyObject_CallMethodNoArgs(self,
                                                           state->str_seconds);
    if (result == NULL) {
        return -1;
    }
    *now = PyFloat_AsDouble(result);
    Py_DECREF(result);
    return (*now == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

static const tf_owner_ops reactor_ops = {
    .now = reactor_now,
};

/* --- IReactorTime ------------------------------------------------------------ */

/* ReactorBase.callLater's assertions, messages included. */
static int
reactor_check_call(PyObject *delay, PyObject *callable, double *seconds)
{
    if (!PyCallable_Check(callable)) {
        PyErr_Format(PyExc_AssertionError, "%S is not callable", callable);
        return -1;
    }
    PyObject *zero = PyLong_FromLong(0);
    int positive = zero ? PyObject_RichCompareBool(delay, zero, Py_GE) : -1;
    Py_XDECREF(zero);
    if (positive <= 0) {
        if (positive == 0) {
            PyErr_Format(PyExc_AssertionError,
                         "%S is not greater than or equal to 0 seconds", delay);
        }
        return -1;
    }
    *seconds = PyFloat_AsDouble(delay);
    return (*seconds == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

PyDoc_STRVAR(reactortimers_callLater_doc,
"callLater(self, delay, callable, *args, **kw) -> DelayedCall\n--\n\n"
"See L{twisted.internet.interfaces.IReactorTime.callLater}.\n\n"
"@raise AssertionError: if C{callable} is not callable or C{delay} is\n"
"    negative (or NaN), as Twisted's C{assert}s.");

static PyObject *
reactortimers_callLater(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames)
{
    return tf_owner_call_later(&ReactorTimers_CAST(op)->owner, args, nargs,
                               kwnames, reactor_check_call, 1);
}

PyDoc_STRVAR(reactortimers_getDelayedCalls_doc,
"getDelayedCalls(self) -> list\n--\n\n"
"Return every pending call (those taken in first, in firing order).");

static PyObject *
reactortimers_getDelayedCalls(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    TimerOwnerObject *owner = &ReactorTimers_CAST(op)->owner;
    PyObject *calls = tf_owner_sorted_calls(&owner->heap);
    PyObject *fresh = calls ? tf_owner_sorted_calls(&owner->new_heap) : NULL;
    PyObject *result = fresh ? PySequence_InPlaceConcat(calls, fresh) : NULL;
    Py_XDECREF(calls);
    Py_XDECREF(fresh);
    return result;
}

/* max(0, min(longest, delay)), keeping Python's choice of operand (an int
 * 0 or 2147483 at the limits, else the float). */
static PyObject *
clamp_timeout(double delay)
{
    if (!(delay < TF_LONGEST_TIMEOUT)) {
        return PyLong_FromLong(TF_LONGEST_TIMEOUT);
    }
    return delay > 0 ? PyFloat_FromDouble(delay) : PyLong_FromLong(0);
}

PyDoc_STRVAR(reactortimers_timeout_doc,
"timeout(self) -> float | None\n--\n\n"
"Take new calls in, and return the longest the reactor may sleep before a\n"
"timed call is due, or None when there is none.");

static PyObject *
reactortimers_timeout(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    TimerOwnerObject *owner = &ReactorTimers_CAST(op)->owner;
    if (tf_owner_take_new(owner) < 0) {
        return NULL;
    }
    double deadline, now;
    if (tf_heap_peek(&owner->heap, &deadline) == NULL) {
        Py_RETURN_NONE;
    }
    if (reactor_now(owner, &now) < 0) {
        return NULL;
    }
    return clamp_timeout(deadline - now);
}

/* --- the timed-call pass of runUntilCurrent --------------------------------- */

/* The exception being raised, as one object (3.12 has this built in). */
static PyObject *
fetch_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL) {
        PyException_SetTraceback(value, traceback);
    }
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value;
#endif
}

/* A timed call raised: self._timedCallFailed(call, exception) logs it as
 * Twisted would (it catches BaseException and goes on). */
static int
report_failure(PyObject *self, DelayedCallObject *call)
{
    PyObject *exception = fetch_exception();
    if (exception == NULL) {
        return -1;
    }
    PyObject *result = PyObject_CallMethod(self, "_timedCallFailed", "OO",
                                           (PyObject *)call, exception);
    Py_DECREF(exception);
    Py_XDECREF(result);
    return result ? 0 : -1;
}

/* Run one due call that the pass took off the heap (our reference). */
static int
run_one(PyObject *self, DelayedCallObject *call)
{
    /* Twisted's pass folds delayed_time in when the call surfaces. */
    call->time += call->delayed_time;
    call->delayed_time = 0.0;
    int result = tf_delayedcall_fire(call);
    if (result < 0) {
        result = report_failure(self, call);
    }
    if (Py_REFCNT(call) > 1) {
        tf_owner_adopted(call); /* it outlives our reference */
    }
    Py_DECREF(call);
    return result;
}

PyDoc_STRVAR(reactortimers_runTimedCalls_doc,
"_runTimedCalls(self) -> None\n--\n\n"
"Take new calls in, then run every call due now, in order; the timed-call\n"
"part of runUntilCurrent.  Calls scheduled meanwhile wait for the next pass.");

static PyObject *
reactortimers_runTimedCalls(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    TimerOwnerObject *owner = &ReactorTimers_CAST(op)->owner;
    double now;
    if (tf_owner_take_new(owner) < 0 || reactor_now(owner, &now) < 0) {
        return NULL;
    }
    DelayedCallObject *call;
    while ((call = tf_owner_pop_due(owner, now)) != NULL) {
        if (run_one(op, call) < 0) {
            return NULL;
        }
    }
    Py_RETURN_NONE;
}

/* --- Twisted's private attributes, for the code that reads them -------------- */

static PyObject *
reactortimers_get_pending(PyObject *op, void *Py_UNUSED(closure))
{
    return tf_owner_sorted_calls(&ReactorTimers_CAST(op)->owner.heap);
}

static PyObject *
reactortimers_get_new(PyObject *op, void *Py_UNUSED(closure))
{
    return tf_owner_sorted_calls(&ReactorTimers_CAST(op)->owner.new_heap);
}

/* ReactorBase.__init__ assigns [] to both lists: accept exactly that. */
static int
reactortimers_set_list(PyObject *Py_UNUSED(op), PyObject *value,
                       void *Py_UNUSED(closure))
{
    if (value != NULL && PyList_Check(value) && PyList_GET_SIZE(value) == 0) {
        return 0;
    }
    PyErr_SetString(PyExc_AttributeError,
                    "the timed calls of a twisted-fast reactor live in its C "
                    "timer heap; use callLater() and cancel()");
    return -1;
}

/* Cancelled calls leave the heap at once: none are ever waiting. */
static PyObject *
reactortimers_get_cancellations(PyObject *Py_UNUSED(op),
                                void *Py_UNUSED(closure))
{
    return PyLong_FromLong(0);
}

static int
reactortimers_set_cancellations(PyObject *Py_UNUSED(op), PyObject *value,
                                void *Py_UNUSED(closure))
{
    if (value != NULL && PyLong_Check(value)) {
        return 0;
    }
    PyErr_SetString(PyExc_AttributeError, "_cancellations takes an int");
    return -1;
}

/* --- lifetime ---------------------------------------------------------------- */

static PyObject *
reactortimers_new(PyTypeObject *type, PyObject *Py_UNUSED(args),
                  PyObject *Py_UNUSED(kwds))
{
    tf_state *state = tf_get_state_by_type(type);
    if (state == NULL) {
        return NULL;
    }
    ReactorTimersObject *self = (ReactorTimersObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    tf_owner_init(&self->owner, state, &reactor_ops);
    return (PyObject *)self;
}

static int
reactortimers_traverse(PyObject *op, visitproc visit, void *arg)
{
    ReactorTimersObject *self = ReactorTimers_CAST(op);
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->dict);
    return tf_owner_traverse(&self->owner, visit, arg);
}

static int
reactortimers_clear(PyObject *op)
{
    ReactorTimersObject *self = ReactorTimers_CAST(op);
    Py_CLEAR(self->dict);
    tf_owner_release_calls(&self->owner);
    return 0;
}

static void
reactortimers_dealloc(PyObject *op)
{
    ReactorTimersObject *self = ReactorTimers_CAST(op);
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    Py_CLEAR(self->dict);
    tf_owner_fini(&self->owner);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyGetSetDef reactortimers_getset[] = {
    {"_pendingTimedCalls", reactortimers_get_pending, reactortimers_set_list,
     "The calls taken in, in firing order (a new list).", NULL},
    {"_newTimedCalls", reactortimers_get_new, reactortimers_set_list,
     "The calls not yet taken in, in firing order (a new list).", NULL},
    {"_cancellations", reactortimers_get_cancellations,
     reactortimers_set_cancellations,
     "Always 0: cancelled calls leave the heap at once.", NULL},
    {NULL},
};

static PyMemberDef reactortimers_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(ReactorTimersObject, dict),
     READONLY},
    {"__weaklistoffset__", T_PYSSIZET,
     offsetof(ReactorTimersObject, weakreflist), READONLY},
    {NULL},
};

static PyMethodDef reactortimers_methods[] = {
    {"callLater", (PyCFunction)(void (*)(void))reactortimers_callLater,
     METH_FASTCALL | METH_KEYWORDS, reactortimers_callLater_doc},
    {"getDelayedCalls", reactortimers_getDelayedCalls, METH_NOARGS,
     reactortimers_getDelayedCalls_doc},
    {"timeout", reactortimers_timeout, METH_NOARGS, reactortimers_timeout_doc},
    {"_runTimedCalls", reactortimers_runTimedCalls, METH_NOARGS,
     reactortimers_runTimedCalls_doc},
    {NULL},
};

static PyType_Slot reactortimers_slots[] = {
    {Py_tp_doc, (void *)reactortimers_doc},
    {Py_tp_new, reactortimers_new},
    {Py_tp_dealloc, reactortimers_dealloc},
    {Py_tp_traverse, reactortimers_traverse},
    {Py_tp_clear, reactortimers_clear},
    {Py_tp_methods, reactortimers_methods},
    {Py_tp_getset, reactortimers_getset},
    {Py_tp_members, reactortimers_members},
    {0, NULL},
};

PyType_Spec tf_reactortimers_spec = {
    .name = "twisted_fast._speedups.ReactorTimers",
    .basicsize = sizeof(ReactorTimersObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = reactortimers_slots,
};
