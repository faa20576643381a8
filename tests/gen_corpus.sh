# tests/gen_corpus.sh DOCS SEED — print DOCS synthetic JSON lines: made-up
# words with a Zipf-like spread, sentences and paragraphs, outlets and dates.
# Deterministic for a given seed, so every test run reads the same corpus.
awk -v docs="$1" -v seed="$2" 'BEGIN {
    srand(seed)
    n = split("ka lo mi ne su ta ri po ve zu an el or is um ba de fi go hu", syl, " ")
    for (i = 1; i <= 3000; i++) {
        w = ""
        k = 1 + int(rand() * 3)
        for (j = 0; j < k; j++) w = w syl[1 + int(rand() * n)]
        word[i] = w
    }
    split("North Gazette|South Herald|East Review|West Ledger", outlet, "|")
    for (d = 1; d <= docs; d++) {
        text = ""
        nw = 80 + int(rand() * 240)
        for (i = 0; i < nw; i++) {
            r = rand()
            w = word[1 + int(3000 * r * r * r)]
            if (i % 17 == 0) w = toupper(substr(w, 1, 1)) substr(w, 2)
            text = text w
            if (i % 17 == 16) text = text (i % 51 == 50 ? ".\\n\\n" : ". ")
            else text = text " "
        }
        printf "{\"id\": \"g%06d\", \"outlet\": \"%s\", \"date\": \"20%02d-%02d-%02d\", \"title\": \"Doc %d\", \"text\": \"%s %d.\"}\n",
            d, outlet[1 + d % 4], 10 + d % 12, 1 + d % 12, 1 + d % 28, d, text, d
    }
}'
