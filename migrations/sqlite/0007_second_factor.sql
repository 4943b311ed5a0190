-- A resident's second factor: a TOTP secret (sealed with a key derived from the keys
-- directory, never in clear) with the last step used (no replay), and single-use recovery
-- codes stored as SHA-256 digests. Kept in step with migrations/postgres.
CREATE TABLE totp_credentials (
    user_id     TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    last_step   BIGINT,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT totp_credentials_pkey PRIMARY KEY (user_id),
    CONSTRAINT totp_credentials_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE recovery_codes (
    user_id     TEXT    NOT NULL,
    digest      TEXT    NOT NULL,
    used_at     BIGINT,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, digest),
    CONSTRAINT recovery_codes_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
