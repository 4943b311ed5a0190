-- The DPoP key (RFC 9449 thumbprint) a grant's tokens were first issued to: a public client's
-- refresh tokens stay bound to it. Kept in step with migrations/postgres.
ALTER TABLE grants ADD COLUMN dpop_jkt TEXT;
