/*
 * heap.c: the timer queue (see heap.h for what it owns and its invariants).
 *
 * Why tiers.  A pop from a 4-ary heap of a million timers sifts through ten
 * levels; the lowest four are not in cache, and each waits for the one above
 * it (the next child to load depends on the last comparison).  The wheel
 * (a calendar queue, as in Brown's 1988 paper and the Linux and libuv timer
 * wheels) puts a new timer in its slot in O(1) and touches it once more
 * when the slot is poured into the near heap, which holds about one slot's
 * worth of timers and stays in cache.
 *
 * Positions.  A deadline d sits at position (d - base) * per_second, a
 * monotonic function of d, so comparing positions never contradicts
 * comparing deadlines, and equal deadlines share a slot.  Slot p covers
 * positions [p, p + 1).  The near heap holds every position below the
 * cursor; the wheel the next TF_WHEEL_SLOTS slots, slot p at p modulo the
 * slot count; the far heap whatever lay past the wheel when it was queued.
 * Pouring moves the first non-empty slot, or the far heap's first slot,
 * whichever comes first, into the near heap, and moves the cursor past it.
 *
 * Width.  A split takes base from the earliest finite deadline and the
 * width from a sample: three quarters of the timers fall in the first half
 * of the wheel, leaving the other half for timers scheduled later.  A split
 * that leaves most timers in one slot or in the far heap is not tried
 * again until the queue has doubled, so splitting costs O(1) per timer
 * amortised whatever the deadlines.
 */
#include "heap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TF_WHEEL_SLOTS 1024
#define TF_WHEEL_WORDS (TF_WHEEL_SLOTS / 64)
/* Slot positions, and so the cursor, stay integers that a double holds
 * exactly: entries past this position go to the far heap. */
#define TF_CURSOR_LIMIT 4503599627370496.0 /* 2**52 */
/* A sample this large places the quartiles well enough for a width. */
#define TF_SAMPLE 64

struct tf_wheel {
    double base;       /* the deadline at position 0 */
    double per_second; /* positions per unit of deadline: 1 / width */
    uint64_t cursor;   /* the near heap holds every position below it */
    size_t count;      /* entries in the slots and the far heap */
    tf_entries far;
    uint64_t nonempty[TF_WHEEL_WORDS]; /* bit s: slot s has entries */
    tf_entries slots[TF_WHEEL_SLOTS];
};

static inline uint64_t
slot_tag(size_t slot)
{
    return TF_IN_WHEEL | (uint64_t)slot << 32;
}

static inline size_t
tag_slot(uint64_t index)
{
    return (size_t)((index & ~TF_IN_MASK) >> 32);
}

static inline size_t
tag_pos(uint64_t index)
{
    return (index & TF_IN_MASK) == TF_IN_WHEEL ? (size_t)(uint32_t)index
                                                : (size_t)(index & ~TF_IN_MASK);
}

static inline double
position(const tf_wheel *wheel, double deadline)
{
    return (deadline - wheel->base) * wheel->per_second;
}

/* The slot of a position in the wheel's range, cursor <= x < 2**52.  The
 * cursor starts at 0 and only moves forward, so x is a non-negative integer
 * or fraction that uint64_t holds exactly: the remainder is a slot by
 * construction (a signed remainder could be negative for all a compiler
 * knows, and would make a tag that names no array). */
static inline size_t
slot_of(double x)
{
    return (size_t)((uint64_t)x % TF_WHEEL_SLOTS);
}

/* Where an entry at x goes: TF_IN_NEAR, TF_IN_FAR, or a slot's tag. */
static inline uint64_t
route(const tf_wheel *wheel, double x)
{
    double cursor = (double)wheel->cursor;
    if (x < cursor) {
        return TF_IN_NEAR;
    }
    if (x < cursor + TF_WHEEL_SLOTS && x < TF_CURSOR_LIMIT) {
        return slot_tag(slot_of(x));
    }
    return TF_IN_FAR;
}

static tf_entries *
array_of(tf_heap *heap, uint64_t tag)
{
    switch (tag & TF_IN_MASK) {
    case TF_IN_NEAR:
        return &heap->near;
    case TF_IN_FAR:
        return &heap->wheel->far;
    default:
        return &heap->wheel->slots[tag_slot(tag)];
    }
}

