-- When each resident last signed in, and when they were told their inactive account would be
-- deleted: accounts unused for years are warned, then purged (GDPR storage limitation). An
-- account without a row has been inactive since it was made.
CREATE TABLE account_activity (
    user_id         TEXT    NOT NULL,
    last_active_at  BIGINT  NOT NULL,
    warned_at       BIGINT,
    CONSTRAINT account_activity_pkey PRIMARY KEY (user_id),
    CONSTRAINT account_activity_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
