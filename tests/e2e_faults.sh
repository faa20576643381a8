# tests/e2e_faults.sh — opine stopped at every named fault point
# (pipeline/fault.h), on every run and every machine: what it leaves is a
# sound database that `opine status` and `opine sql` describe plainly, and
# a rerun gives what an uninterrupted run gives. The timed kills of
# e2e_kill land wherever the machine's speed puts them; these land where
# they are told to, so every case is checked every time. (e2e_iofault
# kills runs in place of every second write, mid-COMMIT included.)
. "$(dirname "$0")/lib.sh"
bash "$(dirname "$0")/gen_corpus.sh" 800 11 | gzip -1 >"$WORK/corpus.jsonl.gz"
run_opine 0 run "$WORK/ref.db" "$WORK/corpus.jsonl.gz" -q
total=$(q "$WORK/ref.db" "SELECT count(*) FROM documents")
# --commit-every 0.25: 256 KiB batches and commits, four in this corpus
# (0.82 MiB of text with mawk; 3,000 documents and 1 MiB batches, the
# same shape, took 80 s of make test's release pass and 164 s of ASan's).

# fault_run SPEC DB [COMMAND [OPTION...]]: opine COMMAND (default run) on
# the corpus must die at the fault point SPEC, and say that it reached it.
fault_run() {
    local spec=$1 db=$2 cmd=${3:-run} rc=0 input=()
    shift $(($# < 3 ? $# : 3))
    case $cmd in run | ingest) input=("$WORK/corpus.jsonl.gz") ;; esac
    OPINE_FAULT=$spec "$OPINE" "$cmd" "$db" "${input[@]}" --commit-every 0.25 \
        -q "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    expect_eq "$cmd killed at $spec: exit status of SIGKILL" 137 "$rc"
    grep -q "fault point '${spec%%[@:]*}'" "$WORK/err" ||
        fail "$cmd killed at $spec: the point was not reached: $(cat "$WORK/err")"
}

# No SQLite message ever reaches the user: they are internal.
no_sqlite_error() {
    if grep -Eiq "sqlite|no such table|readonly database|SQL logic" \
        "$WORK/err"; then
        fail "$1: $(cat "$WORK/err")"
    fi
}

# after_stop SPEC DB DOCS: status and sql answer plainly on what the stop
# left, the file is sound and exact, and DOCS documents were committed
# (0: none, "some": more than 0 and fewer than all, "all").
after_stop() {
    local spec=$1 db=$2 want=$3 rc=0
    "$OPINE" status "$db" >"$WORK/out" 2>"$WORK/err" || rc=$?
    expect_eq "$spec: opine status exits 0" 0 "$rc"
    no_sqlite_error "$spec: opine status"
    rc=0
    "$OPINE" sql "$db" --tsv "SELECT count(*) FROM documents" \
        >"$WORK/sqlout" 2>"$WORK/err" || rc=$?
    no_sqlite_error "$spec: opine sql"
    if [ "$want" = empty ]; then
        grep -q "no run has committed anything" "$WORK/out" ||
            fail "$spec: status does not say nothing was committed: $(cat "$WORK/out")"
        ok "$spec: status says no run has committed anything yet"
        expect_eq "$spec: opine sql explains instead of answering" 2 "$rc"
        grep -q "rerun the same command" "$WORK/err" ||
            fail "$spec: sql does not say what to do: $(cat "$WORK/err")"
        ok "$spec: sql says to rerun the command"
        expect_eq "$spec: the file has no tables" 0 \
            "$(q "$db" "SELECT count(*) FROM sqlite_schema")"
        return
    fi
    grep -q "interrupted" "$WORK/out" ||
        fail "$spec: status does not show the run interrupted: $(cat "$WORK/out")"
    ok "$spec: status shows the killed run as interrupted"
    expect_eq "$spec: opine sql answers" 0 "$rc"
    local have
    have=$(tail -n 1 "$WORK/sqlout")
    case $want in
    0) expect_eq "$spec: nothing was committed" 0 "$have" ;;
    all) expect_eq "$spec: every document was committed" "$total" "$have" ;;
    some)
        [ "$have" -gt 0 ] && [ "$have" -lt "$total" ] ||
            fail "$spec: expected some of $total documents, got $have"
        ok "$spec: $have of $total documents committed"
        ;;
    esac
    expect_eq "$spec: integrity" ok "$(q "$db" "PRAGMA integrity_check")"
    check_exact "$db"
}

