/*
 * timerqueue.c: TimerQueue, the timed-call half of Twisted's ReactorBase in
 * C: each fast reactor holds one (twisted_fast/reactor.py) and forwards its
 * timed-call methods to it.  It is a separate object, not a base class, so
 * that a fast reactor keeps the memory layout of Twisted's reactors: Twisted's
 * ReactorBuilder swaps __class__ and __dict__ between reactors.
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
#include "util.h"

#include "structmember.h"

typedef struct {
    TimerOwnerObject owner; /* must come first: calls reach their heap */
    PyObject *reactor;      /* its time, and its _timedCallFailed() */
    PyObject *seconds;      /* reactor.seconds set on the instance, or NULL */
    /* The version tag of the reactor's type when its class attribute
     * seconds was last found to be ReactorTimeMethods.seconds (0: not). */
    unsigned int builtin_seconds_version;
    PyObject *weakreflist;
} TimerQueueObject;

#define TimerQueue_CAST(op) ((TimerQueueObject *)(op))

/* epoll_wait(2) takes an int of milliseconds: Twisted's longest timeout. */
#define TF_LONGEST_TIMEOUT 2147483

PyDoc_STRVAR(timerqueue_doc,
"TimerQueue(reactor)\n--\n\n"
"The timed calls of a reactor: callLater, getDelayedCalls, timeout and the\n"
"timed-call pass of runUntilCurrent, on a C timer heap.  The reactor tells\n"
"the time (its seconds()) and logs failures (its _timedCallFailed()); see\n"
"twisted_fast.reactor.");

/* --- time ------------------------------------------------------------------ */

/*
 * reactor.seconds(): ReactorBase's is staticmethod(runtimeSeconds), so it is
 * time.time's twin unless something replaced it: the instance (tests do;
 * ReactorTimeMethods.seconds keeps that here, in self->seconds), a subclass
 * or a patch of the class.  Then call what replaced it.
 */
static PyObject *
replaced_seconds(TimerQueueObject *self)
{
    if (self->seconds != NULL) {
        return Py_NewRef(self->seconds);
    }
    PyObject *reactor = self->reactor;
    if (reactor == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "this TimerQueue has no reactor");
        return NULL;
    }
    tf_state *state = self->owner.state;
    PyTypeObject *type = Py_TYPE(reactor);
    unsigned int version = tf_type_version(type);
    if (version != 0 && version == self->builtin_seconds_version) {
        return Py_NewRef(state->runtime_seconds);
    }
    if (tf_type_lookup(type, state->str_seconds) ==
        state->reactor_seconds_descr) {
        self->builtin_seconds_version = tf_type_version(type);
        return Py_NewRef(state->runtime_seconds);
    }
    return PyObject_GetAttr(reactor, state->str_seconds);
}

static int
reactor_now(TimerOwnerObject *owner, double *now, PyObject **source)
{
    PyObject *seconds = replaced_seconds(TimerQueue_CAST(owner));
    if (seconds == NULL) {
        return -1;
    }
    if (seconds == owner->state->runtime_seconds) {
        Py_DECREF(seconds);
        return tf_wall_clock(now);
    }
    PyObject *result = PyObject_CallNoArgs(seconds);
    if (result != NULL) {
        *now = PyFloat_AsDouble(result);
        Py_DECREF(result);
    }
    if (result == NULL || (*now == -1.0 && PyErr_Occurred())) {
        Py_DECREF(seconds);
        return -1;
    }
    if (source != NULL) {
        *source = seconds; /* a new call keeps what Twisted's would */
    }
    else {
        Py_DECREF(seconds);
    }
    return 0;
}

static double
reactor_builtin_now(TimerOwnerObject *Py_UNUSED(owner), int *error)
{
    double now = 0.0;
    *error = tf_wall_clock(&now) < 0;
    return now;
}

static PyObject *
reactor_builtin_seconds(TimerOwnerObject *owner)
{
    return Py_NewRef(owner->state->runtime_seconds);
}

