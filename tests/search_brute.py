#!/usr/bin/env python3
"""tests/search_brute.py — opine search and opine kwic by brute force, for
tests/e2e_search.sh: every document's token stream read and scanned, in
plain Python, with no index.

  search_brute.py gen DB N SEED >QUERIES.jsonl
      N random queries drawn from DB's own words: words, "phrases" of
      consecutive tokens (stop words too), prefixes, and AND / OR / NOT
      combinations with parentheses; each line {"text": ..., "ast": ...}.
  search_brute.py gen-near DB N SEED >QUERIES.jsonl
      N random NEAR groups of two or three words (no stop words, phrases
      or prefixes: what the index's positions answer), most of them words
      a few tokens apart in some document, at distances 0 to 30.
  search_brute.py run DB QUERIES.jsonl WINDOW >EXPECTED.jsonl
      for each query: the matching documents with their hits (occurrences
      of the words and phrases not under NOT) and BM25 scores, and every
      keyword-in-context hit (document, token, left, hit, right) with
      WINDOW tokens on each side.

The semantics, written out again here rather than shared with the C code:
a word matches the tokens whose type has the word's stem and is not a stop
word; a prefix, the tokens of every stem of a non-stop type starting with
it; a phrase, consecutive tokens with its words' stems (a stop word of the
phrase matches any type of its stem, the other words only types that are
not stop words). Only stemmed documents (doc_lengths) match.
"""
import json
import math
import random
import re
import sqlite3
import sys
import zlib

import body as stored


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def decode(blob):
    """[(type, start, len, sentence)] of a doc_tokens.stream (formats 1, 2
    and 3)."""
    out = []
    sent = -1
    if blob[0] in (2, 3):
        n, i = varint(blob, 1)
        end = 0
        for _ in range(n):
            t, i = varint(blob, i)
            shape = blob[i]
            i += 1
            if shape & 0x80 or not out:
                sent += 1
            if not shape & 0x40:
                gap, ln = (shape >> 4) & 3, (shape & 15) + 1
            else:
                k, g = (shape >> 3) & 7, shape & 7
                gap = g
                if g == 7:
                    gap, i = varint(blob, i)
                ln, i = varint(blob, i)
                if k == 7:
                    _, i = varint(blob, i)
            start = end + gap
            end = start + ln
            out.append((t, start, ln, sent))
        return out
    raw = zlib.decompress(blob)
    n, i = varint(raw, 0)
    end = 0
    for _ in range(n):
        t, i = varint(raw, i)
        gap, i = varint(raw, i)
        ln, i = varint(raw, i)
        k, i = varint(raw, i)
        if k & 1 or not out:
            sent += 1
        start = end + gap
        end = start + ln
        out.append((t, start, ln, sent))
    return out


class Corpus:
    def __init__(self, path):
        db = sqlite3.connect(path)
        self.types = {}  # id -> (type, stem, stop)
        for i, t, s, stop in db.execute(
                "SELECT id, type, stem, stopword FROM types"):
            self.types[i] = (t, s, stop)
        self.stemmed = [r[0] for r in db.execute(
            "SELECT doc FROM doc_lengths ORDER BY doc")]
        self.dl = dict(db.execute("SELECT doc, tokens FROM doc_lengths"))
        self.tokens = {}
        self.text = {}
        for d, blob, body in db.execute(
                "SELECT t.doc, t.stream, d.body FROM doc_tokens t"
                " JOIN documents d ON d.id = t.doc"):
            self.tokens[d] = decode(blob)
            self.text[d] = stored.text(body)
        # byte offsets: the text as bytes
        self.bytes = {d: t.encode("utf-8") for d, t in self.text.items()}


WORD = re.compile(r"^[a-z]+(-[a-z]+)?$")


