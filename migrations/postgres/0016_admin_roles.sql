-- Administrators are GrandLyon Connect accounts with a role: the Métropole's administrator
-- (everything), a commune's administrator (`partner_id`: that commune's clients, consent
-- statistics and fees only), a help-desk agent (look up and assist residents), an auditor (read
-- the journal). One row per account and role; `granted_by` names who granted it (an account id,
-- or `operator` for the command line that bootstraps the first administrator).
CREATE TABLE admin_roles (
    user_id     TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    partner_id  TEXT,
    granted_at  BIGINT  NOT NULL,
    granted_by  TEXT    NOT NULL,
    CONSTRAINT admin_roles_pkey PRIMARY KEY (user_id, role),
    CONSTRAINT admin_roles_role_check CHECK (role IN ('metropole_admin', 'commune_admin', 'helpdesk', 'auditor')),
    CONSTRAINT admin_roles_partner_check CHECK ((role = 'commune_admin') = (partner_id IS NOT NULL)),
    CONSTRAINT admin_roles_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT admin_roles_partner_fkey FOREIGN KEY (partner_id) REFERENCES partners (id) ON DELETE CASCADE
);
