/* pipeline/engine_threads.c — the engine's threads and the queue between
 * them.
 *
 * With -j N (opine_engine_opts.threads):
 *   workers  phases A and C of a batch run on up to N threads at once, the
 *            calling thread among them (opine__parallel_jobs); each has a
 *            worker of its own (segmenters, compressors, counts).
 *   writer   with N >= 2, phase D runs on a thread of its own, fed by a
 *            queue of prepared batches (opine__writer_put); with N = 1 the
 *            calling thread writes each batch in turn.
 *   reader   with N >= 2, the next batch of input is read on a thread of
 *            its own while the engine processes this one (opine__read_batch,
 *            started by pass_inputs in engine.c).
 * What each phase does is in engine.c; what phase D writes in engine_sql.c.
 */
#include "pipeline/engine_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/error.h"
#include "base/mem.h"

/* ---- the worker pool (parallel for) ----------------------------------- */

typedef struct pfor {
    atomic_size_t next;
    size_t n;
    void (*fn)(engine *, worker *, job *);
    engine *e;
} pfor;

typedef struct pfor_thread {
    pfor *p;
    worker *w;
} pfor_thread;

/* Threads that only feed the pipeline (the reader, the extra workers) run
 * at a lower priority than the main and writer threads: the writer is the
 * bottleneck (on ABP it is busy 90% of a run), and with four threads on
 * two cores it used to be preempted for 1.6 s of it. Measured on ABP:
 * 6.95 s -> 6.55 s. Lowering one's own priority needs no privilege; on a
 * shared machine these threads also yield to other work. */
static void lower_priority(void)
{
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
}

static void *pfor_main(void *arg)
{
    pfor_thread *t = arg;
    if (t->w != &t->p->e->workers[0]) /* workers[0] is the calling thread */
        lower_priority();
    size_t i;
    while ((i = atomic_fetch_add(&t->p->next, 1)) < t->p->n)
        t->p->fn(t->p->e, t->w, &t->p->e->b.jobs[i]);
    return NULL;
}

/* Run fn over every job of the batch on up to o->threads threads (the
 * caller is one of them). Jobs are handed out one at a time, so a long
 * document does not hold up the others. */
void opine__parallel_jobs(engine *e, void (*fn)(engine *, worker *, job *))
{
    pfor p = {.n = e->b.njobs, .fn = fn, .e = e};
    atomic_init(&p.next, 0);
    int extra = e->o->threads - 1;
    if (extra > (int)e->b.njobs - 1)
        extra = (int)e->b.njobs - 1;
    if (extra > MAX_THREADS - 1)
        extra = MAX_THREADS - 1;
    pthread_t tid[MAX_THREADS];
    pfor_thread th[MAX_THREADS];
    int started = 0;
    for (; started < extra; started++) {
        th[started] = (pfor_thread){.p = &p, .w = &e->workers[started + 1]};
        if (pthread_create(&tid[started], NULL, pfor_main, &th[started]) != 0)
            break;
    }
    pfor_thread self = {.p = &p, .w = &e->workers[0]};
    pfor_main(&self);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}

/* ---- the writer thread ------------------------------------------------
 *
 * HOW IT WORKS: with N >= 2 one thread does phase D of every batch, in
 * order, while the main thread prepares the next ones (phases A to C need
 * no database). A prepared batch waits in a queue of one, so the writer
 * seldom waits for phase B or C and memory holds at most four batches
 * (reading, preparing, queued, writing). The writer owns the connection
 * from opine__writer_begin() to opine__writer_end(). */

