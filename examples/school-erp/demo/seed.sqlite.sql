-- Sample data for one school trust's tenant database at tenant schema
-- v1.0.0, loaded by `herd demo`. {{code}} is the trust code and {{n}} the
-- trust's number in the demo fleet (1, 2, ...), so every trust gets its
-- own admission numbers, staff codes and rooms.
-- The statements use no engine-specific SQL and no explicit ids.

INSERT INTO classes (name, section, academic_year, room, capacity) VALUES ('Grade 5', 'A', '2024-2025', 'R{{n}}-05A', 35);
INSERT INTO classes (name, section, academic_year, room, capacity) VALUES ('Grade 5', 'B', '2024-2025', 'R{{n}}-05B', 35);
INSERT INTO classes (name, section, academic_year, room, capacity) VALUES ('Grade 6', 'A', '2024-2025', 'R{{n}}-06A', 40);

INSERT INTO teachers (employee_code, first_name, last_name, email, phone, subject, hired_on) VALUES ('{{code}}-T001', 'Anita', 'Desai', 'anita.desai@{{code}}.school.example', '+91-98450-10001', 'Mathematics', '2015-06-01');
INSERT INTO teachers (employee_code, first_name, last_name, email, phone, subject, hired_on) VALUES ('{{code}}-T002', 'Rahul', 'Menon', 'rahul.menon@{{code}}.school.example', '+91-98450-10002', 'Science', '2018-06-01');
INSERT INTO teachers (employee_code, first_name, last_name, email, phone, subject, hired_on) VALUES ('{{code}}-T003', 'Farah', 'Khan', 'farah.khan@{{code}}.school.example', '+91-98450-10003', 'English', '2020-07-15');
INSERT INTO teachers (employee_code, first_name, last_name, email, phone, subject, hired_on, is_active) VALUES ('{{code}}-T004', 'Joseph', 'Mathew', 'joseph.mathew@{{code}}.school.example', '+91-98450-10004', 'History', '2009-06-01', FALSE);

INSERT INTO class_teachers (class_id, teacher_id, subject, is_class_teacher) SELECT c.id, t.id, 'Mathematics', TRUE FROM classes c, teachers t WHERE c.name = 'Grade 5' AND c.section = 'A' AND t.employee_code = '{{code}}-T001';
INSERT INTO class_teachers (class_id, teacher_id, subject, is_class_teacher) SELECT c.id, t.id, 'Science', TRUE FROM classes c, teachers t WHERE c.name = 'Grade 5' AND c.section = 'B' AND t.employee_code = '{{code}}-T002';
INSERT INTO class_teachers (class_id, teacher_id, subject, is_class_teacher) SELECT c.id, t.id, 'English', TRUE FROM classes c, teachers t WHERE c.name = 'Grade 6' AND c.section = 'A' AND t.employee_code = '{{code}}-T003';
INSERT INTO class_teachers (class_id, teacher_id, subject, is_class_teacher) SELECT c.id, t.id, 'Mathematics', FALSE FROM classes c, teachers t WHERE c.name = 'Grade 6' AND c.section = 'A' AND t.employee_code = '{{code}}-T001';
INSERT INTO class_teachers (class_id, teacher_id, subject, is_class_teacher) SELECT c.id, t.id, 'English', FALSE FROM classes c, teachers t WHERE c.name = 'Grade 5' AND t.employee_code = '{{code}}-T003';

INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2019-001', 'Aarav', 'Sharma', '2014-03-12', 'Vikram Sharma', '+91-90000-00101', '2019-06-03');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2019-002', 'Diya', 'Patel', '2014-07-25', 'Meera Patel', '+91-90000-00102', '2019-06-03');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2019-003', 'Kabir', 'Singh', '2014-01-09', 'Harpreet Singh', '+91-90000-00103', '2019-06-03');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2019-004', 'Ananya', 'Iyer', '2014-11-30', 'Lakshmi Iyer', '+91-90000-00104', '2019-06-04');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2019-005', 'Vihaan', 'Reddy', '2014-05-18', 'Srinivas Reddy', '+91-90000-00105', '2019-06-04');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2019-006', 'Ishita', 'Banerjee', '2014-09-02', 'Sourav Banerjee', '+91-90000-00106', '2019-06-05');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2018-001', 'Arjun', 'Nair', '2013-02-14', 'Suresh Nair', '+91-90000-00107', '2018-06-04');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2018-002', 'Saanvi', 'Gupta', '2013-08-21', 'Neha Gupta', '+91-90000-00108', '2018-06-04');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on) VALUES ('{{code}}-2018-003', 'Reyansh', 'Joshi', '2013-12-05', 'Amit Joshi', '+91-90000-00109', '2018-06-05');
INSERT INTO students (admission_no, first_name, last_name, date_of_birth, guardian_name, guardian_phone, admitted_on, status) VALUES ('{{code}}-2018-004', 'Myra', 'Kapoor', '2013-04-17', 'Rohan Kapoor', '+91-90000-00110', '2018-06-05', 'transferred');

INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 1, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 5' AND c.section = 'A' AND s.admission_no = '{{code}}-2019-001';
INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 2, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 5' AND c.section = 'A' AND s.admission_no = '{{code}}-2019-002';
INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 3, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 5' AND c.section = 'A' AND s.admission_no = '{{code}}-2019-003';
INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 1, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 5' AND c.section = 'B' AND s.admission_no = '{{code}}-2019-004';
INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 2, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 5' AND c.section = 'B' AND s.admission_no = '{{code}}-2019-005';
INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 3, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 5' AND c.section = 'B' AND s.admission_no = '{{code}}-2019-006';
INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 1, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 6' AND c.section = 'A' AND s.admission_no = '{{code}}-2018-001';
INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 2, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 6' AND c.section = 'A' AND s.admission_no = '{{code}}-2018-002';
INSERT INTO class_enrollments (class_id, student_id, roll_no, enrolled_on) SELECT c.id, s.id, 3, '2024-06-03' FROM classes c, students s WHERE c.name = 'Grade 6' AND c.section = 'A' AND s.admission_no = '{{code}}-2018-003';
