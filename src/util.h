/*
 * util.h: small helpers several C files need (util.c).
 */
#ifndef TF_UTIL_H
#define TF_UTIL_H

#include "state.h"

#include "structmember.h"

/* Take the exception being raised, as one object with its traceback
 * attached; NULL if none (3.12 has this built in). */
PyObject *tf_take_exception(void);

/* time.time(), as the float CPython's time module makes of the same clock:
 * 0, or -1 with OSError. */
int tf_wall_clock(double *now);

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
