-- The core of the provider: partners, residents, clients, grants, refresh tokens, consents.
-- Timestamps are Unix seconds; lists are JSON arrays in TEXT, so SQLite and PostgreSQL share
-- every query. Kept in step with migrations/sqlite/0001_core.sql by a test.

-- The Métropole and its communes. Every client belongs to exactly one partner, which is also
-- the sector of its pairwise subject identifiers.
CREATE TABLE partners (
    id          TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    insee_code  TEXT,
    kind        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT partners_pkey PRIMARY KEY (id),
    CONSTRAINT partners_name_key UNIQUE (name),
    CONSTRAINT partners_insee_code_key UNIQUE (insee_code),
    CONSTRAINT partners_kind_check CHECK (kind IN ('metropole', 'commune'))
);

-- The Métropole exists from the first start: clients registered without a partner are its own.
INSERT INTO partners (id, name, insee_code, kind, created_at)
VALUES ('metropole-de-lyon', 'Métropole de Lyon', NULL, 'metropole', 0);

-- Residents. The email is stored lower-cased; the password only as an argon2id PHC string.
CREATE TABLE users (
    id                     TEXT    NOT NULL,
    email                  TEXT    NOT NULL,
    email_verified         BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash          TEXT,
    given_name             TEXT,
    family_name            TEXT,
    preferred_username     TEXT,
    birthdate              TEXT,
    gender                 TEXT,
    locale                 TEXT,
    phone_number           TEXT,
    phone_number_verified  BOOLEAN NOT NULL DEFAULT FALSE,
    address                TEXT,
    disabled               BOOLEAN NOT NULL DEFAULT FALSE,
    created_at             BIGINT  NOT NULL,
    updated_at             BIGINT  NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email)
);

-- Relying parties. The secret only as a SHA-256 digest of a 256-bit random value.
CREATE TABLE clients (
    id                         TEXT    NOT NULL,
    partner_id                 TEXT    NOT NULL,
    name                       TEXT    NOT NULL,
    secret_digest              TEXT,
    auth_method                TEXT    NOT NULL,
    redirect_uris              TEXT    NOT NULL,
    post_logout_redirect_uris  TEXT    NOT NULL DEFAULT '[]',
    backchannel_logout_uri     TEXT,
    grant_types                TEXT    NOT NULL,
    scopes                     TEXT    NOT NULL,
    resources                  TEXT    NOT NULL DEFAULT '[]',
    subject_type               TEXT    NOT NULL,
    id_token_alg               TEXT    NOT NULL,
    require_pkce               BOOLEAN NOT NULL,
    rotate_refresh_tokens      BOOLEAN NOT NULL DEFAULT TRUE,
    refresh_grace_seconds      BIGINT  NOT NULL DEFAULT 0,
    created_at                 BIGINT  NOT NULL,
    CONSTRAINT clients_pkey PRIMARY KEY (id),
    CONSTRAINT clients_partner_fkey FOREIGN KEY (partner_id) REFERENCES partners (id),
    CONSTRAINT clients_subject_type_check CHECK (subject_type IN ('public', 'pairwise'))
);
CREATE INDEX clients_partner_idx ON clients (partner_id);

-- One resident's authorization of one client, from a code redemption; refresh tokens and
-- access tokens hang off it, and revoking it revokes them all.
CREATE TABLE grants (
    id          TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,
    claims      TEXT    NOT NULL DEFAULT '{}',
    resource    TEXT,
    auth_time   BIGINT  NOT NULL,
    acr         TEXT    NOT NULL,
    amr         TEXT    NOT NULL,
    sid         TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT,
    CONSTRAINT grants_pkey PRIMARY KEY (id),
    CONSTRAINT grants_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT grants_client_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
);
CREATE INDEX grants_user_client_idx ON grants (user_id, client_id);
CREATE INDEX grants_client_idx ON grants (client_id);

-- Refresh tokens, by SHA-256 digest only. A rotated token keeps its row (rotated_at set) so
-- that its reuse is recognised and revokes the whole grant.
CREATE TABLE refresh_tokens (
    digest      TEXT    NOT NULL,
    grant_id    TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    rotated_at  BIGINT,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (digest),
    CONSTRAINT refresh_tokens_grant_fkey FOREIGN KEY (grant_id) REFERENCES grants (id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens (grant_id);

-- What a resident agreed to share with a client, until when.
CREATE TABLE consents (
    user_id     TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,
    granted_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    CONSTRAINT consents_pkey PRIMARY KEY (user_id, client_id),
    CONSTRAINT consents_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT consents_client_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
);
