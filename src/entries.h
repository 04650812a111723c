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

/* Make room for extra more entries: 0, or -1 when the array could not grow
 * (nothing changed). */
int tf_entries_reserve(tf_entries *array, size_t extra);

/* Give memory back once the array is three quarters empty. */
void tf_entries_shrink(tf_entries *array);

/* Put entry where it belongs in the heap in array, which has room for it;
 * tag is the array's TF_IN_* (and, for wheel slots, its slot bits). */
void tf_heap_add(tf_entries *array, tf_heap_entry entry, uint64_t tag);

/* Take the entry at pos out of the heap in array. */
void tf_heap_take(tf_entries *array, size_t pos, uint64_t tag);

/* Fill the hole at pos with entry, moving it up or down as it must go. */
void tf_heap_sift(tf_entries *array, size_t pos, tf_heap_entry entry,
                  uint64_t tag);

/* Make a heap of an array in any order, and index every node. */
void tf_heap_make(tf_entries *array, uint64_t tag);

/* The first position whose entry breaks heap order or whose node does not
 * point back at it, or -1.  O(n): for tests. */
long tf_heap_problem(const tf_entries *array, uint64_t tag);

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

#endif /* TF_ENTRIES_H */
