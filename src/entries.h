/*
 * entries.h: arrays of timer entries, and the 4-ary min-heap kept in one.
 *
 * Owns: tf_entries, a growable array of (deadline, node) entries laid out
 * for cache lines (see entries.c), and the heap operations on it.  The
 * timer queue (heap.h) keeps its near and far heaps and every wheel slot in
 * one of these, so that a slot's array can become the near heap by swapping
 * two structs.
 *
 * Each timer's tf_heap_node lives inside the timer object and holds its
 * sequence number and where its entry is: the array it is in (the top two
 * bits, TF_IN_*) and its position there.  Every function that moves an
 * entry writes that back.
 *
 * Order: (deadline, seq).  Deadlines are never NaN (callers refuse NaN).
 * Nothing here calls into Python.
 */
#ifndef TF_ENTRIES_H
#define TF_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#define TF_HEAP_NONE UINT64_MAX

/* Which array holds an entry: the top two bits of tf_heap_node.index. */
#define TF_IN_NEAR ((uint64_t)0)
#define TF_IN_FAR ((uint64_t)1 << 62)
#define TF_IN_WHEEL ((uint64_t)2 << 62)
#define TF_IN_MASK ((uint64_t)3 << 62)

typedef struct {
    uint64_t seq;
    uint64_t index; /* TF_IN_* | position, or TF_HEAP_NONE */
} tf_heap_node;

typedef struct {
    double deadline;
    tf_heap_node *node;
} tf_heap_entry;

typedef struct {
    tf_heap_entry *at; /* inside block, aligned as entries.c explains */
    void *block;
    size_t len;
    size_t cap;
} tf_entries;

static inline int
tf_entry_less(const tf_heap_entry *a, const tf_heap_entry *b)
{
    if (a->deadline != b->deadline) {
        return a->deadline < b->deadline;
    }
    return a->node->seq < b->node->seq;
}

void tf_entries_init(tf_entries *array);
void tf_entries_free(tf_entries *array);

#define TF_ENTRIES_MIN_CAP 16
#define TF_HEAP_ARITY 4

int tf_entries_grow(tf_entries *array, size_t extra);
void tf_entries_halve(tf_entries *array);

/* Make room for extra more entries: 0, or -1 when the array could not grow
 * (nothing changed). */
static inline int
tf_entries_reserve(tf_entries *array, size_t extra)
{
    if (extra <= array->cap - array->len) {
        return 0;
    }
    return tf_entries_grow(array, extra);
}

/* Give memory back once the array is three quarters empty. */
static inline void
tf_entries_shrink(tf_entries *array)
{
    if (array->cap > TF_ENTRIES_MIN_CAP && array->len < array->cap / 4) {
        tf_entries_halve(array);
    }
}

/* Make a heap of an array in any order, and index every node. */
void tf_heap_make(tf_entries *array, uint64_t tag);

/* The first position whose entry breaks heap order or whose node does not
 * point back at it, or -1.  O(n): for tests. */
long tf_heap_problem(const tf_entries *array, uint64_t tag);

/* Index of the child with the smallest (deadline, seq) among the entries
 * in [first, last), two or more (the rare case of tied deadlines). */
size_t tf_smallest_by_seq(const tf_entries *array, size_t first, size_t last);

#if defined(__GNUC__) || defined(__clang__)
#define TF_PREFETCH(address) __builtin_prefetch(address)
#else
#define TF_PREFETCH(address) ((void)(address))
#endif

/* Start loading size bytes at address into the cache. */
static inline void
tf_prefetch(const void *address, size_t size)
{
    for (size_t offset = 0; offset < size; offset += 64) {
        TF_PREFETCH((const char *)address + offset);
    }
}

/* --- the 4-ary heap --------------------------------------------------------
 *
 * A 4-ary heap (as Go's runtime timers): half the depth of a binary heap,
 * and the four children of a node sit side by side in memory, so a sift
 * down touches about half as many cache lines at a million timers.  The
 * sift functions follow CPython's _heapqmodule.c and libuv's heap-inl.h:
 * move the hole, not the element, and write each moved entry's position
 * back into its node.  They are here, inline, because every timer operation
 * runs one (libuv's heap is header-only for the same reason); tag is the
 * array's TF_IN_* (and, for a wheel slot, its slot bits).
 */

