-- herd:kind schema
-- Classes (grade and section per academic year) and class_enrollments,
-- which places each student in a class for that year.
CREATE TABLE classes (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(50) NOT NULL,
    section VARCHAR(10) NOT NULL DEFAULT 'A',
    academic_year VARCHAR(9) NOT NULL,
    room VARCHAR(20) NULL,
    capacity INTEGER NOT NULL DEFAULT 40 CHECK (capacity > 0),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_classes_name UNIQUE (academic_year, name, section)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE class_enrollments (
    class_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    roll_no INTEGER NULL,
    enrolled_on DATE NULL,
    PRIMARY KEY (class_id, student_id),
    CONSTRAINT fk_class_enrollments_class FOREIGN KEY (class_id)
        REFERENCES classes (id) ON DELETE CASCADE,
    CONSTRAINT fk_class_enrollments_student FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
