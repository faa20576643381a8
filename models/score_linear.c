/* models/score_linear.c — trained themes: features of the windows around
 * mentions, a logistic classifier per theme, and evidence from the
 * features that weighed most.
 *
 * HOW IT WORKS: the lexicon pass has found each theme's mentions, its cues
 * (with negation) and the negators. A trained theme's windows are +-N
 * tokens around its mentions (or their sentences), merged where they
 * overlap. Each window is one example for the classifier, which liblinear
 * trained as three one-vs-rest logistic regressions (+1, 0, -1): the
 * probabilities are each regression's sigmoid, normalised to sum to 1, as
 * liblinear's predict_probability() gives them. A document's positive,
 * neutral and negative are the sums over its windows (the expected number
 * of windows on each side), so the Beta posterior of the lexicon scorer
 * turns them into a stance with an interval the same way. Evidence: in
 * each window that takes a side, the features whose weights pushed
 * hardest toward it, (w+ - w-) times the feature's value.
 *
 * Two paths make the features. opine_score_features() writes their names
 * ("w:STEM", "b:STEM NEXT", ...), which training needs for its
 * vocabulary. Scoring, the hot one (THE SCORER'S PATH below), never builds
 * a name: it finds features by 64-bit keys made from hashes of their stems
 * (models/feature_key.h), the same keys model compile makes from the
 * names, and looks each feature up once per document for all themes at
 * once. tests/e2e_train.sh holds the two paths to the same predictions.
 */
#include "models/score_linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "models/feature_key.h"

/* Evidence rows a window may give, and the least push worth one. */
#define EVIDENCE_PER_WINDOW 4
#define EVIDENCE_MIN 0.05

void opine_features_release(opine_features *fs)
{
    if (fs == NULL)
        return;
    free(fs->names);
    free(fs->f);
    memset(fs, 0, sizeof(*fs));
}

/* Append the feature PREFIX S1 [" " S2]. */
/* The feature of a token after a double quotation mark is w:QUOTE_STEM: no
 * stem is a quotation mark, so it is no word's. */
#define QUOTE_STEM "\""

static int add(opine_features *fs, const char *prefix, const char *s1,
               const char *s2, double value, uint32_t tok, uint32_t ntok)
{
    size_t lp = strlen(prefix), l1 = strlen(s1), l2 = s2 ? strlen(s2) + 1 : 0;
    size_t len = lp + l1 + l2;
    if (opine__grow((void **)&fs->names, &fs->names_cap,
                    fs->names_len + len + 1, 1) ||
        opine__grow((void **)&fs->f, &fs->cap, fs->n + 1,
                    sizeof(opine_feature)))
        return OPINE_ENOMEM;
    char *p = fs->names + fs->names_len;
    memcpy(p, prefix, lp);
    memcpy(p + lp, s1, l1);
    if (s2) {
        p[lp + l1] = ' ';
        memcpy(p + lp + l1 + 1, s2, l2 - 1);
    }
    p[len] = '\0';
    fs->f[fs->n++] = (opine_feature){.off = (uint32_t)fs->names_len,
                                     .len = (uint32_t)len,
                                     .value = value,
                                     .tok = tok,
                                     .ntok = ntok};
    fs->names_len += len + 1;
    return 0;
}

static const char *sort_names; /* qsort has no context argument */

static int cmp_feature(const void *pa, const void *pb)
{
    const opine_feature *a = pa, *b = pb;
    int c = strcmp(sort_names + a->off, sort_names + b->off);
    if (c)
        return c;
    return a->tok < b->tok ? -1 : a->tok > b->tok;
}

/* Is token i within negation scope after one of the negators? */
static int negated(const opine_model *m, const opine_scores *sc,
                   const opine_score_token *toks, uint32_t i)
{
    uint32_t scope = (uint32_t)opine_model_negation_scope(m);
    for (size_t k = 0; k < sc->nnegators; k++) {
        uint32_t end = sc->negators[k].start + sc->negators[k].k - 1;
        if (end < i && i - end <= scope &&
            toks[end].sentence == toks[i].sentence)
            return 1;
    }
    return 0;
}

/* Add the lexicon's cues of theme in tokens [from, to) to n[side] (side 0:
 * toward +, 1: toward -), and where the first of each side is. */
static void count_cues(const opine_model *m, const opine_scores *sc,
                       uint32_t theme, uint32_t from, uint32_t to, double n[2],
                       uint32_t tok[2], uint32_t ntok[2])
{
    for (size_t e = 0; e < sc->nev; e++) {
        const opine_evidence *ev = &sc->ev[e];
        if (ev->theme != theme || ev->tok < from || ev->tok >= to)
            continue;
        int side = ev->polarity > 0 ? 0 : 1;
        if (n[side] == 0) {
            tok[side] = ev->tok;
            ntok[side] = opine_model_term(m, ev->term)->npatterns;
        }
        n[side] += 1;
    }
}

