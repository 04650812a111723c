/*
 * heap.h: the timer heap, an array-backed 4-ary min-heap with no Python in it.
 *
 * Owns: the entry array.  Each entry holds the deadline (so sifting reads one
 * contiguous array) and a pointer to the timer's tf_heap_node, which lives
 * inside the timer object and holds the timer's sequence number and its
 * current index in the array.
 *
 * Order: (deadline, seq).  The sequence number is taken from a counter
 * (which heaps of one owner share) whenever a timer is pushed or its
 * deadline changes, so timers due at the same instant fire in the order they
 * were (re)scheduled (libuv's start_id does the same).
 *
 * Invariants: for every i > 0, entry[(i - 1) / 4] <= entry[i];
 * entry[i].node->index == i; a node not in any heap has index TF_HEAP_NONE.
 * Deadlines are never NaN (the callers refuse NaN before pushing).
 *
 * Complexity: push, remove, update O(log n); peek O(1).  No function here
 * calls back into Python, so a tf_heap is consistent whenever Python runs.
 */
#ifndef TF_HEAP_H
#define TF_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define TF_HEAP_NONE ((size_t)-1)

typedef struct {
    uint64_t seq;
    size_t index;
} tf_heap_node;

typedef struct {
    double deadline;
    tf_heap_node *node;
} tf_heap_entry;

typedef struct {
    tf_heap_entry *entries; /* inside block, aligned as heap.c explains */
    void *block;
    size_t len;
    size_t cap;
    uint64_t *next_seq; /* the owner's counter */
} tf_heap;

void tf_heap_init(tf_heap *heap, uint64_t *next_seq);

/* Free the array.  The caller has already dealt with the nodes. */
void tf_heap_free(tf_heap *heap);

/* Move the whole content to *out and leave heap empty (same counter).
 * Freeing *out (tf_heap_free) is the caller's job. */
void tf_heap_detach(tf_heap *heap, tf_heap *out);

/* Queue a node with a new sequence number.  Return 0, or -1 when the array
 * could not grow (nothing changed). */
int tf_heap_push(tf_heap *heap, tf_heap_node *node, double deadline);

/* The same, keeping the node's sequence number (moving between heaps). */
int tf_heap_insert(tf_heap *heap, tf_heap_node *node, double deadline);

void tf_heap_remove(tf_heap *heap, tf_heap_node *node);

/* Give a queued node a new deadline (and a new sequence number). */
void tf_heap_update(tf_heap *heap, tf_heap_node *node, double deadline);

static inline tf_heap_node *
tf_heap_peek(const tf_heap *heap, double *deadline)
{
    if (heap->len == 0) {
        return NULL;
    }
    *deadline = heap->entries[0].deadline;
    return heap->entries[0].node;
}

static inline int
tf_heap_contains(const tf_heap_node *node)
{
    return node->index != TF_HEAP_NONE;
}

/* Deadline of a queued node. */
static inline double
tf_heap_deadline(const tf_heap *heap, const tf_heap_node *node)
{
    return heap->entries[node->index].deadline;
}

#if defined(__GNUC__) || defined(__clang__)
#define TF_PREFETCH(address) __builtin_prefetch(address)
#else
#define TF_PREFETCH(address) ((void)(address))
#endif

/* Start loading size bytes at address into the cache. */
static inline void
tf_heap_prefetch(const void *address, size_t size)
{
    for (size_t offset = 0; offset < size; offset += 64) {
        TF_PREFETCH((const char *)address + offset);
    }
}

/* Check every invariant above; return the index of the first bad entry, or
 * -1 when the heap is consistent.  O(n): for tests only. */
long tf_heap_check(const tf_heap *heap);

#endif /* TF_HEAP_H */
