/*
 * module.c: twisted_fast._speedups, module initialisation and state.
 *
 * Owns: the module state (state.h): it creates the heap types, imports the
 * Twisted objects the C code needs, interns the names, and visits and
 * clears all of them.  Multi-phase initialisation (PEP 489): nothing here
 * is static except the module definition itself.
 */
#include "state.h"

#include "debug.h"
#include "stats.h"
#include "timerowner.h"

/* --- helpers for tests --------------------------------------------------------- */

/* value as a timer owner (a C Clock or TimerQueue), or NULL with a
 * TypeError that names function and, after the owner, any more arguments. */
static TimerOwnerObject *
owner_arg(PyObject *module, PyObject *value, const char *function,
          const char *more)
{
    tf_state *state = tf_get_state(module);
    if (!PyObject_TypeCheck(value, state->ClockType) &&
        !PyObject_TypeCheck(value, state->TimerQueueType)) {
        PyErr_Format(PyExc_TypeError, "%s() takes a Clock or a TimerQueue%s",
                     function, more);
        return NULL;
    }
    return TimerOwner_CAST(value);
}

PyDoc_STRVAR(check_heap_doc,
"_check_heap($module, owner, /)\n--\n\n"
"Check the invariants of a C Clock's or TimerQueue's heaps (O(n), for\n"
"tests): return -1\n"
"when it is consistent, else the index of the first bad entry.");

static PyObject *
check_heap(PyObject *module, PyObject *clock)
{
    TimerOwnerObject *owner = owner_arg(module, clock, "_check_heap", "");
    return owner ? PyLong_FromLong(tf_owner_check_heap(owner)) : NULL;
}

PyDoc_STRVAR(split_heap_at_doc,
"_split_heap_at($module, owner, size, /)\n--\n\n"
"Make the heap of a C Clock's or TimerQueue's pending calls split into\n"
"tiers (heap.h) once its near heap holds size entries instead of\n"
"thousands, so that tests reach the wheel with a few timers.  Return the\n"
"previous size.");

