-- no-transaction
-- FranceConnect federation (engine-specific: the users table is rebuilt here, altered there). Kept in step with migrations/postgres.
--
-- An account made from a FranceConnect identity has no password, and its address is a contact
-- address, not an identifier: spouses and carers share one. So the address is unique only among
-- accounts that sign in with it (those with a password). SQLite cannot drop a constraint: the
-- users table is rebuilt, with foreign keys off so that no child row is touched.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_rebuilt (
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
    CONSTRAINT users_pkey PRIMARY KEY (id)
);
INSERT INTO users_rebuilt (id, email, email_verified, password_hash, given_name, family_name, preferred_username,
    birthdate, gender, locale, phone_number, phone_number_verified, address, disabled, created_at, updated_at)
SELECT id, email, email_verified, password_hash, given_name, family_name, preferred_username,
    birthdate, gender, locale, phone_number, phone_number_verified, address, disabled, created_at, updated_at
FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE UNIQUE INDEX users_login_email_key ON users (email) WHERE password_hash IS NOT NULL;

-- A FranceConnect identity linked to an account: keyed on the platform (fc, fcplus) and FC's
-- pairwise sub, never on the email.
CREATE TABLE federated_identities (
    platform       TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    linked_at      BIGINT  NOT NULL,
    last_login_at  BIGINT  NOT NULL,
    CONSTRAINT federated_identities_pkey PRIMARY KEY (platform, subject),
    CONSTRAINT federated_identities_user_key UNIQUE (user_id, platform),
    CONSTRAINT federated_identities_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- The identity FranceConnect certified for an account, as received at the last FC login, with
-- its provenance (platform, acr, the identity provider, when). Birth identity apart from usage
-- identity; `birthdate` may be presumed (01 for an unknown day or month), `idp_birthdate` is
-- as the identity provider gave it; `birthplace` is empty for people born abroad.
CREATE TABLE certified_identities (
    user_id            TEXT    NOT NULL,
    platform           TEXT    NOT NULL,
    family_name        TEXT    NOT NULL,
    given_name         TEXT    NOT NULL,
    given_name_array   TEXT,
    birthdate          TEXT,
    idp_birthdate      TEXT,
    gender             TEXT,
    birthplace         TEXT,
    birthcountry       TEXT,
    preferred_username TEXT,
    email              TEXT,
    acr                TEXT    NOT NULL,
    idp_id             TEXT,
    verified_at        BIGINT  NOT NULL,
    CONSTRAINT certified_identities_pkey PRIMARY KEY (user_id),
    CONSTRAINT certified_identities_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
COMMIT;
PRAGMA foreign_keys = ON;
