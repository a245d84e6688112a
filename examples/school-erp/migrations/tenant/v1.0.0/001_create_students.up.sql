-- herd:kind schema
-- Students of the trust's schools. Which class a student is in, year by
-- year, is recorded by 002_create_classes (class_enrollments).
-- This plain file is the SQLite form; PostgreSQL and MySQL use the
-- .postgres/.mysql overrides, which differ only in the identity column.
CREATE TABLE students (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    admission_no VARCHAR(30) NOT NULL UNIQUE,
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    date_of_birth DATE NULL,
    guardian_name VARCHAR(200) NULL,
    guardian_phone VARCHAR(20) NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'graduated', 'transferred', 'withdrawn')),
    admitted_on DATE NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