static const tf_owner_ops reactor_ops = {
    .now = reactor_now,
    .builtin_now = reactor_builtin_now,
    .builtin_seconds = reactor_builtin_seconds,
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
    int positive;
    if (PyFloat_CheckExact(delay)) { /* the common case, without objects */
        *seconds = PyFloat_AS_DOUBLE(delay);
        if (*seconds >= 0.0) {
            return 0;
        }
        positive = 0;
    }
    else {
        PyObject *zero = PyLong_FromLong(0);
        positive = zero ? PyObject_RichCompareBool(delay, zero, Py_GE) : -1;
        Py_XDECREF(zero);
    }
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

/*
 * callLater(delay, callable) in the steady case: a float delay >= 0, a
 * callable, two positional arguments, the reactor's seconds neither
 * replaced on the instance nor overridden by its class (or a patch of it)
 * since the type last said so.  The same checks, the same clock read and
 * the same call as tf_owner_call_later, without its argument parsing and
 * indirect calls; anything else goes there.
 */
static PyObject *
queue_call_later(TimerQueueObject *queue, PyObject *const *args,
                 Py_ssize_t nargs, PyObject *kwnames)
{
    TimerOwnerObject *owner = &queue->owner;
    if (nargs == 2 && kwnames == NULL && PyFloat_CheckExact(args[0]) &&
        Py_TYPE(args[1])->tp_call != NULL && queue->seconds == NULL &&
        queue->reactor != NULL) {
        double seconds = PyFloat_AS_DOUBLE(args[0]);
        unsigned int version = tf_type_version(Py_TYPE(queue->reactor));
        double now;
        if (seconds >= 0.0 && version != 0 &&
            version == queue->builtin_seconds_version) {
            if (tf_wall_clock(&now) < 0) {
                return NULL;
            }
            double time = now + seconds;
            if (!isnan(time)) {
                PyObject *call = tf_delayedcall_new_owned(
                    owner->state, owner, time, args[1],
                    owner->state->empty_tuple, NULL, 1, NULL);
                if (call != NULL) {
                    tf_owner_scheduled(owner);
                }
                return call;
            }
        }
    }
    return tf_owner_call_later(owner, args, nargs, kwnames,
                               reactor_check_call, 1);
}

PyDoc_STRVAR(timerqueue_callLater_doc,
"callLater($self, delay, callable, *args, **kw)\n--\n\n"
"See L{twisted.internet.interfaces.IReactorTime.callLater}.\n\n"
"@raise AssertionError: if C{callable} is not callable or C{delay} is\n"
"    negative (or NaN), as Twisted's C{assert}s.");

static PyObject *
timerqueue_callLater(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames)
{
    return queue_call_later(TimerQueue_CAST(op), args, nargs, kwnames);
}

PyDoc_STRVAR(timerqueue_getDelayedCalls_doc,
"getDelayedCalls($self)\n--\n\n"
"Return every pending call (those taken in first, in firing order).");

static PyObject *
timerqueue_getDelayedCalls(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    TimerOwnerObject *owner = &TimerQueue_CAST(op)->owner;
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

PyDoc_STRVAR(timerqueue_timeout_doc,
"timeout($self)\n--\n\n"
"Take new calls in, and return the longest the reactor may sleep before a\n"
"timed call is due, or None when there is none.");

static PyObject *
timerqueue_timeout(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    TimerOwnerObject *owner = &TimerQueue_CAST(op)->owner;
    if (tf_owner_take_new(owner) < 0) {
        return NULL;
    }
    double deadline, now;
    tf_heap_node *first;
    if (tf_heap_peek(&owner->heap, &first, &deadline) < 0) {
        return PyErr_NoMemory();
    }
    if (first == NULL) {
        Py_RETURN_NONE;
    }
    if (reactor_now(owner, &now, NULL) < 0) {
        return NULL;
    }
    return clamp_timeout(deadline - now);
}

/* --- the timed-call pass of runUntilCurrent --------------------------------- */

/* A timed call raised: reactor._timedCallFailed(call, exception) logs it as
 * Twisted would (it catches BaseException and goes on). */
static int
report_failure(TimerQueueObject *self, DelayedCallObject *call)
{
    PyObject *exception = tf_take_exception();
    if (exception == NULL) {
        return -1;
    }
    PyObject *result = NULL;
    if (self->reactor != NULL) {
        result = PyObject_CallMethod(self->reactor, "_timedCallFailed", "OO",
                                     (PyObject *)call, exception);
    }
    else {
        PyErr_SetString(PyExc_RuntimeError, "this TimerQueue has no reactor");
    }
    Py_DECREF(exception);
    Py_XDECREF(result);
    return result ? 0 : -1;
}

/* Run one due call that the pass took off the heap (our reference). */
static int
run_one(TimerQueueObject *self, tf_pass *pass, DelayedCallObject *call,
        double now)
{
    /* Twisted's pass folds delayed_time in when the call surfaces; then
     * call.time <= now is what made it due. */
    call->time += call->delayed_time;
    call->delayed_time = 0.0;
    int result = tf_pass_fire(pass, call, call->time, now);
    if (result < 0) {
        result = report_failure(self, call);
    }
    if (Py_REFCNT(call) > 1) {
        tf_owner_adopted(call); /* it outlives our reference */
    }
    Py_DECREF(call);
    return result;
}

PyDoc_STRVAR(timerqueue_runTimedCalls_doc,
"runTimedCalls($self)\n--\n\n"
"Take new calls in, then run every call due now, in order; the timed-call\n"
"part of runUntilCurrent.  Calls scheduled meanwhile wait for the next pass.");

static PyObject *
timerqueue_runTimedCalls(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    TimerOwnerObject *owner = &TimerQueue_CAST(op)->owner;
    double now;
    if (tf_owner_take_new(owner) < 0 || reactor_now(owner, &now, NULL) < 0) {
        return NULL;
    }
    if (now > owner->surfaced_until) {
        owner->surfaced_until = now;
    }
    DelayedCallObject *call;
    int found;
    tf_pass pass;
    tf_pass_begin(&pass, owner);
    while ((found = tf_owner_pop_due(owner, now, &call)) > 0) {
        if (run_one(TimerQueue_CAST(op), &pass, call, now) < 0) {
            found = -1;
            break;
        }
    }
    tf_pass_end(&pass);
    if (found < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
timerqueue_get_pending(PyObject *op, void *Py_UNUSED(closure))
{
    return tf_owner_sorted_calls(&TimerQueue_CAST(op)->owner.heap);
}

static PyObject *
timerqueue_get_new(PyObject *op, void *Py_UNUSED(closure))
{
    return tf_owner_sorted_calls(&TimerQueue_CAST(op)->owner.new_heap);
}

static PyObject *
timerqueue_get_reactor(PyObject *op, void *Py_UNUSED(closure))
{
    PyObject *reactor = TimerQueue_CAST(op)->reactor;
    return Py_NewRef(reactor ? reactor : Py_None);
}

/* --- lifetime ---------------------------------------------------------------- */

static PyObject *
timerqueue_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"reactor", NULL};
    PyObject *reactor;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:TimerQueue", kwlist,
                                     &reactor)) {
        return NULL;
    }
    tf_state *state = tf_get_state_by_type(type);
    if (state == NULL) {
        return NULL;
    }
    TimerQueueObject *self = (TimerQueueObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    tf_owner_init(&self->owner, state, &reactor_ops);
    self->reactor = Py_NewRef(reactor);
    return (PyObject *)self;
}

static int
timerqueue_traverse(PyObject *op, visitproc visit, void *arg)
{
    TimerQueueObject *self = TimerQueue_CAST(op);
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->reactor);
    Py_VISIT(self->seconds);
    return tf_owner_traverse(&self->owner, visit, arg);
}