def gen_near(path, n, seed):
    c = Corpus(path)
    rnd = random.Random(seed)
    docs = [d for d in c.stemmed if c.tokens.get(d)]

    def ok(t):
        return not c.types[t][2] and WORD.match(c.types[t][0])
    plain = [t for t in c.types if ok(t)]
    for _ in range(n):
        k = rnd.choice([2, 2, 3])
        d = rnd.choice(docs)
        toks = c.tokens[d]
        i = rnd.randrange(len(toks))
        near = [toks[j][0] for j in range(max(0, i - 12), min(len(toks), i + 12))
                if ok(toks[j][0])]
        ts = [rnd.choice(near) if near and rnd.random() < 0.8
              else rnd.choice(plain) for _ in range(k)]
        dist = rnd.choice([0, 1, 3, 5, 10, 30])
        text = f"NEAR({' '.join(c.types[t][0] for t in ts)}, {dist})"
        print(json.dumps({"text": text,
                          "ast": ["near", [["word", t] for t in ts], dist]}))


def gen(path, n, seed):
    c = Corpus(path)
    rnd = random.Random(seed)
    docs = [d for d in c.stemmed if c.tokens.get(d)]
    plain = [t for t, (s, _, stop) in c.types.items()
             if not stop and WORD.match(s)]

    def word():
        if rnd.random() < 0.7:  # a word of a document, so it matches
            d = rnd.choice(docs)
            cands = [t for t, _, _, _ in c.tokens[d]
                     if not c.types[t][2] and WORD.match(c.types[t][0])]
            if cands:
                t = rnd.choice(cands)
                return c.types[t][0], ["word", t]
        t = rnd.choice(plain)
        return c.types[t][0], ["word", t]

    def phrase():
        for _ in range(50):
            d = rnd.choice(docs)
            toks = c.tokens[d]
            k = rnd.choice([2, 2, 3])
            if len(toks) < k:
                continue
            i = rnd.randrange(len(toks) - k + 1)
            ts = [toks[i + j][0] for j in range(k)]
            if all(WORD.match(c.types[t][0]) for t in ts) and \
                    not all(c.types[t][2] for t in ts):
                return ('"' + " ".join(c.types[t][0] for t in ts) + '"',
                        ["phrase", ts])
        return word()

    def prefix():
        t = rnd.choice(plain)
        s = c.types[t][0].split("-")[0]
        p = s[:rnd.randint(2, min(4, len(s)))] if len(s) >= 2 else s
        return p + "*", ["prefix", p]

    def simple():
        r = rnd.random()
        return word() if r < 0.6 else phrase() if r < 0.85 else prefix()

    def near():
        subs = [simple() for _ in range(rnd.choice([2, 2, 2, 3]))]
        n = rnd.choice([0, 1, 3, 10, "SENTENCE"])
        return (f"NEAR({' '.join(t for t, _ in subs)}, {n})",
                ["near", [a for _, a in subs], n])

    def leaf():
        return near() if rnd.random() < 0.15 else simple()

    def expr(depth):
        if depth == 0 or rnd.random() < 0.35:
            return leaf()
        a, b = expr(depth - 1), expr(depth - 1)
        op = rnd.choice(["AND", "OR", "NOT", ""])
        text = f"({a[0]} {op + ' ' if op else ''}{b[0]})"
        return text, [op or "AND", a[1], b[1]]

    for _ in range(n):
        r = rnd.random()
        if r < 0.3:
            text, ast = word()
        elif r < 0.45:
            text, ast = phrase()
        elif r < 0.55:
            text, ast = prefix()
        elif r < 0.6:
            t, a = leaf()
            text, ast = "NOT " + t, ["NOT", ["ALL"], a]
        elif r < 0.7:
            text, ast = near()
        else:
            text, ast = expr(2)
        print(json.dumps({"text": text, "ast": ast}))


