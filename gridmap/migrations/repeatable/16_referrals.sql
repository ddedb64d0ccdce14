-- Repeatable: 转办 to a 联动单位 (migration 0025). A referral is written when the center sends
-- it, of an open case, to a department still in use; the department's reply is written once.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION referral_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    closed timestamptz;
    dept department;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '转办记录是历史记录，不能删除' USING ERRCODE = 'GM409';
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT closed_at INTO closed FROM incident x
         WHERE x.street_code = NEW.street_code AND x.id = NEW.incident_id;
        IF closed IS NOT NULL THEN
            RAISE EXCEPTION '案件已于 % 办结，不能再转办', gm_local(closed)::date
                USING ERRCODE = 'GM400';
        END IF;
        SELECT * INTO dept FROM department d
         WHERE d.street_code = NEW.street_code AND d.code = NEW.department_code;
        IF FOUND AND NOT dept.active THEN
            RAISE EXCEPTION '联动单位「%」已停用，不能再转办', dept.name USING ERRCODE = 'GM400';
        END IF;
        IF NEW.at < now() - interval '1 minute' OR NEW.at > clock_timestamp() + interval '1 minute'
        THEN
            RAISE EXCEPTION '转办时间只能是转办的当时' USING ERRCODE = 'GM400';
        END IF;
        IF NEW.replied_at IS NOT NULL THEN
            RAISE EXCEPTION '新的转办还没有答复' USING ERRCODE = 'GM400';
        END IF;
        PERFORM gm_refuse_absent(NEW.street_code, NEW.by_person, NEW.at);
        RETURN NEW;
    END IF;
    IF OLD.replied_at IS NOT NULL THEN
        RAISE EXCEPTION '该转办已于 % 答复并退回，答复不能修改',
            gm_local(OLD.replied_at)::timestamp(0) USING ERRCODE = 'GM409';
    END IF;
    IF (NEW.street_code, NEW.id, NEW.incident_id, NEW.department_code, NEW.at, NEW.by_person,
        NEW.by_account, NEW.note, NEW.reply_by) IS DISTINCT FROM
       (OLD.street_code, OLD.id, OLD.incident_id, OLD.department_code, OLD.at, OLD.by_person,
        OLD.by_account, OLD.note, OLD.reply_by) THEN
        RAISE EXCEPTION '转办记录只能补记答复，其余不能修改' USING ERRCODE = 'GM409';
    END IF;
    IF NEW.replied_at IS NOT NULL THEN
        -- the reply is the department's own: an account of that department, in use
        IF NOT EXISTS (SELECT FROM account a WHERE a.id = NEW.replied_by
                          AND a.street_code = NEW.street_code AND a.role = 'department'
                          AND a.department_code = NEW.department_code
                          AND a.disabled_at IS NULL) THEN
            RAISE EXCEPTION '只有被转办的联动单位本身可以答复' USING ERRCODE = 'GM403';
        END IF;
        NEW.replied_at := now();
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS referral_guard ON incident_referral;
CREATE TRIGGER referral_guard BEFORE INSERT OR UPDATE OR DELETE ON incident_referral
    FOR EACH ROW EXECUTE FUNCTION referral_guard();
