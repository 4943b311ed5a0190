-- Each change of a client bumps its version: the admin API's ETag, so an update made on a
-- stale copy is refused. A rotated secret may stay valid for a while beside the new one (the
-- administrator sets until when), so an application can switch without going down; only its
-- digest is kept, as for the current secret.
ALTER TABLE clients ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE client_previous_secrets (
    client_id       TEXT    NOT NULL,
    secret_digest   TEXT    NOT NULL,
    expires_at      BIGINT  NOT NULL,
    CONSTRAINT client_previous_secrets_pkey PRIMARY KEY (client_id),
    CONSTRAINT client_previous_secrets_client_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
);