static inline void
swap_entries(tf_entries *a, tf_entries *b)
{
    tf_entries held = *a;
    *a = *b;
    *b = held;
}

static void
mark_slot(tf_wheel *wheel, size_t slot, int nonempty)
{
    uint64_t bit = (uint64_t)1 << (slot % 64);
    if (nonempty) {
        wheel->nonempty[slot / 64] |= bit;
    }
    else {
        wheel->nonempty[slot / 64] &= ~bit;
    }
}

/* Append to an unsorted slot array, which has room. */
static void
slot_append(tf_wheel *wheel, size_t slot, tf_heap_entry entry)
{
    tf_entries *array = &wheel->slots[slot];
    array->at[array->len] = entry;
    entry.node->index = slot_tag(slot) | array->len;
    array->len++;
    mark_slot(wheel, slot, 1);
}

/* Put entry where tag says, in an array that has room for it. */
static void
place_entry(tf_heap *heap, tf_heap_entry entry, uint64_t tag)
{
    if ((tag & TF_IN_MASK) == TF_IN_WHEEL) {
        slot_append(heap->wheel, tag_slot(tag), entry);
    }
    else {
        tf_heap_add(array_of(heap, tag), entry, tag);
    }
    if (tag != TF_IN_NEAR) {
        heap->wheel->count++;
    }
}

static uint64_t
destination(const tf_heap *heap, double deadline)
{
    return heap->wheel ? route(heap->wheel, position(heap->wheel, deadline))
                       : TF_IN_NEAR;
}

/* Take the entry at index out of its array, leaving its node alone. */
static void
take_out(tf_heap *heap, uint64_t index, int shrink)
{
    uint64_t tag = index & TF_IN_MASK;
    size_t pos = tag_pos(index);
    if (tag == TF_IN_WHEEL) {
        size_t slot = tag_slot(index);
        tf_entries *array = &heap->wheel->slots[slot];
        tf_heap_entry last = array->at[--array->len];
        if (pos != array->len) {
            array->at[pos] = last;
            last.node->index = slot_tag(slot) | pos;
        }
        if (array->len == 0) {
            mark_slot(heap->wheel, slot, 0);
        }
    }
    else {
        tf_heap_take(array_of(heap, tag), pos, tag);
    }
    if (tag != TF_IN_NEAR) {
        heap->wheel->count--;
    }
    if (shrink) {
        tf_entries_shrink(array_of(heap, index));
    }
}

/* --- walking every entry ---------------------------------------------------- */

static const tf_entries *
walk_array(const tf_heap *heap, size_t array)
{
    if (array == 0) {
        return &heap->near;
    }
    if (heap->wheel == NULL || array > TF_WHEEL_SLOTS + 1) {
        return NULL;
    }
    return array <= TF_WHEEL_SLOTS ? &heap->wheel->slots[array - 1]
                                   : &heap->wheel->far;
}

void
tf_heap_iter_start(tf_heap_iter *iter, const tf_heap *heap)
{
    iter->heap = heap;
    iter->array = 0;
    iter->pos = 0;
}

const tf_heap_entry *
tf_heap_iter_next(tf_heap_iter *iter)
{
    const tf_entries *array;
    while ((array = walk_array(iter->heap, iter->array)) != NULL) {
        if (iter->pos < array->len) {
            return &array->at[iter->pos++];
        }
        iter->array++;
        iter->pos = 0;
    }
    return NULL;
}

size_t
tf_heap_len(const tf_heap *heap)
{
    return heap->near.len + (heap->wheel ? heap->wheel->count : 0);
}

/* --- splitting -------------------------------------------------------------- */

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Choose base and per_second for the entries of heap (see the top of this
 * file); 0 when their deadlines leave no width to choose. */
