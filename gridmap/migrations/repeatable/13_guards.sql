-- Repeatable: guards on people, accounts, the audit log and a case's follow-up.
-- What a constraint cannot say (it needs another table, or the moment of writing), checked by
-- triggers that refuse the write with a sentence a person understands (gridmap.data.dberrors
-- passes GM4xx messages through as they are).
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

-- The owner's deliberate powers (loading a street's history as it was, the SECURITY DEFINER
-- functions that check their own preconditions) may write the past; the app's role may not.
CREATE OR REPLACE FUNCTION gm_is_owner() RETURNS boolean LANGUAGE sql STABLE
    RETURN (SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c
             WHERE c.oid = 'incident'::regclass);

-- How far back an end may be recorded: a person who left last week is entered today; a
-- period shortened by years would take cases out of the record of who answered for them.
CREATE OR REPLACE FUNCTION gm_backdate_floor() RETURNS timestamptz LANGUAGE sql STABLE
    RETURN now() - interval '7 days';

-- An assignment's area exists, at its role's level, in a published division in force during
-- its period (checked at commit, so that a publish may write its division and its grid
-- members' assignments in either order).
CREATE OR REPLACE FUNCTION assignment_area() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r role;
    level text;
BEGIN
    SELECT * INTO r FROM role WHERE code = NEW.role;
    IF r.scope = 'street' AND NEW.scope_code = NEW.street_code THEN
        RETURN NULL;
    END IF;
    -- The area's table is the role's level (package_area, village, unit or grid).
    IF r.scope <> 'street' AND EXISTS (
           SELECT FROM division d
            WHERE d.street_code = NEW.street_code AND d.status = 'published'
              AND d.valid && NEW.valid
              AND EXISTS (SELECT FROM package_area a WHERE r.scope = 'package_area'
                             AND a.division_id = d.id AND a.code = NEW.scope_code
                          UNION ALL
                          SELECT FROM village a WHERE r.scope = 'village'
                             AND a.division_id = d.id AND a.code = NEW.scope_code
                          UNION ALL
                          SELECT FROM unit a WHERE r.scope = 'unit'
                             AND a.division_id = d.id AND a.code = NEW.scope_code
                          UNION ALL
                          SELECT FROM grid a WHERE r.scope = 'grid'
                             AND a.division_id = d.id AND a.code = NEW.scope_code)) THEN
        RETURN NULL;
    END IF;
    level := CASE r.scope WHEN 'street' THEN '本街道' WHEN 'package_area' THEN '片区'
                          WHEN 'village' THEN '村（社区）' WHEN 'unit' THEN '村民小组（单元）'
                          ELSE '网格' END;
    RAISE EXCEPTION '任职范围「%」不是任职期间生效区划中的%，%只能任职于%', NEW.scope_code,
        level, r.name, level USING ERRCODE = 'GM400';
END $$;

-- An account belongs to a person who is still in post; its sign-outs only move forward and
-- its disabling is dated when it happens.
CREATE OR REPLACE FUNCTION account_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone timestamptz;
BEGIN
    IF NEW.person_id IS NOT NULL THEN
        SELECT left_at INTO gone FROM person
         WHERE street_code = NEW.street_code AND id = NEW.person_id;
        IF gone IS NOT NULL AND gone <= now() THEN
            RAISE EXCEPTION '该人员已于 % 离任，不能再为其开设账号', gm_local(gone)::date
                USING ERRCODE = 'GM400';
        END IF;
    END IF;
    IF NEW.disabled_at IS NOT NULL AND NOT gm_is_owner() THEN
        RAISE EXCEPTION '新账号不能以停用状态创建' USING ERRCODE = 'GM400';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION account_change_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.session_epoch < OLD.session_epoch THEN
        RAISE EXCEPTION '账号的会话代数只能增加：已结束的登录不能恢复' USING ERRCODE = 'GM409';
    END IF;
    IF NEW.disabled_at IS DISTINCT FROM OLD.disabled_at AND NEW.disabled_at IS NOT NULL THEN
        IF OLD.disabled_at IS NOT NULL THEN
            RAISE EXCEPTION '账号 % 已于 % 停用，停用时间不能更改', OLD.username,
                gm_local(OLD.disabled_at)::timestamp(0) USING ERRCODE = 'GM409';
        END IF;
        IF NEW.disabled_at < now() - interval '1 minute'
           OR NEW.disabled_at > clock_timestamp() + interval '1 minute' THEN
            RAISE EXCEPTION '停用时间只能是停用的当时，不能补记或预设' USING ERRCODE = 'GM400';
        END IF;
        IF NEW.session_epoch <= OLD.session_epoch THEN
            RAISE EXCEPTION '停用账号须同时结束其全部登录' USING ERRCODE = 'GM400';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- The audit log says who did it as the account is named, about a case that exists, and only
-- of fields that a party has.
CREATE OR REPLACE FUNCTION audit_log_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    held text;
BEGIN
    IF NEW.account_id IS NOT NULL THEN
        SELECT username INTO held FROM account
         WHERE id = NEW.account_id AND street_code = NEW.street_code;
        IF held IS DISTINCT FROM NEW.username THEN
            RAISE EXCEPTION '审计记录的账号与用户名不符' USING ERRCODE = 'GM400';
        END IF;
    END IF;
    IF NEW.incident_id IS NOT NULL AND NOT EXISTS (
           SELECT FROM incident i WHERE i.street_code = NEW.street_code AND i.id = NEW.incident_id)
    THEN
        RAISE EXCEPTION '审计记录所指的事件 % 不存在', NEW.incident_id USING ERRCODE = 'GM400';
    END IF;
    IF NOT NEW.fields <@ ARRAY['name', 'id_number', 'phone', 'address'] THEN
        RAISE EXCEPTION '审计记录的字段只能是当事人的姓名、身份证号、电话、住址'
            USING ERRCODE = 'GM400';
    END IF;
    IF NEW.at < now() - interval '1 minute' OR NEW.at > clock_timestamp() + interval '1 minute'
    THEN
        RAISE EXCEPTION '审计记录的时间只能是记录的当时' USING ERRCODE = 'GM400';
    END IF;
    RETURN NEW;
END $$;

-- A follow-up (a note, a photo) is of its case's time: not before the case happened, not in
-- the future, and by someone who was in post then.
CREATE OR REPLACE FUNCTION follow_up_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    happened timestamptz;
    gone timestamptz;
BEGIN
    SELECT occurred_at INTO happened FROM incident
     WHERE street_code = NEW.street_code AND id = NEW.incident_id;
    IF NEW.at < happened THEN
        RAISE EXCEPTION '%时间 % 早于事件发生时间 %', TG_ARGV[0], gm_local(NEW.at)::timestamp(0),
            gm_local(happened)::timestamp(0) USING ERRCODE = 'GM400';
    END IF;
    IF NEW.at > clock_timestamp() + interval '10 minutes' THEN
        RAISE EXCEPTION '%时间不能晚于当前时间', TG_ARGV[0] USING ERRCODE = 'GM400';
    END IF;
    IF NEW.by_person IS NOT NULL THEN
        SELECT left_at INTO gone FROM person
         WHERE street_code = NEW.street_code AND id = NEW.by_person;
        IF gone IS NOT NULL AND gone <= NEW.at THEN
            RAISE EXCEPTION '%人已于 % 离任', TG_ARGV[0], gm_local(gone)::date
                USING ERRCODE = 'GM400';
        END IF;
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS assignment_area ON assignment;
CREATE CONSTRAINT TRIGGER assignment_area AFTER INSERT OR UPDATE ON assignment
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION assignment_area();

DROP TRIGGER IF EXISTS account_insert_guard ON account;
CREATE TRIGGER account_insert_guard BEFORE INSERT ON account
    FOR EACH ROW EXECUTE FUNCTION account_insert_guard();

DROP TRIGGER IF EXISTS account_change_guard ON account;
CREATE TRIGGER account_change_guard BEFORE UPDATE ON account
    FOR EACH ROW EXECUTE FUNCTION account_change_guard();

DROP TRIGGER IF EXISTS audit_log_insert_guard ON audit_log;
CREATE TRIGGER audit_log_insert_guard BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_insert_guard();

DROP TRIGGER IF EXISTS incident_note_follow_up ON incident_note;
CREATE TRIGGER incident_note_follow_up BEFORE INSERT ON incident_note
    FOR EACH ROW EXECUTE FUNCTION follow_up_guard('跟进记录');

DROP TRIGGER IF EXISTS incident_photo_follow_up ON incident_photo;
CREATE TRIGGER incident_photo_follow_up BEFORE INSERT ON incident_photo
    FOR EACH ROW EXECUTE FUNCTION follow_up_guard('照片');
