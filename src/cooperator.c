/*
 * cooperator.c: the per-step half of Twisted's Cooperator in C.
 *
 * Mirrors: twisted/internet/task.py, Cooperator._tick and
 * _tasksWhileNotStopped, CooperativeTask._oneWorkUnit, and _Timer.
 * twisted_fast.task lists these types before Twisted's own Cooperator and
 * CooperativeTask, so every other method (start, stop, pause, resume,
 * whenDone, _completeWith, _reschedule...) is Twisted's code, running on
 * the same instance attributes (_tasks, _metarator, _delayedCall,
 * _iterator, _pauseCount...), which Twisted's tests and twisted.web touch.
 * Owns: nothing but the instance dicts.
 *
 * A tick walks the live iterator over the task list (_metarator) exactly
 * as Twisted's generator does, one work unit per task, until the
 * termination predicate says stop.  The default predicate (_Timer: a
 * 10 ms wall-clock slice) runs in C, reading the clock with a stride
 * (see terminator below).  A work unit calls next() on the
 * task's iterator; finishing, failing or yielding a Deferred goes through
 * Twisted's own code (twisted_fast/_cooperator.py).
 *
 * Timer health (stats.h): the work units of a tick that runs inside a timed
 * call (the default scheduler's reactor.callLater) are counted on that
 * call's owner; with the slow-call watch on, each unit is timed.
 *
 * Calls into Python: the iterators, predicates, scheduler and everything a
 * task's completion runs; attributes are read afresh after each.
 */
#include "delayedcall.h"
#include "util.h"

/* --- a work unit -------------------------------------------------------------- */

/* next(iterator), as the builtin: a TypeError for a non-iterator.  NULL
 * with no exception set means StopIteration. */
static PyObject *
next_of(PyObject *iterator)
{
    if (!PyIter_Check(iterator)) {
        PyErr_Format(PyExc_TypeError, "'%.200s' object is not an iterator",
                     Py_TYPE(iterator)->tp_name);
        return NULL;
    }
    return PyIter_Next(iterator);
}

/* isinstance(result, Deferred), quickly for builtin values (util.h). */
static int
is_deferred(tf_state *state, PyObject *result)
{
    if (tf_is_common_builtin(result)) {
        return 0;
    }
    if (PyType_IsSubtype(Py_TYPE(result), (PyTypeObject *)state->deferred_type)) {
        return 1;
    }
    return PyObject_IsInstance(result, state->deferred_type);
}

/* The iterator raised (or could not be read): _completeWith(TaskFailed(),
 * Failure()), as Twisted's `except BaseException`. */
static int
work_unit_failed(tf_state *state, PyObject *task)
{
    PyObject *exception = tf_take_exception();
    return exception ? tf_call_helper(state->task_failed, task, exception) : -1;
}

/* CooperativeTask._oneWorkUnit: 0, or -1 with an exception. */
static int
one_work_unit(tf_state *state, PyObject *task)
{
    /* Inside Twisted's try, like next() itself: a missing _iterator fails
     * the task. */
    PyObject *iterator = PyObject_GetAttr(task, state->str_iterator);
    if (iterator == NULL) {
        return work_unit_failed(state, task);
    }
    PyObject *result = next_of(iterator);
    Py_DECREF(iterator);
    if (result == NULL) {
        if (!PyErr_Occurred()) {
            /* StopIteration: _completeWith(TaskDone(), self._iterator),
             * which reads the attribute again (the iterator may have
             * replaced or deleted it). */
            PyObject *done = PyObject_CallOneArg(state->task_done, task);
            Py_XDECREF(done);
            return done ? 0 : -1;
        }
        return work_unit_failed(state, task);
    }
    int deferred = is_deferred(state, result);
    if (deferred <= 0) {
        Py_DECREF(result);
        return deferred;
    }
    return tf_call_helper(state->task_waits, task, result);
}

PyDoc_STRVAR(taskstep_oneWorkUnit_doc,
"_oneWorkUnit($self)\n--\n\n"
"Advance the task's iterator one step, as Twisted's CooperativeTask does.");

