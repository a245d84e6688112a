-- herd:chunked table=students key=id size=5000 pause=50ms target=250ms
-- Every existing student gets an empty custom-fields document, 5,000
-- students a transaction (the size adapts so that one takes about 250ms),
-- with a pause between two so that the school's own writes go first. A run
-- that is stopped carries on at the first range it had not committed.
UPDATE students SET custom_fields = '{}'
WHERE custom_fields IS NULL AND id > :from AND id <= :to;
