CREATE FUNCTION touch() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  NEW.updated_at := now();
  IF NEW.name = '' THEN
    RAISE EXCEPTION 'empty name; rejected';
  END IF;
  RETURN NEW;
END;
$body$;

CREATE TRIGGER students_touch BEFORE UPDATE ON students
  FOR EACH ROW EXECUTE FUNCTION touch();
