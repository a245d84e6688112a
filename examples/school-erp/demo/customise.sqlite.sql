-- What support engineers did to two trusts after v2.0.0 (herd demo).
-- trust_001 asked for house points: a custom_ table every trust may add,
-- and a house colour on its students, agreed for trust_001 alone in
-- herd.yaml's customisations.
-- name: trust_001
CREATE TABLE custom_house_points (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student_id INTEGER NOT NULL REFERENCES students (id),
    points INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE students ADD COLUMN house_colour VARCHAR(20);

-- trust_002's slow report got an index nobody agreed: drift, which the
-- next migration touching guardian_phone could trip on.
-- name: trust_002
CREATE INDEX support_students_phone ON students (guardian_phone);