int opine_score_windows(const opine_scores *sc, uint32_t theme, int window,
                        const opine_score_token *toks, size_t n,
                        uint32_t **ranges, size_t *nranges)
{
    *ranges = NULL;
    *nranges = 0;
    size_t cap = 0, nr = 0;
    uint32_t *r = NULL;
    for (size_t i = 0; i < sc->nmentions; i++) {
        const opine_match *mt = &sc->mentions[i];
        if (mt->theme != theme)
            continue;
        uint32_t from, to;
        if (window > 0) {
            from = mt->start > (uint32_t)window ? mt->start - window : 0;
            to = mt->start + mt->k + (uint32_t)window;
            if (to > n)
                to = (uint32_t)n;
        } else {
            uint32_t s = toks[mt->start].sentence;
            for (from = mt->start; from > 0 && toks[from - 1].sentence == s;)
                from--;
            for (to = mt->start + mt->k; to < n && toks[to].sentence == s;)
                to++;
        }
        /* Mentions come in text order: merge with the last window, unless
         * the merged window would outgrow one mention's (+-window): the
         * classifier learnt from paragraphs, and one window for a whole
         * op-ed full of mentions dilutes every feature (1/sqrt(count)) until
         * nothing takes a side. Then the next window starts where the last
         * ended. */
        if (nr > 0 && from <= r[2 * nr - 1]) {
            if (window == 0 ||
                to - r[2 * nr - 2] <= 2 * (uint32_t)window + mt->k) {
                if (to > r[2 * nr - 1])
                    r[2 * nr - 1] = to;
                continue;
            }
            from = r[2 * nr - 1];
            if (to <= from)
                continue;
        }
        if (opine__grow((void **)&r, &cap, 2 * nr + 2, sizeof(uint32_t))) {
            free(r);
            return OPINE_ENOMEM;
        }
        r[2 * nr] = from;
        r[2 * nr + 1] = to;
        nr++;
    }
    *ranges = r;
    *nranges = nr;
    return 0;
}

/* SPEAKER FEATURES: who talks in a window. Commentary argues in its own
 * voice ("we must", "I doubt"); a report gives others' words (quotation
 * marks, "said", "told"), and a quoted side is not the writer's (the
 * codebook's 0). Words alone miss this: first-person pronouns are stop
 * words, and each reporting verb is its own rare feature. So a window of
 * a theme with speaker: true also has, each once:
 *   s:we    a first-person word (I, we, my, our, me, myself, ourselves)
 *           outside quotation marks; s:we" the same inside them;
 *   s:said  a reporting verb (said, say(s), told, warn(ed), wrote,
 *           argue(d)); not "according" or "stated", whose stems are also
 *           the nouns accord and state, nor "us", which is also U.S.;
 *   s:"     the window opens right after a quotation mark.
 * A token is inside quotation marks when an odd number of them stand
 * between the start of its sentence and it: counted per sentence, so an
 * unbalanced mark (a quotation running over paragraphs, as news writes
 * them) misleads one sentence, not the rest of the document. On the dev
 * split, in a Python model on the same labels, features like these
 * raised mean macro-F1 from 0.501 to 0.538. The stems are English
 * Snowball's; opine train gives other languages none of these. */
static const char *const first_person[] = {"i",  "we",     "my",     "our",
                                           "me", "myself", "ourselv"};
static const char *const reporting[] = {"said", "say",   "told",
                                        "warn", "wrote", "argu"};
#define NFIRST (sizeof(first_person) / sizeof(first_person[0]))
#define NREPORT (sizeof(reporting) / sizeof(reporting[0]))
enum { SPK_NONE = 0, SPK_WE, SPK_WE_QUOTED, SPK_SAID, SPK_OPEN, SPK_N };
static const char *const spk_names[SPK_N] = {"", "s:we", "s:we\"", "s:said",
                                             "s:\""};

static int in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* Whether token i stands inside quotation marks (SPEAKER FEATURES). */
static int inside_quotes(const opine_score_token *toks, uint32_t i)
{
    int odd = 0;
    for (uint32_t j = i + 1; j-- > 0 && toks[j].sentence == toks[i].sentence;)
        odd ^= toks[j].quote != 0;
    return odd;
}

