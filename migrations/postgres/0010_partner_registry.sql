-- The partner registry of the partnership agreement: population, offer (global or restricted,
-- without the GRU tool), pilot flag, the date it joined and its contacts; and each partner's
-- APIs, the resource servers (RFC 8707) whose tokens are bound to it.
ALTER TABLE partners ADD COLUMN population BIGINT;
ALTER TABLE partners ADD COLUMN offer TEXT NOT NULL DEFAULT 'global' CONSTRAINT partners_offer_check CHECK (offer IN ('global', 'restricted'));
ALTER TABLE partners ADD COLUMN pilot BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE partners ADD COLUMN joined_on TEXT;
ALTER TABLE partners ADD COLUMN contacts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE partners ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE resource_servers (
    uri         TEXT    NOT NULL,
    partner_id  TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT resource_servers_pkey PRIMARY KEY (uri),
    CONSTRAINT resource_servers_partner_fkey FOREIGN KEY (partner_id) REFERENCES partners (id) ON DELETE CASCADE
);
CREATE INDEX resource_servers_partner_idx ON resource_servers (partner_id);
