-- The terms each outlet of the sample corpus uses more than the others:
-- per stem, the outlet's count times the log of its rate over the rate in
-- the whole corpus (the outlet's share of a G² keyness score), top 6.
-- Stop words are not terms (they stay in doc_tokens only).
WITH outlet_terms AS (
    SELECT d.outlet, dt.stem, sum(dt.tf) AS n
    FROM doc_terms dt JOIN documents d ON d.id = dt.doc
    GROUP BY d.outlet, dt.stem
), outlet_size AS (
    SELECT outlet, sum(n) AS total FROM outlet_terms GROUP BY outlet
), corpus AS (
    SELECT sum(cf) AS total FROM terms
), scored AS (
    SELECT o.outlet, s.surface, o.n,
           o.n * ln((o.n * 1.0 / z.total) / (t.cf * 1.0 / c.total)) AS key
    FROM outlet_terms o
    JOIN outlet_size z ON z.outlet = o.outlet
    JOIN terms t ON t.stem = o.stem
    JOIN stems s ON s.id = o.stem
    CROSS JOIN corpus c
    WHERE o.n >= 3
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY outlet
                                 ORDER BY key DESC, surface) AS r
    FROM scored
)
SELECT outlet,
       (SELECT count(*) FROM documents d WHERE d.outlet = ranked.outlet)
           AS docs,
       group_concat(surface || ' ' || n, ', ') AS "top terms (count)"
FROM ranked WHERE r <= 6 GROUP BY outlet ORDER BY outlet;