# rerun_same DB NAME [CORPUS REF]: rerunning the plain command on the
# corpus (default: the one above) finishes the work with the uninterrupted
# run's result (REF, default ref.db).
rerun_same() {
    local corpus=${3:-$WORK/corpus.jsonl.gz} ref=${4:-$WORK/ref.db}
    run_opine 0 run "$1" "$corpus" -q
    expect_eq "$2: every document once after the rerun" \
        "$(q "$ref" "SELECT count(*) FROM documents")" \
        "$(q "$1" "SELECT count(*) FROM documents")"
    check_exact "$1"
    same_stats "$ref" "$1" "$2: rerun = uninterrupted"
    expect_eq "$2: same surface forms" 0 "$(q "$ref" "ATTACH '$1' AS k;
        SELECT count(*) FROM (SELECT stem, surface FROM stems
                              EXCEPT SELECT stem, surface FROM k.stems)")"
    expect_eq "$2: same scores" 0 "$(q "$ref" "ATTACH '$1' AS k;
        SELECT count(*) FROM (
          SELECT hex(d.hash), t.theme, s.stance FROM doc_scores s
            JOIN documents d ON d.id = s.doc JOIN themes t ON t.id = s.theme
          EXCEPT SELECT hex(d.hash), t.theme, s.stance FROM k.doc_scores s
            JOIN k.documents d ON d.id = s.doc
            JOIN k.themes t ON t.id = s.theme)")"
}

# Every point of a first run, each on a new database. The points before
# the first COMMIT leave nothing committed. A first load keeps its last
# transaction open for the steps after its input (surfaces to finish,
# pipeline/engine.c opine_stage_run), so a kill there loses that
# transaction's documents and leaves the others: some.
for case in "schema empty" "run 0" "batch 0" "batch@3 some" "terms 0" \
    "terms@2 some" "commit 0" "commit@3 some" "committed some" \
    "committed@2 some" "surfaces some" "near_dups some" "similar some" \
    "finish some"; do
    set -- $case
    db="$WORK/f-${1/@/-}.db"
    fault_run "$1" "$db"
    [ "$1" = committed ] && cp "$db" "$WORK/first-load.db"
    after_stop "$1" "$db" "$2"
    rerun_same "$db" "$1"
    if [ "$2" != empty ]; then
        expect_eq "$1: the stopped run is marked interrupted" interrupted \
            "$(q "$db" "SELECT status FROM runs WHERE id = 1")"
    fi
done

# A misspelt setting stops nothing: opine says so, listing the points
# fault.h documents and every action, and runs on.
points=$(sed -n '/The points, in the order/,/Unset,/p' "$OPINE_SRC/pipeline/fault.h" |
    sed -n 's/^ \*   \([a-z][a-z_]*\)  .*/\1/p' | paste -sd, | sed 's/,/, /g')
bash "$(dirname "$0")/gen_corpus.sh" 30 12 >"$WORK/small.jsonl"
for spec in comit commit@0 commit:pause; do
    rc=0
    OPINE_FAULT=$spec "$OPINE" run "$WORK/typo.db" "$WORK/small.jsonl" -q \
        2>"$WORK/err" || rc=$?
    expect_eq "OPINE_FAULT=$spec: ignored, the run finishes" 0 "$rc"
    expect_eq "OPINE_FAULT=$spec: the message lists fault.h's points and the actions" \
        "opine: ignoring OPINE_FAULT='$spec': expected POINT[@N][:kill|int|term|hup|stop], POINT one of $points" \
        "$(cat "$WORK/err")"
