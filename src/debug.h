/*
 * debug.h: checks that exist only in debug builds (TF_DEBUG, set by
 * `make debug` through TWISTED_FAST_DEBUG=1).
 *
 * Owns: the live-object counters (fields of tf_state in debug builds) that
 * tests read through _speedups._live_counts() to prove that every object
 * created was freed.  Release builds compile all of it away.
 */
#ifndef TF_DEBUG_H
#define TF_DEBUG_H

#ifdef TF_DEBUG
#define TF_LIVE_COUNT(state, field, delta)                                  \
    do {                                                                    \
        tf_state *tf_count_state_ = (state);                                \
        if (tf_count_state_ != NULL) {                                      \
            tf_count_state_->field += (delta);                              \
        }                                                                   \
    } while (0)
#else
#define TF_LIVE_COUNT(state, field, delta) ((void)0)
#endif

#endif /* TF_DEBUG_H */
