#!/usr/bin/env python3
"""bench/fts5_reference.py INPUT.jsonl.gz DB — the reference route analysts
take today, for bench/compare: load every article's text into an SQLite
FTS5 table with the porter tokenizer, then materialise per-document term
counts and per-term document and collection frequencies from fts5vocab
into ordinary tables. Prints load and materialise seconds and row counts.
"""
import gzip
import json
import sqlite3
import sys
import time


def main():
    src, out = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(out, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(text,"
               " tokenize = 'porter unicode61')")
    t0 = time.monotonic()
    db.execute("BEGIN")
    with gzip.open(src, "rt", encoding="utf-8") as f:
        rows = ((json.loads(line).get("text") or "",) for line in f
                if line.strip())
        db.executemany("INSERT INTO docs(text) VALUES (?)", rows)
    db.execute("COMMIT")
    t1 = time.monotonic()
    db.execute("BEGIN")
    db.execute("CREATE VIRTUAL TABLE v_instance"
               " USING fts5vocab(docs, instance)")
    db.execute("CREATE VIRTUAL TABLE v_row USING fts5vocab(docs, row)")
    db.execute("CREATE TABLE doc_terms(doc INTEGER, term TEXT, tf INTEGER,"
               " PRIMARY KEY(doc, term)) WITHOUT ROWID")
    db.execute("INSERT INTO doc_terms SELECT doc, term, count(*)"
               " FROM v_instance GROUP BY doc, term")
    db.execute("CREATE TABLE terms(term TEXT PRIMARY KEY, df INTEGER,"
               " cf INTEGER) WITHOUT ROWID")
    db.execute("INSERT INTO terms SELECT term, doc, cnt FROM v_row")
    db.execute("COMMIT")
    t2 = time.monotonic()
    n = db.execute("SELECT count(*) FROM doc_terms").fetchone()[0]
    m = db.execute("SELECT count(*) FROM terms").fetchone()[0]
    print(f"fts5 load {t1 - t0:.2f} s, materialise {t2 - t1:.2f} s,"
          f" doc_terms {n} rows, terms {m} rows")


if __name__ == "__main__":
    main()
