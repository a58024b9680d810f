-- Raised by the audit write when the audit head is no longer where the writer chained from
-- (another front end appended first). It is an error, not an empty result, so that the
-- transaction cannot commit its changes without their audit entries even when its COMMIT was
-- already sent behind the write; SQLSTATE 40001 tells the writer to run the batch again.
CREATE FUNCTION signet_audit_head_moved() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'the audit head moved' USING ERRCODE = '40001';
END;
$$;