static void *writer_main(void *arg)
{
    engine *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (e->nqueued == 0 && !e->qdone)
            pthread_cond_wait(&e->queued, &e->mu);
        if (e->nqueued == 0)
            break;
        batch bt = e->queue[e->qhead];
        e->qhead = (e->qhead + 1) % QUEUE;
        e->nqueued--;
        int failed = e->wrc;
        pthread_cond_signal(&e->taken);
        pthread_mutex_unlock(&e->mu);
        int rc = failed ? 0 : opine__batch_write(e, &bt, bt.last);
        atomic_store(&e->docs_written, e->counts.documents);
        opine__batch_free(&bt);
        pthread_mutex_lock(&e->mu);
        if (rc && e->wrc == 0)
            e->wrc = rc;
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

int opine__writer_begin(engine *e)
{
    if (e->o->threads < 2)
        return 0;
    if (pthread_mutex_init(&e->mu, NULL))
        return OPINE_ENOMEM;
    pthread_cond_init(&e->queued, NULL);
    pthread_cond_init(&e->taken, NULL);
    e->nqueued = e->qhead = e->qdone = e->wrc = 0;
    e->writer_running = 1;
    if (pthread_create(&e->writer, NULL, writer_main, e) != 0) {
        e->writer_running = 0;
        pthread_cond_destroy(&e->queued);
        pthread_cond_destroy(&e->taken);
        pthread_mutex_destroy(&e->mu);
    }
    return 0;
}

/* Hand the prepared batch to the writer (waiting while the queue is full),
 * or write it here with -j 1. Returns the writer's first error, if any. */
int opine__writer_put(engine *e, int last)
{
    e->b.last = last;
    if (!e->writer_running) {
        int rc = opine__batch_write(e, &e->b, last);
        atomic_store(&e->docs_written, e->counts.documents);
        opine__batch_free(&e->b);
        return rc;
    }
    pthread_mutex_lock(&e->mu);
    while (e->nqueued == QUEUE)
        pthread_cond_wait(&e->taken, &e->mu);
    e->queue[(e->qhead + e->nqueued) % QUEUE] = e->b;
    e->nqueued++;
    int rc = e->wrc;
    pthread_cond_signal(&e->queued);
    pthread_mutex_unlock(&e->mu);
    memset(&e->b, 0, sizeof(e->b));
    return rc;
}

/* The writer's first error so far (0 while all is well). */
int opine__writer_error(engine *e)
{
    if (!e->writer_running)
        return 0;
    pthread_mutex_lock(&e->mu);
    int rc = e->wrc;
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* Let the writer finish what is queued and stop; the connection is the
 * caller's again. */
int opine__writer_end(engine *e)
{
    if (!e->writer_running)
        return 0;
    pthread_mutex_lock(&e->mu);
    e->qdone = 1;
    pthread_cond_signal(&e->queued);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->writer, NULL);
    e->writer_running = 0;
    pthread_cond_destroy(&e->queued);
    pthread_cond_destroy(&e->taken);
    pthread_mutex_destroy(&e->mu);
    return e->wrc;
}

/* ---- the reader thread ------------------------------------------------ */

/* Fill b from its reader (on the reader thread, or the caller's). */
void *opine__read_batch(void *arg)
{
    inbatch *b = arg;
    if (b->own_thread)
        lower_priority();
    double t0 = opine__engine_now();
    size_t bytes = 0;
    while (b->ndocs < b->max_docs && bytes < b->max_bytes) {
        if (opine__grow((void **)&b->docs, &b->cap, b->ndocs + 1,
                        sizeof(opine_doc))) {
            b->err = OPINE_ENOMEM;
            break;
        }
        opine_doc *d = &b->docs[b->ndocs];
        memset(d, 0, sizeof(*d)); /* its last contents moved to a job */
        int got = opine_reader_next(b->r, d);
        if (got == 0) {
            b->done = 1;
            break;
        }
        b->records++;
        if (got > 0) {
            bytes += d->text_len;
            b->ndocs++;
            continue;
        }
        if (got == OPINE_ENOMEM ||
            opine__grow((void **)&b->rejects, &b->cap_rejects, b->nrejects + 1,
                        sizeof(reject))) {
            b->err = OPINE_ENOMEM;
            break;
        }
        reject *x = &b->rejects[b->nrejects++];
        const char *src = opine_reader_error_source(b->r);
        x->source = strdup(src ? src : "");
        x->position = opine_reader_error_position(b->r);
        x->message = strdup(opine_reader_error(b->r));
        if (x->source == NULL || x->message == NULL) {
            b->err = OPINE_ENOMEM;
            break;
        }
    }
    opine_reader_get_counts(b->r, &b->rcounts);
    b->bytes = bytes;
    b->seconds = opine__engine_now() - t0;
    return NULL;
}

/* Move a read batch into the engine's jobs and rejects. */
int opine__take_batch(engine *e, inbatch *b)
{
    if (opine__grow((void **)&e->b.jobs, &e->b.cap_jobs, b->ndocs,
                    sizeof(job)) ||
        opine__grow((void **)&e->b.rejects, &e->b.cap_rejects, b->nrejects,
                    sizeof(reject)))
        return OPINE_ENOMEM;
    for (size_t i = 0; i < b->ndocs; i++) {
        memset(&e->b.jobs[i], 0, sizeof(job));
        e->b.jobs[i].doc = b->docs[i];
    }
    e->b.njobs = b->ndocs;
    if (b->nrejects)
        memcpy(e->b.rejects, b->rejects, b->nrejects * sizeof(reject));
    e->b.nrejects = b->nrejects;
    e->b.records = b->records; /* counted by phase D */
    e->b.ending = b->ending;
    e->b.rcounts = b->rcounts;
    for (size_t i = 0; e->o->on_reject && i < b->nrejects; i++)
        e->o->on_reject(e->o->ctx, b->rejects[i].message);
    e->t_read += b->seconds;
    b->ndocs = b->nrejects = 0;
    b->records = 0;
    return 0;
}

void opine__inbatch_release(inbatch *b)
{
    for (size_t i = 0; i < b->ndocs; i++)
        opine_doc_release(&b->docs[i]);
    for (size_t i = 0; i < b->nrejects; i++) {
        free(b->rejects[i].source);
        free(b->rejects[i].message);
    }
    free(b->docs);
    free(b->rejects);
}
