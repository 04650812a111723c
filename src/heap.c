/*
 * heap.c: the timer heap (see heap.h for what it owns and its invariants).
 *
 * A 4-ary heap (as Go's runtime timers): half the depth of a binary heap,
 * and the four children of a node sit side by side in memory, so a sift
 * down touches about half as many cache lines at a million timers.  The
 * sift functions follow CPython's _heapqmodule.c and libuv's heap-inl.h:
 * move the hole, not the element, and write each moved entry's index back
 * into its node.
 */
#include "heap.h"

#include <stdlib.h>
#include <string.h>

#define TF_HEAP_MIN_CAP 16
#define TF_HEAP_ARITY 4

static inline size_t
parent_of(size_t pos)
{
    return (pos - 1) / TF_HEAP_ARITY;
}

static inline int
entry_less(const tf_heap_entry *a, const tf_heap_entry *b)
{
    if (a->deadline != b->deadline) {
        return a->deadline < b->deadline;
    }
    return a->node->seq < b->node->seq;
}

static inline void
place(tf_heap *heap, size_t pos, tf_heap_entry entry)
{
    heap->entries[pos] = entry;
    entry.node->index = pos;
}

static void
sift_up(tf_heap *heap, size_t pos, tf_heap_entry entry)
{
    while (pos > 0) {
        size_t parent = parent_of(pos);
        if (!entry_less(&entry, &heap->entries[parent])) {
            break;
        }
        place(heap, pos, heap->entries[parent]);
        pos = parent;
    }
    place(heap, pos, entry);
}

/* Index of the smallest child of pos, or len when pos is a leaf. */
static inline size_t
smallest_child(const tf_heap *heap, size_t pos)
{
    size_t first = TF_HEAP_ARITY * pos + 1;
    size_t len = heap->len;
    if (first >= len) {
        return len;
    }
    size_t last = first + TF_HEAP_ARITY < len ? first + TF_HEAP_ARITY : len;
    /* Ask for the next level while this one is compared: at a million
     * timers the lower levels are not in cache, and the loads would
     * otherwise wait one after another. */
    for (size_t child = first; child < last; child++) {
        size_t grandchild = TF_HEAP_ARITY * child + 1;
        if (grandchild < len) {
            TF_PREFETCH(&heap->entries[grandchild]);
        }
    }
    size_t best = first;
    for (size_t child = first + 1; child < last; child++) {
        if (entry_less(&heap->entries[child], &heap->entries[best])) {
            best = child;
        }
    }
    return best;
}

static void
sift_down(tf_heap *heap, size_t pos, tf_heap_entry entry)
{
    for (;;) {
        size_t child = smallest_child(heap, pos);
        if (child == heap->len ||
            !entry_less(&heap->entries[child], &entry)) {
            break;
        }
        place(heap, pos, heap->entries[child]);
        pos = child;
    }
    place(heap, pos, entry);
}

/* Put entry at pos, which is a hole, moving it whichever way it must go. */
static void
sift(tf_heap *heap, size_t pos, tf_heap_entry entry)
{
    if (pos > 0 && entry_less(&entry, &heap->entries[parent_of(pos)])) {
        sift_up(heap, pos, entry);
    }
    else {
        sift_down(heap, pos, entry);
    }
}

/* The four children of entry i are entries 4i+1 .. 4i+4: 64 bytes.  Placing
 * entry 1 on a cache-line boundary puts every such group in one line, so a
 * sift down loads one line per level instead of two (LaMarca and Ladner's
 * aligned d-heap).  The block has a line of slack for that.  It grows with
 * realloc, which can extend a large block in place and gives the old pages
 * back (a fresh block plus a copy left the old arrays in glibc's heap: 16
 * bytes more per timer at 500k); when the block moved to a different offset
 * within a line, the entries move to their aligned place in it. */
#define TF_CACHE_LINE 64

static tf_heap_entry *
aligned_entries(char *block)
{
    uintptr_t second = ((uintptr_t)block + sizeof(tf_heap_entry) +
                        TF_CACHE_LINE - 1) & ~(uintptr_t)(TF_CACHE_LINE - 1);
    return (tf_heap_entry *)(second - sizeof(tf_heap_entry));
}

static int
resize(tf_heap *heap, size_t cap)
{
    size_t offset = heap->block
                        ? (size_t)((char *)heap->entries - (char *)heap->block)
                        : 0;
    char *block = realloc(heap->block, cap * sizeof(tf_heap_entry) + TF_CACHE_LINE);
    if (block == NULL) {
        return -1;
    }
    tf_heap_entry *entries = aligned_entries(block);
    if ((size_t)((char *)entries - block) != offset && heap->len > 0) {
        memmove(entries, block + offset, heap->len * sizeof(tf_heap_entry));
    }
    heap->block = block;
    heap->entries = entries;
    heap->cap = cap;
    return 0;
}

void
tf_heap_init(tf_heap *heap, uint64_t *next_seq)
{
    heap->entries = NULL;
    heap->block = NULL;
    heap->len = 0;
    heap->cap = 0;
    heap->next_seq = next_seq;
}

void
tf_heap_free(tf_heap *heap)
{
    free(heap->block);
    heap->entries = NULL;
    heap->block = NULL;
    heap->len = 0;
    heap->cap = 0;
}

void
tf_heap_detach(tf_heap *heap, tf_heap *out)
{
    *out = *heap;
    heap->entries = NULL;
    heap->block = NULL;
    heap->len = 0;
    heap->cap = 0;
}

int
tf_heap_insert(tf_heap *heap, tf_heap_node *node, double deadline)
{
    if (heap->len == heap->cap) {
        size_t cap = heap->cap ? heap->cap * 2 : TF_HEAP_MIN_CAP;
        if (cap > SIZE_MAX / 2 / sizeof(tf_heap_entry) || resize(heap, cap) < 0) {
            return -1;
        }
    }
    tf_heap_entry entry = {deadline, node};
    sift_up(heap, heap->len++, entry);
    return 0;
}

int
tf_heap_push(tf_heap *heap, tf_heap_node *node, double deadline)
{
    uint64_t seq = node->seq;
    node->seq = (*heap->next_seq)++;
    if (tf_heap_insert(heap, node, deadline) < 0) {
        node->seq = seq;
        return -1;
    }
    return 0;
}

/* Give memory back once the heap has shrunk to a quarter of its array. */
static void
maybe_shrink(tf_heap *heap)
{
    if (heap->cap > TF_HEAP_MIN_CAP && heap->len < heap->cap / 4) {
        /* A failed shrink leaves the larger array in place: harmless. */
        (void)resize(heap, heap->cap / 2);
    }
}

void
tf_heap_remove(tf_heap *heap, tf_heap_node *node)
{
    size_t pos = node->index;
    node->index = TF_HEAP_NONE;
    tf_heap_entry last = heap->entries[--heap->len];
    if (pos != heap->len) {
        sift(heap, pos, last);
    }
    maybe_shrink(heap);
}

void
tf_heap_update(tf_heap *heap, tf_heap_node *node, double deadline)
{
    node->seq = (*heap->next_seq)++;
    tf_heap_entry entry = {deadline, node};
    sift(heap, node->index, entry);
}

long
tf_heap_check(const tf_heap *heap)
{
    for (size_t i = 0; i < heap->len; i++) {
        const tf_heap_entry *entry = &heap->entries[i];
        if (entry->node->index != i || entry->deadline != entry->deadline) {
            return (long)i;
        }
        if (i > 0 && entry_less(entry, &heap->entries[parent_of(i)])) {
            return (long)i;
        }
    }
    return -1;
}
