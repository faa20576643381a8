# tests/e2e_concurrency.sh — two opine processes and one database. One
# writes at a time (pipeline/lock.h): a second writer refuses at once,
# exit 2, naming the first (command, pid, start), or with --wait queues
# behind it and the two end with the union of their inputs, as one run
# over both gives; a killed writer leaves no lock; readers (opine status,
# opine sql, sqlite3, Python) answer while a writer is paused in its open
# transaction, in both journal modes opine writes with (a rollback journal
# while it creates the file, WAL after), and opine's readers wait for a
# locked file instead of failing. No SQLite message ever reaches the user.
#
# Nothing here is timed: the first writer is paused at a fault point
# (OPINE_FAULT=batch@1:stop: SIGSTOP in its open transaction) and let go
# with SIGCONT once the test has seen what it waits for (the process
# stopped, a notice written); the only sleeps are the naps of those polls.
. "$(dirname "$0")/lib.sh"

PIDS=""
trap 'for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

# Two disjoint inputs: made-up text, and op-eds the model finds sides in.
bash "$(dirname "$0")/gen_corpus.sh" 300 31 >"$WORK/a.jsonl"
cat "$OPINE_TESTDATA/batch1.jsonl" >>"$WORK/a.jsonl"
bash "$(dirname "$0")/gen_corpus.sh" 300 32 | sed 's/"id": "g/"id": "h/' \
    >"$WORK/b.jsonl"
gzip -dc "$OPINE_SRC/corpus/samples/oped-samples.jsonl.gz" >>"$WORK/b.jsonl"
na=$(wc -l <"$WORK/a.jsonl")
nb=$(wc -l <"$WORK/b.jsonl")
run_opine 0 run "$WORK/ref.db" "$WORK/a.jsonl" "$WORK/b.jsonl" -q
expect_eq "the reference holds both inputs, no copies" "$((na + nb)) 0" \
    "$(q "$WORK/ref.db" "SELECT (SELECT count(*) FROM documents) || ' ' ||
                               (SELECT count(*) FROM duplicates)")"
expect_eq "the reference has stances and evidence to compare" "1 1" \
    "$(q "$WORK/ref.db" "SELECT (SELECT count(*) > 0 FROM doc_scores
                                  WHERE stance IS NOT NULL) || ' ' ||
                               (SELECT count(*) > 0 FROM evidence)")"
printf '%s\n' \
    '{"text": "The alliance with Seoul keeps the peace.", "theme": "alliance", "label": 1}' \
    '{"text": "Bring the troops home from Korea now.", "theme": "alliance", "label": -1}' \
    >"$WORK/labels.jsonl"

# wait_text FILE TEXT PID WHAT: until FILE (a process's stderr) holds TEXT;
# fails if the process ends first.
wait_text() {
    local n=0
    until grep -qF -- "$2" "$1" 2>/dev/null; do
        kill -0 "$3" 2>/dev/null ||
            fail "$4: ended without saying '$2': $(cat "$1")"
        n=$((n + 1))
        [ "$n" -lt 6000 ] || fail "$4: did not say '$2' in 5 minutes"
        sleep 0.05
    done
}

# Internal errors are for developers: none reaches the user.
no_internal_error() {
    if grep -Eiq "UNIQUE constraint|database error|database is locked|sqlite|SQL logic" "$1"; then
        fail "$2: $(cat "$1")"
    fi
}

# paused_writer DB INPUT: start 'opine run DB INPUT' stopped in its first
# batch's open transaction; sets $w to its pid.
paused_writer() {
    OPINE_FAULT=batch@1:stop "$OPINE" run "$1" "$2" -q 2>"$WORK/w.err" &
    w=$!
    PIDS="$PIDS $w"
    wait_stopped "$w" "writer paused at batch@1"
    grep -q "fault point 'batch' hit 1: stop" "$WORK/w.err" ||
        fail "the writer was not stopped at its fault point: $(cat "$WORK/w.err")"
}

# readers_answer DB WHAT DOCS: while a writer is paused in its open
# transaction, every reader answers at once with what was committed.
readers_answer() {
    local db=$1 what=$2 docs=$3 rc
    run_opine 0 status "$db"
    no_internal_error "$WORK/err" "$what: opine status"
    grep -Eq "^[0-9]+ +run +running " "$WORK/out" ||
        fail "$what: status does not show the run running: $(cat "$WORK/out")"
    ok "$what: opine status answers, the run shown running"
    run_opine 0 sql "$db" --tsv "SELECT count(*) FROM documents"
    no_internal_error "$WORK/err" "$what: opine sql"
    expect_eq "$what: opine sql answers with what was committed" "$docs" \
        "$(tail -n 1 "$WORK/out")"
    # plain clients, no busy timeout
    expect_eq "$what: sqlite3 answers" "$docs" \
        "$(sqlite3 -batch -noheader "$db" "SELECT count(*) FROM documents")"
    expect_eq "$what: sqlite3 -readonly answers" "$docs" \
        "$(sqlite3 -batch -noheader -readonly "$db" "SELECT count(*) FROM documents")"
    rc=0
    python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=0)