int opine_score_features(const opine_model *m, const opine_scores *sc,
                         uint32_t theme, const opine_score_token *toks,
                         const uint32_t *r, size_t nranges, unsigned flags,
                         opine_features *fs)
{
    int quotes = (flags & OPINE_FEATURES_QUOTES) != 0,
        speaker = (flags & OPINE_FEATURES_SPEAKER) != 0;
    fs->n = 0;
    fs->names_len = 0;
    int rc = 0;
    double cues[2] = {0, 0};
    uint32_t cue_tok[2] = {0, 0}, cue_ntok[2] = {1, 1};
    for (size_t k = 0; rc == 0 && k < nranges; k++) {
        if (speaker && toks[r[2 * k]].quote &&
            (rc = add(fs, spk_names[SPK_OPEN], "", NULL, 1, r[2 * k], 1)) != 0)
            break;
        for (uint32_t i = r[2 * k]; rc == 0 && i < r[2 * k + 1]; i++) {
            if (quotes && toks[i].quote &&
                (rc = add(fs, "w:", QUOTE_STEM, NULL, 1, i, 1)) != 0)
                break;
            const char *s = toks[i].stem;
            if (s == NULL || *s == '\0')
                continue;
            int spk = !speaker                           ? SPK_NONE
                      : in_list(first_person, NFIRST, s) ? SPK_WE
                      : in_list(reporting, NREPORT, s)   ? SPK_SAID
                                                         : SPK_NONE;
            if (spk == SPK_WE && inside_quotes(toks, i))
                spk = SPK_WE_QUOTED;
            if (spk && (rc = add(fs, spk_names[spk], "", NULL, 1, i, 1)) != 0)
                break;
            int stop = opine_model_stop_stem(m, s, strlen(s));
            if (!stop)
                rc = add(fs, negated(m, sc, toks, i) ? "n:" : "w:", s, NULL, 1,
                         i, 1);
            const char *t = i + 1 < r[2 * k + 1] ? toks[i + 1].stem : NULL;
            if (rc == 0 && t && *t &&
                toks[i + 1].sentence == toks[i].sentence &&
                !(stop && opine_model_stop_stem(m, t, strlen(t))))
                rc = add(fs, "b:", s, t, 1, i, 2);
        }
        count_cues(m, sc, theme, r[2 * k], r[2 * k + 1], cues, cue_tok,
                   cue_ntok);
    }
    if (rc)
        return rc;
    /* Each feature once (where it first fired), then unit length. */
    sort_names = fs->names;
    qsort(fs->f, fs->n, sizeof(opine_feature), cmp_feature);
    size_t kept = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (kept == 0 || strcmp(fs->names + fs->f[kept - 1].off,
                                fs->names + fs->f[i].off) != 0)
            fs->f[kept++] = fs->f[i];
    fs->n = kept;
    for (size_t i = 0; i < fs->n; i++)
        fs->f[i].value = 1 / sqrt((double)kept);
    static const char *const cue_names[2] = {"cue:+", "cue:-"};
    for (int side = 0; rc == 0 && side < 2; side++)
        if (cues[side] > 0)
            rc = add(fs, cue_names[side], "", NULL, log1p(cues[side]),
                     cue_tok[side], cue_ntok[side]);
    return rc;
}

/* THE SCORER'S PATH. Training needs feature names (to build its
 * vocabulary); scoring only needs to find each feature's weights, so it
 * makes each feature's key (models/feature_key.h) from the hashes of its
 * stems and finds it in the model's table, with no strings built or
 * sorted. The stems' hashes come with the tokens (opine_score_token
 * .stem_hash: the engine makes one per stem of its vocabulary), or else
 * are made here once per token. The two paths must give the same
 * features: tests/e2e_train.sh checks that a loaded model predicts
 * exactly what the trainer's classifier did.
 *
 * HOW IT WORKS, per document: the first time a window reaches token i,
 * its features' keys are made and each key is given a number in the
 * document's own table of features (lin_scratch.slots and df). A window
 * counts each feature once by stamping it with the window's number
 * (docfeat.window): no set to clear per window. The features new to the
 * document are then looked up in the model together
 * (opine_model_feature_rows, whose waits for memory overlap), and each
 * keeps its row, its index in every theme at once: a feature is hashed
 * and looked up once per document, not per token, theme and window. */
enum {
    TF_DONE = 1,
    TF_STOP = 2,
    TF_STOP_KNOWN = 4,
    TF_HASHED = 8,
    TF_NEG = 16, /* within negation scope after a negator */
    TF_INQ = 32  /* inside quotation marks (inside_quotes) */
};

