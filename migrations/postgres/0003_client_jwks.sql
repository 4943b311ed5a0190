-- The public JWK set a private_key_jwt client signs its assertions with (RFC 7523).
-- Kept in step with migrations/postgres.
ALTER TABLE clients ADD COLUMN jwks TEXT;