done
# Killed after the run's end was committed, before the file closed: the
# run is finished and its file, in rollback-journal mode (the first load's),
# sound and complete; a rerun finds nothing to do, writing in WAL and
# closing the file back to a rollback journal.
db="$WORK/f-finished.db"
fault_run finished "$db"
expect_eq "finished: the run is marked ok" ok \
    "$(q "$db" "SELECT status FROM runs WHERE id = 1")"
expect_eq "finished: integrity" ok "$(q "$db" "PRAGMA integrity_check")"
expect_eq "finished: still in rollback-journal mode" delete \
    "$(q "$db" "PRAGMA journal_mode")"
same_results "$WORK/ref.db" "$db" "finished: as the uninterrupted run"
rerun_same "$db" finished
same_results "$WORK/ref.db" "$db" "finished, then a rerun"
expect_eq "finished: a rollback journal after the rerun" delete \
    "$(q "$db" "PRAGMA journal_mode")"

# A first load that fits one transaction (the default 256 MiB of text
# holds these 30 documents) keeps it open for the steps after its input:
# it passes no 'commit' point, and killed at 'finish' it leaves none of its
# documents; a rerun adds them all. A run that adds to a database (WAL)
# commits its input before those steps: killed at 'finish', it keeps
# every document. (The lexicon model: it loads in a fraction of the
# default's time, and the transactions are the same.)
V1=(--model us-rok-alliance@1)
held_run() { # held_run SPEC DB INPUT: opine run with OPINE_FAULT=SPEC
    rc=0
    OPINE_FAULT=$1 "$OPINE" run "$2" "$3" -q "${V1[@]}" >/dev/null \
        2>"$WORK/err" || rc=$?
}
run_opine 0 run "$WORK/small-ref.db" "$WORK/small.jsonl" -q "${V1[@]}"
held_run commit "$WORK/held.db" "$WORK/small.jsonl"
expect_eq "one transaction: no commit point before the end" 0 "$rc"
same_results "$WORK/small-ref.db" "$WORK/held.db" "one transaction: as the uninterrupted run"
held_run finish "$WORK/held-finish.db" "$WORK/small.jsonl"
expect_eq "one transaction killed at finish: exit status of SIGKILL" 137 "$rc"
after_stop "one transaction, finish" "$WORK/held-finish.db" 0
run_opine 0 run "$WORK/held-finish.db" "$WORK/small.jsonl" -q "${V1[@]}"
same_results "$WORK/small-ref.db" "$WORK/held-finish.db" \
    "one transaction killed at finish, rerun: as the uninterrupted run"
bash "$(dirname "$0")/gen_corpus.sh" 30 14 >"$WORK/small2.jsonl"
cp "$WORK/small-ref.db" "$WORK/more-ref.db"
run_opine 0 run "$WORK/more-ref.db" "$WORK/small2.jsonl" -q "${V1[@]}"
cp "$WORK/small-ref.db" "$WORK/more.db"
held_run finish "$WORK/more.db" "$WORK/small2.jsonl"
expect_eq "added to a database, killed at finish: exit status of SIGKILL" 137 "$rc"
expect_eq "added to a database, killed at finish: every document kept" \
    "$(q "$WORK/more-ref.db" "SELECT count(*) FROM documents")" \
    "$(q "$WORK/more.db" "SELECT count(*) FROM documents")"
check_exact "$WORK/more.db"

# Several stops on one database, each in a run that resumes the last:
# later points are reached in runs that have work to take up.
db="$WORK/chain.db"
fault_run committed "$db"
fault_run batch@2 "$db"
fault_run terms@1 "$db"
after_stop "three stops" "$db" some
rerun_same "$db" "three stops, then a rerun"

# The stages one at a time, each stopped: ingest, tokenize, stem and score
# each leave a sound database, and a run finishes them.
db="$WORK/stages.db"
fault_run committed "$db" ingest
run_opine 0 ingest "$db" "$WORK/corpus.jsonl.gz" -q
fault_run batch@2 "$db" tokenize
run_opine 0 tokenize "$db" -q
fault_run commit@2 "$db" stem
run_opine 0 stem "$db" -q
fault_run committed@1 "$db" score
expect_eq "stages: integrity" ok "$(q "$db" "PRAGMA integrity_check")"
check_exact "$db"
rerun_same "$db" "stages stopped one by one"