static int
choose_width(const tf_heap *heap, double *base, double *per_second)
{
    double sample[TF_SAMPLE], lowest = HUGE_VAL;
    size_t taken = 0, seen = 0, stride = tf_heap_len(heap) / TF_SAMPLE + 1;
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    tf_heap_iter_start(&iter, heap);
    while ((entry = tf_heap_iter_next(&iter)) != NULL) {
        double deadline = entry->deadline;
        if (!isfinite(deadline)) {
            continue;
        }
        lowest = deadline < lowest ? deadline : lowest;
        if (seen++ % stride == 0 && taken < TF_SAMPLE) {
            sample[taken++] = deadline;
        }
    }
    if (taken == 0) {
        return 0;
    }
    qsort(sample, taken, sizeof(double), compare_doubles);
    double quartile = sample[3 * (taken - 1) / 4];
    if (!(quartile > lowest)) {
        quartile = sample[taken - 1];
    }
    double scale = (TF_WHEEL_SLOTS / 2) / (quartile - lowest);
    if (!(scale > 0.0 && isfinite(scale))) {
        return 0;
    }
    *base = lowest;
    *per_second = scale;
    return 1;
}

/* Write every node of old's arrays back to where it is in old. */
static void
reindex(tf_heap *old)
{
    for (size_t i = 0; i < old->near.len; i++) {
        old->near.at[i].node->index = TF_IN_NEAR | i;
    }
    if (old->wheel == NULL) {
        return;
    }
    for (size_t i = 0; i < old->wheel->far.len; i++) {
        old->wheel->far.at[i].node->index = TF_IN_FAR | i;
    }
    for (size_t slot = 0; slot < TF_WHEEL_SLOTS; slot++) {
        tf_entries *array = &old->wheel->slots[slot];
        for (size_t i = 0; i < array->len; i++) {
            array->at[i].node->index = slot_tag(slot) | i;
        }
    }
}

static void
free_wheel(tf_wheel *wheel)
{
    if (wheel == NULL) {
        return;
    }
    tf_entries_free(&wheel->far);
    for (size_t slot = 0; slot < TF_WHEEL_SLOTS; slot++) {
        tf_entries_free(&wheel->slots[slot]);
    }
    free(wheel);
}

/* Move every entry of old into fresh, which has a wheel: 0, or -1 when an
 * array could not grow (old is intact; the nodes need reindex). */
static int
spread(tf_heap *old, tf_heap *fresh)
{
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    tf_heap_iter_start(&iter, old);
    while ((entry = tf_heap_iter_next(&iter)) != NULL) {
        uint64_t tag = destination(fresh, entry->deadline);
        tf_entries *array = array_of(fresh, tag);
        if (tf_entries_reserve(array, 1) < 0) {
            return -1;
        }
        if ((tag & TF_IN_MASK) == TF_IN_WHEEL) {
            slot_append(fresh->wheel, tag_slot(tag), *entry);
        }
        else {
            array->at[array->len++] = *entry; /* made a heap below */
        }
        if (tag != TF_IN_NEAR) {
            fresh->wheel->count++;
        }
    }
    tf_heap_make(&fresh->near, TF_IN_NEAR);
    tf_heap_make(&fresh->wheel->far, TF_IN_FAR);
    return 0;
}

/* Did the split leave most entries where the wheel does not help? */
static int
split_is_poor(const tf_heap *heap, size_t total)
{
    size_t fullest = 0;
    for (size_t slot = 0; slot < TF_WHEEL_SLOTS; slot++) {
        size_t len = heap->wheel->slots[slot].len;
        fullest = len > fullest ? len : fullest;
    }
    return fullest > total / 4 || heap->wheel->far.len > total / 2 ||
           heap->near.len > total / 4;
}

static void
set_split_at(tf_heap *heap, size_t split_at)
{
    heap->split_at = split_at > heap->split_min ? split_at : heap->split_min;
}

/* Rebuild heap in tiers, if its deadlines allow and memory permits; else
 * leave it as it is.  O(n), and not tried again before the near or far
 * heap has grown by half the queue (by the whole queue after a split that
 * failed or left most timers in one place). */
static void
split(tf_heap *heap)
{
    size_t total = tf_heap_len(heap);
    size_t retry = 2 * total;
    tf_heap fresh;
    tf_heap_init(&fresh, heap->next_seq);
    fresh.wheel = calloc(1, sizeof(tf_wheel));
    if (fresh.wheel != NULL &&
        choose_width(heap, &fresh.wheel->base, &fresh.wheel->per_second)) {
        if (spread(heap, &fresh) == 0) {
            if (!split_is_poor(&fresh, total)) {
                size_t near = fresh.near.len, far = fresh.wheel->far.len;
                retry = (near > far ? near : far) + total / 2;
            }
            fresh.split_min = heap->split_min;
            tf_heap_free(heap);
            *heap = fresh;
            tf_heap_init(&fresh, heap->next_seq); /* heap owns its arrays */
        }
        else {
            reindex(heap);
        }
    }
    tf_heap_free(&fresh);
    set_split_at(heap, retry);
}