static PyObject *
split_heap_at(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError,
                        "_split_heap_at() takes a Clock or a TimerQueue and a size");
        return NULL;
    }
    TimerOwnerObject *owner =
        owner_arg(module, args[0], "_split_heap_at", " and a size");
    if (owner == NULL) {
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(args[1]);
    if (size == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (size < 1) {
        PyErr_SetString(PyExc_ValueError, "the size must be at least 1");
        return NULL;
    }
    size_t previous = owner->heap.split_min;
    tf_heap_set_split_at(&owner->heap, (size_t)size);
    return PyLong_FromSize_t(previous);
}

PyDoc_STRVAR(heap_shape_doc,
"_heap_shape($module, owner, /)\n--\n\n"
"How many calls each tier of a C Clock's or TimerQueue's heap holds (for\n"
"tests): (near heap, wheel slots, far heap), far -1 when it has not split.");

static PyObject *
heap_shape(PyObject *module, PyObject *value)
{
    TimerOwnerObject *owner = owner_arg(module, value, "_heap_shape", "");
    if (owner == NULL) {
        return NULL;
    }
    long near, slots, far;
    tf_heap_shape(&owner->heap, &near, &slots, &far);
    return Py_BuildValue("(lll)", near, slots, far);
}

PyDoc_STRVAR(live_counts_doc,
"_live_counts($module)\n--\n\n"
"In debug builds, the number of live objects of each C type; else None.");

static PyObject *
live_counts(PyObject *module, PyObject *Py_UNUSED(ignored))
{
#ifdef TF_DEBUG
    tf_state *state = tf_get_state(module);
    return Py_BuildValue("{sl,sl}", "DelayedCall", state->live_delayedcalls,
                         "Clock", state->live_clocks);
#else
    (void)module;
    Py_RETURN_NONE;
#endif
}

PyDoc_STRVAR(gc_callback_doc,
"_gc_callback($module, phase, info)\n--\n\n"
"Installed in gc.callbacks: before each full collection, make the GC track\n"
"exactly the pending calls that something besides their clock holds.");

/* cooperator.c, loopingcall.c */
PyObject *tf_register_task_class(PyObject *module, PyObject *cls);
PyObject *tf_register_loopingcall_class(PyObject *module, PyObject *cls);

PyDoc_STRVAR(register_loopingcall_class_doc,
"_register_loopingcall_class($module, cls)\n--\n\n"
"Tell the C tick which LoopingCall class keeps its state in its instance\n"
"dict with no descriptors in the way (twisted_fast._compat calls it once).");

PyDoc_STRVAR(register_task_class_doc,
"_register_task_class($module, cls)\n--\n\n"
"Tell the C tick which CooperativeTask class runs its work units in C\n"
"without looking for an override (twisted_fast._compat calls it once).");

PyDoc_STRVAR(timer_stats_doc,
"_timer_stats($module, owner, /)\n--\n\n"
"The timer statistics of a C Clock or TimerQueue, as a tuple: (scheduled,\n"
"fired, cancelled, reset, maxLateness, busy, bucket counts,\n"
"loopingCallTicks, skippedIntervals, workUnits, slowCalls, latenessSum).\n"
"Use twisted_fast.timerStats().");

PyDoc_STRVAR(reset_timer_stats_doc,
"_reset_timer_stats($module, owner, /)\n--\n\n"
"Set the timer statistics of a C Clock or TimerQueue back to zero.");

PyDoc_STRVAR(stats_bounds_doc,
"_stats_bounds($module, /)\n--\n\n"
"The upper bound of each lateness bucket, in seconds (inf for the last).");

PyDoc_STRVAR(watch_slow_calls_doc,
"_watch_slow_calls($module, threshold, hook=None, /)\n--\n\n"
"Report every timed call and work unit that runs longer than threshold\n"
"seconds: hook(kind, callable, duration, lateness, creator).  With None\n"
"alone, stop.  Use twisted_fast.watchSlowCalls().");

PyDoc_STRVAR(count_skipped_doc,
"_count_skipped($module, loop, due, /)\n--\n\n"
"A LoopingCall tick due at due has scheduled its next tick: count the\n"
"intervals skipped (twisted_fast._loopingcall calls it).");

PyDoc_STRVAR(set_monotonic_doc,
"_set_monotonic($module, clock, /)\n--\n\n"
"For tests: measure slow calls and busy time with clock() instead of the\n"
"monotonic clock (None: the real one again).");

PyDoc_STRVAR(set_stats_bucket_doc,
"_set_stats_bucket($module, owner, index, count, /)\n--\n\n"
"For tests: set one lateness bucket of a C Clock or TimerQueue to count\n"
"(up to 2**64 - 1), allocating its histogram as a first callLater does.");

static PyMethodDef module_methods[] = {
    {"_timer_stats", tf_stats_get, METH_O, timer_stats_doc},
    {"_reset_timer_stats", tf_stats_reset, METH_O, reset_timer_stats_doc},
    {"_stats_bounds", tf_stats_bounds, METH_NOARGS, stats_bounds_doc},
    {"_watch_slow_calls", (PyCFunction)(void (*)(void))tf_stats_watch,
     METH_FASTCALL, watch_slow_calls_doc},
    {"_count_skipped", (PyCFunction)(void (*)(void))tf_stats_count_skipped,
     METH_FASTCALL, count_skipped_doc},
    {"_set_monotonic", tf_stats_set_monotonic, METH_O, set_monotonic_doc},
    {"_set_stats_bucket", (PyCFunction)(void (*)(void))tf_stats_set_bucket,
     METH_FASTCALL, set_stats_bucket_doc},
    {"_register_task_class", tf_register_task_class, METH_O,
     register_task_class_doc},
    {"_register_loopingcall_class", tf_register_loopingcall_class, METH_O,
     register_loopingcall_class_doc},
    {"_gc_callback", (PyCFunction)(void (*)(void))tf_owner_gc_callback,
     METH_FASTCALL, gc_callback_doc},
    {"_check_heap", check_heap, METH_O, check_heap_doc},
    {"_heap_shape", heap_shape, METH_O, heap_shape_doc},
    {"_split_heap_at", (PyCFunction)(void (*)(void))split_heap_at,
     METH_FASTCALL, split_heap_at_doc},
    {"_live_counts", live_counts, METH_NOARGS, live_counts_doc},
    {NULL},
};

/* --- state ------------------------------------------------------------------- */

static PyObject *
import_attr(const char *module_name, const char *attr)
{
    PyObject *module = PyImport_ImportModule(module_name);
    if (module == NULL) {
        return NULL;
    }
    PyObject *value = PyObject_GetAttrString(module, attr);
    Py_DECREF(module);
    return value;
}

/* Twisted's own DelayedCall class.  If twisted_fast.install() has already
 * put ours in twisted.internet.base (the module initialised again), it is
 * the one twisted_fast._compat saved. */
static PyObject *
import_twisted_delayedcall(void)
{
    PyObject *cls = import_attr("twisted.internet.base", "DelayedCall");
    PyObject *lt = cls ? PyObject_GetAttrString(cls, "__lt__") : NULL;
    int twisteds = lt != NULL && PyFunction_Check(lt);
    Py_XDECREF(lt);
    if (twisteds || cls == NULL) {
        return cls;
    }
    Py_DECREF(cls);
    return import_attr("twisted_fast._compat", "TwistedDelayedCall");
}

/*
 * Twisted up to 22.10 compares a DelayedCall only with a DelayedCall
 * (__lt__/__le__ return NotImplemented for anything else); later releases
 * compare the .time of anything.  DelayedCall.__lt__(None, None) tells them
 * apart: NotImplemented from the first, AttributeError from the others.
 */
static int
detect_strict_comparison(PyObject *twisted_class)
{
    PyObject *result = PyObject_CallMethod(twisted_class, "__lt__", "OO",
                                           Py_None, Py_None);
    if (result == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            return -1;
        }
        PyErr_Clear();
        return 0;
    }
    int strict = result == Py_NotImplemented;
    Py_DECREF(result);
    return strict;
}

