-- Issue 8, item 1: the mask of an ID number used to keep the region code and
-- the last four characters (410802********123X), hiding exactly the birth
-- date, which answers showed beside it. The mask now keeps the region code
-- and the last two characters (410802**********3X); stored masks, and the
-- masked values the history keeps, are brought to the new rule. (The audit
-- chain's entries are never rewritten: a changed entry would break the chain.)
UPDATE members
   SET id_number_masked = left(id_number_masked, 6) || '**********' || right(id_number_masked, 2)
 WHERE length(id_number_masked) = 18;

UPDATE history
   SET before_json = jsonb_set(before_json, '{id_number}', to_jsonb(
           left(before_json->>'id_number', 6) || '**********' || right(before_json->>'id_number', 2)))
 WHERE jsonb_typeof(before_json) = 'object' AND length(before_json->>'id_number') = 18;

UPDATE history
   SET after_json = jsonb_set(after_json, '{id_number}', to_jsonb(
           left(after_json->>'id_number', 6) || '**********' || right(after_json->>'id_number', 2)))
 WHERE jsonb_typeof(after_json) = 'object' AND length(after_json->>'id_number') = 18;