/* Index of the lowest set bit of a non-zero word. */
static inline size_t
lowest_bit(uint64_t bits)
{
#if defined(__GNUC__) || defined(__clang__)
    return (size_t)__builtin_ctzll(bits);
#else
    size_t index = 0;
    while (!(bits & 1)) {
        bits >>= 1;
        index++;
    }
    return index;
#endif
}

/* --- pouring ------------------------------------------------------------------ */

/* The first slot position with entries, or HUGE_VAL. */
static double
first_slot(const tf_wheel *wheel)
{
    size_t start = (size_t)(wheel->cursor % TF_WHEEL_SLOTS);
    for (size_t step = 0; step <= TF_WHEEL_WORDS; step++) {
        size_t word = (start / 64 + step) % TF_WHEEL_WORDS;
        uint64_t bits = wheel->nonempty[word];
        if (step == 0) {
            bits &= ~(uint64_t)0 << (start % 64); /* from start on */
        }
        else if (step == TF_WHEEL_WORDS) {
            bits &= ((uint64_t)1 << (start % 64)) - 1; /* wrapped round */
        }
        if (bits != 0) {
            size_t slot = word * 64 + lowest_bit(bits);
            size_t ahead = (slot + TF_WHEEL_SLOTS - start) % TF_WHEEL_SLOTS;
            return (double)(wheel->cursor + ahead);
        }
    }
    return HUGE_VAL;
}

/* Far entries at positions below limit (they are the top of the far heap). */
static size_t
count_far_below(const tf_wheel *wheel, size_t pos, double limit)
{
    if (pos >= wheel->far.len ||
        !(position(wheel, wheel->far.at[pos].deadline) < limit)) {
        return 0;
    }
    size_t count = 1;
    size_t first = TF_HEAP_ARITY * pos + 1;
    for (size_t child = first; child < first + TF_HEAP_ARITY; child++) {
        count += count_far_below(wheel, child, limit);
    }
    return count;
}

/* Nothing is left but far entries too far off for the cursor (or never
 * due): they become the near heap as they are, and the wheel goes. */
static void
retire_wheel(tf_heap *heap)
{
    tf_wheel *wheel = heap->wheel;
    swap_entries(&heap->near, &wheel->far);
    tf_heap_make(&heap->near, TF_IN_NEAR); /* already in order: reindexes */
    free_wheel(wheel);
    heap->wheel = NULL;
    set_split_at(heap, 2 * heap->near.len);
}

/* The near heap is empty: pour the next slot into it. */
static int
pour(tf_heap *heap)
{
    tf_wheel *wheel = heap->wheel;
    if (wheel->count == 0) { /* the queue is empty: start afresh */
        free_wheel(wheel);
        heap->wheel = NULL;
        set_split_at(heap, 0);
        return 0;
    }
    double from_slots = first_slot(wheel);
    double from_far = wheel->far.len > 0
                          ? floor(position(wheel, wheel->far.at[0].deadline))
                          : HUGE_VAL;
    double next = from_slots < from_far ? from_slots : from_far;
    if (!(next < TF_CURSOR_LIMIT)) { /* so every slot is empty */
        retire_wheel(heap);
        return 0;
    }
    size_t far_count = next == from_far ? count_far_below(wheel, 0, next + 1) : 0;
    size_t slot = slot_of(next);
    if (next == from_slots) {
        /* The empty near array and the slot's change places. */
        swap_entries(&heap->near, &wheel->slots[slot]);
        mark_slot(wheel, slot, 0);
    }
    if (tf_entries_reserve(&heap->near, far_count) < 0) {
        if (next == from_slots) {
            swap_entries(&heap->near, &wheel->slots[slot]);
            mark_slot(wheel, slot, 1);
        }
        return -1;
    }
    for (size_t i = 0; i < far_count; i++) {
        heap->near.at[heap->near.len++] = wheel->far.at[0];
        tf_heap_take(&wheel->far, 0, TF_IN_FAR);
    }
    wheel->count -= heap->near.len;
    wheel->cursor = (uint64_t)next + 1;
    tf_heap_make(&heap->near, TF_IN_NEAR);
    return 0;
}

