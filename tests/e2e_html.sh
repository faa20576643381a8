# tests/e2e_html.sh — web pages through the real binary: an .html and an
# .html.gz each become one document with the article and the page's
# metadata; a page without a body is rejected by name and the rest kept;
# opine extract prints what is stored; a legacy charset is read right.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/pages"
PARA1="The alliance between Seoul and Washington has kept the peace for seventy years, and it should not be traded for a quick deal on cost-sharing."
PARA2="Critics say the burden falls unfairly on American taxpayers. Yet the numbers tell another story: Korea pays for most of the bases it hosts."
cat >"$WORK/pages/oped.html" <<HTML
<!DOCTYPE html>
<html lang="en"><head><title>Keep the alliance | The Daily</title>
<meta property="og:title" content="Keep the alliance">
<meta property="og:site_name" content="The Daily">
<link rel="canonical" href="https://daily.example/keep-the-alliance">
<script type="application/ld+json">{"@type": "NewsArticle",
 "headline": "Keep the alliance", "datePublished": "2024-03-05T08:00:00+09:00",
 "author": [{"@type": "Person", "name": "Kim Lee"}, {"name": "Park Min"}],
 "publisher": {"@type": "Organization", "name": "The Daily"}}</script>
</head><body>
<nav><ul><li><a href="/world">World</a></li><li><a href="/opinion">Opinion</a></li></ul></nav>
<article><h1>Keep the alliance</h1>
<div class="social-share"><a href="#">Share on Facebook</a> <a href="#">Tweet</a></div>
<p>$PARA1</p>
<div class="advertisement">Advertisement</div>
<p>$PARA2</p>
<div class="related"><h3>Related</h3><ul><li><a href="/x">Why the summit failed and what comes next</a></li></ul></div>
</article>
<div id="comments"><p>First! This comment is long enough to look like prose, but it is a comment.</p></div>
<footer><p>Copyright 2024 The Daily. All rights reserved.</p></footer>
</body></html>
HTML
# the same kind of page, gzip'd, in Windows-1252 declared by http-equiv
printf '%s' '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><title>Caf'$'\xe9'' society</title><meta name="author" content="By Ana Ruiz"><meta property="article:published_time" content="2023-11-19"></head><body><div class="story-body"><p>The caf'$'\xe9'' owners said '$'\x93''no'$'\x94'' to the plan, and the city council will vote on it again next week.</p></div></body></html>' |
    gzip >"$WORK/pages/cafe.html.gz"
printf '<html><head><title>Nothing here</title></head></html>\n' >"$WORK/pages/empty.html"

run_opine 1 run "$WORK/run.db" "$WORK/pages" -q
grep -q "empty.html: no <body> in the page" "$WORK/err" ||
    fail "the page without a body is named: $(cat "$WORK/err")"
ok "a page without a body is rejected by name"
expect_eq "two documents, one rejected" "2|1" \
    "$(q "$WORK/run.db" "SELECT documents, rejected FROM runs")"
expect_eq "the op-ed's metadata" \
    "Keep the alliance|Kim Lee; Park Min|The Daily|2024-03-05|https://daily.example/keep-the-alliance" \
    "$(q "$WORK/run.db" "SELECT title, author, outlet, published, url FROM documents WHERE source LIKE '%oped.html'")"
body=$("$OPINE" sql "$WORK/run.db" --csv "SELECT inflate(body) FROM documents WHERE source LIKE '%oped.html'" | tail -n +2)
expect_eq "the stored text is the article, paragraphs apart" \
    "\"$PARA1

$PARA2\"" "$body"
expect_eq "the page's own date is kept as date_raw" "2024-03-05T08:00:00+09:00" \
    "$(q "$WORK/run.db" "SELECT value FROM doc_meta m JOIN documents d ON d.id = m.doc WHERE key = 'date_raw' AND d.source LIKE '%oped.html'")"
expect_eq "the gzip'd Windows-1252 page: title, author, date" \
    "Café society|Ana Ruiz|2023-11-19" \
    "$(q "$WORK/run.db" "SELECT title, author, published FROM documents WHERE source LIKE '%cafe.html.gz'")"
expect_eq "... and its text decoded" \
    "\"The café owners said “no” to the plan, and the city council will vote on it again next week.\"" \
    "$("$OPINE" sql "$WORK/run.db" --csv "SELECT inflate(body) FROM documents WHERE source LIKE '%cafe.html.gz'" | tail -n +2)"
expect_eq "its charset noted" "windows-1252" \
    "$(q "$WORK/run.db" "SELECT value FROM doc_meta WHERE key = 'charset'")"
expect_eq "furniture words are not terms" 0 \
    "$(q "$WORK/run.db" "SELECT count(*) FROM doc_terms dt JOIN stems s ON s.id = dt.stem WHERE s.stem IN ('facebook', 'summit', 'copyright', 'comment', 'advertis')")"
expect_eq "the article's words are" 1 \
    "$(q "$WORK/run.db" "SELECT count(*) > 0 FROM doc_terms dt JOIN stems s ON s.id = dt.stem WHERE s.stem = 'allianc'")"
check_exact "$WORK/run.db"

# opine extract prints the same text; --json lines ingest to the same
# documents
run_opine 0 extract "$WORK/pages/oped.html"
expect_eq "opine extract prints the article" "$PARA1

$PARA2" "$(cat "$WORK/out")"
run_opine 1 extract --json "$WORK/pages"
expect_eq "opine extract --json: one line per page" 2 "$(wc -l <"$WORK/out")"
cp "$WORK/out" "$WORK/pages.jsonl"
run_opine 0 run "$WORK/json.db" "$WORK/pages.jsonl" -q
expect_eq "its lines ingest to the same texts and metadata" 0 \
    "$(q "$WORK/run.db" "ATTACH '$WORK/json.db' AS j;
       SELECT count(*) FROM (SELECT hash, title, author, outlet, published, url FROM documents
                             EXCEPT SELECT hash, title, author, outlet, published, url FROM j.documents)")"
same_stats "$WORK/run.db" "$WORK/json.db" "pages = their JSON lines"

# --format html forces it; --format text stores the markup as text
printf '<p>%s</p>\n' "$PARA1" >"$WORK/fragment.txt"
run_opine 0 ingest "$WORK/forced.db" "$WORK/fragment.txt" --format html -q
expect_eq "--format html extracts a fragment" "$PARA1" \
    "$("$OPINE" sql "$WORK/forced.db" --csv "SELECT inflate(body) FROM documents" | tail -n +2 | tr -d '"')"
done_testing
