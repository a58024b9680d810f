-- signet schema v1 (PostgreSQL). Timestamps are Unix seconds (UTC); lists are JSON arrays.
CREATE TABLE cas (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT   NOT NULL UNIQUE,
    kind          TEXT   NOT NULL CHECK (kind IN ('root', 'subordinate', 'test-root')),
    parent        TEXT,
    certificate   BYTEA,
    csr           BYTEA,
    encrypted_key BYTEA  NOT NULL,
    not_after     BIGINT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE requests (
    id                   BIGSERIAL PRIMARY KEY,
    profile              TEXT   NOT NULL,
    csr                  BYTEA  NOT NULL,
    subject              TEXT   NOT NULL,
    sans                 TEXT   NOT NULL,
    spki_sha256          TEXT   NOT NULL,
    requester            TEXT   NOT NULL,
    state                TEXT   NOT NULL CHECK (state IN ('pending', 'issued', 'denied', 'failed')),
    warnings             TEXT   NOT NULL,
    reason               TEXT,
    decided_by           TEXT,
    approved_sans        TEXT,
    retrieval_token_hash TEXT   NOT NULL,
    created_at           BIGINT NOT NULL,
    decided_at           BIGINT
);
CREATE INDEX requests_by_state ON requests (state, id);
CREATE INDEX requests_by_requester ON requests (requester);

-- Every serial that ever reached the signer, issued or not. (ca_id, serial) is never reused.
CREATE TABLE certificates (
    ca_id       BIGINT NOT NULL REFERENCES cas (id),
    serial      TEXT   NOT NULL,
    request_id  BIGINT NOT NULL REFERENCES requests (id),
    status      TEXT   NOT NULL CHECK (status IN ('reserved', 'issued', 'abandoned')),
    tbs         BYTEA  NOT NULL,
    der         BYTEA,
    sha256      TEXT,
    spki_sha256 TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    sans        TEXT   NOT NULL,
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    is_test     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (ca_id, serial)
);
-- At most one live (reserved or issued) certificate per request: approving twice is refused
-- before anything is signed.
CREATE UNIQUE INDEX certificates_one_live_per_request ON certificates (request_id) WHERE status <> 'abandoned';
CREATE INDEX certificates_by_sha256 ON certificates (sha256);
CREATE INDEX certificates_by_spki ON certificates (spki_sha256, is_test);
CREATE INDEX certificates_by_not_after ON certificates (not_after);

CREATE TABLE tokens (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT   NOT NULL,
    hash       TEXT   NOT NULL UNIQUE,
    roles      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    target    TEXT   NOT NULL,
    details   TEXT   NOT NULL,
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