/* --- the operations ----------------------------------------------------------- */

void
tf_heap_init(tf_heap *heap, uint64_t *next_seq)
{
    tf_entries_init(&heap->near);
    heap->wheel = NULL;
    heap->split_at = TF_SPLIT_MIN;
    heap->split_min = TF_SPLIT_MIN;
    heap->next_seq = next_seq;
}

void
tf_heap_free(tf_heap *heap)
{
    tf_entries_free(&heap->near);
    free_wheel(heap->wheel);
    heap->wheel = NULL;
}

void
tf_heap_detach(tf_heap *heap, tf_heap *out)
{
    *out = *heap;
    size_t split_min = heap->split_min;
    tf_heap_init(heap, heap->next_seq);
    heap->split_min = split_min;
    set_split_at(heap, 0);
}

void
tf_heap_set_split_at(tf_heap *heap, size_t split_at)
{
    heap->split_min = split_at > 0 ? split_at : 1;
    set_split_at(heap, 0);
}

void
tf_heap_split_if_due(tf_heap *heap)
{
    if (heap->near.len >= heap->split_at ||
        (heap->wheel && heap->wheel->far.len >= heap->split_at)) {
        split(heap);
    }
}

int
tf_heap_insert(tf_heap *heap, tf_heap_node *node, double deadline)
{
    tf_heap_split_if_due(heap);
    return tf_heap_insert_batched(heap, node, deadline);
}

int
tf_heap_insert_batched(tf_heap *heap, tf_heap_node *node, double deadline)
{
    uint64_t tag = destination(heap, deadline);
    if (tf_entries_reserve(array_of(heap, tag), 1) < 0) {
        return -1;
    }
    tf_heap_entry entry = {deadline, node};
    place_entry(heap, entry, tag);
    return 0;
}

int
tf_heap_push_any(tf_heap *heap, tf_heap_node *node, double deadline)
{
    uint64_t seq = node->seq;
    node->seq = (*heap->next_seq)++;
    if (tf_heap_insert(heap, node, deadline) < 0) {
        node->seq = seq;
        return -1;
    }
    return 0;
}

void
tf_heap_remove_tiered(tf_heap *heap, tf_heap_node *node)
{
    uint64_t index = node->index;
    node->index = TF_HEAP_NONE;
    take_out(heap, index, 1);
}

int
tf_heap_update(tf_heap *heap, tf_heap_node *node, double deadline)
{
    uint64_t index = node->index, tag = destination(heap, deadline);
    tf_heap_entry entry = {deadline, node};
    if (tag == (index & TF_IN_MASK) && tag != TF_IN_WHEEL) {
        /* Within the near or the far heap: sift where it is. */
        node->seq = (*heap->next_seq)++;
        tf_heap_sift(array_of(heap, tag), tag_pos(index), entry, tag);
        return 0;
    }
    if (tf_entries_reserve(array_of(heap, tag), 1) < 0) {
        return -1;
    }
    node->seq = (*heap->next_seq)++;
    take_out(heap, index, 0); /* no shrink: the room just made stays */
    place_entry(heap, entry, tag);
    return 0;
}

int
tf_heap_peek(tf_heap *heap, tf_heap_node **node, double *deadline)
{
    while (heap->near.len == 0 && heap->wheel != NULL) {
        if (pour(heap) < 0) {
            return -1;
        }
    }
    if (heap->near.len == 0) {
        *node = NULL;
        return 0;
    }
    *deadline = heap->near.at[0].deadline;
    *node = heap->near.at[0].node;
    return 0;
}

double
tf_heap_deadline(const tf_heap *heap, const tf_heap_node *node)
{
    return array_of((tf_heap *)heap, node->index)->at[tag_pos(node->index)]
        .deadline;
}