static int
add_type(PyObject *module, PyType_Spec *spec, PyTypeObject **slot)
{
    *slot = (PyTypeObject *)PyType_FromModuleAndSpec(module, spec, NULL);
    if (*slot == NULL) {
        return -1;
    }
    return PyModule_AddType(module, *slot);
}

/* ReactorTimeMethods.seconds: the one ReactorSeconds descriptor (see
 * timerqueue.c), not exported. */
static int
add_reactor_seconds(PyObject *module, tf_state *state)
{
    state->ReactorSecondsType = (PyTypeObject *)PyType_FromModuleAndSpec(
        module, &tf_reactorseconds_spec, NULL);
    if (state->ReactorSecondsType == NULL) {
        return -1;
    }
    state->reactor_seconds_descr =
        PyType_GenericAlloc(state->ReactorSecondsType, 0);
    if (state->reactor_seconds_descr == NULL) {
        return -1;
    }
    return PyObject_SetAttr((PyObject *)state->ReactorTimeMethodsType,
                            state->str_seconds, state->reactor_seconds_descr);
}

static int
intern_names(tf_state *state)
{
#define TF_INTERN(field, text)                                               \
    if ((state->field = PyUnicode_InternFromString(text)) == NULL) {         \
        return -1;                                                           \
    }
    TF_INTERN(str_debug, "debug");
    TF_INTERN(str_seconds, "seconds");
    TF_INTERN(str_delay, "delay");
    TF_INTERN(str_callable, "callable");
    TF_INTERN(str_advance, "advance");
    TF_INTERN(str_rightNow, "rightNow");
    TF_INTERN(str_activate_delay, "activate_delay");
    TF_INTERN(str_interval, "interval");
    TF_INTERN(str_starttime, "starttime");
    TF_INTERN(str_clock, "clock");
    TF_INTERN(str_callLater, "callLater");
    TF_INTERN(str_call, "call");
    TF_INTERN(str_f, "f");
    TF_INTERN(str_a, "a");
    TF_INTERN(str_kw, "kw");
    TF_INTERN(str_running, "running");
    TF_INTERN(str_iterator, "_iterator");
    TF_INTERN(str_terminationPredicateFactory, "_terminationPredicateFactory");
    TF_INTERN(str_MAX_SLICE, "MAX_SLICE");
    TF_INTERN(str_oneWorkUnit, "_oneWorkUnit");
    TF_INTERN(str_tasks, "_tasks");
    TF_INTERN(str_metarator, "_metarator");
    TF_INTERN(str_delayedCall, "_delayedCall");
    TF_INTERN(str_reschedule, "_reschedule");
    TF_INTERN(str_timers, "_timers");
    TF_INTERN(str_time, "time");
#undef TF_INTERN
    state->empty_tuple = PyTuple_New(0);
    return state->empty_tuple == NULL ? -1 : 0;
}

/* Twisted's LoopingCall._scheduleFrom function (see import_twisted_repr). */
static PyObject *
import_twisted_schedule_from(void)
{
    PyObject *cls = import_attr("twisted.internet.task", "LoopingCall");
    PyObject *method = cls ? PyObject_GetAttrString(cls, "_scheduleFrom") : NULL;
    Py_XDECREF(cls);
    if (method == NULL || PyFunction_Check(method)) {
        return method;
    }
    Py_DECREF(method);
    cls = import_attr("twisted_fast._compat", "TwistedLoopingCall");
    method = cls ? PyObject_GetAttrString(cls, "_scheduleFrom") : NULL;
    Py_XDECREF(cls);
    return method;
}

