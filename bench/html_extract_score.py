#!/usr/bin/env python3
"""bench/html_extract_score.py — the Article Extraction Benchmark's metric.

usage: html_extract_score.py GROUND_TRUTH.json PREDICTIONS.jsonl [--split all|dev|test] [--per-page]

PREDICTIONS.jsonl holds one {"key": ..., "text": ...} object per page (what
bench/html_extract_bench writes), or the lines of `opine extract --json`,
whose "id" is the page's path (the key is its name less .html[.gz]). The metric, as ../shared/corpora/README.md
describes it: both texts are split into \\w+ tokens (Unicode, case kept);
all 4-token shingles are counted (a text of fewer than 4 tokens is one
shingle); per page tp = sum of min(true, predicted count), fp and fn the
excesses, normalised by tp+fp+fn. Precision and recall are the means over
the pages (precision over pages with tp+fp > 0, recall over pages with
tp+fn > 0; a page where both texts are empty scores 1), F1 = 2PR/(P+R).

The split keeps a half of the pages out of development: "dev" is the pages
whose key (a sha256) ends in 0-7, "test" those ending in 8-f. (The 88 pages
are the benchmark's pages whose keys start with 0-7, so the first digit
would not split them.)
Prints "pages N precision P recall R f1 F" on one line.
"""
import json
import os
import re
import sys
from collections import Counter

TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text, n=4):
    tokens = TOKEN.findall(text or "")
    out = Counter()
    for i in range(0, max(1, len(tokens) - n + 1)):
        s = " ".join(tokens[i:i + n])
        if s:
            out[s] += 1
    return out


def page_score(true, pred):
    t, p = shingles(true), shingles(pred)
    tp = fp = fn = 0
    for key in set(t) | set(p):
        a, b = t.get(key, 0), p.get(key, 0)
        tp += min(a, b)
        fp += max(0, b - a)
        fn += max(0, a - b)
    s = tp + fp + fn
    if s == 0:
        return 1.0, 0.0, 0.0  # both empty: a perfect page
    return tp / s, fp / s, fn / s


def in_split(key, split):
    if split == "all":
        return True
    last = key[-1:].lower()
    return (last in "01234567") == (split == "dev")


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    split = "all"
    per_page = "--per-page" in argv
    for a in argv[1:]:
        if a.startswith("--split="):
            split = a.split("=", 1)[1]
    if len(args) != 2 or split not in ("all", "dev", "test"):
        sys.stderr.write(__doc__)
        return 2
    with open(args[0], encoding="utf-8") as f:
        truth = json.load(f)
    pred = {}
    with open(args[1], encoding="utf-8") as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                key = o.get("key")
                if key is None:
                    key = os.path.basename(o["id"]).split(".htm")[0]
                pred[key] = o.get("text") or ""
    precisions, recalls = [], []
    for key in sorted(truth):
        if not in_split(key, split):
            continue
        tp, fp, fn = page_score(truth[key]["articleBody"], pred.get(key, ""))
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
        if per_page:
            p = tp / (tp + fp) if tp + fp > 0 else float("nan")
            r = tp / (tp + fn) if tp + fn > 0 else float("nan")
            print(f"{key[:12]} precision {p:.3f} recall {r:.3f}")
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    n = sum(1 for k in truth if in_split(k, split))
    print(f"{split}: pages {n} precision {p:.3f} recall {r:.3f} f1 {f1:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
