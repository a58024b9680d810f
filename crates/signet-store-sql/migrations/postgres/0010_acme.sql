-- ACME state (RFC 8555): server secrets, redeemed nonces, accounts, External Account Binding
-- keys, authorizations (their challenges as a JSON array) and orders. Timestamps are Unix seconds.
CREATE TABLE acme_secrets (
    name       TEXT   PRIMARY KEY,
    value      BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);

-- A nonce is redeemed by inserting it: the primary key refuses a second redemption.
CREATE TABLE acme_nonces (
    nonce      TEXT   PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX acme_nonces_by_expiry ON acme_nonces (expires_at);

CREATE TABLE acme_accounts (
    id         BIGSERIAL PRIMARY KEY,
    thumbprint TEXT    NOT NULL UNIQUE,
    jwk        TEXT    NOT NULL,
    contact    TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('valid', 'deactivated', 'revoked')),
    eab_key_id TEXT    UNIQUE,
    created_at BIGINT  NOT NULL
);

-- Only the SHA-256 of a MAC key is stored; the key is derived from the CA passphrase.
CREATE TABLE acme_eab_keys (
    key_id     TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL,
    profile    TEXT,
    key_sha256 TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE acme_authorizations (
    id              BIGSERIAL PRIMARY KEY,
    account_id      BIGINT  NOT NULL REFERENCES acme_accounts (id),
    identifier_type TEXT    NOT NULL CHECK (identifier_type IN ('dns', 'ip')),
    identifier      TEXT    NOT NULL,
    wildcard        BIGINT  NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),
    expires_at      BIGINT  NOT NULL,
    challenges      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX acme_authorizations_reusable ON acme_authorizations (account_id, identifier, identifier_type)
    WHERE status = 'valid';

CREATE TABLE acme_orders (
    id             BIGSERIAL PRIMARY KEY,
    account_id     BIGINT  NOT NULL REFERENCES acme_accounts (id),
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'ready', 'processing', 'valid', 'invalid')),
    profile        TEXT    NOT NULL,
    identifiers    TEXT    NOT NULL,
    authorizations TEXT    NOT NULL,
    not_before     BIGINT,
    not_after      BIGINT,
    expires_at     BIGINT  NOT NULL,
    request_id     BIGINT  REFERENCES requests (id),
    error          TEXT,
    replaces       TEXT,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX acme_orders_by_account ON acme_orders (account_id, created_at);
CREATE UNIQUE INDEX acme_orders_by_request ON acme_orders (request_id) WHERE request_id IS NOT NULL;