static int
import_loopingcall_helpers(tf_state *state)
{
    const char *module = "twisted_fast._loopingcall";
    state->twisted_schedule_from = import_twisted_schedule_from();
    state->deferred_or_failure = import_attr(module, "DEFERRED_OR_FAILURE");
    state->tick_callback = import_attr(module, "tickCallback");
    state->tick_errback = import_attr(module, "tickErrback");
    state->tick_result = import_attr(module, "tickResult");
    state->tick_raised = import_attr(module, "tickRaised");
    return (state->twisted_schedule_from && state->deferred_or_failure &&
            state->tick_callback && state->tick_errback &&
            state->tick_result && state->tick_raised)
               ? 0
               : -1;
}

static int
import_cooperator_helpers(tf_state *state)
{
    const char *module = "twisted_fast._cooperator";
    state->deferred_type = import_attr("twisted.internet.defer", "Deferred");
    state->twisted_timer = import_attr("twisted.internet.task", "_Timer");
    state->task_done = import_attr(module, "taskDone");
    state->task_failed = import_attr(module, "taskFailed");
    state->task_waits = import_attr(module, "taskWaits");
    state->task_module = PyImport_ImportModule("twisted.internet.task");
    state->real_time_time = import_attr("time", "time");
    return (state->deferred_type && state->twisted_timer && state->task_done &&
            state->task_failed && state->task_waits && state->task_module &&
            state->real_time_time)
               ? 0
               : -1;
}

static int
import_twisted(tf_state *state)
{
    state->AlreadyCalled = import_attr("twisted.internet.error", "AlreadyCalled");
    state->AlreadyCancelled =
        import_attr("twisted.internet.error", "AlreadyCancelled");
    state->format_stack = import_attr("traceback", "format_stack");
    state->runtime_seconds = import_attr("twisted.python.runtime", "seconds");
    state->twisted_dc_class = import_twisted_delayedcall();
    if (state->AlreadyCalled == NULL || state->AlreadyCancelled == NULL ||
        state->format_stack == NULL || state->runtime_seconds == NULL ||
        state->twisted_dc_class == NULL) {
        return -1;
    }
    state->twisted_dc_repr =
        PyObject_GetAttrString(state->twisted_dc_class, "__repr__");
    state->strict_comparison = detect_strict_comparison(state->twisted_dc_class);
    return state->twisted_dc_repr == NULL || state->strict_comparison < 0 ? -1 : 0;
}

/* gc.callbacks.append(module._gc_callback); see timerowner.h. */
static int
install_gc_callback(PyObject *module)
{
    PyObject *callbacks = import_attr("gc", "callbacks");
    PyObject *callback = PyObject_GetAttrString(module, "_gc_callback");
    int result = -1;
    if (callbacks != NULL && callback != NULL) {
        result = PyList_Append(callbacks, callback);
    }
    Py_XDECREF(callbacks);
    Py_XDECREF(callback);
    return result;
}