/* A token's features; each field is set when the state says so. */
typedef struct tokfeat {
    uint64_t h; /* the stem's hash (TF_HASHED) */
    uint32_t w; /* "w:STEM" or, negated, "n:STEM": feature number + 1 */
    uint32_t b; /* "b:STEM NEXT": feature number + 1; 0: none (TF_DONE) */
    uint32_t q; /* 'w:"' after a quotation mark: feature number + 1 */
    uint32_t s; /* its speaker feature (s:we, s:we", s:said): number + 1 */
} tokfeat;

typedef struct docfeat {
    uint64_t key;
    const int32_t *row; /* opine_model_feature_row(), NULL: in no theme */
    uint32_t window;    /* the last window that counted it */
    uint32_t looked;    /* whether row is set yet */
} docfeat;

typedef struct hfeat {
    uint32_t id; /* feature number in the document */
    uint32_t tok, ntok;
    long f; /* the feature's index, -1: not in the model */
} hfeat;

/* Per document (freed after it, see opine__score_linear), set up the
 * first time a trained theme has mentions. Only state and slots are
 * zeroed: the rest is written before it is read. */
typedef struct lin_scratch {
    uint8_t *state;  /* per token, TF_* */
    tokfeat *tf;     /* per token */
    uint32_t *slots; /* the document's features: number + 1 (0: empty), by
                      * key, open addressing ... */
    size_t mask;
    docfeat *df; /* ... by number */
    size_t ndf;
    uint32_t window;              /* windows classified so far */
    const uint8_t *stop_patterns; /* opine_model_stop_patterns() */
    hfeat *hf;                    /* a window's features, at most 4 per token */
    /* a window's features new to the document, to look up in one batch */
    uint64_t *new_keys;
    const int32_t **new_rows;
    uint32_t *new_ids;
    /* SPEAKER FEATURES, when a theme of the model has them; their keys
     * and the hashes of the stems that make them, made once (spk_made) */
    int speaker, spk_made;
    uint64_t spk_key[SPK_N];
    uint64_t first_h[NFIRST], report_h[NREPORT];
    uint64_t spk_bloom; /* bit h % 64 of each of those hashes h */
} lin_scratch;

/* The table of features for at least need of them, at most half full. */
static int doc_slots(lin_scratch *ls, size_t need)
{
    size_t cap = 64;
    while (cap < 2 * need)
        cap *= 2;
    uint32_t *slots = calloc(cap, sizeof(uint32_t));
    if (slots == NULL)
        return OPINE_ENOMEM;
    free(ls->slots);
    ls->slots = slots;
    ls->mask = cap - 1;
    for (size_t id = 0; id < ls->ndf; id++) {
        size_t s = (size_t)ls->df[id].key & ls->mask;
        while (slots[s])
            s = (s + 1) & ls->mask;
        slots[s] = (uint32_t)id + 1;
    }
    return 0;
}

/* Ready the scratch for a document of n tokens. The table of features
 * starts small and grows: a document has far fewer features in its
 * windows than twice its tokens (ABP: about 0.4 per token). */
static int doc_begin(const opine_model *m, const opine_scores *sc,
                     const opine_score_token *toks, size_t n, lin_scratch *ls)
{
    ls->ndf = 0;
    ls->window = 0;
    ls->stop_patterns = opine_model_stop_patterns(m);
    if ((ls->state = calloc(n + 1, 1)) == NULL ||
        (ls->tf = malloc((n + 1) * sizeof(tokfeat))) == NULL ||
        (ls->df = malloc((4 * n + SPK_N) * sizeof(docfeat))) == NULL ||
        (ls->hf = malloc((4 * n + SPK_N) * sizeof(hfeat))) == NULL ||
        (ls->new_keys = malloc((4 * n + SPK_N) * sizeof(uint64_t))) == NULL ||
        (ls->new_rows = malloc((4 * n + SPK_N) * sizeof(int32_t *))) == NULL ||
        (ls->new_ids = malloc((4 * n + SPK_N) * sizeof(uint32_t))) == NULL ||
        doc_slots(ls, n / 4))
        return OPINE_ENOMEM;
    ls->speaker = 0;
    for (uint32_t t = 0; t < sc->nthemes; t++) {
        const opine_linear_theme *lt = opine_model_linear(m, t);
        ls->speaker |= lt && lt->speaker;
    }
    if (ls->speaker && !ls->spk_made) {
        ls->spk_made = 1;
        for (int k = 1; k < SPK_N; k++)
            ls->spk_key[k] =
                opine_model_feature_key(spk_names[k], strlen(spk_names[k]));
        ls->spk_bloom = 0;
        for (size_t k = 0; k < NFIRST; k++) {
            ls->first_h[k] =
                opine__stem_hash(first_person[k], strlen(first_person[k]));
            ls->spk_bloom |= 1ull << (ls->first_h[k] % 64);
        }
        for (size_t k = 0; k < NREPORT; k++) {
            ls->report_h[k] =
                opine__stem_hash(reporting[k], strlen(reporting[k]));
            ls->spk_bloom |= 1ull << (ls->report_h[k] % 64);
        }
    }
    if (ls->speaker) {
        /* inside_quotes(), for every token in one pass */
        int odd = 0;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && toks[i].sentence != toks[i - 1].sentence)
                odd = 0;
            odd ^= toks[i].quote != 0;
            if (odd)
                ls->state[i] |= TF_INQ;
        }
    }
    /* Negation, as negated() says it, marked once for the document. */
    uint32_t scope = (uint32_t)opine_model_negation_scope(m);
    for (size_t k = 0; k < sc->nnegators; k++) {
        uint32_t end = sc->negators[k].start + sc->negators[k].k - 1;
        for (uint32_t i = end + 1; i <= end + scope && i < n; i++)
            if (toks[i].sentence == toks[end].sentence)
                ls->state[i] |= TF_NEG;
    }
    return 0;
}

