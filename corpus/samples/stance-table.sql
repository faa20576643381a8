-- Per document and theme: the stance in [-1, 1], its 90% interval, the
-- number of evidence rows, and the strongest of them that agrees with the
-- stance (highest weight, then first in the text): + toward the theme's
-- positive pole, - toward the negative one. Every theme a document
-- mentions has a row; a trained model shows evidence only where a window
-- is sure enough of its side, so many rows have none (models/README.md).
SELECT d.ext_id AS doc,
       t.theme,
       printf('%+.2f', s.stance) AS stance,
       printf('[%+.2f, %+.2f]', s.lo, s.hi) AS interval,
       s.evidence AS n,
       coalesce((SELECT substr(CASE WHEN e.polarity > 0 THEN '+ ' ELSE '- ' END
                               || e.cue
                               || CASE WHEN e.negated THEN ' (negated)'
                                  ELSE '' END, 1, 36)
                 FROM evidence e
                 JOIN doc_scores x ON x.doc = e.doc AND x.theme = e.theme
                 WHERE e.doc = s.doc AND e.theme = s.theme
                 ORDER BY e.weight * e.polarity * x.stance DESC,
                          e.weight DESC, e.span_start LIMIT 1), '')
           AS "strongest evidence"
FROM doc_scores s
JOIN documents d ON d.id = s.doc
JOIN themes t ON t.id = s.theme
JOIN models m ON m.id = t.model
WHERE s.stance IS NOT NULL
  AND m.id = (SELECT max(id) FROM models)
ORDER BY d.ext_id, t.theme;
