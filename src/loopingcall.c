/*
 * loopingcall.c: LoopingCallTick, the per-tick half of Twisted's LoopingCall
 * in C.
 *
 * Mirrors: twisted/internet/task.py, LoopingCall.__call__ and _scheduleFrom.
 * twisted_fast.task.LoopingCall lists this type before Twisted's own
 * LoopingCall, so start, stop, reset, withCount, deferred and __repr__ are
 * Twisted's code, running on the same instance attributes (f, a, kw, clock,
 * call, running, interval, starttime, _deferred), while a tick runs here.
 * Owns: nothing but the instance dict; every field is an attribute, as in
 * Twisted, so subclasses and code that pokes them keep working.
 *
 * A tick calls f.  When f returns a plain value (not a Deferred, a Failure
 * or a coroutine) and raises nothing, it schedules the next call directly,
 * with no Deferred; anything else goes through Twisted's maybeDeferred and
 * the same callbacks Twisted uses (twisted_fast/task.py), so a Deferred,
 * a failure or a coroutine behave exactly as in Twisted.
 *
 * Timer health (stats.h): a tick that its own timed call runs is counted
 * on that call's owner, and so are the intervals it skipped, found from
 * its due time and that of the next tick it schedules (by the slow-path
 * helpers, through _count_skipped, when f returned a Deferred).
 *
 * Calls into Python: f, the clock's seconds() and callLater(), attribute
 * access on the instance, and the slow-path helpers.  Nothing is cached
 * across them.
 */
#include "stats.h"
#include "util.h"

#include <math.h>

PyDoc_STRVAR(loopingcalltick_doc,
"The per-tick half of LoopingCall in C: __call__ and _scheduleFrom.  Use\n"
"twisted_fast.task.LoopingCall, which adds Twisted's own methods.");

/* clock.c: seconds() and callLater(delay, f) of a C Clock without a method
 * call when nothing replaced them. */
PyObject *tf_clock_seconds_of(PyObject *clock);
PyObject *tf_clock_call_later_of(PyObject *clock, PyObject *delay,
                                 PyObject *callable);

/*
 * The loop's attributes.  twisted_fast.task.LoopingCall (registered) has no
 * descriptor for any of the names a tick reads, so its instance dict, then
 * its class, answer exactly as getattr would, with less work; any other
 * class goes through getattr and setattr.
 */
static int
is_plain_loop(tf_state *state, PyObject *self)
{
    return (PyObject *)Py_TYPE(self) == state->fast_loopingcall_class &&
           ((AttrObject *)self)->dict != NULL;
}

