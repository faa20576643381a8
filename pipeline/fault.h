/* pipeline/fault.h — named fault points: stop a run at a chosen place.
 *
 * The way SQLite's crash tests stop a process at a chosen write, opine can
 * be told to kill itself (or signal itself) when it reaches a named place,
 * so that a test checks every interruption on every machine, however fast
 * or loaded, instead of hoping that a timed kill lands there:
 *
 *     OPINE_FAULT=POINT[@N][:ACTION]
 *
 * POINT is one of the names below; N (default 1) the hit that fires, when
 * the point is reached more than once (a commit per batch); ACTION is
 * `kill` (SIGKILL, the default: the process dies on the spot, as with a
 * power cut of the process), or `int`, `term` or `hup` (the signal is sent
 * to opine itself and handled as a user's Ctrl-C, kill or closed terminal
 * would be), or `stop` (SIGSTOP: every thread pauses right there, holding
 * its locks and its open transaction, until a SIGCONT lets it go on as if
 * nothing happened, or a SIGKILL ends it; for tests of what other
 * processes meet meanwhile). Before acting, opine writes "opine: fault
 * point 'POINT' hit N: ACTION" to stderr, so a test can tell that the
 * point was reached.
 *
 * The points, in the order a first `opine run` reaches them:
 *   schema     the new file's schema is written, not yet committed
 *   run        the run's row is committed ('running'), no batch yet
 *   batch      mid-batch: documents and token streams written, the batch's
 *              terms and marks not yet, inside the open transaction
 *   terms      a transaction's batches written; the frequencies they add to
 *              terms and types not yet (they go in the same transaction)
 *   commit     everything of the transaction written, COMMIT not yet (a
 *              first load's last transaction has none here: it stays open
 *              for the steps below, to finish's COMMIT)
 *   committed  just after a COMMIT, before the next batch or step
 *   boilerplate  lines recurring in an outlet counted, the documents that
 *              counted them being taken up again; not committed
 *   surfaces   every batch written (committed, but for a first load's last
 *              transaction); stems' surface forms not yet chosen
 *   near_dups  near-duplicate pairs of the new documents stored, the
 *              documents not yet marked compared; not committed
 *   similar    the similarity index brought up to date (postings of
 *              documents stemmed without them, merged generations, norms),
 *              COMMIT not yet: at the end of a stem or run stage, or in
 *              opine similar (pipeline/simindex.h)
 *   finish     all work written (a first load's last transaction not yet
 *              committed); the run not yet marked finished
 *   finished   the run marked finished and committed; the database not yet
 *              closed (a later run's file still in WAL mode, to become
 *              a rollback journal again as it closes)
 *
 * Unset, every point costs one load of a flag.
 */
#ifndef OPINE_PIPELINE_FAULT_H
#define OPINE_PIPELINE_FAULT_H

/* Reach the named point: act when OPINE_FAULT names it and this is the
 * N-th time. Safe from any thread. */
void opine__fault(const char *point);

#endif
