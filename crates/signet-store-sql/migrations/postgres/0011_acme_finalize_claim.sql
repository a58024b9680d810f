-- When finalize claimed an ACME order (moved it to processing): a claim older than the lease
-- that still has no certificate request was interrupted, and the order is settled invalid.
ALTER TABLE acme_orders ADD COLUMN processing_since BIGINT;