static int
module_exec(PyObject *module)
{
    tf_state *state = tf_get_state(module);
    if (intern_names(state) < 0 || import_twisted(state) < 0 ||
        import_loopingcall_helpers(state) < 0 ||
        import_cooperator_helpers(state) < 0) {
        return -1;
    }
    if (add_type(module, &tf_delayedcall_spec, &state->DelayedCallType) < 0 ||
        add_type(module, &tf_clock_spec, &state->ClockType) < 0 ||
        add_type(module, &tf_timerqueue_spec, &state->TimerQueueType) < 0 ||
        add_type(module, &tf_loopingcalltick_spec,
                 &state->LoopingCallTickType) < 0 ||
        add_type(module, &tf_reactormethods_spec,
                 &state->ReactorTimeMethodsType) < 0 ||
        add_type(module, &tf_cooperatortick_spec,
                 &state->CooperatorTickType) < 0 ||
        add_type(module, &tf_cooperativetaskstep_spec,
                 &state->CooperativeTaskStepType) < 0) {
        return -1;
    }
    /* Twisted's class attribute, patched by tests: DelayedCall.debug. */
    if (PyObject_SetAttr((PyObject *)state->DelayedCallType, state->str_debug,
                         Py_False) < 0) {
        return -1;
    }
    state->clock_seconds_descr =
        PyObject_GetAttr((PyObject *)state->ClockType, state->str_seconds);
    state->task_step_descr = PyObject_GetAttr(
        (PyObject *)state->CooperativeTaskStepType, state->str_oneWorkUnit);
    if (state->task_step_descr == NULL) {
        return -1;
    }
    state->clock_rightNow_descr =
        PyObject_GetAttr((PyObject *)state->ClockType, state->str_rightNow);
    if (add_reactor_seconds(module, state) < 0) {
        return -1;
    }
    state->clock_callLater_descr =
        PyObject_GetAttr((PyObject *)state->ClockType, state->str_callLater);
    if (state->clock_callLater_descr == NULL) {
        return -1;
    }
    if (state->clock_seconds_descr == NULL ||
        state->clock_rightNow_descr == NULL) {
        return -1;
    }
    if (install_gc_callback(module) < 0) {
        return -1;
    }
    /* Timer health: whether it is built in, and its bytes per owner. */
#ifdef TF_NO_STATS
    if (PyModule_AddIntConstant(module, "STATS_BUILD", 0) < 0) {
        return -1;
    }
#else
    if (PyModule_AddIntConstant(module, "STATS_BUILD", 1) < 0) {
        return -1;
    }
#endif
    if (PyModule_AddIntConstant(module, "STATS_BYTES",
                                (long)TF_STATS_BYTES) < 0) {
        return -1;
    }
#ifdef TF_DEBUG
    return PyModule_AddIntConstant(module, "DEBUG_BUILD", 1);
#else
    return PyModule_AddIntConstant(module, "DEBUG_BUILD", 0);
#endif
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    tf_state *state = tf_get_state(module);
    Py_VISIT(state->DelayedCallType);
    Py_VISIT(state->ClockType);
    Py_VISIT(state->TimerQueueType);
    Py_VISIT(state->LoopingCallTickType);
    Py_VISIT(state->ReactorTimeMethodsType);
    Py_VISIT(state->ReactorSecondsType);
    Py_VISIT(state->CooperatorTickType);
    Py_VISIT(state->CooperativeTaskStepType);
    Py_VISIT(state->AlreadyCalled);
    Py_VISIT(state->AlreadyCancelled);
    Py_VISIT(state->format_stack);
    Py_VISIT(state->runtime_seconds);
    Py_VISIT(state->twisted_dc_repr);
    Py_VISIT(state->twisted_dc_class);
    Py_VISIT(state->clock_seconds_descr);
    Py_VISIT(state->clock_callLater_descr);
    Py_VISIT(state->clock_rightNow_descr);
    Py_VISIT(state->reactor_seconds_descr);
    Py_VISIT(state->twisted_schedule_from);
    Py_VISIT(state->deferred_or_failure);
    Py_VISIT(state->tick_callback);
    Py_VISIT(state->tick_errback);
    Py_VISIT(state->tick_result);
    Py_VISIT(state->tick_raised);
    Py_VISIT(state->deferred_type);
    Py_VISIT(state->twisted_timer);
    Py_VISIT(state->task_step_descr);
    Py_VISIT(state->task_done);
    Py_VISIT(state->task_failed);
    Py_VISIT(state->task_waits);
    Py_VISIT(state->fast_task_class);
    Py_VISIT(state->task_module);
    Py_VISIT(state->real_time_time);
    Py_VISIT(state->fast_loopingcall_class);
    Py_VISIT(state->slow_call_hook);
    Py_VISIT(state->monotonic);
    Py_VISIT(state->firing);
    Py_VISIT(state->str_debug);
    Py_VISIT(state->str_seconds);
    Py_VISIT(state->str_delay);
    Py_VISIT(state->str_callable);
    Py_VISIT(state->str_advance);
    Py_VISIT(state->str_rightNow);
    Py_VISIT(state->str_activate_delay);
    Py_VISIT(state->str_interval);
    Py_VISIT(state->str_starttime);
    Py_VISIT(state->str_clock);
    Py_VISIT(state->str_callLater);
    Py_VISIT(state->str_call);
    Py_VISIT(state->str_f);
    Py_VISIT(state->str_a);
    Py_VISIT(state->str_kw);
    Py_VISIT(state->str_running);
    Py_VISIT(state->str_iterator);
    Py_VISIT(state->str_terminationPredicateFactory);
    Py_VISIT(state->str_MAX_SLICE);
    Py_VISIT(state->str_oneWorkUnit);
    Py_VISIT(state->str_tasks);
    Py_VISIT(state->str_metarator);
    Py_VISIT(state->str_delayedCall);
    Py_VISIT(state->str_reschedule);
    Py_VISIT(state->str_timers);
    Py_VISIT(state->empty_tuple);
    Py_VISIT(state->str_time);
    return 0;
}

