-- Reverses 002_create_system_users.
DROP TABLE system_users;