const tf_heap_entry *
tf_heap_last(const tf_heap *heap, uint64_t *where)
{
    if (heap->near.len > 0) {
        *where = TF_IN_NEAR | (heap->near.len - 1);
        return &heap->near.at[heap->near.len - 1];
    }
    tf_wheel *wheel = heap->wheel;
    if (wheel == NULL || wheel->count == 0) {
        return NULL;
    }
    if (wheel->far.len > 0) {
        *where = TF_IN_FAR | (wheel->far.len - 1);
        return &wheel->far.at[wheel->far.len - 1];
    }
    for (size_t word = 0; word < TF_WHEEL_WORDS; word++) {
        if (wheel->nonempty[word] != 0) {
            size_t slot = word * 64 + lowest_bit(wheel->nonempty[word]);
            tf_entries *array = &wheel->slots[slot];
            *where = slot_tag(slot) | (array->len - 1);
            return &array->at[array->len - 1];
        }
    }
    return NULL; /* unreachable while count is right */
}

void
tf_heap_forget_last(tf_heap *heap, uint64_t where)
{
    tf_entries *array = array_of(heap, where);
    array->len--; /* the last entry: nothing moves */
    if ((where & TF_IN_MASK) == TF_IN_WHEEL && array->len == 0) {
        mark_slot(heap->wheel, tag_slot(where), 0);
    }
    if ((where & TF_IN_MASK) != TF_IN_NEAR) {
        heap->wheel->count--;
    }
}

void
tf_heap_trim(tf_heap *heap)
{
    if (tf_heap_len(heap) == 0 && (heap->near.cap > 1024 || heap->wheel)) {
        tf_heap_free(heap);
    }
}

void
tf_heap_shape(const tf_heap *heap, long *near, long *slots, long *far)
{
    *near = (long)heap->near.len;
    *slots = 0;
    *far = -1;
    if (heap->wheel != NULL) {
        *far = (long)heap->wheel->far.len;
        *slots = (long)(heap->wheel->count - heap->wheel->far.len);
    }
}

/* --- checking ----------------------------------------------------------------- */

/* Is the entry at walk position where it must be, given its array? */
static int
entry_sound(const tf_heap *heap, size_t array, size_t pos,
            const tf_heap_entry *entry)
{
    const tf_wheel *wheel = heap->wheel;
    if (entry->deadline != entry->deadline) {
        return 0;
    }
    if (wheel == NULL) {
        return 1;
    }
    double x = position(wheel, entry->deadline);
    if (array == 0) {
        return route(wheel, x) == TF_IN_NEAR;
    }
    if (array == TF_WHEEL_SLOTS + 1) {
        /* Not route's answer: the cursor may have moved since. */
        return route(wheel, x) != TF_IN_NEAR;
    }
    size_t slot = array - 1;
    return entry->node->index == (slot_tag(slot) | pos) &&
           route(wheel, x) == slot_tag(slot);
}

/* The bookkeeping: counts, the non-empty bits, the heaps' own order. */
static int
wheel_sound(const tf_heap *heap)
{
    const tf_wheel *wheel = heap->wheel;
    if (wheel == NULL) {
        return 1;
    }
    size_t count = wheel->far.len;
    for (size_t slot = 0; slot < TF_WHEEL_SLOTS; slot++) {
        size_t len = wheel->slots[slot].len;
        int marked = (wheel->nonempty[slot / 64] >> (slot % 64)) & 1;
        if (marked != (len > 0)) {
            return 0;
        }
        count += len;
    }
    return count == wheel->count && tf_heap_problem(&wheel->far, TF_IN_FAR) < 0 &&
           wheel->per_second > 0.0 && isfinite(wheel->per_second) &&
           isfinite(wheel->base) &&
           (double)wheel->cursor <= TF_CURSOR_LIMIT;
}

long
tf_heap_check(const tf_heap *heap)
{
    long bad = tf_heap_problem(&heap->near, TF_IN_NEAR);
    if (bad >= 0) {
        return bad;
    }
    if (!wheel_sound(heap)) {
        return 0;
    }
    tf_heap_iter iter;
    const tf_heap_entry *entry;
    long walked = 0;
    tf_heap_iter_start(&iter, heap);
    while ((entry = tf_heap_iter_next(&iter)) != NULL) {
        if (!entry_sound(heap, iter.array, iter.pos - 1, entry)) {
            return walked;
        }
        walked++;
    }
    return -1;
}
