-- Issuing a certificate touches fewer index pages: each index covers only the rows it is used to
-- find, and the audit log's sequence number is its rowid instead of a second B-tree.

-- The manager's queue is the only lookup by state.
DROP INDEX requests_by_state;
CREATE INDEX requests_pending ON requests (id) WHERE state = 'pending';

-- A reserved certificate has no fingerprint yet.
DROP INDEX certificates_by_sha256;
CREATE INDEX certificates_by_sha256 ON certificates (sha256) WHERE sha256 IS NOT NULL;

-- Keys are looked up only to warn that a key already has a test certificate (P6).
DROP INDEX certificates_by_spki;
CREATE INDEX certificates_test_keys ON certificates (spki_sha256) WHERE is_test = 1;

CREATE TABLE audit_log_by_rowid (
    seq       INTEGER PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    target    TEXT   NOT NULL,
    details   TEXT   NOT NULL,
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL
);
INSERT INTO audit_log_by_rowid (seq, at, actor, action, target, details, prev_hash, hash)
    SELECT seq, at, actor, action, target, details, prev_hash, hash FROM audit_log ORDER BY seq;
DROP TABLE audit_log;
ALTER TABLE audit_log_by_rowid RENAME TO audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
