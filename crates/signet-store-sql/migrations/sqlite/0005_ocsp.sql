-- Pre-signed OCSP responses (RFC 5019). ocsp_due says when a certificate's response must be
-- (re)made, lowest first: -1 after a revocation or release, 0 for a new certificate, its refresh
-- time after one was made, the largest BIGINT once no further one is needed (it expires first).
ALTER TABLE certificates ADD COLUMN ocsp_due BIGINT NOT NULL DEFAULT 0;
CREATE INDEX certificates_ocsp_due ON certificates (ca_id, ocsp_due) WHERE status = 'issued';

-- The current response for each certificate (SHA-1 CertID), as served.
CREATE TABLE ocsp_responses (
    ca_id       BIGINT NOT NULL,
    serial      TEXT   NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    der         BLOB   NOT NULL,
    PRIMARY KEY (ca_id, serial),
    FOREIGN KEY (ca_id, serial) REFERENCES certificates (ca_id, serial)
);
-- Front ends ask what changed since they last looked.
CREATE INDEX ocsp_responses_by_time ON ocsp_responses (this_update);

-- Delegated OCSP responders: certificates signet issued to itself (recorded in certificates like
-- any other), with their keys sealed as CA keys are.
CREATE TABLE ocsp_responders (
    ca_id         BIGINT NOT NULL,
    serial        TEXT   NOT NULL,
    certificate   BLOB   NOT NULL,
    encrypted_key BLOB   NOT NULL,
    not_after     BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (ca_id, serial),
    FOREIGN KEY (ca_id, serial) REFERENCES certificates (ca_id, serial)
);