print(c.execute("SELECT count(*) FROM documents").fetchone()[0])' "$db" \
        >"$WORK/py.out" 2>&1 || rc=$?
    expect_eq "$what: Python's sqlite3 answers" "0 $docs" "$rc $(cat "$WORK/py.out")"
}

# refuses WHAT PID DB COMMAND...: a second writer exits 2 at once, saying
# that another opine process writes, which (its pid) and how to queue.
refuses() {
    local what=$1 pid=$2 db=$3 rc=0
    shift 3
    "$OPINE" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    expect_eq "$what: exit status" 2 "$rc"
    grep -qF "opine: another opine process is writing to '$db': 'opine run', pid $pid, since " "$WORK/err" ||
        fail "$what: the message does not name the writer: $(cat "$WORK/err")"
    grep -qF -- "rerun when it has finished, or with --wait SECONDS" "$WORK/err" ||
        fail "$what: the message does not say what to do: $(cat "$WORK/err")"
    no_internal_error "$WORK/err" "$what"
    ok "$what: says another opine process writes, names it and how to queue"
}

# same_union DB WHAT: DB holds what the single run over both inputs holds:
# documents (hash, ext_id, bytes), terms and doc_terms by stems' text, stems
# and their surfaces, types, scores and evidence; exact and sound. Each
# query is given as NAME|SQL, %s standing for the schema.
union_queries=(
    "documents|SELECT hex(hash), ext_id, bytes, outlet, published FROM %s.documents"
    "stems and surfaces|SELECT stem, lang, surface FROM %s.stems"
    "types|SELECT t.type, t.lang, t.stopword, t.cf, s.stem FROM %s.types t
       LEFT JOIN %s.stems s ON s.id = t.stem"
    "doc_scores|SELECT hex(d.hash), m.name, m.version, t.theme, s.mentions,
       s.salience, s.positive, s.negative, s.evidence, s.stance, s.lo, s.hi
       FROM %s.doc_scores s JOIN %s.documents d ON d.id = s.doc
       JOIN %s.themes t ON t.id = s.theme JOIN %s.models m ON m.id = t.model"
    "evidence|SELECT hex(d.hash), t.theme, e.sentence, e.span_start, e.cue,
       e.polarity, e.weight FROM %s.evidence e
       JOIN %s.documents d ON d.id = e.doc JOIN %s.themes t ON t.id = e.theme"
)
same_union() {
    local db=$1 what=$2 n e name sql m o
    same_stats "$WORK/ref.db" "$db" "$what"
    for e in "${union_queries[@]}"; do
        name=${e%%|*}
        sql=${e#*|}
        m=${sql//%s/main}
        o=${sql//%s/other}
        n=$(q "$WORK/ref.db" "ATTACH '$db' AS other;
            SELECT (SELECT count(*) FROM ($m EXCEPT $o))
                 + (SELECT count(*) FROM ($o EXCEPT $m))
                 + abs((SELECT count(*) FROM ($m)) - (SELECT count(*) FROM ($o)))")
        expect_eq "$what: $name as in one run over both" 0 "$n"
    done
    expect_eq "$what: integrity" ok "$(q "$db" "PRAGMA integrity_check")"
    check_exact "$db"
}

# 1. A first load (rollback journal) paused in its open transaction.
db=$WORK/u.db
paused_writer "$db" "$WORK/a.jsonl"
[ -e "$db-journal" ] || fail "the first load does not write with a rollback journal"
ok "first load: written with a rollback journal"
expect_eq "first load: the lock file names it" "$w opine run" \
    "$(awk '{print $1, $3, $4}' "$db-opine.lock")"
readers_answer "$db" "paused first load" 0

# Every command that writes refuses, and writes nothing.
refuses "run" "$w" "$db" run "$db" "$WORK/b.jsonl" -q
refuses "ingest" "$w" "$db" ingest "$db" "$WORK/b.jsonl"
refuses "tokenize" "$w" "$db" tokenize "$db"
refuses "stem" "$w" "$db" stem "$db"
refuses "score" "$w" "$db" score "$db"
refuses "stance" "$w" "$db" stance "$db" --by outlet --theme alliance
refuses "scale" "$w" "$db" scale "$db" --method wordfish
refuses "sql --write" "$w" "$db" sql "$db" --write "DELETE FROM meta WHERE 0"
refuses "eval" "$w" "$db" eval "$db" --labels "$WORK/labels.jsonl"
grep -q "cannot store the evaluation in '$db' (the figures above are not stored)" "$WORK/err" ||
    fail "eval: does not say its figures were not stored: $(cat "$WORK/err")"
ok "eval: says its figures were not stored"
refuses "--wait 0" "$w" "$db" run "$db" "$WORK/b.jsonl" --wait 0 -q

# --wait N runs out: exit 2, saying it waited.
rc=0
"$OPINE" run "$db" "$WORK/b.jsonl" --wait 0.2 -q 2>"$WORK/err" || rc=$?
expect_eq "--wait 0.2 runs out: exit status" 2 "$rc"
grep -qF "another opine process is still writing to '$db' after 0.2 s of waiting: 'opine run', pid $w" "$WORK/err" ||
    fail "--wait 0.2: $(cat "$WORK/err")"
ok "--wait 0.2 runs out: says it waited, and for whom"
no_internal_error "$WORK/err" "--wait 0.2"

# A second run with --wait waits for the first, says so, and goes on when
# the first is let go: both end 0, with the union.
"$OPINE" run "$db" "$WORK/b.jsonl" --wait 600 >"$WORK/b.out" 2>"$WORK/b.err" &
b=$!
PIDS="$PIDS $b"
wait_text "$WORK/b.err" "waiting up to 600 s for it to finish" "$b" "--wait 600"
grep -qF "opine: another opine process is writing to '$db': 'opine run', pid $w, since " "$WORK/b.err" ||
    fail "--wait 600: the notice does not name the writer: $(cat "$WORK/b.err")"
ok "--wait 600: waits, saying for whom"
kill -CONT "$w"
rc=0
wait "$w" || rc=$?
expect_eq "the first run, let go, ends" 0 "$rc"
rc=0
wait "$b" || rc=$?
expect_eq "the waiting run ends" 0 "$rc"
no_internal_error "$WORK/b.err" "--wait 600"
no_internal_error "$WORK/w.err" "the first run"
expect_eq "two runs, both ok, in turn" "run ok $na|run ok $nb" \
    "$(q "$db" "SELECT group_concat(stage || ' ' || status || ' ' || documents, '|')
                FROM (SELECT * FROM runs ORDER BY id)")"
expect_eq "the lock file is empty once both are done" 0 "$(wc -c <"$db-opine.lock")"
same_union "$db" "queued behind a first load"

# 2. A run paused in a WAL file: readers answer; killed, it leaves no
# lock, and the next writer goes on at once.
db=$WORK/k.db
run_opine 0 run "$db" "$WORK/a.jsonl" -q
paused_writer "$db" "$WORK/b.jsonl"
expect_eq "WAL: the journal mode" wal "$(q "$db" "PRAGMA journal_mode")"
readers_answer "$db" "paused WAL run" "$na"
refuses "WAL: run" "$w" "$db" run "$db" "$WORK/b.jsonl" -q
kill -KILL "$w"
rc=0
wait "$w" || rc=$?
expect_eq "WAL: the paused run, killed" 137 "$rc"
expect_eq "WAL: the killed run's line is left" "$w" "$(cut -d' ' -f1 "$db-opine.lock")"
run_opine 0 run "$db" "$WORK/b.jsonl" -q
no_internal_error "$WORK/err" "WAL: after a kill"
ok "WAL: the next writer goes on at once after a kill (no --wait)"
expect_eq "WAL: the killed run is marked" "ok interrupted ok" \
    "$(q "$db" "SELECT group_concat(status, ' ') FROM (SELECT status FROM runs ORDER BY id)")"
same_union "$db" "a killed WAL run, then a rerun"

# 3. A first load killed in its open transaction: no lock left either.
db=$WORK/f.db
paused_writer "$db" "$WORK/a.jsonl"
kill -KILL "$w"
rc=0
wait "$w" || rc=$?
expect_eq "first load: killed" 137 "$rc"
run_opine 0 run "$db" "$WORK/a.jsonl" "$WORK/b.jsonl" -q
no_internal_error "$WORK/err" "first load: after a kill"
ok "first load: the next writer goes on at once after a kill"
same_union "$db" "a killed first load, then a rerun"

# 4. Two runs started together on the two inputs, both with --wait: one
# goes first (either), the other after it; the union is the same.
db=$WORK/t.db
"$OPINE" run "$db" "$WORK/a.jsonl" --wait 600 -q 2>"$WORK/t1.err" &
t1=$!
"$OPINE" run "$db" "$WORK/b.jsonl" --wait 600 -q 2>"$WORK/t2.err" &
t2=$!
PIDS="$PIDS $t1 $t2"
rc1=0 rc2=0
wait "$t1" || rc1=$?
wait "$t2" || rc2=$?
expect_eq "started together: both end" "0 0" "$rc1 $rc2"
no_internal_error "$WORK/t1.err" "started together: first"
no_internal_error "$WORK/t2.err" "started together: second"
expect_eq "started together: two runs, both ok" "ok ok" \
    "$(q "$db" "SELECT group_concat(status, ' ') FROM runs")"
same_union "$db" "started together"

# 5. A file locked against readers: another program holds an EXCLUSIVE
# lock on a rollback-journal copy (as a first load does while it commits),
# paused. A plain client fails at once; opine status and opine sql wait,
# say so after a second, and answer once the holder commits.
db=$WORK/x.db
cp "$WORK/ref.db" "$db"
expect_eq "the copy in a rollback journal" delete \
    "$(q "$db" "PRAGMA journal_mode = DELETE")"
sqlite3 "$db" "BEGIN EXCLUSIVE;" "INSERT INTO meta VALUES('held', 'yes');" \
    '.shell kill -STOP $PPID' "COMMIT;" 2>"$WORK/h.err" &
h=$!
PIDS="$PIDS $h"
wait_stopped "$h" "sqlite3 holding an EXCLUSIVE lock"
rc=0
sqlite3 -batch -init /dev/null "$db" "SELECT count(*) FROM documents" \
    >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" != 0 ] && grep -q "database is locked" "$WORK/err" ||
    fail "locked file: a plain client read it (exit $rc): $(cat "$WORK/err")"
ok "locked file: a client without a busy timeout fails at once"
"$OPINE" status "$db" >"$WORK/s.out" 2>"$WORK/s.err" &
s=$!
"$OPINE" sql "$db" "SELECT value FROM meta WHERE key = 'held'" \
    >"$WORK/r.out" 2>"$WORK/r.err" &
r=$!
PIDS="$PIDS $s $r"
wait_text "$WORK/s.err" "opine: waiting for a lock on '$db': another program is writing to it" "$s" "locked file: opine status"
wait_text "$WORK/r.err" "opine: waiting for a lock on '$db': another program is writing to it" "$r" "locked file: opine sql"
ok "locked file: opine status and opine sql wait, saying so"
kill -CONT "$h"
rc=0
wait "$h" || rc=$?
expect_eq "locked file: the holder commits" 0 "$rc"
rc=0
wait "$s" || rc=$?
expect_eq "locked file: opine status answers" 0 "$rc"
grep -q "^ingest " "$WORK/s.out" || fail "locked file: status printed: $(cat "$WORK/s.out")"
rc=0
wait "$r" || rc=$?
expect_eq "locked file: opine sql answers, after the commit" "0 yes" \
    "$rc $(tail -n 1 "$WORK/r.out")"
no_internal_error "$WORK/s.err" "locked file: opine status"
no_internal_error "$WORK/r.err" "locked file: opine sql"

# 6. A first load keeps SQLite's locks to its last COMMIT. It syncs the
# file early through a descriptor of its own (pipeline/store.c), and
# closing any descriptor of a file drops every POSIX lock the process
# holds on it: one closed mid-transaction left the last transaction
# unlocked, for another program to read half written or to take its
# journal for a crashed writer's. Paused where the run is recorded (the early sync done,
# the COMMIT to come), the process still holds its locks on the file
# (/proc/locks), and let go it ends as the reference does.
db=$WORK/first.db
if [ -r /proc/locks ]; then
    OPINE_FAULT=finish:stop "$OPINE" run "$db" "$WORK/a.jsonl" "$WORK/b.jsonl" -q \
        2>"$WORK/f.err" &
    f=$!
    PIDS="$PIDS $f"
    wait_stopped "$f" "first load paused at finish"
    grep -q "fault point 'finish' hit 1: stop" "$WORK/f.err" ||
        fail "the first load was not stopped at 'finish': $(cat "$WORK/f.err")"
    ino=$(stat -c %i "$db")
    held=$(awk -v pid="$f" -v ino="$ino" '$2 == "POSIX" && $5 == pid &&
        $6 ~ (":" ino "$") { n++ } END { print n + 0 }' /proc/locks)
    [ "$held" -gt 0 ] ||
        fail "first load before its COMMIT: no lock held on the file: $(cat /proc/locks)"
    ok "first load before its COMMIT: SQLite's locks on the file still held ($held)"
    kill -CONT "$f"
    rc=0
    wait "$f" || rc=$?
    expect_eq "the paused first load, let go, ends" 0 "$rc"
    no_internal_error "$WORK/f.err" "the paused first load"
    expect_eq "the paused first load: one run, ok" "run ok $((na + nb))" \
        "$(q "$db" "SELECT group_concat(stage || ' ' || status || ' ' || documents)
                    FROM runs")"
    same_union "$db" "a first load paused before its COMMIT"
else
    echo "# not checked: a first load's locks (no /proc/locks here)"
fi
done_testing
