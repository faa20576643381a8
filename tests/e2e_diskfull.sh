# tests/e2e_diskfull.sh — a real full disk: opine run on a small file
# system (a tmpfs this test mounts, in a mount namespace of its own) that
# fills up mid-run. opine stops with exit 2 and says that the disk holding
# the database is full and what to do; the file passes integrity_check;
# once there is room (the file system remounted bigger, or a file deleted)
# a rerun finishes, with every result table row for row as a run
# elsewhere. Twice: a first run, which creates the file (a rollback
# journal), and a later run into it (WAL). Needs root (skipped otherwise).
if [ -z "${OPINE_DISKFULL_NS:-}" ]; then
    if [ "$(id -u)" != 0 ] ||
        ! unshare -m --propagation private true 2>/dev/null; then
        echo "SKIP: needs root and unshare -m to mount a small file system"
        exit 77
    fi
    # Everything below runs in a private mount namespace: its mounts are
    # gone when it ends, whatever way it ends.
    OPINE_DISKFULL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
MNT=$WORK/small
mkdir "$MNT"
trap 'umount "$MNT" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# Two inputs: 3,000 made-up documents (a 13 MB database), then 1,000 more.
# Commits every MiB, so that a run has several.
bash "$(dirname "$0")/gen_corpus.sh" 3000 11 | gzip -1 >"$WORK/a.jsonl.gz"
bash "$(dirname "$0")/gen_corpus.sh" 1000 12 | sed 's/"id": "g/"id": "h/' |
    gzip -1 >"$WORK/b.jsonl.gz"
run_opine 0 run "$WORK/ref-a.db" "$WORK/a.jsonl.gz" -q --commit-every 1
total=$(q "$WORK/ref-a.db" "SELECT count(*) FROM documents")
cp "$WORK/ref-a.db" "$WORK/ref-ab.db"
run_opine 0 run "$WORK/ref-ab.db" "$WORK/b.jsonl.gz" -q --commit-every 1
size=$(stat -c %s "$WORK/ref-a.db")

# full_stop WHAT DB: the run that met the full disk said so and left a
# sound file.
full_stop() {
    local what=$1 db=$2
    expect_eq "$what: exit status" 2 "$rc"
    grep -qF "cannot write to '$db'" "$WORK/err" &&
        grep -qF "the disk is full" "$WORK/err" &&
        grep -qF "run the command again" "$WORK/err" ||
        fail "$what: no clear message: $(cat "$WORK/err")"
    ok "$what: says the disk holding '$(basename "$db")' is full and what to do"
    if grep -Eiq "SQL logic|constraint|misuse" "$WORK/err"; then
        fail "$what: an internal error: $(cat "$WORK/err")"
    fi
    expect_eq "$what: integrity" ok "$(q "$db" "PRAGMA integrity_check")"
    run_opine 0 status "$db"
    ok "$what: opine status answers"
}

# 1. A first run on a file system of three quarters of the database's
# final size (its first commit needs half of it: a rollback journal of the
# schema's 64 KiB pages, and the pages it adds).
mount -t tmpfs -o size=$((size * 3 / 4 / 4096 * 4096)) tmpfs "$MNT"
db=$MNT/full.db
rc=0
"$OPINE" run "$db" "$WORK/a.jsonl.gz" -q --commit-every 1 \
    >/dev/null 2>"$WORK/err" || rc=$?
full_stop "first run, disk full" "$db"
have=$(q "$db" "SELECT count(*) FROM documents")
[ "$have" -gt 0 ] && [ "$have" -lt "$total" ] ||
    fail "the disk did not fill mid-run: $have of $total documents"
ok "the disk filled mid-run: $have of $total documents committed"
mount -o remount,size=64m "$MNT"
run_opine 0 run "$db" "$WORK/a.jsonl.gz" -q --commit-every 1
same_results "$WORK/ref-a.db" "$db" "first run, rerun with room"
check_exact "$db"

# 2. A later run (WAL) when a file leaves about a MiB free: the disk fills
# while the run writes the next input; deleting the file frees it.
avail=$(df --output=avail -B1 "$MNT" | tail -n 1)
fallocate -l $((avail - (1 << 20))) "$MNT/filler"
rc=0
"$OPINE" run "$db" "$WORK/b.jsonl.gz" -q --commit-every 1 \
    >/dev/null 2>"$WORK/err" || rc=$?
full_stop "later run, disk full" "$db"
echo "# later run: $(q "$db" "SELECT count(*) FROM documents") documents" \
    "committed ($total before it)"
# It wrote in WAL; closing, it turned the file back to a rollback
# journal, or, where the checkpoint that needs found no room, left it WAL:
# either way every committed batch reads back (checked below).
mode=$(q "$db" "PRAGMA journal_mode")
[ "$mode" = delete ] || [ "$mode" = wal ] ||
    fail "later run, disk full: journal mode '$mode'"
ok "later run, disk full: the file is WAL or a rollback journal ($mode)"
rm "$MNT/filler"
run_opine 0 run "$db" "$WORK/b.jsonl.gz" -q --commit-every 1
same_results "$WORK/ref-ab.db" "$db" "later run, rerun with room"
check_exact "$db"
umount "$MNT"
done_testing
