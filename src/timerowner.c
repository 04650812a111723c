/*
 * timerowner.c: the pending calls shared by every C timer heap owner, and
 * their GC support (see timerowner.h for the design).
 *
 * Invariants: an owner is in state->owners from tf_owner_init to
 * tf_owner_fini; every call in owner->heap or owner->new_heap has
 * call->owner == owner, in_new telling which, and is referenced once by
 * that heap.
 *
 * Calls into Python: tf_owner_release_calls (deallocating calls).  Nothing
 * here keeps a pointer into a heap array across it.
 */
#include "timerowner.h"

#include <stdlib.h>
#include <string.h>

static DelayedCallObject *
entry_call(const tf_heap_entry *entry)
{
    return tf_delayedcall_from_node(entry->node);
}

/*
 * Split callLater's arguments: (delay, callable, *args, **kw), where delay
 * and callable may also come by keyword.  On success *args_out is a new
 * tuple and *kw_out a new dict or NULL (no keywords).
 */
static int
parse_call_later(tf_state *state, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames, PyObject **delay, PyObject **callable,
                 PyObject **args_out, PyObject **kw_out)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    PyObject *kw = NULL;
    *delay = nargs > 0 ? args[0] : NULL;
    *callable = nargs > 1 ? args[1] : NULL;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        PyObject *value = args[nargs + i];
        PyObject **named = NULL;
        if (PyUnicode_Compare(name, state->str_delay) == 0) {
            named = delay;
        }
        else if (PyUnicode_Compare(name, state->str_callable) == 0) {
            named = callable;
        }
        if (named != NULL) {
            if (*named != NULL) {
                PyErr_Format(PyExc_TypeError,
                             "callLater() got multiple values for argument '%U'",
                             name);
                goto error;
            }
            *named = value;
            continue;
        }
        if (kw == NULL && (kw = PyDict_New()) == NULL) {
            goto error;
        }
        if (PyDict_SetItem(kw, name, value) < 0) {
            goto error;
        }
    }
    if (*delay == NULL || *callable == NULL) {
        PyErr_Format(PyExc_TypeError,
                     "callLater() missing required argument '%s'",
                     *delay == NULL ? "delay" : "callable");
        goto error;
    }
    Py_ssize_t npos = nargs > 2 ? nargs - 2 : 0;
    *args_out = PyTuple_New(npos);
    if (*args_out == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < npos; i++) {
        PyTuple_SET_ITEM(*args_out, i, Py_NewRef(args[2 + i]));
    }
    *kw_out = kw;
    return 0;

error:
    Py_XDECREF(kw);
    return -1;
}

PyObject *
tf_owner_call_later(TimerOwnerObject *owner, PyObject *const *args,
                    Py_ssize_t nargs, PyObject *kwnames,
                    tf_call_later_check check, int in_new)
{
    PyObject *delay, *callable, *call_args, *kw, *source = NULL, *call = NULL;
    double seconds, now;
    if (parse_call_later(owner->state, args, nargs, kwnames, &delay,
                         &callable, &call_args, &kw) < 0) {
        return NULL;
    }
    if (check(delay, callable, &seconds) == 0 &&
        owner->ops->now(owner, &now, &source) == 0 &&
        tf_check_not_nan(now + seconds, "delay") == 0) {
        call = tf_delayedcall_new_owned(owner->state, owner, now + seconds,
                                        callable, call_args, kw, in_new,
                                        source);
        if (call != NULL) {
            tf_owner_scheduled(owner);
        }
    }
    Py_XDECREF(source);
    Py_DECREF(call_args);
    Py_XDECREF(kw);
    return call;
}

void
tf_owner_init(TimerOwnerObject *owner, tf_state *state,
              const tf_owner_ops *ops)
{
    owner->ops = ops;
    owner->state = state;
    owner->next_seq = 0;
    owner->surfaced_until = -Py_HUGE_VAL;
    owner->pass_depth = 0;
    memset(&owner->stats, 0, sizeof(owner->stats));
    tf_heap_init(&owner->heap, &owner->next_seq);
    tf_heap_init(&owner->new_heap, &owner->next_seq);
    /* Calls wait in new_heap only until the next pass and leave it in no
     * particular order: one plain heap serves, and a burst of them does
     * not leave a wheel's worth of small arrays behind. */
    tf_heap_set_split_at(&owner->new_heap, SIZE_MAX);
    owner->prev_owner = NULL;
    owner->next_owner = state->owners;
    if (state->owners != NULL) {
        state->owners->prev_owner = owner;
    }
    state->owners = owner;
}

const char tf_owner_sizeof_doc[] =
    "__sizeof__($self, /)\n--\n\n"
    "Size of the object in memory, with its timer statistics, in bytes.";

