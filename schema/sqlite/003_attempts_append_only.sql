-- Version 3: the attempt log is append-only, enforced by the database: an UPDATE or a DELETE
-- of hsinstall_attempts fails (the hooks only ever insert).
CREATE TRIGGER IF NOT EXISTS hsinstall_attempts_no_update BEFORE UPDATE ON hsinstall_attempts
BEGIN SELECT RAISE(ABORT, 'hsinstall_attempts is append-only'); END;
CREATE TRIGGER IF NOT EXISTS hsinstall_attempts_no_delete BEFORE DELETE ON hsinstall_attempts
BEGIN SELECT RAISE(ABORT, 'hsinstall_attempts is append-only'); END;