static void doc_end(lin_scratch *ls)
{
    free(ls->state);
    free(ls->tf);
    free(ls->slots);
    free(ls->df);
    free(ls->hf);
    free(ls->new_keys);
    free(ls->new_rows);
    free(ls->new_ids);
    ls->new_keys = NULL;
    ls->new_rows = NULL;
    ls->new_ids = NULL;
    ls->state = NULL;
    ls->tf = NULL;
    ls->slots = NULL;
    ls->df = NULL;
    ls->hf = NULL;
}

/* The number + 1 of the feature of key in the document, made if new; 0
 * when out of memory. */
static uint32_t doc_feature(lin_scratch *ls, uint64_t key)
{
    size_t s = (size_t)key & ls->mask;
    for (; ls->slots[s]; s = (s + 1) & ls->mask)
        if (ls->df[ls->slots[s] - 1].key == key)
            return ls->slots[s];
    if (2 * (ls->ndf + 1) > ls->mask + 1) {
        if (doc_slots(ls, 2 * (ls->ndf + 1)))
            return 0;
        for (s = (size_t)key & ls->mask; ls->slots[s];)
            s = (s + 1) & ls->mask;
    }
    ls->df[ls->ndf] = (docfeat){key, NULL, 0, 0};
    return ls->slots[s] = (uint32_t)++ls->ndf;
}

uint64_t opine_score_stem_hash(const char *stem, size_t len)
{
    return opine__stem_hash(stem, len);
}

/* Whether token i has a stem that is not empty: its hash says so without
 * reading the string. */
static int has_stem(const opine_score_token *toks, uint32_t i)
{
    return toks[i].stem_hash || (toks[i].stem && *toks[i].stem);
}

/* The hash of token i's stem (has_stem), made once. */
static uint64_t stem_hash(const opine_score_token *toks, lin_scratch *ls,
                          uint32_t i)
{
    if (toks[i].stem_hash)
        return toks[i].stem_hash;
    if (!(ls->state[i] & TF_HASHED)) {
        ls->state[i] |= TF_HASHED;
        ls->tf[i].h = opine__stem_hash(toks[i].stem, strlen(toks[i].stem));
    }
    return ls->tf[i].h;
}

/* Whether token i's stem is a stop word's, looked up once (its patterns
 * are the model's, so they index stop_patterns). */
static int is_stop(const opine_score_token *toks, lin_scratch *ls, uint32_t i)
{
    if (!(ls->state[i] & TF_STOP_KNOWN)) {
        ls->state[i] |= TF_STOP_KNOWN;
        for (uint32_t k = 0; ls->stop_patterns && k < toks[i].npats; k++)
            if (ls->stop_patterns[toks[i].pats[k]])
                ls->state[i] |= TF_STOP;
    }
    return (ls->state[i] & TF_STOP) != 0;
}

/* Token i's features, as opine_score_features() makes them; NULL when out
 * of memory. */
