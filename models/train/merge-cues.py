#!/usr/bin/env python3
"""models/train/merge-cues.py BASE.yaml CUES.tsv [DROP.tsv] > MERGED.yaml

Adds the cue phrases of CUES.tsv (theme<TAB>side<TAB>phrase<TAB>weight
[<TAB>note], side '+' or '-', '#' lines are comments) to the `positive:` or
`negative:` list of their theme in BASE, as text, so that BASE's comments
stay. A phrase already on that side is skipped; a phrase on the other side
of its theme, or a theme BASE does not have, is an error (exit 2).

DROP.tsv (theme<TAB>side<TAB>phrase[<TAB>note]) names cues to leave out,
whether BASE or CUES.tsv has them; one that neither has is an error.
"""
import json
import re
import sys


def rows(path, want):
    """The cue lines of a TSV (theme, side, phrase[, ...]): (line number,
    fields), with '#' and blank lines skipped; exit 2 on a line with fewer
    fields than want names or a side that is not '+' or '-'."""
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if len(f) < len(want) or f[1] not in ("+", "-"):
            sys.stderr.write(f"{path}: line {n}: want {', '.join(want)}\n")
            sys.exit(2)
        yield f[0], f[1], f[2].strip().lower(), f[3:]


def list_end(base, i):
    """The last line of the YAML flow list that starts on line i."""
    j = i
    while "]" not in re.sub(r'"[^"]*"', "", base[j]):
        j += 1
    return j


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[0])
    base = open(sys.argv[1], encoding="utf-8").read().split("\n")
    drop = set()
    if len(sys.argv) == 4:
        for theme, side, phrase, _ in rows(sys.argv[3], ("theme", "side", "phrase")):
            drop.add((theme, side, phrase))
    dropped = set()
    add = {}
    for theme, side, phrase, rest in rows(sys.argv[2], ("theme", "side", "phrase", "weight")):
        weight = float(rest[0])
        if (theme, side, phrase) in drop:
            dropped.add((theme, side, phrase))
            continue
        add.setdefault(theme, {"+": {}, "-": {}})[side][phrase] = weight
    # Where each theme's lists are, and which phrases they already hold.
    theme = None
    where = {}
    text = "\n".join(base)
    for i, line in enumerate(base):
        m = re.match(r"^  ([a-z_]+):\s*$", line)
        if m:
            theme = m.group(1)
        m = re.match(r"^    (positive|negative): \[", line)
        if m and theme:
            where[(theme, "+" if m.group(1) == "positive" else "-")] = i
    for th, sides in add.items():
        for side in "+-":
            if sides[side] and (th, side) not in where:
                sys.stderr.write(f"{sys.argv[2]}: theme {th} has no {side} list in {sys.argv[1]}\n")
                sys.exit(2)
        both = set(sides["+"]) & set(sides["-"])
        if both:
            sys.stderr.write(f"{sys.argv[2]}: {th}: on both sides: {sorted(both)}\n")
            sys.exit(2)
    # Drops from BASE's lists: the item, bare or quoted, with its weight.
    for (th, side, phrase) in sorted(drop):
        if (th, side) not in where:
            continue
        i = where[(th, side)]
        j = list_end(base, i)
        item = r'(?:"' + re.escape(phrase) + r'"|' + re.escape(phrase) + r')(?::\s*[0-9.]+)?'
        for k in range(i, j + 1):
            line = base[k]
            new = re.sub(r'(?<=[\[ ])' + item + r',\s*', "", line)
            if new == line:
                new = re.sub(r',\s*' + item + r'(?=\])', "", line)
            if new == line:
                new = re.sub(r'(?<=\[)' + item + r'(?=\])', "", line)
            if new != line:
                base[k] = new
                dropped.add((th, side, phrase))
    missing = drop - dropped
    if missing:
        sys.stderr.write(f"{sys.argv[3]}: not in the base or the cues: {sorted(missing)}\n")
        sys.exit(2)
    out = list(base)
    # Insert from the bottom up so that the line numbers stay right.
    for (th, side), i in sorted(where.items(), key=lambda kv: -kv[1]):
        if th not in add or not add[th][side]:
            continue
        # The list's existing text, to skip phrases it has already.
        j = list_end(base, i)
        have = " ".join(base[i : j + 1]).lower()
        items = []
        for phrase, w in add[th][side].items():
            if json.dumps(phrase) in have or re.search(r"[\[, ]" + re.escape(phrase) + r"[,\]:]", have):
                continue
            items.append(json.dumps(phrase) + ("" if w == 1 else f": {w:g}"))
        if not items:
            continue
        key = "positive" if side == "+" else "negative"
        lines = [f"    # {len(items)} phrases from models/train/cues.tsv"]
        line = f"    {key}: ["
        for it in items:
            if len(line) + len(it) + 2 > 78:
                lines.append(line.rstrip())
                line = "               "
            line += it + ", "
        lines.append(line.rstrip())
        out[i] = "\n".join(lines) + "\n               " + base[i][len(f"    {key}: ["):].lstrip()
    sys.stdout.write("\n".join(out))


main()