static PyObject *
taskstep_oneWorkUnit(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    tf_state *state = tf_get_state_of(self);
    if (state == NULL || one_work_unit(state, self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* --- the termination predicate ---------------------------------------------- */

/* The predicate of one tick: _Timer's in C when the factory is Twisted's
 * _Timer itself (same clock, same MAX_SLICE), else what the factory made.
 *
 * The C timer reads the clock with a stride: a clock read costs about as
 * much as a short work unit (28 ns here), so after each read it estimates
 * from the units since the previous read how many more fit, and reads
 * again only after that many, at most TF_SLICE_STRIDE_MAX and no more than
 * fit in half the time left.  For units of steady cost a slice ends, as
 * _Timer's does, within one unit of its end; units that turn slower than
 * measured can overrun it by up to the stride.  Every tick starts with a
 * stride of 1: the first unit after the slice starts is followed by a
 * read, as in Twisted. */
#define TF_SLICE_STRIDE_MAX 16

typedef struct {
    PyObject *predicate; /* NULL: the C timer */
    double end;
    double last;    /* C timer: the time of the last clock read */
    int units;      /* C timer: units run since that read */
    int stride;     /* C timer: read the clock after this many units */
} terminator;

/* Does _Timer read the real clock?  Tests patch time.time (and _Timer
 * reads it through twisted.internet.task's `time`): then run _Timer itself. */
static int
timer_reads_real_clock(tf_state *state)
{
    PyObject *module = PyObject_GetAttr(state->task_module, state->str_time);
    PyObject *now = module ? PyObject_GetAttr(module, state->str_time) : NULL;
    Py_XDECREF(module);
    if (now == NULL) {
        return -1;
    }
    int real = now == state->real_time_time;
    Py_DECREF(now);
    return real;
}

static int
terminator_start(tf_state *state, PyObject *cooperator, terminator *t)
{
    PyObject *factory =
        PyObject_GetAttr(cooperator, state->str_terminationPredicateFactory);
    if (factory == NULL) {
        return -1;
    }
    t->predicate = NULL;
    t->end = 0.0;
    int real = factory == state->twisted_timer ? timer_reads_real_clock(state)
                                               : 0;
    if (real < 0) {
        Py_DECREF(factory);
        return -1;
    }
    if (real) {
        PyObject *max_slice = PyObject_GetAttr(factory, state->str_MAX_SLICE);
        double slice = max_slice ? PyFloat_AsDouble(max_slice) : -1.0;
        Py_XDECREF(max_slice);
        Py_DECREF(factory);
        if (PyErr_Occurred() || tf_wall_clock(&t->last) < 0) {
            return -1;
        }
        t->end = t->last + slice;
        t->units = 0;
        t->stride = 1;
        return 0;
    }
    t->predicate = PyObject_CallNoArgs(factory);
    Py_DECREF(factory);
    return t->predicate ? 0 : -1;
}

/* 1 when the slice is over, 0 when not, -1 with an exception. */
static int
terminator_done(terminator *t)
{
    if (t->predicate == NULL) {
        if (++t->units < t->stride) {
            return 0;
        }
        double now;
        if (tf_wall_clock(&now) < 0) {
            return -1;
        }
        if (now >= t->end) {
            return 1;
        }
        /* The next read: after as many units as fit in half the time left,
         * at the cost per unit measured since the last read.  A clock that
         * stood still or went back (CLOCK_REALTIME) measures nothing. */
        double cost = (now - t->last) / t->units;
        double fit = cost > 0.0 ? (t->end - now) / 2.0 / cost
                                : (double)TF_SLICE_STRIDE_MAX;
        t->stride = fit >= TF_SLICE_STRIDE_MAX ? TF_SLICE_STRIDE_MAX
                    : fit >= 1.0              ? (int)fit
                                              : 1;
        t->last = now;
        t->units = 0;
        return 0;
    }
    PyObject *result = PyObject_CallNoArgs(t->predicate);
    if (result == NULL) {
        return -1;
    }
    int done = PyObject_IsTrue(result);
    Py_DECREF(result);
    return done;
}

/* --- a tick ------------------------------------------------------------------- */

/* One work unit of task: in C when it is one of ours that does not
 * override _oneWorkUnit, else through the method. */
static int
work_on(tf_state *state, PyObject *task)
{
    /* twisted_fast.task.CooperativeTask itself: no override to look for. */
    if ((PyObject *)Py_TYPE(task) == state->fast_task_class) {
        return one_work_unit(state, task);
    }
    if (PyObject_TypeCheck(task, state->CooperativeTaskStepType)) {
        PyObject *method = PyObject_GetAttr((PyObject *)Py_TYPE(task),
                                            state->str_oneWorkUnit);
        if (method == NULL) {
            return -1;
        }
        Py_DECREF(method); /* the type holds it; only identity matters */
        if (method == state->task_step_descr) {
            return one_work_unit(state, task);
        }
    }
    PyObject *result =
        PyObject_CallMethodNoArgs(task, state->str_oneWorkUnit);
    Py_XDECREF(result);
    return result ? 0 : -1;
}

/* Is self._tasks non-empty? */
static int
has_tasks(tf_state *state, PyObject *self)
{
    PyObject *tasks = PyObject_GetAttr(self, state->str_tasks);
    int truth = tasks ? PyObject_IsTrue(tasks) : -1;
    Py_XDECREF(tasks);
    return truth;
}

/* Twisted's _tasksWhileNotStopped consumed by _tick: 1 when the predicate
 * ended the slice or the tasks ran out, -1 with an exception. */
static int
run_slice(tf_state *state, PyObject *self, terminator *t)
{
    /* The timed call running this tick holds its owner for the whole
     * tick (NULL: not run by a timed call of ours). */
    TimerOwnerObject *owner = tf_stats_firing_owner(state);
    int more;
    while ((more = has_tasks(state, self)) > 0) {
        /* for t in self._metarator: the iterator is read once per pass. */
        PyObject *metarator = PyObject_GetAttr(self, state->str_metarator);
        PyObject *task;
        while (metarator != NULL && (task = next_of(metarator)) != NULL) {
            int result;
            if (tf_stats_watching(state)) {
                tf_watch watch;
                tf_watch_start(state, &watch);
                result = work_on(state, task);
                tf_watch_end(state, &watch, "work unit", task);
            }
            else {
                result = work_on(state, task);
            }
            if (owner != NULL) {
                TF_STATS_ADD(&owner->stats, work_units, 1);
            }
            Py_DECREF(task);
            int done = result < 0 ? -1 : terminator_done(t);
            if (done != 0) {
                Py_DECREF(metarator);
                return done;
            }
        }
        Py_XDECREF(metarator);
        if (PyErr_Occurred()) {
            return -1;
        }
        /* self._metarator = iter(self._tasks) */
        PyObject *tasks = PyObject_GetAttr(self, state->str_tasks);
        PyObject *fresh = tasks ? PyObject_GetIter(tasks) : NULL;
        Py_XDECREF(tasks);
        if (fresh == NULL ||
            PyObject_SetAttr(self, state->str_metarator, fresh) < 0) {
            Py_XDECREF(fresh);
            return -1;
        }
        Py_DECREF(fresh);
    }
    return more < 0 ? -1 : 1;
}

PyDoc_STRVAR(coopstep_tick_doc,
"_tick($self)\n--\n\n"
"Run one time slice of work units across the tasks, round-robin, then\n"
"reschedule; as Twisted's Cooperator._tick.");

static PyObject *
coopstep_tick(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    tf_state *state = tf_get_state_of(self);
    if (state == NULL ||
        PyObject_SetAttr(self, state->str_delayedCall, Py_None) < 0) {
        return NULL;
    }
    terminator t = {NULL, 0.0, 0.0, 0, 1};
    if (terminator_start(state, self, &t) < 0) {
        return NULL;
    }
    int result = run_slice(state, self, &t);
    Py_XDECREF(t.predicate);
    if (result < 0) {
        return NULL;
    }
    return PyObject_CallMethodNoArgs(self, state->str_reschedule);
}

/* --- registration ------------------------------------------------------------- */

PyObject *
tf_register_task_class(PyObject *module, PyObject *cls)
{
    tf_state *state = tf_get_state(module);
    if (!PyType_Check(cls) ||
        !PyType_IsSubtype((PyTypeObject *)cls, state->CooperativeTaskStepType)) {
        PyErr_SetString(PyExc_TypeError,
                        "_register_task_class() takes a CooperativeTaskStep "
                        "subclass");
        return NULL;
    }
    Py_XSETREF(state->fast_task_class, Py_NewRef(cls));
    Py_RETURN_NONE;
}

/* --- types -------------------------------------------------------------------- */

static PyMethodDef coopstep_methods[] = {
    {"_tick", coopstep_tick, METH_NOARGS, coopstep_tick_doc},
    {NULL},
};

static PyMethodDef taskstep_methods[] = {
    {"_oneWorkUnit", taskstep_oneWorkUnit, METH_NOARGS,
     taskstep_oneWorkUnit_doc},
    {NULL},
};

static PyType_Slot coopstep_slots[] = {
    TF_ATTROBJECT_SLOTS,
    {Py_tp_doc, (void *)"The per-tick half of Cooperator in C; use "
                        "twisted_fast.task.Cooperator."},
    {Py_tp_methods, coopstep_methods},
    {0, NULL},
};

static PyType_Slot taskstep_slots[] = {
    TF_ATTROBJECT_SLOTS,
    {Py_tp_doc, (void *)"The per-step half of CooperativeTask in C; use "
                        "twisted_fast.task.CooperativeTask."},
    {Py_tp_methods, taskstep_methods},
    {0, NULL},
};

PyType_Spec tf_cooperatortick_spec = {
    .name = "twisted_fast._speedups.CooperatorTick",
    .basicsize = sizeof(AttrObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = coopstep_slots,
};

PyType_Spec tf_cooperativetaskstep_spec = {
    .name = "twisted_fast._speedups.CooperativeTaskStep",
    .basicsize = sizeof(AttrObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = taskstep_slots,
};