static const tokfeat *token_feat(const opine_score_token *toks, size_t n,
                                 lin_scratch *ls, uint32_t i)
{
    tokfeat *t = &ls->tf[i];
    if (ls->state[i] & TF_DONE)
        return t;
    ls->state[i] |= TF_DONE;
    t->w = t->b = t->q = t->s = 0;
    if (toks[i].quote) {
        uint64_t key = opine__feature_key(OPINE__KEY_W,
                                          opine__stem_hash(QUOTE_STEM, 1), 0);
        if ((t->q = doc_feature(ls, key)) == 0)
            return NULL;
    }
    if (!has_stem(toks, i))
        return t;
    uint64_t h = ls->speaker ? stem_hash(toks, ls, i) : 0;
    if (ls->speaker && (ls->spk_bloom >> (h % 64) & 1)) {
        int spk = SPK_NONE;
        for (size_t k = 0; k < NFIRST && !spk; k++)
            if (h == ls->first_h[k])
                spk = (ls->state[i] & TF_INQ) ? SPK_WE_QUOTED : SPK_WE;
        for (size_t k = 0; k < NREPORT && !spk; k++)
            if (h == ls->report_h[k])
                spk = SPK_SAID;
        if (spk && (t->s = doc_feature(ls, ls->spk_key[spk])) == 0)
            return NULL;
    }
    int stop = is_stop(toks, ls, i);
    if (!stop) {
        int kind = (ls->state[i] & TF_NEG) ? OPINE__KEY_N : OPINE__KEY_W;
        uint64_t key = opine__feature_key(kind, stem_hash(toks, ls, i), 0);
        if ((t->w = doc_feature(ls, key)) == 0)
            return NULL;
    }
    if (i + 1 < n && has_stem(toks, i + 1) &&
        toks[i + 1].sentence == toks[i].sentence &&
        !(stop && is_stop(toks, ls, i + 1))) {
        uint64_t key = opine__feature_key(OPINE__KEY_B, stem_hash(toks, ls, i),
                                          stem_hash(toks, ls, i + 1));
        if ((t->b = doc_feature(ls, key)) == 0)
            return NULL;
    }
    return t;
}

