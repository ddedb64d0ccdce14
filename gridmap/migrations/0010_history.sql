-- History is never erased: published divisions, people who left, past assignments.
--
-- A published division (区划版本) is the record of where every incident of its period landed,
-- so it is never deleted, never un-published and never changed, with one exception: publishing
-- its successor closes its open period at the successor's start. The published divisions of a
-- street always tile time from the first one's start on, without gap or overlap, the last open
-- (checked when the transaction commits, since a publish closes one period and opens another).
--
-- People and their assignments are ended, not deleted: a person who leaves keeps their name
-- on the incidents of their time, which find them through assignment periods.
--
-- A whole street is removed only by purge_street() (migration 0011), which only the owning role
-- may run (the demo's reload); no session setting switches any of this off.

-- Published areas: the freeze no longer has a session-setting door.
CREATE OR REPLACE FUNCTION refuse_published_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    div integer := CASE WHEN TG_OP = 'INSERT' THEN NEW.division_id ELSE OLD.division_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM division WHERE id = div AND status = 'published') THEN
        RAISE EXCEPTION '区划版本 % 已发布，不能再修改其边界', div USING ERRCODE = 'GM001';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.division_id <> OLD.division_id THEN
        RAISE EXCEPTION '区域不能移到另一个区划版本' USING ERRCODE = 'GM409';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE FUNCTION division_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stranded timestamptz;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION '区划版本 %（%）已发布，是历史记录，不能删除', OLD.id, OLD.name
                USING ERRCODE = 'GM409';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'published' THEN
            RAISE EXCEPTION '区划版本须先作为草稿载入、检查，再发布' USING ERRCODE = 'GM409';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'draft' THEN
        IF NEW.status = 'published' THEN
            NEW.published_at := now();
        END IF;
        RETURN NEW;
    END IF;
    -- A published division: only its open period may be closed, and only after its incidents.
    IF (NEW.id, NEW.street_code, NEW.name, NEW.status, NEW.created_at, NEW.published_at,
        NEW.note, lower(NEW.valid)) IS DISTINCT FROM
       (OLD.id, OLD.street_code, OLD.name, OLD.status, OLD.created_at, OLD.published_at,
        OLD.note, lower(OLD.valid))
       OR NOT ST_Equals(NEW.boundary, OLD.boundary) THEN
        RAISE EXCEPTION '区划版本 %（%）已发布，不能撤销发布或修改', OLD.id, OLD.name
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.valid IS DISTINCT FROM OLD.valid THEN
        IF NOT upper_inf(OLD.valid) OR upper_inf(NEW.valid) THEN
            RAISE EXCEPTION '已发布区划版本 % 的生效期已确定，只有发布其后继版本时才能截止', OLD.id
                USING ERRCODE = 'GM409';
        END IF;
        SELECT max(i.occurred_at) INTO stranded FROM incident i
         WHERE i.street_code = OLD.street_code AND i.occurred_at >= upper(NEW.valid)
           AND i.division_id = OLD.id;
        IF stranded IS NOT NULL THEN
            RAISE EXCEPTION '区划版本 % 上有 % 发生的事件，生效期不能在此之前截止', OLD.id,
                gm_local(stranded)::timestamp(0) USING ERRCODE = 'GM409';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER division_guard BEFORE INSERT OR UPDATE OR DELETE ON division
    FOR EACH ROW EXECUTE FUNCTION division_guard();

-- At commit: a street's published periods follow one another without gap, the last open.
CREATE FUNCTION division_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    broken record;
BEGIN
    SELECT x.id, x.name INTO broken
      FROM (SELECT d.id, d.name, d.valid,
                   lead(lower(d.valid)) OVER (ORDER BY lower(d.valid)) AS next_start
              FROM division d WHERE d.street_code = NEW.street_code AND d.status = 'published') x
     WHERE (x.next_start IS NULL AND NOT upper_inf(x.valid))
        OR (x.next_start IS NOT NULL AND upper(x.valid) IS DISTINCT FROM x.next_start)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '街道 % 的已发布区划版本前后不衔接（版本 %，%）：截止一个版本必须同时发布其后继版本',
            NEW.street_code, broken.id, broken.name USING ERRCODE = 'GM409';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER division_chain AFTER INSERT OR UPDATE ON division
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION division_chain();

