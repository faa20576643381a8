#!/usr/bin/env python3
"""tests/similar_brute.py -- brute-force tf-idf cosine over an opine
database, written from the definition alone, to check `opine similar`
against (tests/e2e_similar.sh, bench/similar.sh).

    similar_brute.py DB --docs ID[,ID...] [--top K] [--numpy]
    similar_brute.py DB --stems FILE [--top K] [--numpy]

A query is a stored document (by documents.id; it is left out of its own
results) or, with --stems, a text given as its stems (one per line, as
many times as they occur, in the database's language). Every stemmed
document gets

    w(t, d) = tf(t, d) * ln(N / df(t))     N = rows of doc_lengths
    cos(q, d) = sum_t w(t, q) * w(t, d) / (|q| |d|)

over terms.df and doc_terms (stems the corpus lacks are dropped from a
text), and documents rank by cosine, then by id. Sums run over terms in
stem-id order, as IEEE doubles. Prints one line per result:
query, rank, doc, score (repr: every digit).

Without --numpy it streams doc_terms once in pure Python (fine for tens
of thousands of rows); --numpy builds a SciPy sparse matrix instead (ABP's
12 M rows in seconds), whose row sums run in the same order.
"""
import argparse
import heapq
import math
import sqlite3
import sys


def load(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n = con.execute("SELECT count(*) FROM doc_lengths").fetchone()[0]
    idf = {s: math.log(n / df) for s, df in
           con.execute("SELECT stem, df FROM terms WHERE df > 0")}
    return con, n, idf


def doc_query(con, idf, doc):
    rows = con.execute("SELECT stem, tf FROM doc_terms WHERE doc = ?"
                       " ORDER BY stem", (doc,)).fetchall()
    return [(s, tf * idf[s]) for s, tf in rows if s in idf]


def stems_query(con, idf, path):
    lang = con.execute("SELECT value FROM meta WHERE key = 'language'")
    lang = (lang.fetchone() or ["english"])[0]
    counts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            stem = line.rstrip("\n")
            if not stem:
                continue
            row = con.execute("SELECT id FROM stems WHERE lang = ?"
                              " AND stem = ?", (lang, stem)).fetchone()
            if row and row[0] in idf:
                counts[row[0]] = counts.get(row[0], 0) + 1
    return [(s, counts[s] * idf[s]) for s in sorted(counts)]


def norm(vec):
    sq = 0.0
    for _, w in vec:  # stem order
        sq += w * w
    return math.sqrt(sq)


def rank_pure(con, idf, queries, top):
    """queries: [(skip_doc, [(stem, w)...])]; results per query."""
    index = {}
    for qi, (_, vec) in enumerate(queries):
        for s, w in vec:
            if w > 0:
                index.setdefault(s, []).append((qi, w))
    qnorms = [norm(vec) for _, vec in queries]
    found = [[] for _ in queries]

    def close(doc, sq, dots):
        dn = math.sqrt(sq)
        for qi, dot in dots.items():
            if dot > 0 and doc != queries[qi][0]:
                found[qi].append((-(dot / (qnorms[qi] * dn)), doc))

    cur, sq, dots = None, 0.0, {}
    for doc, s, tf in con.execute("SELECT doc, stem, tf FROM doc_terms"
                                  " ORDER BY doc, stem"):
        if doc != cur:
            if cur is not None:
                close(cur, sq, dots)
            cur, sq, dots = doc, 0.0, {}
        w = tf * idf[s]
        sq += w * w
        for qi, qw in index.get(s, ()):
            dots[qi] = dots.get(qi, 0.0) + qw * w
    if cur is not None:
        close(cur, sq, dots)
    return [sorted(f) if top == 0 else heapq.nsmallest(top, f)
            for f in found]


def rank_numpy(con, n, idf, queries, top):
    import numpy as np
    from scipy import sparse
    maxdoc = con.execute("SELECT max(doc) FROM doc_lengths").fetchone()[0]
    maxstem = con.execute("SELECT max(stem) FROM terms").fetchone()[0]
    idfv = np.zeros(maxstem + 1)
    for s, v in idf.items():
        idfv[s] = v
    parts, cur = [], con.execute("SELECT doc, stem, tf FROM doc_terms"
                                 " ORDER BY doc, stem")
    while True:
        rows = cur.fetchmany(1 << 20)
        if not rows:
            break
        parts.append(np.array(rows, dtype=np.int64))
    a = np.concatenate(parts)
    docs, stems, tfs = a[:, 0], a[:, 1], a[:, 2]
    data = tfs.astype(np.float64) * idfv[stems]
    indptr = np.zeros(maxdoc + 2, dtype=np.int64)
    np.add.at(indptr, docs + 1, 1)
    indptr = np.cumsum(indptr)
    x = sparse.csr_matrix((data, stems, indptr),
                          shape=(maxdoc + 1, maxstem + 1))
    x.has_sorted_indices = True
    # row sums of squares, summed in stem order (csr_matvec)
    dnorm = np.sqrt(x.multiply(x) @ np.ones(maxstem + 1))
    q = np.zeros((maxstem + 1, len(queries)))
    for qi, (_, vec) in enumerate(queries):
        for s, w in vec:
            q[s, qi] = w
    qnorms = np.array([norm(vec) for _, vec in queries])
    dots = x @ q  # csr_matvecs: each column summed in stem order
    out = []
    ids = np.arange(maxdoc + 1)
    for qi, (skip, _) in enumerate(queries):
        col = dots[:, qi]
        keep = (col > 0) & (ids != skip)
        d = ids[keep]
        score = col[keep] / (qnorms[qi] * dnorm[keep])
        order = np.lexsort((d, -score))
        if top:
            order = order[:top]
        out.append([(-float(score[i]), int(d[i])) for i in order])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--docs", help="comma-separated document ids")
    ap.add_argument("--stems", help="file of stems, one per line")
    ap.add_argument("--top", type=int, default=10, help="0: all")
    ap.add_argument("--numpy", action="store_true")
    a = ap.parse_args()
    con, n, idf = load(a.db)
    queries, names = [], []
    if a.docs:
        for d in a.docs.split(","):
            queries.append((int(d), doc_query(con, idf, int(d))))
            names.append(d)
    if a.stems:
        queries.append((None, stems_query(con, idf, a.stems)))
        names.append("text")
    if a.numpy:
        res = rank_numpy(con, n, idf, queries, a.top)
    else:
        res = rank_pure(con, idf, queries, a.top)
    out = sys.stdout
    for name, found in zip(names, res):
        for r, (neg, doc) in enumerate(found, 1):
            out.write(f"{name}\t{r}\t{doc}\t{-neg!r}\n")


if __name__ == "__main__":
    main()
