DROP TABLE audit_log;
DROP TABLE members;
DROP TABLE households;
DROP TABLE divisions;
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE users;