static int
timerqueue_clear(PyObject *op)
{
    TimerQueueObject *self = TimerQueue_CAST(op);
    Py_CLEAR(self->reactor);
    Py_CLEAR(self->seconds);
    tf_owner_release_calls(&self->owner);
    return 0;
}

static void
timerqueue_dealloc(PyObject *op)
{
    TimerQueueObject *self = TimerQueue_CAST(op);
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    Py_CLEAR(self->reactor);
    Py_CLEAR(self->seconds);
    tf_owner_fini(&self->owner);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyGetSetDef timerqueue_getset[] = {
    {"pending", timerqueue_get_pending, NULL,
     "The calls taken in, in firing order (a new list).", NULL},
    {"new", timerqueue_get_new, NULL,
     "The calls not yet taken in, in firing order (a new list).", NULL},
    {"reactor", timerqueue_get_reactor, NULL, "The reactor served.", NULL},
    {NULL},
};

static PyMemberDef timerqueue_members[] = {
    {"__weaklistoffset__", T_PYSSIZET,
     offsetof(TimerQueueObject, weakreflist), READONLY},
    {NULL},
};

static PyMethodDef timerqueue_methods[] = {
    {"callLater", (PyCFunction)(void (*)(void))timerqueue_callLater,
     METH_FASTCALL | METH_KEYWORDS, timerqueue_callLater_doc},
    {"getDelayedCalls", timerqueue_getDelayedCalls, METH_NOARGS,
     timerqueue_getDelayedCalls_doc},
    {"__sizeof__", tf_owner_sizeof, METH_NOARGS, tf_owner_sizeof_doc},
    {"timeout", timerqueue_timeout, METH_NOARGS, timerqueue_timeout_doc},
    {"runTimedCalls", timerqueue_runTimedCalls, METH_NOARGS,
     timerqueue_runTimedCalls_doc},
    {NULL},
};

static PyType_Slot timerqueue_slots[] = {
    {Py_tp_doc, (void *)timerqueue_doc},
    {Py_tp_new, timerqueue_new},
    {Py_tp_dealloc, timerqueue_dealloc},
    {Py_tp_traverse, timerqueue_traverse},
    {Py_tp_clear, timerqueue_clear},
    {Py_tp_methods, timerqueue_methods},
    {Py_tp_getset, timerqueue_getset},
    {Py_tp_members, timerqueue_members},
    {0, NULL},
};

/* --- ReactorTimeMethods ------------------------------------------------------- */

/*
 * The reactor-side methods (callLater, getDelayedCalls, timeout) as a C base
 * class with no fields of its own: method descriptors that find the
 * reactor's TimerQueue in its _timers attribute.  Having no fields keeps
 * the reactor's layout that of Twisted's reactors (so __class__ can be
 * swapped between them); being real methods keeps subclass overrides and
 * class-level patches working.
 */
/*
 * Finding the TimerQueue.  Every reactor.callLater reads reactor._timers in
 * the instance dict (a lookup of ~110 instructions on 3.11, a third of the
 * C work of a callLater + cancel), and finding the module state first
 * (through the reactor's MRO) costs another ~45.  While the reactor's type
 * and its instance dict are provably unchanged since the last lookup, the
 * answer is the same, so the last one is kept: the type, the dict and the
 * queue the dict held (borrowed: the dict holds the queue, and the check
 * below fails once the dict changes or dies).
 * - The type: its version tag (tf_type_version), which CPython renews when
 *   the type or a base changes and never gives to another type.  The same
 *   unchanged type has the same MRO, hence the same module state: the
 *   cache is process-wide, and a hit needs no state.
 * - The dict, on 3.11: its version tag (PEP 509), which CPython renews on
 *   every change of any dict and gives every new dict a fresh one.
 * - The dict, on 3.12 and later: a dict watcher (PyDict_AddWatcher) bumps
 *   a process-wide epoch whenever a watched dict changes its "_timers"
 *   (any key that is not an exact str counts too), is cleared, cloned or
 *   dies.  CPython notifies the watchers of an instance's materialised dict
 *   on every store, the specialised ones included (they leave objects that
 *   have one to the generic path); tests/test_reactor.py replaces _timers
 *   in a hot loop to keep that checked.  Except on 3.13.0 (and 3.14.0a1),
 *   whose stores into inline values skipped the watchers (CPython
 *   gh-125608, fixed in 3.13.1): there, as when no watcher is free, nothing
 *   is cached.  The version checked is the running one (Py_Version).
 *
 * Process-wide on purpose: the watcher callback gets no module state, the
 * module supports one interpreter (Py_mod_multiple_interpreters), and a
 * cache keyed by the type serves every copy of the module alike.
 */
static struct {
    void *type;  /* compared, never dereferenced */
    unsigned int type_version;
    void *dict;  /* compared, never dereferenced */
    uint64_t dict_version;
    TimerQueueObject *queue; /* borrowed, used only when the check passes */
} timers_cache;

#if PY_VERSION_HEX >= 0x030C0000
#define TF_TIMERS_WATCHER 1
/* Id -1: not yet added; -2: no watcher was free.  A bump only makes the
 * cache look again. */
static uint64_t timers_epoch = 1;
static int timers_watcher = -1;

static int
timers_dict_changed(PyDict_WatchEvent event, PyObject *Py_UNUSED(dict),
                    PyObject *key, PyObject *Py_UNUSED(new_value))
{
    if ((event == PyDict_EVENT_ADDED || event == PyDict_EVENT_MODIFIED ||
         event == PyDict_EVENT_DELETED) &&
        PyUnicode_CheckExact(key) &&
        PyUnicode_CompareWithASCIIString(key, "_timers") != 0) {
        return 0; /* another attribute: the queue is where it was */
    }
    timers_epoch++;
    return 0;
}

/* Watch dict: 0, or -1 when no watcher is free (no exception set). */
static int
watch_timers_dict(PyObject *dict)
{
    if (timers_watcher == -1 &&
        ((Py_Version >= 0x030D0000 && Py_Version < 0x030D0100) ||
         (Py_Version >= 0x030E0000 && Py_Version < 0x030E00A2))) {
        timers_watcher = -2; /* gh-125608: the watchers would miss stores */
    }
    if (timers_watcher == -1) {
        timers_watcher = PyDict_AddWatcher(timers_dict_changed);
        if (timers_watcher < 0) {
            /* All eight dict watchers are taken: run without the cache,
             * which only saves time. */
            PyErr_Clear();
            timers_watcher = -2;
        }
    }
    if (timers_watcher < 0) {
        return -1;
    }
    return PyDict_Watch(timers_watcher, dict);
}
#endif

/* The dict's version as the cache counts it; 0 means never cached. */
static inline uint64_t
timers_dict_version(PyObject *dict)
{
#if PY_VERSION_HEX < 0x030C0000
    return ((PyDictObject *)dict)->ma_version_tag;
#elif defined(TF_TIMERS_WATCHER)
    (void)dict;
    return timers_epoch;
#else
    (void)dict;
    return 0;
#endif
}

/* The cached queue if reactor's type and dict are unchanged since it was
 * cached (borrowed), else NULL. */
static inline TimerQueueObject *
timers_cached(PyObject *reactor, PyObject *dict)
{
    PyTypeObject *type = Py_TYPE(reactor);
    unsigned int type_version = tf_type_version(type);
    if ((void *)type == timers_cache.type && type_version != 0 &&
        type_version == timers_cache.type_version &&
        (void *)dict == timers_cache.dict &&
        timers_dict_version(dict) == timers_cache.dict_version &&
        timers_cache.dict_version != 0) {
        return timers_cache.queue;
    }
    return NULL;
}

/* Remember that reactor's dict holds queue as "_timers" (just looked up,
 * and of the TimerQueue type of the module that reactor's type is from). */
static inline void
timers_remember(PyObject *reactor, PyObject *dict, PyObject *queue)
{
#ifdef TF_TIMERS_WATCHER
    if (watch_timers_dict(dict) < 0) {
        PyErr_Clear(); /* not a dict, or no watcher: uncached, still right */
        return;
    }
#endif
    timers_cache.type = Py_TYPE(reactor);
    timers_cache.type_version = tf_type_version(Py_TYPE(reactor));
    timers_cache.dict = dict;
    timers_cache.dict_version = timers_dict_version(dict);
    timers_cache.queue = TimerQueue_CAST(queue);
}

/* The reactor's TimerQueue (a new reference).  The methods take no defining
 * class (METH_METHOD): CPython 3.11+ specialises calls to METH_NOARGS and
 * METH_FASTCALL methods, not to METH_METHOD ones.  The state, needed only
 * when the cache misses, comes from the reactor's type: a fast reactor
 * class lists ReactorTimeMethods third in its MRO (twisted_fast/reactor.py). */
static TimerQueueObject *
queue_of(PyObject *reactor)
{
    PyObject *dict = PyObject_GenericGetDict(reactor, NULL);
    if (dict == NULL) {
        return NULL;
    }
    TimerQueueObject *cached = timers_cached(reactor, dict);
    if (cached != NULL) {
        Py_INCREF(cached);
        Py_DECREF(dict);
        return cached;
    }
    tf_state *state = tf_get_state_of(reactor);
    if (state == NULL) {
        Py_DECREF(dict);
        return NULL;
    }
    PyObject *queue = PyDict_GetItemWithError(dict, state->str_timers);
    if (queue != NULL && PyDict_CheckExact(dict) &&
        PyObject_TypeCheck(queue, state->TimerQueueType)) {
        timers_remember(reactor, dict, queue);
    }
    Py_XINCREF(queue);
    Py_DECREF(dict);
    if (queue == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        /* Not in the dict: getattr, for its answer or its AttributeError. */
        queue = PyObject_GetAttr(reactor, state->str_timers);
        if (queue == NULL) {
            return NULL;
        }
    }
    if (!PyObject_TypeCheck(queue, state->TimerQueueType)) {
        PyErr_Format(PyExc_TypeError, "reactor._timers is a %.100s, not a "
                     "TimerQueue", Py_TYPE(queue)->tp_name);
        Py_DECREF(queue);
        return NULL;
    }
    return TimerQueue_CAST(queue);
}

static PyObject *
reactormethods_callLater(PyObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    TimerQueueObject *queue = queue_of(self);
    if (queue == NULL) {
        return NULL;
    }
    PyObject *call = queue_call_later(queue, args, nargs, kwnames);
    Py_DECREF(queue);
    return call;
}

static PyObject *
reactormethods_getDelayedCalls(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TimerQueueObject *queue = queue_of(self);
    PyObject *calls =
        queue ? timerqueue_getDelayedCalls((PyObject *)queue, NULL) : NULL;
    Py_XDECREF(queue);
    return calls;
}

static PyObject *
reactormethods_timeout(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TimerQueueObject *queue = queue_of(self);
    PyObject *timeout = queue ? timerqueue_timeout((PyObject *)queue, NULL) : NULL;
    Py_XDECREF(queue);
    return timeout;
}

/*
 * ReactorTimeMethods.seconds, a data descriptor.  Read on the class, it is
 * what ReactorBase's staticmethod(runtimeSeconds) gives (time.time's twin);
 * read on a reactor, the same unless replaced.  An assignment on the
 * instance, which would land in the instance dict, lands in the reactor's
 * TimerQueue instead, where callLater reads it without an attribute lookup.
 * The TimerQueue lives in the instance dict, so a replacement goes wherever
 * that dict goes.
 */
static PyObject *
reactorseconds_get(PyObject *self, PyObject *reactor,
                   PyObject *Py_UNUSED(type))
{
    tf_state *state = tf_get_state_by_type(Py_TYPE(self));
    if (reactor == NULL || reactor == Py_None) {
        return Py_NewRef(state->runtime_seconds);
    }
    TimerQueueObject *queue = queue_of(reactor);
    if (queue == NULL) {
        return NULL;
    }
    PyObject *seconds = queue->seconds ? queue->seconds : state->runtime_seconds;
    Py_INCREF(seconds);
    Py_DECREF(queue);
    return seconds;
}

static int
reactorseconds_set(PyObject *Py_UNUSED(self), PyObject *reactor,
                   PyObject *value)
{
    TimerQueueObject *queue = queue_of(reactor);
    if (queue == NULL) {
        return -1;
    }
    int result = 0;
    if (value == NULL && queue->seconds == NULL) {
        PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute "
                     "'seconds'", Py_TYPE(reactor)->tp_name);
        result = -1;
    }
    else {
        Py_XSETREF(queue->seconds, Py_XNewRef(value));
    }
    Py_DECREF(queue);
    return result;
}