static PyObject *
get_attr(tf_state *state, PyObject *self, PyObject *name)
{
    if (is_plain_loop(state, self)) {
        PyObject *value =
            PyDict_GetItemWithError(((AttrObject *)self)->dict, name);
        if (value != NULL) {
            return Py_NewRef(value);
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    return PyObject_GetAttr(self, name);
}

static int
set_attr(tf_state *state, PyObject *self, PyObject *name, PyObject *value)
{
    if (is_plain_loop(state, self)) {
        return PyDict_SetItem(((AttrObject *)self)->dict, name, value);
    }
    return PyObject_SetAttr(self, name, value);
}

static int
is_c_clock(tf_state *state, PyObject *clock)
{
    return PyObject_TypeCheck(clock, state->ClockType);
}

PyObject *
tf_register_loopingcall_class(PyObject *module, PyObject *cls)
{
    tf_state *state = tf_get_state(module);
    if (!PyType_Check(cls) ||
        !PyType_IsSubtype((PyTypeObject *)cls, state->LoopingCallTickType)) {
        PyErr_SetString(PyExc_TypeError, "_register_loopingcall_class() takes "
                                         "a LoopingCallTick subclass");
        return NULL;
    }
    Py_XSETREF(state->fast_loopingcall_class, Py_NewRef(cls));
    Py_RETURN_NONE;
}

/* --- _scheduleFrom ------------------------------------------------------------ */

/* A number a tick can compute with in C doubles and get Python's answer:
 * a float, or an int small enough to be exact as a double. */
static int
as_exact_double(PyObject *number, double *out)
{
    if (PyFloat_CheckExact(number)) {
        *out = PyFloat_AS_DOUBLE(number);
        return 1;
    }
    if (PyLong_CheckExact(number)) {
        int overflow;
        long long value = PyLong_AsLongLongAndOverflow(number, &overflow);
        if (overflow || value > (1LL << 53) || value < -(1LL << 53)) {
            return 0;
        }
        *out = (double)value;
        return 1;
    }
    return 0;
}

/* Python's float %: the result takes the sign of the divisor. */
static double
python_mod(double x, double y)
{
    double mod = fmod(x, y);
    if (mod != 0.0) {
        if ((y < 0) != (mod < 0)) {
            mod += y;
        }
    }
    else {
        mod = copysign(0.0, y);
    }
    return mod;
}

/*
 * Twisted's howLong(): a new reference to the delay, or NULL with no
 * exception when the numbers are not ones C can compute with exactly (the
 * caller then runs Twisted's own _scheduleFrom).
 */
static PyObject *
how_long(PyObject *interval, PyObject *starttime, double when)
{
    double step, start;
    if (!as_exact_double(interval, &step)) {
        return NULL;
    }
    if (step == 0.0) {
        return PyLong_FromLong(0);
    }
    if (!as_exact_double(starttime, &start)) {
        return NULL;
    }
    double until_next = step - python_mod(when - start, step);
    /* Digits of a tiny delay can fall off a large time: then the next
     * interval has begun, and a whole interval is the answer. */
    if (when == when + until_next) {
        return Py_NewRef(interval);
    }
    return PyFloat_FromDouble(until_next);
}

/* Twisted's own LoopingCall._scheduleFrom, for numbers C does not handle. */
static PyObject *
twisted_schedule_from(tf_state *state, PyObject *self, PyObject *when)
{
    return PyObject_CallFunctionObjArgs(state->twisted_schedule_from, self,
                                        when, NULL);
}

/* _scheduleFrom(when); due: when the tick that schedules was due, to
 * count the intervals it skipped (NULL: not a tick of ours). */
static PyObject *
schedule_from(tf_state *state, PyObject *self, PyObject *when,
              const double *due)
{
    double now, step = 0.0;
    if (!as_exact_double(when, &now)) {
        return twisted_schedule_from(state, self, when);
    }
    PyObject *interval = get_attr(state, self, state->str_interval);
    PyObject *starttime =
        interval ? get_attr(state, self, state->str_starttime) : NULL;
    if (starttime == NULL) {
        Py_XDECREF(interval);
        return NULL;
    }
    if (due != NULL && !as_exact_double(interval, &step)) {
        due = NULL;
    }
    PyObject *delay = how_long(interval, starttime, now);
    Py_DECREF(interval);
    Py_DECREF(starttime);
    if (delay == NULL) {
        return PyErr_Occurred() ? NULL
                                : twisted_schedule_from(state, self, when);
    }
    PyObject *clock = get_attr(state, self, state->str_clock);
    PyObject *call = NULL;
    if (clock != NULL) {
        call = is_c_clock(state, clock)
                   ? tf_clock_call_later_of(clock, delay, self)
                   : PyObject_CallMethodObjArgs(clock, state->str_callLater,
                                                delay, self, NULL);
    }
    Py_XDECREF(clock);
    Py_DECREF(delay);
    if (call == NULL) {
        return NULL;
    }
    if (due != NULL) {
        tf_stats_skipped(state, *due, step, call);
    }
    int result = set_attr(state, self, state->str_call, call);
    Py_DECREF(call);
    if (result < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(loopingcalltick_scheduleFrom_doc,
"_scheduleFrom($self, when)\n--\n\n"
"Schedule the next iteration, C{when} being the present time; missed\n"
"intervals are skipped, as Twisted does.");

static PyObject *
loopingcalltick_scheduleFrom(PyObject *self, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *when = tf_one_arg(args, nargs, kwnames, "_scheduleFrom", "when");
    if (when == NULL) {
        return NULL;
    }
    tf_state *state = tf_get_state_of(self);
    return state ? schedule_from(state, self, when, NULL) : NULL;
}

/* --- the tick ----------------------------------------------------------------- */

/* Is this what maybeDeferred would wrap with succeed()?  Quickly for
 * builtin values (util.h). */
static int
is_plain_result(tf_state *state, PyObject *result)
{
    if (tf_is_common_builtin(result)) {
        return 1;
    }
    if (PyCoro_CheckExact(result)) {
        return 0;
    }
    int special = PyObject_IsInstance(result, state->deferred_or_failure);
    return special < 0 ? -1 : !special;
}

/* What Python 3.11's f(*a, **kw) says of a bad ** operand, naming the
 * function Twisted calls there. */
#define TF_MAYBE_DEFERRED "twisted.internet.defer.maybeDeferred()"

/* tuple(a), as the * of maybeDeferred(self.f, *self.a, ...). */
static PyObject *
star_args(PyObject *a)
{
    if (Py_TYPE(a)->tp_iter == NULL && !PySequence_Check(a)) {
        return PyErr_Format(PyExc_TypeError,
                            "Value after * must be an iterable, not %.200s",
                            Py_TYPE(a)->tp_name);
    }
    return PySequence_Tuple(a);
}

/* A new dict of kw for the call, as the ** of maybeDeferred(..., **self.kw)
 * (NULL with no exception for none), refusing what that call refuses. */
static int
star_star_kwargs(PyObject *kw, PyObject **out)
{
    *out = NULL;
    if (PyDict_CheckExact(kw) && PyDict_GET_SIZE(kw) == 0) {
        return 0;
    }
    /* An exact dict goes as it is (the call copies it for f); anything
     * else is merged into one, as ** does. */
    PyObject *dict = PyDict_CheckExact(kw) ? Py_NewRef(kw) : PyDict_New();
    if (dict == NULL) {
        return -1;
    }
    if (dict != kw && PyDict_Merge(dict, kw, 1) < 0) {
        if (!PyDict_Check(kw) && PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear(); /* no keys(): Python's TypeError instead */
            PyErr_Format(PyExc_TypeError,
                         TF_MAYBE_DEFERRED
                         " argument after ** must be a mapping, not %.200s",
                         Py_TYPE(kw)->tp_name);
        }
        Py_DECREF(dict);
        return -1;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "keywords must be strings");
            Py_DECREF(dict);
            return -1;
        }
        if (PyUnicode_CompareWithASCIIString(key, "f") == 0) {
            PyErr_SetString(PyExc_TypeError, "maybeDeferred() got multiple "
                                             "values for argument 'f'");
            Py_DECREF(dict);
            return -1;
        }
    }
    *out = dict;
    return 0;
}

/*
 * f(*a, **kw), as Twisted's maybeDeferred(self.f, *self.a, **self.kw).
 * Reading the attributes and unpacking them happen before maybeDeferred
 * runs, so their errors leave the tick (-1); f's own exception is the
 * tick's to handle (0 with *result NULL).  0 with *result set otherwise.
 */
static int
call_function(tf_state *state, PyObject *self, PyObject **result)
{
    PyObject *a = NULL, *args = NULL, *kw = NULL, *kwargs = NULL;
    int status = -1;
    *result = NULL;
    PyObject *f = get_attr(state, self, state->str_f);
    if (f == NULL || (a = get_attr(state, self, state->str_a)) == NULL ||
        (args = star_args(a)) == NULL ||
        (kw = get_attr(state, self, state->str_kw)) == NULL ||
        star_star_kwargs(kw, &kwargs) < 0) {
        goto done;
    }
    *result = PyObject_Call(f, args, kwargs);
    status = 0;

done:
    Py_XDECREF(f);
    Py_XDECREF(a);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    Py_XDECREF(kwargs);
    return status;
}

/* Hand the rest of the tick to a helper of twisted_fast._loopingcall:
 * helper(self, x), stealing x. */
static PyObject *
slow_path(PyObject *helper, PyObject *self, PyObject *x)
{
    if (tf_call_helper(helper, self, x) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Twisted's cb for a plain result: schedule the next call, or, when the
 * loop was stopped meanwhile, fire the Deferred start() returned. */
static PyObject *
after_plain_result(tf_state *state, PyObject *self, PyObject *result,
                   const double *due)
{
    PyObject *running = get_attr(state, self, state->str_running);
    int truth = running ? PyObject_IsTrue(running) : -1;
    Py_XDECREF(running);
    if (truth <= 0) {
        if (truth < 0) {
            Py_DECREF(result);
            return NULL;
        }
        return slow_path(state->tick_callback, self, result);
    }
    Py_DECREF(result);
    PyObject *clock = get_attr(state, self, state->str_clock);
    PyObject *now = NULL;
    if (clock != NULL) {
        now = is_c_clock(state, clock)
                  ? tf_clock_seconds_of(clock)
                  : PyObject_CallMethodNoArgs(clock, state->str_seconds);
    }
    Py_XDECREF(clock);
    PyObject *done = now ? schedule_from(state, self, now, due) : NULL;
    Py_XDECREF(now);
    if (done != NULL) {
        return done;
    }
    /* In Twisted cb runs inside the Deferred: its exception goes to eb. */
    PyObject *exception = tf_take_exception();
    return exception ? slow_path(state->tick_errback, self, exception) : NULL;
}

static PyObject *
loopingcalltick_call(PyObject *self, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kwds && PyDict_GET_SIZE(kwds) != 0)) {
        PyErr_SetString(PyExc_TypeError, "LoopingCall() takes no arguments");
        return NULL;
    }
    tf_state *state = tf_get_state_of(self);
    if (state == NULL) {
        return NULL;
    }
    double due_time;
    const double *due = tf_stats_tick(state, self, &due_time) ? &due_time
                                                              : NULL;
    if (set_attr(state, self, state->str_call, Py_None) < 0) {
        return NULL;
    }
    PyObject *result;
    if (call_function(state, self, &result) < 0) {
        return NULL;
    }
    if (result == NULL) {
        PyObject *exception = tf_take_exception();
        return exception ? slow_path(state->tick_raised, self, exception)
                         : NULL;
    }
    int plain = is_plain_result(state, result);
    if (plain < 0) {
        Py_DECREF(result);
        return NULL;
    }
    if (!plain) {
        /* tickResult(self, result, due): the next tick is scheduled once
         * the result fires; due lets it count the intervals skipped. */
        PyObject *when = due ? PyFloat_FromDouble(*due) : Py_NewRef(Py_None);
        if (when == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyObject *done = PyObject_CallFunctionObjArgs(state->tick_result, self,
                                                      result, when, NULL);
        Py_DECREF(result);
        Py_DECREF(when);
        if (done == NULL) {
            return NULL;
        }
        Py_DECREF(done);
        Py_RETURN_NONE;
    }
    return after_plain_result(state, self, result, due);
}

/* --- type --------------------------------------------------------------------- */

static PyMethodDef loopingcalltick_methods[] = {
    {"_scheduleFrom", (PyCFunction)(void (*)(void))loopingcalltick_scheduleFrom,
     METH_FASTCALL | METH_KEYWORDS, loopingcalltick_scheduleFrom_doc},
    {NULL},
};

static PyType_Slot loopingcalltick_slots[] = {
    TF_ATTROBJECT_SLOTS,
    {Py_tp_doc, (void *)loopingcalltick_doc},
    {Py_tp_call, loopingcalltick_call},
    {Py_tp_methods, loopingcalltick_methods},
    {0, NULL},
};

PyType_Spec tf_loopingcalltick_spec = {
    .name = "twisted_fast._speedups.LoopingCallTick",
    .basicsize = sizeof(AttrObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = loopingcalltick_slots,
};
