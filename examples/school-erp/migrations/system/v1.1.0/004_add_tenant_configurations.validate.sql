-- Every configuration row names a key and belongs to an existing trust.
SELECT COUNT(*) = 0
FROM tenant_configurations c
LEFT JOIN trusts t ON t.id = c.trust_id
WHERE t.id IS NULL OR c.config_key = '';
