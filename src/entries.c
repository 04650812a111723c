/*
 * entries.c: arrays of timer entries and the 4-ary heap (see entries.h).
 *
 * A 4-ary heap (as Go's runtime timers): half the depth of a binary heap,
 * and the four children of a node sit side by side in memory, so a sift
 * down touches about half as many cache lines at a million timers.  The
 * sift functions follow CPython's _heapqmodule.c and libuv's heap-inl.h:
 * move the hole, not the element, and write each moved entry's position
 * back into its node.
 */
#include "entries.h"

#include <stdlib.h>
#include <string.h>

#define TF_ENTRIES_MIN_CAP 16
#define TF_HEAP_ARITY 4

static inline size_t
parent_of(size_t pos)
{
    return (pos - 1) / TF_HEAP_ARITY;
}

static inline void
place(tf_entries *array, size_t pos, tf_heap_entry entry, uint64_t tag)
{
    array->at[pos] = entry;
    entry.node->index = tag | pos;
}

static void
sift_up(tf_entries *array, size_t pos, tf_heap_entry entry, uint64_t tag)
{
    while (pos > 0) {
        size_t parent = parent_of(pos);
        if (!tf_entry_less(&entry, &array->at[parent])) {
            break;
        }
        place(array, pos, array->at[parent], tag);
        pos = parent;
    }
    place(array, pos, entry, tag);
}

/* Index of the child of pos with the smallest (deadline, seq), among the
 * children in [first, last), two or more. */
static size_t
smallest_by_seq(const tf_entries *array, size_t first, size_t last)
{
    size_t best = first;
    for (size_t child = first + 1; child < last; child++) {
        if (tf_entry_less(&array->at[child], &array->at[best])) {
            best = child;
        }
    }
    return best;
}

/* Index of the smallest child of pos, or len when pos is a leaf. */
static inline size_t
smallest_child(const tf_entries *array, size_t pos)
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
    return ties > 1 ? smallest_by_seq(array, first, last) : best;
}

static void
sift_down(tf_entries *array, size_t pos, tf_heap_entry entry, uint64_t tag)
{
    for (;;) {
        size_t child = smallest_child(array, pos);
        if (child == array->len ||
            !tf_entry_less(&array->at[child], &entry)) {
            break;
        }
        place(array, pos, array->at[child], tag);
        pos = child;
    }
    place(array, pos, entry, tag);
}

void
tf_heap_sift(tf_entries *array, size_t pos, tf_heap_entry entry, uint64_t tag)
{
    if (pos > 0 && tf_entry_less(&entry, &array->at[parent_of(pos)])) {
        sift_up(array, pos, entry, tag);
    }
    else {
        sift_down(array, pos, entry, tag);
    }
}

void
tf_heap_add(tf_entries *array, tf_heap_entry entry, uint64_t tag)
{
    sift_up(array, array->len++, entry, tag);
}

void
tf_heap_take(tf_entries *array, size_t pos, uint64_t tag)
{
    tf_heap_entry last = array->at[--array->len];
    if (pos != array->len) {
        tf_heap_sift(array, pos, last, tag);
    }
}

void
tf_heap_make(tf_entries *array, uint64_t tag)
{
    size_t len = array->len;
    /* Every node learns its position first (the nodes are spread over
     * memory: load them ahead), then Floyd's bottom-up construction moves
     * the few that must move. */
    for (size_t pos = 0; pos < len; pos++) {
        if (pos + 8 < len) {
            TF_PREFETCH(array->at[pos + 8].node);
        }
        array->at[pos].node->index = tag | pos;
    }
    for (size_t pos = len > 1 ? parent_of(len - 1) + 1 : 0; pos-- > 0;) {
        sift_down(array, pos, array->at[pos], tag);
    }
}

long
tf_heap_problem(const tf_entries *array, uint64_t tag)
{
    for (size_t i = 0; i < array->len; i++) {
        const tf_heap_entry *entry = &array->at[i];
        if (entry->node->index != (tag | i) ||
            entry->deadline != entry->deadline) {
            return (long)i;
        }
        if (i > 0 && tf_entry_less(entry, &array->at[parent_of(i)])) {
            return (long)i;
        }
    }
    return -1;
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
resize(tf_entries *array, size_t cap)
{
    size_t offset = array->block
                        ? (size_t)((char *)array->at - (char *)array->block)
                        : 0;
    char *block = realloc(array->block,
                          cap * sizeof(tf_heap_entry) + TF_CACHE_LINE);
    if (block == NULL) {
        return -1;
    }
    tf_heap_entry *at = aligned_entries(block);
    if ((size_t)((char *)at - block) != offset && array->len > 0) {
        memmove(at, block + offset, array->len * sizeof(tf_heap_entry));
    }
    array->block = block;
    array->at = at;
    array->cap = cap;
    return 0;
}

void
tf_entries_init(tf_entries *array)
{
    array->at = NULL;
    array->block = NULL;
    array->len = 0;
    array->cap = 0;
}

void
tf_entries_free(tf_entries *array)
{
    free(array->block);
    tf_entries_init(array);
}

int
tf_entries_reserve(tf_entries *array, size_t extra)
{
    /* Positions must fit below the TF_IN_* bits, and wheel slots keep
     * theirs in 32 bits. */
    const size_t most = (size_t)UINT32_MAX;
    if (extra > most || array->len > most - extra) {
        return -1;
    }
    size_t need = array->len + extra;
    if (need <= array->cap) {
        return 0;
    }
    size_t cap = array->cap ? array->cap : TF_ENTRIES_MIN_CAP;
    while (cap < need) {
        cap *= 2;
    }
    if (cap > SIZE_MAX / 2 / sizeof(tf_heap_entry)) {
        return -1;
    }
    return resize(array, cap);
}

void
tf_entries_shrink(tf_entries *array)
{
    if (array->cap > TF_ENTRIES_MIN_CAP && array->len < array->cap / 4) {
        /* A failed shrink leaves the larger array in place: harmless. */
        (void)resize(array, array->cap / 2);
    }
}
