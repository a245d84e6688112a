-- herd:kind schema
-- Teachers, and which teacher teaches in which class (and whether they are
-- its class teacher).
-- This plain file is the SQLite form; PostgreSQL and MySQL use overrides.
CREATE TABLE teachers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    employee_code VARCHAR(30) NOT NULL UNIQUE,
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    email VARCHAR(255) NULL UNIQUE,
    phone VARCHAR(20) NULL,
    subject VARCHAR(100) NULL,
    hired_on DATE NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE class_teachers (
    class_id BIGINT NOT NULL,
    teacher_id BIGINT NOT NULL,
    subject VARCHAR(100) NULL,
    is_class_teacher BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (class_id, teacher_id),
    CONSTRAINT fk_class_teachers_class FOREIGN KEY (class_id)
        REFERENCES classes (id) ON DELETE CASCADE,
    CONSTRAINT fk_class_teachers_teacher FOREIGN KEY (teacher_id)
        REFERENCES teachers (id) ON DELETE CASCADE
);