PyObject *
tf_owner_sizeof(PyObject *self, PyObject *Py_UNUSED(unused))
{
    const tf_timer_stats *stats = &TimerOwner_CAST(self)->stats;
    size_t size = (size_t)Py_TYPE(self)->tp_basicsize;
    if (stats->buckets != NULL) {
        size += TF_STATS_WORDS_BYTES;
    }
    if (stats->buckets_high != NULL) {
        size += TF_STATS_WORDS_BYTES;
    }
    return PyLong_FromSize_t(size);
}

void
tf_owner_fini(TimerOwnerObject *owner)
{
    tf_state *state = owner->state;
    tf_stats_free(&owner->stats);
    if (state == NULL) {
        return; /* never initialised */
    }
    if (owner->prev_owner != NULL) {
        owner->prev_owner->next_owner = owner->next_owner;
    }
    else {
        state->owners = owner->next_owner;
    }
    if (owner->next_owner != NULL) {
        owner->next_owner->prev_owner = owner->prev_owner;
    }
    owner->state = NULL;
    tf_owner_release_calls(owner);
    tf_heap_free(&owner->heap);
    tf_heap_free(&owner->new_heap);
}

static void
orphan_all(const tf_heap *heap)
{
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    tf_heap_iter_start(&iter, heap);
    while ((entry = tf_heap_iter_next(&iter)) != NULL) {
        tf_delayedcall_orphan(entry_call(entry));
    }
}

/* Drop the references of a detached heap: nothing else can reach it, so
 * the walk may go on while the calls' deallocation runs Python code. */
static void
release_all(tf_heap *heap)
{
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    tf_heap_iter_start(&iter, heap);
    while ((entry = tf_heap_iter_next(&iter)) != NULL) {
        DelayedCallObject *call = entry_call(entry);
        if (Py_REFCNT(call) > 1) {
            tf_owner_adopted(call);
        }
        Py_DECREF(call);
    }
    tf_heap_free(heap);
}

void
tf_owner_release_calls(TimerOwnerObject *owner)
{
    tf_heap old, old_new;
    tf_heap_detach(&owner->heap, &old);
    tf_heap_detach(&owner->new_heap, &old_new);
    orphan_all(&old);
    orphan_all(&old_new);
    /* Only now release them: a __del__ may schedule on this owner again. */
    release_all(&old);
    release_all(&old_new);
}

