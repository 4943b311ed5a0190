-- A resident's passkeys (WebAuthn credentials). `credential_id` is the authenticator's
-- credential id (base64url), unique across all accounts; `passkey` is webauthn-rs's
-- serialised credential (public key, counter, flags: nothing secret). Kept in step with
-- migrations/sqlite.
CREATE TABLE passkeys (
    id             TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    credential_id  TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    passkey        TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    last_used_at   BIGINT,
    CONSTRAINT passkeys_pkey PRIMARY KEY (id),
    CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id),
    CONSTRAINT passkeys_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX passkeys_user_idx ON passkeys (user_id);
