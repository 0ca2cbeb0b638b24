/* "Did you mean" for unknown flags, subcommands and chains: the Jaro similarity with clap's
 * threshold (a candidate is suggested when it scores above 0.7). */
#include <string.h>

#include "node/node_int.h"

enum {
    JARO_MAX_LEN = 256
}; /* longer strings are never similar to our names */

double node__jaro(const char *a, size_t an, const char *b, size_t bn)
{
    if (an == 0 && bn == 0)
        return 1.0;
    if (an == 0 || bn == 0 || an > JARO_MAX_LEN || bn > JARO_MAX_LEN)
        return 0.0;
    size_t longer = an > bn ? an : bn;
    size_t window = longer / 2 > 0 ? longer / 2 - 1 : 0;
    bool am[JARO_MAX_LEN] = { false }, bm[JARO_MAX_LEN] = { false };
    size_t matches = 0;
    for (size_t i = 0; i < an; i++) {
        size_t lo = i > window ? i - window : 0;
        size_t hi = i + window + 1 < bn ? i + window + 1 : bn;
        for (size_t j = lo; j < hi; j++) {
            if (!bm[j] && a[i] == b[j]) {
                am[i] = bm[j] = true;
                matches++;
                break;
            }
        }
    }
    if (matches == 0)
        return 0.0;
    size_t transpositions = 0, k = 0;
    for (size_t i = 0; i < an; i++) {
        if (!am[i])
            continue;
        while (!bm[k])
            k++;
        if (a[i] != b[k])
            transpositions++;
        k++;
    }
    double m = (double)matches;
    return (m / (double)an + m / (double)bn + (m - (double)transpositions / 2.0) / m) / 3.0;
}

const char *node__suggest(const char *s, size_t n, const char *const *cands, size_t ncands)
{
    const char *best = NULL;
    double best_score = 0.7;
    for (size_t i = 0; i < ncands; i++) {
        double score = node__jaro(s, n, cands[i], strlen(cands[i]));
        if (score > best_score) {
            best_score = score;
            best = cands[i];
        }
    }
    return best;
}

const char *node__suggest_flag(const char *s, size_t n)
{
    const char *best = NULL;
    double best_score = 0.7;
    for (size_t i = 0; i < node__nflags; i++) {
        const char *name = node__flags[i].name;
        double score = node__jaro(s, n, name, strlen(name));
        if (score > best_score) {
            best_score = score;
            best = name;
        }
    }
    return best;
}