def run(path, queries, window):
    c = Corpus(path)
    N = len(c.stemmed)
    avgdl = sum(c.dl.values()) / N
    stemmed = set(c.stemmed)

    def spans(ast, toks):
        """The leaf's occurrences in toks as sorted (start, len)."""
        if ast[0] != "near":
            pos = leaf_stems(ast)
            return [(i, len(pos)) for i in range(len(toks))
                    if matches_at(pos, toks, i)]
        subs = [spans(a, toks) for a in ast[1]]
        n = ast[2]

        def close(a, b):
            if n == "SENTENCE":
                return toks[a[0]][3] == toks[b[0]][3]
            if b[0] >= a[0] + a[1]:
                gap = b[0] - (a[0] + a[1])
            elif a[0] >= b[0] + b[1]:
                gap = a[0] - (b[0] + b[1])
            else:
                gap = 0
            return gap <= n
        out = {}
        for k, sk in enumerate(subs):
            for a in sk:
                if all(any(close(a, b) for b in sj)
                       for j, sj in enumerate(subs) if j != k):
                    out[a[0]] = max(out.get(a[0], 0), a[1])
        return sorted(out.items())

    def leaf_stems(ast):
        """[(stems, stop)] a position of the leaf: the stems it matches and
        whether stop-word types count."""
        if ast[0] == "word":
            _, s, _ = c.types[ast[1]]
            return [({s}, False)]
        if ast[0] == "prefix":
            return [({s for t, s, stop in c.types.values()
                      if not stop and t.startswith(ast[1])}, False)]
        return [({c.types[t][1]}, bool(c.types[t][2])) for t in ast[1]]

    def matches_at(pos, toks, i):
        if len(toks) - i < len(pos):
            return False
        for j, (stems, stop_ok) in enumerate(pos):
            _, s, stop = c.types[toks[i + j][0]]
            if s not in stems or (stop and not stop_ok):
                return False
        return True

    for line in open(queries):
        q = json.loads(line)
        leaves = []  # (pos, positive) in the order of the text

        def walk(ast, positive):
            if ast[0] in ("word", "prefix", "phrase", "near"):
                leaves.append((ast, positive))
                return len(leaves) - 1
            if ast[0] == "ALL":
                return None
            a = walk(ast[1], positive)
            b = walk(ast[2], positive and ast[0] != "NOT")
            return (ast[0], a, b)

        tree = walk(q["ast"], True)
        tf = []  # per leaf: {doc: count}
        sp = []  # per leaf: {doc: spans}
        for ast, _ in leaves:
            counts, where = {}, {}
            for d in c.stemmed:
                found = spans(ast, c.tokens.get(d, []))
                if found:
                    counts[d] = len(found)
                    where[d] = dict(found)
            tf.append(counts)
            sp.append(where)

        def ev(t):
            if t is None:
                return set(stemmed)
            if isinstance(t, int):
                return set(tf[t])
            op, a, b = t
            x, y = ev(a), ev(b)
            return x & y if op == "AND" else x | y if op == "OR" else x - y

        docs = sorted(ev(tree))
        idf = []
        for counts in tf:
            v = math.log((N - len(counts) + 0.5) / (len(counts) + 0.5))
            idf.append(v if v > 0 else 1e-6)
        result = {}
        kwic = []
        for d in docs:
            hits = score = 0
            for li, (pos, positive) in enumerate(leaves):
                if positive and d in tf[li]:
                    f = tf[li][d]
                    hits += f
                    score += idf[li] * f * 2.2 / (
                        f + 1.2 * (0.25 + 0.75 * c.dl[d] / avgdl))
            result[d] = [hits, score]
            toks, text = c.tokens[d], c.bytes[d]

            def span(a, b):
                if b <= a:
                    return ""
                s = text[toks[a][1]:toks[b - 1][1] + toks[b - 1][2]]
                return re.sub(r"[ \t\n\r\f\v]+", " ", s.decode("utf-8"))
            i = 0
            while i < len(toks):
                k = 0
                for li, (_, positive) in enumerate(leaves):
                    if positive and i in sp[li].get(d, {}):
                        k = sp[li][d][i]
                        break
                if not k:
                    i += 1
                    continue
                kwic.append([d, i, span(max(0, i - window), i),
                             span(i, i + k),
                             span(i + k, min(len(toks), i + k + window))])
                i += k
        print(json.dumps({"text": q["text"], "docs": result, "kwic": kwic}))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "gen-near":
        gen_near(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]))
