CREATE FUNCTION add_one(integer) RETURNS integer AS $$
  SELECT $1 + 1;
$$ LANGUAGE sql;

CREATE OR REPLACE FUNCTION run_dynamic() RETURNS void AS $fn$
BEGIN
  EXECUTE $$ SELECT 'a;b'; $$;
  EXECUTE $q_1$ SELECT $$x$$; $q_1$;
END;
$fn$ LANGUAGE plpgsql;

SELECT $tag$ $TAG$; is not the end; $tag$ AS t;
PREPARE p (int, int) AS SELECT $1 + $2;
SELECT price$ FROM items;
