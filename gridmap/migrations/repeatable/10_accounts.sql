-- Repeatable: accounts.
-- Accounts are disabled, never deleted; the audit log is never changed.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

-- Accounts are disabled, never deleted: the audit log names them.
CREATE OR REPLACE FUNCTION account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '账号不能删除，只能停用（账号 %）', OLD.username USING ERRCODE = 'GM409';
    END IF;
    IF (NEW.id, NEW.street_code, NEW.username, NEW.person_id, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.street_code, OLD.username, OLD.person_id, OLD.created_at) THEN
        RAISE EXCEPTION '账号的用户名和所属人员创建后不可修改（账号 %）', OLD.username
            USING ERRCODE = 'GM409';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '审计记录不可修改或删除' USING ERRCODE = 'GM409';
END $$;

DROP TRIGGER IF EXISTS account_guard ON account;
CREATE TRIGGER account_guard BEFORE UPDATE OR DELETE ON account
    FOR EACH ROW EXECUTE FUNCTION account_guard();

DROP TRIGGER IF EXISTS audit_log_guard ON audit_log;
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();
