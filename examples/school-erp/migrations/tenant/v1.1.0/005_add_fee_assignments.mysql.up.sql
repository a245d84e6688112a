-- herd:kind schema
-- Fee assignments: which fee (a fee_code of the system database's
-- fee_configurations) each student owes for an academic year, and how much.
CREATE TABLE fee_assignments (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    student_id BIGINT NOT NULL,
    fee_code VARCHAR(50) NOT NULL,
    academic_year VARCHAR(9) NOT NULL,
    amount DECIMAL(12, 2) NOT NULL CHECK (amount >= 0),
    discount DECIMAL(12, 2) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    due_date DATE NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'partial', 'paid', 'waived')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_fee_assignments_fee UNIQUE (student_id, fee_code, academic_year),
    CONSTRAINT fk_fee_assignments_student FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
