-- Issuing a certificate touches fewer index pages: each index covers only the rows it is used to
-- find.

-- The manager's queue is the only lookup by state.
DROP INDEX requests_by_state;
CREATE INDEX requests_pending ON requests (id) WHERE state = 'pending';

-- A reserved certificate has no fingerprint yet.
DROP INDEX certificates_by_sha256;
CREATE INDEX certificates_by_sha256 ON certificates (sha256) WHERE sha256 IS NOT NULL;

-- Keys are looked up only to warn that a key already has a test certificate (P6).
DROP INDEX certificates_by_spki;
CREATE INDEX certificates_test_keys ON certificates (spki_sha256) WHERE is_test = 1;
