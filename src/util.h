/*
 * util.h: small helpers several C files need (util.c).
 */
#ifndef TF_UTIL_H
#define TF_UTIL_H

#include "state.h"

#include "structmember.h"

#include <stdint.h>
#include <time.h>

/* Take the exception being raised, as one object with its traceback
 * attached; NULL if none (3.12 has this built in). */
PyObject *tf_take_exception(void);

/* Raise exception again (one that tf_take_exception took), stealing it. */
void tf_restore_exception(PyObject *exception);

/* time.time(), as the float CPython's time module makes of the same clock:
 * 0, or -1 with OSError. */
static inline int
tf_wall_clock(double *now)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    /* CPython's _PyTime_AsSecondsDouble: whole seconds exactly, else the
     * nanoseconds divided.  tv_nsec == 0 is its "ns % 10**9 == 0". */
    if (ts.tv_nsec == 0) {
        *now = (double)ts.tv_sec;
        return 0;
    }
    int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    *now = (double)ns / 1e9;
    return 0;
}

/*
 * The attribute name of a type, as attribute access finds it: through the
 * MRO and CPython's type attribute cache, so a few loads when cached, where
 * PyObject_GetAttr on the type or a dict lookup costs a hash probe or more.
 * Borrowed, or NULL when absent (never an exception).  _PyType_Lookup is
 * exported by every CPython this project supports (3.11 to 3.13); it is the
 * one private API used, and only through here.
 */
static inline PyObject *
tf_type_lookup(PyTypeObject *type, PyObject *name)
{
    return _PyType_Lookup(type, name);
}

/*
 * The version tag of a type's attribute set, or 0 when it has none: CPython
 * gives a type a new tag whenever it (or a base) changes an attribute, so an
 * answer computed from lookups on a type stays right while the tag is the
 * same (CPython's own attribute cache relies on this).  3.11 and 3.12 flag a
 * valid tag; 3.13 drops the flag and keeps 0 for "none".
 */
static inline unsigned int
tf_type_version(PyTypeObject *type)
{
#if PY_VERSION_HEX < 0x030D0000
    if (!PyType_HasFeature(type, Py_TPFLAGS_VALID_VERSION_TAG)) {
        return 0;
    }
#endif
    return type->tp_version_tag;
}

/*
 * The one argument of a method that Twisted defines as (self, name): by
 * position or as name=...  Borrowed, or NULL with a TypeError.  (Methods
 * taking it are METH_FASTCALL | METH_KEYWORDS, which CPython specialises.)
 */
PyObject *tf_one_arg(PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames, const char *method, const char *name);

/* helper(a, b), for the Python halves of the LoopingCall and Cooperator
 * steps: 0, or -1 with the helper's exception.  Steals b. */
int tf_call_helper(PyObject *helper, PyObject *a, PyObject *b);

/*
 * Is value None or of a builtin type (int, float, str, bytes, tuple, list,
 * dict, bool)?  Such values are not Deferreds or Failures, and answering so
 * at once saves isinstance(value, Deferred): Deferred is an ABC (it derives
 * from typing.Awaitable), whose isinstance costs more than a whole step.
 * (Nobody registers builtin types as virtual subclasses of Deferred.)
 */
static inline int
tf_is_common_builtin(PyObject *value)
{
    PyTypeObject *type = Py_TYPE(value);
    return value == Py_None || type == &PyLong_Type || type == &PyFloat_Type ||
           type == &PyUnicode_Type || type == &PyBytes_Type ||
           type == &PyTuple_Type || type == &PyList_Type ||
           type == &PyDict_Type || type == &PyBool_Type;
}

/*
 * AttrObject: the C base of the types whose state lives in their instance
 * dict, as in the Twisted class they speed up (LoopingCallTick,
 * CooperatorTick, CooperativeTaskStep): a dict and weak references, GC.
 */
typedef struct {
    PyObject_HEAD
    PyObject *dict;
    PyObject *weakreflist;
} AttrObject;

int tf_attrobject_traverse(PyObject *op, visitproc visit, void *arg);
int tf_attrobject_clear(PyObject *op);
void tf_attrobject_dealloc(PyObject *op);
extern PyMemberDef tf_attrobject_members[];

/* The slots every AttrObject type shares, then its own. */
#define TF_ATTROBJECT_SLOTS                                                  \
    {Py_tp_new, PyType_GenericNew}, {Py_tp_dealloc, tf_attrobject_dealloc},  \
        {Py_tp_traverse, tf_attrobject_traverse},                            \
        {Py_tp_clear, tf_attrobject_clear},                                  \
        {Py_tp_members, tf_attrobject_members}

#endif /* TF_UTIL_H */