static inline size_t
tf_heap_parent(size_t pos)
{
    return (pos - 1) / TF_HEAP_ARITY;
}

static inline void
tf_heap_place(tf_entries *array, size_t pos, tf_heap_entry entry, uint64_t tag)
{
    array->at[pos] = entry;
    entry.node->index = tag | pos;
}

static inline void
tf_heap_sift_up(tf_entries *array, size_t pos, tf_heap_entry entry, uint64_t tag)
{
    while (pos > 0) {
        size_t parent = tf_heap_parent(pos);
        if (!tf_entry_less(&entry, &array->at[parent])) {
            break;
        }
        tf_heap_place(array, pos, array->at[parent], tag);
        pos = parent;
    }
    tf_heap_place(array, pos, entry, tag);
}

/* Index of the smallest child of pos, or len when pos is a leaf. */
static inline size_t
tf_heap_smallest_child(const tf_entries *array, size_t pos)
{
    size_t first = TF_HEAP_ARITY * pos + 1;
    size_t len = array->len;
    if (first >= len) {
        return len;
    }
    size_t last = first + TF_HEAP_ARITY < len ? first + TF_HEAP_ARITY : len;
    /* Ask for the next level while this one is compared: in a large heap
     * the lower levels are not in cache, and the loads would otherwise
     * wait one after another. */
    for (size_t child = first; child < last; child++) {
        size_t grandchild = TF_HEAP_ARITY * child + 1;
        if (grandchild < len) {
            TF_PREFETCH(&array->at[grandchild]);
        }
    }
    /* Which child is smallest is a coin toss for the branch predictor:
     * choose by deadline with conditional moves, and look at sequence
     * numbers (in the nodes, out of cache) only when deadlines tie. */
    size_t best = first;
    double lowest = array->at[first].deadline;
    for (size_t child = first + 1; child < last; child++) {
        double deadline = array->at[child].deadline;
        int lower = deadline < lowest;
        best = lower ? child : best;
        lowest = lower ? deadline : lowest;
    }
    int ties = 0;
    for (size_t child = first; child < last; child++) {
        ties += array->at[child].deadline == lowest;
    }
    return ties > 1 ? tf_smallest_by_seq(array, first, last) : best;
}

static inline void
tf_heap_sift_down(tf_entries *array, size_t pos, tf_heap_entry entry, uint64_t tag)
{
    for (;;) {
        size_t child = tf_heap_smallest_child(array, pos);
        if (child == array->len ||
            !tf_entry_less(&array->at[child], &entry)) {
            break;
        }
        tf_heap_place(array, pos, array->at[child], tag);
        pos = child;
    }
    tf_heap_place(array, pos, entry, tag);
}

/* Fill the hole at pos with entry, moving it up or down as it must go. */
static inline void
tf_heap_sift(tf_entries *array, size_t pos, tf_heap_entry entry, uint64_t tag)
{
    if (pos > 0 && tf_entry_less(&entry, &array->at[tf_heap_parent(pos)])) {
        tf_heap_sift_up(array, pos, entry, tag);
    }
    else {
        tf_heap_sift_down(array, pos, entry, tag);
    }
}

/* Put entry where it belongs in the heap in array, which has room for it. */
static inline void
tf_heap_add(tf_entries *array, tf_heap_entry entry, uint64_t tag)
{
    tf_heap_sift_up(array, array->len++, entry, tag);
}

/* Take the entry at pos out of the heap in array. */
static inline void
tf_heap_take(tf_entries *array, size_t pos, uint64_t tag)
{
    tf_heap_entry last = array->at[--array->len];
    if (pos != array->len) {
        tf_heap_sift(array, pos, last, tag);
    }
}

#endif /* TF_ENTRIES_H */
