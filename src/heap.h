/*
 * heap.h: the timer queue of one owner, with no Python in it.
 *
 * Owns: the entries of every queued timer (entries.h), in up to three tiers.
 * A small queue is one 4-ary heap, the near heap.  Once the near heap holds
 * TF_SPLIT_MIN entries, the queue splits: a wheel of TF_WHEEL_SLOTS slots,
 * each an unsorted array of the entries whose deadlines fall in one
 * interval of the same width, takes the entries past the near heap, and a
 * far heap takes those past the wheel.  Timers then sit in O(1) slots
 * until their interval comes up, and the heap that a pop sifts through
 * stays small enough to live in cache: at a million timers a plain heap
 * spends most of each pop waiting for memory (see heap.c).
 *
 * Order: (deadline, seq).  The sequence number is taken from a counter
 * (which the queues of one owner share) whenever a timer is pushed or its
 * deadline changes, so timers due at the same instant fire in the order they
 * were (re)scheduled (libuv's start_id does the same).  Entries due at the
 * same instant are always in the same tier.
 *
 * Invariants (tf_heap_check tests them all): with a wheel, every entry of
 * the near heap sits at a slot position below the wheel's cursor, every
 * entry of slot s at a position p with cursor <= p < cursor + slots and
 * p = s modulo the slot count, and every far entry at or past the cursor;
 * each node's index names the array and position of its entry.  The near
 * heap may be empty while the wheel holds entries: tf_heap_peek then pours
 * the next slot in.
 *
 * Complexity: push, remove, update, peek O(log n) amortised (O(1) for
 * timers in the wheel); splitting and pouring are amortised over the
 * entries they move.  No function here calls back into Python, so a
 * tf_heap is consistent whenever Python runs.
 */
#ifndef TF_HEAP_H
#define TF_HEAP_H

#include "entries.h"

/* Near-heap size at which a queue first splits.  It splits again when its
 * near or far heap has grown by half the queue since (a whole queue after
 * a split that did not spread the timers). */
#define TF_SPLIT_MIN 8192

typedef struct tf_wheel tf_wheel;

typedef struct {
    tf_entries near;
    tf_wheel *wheel;    /* NULL until the queue splits */
    size_t split_at;    /* near- or far-heap size that triggers a split */
    size_t split_min;   /* TF_SPLIT_MIN, or less in tests */
    uint64_t *next_seq; /* the owner's counter */
} tf_heap;

void tf_heap_init(tf_heap *heap, uint64_t *next_seq);

/* Free the arrays.  The caller has already dealt with the nodes. */
void tf_heap_free(tf_heap *heap);

/* Move the whole content to *out and leave heap empty (same counter).
 * Freeing *out (tf_heap_free) is the caller's job. */
void tf_heap_detach(tf_heap *heap, tf_heap *out);

/* tf_heap_push when it may split the queue, grow an array or use the
 * wheel: every case but the one inlined below. */
int tf_heap_push_any(tf_heap *heap, tf_heap_node *node, double deadline);

/* Queue a node with a new sequence number.  Return 0, or -1 when an array
 * could not grow (nothing changed).  Inline for a queue that has not split
 * and has room: a reactor's new calls wait in such a queue, and most of
 * them are cancelled before the next pass (per-request timeouts). */
static inline int
tf_heap_push(tf_heap *heap, tf_heap_node *node, double deadline)
{
    tf_entries *near = &heap->near;
    if (heap->wheel != NULL || near->len >= heap->split_at ||
        near->len >= near->cap) {
        return tf_heap_push_any(heap, node, deadline);
    }
    node->seq = (*heap->next_seq)++;
    tf_heap_add(near, (tf_heap_entry){deadline, node}, TF_IN_NEAR);
    return 0;
}

/* The same, keeping the node's sequence number (moving between queues). */
int tf_heap_insert(tf_heap *heap, tf_heap_node *node, double deadline);