-- People: ended, not deleted.
ALTER TABLE person
    ADD COLUMN left_at timestamptz,   -- 离任: when the person stopped working for the street
    ADD CONSTRAINT person_limits CHECK (
        char_length(name) BETWEEN 1 AND 50 AND char_length(phone) <= 30
        AND char_length(title) <= 100);

ALTER TABLE assignment DROP CONSTRAINT assignment_street_code_person_id_fkey,
    ADD FOREIGN KEY (street_code, person_id) REFERENCES person,
    ADD CONSTRAINT assignment_period CHECK (NOT lower_inf(valid) AND NOT isempty(valid));

CREATE TRIGGER person_history BEFORE DELETE ON person
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change('人员（请登记离任时间）');

-- An assignment keeps who, what and from when; its open period may be ended, once, after it began.
CREATE FUNCTION assignment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '任职记录是历史记录，不能删除；请设置任职截止时间' USING ERRCODE = 'GM409';
    END IF;
    IF (NEW.street_code, NEW.id, NEW.person_id, NEW.role, NEW.scope_code, lower(NEW.valid))
       IS DISTINCT FROM
       (OLD.street_code, OLD.id, OLD.person_id, OLD.role, OLD.scope_code, lower(OLD.valid)) THEN
        RAISE EXCEPTION '任职记录的人员、职责、范围和起始时间不可修改' USING ERRCODE = 'GM409';
    END IF;
    IF NEW.valid IS DISTINCT FROM OLD.valid
       AND (NOT upper_inf(OLD.valid) OR upper_inf(NEW.valid)) THEN
        RAISE EXCEPTION '任职已于 % 截止，不能再改', gm_local(upper(OLD.valid))::timestamp(0)
            USING ERRCODE = 'GM409';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER assignment_guard BEFORE UPDATE OR DELETE ON assignment
    FOR EACH ROW EXECUTE FUNCTION assignment_guard();

-- A person who has left takes no new assignment after leaving.
CREATE FUNCTION assignment_of_present_person() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone timestamptz;
BEGIN
    SELECT left_at INTO gone FROM person WHERE street_code = NEW.street_code AND id = NEW.person_id;
    IF gone IS NOT NULL AND (upper_inf(NEW.valid) OR upper(NEW.valid) > gone) THEN
        RAISE EXCEPTION '该人员已于 % 离任，任职不能延续到离任之后', gm_local(gone)::timestamp(0)
            USING ERRCODE = 'GM400';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER assignment_of_present_person BEFORE INSERT OR UPDATE ON assignment
    FOR EACH ROW EXECUTE FUNCTION assignment_of_present_person();

-- Ending a person ends their open assignments at the same moment.
CREATE FUNCTION person_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.left_at IS NOT NULL AND NEW.left_at IS DISTINCT FROM OLD.left_at THEN
        RAISE EXCEPTION '离任时间已登记为 %，不能再改', gm_local(OLD.left_at)::timestamp(0)
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.left_at IS NOT NULL AND OLD.left_at IS NULL THEN
        IF EXISTS (SELECT FROM assignment a WHERE a.street_code = NEW.street_code
                      AND a.person_id = NEW.id AND lower(a.valid) >= NEW.left_at) THEN
            RAISE EXCEPTION '该人员有在离任时间之后才开始的任职，请先核对' USING ERRCODE = 'GM400';
        END IF;
        UPDATE assignment a SET valid = tstzrange(lower(a.valid), NEW.left_at)
         WHERE a.street_code = NEW.street_code AND a.person_id = NEW.id
           AND upper_inf(a.valid);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER person_left AFTER UPDATE OF left_at ON person
    FOR EACH ROW EXECUTE FUNCTION person_left();
