-- Registration metadata beyond the columns the provider queries on (request objects, PAR,
-- pairwise sector, display URIs, contacts...), one JSON object read into a typed struct.
-- Dynamically registered clients (RFC 7591/7592): the digest of their registration access
-- token, and the initial access tokens an administrator issues to allow a registration.
-- Kept in step with migrations/sqlite.
ALTER TABLE clients ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE clients ADD COLUMN registration_token_digest TEXT;

CREATE TABLE initial_access_tokens (
    digest      TEXT    NOT NULL,
    partner_id  TEXT    NOT NULL,
    uses_left   BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT initial_access_tokens_pkey PRIMARY KEY (digest),
    CONSTRAINT initial_access_tokens_partner_fkey FOREIGN KEY (partner_id) REFERENCES partners (id) ON DELETE CASCADE
);