/* tf_heap_insert for one of many nodes moved in at once: no split is tried
 * until tf_heap_split_if_due, so that a split sees all of them (the first
 * thousands of a batch are no sample of its deadlines). */
int tf_heap_insert_batched(tf_heap *heap, tf_heap_node *node, double deadline);
void tf_heap_split_if_due(tf_heap *heap);

/* tf_heap_remove for a node in the wheel or the far heap. */
void tf_heap_remove_tiered(tf_heap *heap, tf_heap_node *node);

/* Take a queued node out (its node.index becomes TF_HEAP_NONE).  Inline for
 * the near heap, where take_out in heap.c would do the same. */
static inline void
tf_heap_remove(tf_heap *heap, tf_heap_node *node)
{
    uint64_t index = node->index;
    if ((index & TF_IN_MASK) != TF_IN_NEAR) {
        tf_heap_remove_tiered(heap, node);
        return;
    }
    node->index = TF_HEAP_NONE;
    tf_heap_take(&heap->near, (size_t)index, TF_IN_NEAR);
    tf_entries_shrink(&heap->near);
}

/* Give a queued node a new deadline and a new sequence number.  Return 0,
 * or -1 when an array could not grow (nothing changed). */
int tf_heap_update(tf_heap *heap, tf_heap_node *node, double deadline);

/* The first node in order and its deadline (*node NULL when the queue is
 * empty).  Return 0, or -1 when pouring a slot in needed memory that could
 * not be had (nothing changed). */
int tf_heap_peek(tf_heap *heap, tf_heap_node **node, double *deadline);

/* The node that tf_heap_peek would give if it is at hand without pouring,
 * else NULL: for prefetching. */
static inline tf_heap_node *
tf_heap_near_first(const tf_heap *heap)
{
    return heap->near.len > 0 ? heap->near.at[0].node : NULL;
}

size_t tf_heap_len(const tf_heap *heap);

static inline int
tf_heap_contains(const tf_heap_node *node)
{
    return node->index != TF_HEAP_NONE;
}

/* Deadline of a queued node. */
double tf_heap_deadline(const tf_heap *heap, const tf_heap_node *node);

/* An entry that can leave without moving any other (the last of one of
 * the arrays), or NULL when the queue is empty; *where says which, for
 * tf_heap_forget_last. */
const tf_heap_entry *tf_heap_last(const tf_heap *heap, uint64_t *where);

/* Drop the entry that tf_heap_last gave at where, without touching its
 * node (which may already belong to another queue). */
void tf_heap_forget_last(tf_heap *heap, uint64_t where);

/* Give the arrays back if the queue is empty and they are large. */
void tf_heap_trim(tf_heap *heap);

/* Split once the near heap holds at least split_at entries (at least 1)
 * instead of TF_SPLIT_MIN: a handful in tests, SIZE_MAX for a queue that
 * must never split. */
void tf_heap_set_split_at(tf_heap *heap, size_t split_at);

/* For tests: how many entries each tier holds; *far is -1 (and *slots 0)
 * when the queue has not split. */
void tf_heap_shape(const tf_heap *heap, long *near, long *slots, long *far);

/* Walk every entry, in no particular order.  Nothing may change the queue
 * during a walk. */
typedef struct {
    const tf_heap *heap;
    size_t array; /* 0: near, 1 .. slots: a slot, slots + 1: far */
    size_t pos;
} tf_heap_iter;

void tf_heap_iter_start(tf_heap_iter *iter, const tf_heap *heap);
const tf_heap_entry *tf_heap_iter_next(tf_heap_iter *iter);

/* Check every invariant above; return the walk position of the first bad
 * entry (or 0 when the bookkeeping itself is wrong), or -1 when the queue
 * is consistent.  O(n): for tests only. */
long tf_heap_check(const tf_heap *heap);

#endif /* TF_HEAP_H */
