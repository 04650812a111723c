/*
 * state.h: the module state of twisted_fast._speedups, and how to reach it.
 *
 * Owns: the heap types, the Twisted objects the C code needs (cached once at
 * import), and interned attribute names.  No PyObject* lives in a static
 * variable: everything is here, visited by module_traverse and released by
 * module_clear in struct order.
 */
#ifndef TF_STATE_H
#define TF_STATE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

struct TimerOwnerObject;
struct DelayedCallObject;

typedef struct {
    /* Types. */
    PyTypeObject *DelayedCallType;
    PyTypeObject *ClockType;
    PyTypeObject *TimerQueueType;
    PyTypeObject *LoopingCallTickType;
    PyTypeObject *ReactorTimeMethodsType;
    PyTypeObject *ReactorSecondsType;
    PyTypeObject *CooperatorTickType;
    PyTypeObject *CooperativeTaskStepType;

    /* Twisted and stdlib objects. */
    PyObject *AlreadyCalled;       /* twisted.internet.error.AlreadyCalled */
    PyObject *AlreadyCancelled;    /* twisted.internet.error.AlreadyCancelled */
    PyObject *format_stack;        /* traceback.format_stack */
    PyObject *runtime_seconds;     /* twisted.python.runtime.seconds */
    PyObject *twisted_dc_repr;     /* Twisted's DelayedCall.__repr__ function */
    PyObject *twisted_dc_class;    /* Twisted's own DelayedCall class */
    int strict_comparison; /* its < and <= refuse non-DelayedCalls (<= 22.10) */
    PyObject *clock_seconds_descr; /* our Clock.seconds, to spot overrides */
    PyObject *clock_callLater_descr; /* our Clock.callLater, likewise */
    PyObject *clock_rightNow_descr; /* our Clock.rightNow, likewise */
    PyObject *reactor_seconds_descr; /* ReactorTimeMethods.seconds, likewise */
    PyObject *twisted_schedule_from; /* Twisted's LoopingCall._scheduleFrom */
    PyObject *deferred_or_failure;   /* (Deferred, Failure) */
    PyObject *tick_callback;         /* twisted_fast._loopingcall helpers */
    PyObject *tick_errback;
    PyObject *tick_result;
    PyObject *tick_raised;
    PyObject *deferred_type;       /* Deferred */
    PyObject *twisted_timer;       /* twisted.internet.task._Timer */
    PyObject *task_step_descr;     /* our CooperativeTaskStep._oneWorkUnit */
    PyObject *task_done;           /* twisted_fast._cooperator helpers */
    PyObject *task_failed;
    PyObject *task_waits;
    PyObject *fast_task_class;     /* twisted_fast.task.CooperativeTask */
    PyObject *task_module;         /* twisted.internet.task */
    PyObject *real_time_time;      /* time.time, to spot a patched one */
    PyObject *fast_loopingcall_class; /* twisted_fast.task.LoopingCall */
    PyObject *slow_call_hook;      /* twisted_fast.health's, while watching */
    PyObject *monotonic;           /* tests' replacement clock, or NULL */

    /* Interned names. */
    PyObject *str_debug;
    PyObject *str_seconds;
    PyObject *str_delay;
    PyObject *str_callable;
    PyObject *str_advance;
    PyObject *str_rightNow;
    PyObject *str_activate_delay;
    PyObject *str_interval;
    PyObject *str_starttime;
    PyObject *str_clock;
    PyObject *str_callLater;
    PyObject *str_call;
    PyObject *str_f;
    PyObject *str_a;
    PyObject *str_kw;
    PyObject *str_running;
    PyObject *str_iterator;
    PyObject *str_terminationPredicateFactory;
    PyObject *str_MAX_SLICE;
    PyObject *str_oneWorkUnit;
    PyObject *str_tasks;
    PyObject *str_metarator;
    PyObject *str_delayedCall;
    PyObject *str_reschedule;
    PyObject *str_timers;
    PyObject *str_time;
    PyObject *empty_tuple; /* the args of callLater(delay, f) */

    /* DelayedCall.debug, as is_debug() last found it on our DelayedCall
     * type (True or False), while the type's version tag is debug_version
     * (0: nothing cached); see tf_type_version(). */
    unsigned int debug_version;
    int debug_flag;

    /* Every live timer owner (a list threaded through the owners), walked
     * by the GC callback; see timerowner.c.  Not a reference. */
    struct TimerOwnerObject *owners;

    /* Memory of freed clock-made DelayedCalls, kept for the next callLater
     * (delayedcall.c says why); linked through their func field. */
    struct DelayedCallObject *free_calls;
    int free_calls_len;

    /* Timer health (stats.h).  The call the innermost pass is running (a
     * strong reference, see stats.c), its lateness and due time, for the
     * LoopingCall ticks and work units it runs; NULL outside passes. */
    struct DelayedCallObject *firing;
    double firing_lateness;
    double firing_due;
    /* The slow-call watch: on or off, its threshold in seconds, and how
     * many slow calls were reported (a call that encloses a reported one
     * is not reported again). */
    int watch_slow;
    double slow_threshold;
    uint64_t slow_reported;

#ifdef TF_DEBUG
    /* Live objects, read by tests through _speedups._live_counts(). */
    long live_delayedcalls;
    long live_clocks;
#endif
} tf_state;

extern PyModuleDef tf_module_def;

static inline tf_state *
tf_get_state(PyObject *module)
{
    return (tf_state *)PyModule_GetState(module);
}

/* From a method's defining class (METH_METHOD): the cheap, exact way. */
static inline tf_state *
tf_get_state_by_class(PyTypeObject *defining_class)
{
    return (tf_state *)PyType_GetModuleState(defining_class);
}

/* From any instance of our types or their subclasses (slots have no
 * defining class).  Never fails for objects of our types. */
static inline tf_state *
tf_get_state_by_type(PyTypeObject *type)
{
    PyObject *module = PyType_GetModuleByDef(type, &tf_module_def);
    return module ? tf_get_state(module) : NULL;
}

/* From an instance of our types or their subclasses. */
static inline tf_state *
tf_get_state_of(PyObject *obj)
{
    return tf_get_state_by_type(Py_TYPE(obj));
}

/*
 * From a dealloc, where the instance's type may be a dying subclass that the
 * GC has already cleared: PyType_GetModuleByDef walks tp_mro, which
 * type_clear() empties, but tp_base survives.  Our type is the first base
 * whose deallocator is ours_dealloc.
 */
static inline tf_state *
tf_get_state_by_base(PyTypeObject *type, destructor ours_dealloc)
{
    while (type != NULL && type->tp_dealloc != ours_dealloc) {
        type = type->tp_base;
    }
    return type ? (tf_state *)PyType_GetModuleState(type) : NULL;
}

/* Type specs and method tables live beside the code that implements them. */
extern PyType_Spec tf_delayedcall_spec;
extern PyType_Spec tf_clock_spec;
extern PyType_Spec tf_timerqueue_spec;
extern PyType_Spec tf_loopingcalltick_spec;
extern PyType_Spec tf_reactormethods_spec;
extern PyType_Spec tf_reactorseconds_spec;
extern PyType_Spec tf_cooperatortick_spec;
extern PyType_Spec tf_cooperativetaskstep_spec;

#endif /* TF_STATE_H */