/* Classify one window [from, to) of theme; its evidence rows appended. */
static int classify_window(const opine_model *m, const opine_linear_theme *lt,
                           uint32_t theme, const opine_scores *cues,
                           const opine_score_token *toks, size_t n,
                           uint32_t from, uint32_t to, lin_scratch *ls,
                           double p[4], opine_scores *out)
{
    /* Each feature once, where it first fired (in token order). */
    uint32_t win = ++ls->window;
    size_t kept = 0;
    if (lt->speaker && from < to && toks[from].quote) {
        uint32_t id = doc_feature(ls, ls->spk_key[SPK_OPEN]);
        if (id == 0)
            return OPINE_ENOMEM;
        ls->df[id - 1].window = win;
        ls->hf[kept++] = (hfeat){id - 1, from, 1, -1};
    }
    for (uint32_t i = from; i < to; i++) {
        const tokfeat *t = token_feat(toks, n, ls, i);
        if (t == NULL)
            return OPINE_ENOMEM;
        if (lt->quotes && t->q && ls->df[t->q - 1].window != win) {
            ls->df[t->q - 1].window = win;
            ls->hf[kept++] = (hfeat){t->q - 1, i, 1, -1};
        }
        if (lt->speaker && t->s && ls->df[t->s - 1].window != win) {
            ls->df[t->s - 1].window = win;
            ls->hf[kept++] = (hfeat){t->s - 1, i, 1, -1};
        }
        if (t->w && ls->df[t->w - 1].window != win) {
            ls->df[t->w - 1].window = win;
            ls->hf[kept++] = (hfeat){t->w - 1, i, 1, -1};
        }
        if (t->b && i + 1 < to && ls->df[t->b - 1].window != win) {
            ls->df[t->b - 1].window = win;
            ls->hf[kept++] = (hfeat){t->b - 1, i, 2, -1};
        }
    }
    /* The model's rows of the features new to the document, in one
     * batch; then each feature's weights, fetched before they are summed
     * (in the order of the features, as ever). */
    size_t nnew = 0;
    for (size_t i = 0; i < kept; i++) {
        docfeat *d = &ls->df[ls->hf[i].id];
        if (!d->looked) {
            d->looked = 1;
            ls->new_keys[nnew] = d->key;
            ls->new_ids[nnew++] = ls->hf[i].id;
        }
    }
    opine_model_feature_rows(m, ls->new_keys, nnew, ls->new_rows);
    for (size_t j = 0; j < nnew; j++)
        ls->df[ls->new_ids[j]].row = ls->new_rows[j];
    for (size_t i = 0; i < kept; i++) {
        const int32_t *row = ls->df[ls->hf[i].id].row;
        long f = ls->hf[i].f = row ? row[theme] : -1;
        if (f >= 0) {
            __builtin_prefetch(&lt->w[4 * f]);
            __builtin_prefetch(&lt->w[4 * f + 3]);
        }
    }
    double value = kept ? 1 / sqrt((double)kept) : 0;
    double dec[4] = {lt->bias[0], lt->bias[1], lt->bias[2], lt->bias[3]};
    for (size_t i = 0; i < kept; i++) {
        long f = ls->hf[i].f;
        if (f >= 0)
            for (int c = 0; c < 4; c++)
                dec[c] += value * lt->w[4 * f + c];
    }
    /* The cue features, as opine_score_features() makes them. */
    double ncue[2] = {0, 0};
    uint32_t cue_tok[2] = {0, 0}, cue_ntok[2] = {1, 1};
    count_cues(m, cues, theme, from, to, ncue, cue_tok, cue_ntok);
    static const char *const cue_names[2] = {"cue:+", "cue:-"};
    long cue_f[2] = {-1, -1};
    for (int side = 0; side < 2; side++)
        if (ncue[side] > 0 && (cue_f[side] = opine_model_feature(
                                   m, theme, cue_names[side], 5)) >= 0)
            for (int c = 0; c < 4; c++)
                dec[c] += log1p(ncue[side]) * lt->w[4 * cue_f[side] + c];
    double sum = 0;
    int nc = lt->off ? 4 : 3;
    p[3] = 0;
    for (int c = 0; c < nc; c++)
        p[c] = 1 / (1 + exp(-dec[c]));
    p[1] *= lt->neutral; /* as models/train.c label_of() weighs it */
    for (int c = 0; c < nc; c++)
        sum += p[c];
    for (int c = 0; c < nc; c++)
        p[c] /= sum;

    /* Evidence: in a window that takes a side, the features that pushed
     * hardest toward that side. A window the classifier calls 0 adds
     * little to the stance and gets no rows: words that merely failed to
     * look like a side are no evidence a reader could check. Nor does a
     * window whose side is less likely than the theme's
     * evidence_probability, or that looks off the theme: on the test
     * split, rows of windows at P(side) >= 0.6 pointed the way the
     * paragraph's label does 69% of the time, at >= 0.5 53%, at any 47%
     * (models/README.md, "Trained models"). */
    int side = p[0] > p[1] && p[0] > p[2] && p[0] > p[3]   ? 1
               : p[2] > p[1] && p[2] > p[0] && p[2] > p[3] ? -1
                                                           : 0;
    /* Evidence proper: the lexicon's cues of the side the window takes,
     * each with its share of that side's cue feature's push, where the
     * classifier learned that those cues push toward it. A reader can
     * check each one in the text. A cue of the other side, or in a window
     * the classifier reads as neutral or off the theme, is left out: there
     * the context (criticism, a report, another sense of the word) says
     * the cue does not mean what it says alone, and a blind reading found
     * most wrong rows there. As for the classifier's features (below),
     * only where the window is at least evidence_probability sure of its
     * side. One strict blind reader, the two mixed: 75 of 130 rows right
     * in sense and direction with this threshold, 51 of 140 without; the
     * misses are mostly policy words ("sanctions", "summit") in reports
     * that take no side. A quiet cue (one its training labels did not
     * confirm, models/train.c) counts in the push but is not shown. */
    int sure = side != 0 && p[side > 0 ? 0 : 2] >= lt->evidence;
    for (int c = 0; sure && c < 2; c++) {
        if (cue_f[c] < 0 || ncue[c] <= 0 || (c == 0 ? 1 : -1) != side)
            continue;
        double push =
            log1p(ncue[c]) * (lt->w[4 * cue_f[c]] - lt->w[4 * cue_f[c] + 2]);
        int pol = c == 0 ? 1 : -1;
        if (push * pol < EVIDENCE_MIN)
            continue;
        for (size_t e = 0; e < cues->nev; e++) {
            const opine_evidence *ev = &cues->ev[e];
            if (ev->theme != theme || ev->tok < from || ev->tok >= to ||
                ev->polarity != pol || opine_model_term(m, ev->term)->quiet)
                continue;
            if (opine__grow((void **)&out->ev, &out->ev_cap, out->nev + 1,
                            sizeof(opine_evidence)))
                return OPINE_ENOMEM;
            opine_evidence row = *ev;
            row.weight = fabs(push) / ncue[c];
            row.kind = OPINE_EVIDENCE_CUE;
            out->ev[out->nev++] = row;
        }
    }
    if (side == 0 || p[side > 0 ? 0 : 2] < lt->evidence)
        return 0;
    struct {
        double push;
        long f;
        uint32_t tok, ntok;
    } top[EVIDENCE_PER_WINDOW];
    size_t ntop = 0;
    for (size_t i = 0; i < kept; i++) {
        long f = ls->hf[i].f;
        double v = value;
        uint32_t tok = ls->hf[i].tok, ntok = ls->hf[i].ntok;
        if (f < 0)
            continue;
        double push = v * (lt->w[4 * f] - lt->w[4 * f + 2]);
        if (push * side < EVIDENCE_MIN)
            continue;
        size_t at = ntop;
        while (at > 0 && fabs(top[at - 1].push) < fabs(push))
            at--;
        if (at >= EVIDENCE_PER_WINDOW)
            continue;
        if (ntop < EVIDENCE_PER_WINDOW)
            ntop++;
        memmove(&top[at + 1], &top[at], (ntop - 1 - at) * sizeof(top[0]));
        top[at].push = push;
        top[at].f = f;
        top[at].tok = tok;
        top[at].ntok = ntok;
    }
    for (size_t j = 0; j < ntop; j++) {
        if (opine__grow((void **)&out->ev, &out->ev_cap, out->nev + 1,
                        sizeof(opine_evidence)))
            return OPINE_ENOMEM;
        const opine_score_token *first = &toks[top[j].tok],
                                *last = &toks[top[j].tok + top[j].ntok - 1];
        const char *name = lt->names[top[j].f];
        out->ev[out->nev++] = (opine_evidence){
            .theme = theme,
            .term = UINT32_MAX,
            .sentence = first->sentence,
            .start = first->start,
            .end = last->start + last->len,
            .polarity = top[j].push > 0 ? 1 : -1,
            .negated = name[0] == 'n' && name[1] == ':',
            .weight = fabs(top[j].push),
            .tok = top[j].tok,
            .cue = name,
            .kind = OPINE_EVIDENCE_FEATURE,
        };
    }
    return 0;
}

