#!/usr/bin/env python3
"""models/labels/audit.py - draw, merge and score a blind audit of evidence.

An audit asks two readers, each blind to the other, whether random
evidence rows of a model are right (models/labels/evidence-audit-*.tsv).

  audit.py draw  DB VERSION SEED [--per-theme N] [--exclude AUDIT.tsv ...]
                 [--opine OPINE] > items.json
      N random evidence rows a theme (30) of the model version in DB,
      ranked by sha1("SEED|record_id|theme|span_start"), leaving out the
      rows the named audits read; each with the paragraph around it (the
      cue marked [[so]]) and the paragraphs before and after, for readers
  audit.py merge items.json A.tsv B.tsv HEADER.txt > evidence-audit-X.tsv
      the readers' answers (TSV: n, sense, direction, side, note) as an
      audit file, the header's lines as its comments
  audit.py score AUDIT.tsv
      per reader and theme, the rows right in sense and direction, the
      rows both say are right, and Cohen's kappa between the readers

Reading the texts needs the database (documents.body); the audit file
keeps pointers only (record id and byte span), as the labels do.
"""
import argparse
import collections
import csv
import hashlib
import json
import subprocess
import sys

COLUMNS = ["corpus", "record_id", "span_start", "span_end", "theme", "cue",
           "toward", "A_sense", "A_direction", "A_side", "B_sense",
           "B_direction", "B_side", "A_note", "B_note"]


def read_audit(path):
    with open(path, encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def paragraph_at(body, start, end):
    """The line (paragraph) holding bytes [start, end) with the cue marked,
    and the non-empty lines before and after it."""
    b = body.encode("utf-8")
    ps = b.rfind(b"\n", 0, start) + 1
    pe = b.find(b"\n", end)
    pe = len(b) if pe < 0 else pe
    j = ps - 1
    while j > 0 and b[j - 1:j] == b"\n":
        j -= 1
    before = b[b.rfind(b"\n", 0, j) + 1:j] if j > 0 else b""
    k = pe
    while k < len(b) and b[k:k + 1] == b"\n":
        k += 1
    ne = b.find(b"\n", k)
    after = b[k:len(b) if ne < 0 else ne]
    d = lambda x: x.decode("utf-8", "replace").strip()
    marked = d(b[ps:start] + b"[[" + b[start:end] + b"]]" + b[end:pe])
    return d(before)[-1500:], marked, d(after)[:1000]


def cmd_draw(a):
    sql = ("SELECT d.ext_id, e.theme, e.span_start, e.span_end, e.cue,"
           " e.polarity, d.outlet, d.title, inflate(d.body) AS body"
           " FROM v_evidence e JOIN documents d ON d.id = e.doc"
           " WHERE e.version = %d" % a.version)
    out = subprocess.run([a.opine, "sql", a.db, sql, "--json"], check=True,
                         capture_output=True, text=True).stdout
    rows = json.loads(out) if out.strip() else []
    seen = set()
    for path in a.exclude:
        for r in read_audit(path):
            seen.add((r["record_id"], str(r["span_start"])))
    by = collections.defaultdict(list)
    for r in rows:
        if (r["ext_id"], str(r["span_start"])) in seen:
            continue
        key = "%s|%s|%s|%s" % (a.seed, r["ext_id"], r["theme"],
                               r["span_start"])
        by[r["theme"]].append((hashlib.sha1(key.encode()).hexdigest(), r))
    items = []
    for theme in sorted(by):
        for _, r in sorted(by[theme], key=lambda t: t[0])[:a.per_theme]:
            before, para, after = paragraph_at(r["body"], r["span_start"],
                                               r["span_end"])
            items.append({
                "n": len(items) + 1, "theme": theme, "cue": r["cue"],
                "toward": "+" if r["polarity"] > 0 else "-",
                "record_id": r["ext_id"], "span_start": r["span_start"],
                "span_end": r["span_end"], "outlet": r["outlet"],
                "title": r["title"], "before": before, "paragraph": para,
                "after": after})
    json.dump(items, sys.stdout, indent=1, ensure_ascii=False)
    counts = collections.Counter(i["theme"] for i in items)
    print("drew %d rows: %s" % (len(items), dict(sorted(counts.items()))),
          file=sys.stderr)


def read_answers(path):
    with open(path, encoding="utf-8") as f:
        return {int(r["n"]): r for r in csv.DictReader(f, delimiter="\t")}


def cmd_merge(a):
    with open(a.items, encoding="utf-8") as f:
        items = json.load(f)
    A, B = read_answers(a.a), read_answers(a.b)
    missing = [i["n"] for i in items if i["n"] not in A or i["n"] not in B]
    if missing:
        sys.exit("audit.py: no answer from a reader for items %s"
                 % missing[:10])
    with open(a.header, encoding="utf-8") as f:
        for line in f:
            sys.stdout.write("# " + line.rstrip("\n") + "\n")
    w = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    w.writerow(COLUMNS)
    for i in items:
        x, y = A[i["n"]], B[i["n"]]
        w.writerow(["abp", i["record_id"], i["span_start"], i["span_end"],
                    i["theme"], i["cue"], i["toward"], x["sense"],
                    x["direction"], x["side"], y["sense"], y["direction"],
                    y["side"], " ".join(x["note"].split()),
                    " ".join(y["note"].split())])


def kappa(a, b):
    n = len(a)
    if n == 0:
        return float("nan")
    po = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return float("nan") if pe == 1 else (po - pe) / (1 - pe)


def cmd_score(a):
    rows = read_audit(a.audit)
    right = lambda r, p: (r[p + "_sense"] == "yes"
                          and r[p + "_direction"] == "yes")
    by = collections.defaultdict(list)
    for r in rows:
        by[r["theme"]].append(r)
    print("%-20s %5s %8s %8s %6s %6s" % ("theme", "rows", "A right",
                                         "B right", "both", "kappa"))
    for theme in sorted(by) + ["all"]:
        rs = rows if theme == "all" else by[theme]
        ra = [right(r, "A") for r in rs]
        rb = [right(r, "B") for r in rs]
        print("%-20s %5d %8d %8d %6d %6.2f" % (
            theme, len(rs), sum(ra), sum(rb),
            sum(x and y for x, y in zip(ra, rb)), kappa(ra, rb)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("draw")
    d.add_argument("db")
    d.add_argument("version", type=int)
    d.add_argument("seed")
    d.add_argument("--per-theme", type=int, default=30)
    d.add_argument("--exclude", nargs="*", default=[])
    d.add_argument("--opine", default="build/opine")
    m = sub.add_parser("merge")
    m.add_argument("items")
    m.add_argument("a")
    m.add_argument("b")
    m.add_argument("header")
    s = sub.add_parser("score")
    s.add_argument("audit")
    a = ap.parse_args()
    {"draw": cmd_draw, "merge": cmd_merge, "score": cmd_score}[a.cmd](a)


if __name__ == "__main__":
    main()