static int
module_clear(PyObject *module)
{
    tf_state *state = tf_get_state(module);
    tf_delayedcall_free_list_clear(state);
    Py_CLEAR(state->DelayedCallType);
    Py_CLEAR(state->ClockType);
    Py_CLEAR(state->TimerQueueType);
    Py_CLEAR(state->LoopingCallTickType);
    Py_CLEAR(state->ReactorTimeMethodsType);
    Py_CLEAR(state->ReactorSecondsType);
    Py_CLEAR(state->CooperatorTickType);
    Py_CLEAR(state->CooperativeTaskStepType);
    Py_CLEAR(state->AlreadyCalled);
    Py_CLEAR(state->AlreadyCancelled);
    Py_CLEAR(state->format_stack);
    Py_CLEAR(state->runtime_seconds);
    Py_CLEAR(state->twisted_dc_repr);
    Py_CLEAR(state->twisted_dc_class);
    Py_CLEAR(state->clock_seconds_descr);
    Py_CLEAR(state->clock_callLater_descr);
    Py_CLEAR(state->clock_rightNow_descr);
    Py_CLEAR(state->reactor_seconds_descr);
    Py_CLEAR(state->twisted_schedule_from);
    Py_CLEAR(state->deferred_or_failure);
    Py_CLEAR(state->tick_callback);
    Py_CLEAR(state->tick_errback);
    Py_CLEAR(state->tick_result);
    Py_CLEAR(state->tick_raised);
    Py_CLEAR(state->deferred_type);
    Py_CLEAR(state->twisted_timer);
    Py_CLEAR(state->task_step_descr);
    Py_CLEAR(state->task_done);
    Py_CLEAR(state->task_failed);
    Py_CLEAR(state->task_waits);
    Py_CLEAR(state->fast_task_class);
    Py_CLEAR(state->task_module);
    Py_CLEAR(state->real_time_time);
    Py_CLEAR(state->fast_loopingcall_class);
    state->watch_slow = 0;
    Py_CLEAR(state->slow_call_hook);
    Py_CLEAR(state->monotonic);
    Py_CLEAR(state->firing);
    Py_CLEAR(state->str_debug);
    Py_CLEAR(state->str_seconds);
    Py_CLEAR(state->str_delay);
    Py_CLEAR(state->str_callable);
    Py_CLEAR(state->str_advance);
    Py_CLEAR(state->str_rightNow);
    Py_CLEAR(state->str_activate_delay);
    Py_CLEAR(state->str_interval);
    Py_CLEAR(state->str_starttime);
    Py_CLEAR(state->str_clock);
    Py_CLEAR(state->str_callLater);
    Py_CLEAR(state->str_call);
    Py_CLEAR(state->str_f);
    Py_CLEAR(state->str_a);
    Py_CLEAR(state->str_kw);
    Py_CLEAR(state->str_running);
    Py_CLEAR(state->str_iterator);
    Py_CLEAR(state->str_terminationPredicateFactory);
    Py_CLEAR(state->str_MAX_SLICE);
    Py_CLEAR(state->str_oneWorkUnit);
    Py_CLEAR(state->str_tasks);
    Py_CLEAR(state->str_metarator);
    Py_CLEAR(state->str_delayedCall);
    Py_CLEAR(state->str_reschedule);
    Py_CLEAR(state->str_timers);
    Py_CLEAR(state->empty_tuple);
    Py_CLEAR(state->str_time);
    return 0;
}

static void
module_free(void *module)
{
    (void)module_clear((PyObject *)module);
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#ifdef Py_mod_multiple_interpreters
    /* State is per module, but Twisted itself is not built for several
     * interpreters sharing a process: one at a time is what we test. */
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
#ifdef Py_mod_gil
    /* The heap and the objects rely on the GIL to serialise every access. */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

PyDoc_STRVAR(module_doc,
"C implementations of Twisted's timer machinery (use twisted_fast, not this).");

PyModuleDef tf_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "twisted_fast._speedups",
    .m_doc = module_doc,
    .m_size = sizeof(tf_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&tf_module_def);
}
