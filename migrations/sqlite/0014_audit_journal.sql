-- The audit journal: append-only, each entry chained to the one before by a SHA-256 hash over
-- its content and the previous hash, so a rewritten or removed row breaks the chain. `seq` is
-- the primary key: two instances appending at once cannot both take the same place, the loser
-- reads the new head and tries again, so the chain never forks. Residents are named by a
-- pseudonym (`journal_pseudonyms`), not by their account id: deleting an account removes the
-- link from pseudonym to person and leaves the chain whole.
CREATE TABLE audit_journal (
    seq         BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    subject     TEXT,
    client_id   TEXT,
    partner_id  TEXT,
    reason      TEXT,
    origin      TEXT,
    details     TEXT    NOT NULL DEFAULT '{}',
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    CONSTRAINT audit_journal_pkey PRIMARY KEY (seq)
);
CREATE INDEX audit_journal_action_idx ON audit_journal (action, at);
CREATE INDEX audit_journal_client_idx ON audit_journal (client_id, action);

CREATE TABLE journal_pseudonyms (
    user_id     TEXT    NOT NULL,
    pseudonym   TEXT    NOT NULL,
    CONSTRAINT journal_pseudonyms_pkey PRIMARY KEY (user_id),
    CONSTRAINT journal_pseudonyms_pseudonym_key UNIQUE (pseudonym),
    CONSTRAINT journal_pseudonyms_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
