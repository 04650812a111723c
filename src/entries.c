/*
 * entries.c: the cold half of entries.h: growing and shrinking the
 * arrays, building a heap from a whole array, and checking one.
 */
#include "entries.h"

#include <stdlib.h>
#include <string.h>


size_t
tf_smallest_by_seq(const tf_entries *array, size_t first, size_t last)
{
    size_t best = first;
    for (size_t child = first + 1; child < last; child++) {
        if (tf_entry_less(&array->at[child], &array->at[best])) {
            best = child;
        }
    }
    return best;
}

/* Floyd's construction, from the last parent up. */
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
    for (size_t pos = len > 1 ? tf_heap_parent(len - 1) + 1 : 0; pos-- > 0;) {
        tf_heap_sift_down(array, pos, array->at[pos], tag);
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
        if (i > 0 && tf_entry_less(entry, &array->at[tf_heap_parent(i)])) {
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
tf_entries_grow(tf_entries *array, size_t extra)
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
tf_entries_halve(tf_entries *array)
{
    /* A failed shrink leaves the larger array in place: harmless. */
    (void)resize(array, array->cap / 2);
}
