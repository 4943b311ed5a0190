-- OpenID Connect Front-Channel Logout 1.0: the page a client wants loaded in an iframe when the
-- resident logs out (with iss and sid). Kept in step with migrations/postgres.
ALTER TABLE clients ADD COLUMN frontchannel_logout_uri TEXT;
