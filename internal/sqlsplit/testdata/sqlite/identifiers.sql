CREATE TABLE "semi;colon" ("a""b;" INTEGER, `c``d;` TEXT, [e;f] REAL);
SELECT [e;f], `c``d;`, "a""b;" FROM "semi;colon";
SELECT $name, :id, @x, ?1;
