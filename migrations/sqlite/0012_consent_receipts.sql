-- Every consent given or withdrawn yields a receipt (Kantara Consent Receipt v1.1, as a signed
-- JWT), kept for the resident to download and for any partner to verify against our JWKS.
CREATE TABLE consent_receipts (
    id          TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    jwt         TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT consent_receipts_pkey PRIMARY KEY (id),
    CONSTRAINT consent_receipts_kind_check CHECK (kind IN ('given', 'withdrawn')),
    CONSTRAINT consent_receipts_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX consent_receipts_user_idx ON consent_receipts (user_id, client_id, created_at);