int
tf_owner_pop_due(TimerOwnerObject *owner, double now, DelayedCallObject **due)
{
    double deadline;
    tf_heap_node *node;
    *due = NULL;
    if (tf_heap_peek(&owner->heap, &node, &deadline) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (node == NULL || deadline > now) {
        return 0;
    }
    tf_heap_remove(&owner->heap, node);
    tf_heap_node *next = tf_heap_near_first(&owner->heap);
    if (next != NULL) {
        /* The next call to fire is the new root; with many timers its
         * object is not in cache.  Start loading it now, from the GC
         * header in front of it (two pointers, read first when it fires). */
        tf_prefetch((const char *)tf_delayedcall_from_node(next) -
                        2 * sizeof(void *),
                    sizeof(DelayedCallObject) + 2 * sizeof(void *));
    }
    *due = tf_delayedcall_from_node(node); /* the heap's reference */
    return 1;
}

int
tf_owner_requeue(TimerOwnerObject *owner, DelayedCallObject *call)
{
    call->in_new = 0;
    if (tf_heap_push(&owner->heap, &call->node,
                     call->time + call->delayed_time) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    Py_INCREF(call);
    return 0;
}

int
tf_owner_take_new(TimerOwnerObject *owner)
{
    tf_heap *fresh = &owner->new_heap;
    const tf_heap_entry *last;
    uint64_t where;
    while ((last = tf_heap_last(fresh, &where)) != NULL) {
        tf_heap_node *node = last->node;
        DelayedCallObject *call = tf_delayedcall_from_node(node);
        /* Twisted's call.activate_delay(); the deadline does not change. */
        double deadline = call->time + call->delayed_time;
        if (tf_heap_insert_batched(&owner->heap, node, deadline) < 0) {
            tf_heap_split_if_due(&owner->heap);
            PyErr_NoMemory();
            return -1;
        }
        tf_heap_forget_last(fresh, where);
        call->in_new = 0;
        call->time = deadline;
        call->delayed_time = 0.0;
    }
    tf_heap_split_if_due(&owner->heap);
    /* A burst of calls may have grown the arrays: give large ones back. */
    tf_heap_trim(fresh);
    return 0;
}

/* A pending call and its place in the firing order, for sorting. */
static int
compare_entries(const void *a, const void *b)
{
    const tf_heap_entry *x = a, *y = b;
    if (x->deadline != y->deadline) {
        return x->deadline < y->deadline ? -1 : 1;
    }
    return x->node->seq < y->node->seq ? -1 : (x->node->seq > y->node->seq);
}

PyObject *
tf_owner_sorted_calls(const tf_heap *heap)
{
    /* The list first: allocating it may run a collection, and so any
     * finalizer, which may cancel (and free) calls or schedule new ones.
     * The entries are copied only once no Python code can run until the
     * list holds its references. */
    size_t len;
    PyObject *list;
    for (;;) {
        len = tf_heap_len(heap);
        list = PyList_New((Py_ssize_t)len);
        if (list == NULL) {
            return NULL;
        }
        if (tf_heap_len(heap) == len) {
            break;
        }
        Py_DECREF(list); /* empty slots: runs no Python */
    }
    tf_heap_entry *entries = PyMem_Malloc(len ? len * sizeof(*entries) : 1);
    if (entries == NULL) {
        Py_DECREF(list);
        return PyErr_NoMemory();
    }
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    size_t copied = 0;
    tf_heap_iter_start(&iter, heap);
    while ((entry = tf_heap_iter_next(&iter)) != NULL) {
        entries[copied++] = *entry;
    }
    qsort(entries, len, sizeof(*entries), compare_entries);
    for (size_t i = 0; i < len; i++) {
        PyList_SET_ITEM(list, (Py_ssize_t)i,
                        Py_NewRef((PyObject *)entry_call(&entries[i])));
    }
    PyMem_Free(entries);
    return list;
}

static int
traverse_heap(TimerOwnerObject *owner, const tf_heap *heap, visitproc visit,
              void *arg)
{
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    tf_heap_iter_start(&iter, heap);
    while ((entry = tf_heap_iter_next(&iter)) != NULL) {
        PyObject *call = (PyObject *)entry_call(entry);
        if (PyObject_GC_IsTracked(call)) {
            Py_VISIT(call);
        }
        else if (Py_REFCNT(call) == 1) {
            /* Only our heap holds it: its references are ours, including
             * its reference back to us. */
            int result = tf_delayedcall_traverse_contents(
                DelayedCall_CAST(call), visit, arg);
            if (result != 0) {
                return result;
            }
            Py_VISIT((PyObject *)owner);
        }
        /* else: held elsewhere and untracked until the next full
         * collection's callback tracks it; visiting nothing keeps its
         * contents (and us) reachable, which is safe. */
    }
    return 0;
}

int
tf_owner_traverse(TimerOwnerObject *owner, visitproc visit, void *arg)
{
    int result = traverse_heap(owner, &owner->heap, visit, arg);
    return result ? result : traverse_heap(owner, &owner->new_heap, visit, arg);
}

/* Track exactly the calls of heap held by something besides the heap. */
static void
retrack_heap(const tf_heap *heap)
{
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    tf_heap_iter_start(&iter, heap);
    while ((entry = tf_heap_iter_next(&iter)) != NULL) {
        PyObject *call = (PyObject *)entry_call(entry);
        int tracked = PyObject_GC_IsTracked(call);
        if (Py_REFCNT(call) > 1 && !tracked) {
            PyObject_GC_Track(call);
        }
        else if (Py_REFCNT(call) == 1 && tracked) {
            PyObject_GC_UnTrack(call);
        }
    }
}

PyObject *
tf_owner_gc_callback(PyObject *module, PyObject *const *args,
                     Py_ssize_t nargs)
{
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError,
                        "_gc_callback(phase, info) is called by the gc module");
        return NULL;
    }
    if (PyUnicode_CompareWithASCIIString(args[0], "start") != 0) {
        Py_RETURN_NONE;
    }
    PyObject *generation = PyDict_GetItemString(args[1], "generation");
    if (generation == NULL || !PyLong_Check(generation) ||
        PyLong_AsLong(generation) != 2) {
        Py_RETURN_NONE;
    }
    /* Before a full collection; O(pending calls), like the collection. */
    for (TimerOwnerObject *owner = tf_get_state(module)->owners;
         owner != NULL; owner = owner->next_owner) {
        retrack_heap(&owner->heap);
        retrack_heap(&owner->new_heap);
    }
    Py_RETURN_NONE;
}

static long
check_heap(TimerOwnerObject *owner, const tf_heap *heap, int in_new)
{
    long bad = tf_heap_check(heap);
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    long walked = 0;
    tf_heap_iter_start(&iter, heap);
    while (bad < 0 && (entry = tf_heap_iter_next(&iter)) != NULL) {
        DelayedCallObject *call = entry_call(entry);
        if (call->owner != (PyObject *)owner || call->in_new != in_new ||
            call->called || call->cancelled ||
            entry->deadline != call->time + call->delayed_time) {
            bad = walked;
        }
        walked++;
    }
    return bad;
}

long
tf_owner_check_heap(TimerOwnerObject *owner)
{
    long bad = check_heap(owner, &owner->heap, 0);
    if (bad >= 0) {
        return bad;
    }
    bad = check_heap(owner, &owner->new_heap, 1);
    return bad >= 0 ? (long)tf_heap_len(&owner->heap) + bad : -1;
}
