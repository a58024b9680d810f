-- Raised by a completion sent in one round trip with the audit entries and COMMIT behind it,
-- when it changed nothing (the request was settled meanwhile). Being an error, it aborts the
-- transaction, so that COMMIT cannot commit the rest of the batch with an audit entry for a
-- change that did not happen; the writer then runs the batch the slower way, which says why.
CREATE FUNCTION signet_refused() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'refused' USING ERRCODE = 'SG001';
END;
$$;