static void
reactorseconds_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyType_Slot reactorseconds_slots[] = {
    {Py_tp_doc, (void *)"The reactor's time: time.time's twin unless "
                        "replaced on the instance."},
    {Py_tp_descr_get, reactorseconds_get},
    {Py_tp_descr_set, reactorseconds_set},
    {Py_tp_dealloc, reactorseconds_dealloc},
    {0, NULL},
};

PyType_Spec tf_reactorseconds_spec = {
    .name = "twisted_fast._speedups.ReactorSeconds",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = reactorseconds_slots,
};

static PyMethodDef reactormethods_methods[] = {
    {"callLater", (PyCFunction)(void (*)(void))reactormethods_callLater,
     METH_FASTCALL | METH_KEYWORDS, timerqueue_callLater_doc},
    {"getDelayedCalls", reactormethods_getDelayedCalls, METH_NOARGS,
     timerqueue_getDelayedCalls_doc},
    {"timeout", reactormethods_timeout, METH_NOARGS, timerqueue_timeout_doc},
    {NULL},
};

static PyType_Slot reactormethods_slots[] = {
    {Py_tp_doc, (void *)"callLater, getDelayedCalls and timeout of a fast "
                        "reactor, forwarded to its TimerQueue (_timers)."},
    {Py_tp_methods, reactormethods_methods},
    {0, NULL},
};

PyType_Spec tf_reactormethods_spec = {
    .name = "twisted_fast._speedups.ReactorTimeMethods",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = reactormethods_slots,
};

PyType_Spec tf_timerqueue_spec = {
    .name = "twisted_fast._speedups.TimerQueue",
    .basicsize = sizeof(TimerQueueObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = timerqueue_slots,
};