int opine__score_linear(const opine_model *m, const opine_score_token *toks,
                        size_t n, opine_scores *out)
{
    if (out->lin_scratch == NULL &&
        (out->lin_scratch = calloc(1, sizeof(lin_scratch))) == NULL)
        return OPINE_ENOMEM;
    lin_scratch *ls = out->lin_scratch;
    /* The cue evidence of trained themes becomes features; what stays as
     * rows is the lexicon themes' (if any) and, below, the windows'. */
    size_t nev = out->nev;
    opine_evidence *cues = malloc((nev ? nev : 1) * sizeof(*cues));
    if (cues == NULL)
        return OPINE_ENOMEM;
    if (nev)
        memcpy(cues, out->ev, nev * sizeof(*cues));
    out->nev = 0;
    for (size_t i = 0; i < nev; i++)
        if (opine_model_linear(m, cues[i].theme) == NULL)
            out->ev[out->nev++] = cues[i];
    opine_scores view = *out; /* the cues, for the features */
    view.ev = cues;
    view.nev = nev;
    int rc = 0, begun = 0;
    for (uint32_t t = 0; rc == 0 && t < out->nthemes; t++) {
        const opine_linear_theme *lt = opine_model_linear(m, t);
        opine_theme_score *ts = &out->themes[t];
        if (lt == NULL || ts->mentions == 0)
            continue;
        if (!begun && (rc = doc_begin(m, &view, toks, n, ls)) != 0)
            break;
        begun = 1;
        uint32_t *r;
        size_t nr;
        if ((rc = opine_score_windows(&view, t, lt->window, toks, n, &r,
                                      &nr)) != 0)
            break;
        ts->positive = ts->negative = ts->neutral = 0;
        ts->evidence = 0;
        for (size_t k = 0; rc == 0 && k < nr; k++) {
            double p[4] = {0, 0, 0, 0};
            size_t before = out->nev;
            rc = classify_window(m, lt, t, &view, toks, n, r[2 * k],
                                 r[2 * k + 1], ls, p, out);
            ts->positive += p[0];
            ts->neutral += p[1];
            ts->negative += p[2];
            for (size_t e = before; e < out->nev; e++)
                ts->evidence += out->ev[e].kind == OPINE_EVIDENCE_CUE;
        }
        free(r);
        ts->label =
            ts->positive > ts->neutral && ts->positive > ts->negative   ? 1
            : ts->negative > ts->neutral && ts->negative > ts->positive ? -1
                                                                        : 0;
    }
    free(cues);
    /* A batch keeps thousands of opine_scores alive until it is written:
     * scratch the size of a document must not stay with each of them
     * (it cost 45 MB of peak memory on ABP). */
    doc_end(ls);
    return rc;
}

void opine__score_linear_release(void *scratch)
{
    lin_scratch *ls = scratch;
    if (ls == NULL)
        return;
    doc_end(ls);
    free(ls);
}