# opine score applying a new model version (the lexicon v1, after a run
# with the default v2) to a database with op-eds the models find sides
# in, stopped at each point it passes: a rerun of the command ends with
# what one uninterrupted score leaves, every result table row for row.
gzip -dc "$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz" >"$WORK/opeds.jsonl"
cp "$WORK/ref.db" "$WORK/score-base.db"
run_opine 0 run "$WORK/score-base.db" "$WORK/opeds.jsonl" -q
cp "$WORK/score-base.db" "$WORK/rescored.db"
run_opine 0 score "$WORK/rescored.db" -q --model us-rok-alliance@1
expect_eq "rescored: v1's stances beside v2's" 1 "$(q "$WORK/rescored.db" \
    "SELECT count(DISTINCT version) = 2 FROM v_stance WHERE stance IS NOT NULL")"
# (Two batches of token streams, committed after each.)
for spec in run batch batch@2 terms commit@2 committed finish finished; do
    db="$WORK/s-${spec/@/-}.db"
    cp "$WORK/score-base.db" "$db"
    fault_run "$spec" "$db" score --model us-rok-alliance@1
    expect_eq "score stopped at $spec: integrity" ok \
        "$(q "$db" "PRAGMA integrity_check")"
    check_exact "$db"
    run_opine 0 score "$db" -q --model us-rok-alliance@1
    same_results "$WORK/rescored.db" "$db" "score stopped at $spec, rerun"
done

# A closed terminal (SIGHUP), Ctrl-C (SIGINT) and kill (SIGTERM) at a
# chosen point: the run stops after the batches in flight, keeps what they
# wrote, says so, exits 2, and a rerun finishes with the same result. At
# the first commit the next batches can be in flight (queued, being
# prepared, being read), so the input must hold more than those, or
# whether any is left to stop before depends on the corpus (the one above
# has three or four batches of text, with gawk or mawk making it): five
# here (1.05 MiB of text with mawk, in 256 KiB batches). The rerun is
# checked once:
# what it resumes does not depend on the signal.
bash "$(dirname "$0")/gen_corpus.sh" 1100 13 | gzip -1 >"$WORK/sig.jsonl.gz"
run_opine 0 run "$WORK/sig-ref.db" "$WORK/sig.jsonl.gz" -q
for sig in hup int term; do
    db="$WORK/sig-$sig.db"
    rc=0
    OPINE_FAULT=committed@1:$sig "$OPINE" run "$db" --commit-every 0.25 \
        "$WORK/sig.jsonl.gz" -q 2>"$WORK/err" || rc=$?
    grep -q "fault point 'committed' hit 1: $sig" "$WORK/err" ||
        fail "$sig: the point was not reached: $(cat "$WORK/err")"
    expect_eq "$sig: exit status" 2 "$rc"
    grep -q "run interrupted; run it again to continue" "$WORK/err" ||
        fail "$sig: no message: $(cat "$WORK/err")"
    ok "$sig: says the run was interrupted and what to do"
    expect_eq "$sig: the run is marked" interrupted \
        "$(q "$db" "SELECT status FROM runs")"
    expect_eq "$sig: integrity" ok "$(q "$db" "PRAGMA integrity_check")"
    [ ! -s "$db-journal" ] || fail "$sig: a hot journal was left behind"
    ok "$sig: no hot journal left"
    check_exact "$db"
    [ "$sig" != hup ] ||
        rerun_same "$db" "$sig" "$WORK/sig.jsonl.gz" "$WORK/sig-ref.db"
done

