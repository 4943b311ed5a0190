-- A partner may declare several of its services as serving one purpose (a service group): a
-- resident's consent to one of them holds for all, and the consent page names them all.
CREATE TABLE service_groups (
    id          TEXT    NOT NULL,
    partner_id  TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT service_groups_pkey PRIMARY KEY (id),
    CONSTRAINT service_groups_partner_fkey FOREIGN KEY (partner_id) REFERENCES partners (id) ON DELETE CASCADE
);

CREATE TABLE service_group_members (
    client_id   TEXT    NOT NULL,
    group_id    TEXT    NOT NULL,
    CONSTRAINT service_group_members_pkey PRIMARY KEY (client_id),
    CONSTRAINT service_group_members_client_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE,
    CONSTRAINT service_group_members_group_fkey FOREIGN KEY (group_id) REFERENCES service_groups (id) ON DELETE CASCADE
);
CREATE INDEX service_group_members_group_idx ON service_group_members (group_id);

-- Pairwise subjects keep partners from linking a resident. A partner (`partner_id`) may declare
-- why it needs to know that a resident is the same person as at another (`source_partner_id`);
-- its services may then ask the resident (scope `link:{source_partner_id}`), and the answer is
-- a consent like any other, visible and withdrawable.
CREATE TABLE partner_links (
    partner_id          TEXT    NOT NULL,
    source_partner_id   TEXT    NOT NULL,
    purpose             TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    CONSTRAINT partner_links_pkey PRIMARY KEY (partner_id, source_partner_id),
    CONSTRAINT partner_links_partner_fkey FOREIGN KEY (partner_id) REFERENCES partners (id) ON DELETE CASCADE,
    CONSTRAINT partner_links_source_fkey FOREIGN KEY (source_partner_id) REFERENCES partners (id) ON DELETE CASCADE
);
