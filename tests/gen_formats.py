#!/usr/bin/env python3
"""tests/gen_formats.py CORPUS.jsonl OUTDIR — the same records in other shapes.

Reads the JSON lines gen_corpus.sh writes (id, outlet, date, title, text)
and writes into OUTDIR, for e2e_formats.sh to compare with opine:

  corpus.csv, corpus.tsv   the records as CSV (quoted newlines: the texts
                           have paragraph breaks) and TSV, same columns
  docs/ID.txt              one text file per record, and
  ref_text.jsonl           the same as JSON lines: {"id": "docs/ID.txt",
                           "text": ...} (a member's id is its path)
  corpus.warc              one WARC response record per record (HTTP,
                           text/plain) after a warcinfo and a request
                           record, and
  ref_warc.jsonl           the same as JSON lines: id = WARC-Record-ID,
                           url, date = WARC-Date, text
"""
import csv
import json
import os
import sys


def main():
    src, out = sys.argv[1], sys.argv[2]
    records = [json.loads(line) for line in open(src, encoding="utf-8")]
    cols = ["id", "outlet", "date", "title", "text"]
    os.makedirs(os.path.join(out, "docs"), exist_ok=True)

    for name, delim in (("corpus.csv", ","), ("corpus.tsv", "\t")):
        with open(os.path.join(out, name), "w", encoding="utf-8",
                  newline="") as f:
            w = csv.writer(f, delimiter=delim, lineterminator="\n")
            w.writerow(cols)
            for r in records:
                w.writerow([r[c] for c in cols])

    with open(os.path.join(out, "ref_text.jsonl"), "w",
              encoding="utf-8") as ref:
        for r in records:
            name = "docs/%s.txt" % r["id"]
            with open(os.path.join(out, name), "w", encoding="utf-8") as f:
                f.write(r["text"])
            ref.write(json.dumps({"id": name, "text": r["text"]}) + "\n")

    def record(kind, fields, block):
        head = "WARC/1.0\r\nWARC-Type: %s\r\n" % kind
        head += "".join("%s: %s\r\n" % kv for kv in fields)
        head += "Content-Length: %d\r\n\r\n" % len(block)
        return head.encode() + block + b"\r\n\r\n"

    with open(os.path.join(out, "corpus.warc"), "wb") as w, \
            open(os.path.join(out, "ref_warc.jsonl"), "w",
                 encoding="utf-8") as ref:
        w.write(record("warcinfo", [("WARC-Date", "2024-01-01T00:00:00Z"),
                                    ("WARC-Record-ID", "<urn:x:info>")],
                       b"software: gen_formats.py\r\n"))
        for i, r in enumerate(records):
            url = "https://news.example/%s/%s" % (r["outlet"].split()[0]
                                                  .lower(), r["id"])
            date = r["date"] + "T%02d:30:00Z" % (i % 24)
            rid = "<urn:x:%s>" % r["id"]
            if i == 0:
                w.write(record("request", [("WARC-Target-URI", url),
                                           ("WARC-Date", date),
                                           ("WARC-Record-ID", "<urn:x:q>")],
                               b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
            body = r["text"].encode()
            http = (b"HTTP/1.1 200 OK\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(body)) + body
            w.write(record("response",
                           [("WARC-Target-URI", url), ("WARC-Date", date),
                            ("WARC-Record-ID", rid),
                            ("Content-Type",
                             "application/http; msgtype=response")],
                           http))
            ref.write(json.dumps({"id": rid, "url": url, "date": date,
                                  "text": r["text"]}) + "\n")


main()
