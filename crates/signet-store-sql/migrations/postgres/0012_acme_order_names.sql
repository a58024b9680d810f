-- Each identifier of each ACME order, indexed, so the per-name rate limit (acme.orders_per_name_per_week)
-- counts a name's recent orders with an index lookup instead of reading every order of the week.
CREATE TABLE acme_order_names (
    order_id        BIGINT NOT NULL REFERENCES acme_orders (id),
    identifier_type TEXT   NOT NULL,
    identifier      TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX acme_order_names_by_name ON acme_order_names (identifier, identifier_type, created_at);
INSERT INTO acme_order_names (order_id, identifier_type, identifier, created_at)
    SELECT o.id, i ->> 'type', i ->> 'value', o.created_at
    FROM acme_orders o, json_array_elements(o.identifiers::json) i;
