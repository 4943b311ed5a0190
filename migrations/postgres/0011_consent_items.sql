-- What each client declares, per scope it may request beyond its registration's defaults: the
-- purpose, how long it keeps the data, and whether its service cannot work without it.
CREATE TABLE client_purposes (
    client_id   TEXT     NOT NULL,
    scope       TEXT     NOT NULL,
    purpose     TEXT     NOT NULL,
    retention   TEXT     NOT NULL,
    essential   BOOLEAN  NOT NULL DEFAULT FALSE,
    CONSTRAINT client_purposes_pkey PRIMARY KEY (client_id, scope),
    CONSTRAINT client_purposes_client_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
);

-- Consent per piece of data: each resident × client × item (a claim of the catalogue, or an
-- API's scope) with the resident's decision, the purpose it was given for, the privacy policy's
-- version, when, and until when. It replaces the per-client list of scopes: residents are asked
-- once more, item by item.
CREATE TABLE consent_items (
    user_id         TEXT     NOT NULL,
    client_id       TEXT     NOT NULL,
    item            TEXT     NOT NULL,
    granted         BOOLEAN  NOT NULL,
    purpose         TEXT     NOT NULL,
    policy_version  TEXT     NOT NULL,
    decided_at      BIGINT   NOT NULL,
    expires_at      BIGINT   NOT NULL,
    CONSTRAINT consent_items_pkey PRIMARY KEY (user_id, client_id, item),
    CONSTRAINT consent_items_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT consent_items_client_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
);
CREATE INDEX consent_items_client_idx ON consent_items (client_id);

DROP TABLE consents;
