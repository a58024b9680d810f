-- Revocation (RFC 5280 §5.3): a certificate stays 'issued' and carries its revocation, if any.
-- crl_shard is the CRL partition its distribution point names (NULL: the CA's full CRL), fixed at
-- issuance. revocation_version orders revocation changes per CA: each revocation or release of a
-- hold raises cas.revocation_version and stamps the certificate with it, so a CRL knows whether a
-- change came after the entries it was made from.
ALTER TABLE certificates ADD COLUMN crl_shard BIGINT;
ALTER TABLE certificates ADD COLUMN revoked_at BIGINT;
ALTER TABLE certificates ADD COLUMN revocation_reason TEXT CHECK (revocation_reason IN
    ('unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
     'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn'));
ALTER TABLE certificates ADD COLUMN invalidity_date BIGINT;
ALTER TABLE certificates ADD COLUMN revoked_by TEXT;
ALTER TABLE certificates ADD COLUMN revocation_version BIGINT;
-- A CRL's entries: only revoked certificates are indexed, by CA and partition, with every
-- column a CRL entry needs, so a CRL is read from the index alone (a partition's entries are
-- spread over the whole table).
CREATE INDEX certificates_revoked ON certificates
    (ca_id, crl_shard, not_after, serial, revoked_at, revocation_reason, invalidity_date)
    WHERE revoked_at IS NOT NULL;
-- Which partitions changed since a CRL was made.
CREATE INDEX certificates_revocation_changes ON certificates (ca_id, revocation_version)
    WHERE revocation_version IS NOT NULL;

ALTER TABLE cas ADD COLUMN revocation_version BIGINT NOT NULL DEFAULT 0;
-- The last CRL number the CA handed out (any scope); numbers only grow.
ALTER TABLE cas ADD COLUMN crl_number BIGINT NOT NULL DEFAULT 0;

-- The current CRL of each CA and scope (shard -1: the full CRL).
CREATE TABLE crls (
    ca_id          BIGINT NOT NULL REFERENCES cas (id),
    shard          BIGINT NOT NULL CHECK (shard >= -1),
    number         BIGINT NOT NULL,
    this_update    BIGINT NOT NULL,
    next_update    BIGINT NOT NULL,
    entries        BIGINT NOT NULL,
    sha256         TEXT   NOT NULL,
    source_version BIGINT NOT NULL,
    der            BYTEA  NOT NULL,
    PRIMARY KEY (ca_id, shard)
);
