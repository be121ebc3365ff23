-- Version 3: the attempt log is append-only, enforced by the database: an UPDATE, a DELETE or
-- a TRUNCATE of hsinstall_attempts fails (the hooks only ever insert). The function body is a
-- plain quoted string (no dollar quoting), so every runtime's statement splitter reads it.
CREATE OR REPLACE FUNCTION hsinstall_attempts_append_only() RETURNS trigger LANGUAGE plpgsql AS
  'BEGIN RAISE EXCEPTION ''hsinstall_attempts is append-only''; END';
DROP TRIGGER IF EXISTS hsinstall_attempts_append_only ON hsinstall_attempts;
CREATE TRIGGER hsinstall_attempts_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON hsinstall_attempts
  FOR EACH STATEMENT EXECUTE FUNCTION hsinstall_attempts_append_only();