# A first load keeps a rollback journal. Killed in a transaction that
# outgrew the page cache (ABP's do), it leaves a hot journal: a journal
# that SQLite must play back before anyone reads, which a read-only
# connection may not do. Made here from the first load stopped after its
# first commit (saved above): a transaction with a tiny cache, killed.
make_hot() { # make_hot DB
    cp "$WORK/first-load.db" "$1"
    local rc=0
    sqlite3 "$1" "PRAGMA cache_size = 4;" "BEGIN IMMEDIATE;" \
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
         WHERE i < 3000) INSERT INTO meta SELECT 'k' || i, randomblob(2000)
         FROM n;" '.shell kill -9 $PPID' 2>/dev/null || rc=$?
    [ "$rc" = 137 ] && [ -s "$1-journal" ] ||
        fail "could not make a hot journal (exit $rc)"
}
committed=$(q "$WORK/first-load.db" "SELECT count(*) FROM documents")
make_hot "$WORK/hot.db"
rc=0
sqlite3 -readonly "$WORK/hot.db" "SELECT count(*) FROM meta" 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "hot journal: a plain read-only client could read it"
ok "hot journal: a plain read-only client cannot read it"
cp "$WORK/hot.db" "$WORK/hot.bak"
cp "$WORK/hot.db-journal" "$WORK/hot.bak-journal"
run_opine 0 status "$WORK/hot.db"
no_sqlite_error "hot journal: status"
[ ! -s "$WORK/hot.db-journal" ] || fail "hot journal: not rolled back"
ok "hot journal: status rolled it back and answered"
expect_eq "hot journal: the killed transaction is gone" 0 \
    "$(q "$WORK/hot.db" "SELECT count(*) FROM meta WHERE key LIKE 'k%'")"
make_hot "$WORK/hot2.db"
run_opine 0 sql "$WORK/hot2.db" "SELECT count(*) FROM documents"
no_sqlite_error "hot journal: sql"
expect_eq "hot journal: sql answers with what was committed" "$committed" \
    "$(tail -n 1 "$WORK/out")"
expect_eq "hot journal: integrity" ok "$(q "$WORK/hot2.db" "PRAGMA integrity_check")"

# Where the journal cannot be rolled back (the folder is read-only), the
# read-only commands say what happened and what to run. Needs a mount of
# its own (root, in a private mount namespace that goes when it ends).
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
    mkdir "$WORK/ro"
    unshare -m --propagation private bash -euc '
        mount -t tmpfs -o size=64m tmpfs "$1/ro"
        cp "$1/hot.bak" "$1/ro/h.db"; cp "$1/hot.bak-journal" "$1/ro/h.db-journal"
        mount -o remount,ro "$1/ro"
        rc=0; "$2" status "$1/ro/h.db" >"$1/ro-status.out" 2>"$1/ro-status.err" || rc=$?
        echo "$rc" >"$1/ro-status.rc"
        rc=0; "$2" sql "$1/ro/h.db" "SELECT 1" >/dev/null 2>"$1/ro-sql.err" || rc=$?
        echo "$rc" >"$1/ro-sql.rc"
        mount -o remount,rw "$1/ro"
        rc=0; "$2" status "$1/ro/h.db" >"$1/rw-status.out" 2>&1 || rc=$?
        echo "$rc" >"$1/rw-status.rc"
    ' _ "$WORK" "$OPINE" 2>"$WORK/unshare.err" ||
        {
            cat "$WORK/unshare.err" >&2
            fail "read-only folder: the namespace script failed"
        }
    expect_eq "read-only folder: status fails" 2 "$(cat "$WORK/ro-status.rc")"
    expect_eq "read-only folder: sql fails" 2 "$(cat "$WORK/ro-sql.rc")"
    for f in ro-status.err ro-sql.err; do
        grep -q "left mid-write by a run that stopped" "$WORK/$f" &&
            grep -q "Nothing committed is lost; rerun the command" "$WORK/$f" ||
            fail "read-only folder: $f does not explain: $(cat "$WORK/$f")"
        ok "read-only folder: $f says what happened and what to run"
    done
    expect_eq "read-only folder made writable: status answers" 0 \
        "$(cat "$WORK/rw-status.rc")"
else
    echo "# skipped the read-only folder case: needs root and unshare -m"
fi
done_testing
