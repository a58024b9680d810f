-- Alternate certificates for a CA's own key (cross-certificates, root rollovers): same subject and
-- public key as the CA's primary certificate in `cas`, issued by another CA. Each gives issued
-- certificates a further chain (RFC 8555 §7.4.2 alternate chains). `chain` is a JSON array of the
-- hex DER of an outside issuer's certificates (issuer first, no self-signed root); `issuer_ca`
-- names the local CA that cross-signed it.
CREATE TABLE ca_alternates (
    id          BIGSERIAL PRIMARY KEY,
    ca_id       BIGINT NOT NULL REFERENCES cas (id),
    certificate BYTEA  NOT NULL,
    sha256      TEXT   NOT NULL,
    issuer_ca   TEXT,
    chain       TEXT   NOT NULL,
    not_after   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX ca_alternates_once_per_ca ON ca_alternates (ca_id, sha256);
