-- The configuration in force is recorded in the audit log (action 'config.change'); each start
-- compares its configuration with the newest such entry, found through this index.
CREATE INDEX audit_log_config_changes ON audit_log (seq) WHERE action = 'config.change';
