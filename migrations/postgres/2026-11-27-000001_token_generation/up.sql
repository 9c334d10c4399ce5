-- Access tokens carry the user's token generation; logout, a password change or reset and a
-- reused refresh token raise it, so access tokens issued before stop working at once.
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
