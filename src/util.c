/*
 * util.c: small helpers several C files need (see util.h).
 */
#include "util.h"

#include <stddef.h>
#include <time.h>

#include "structmember.h"

PyObject *
tf_take_exception(void)
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

void
tf_restore_exception(PyObject *exception)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exception);
#else
    PyObject *type = Py_NewRef((PyObject *)Py_TYPE(exception));
    PyObject *traceback = PyException_GetTraceback(exception);
    PyErr_Restore(type, exception, traceback);
#endif
}

int
tf_call_helper(PyObject *helper, PyObject *a, PyObject *b)
{
    PyObject *result = PyObject_CallFunctionObjArgs(helper, a, b, NULL);
    Py_XDECREF(b);
    Py_XDECREF(result);
    return result ? 0 : -1;
}

#define AttrObject_CAST(op) ((AttrObject *)(op))

int
tf_attrobject_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(AttrObject_CAST(op)->dict);
    return 0;
}

int
tf_attrobject_clear(PyObject *op)
{
    Py_CLEAR(AttrObject_CAST(op)->dict);
    return 0;
}

void
tf_attrobject_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (AttrObject_CAST(op)->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    (void)tf_attrobject_clear(op);
    type->tp_free(op);
    Py_DECREF(type);
}

PyMemberDef tf_attrobject_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(AttrObject, dict), READONLY},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(AttrObject, weakreflist),
     READONLY},
    {NULL},
};

PyObject *
tf_one_arg(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
           const char *method, const char *name)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs == 1 && nkw == 0) {
        return args[0];
    }
    if (nargs == 0 && nkw == 1 &&
        PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), name) == 0) {
        return args[0];
    }
    PyErr_Format(PyExc_TypeError, "%s() takes exactly one argument (%s)",
                 method, name);
    return NULL;
}
