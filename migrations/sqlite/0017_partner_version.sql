-- Each change of a partner bumps its version: the admin API's ETag, so an update made on a
-- stale copy (If-Match with an older version) is refused instead of silently overwriting
-- another administrator's change.
ALTER TABLE partners ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
