-- Where a private_key_jwt client publishes its public keys, instead of registering them
-- inline (fetched with a timeout, a size limit and an SSRF guard, cached, refetched on an
-- unknown kid). Kept in step with migrations/postgres.
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
