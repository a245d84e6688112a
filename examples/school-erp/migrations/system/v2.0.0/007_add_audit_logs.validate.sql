-- Every audit entry names its action and the kind of record it touched.
SELECT COUNT(*) = 0 FROM audit_logs WHERE action = '' OR entity_type = '';
