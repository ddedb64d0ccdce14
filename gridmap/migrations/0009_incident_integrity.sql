-- Incidents keep themselves true, whoever writes them.
--
-- Until now the loader validated every row in Python and the table trusted it. From now on
-- grid members, planners, ledger imports and people with a database console write here, so the
-- database itself refuses what can never be true:
--
-- * row by row, with CHECK constraints (they cost nothing measurable on a million-row COPY):
--   times in order and inside the plausible window, text within its limits;
-- * statement by statement, with one trigger over the statement's new rows (a transition
--   table): the kind and state exist and belong together, the category belongs to the kind, a
--   closing time exactly when the state is final, the snapshot names a unit of a published
--   division that was in force when the incident happened, and whose grid, village and package
--   area are the ones named, the street exists, the reporter is a person of the street, the
--   moment is not in the future. Foreign keys would check the same row by row: measured on a
--   million-row load, one composite foreign key (kind, status) alone cost 6 s, the whole
--   statement-level check 1.7 s (bench/attribution.py --constraints prints the figures).
--
-- What an incident is never changes after it is stored: kind, place, time and snapshot. Its
-- state changes only through incident_transition(), which checks the workflow and writes the
-- event; a state change without its event is refused.

ALTER TABLE incident
    ADD COLUMN status_since timestamptz,   -- when the case entered its current state
    ADD COLUMN client_id uuid,             -- the id a phone gave a submission it may retry
    ADD COLUMN source text,                -- the ledger a row was imported from
    ADD COLUMN source_key text,            -- the row's own key in that ledger
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Rows already stored: a closed case entered its final state when it closed; for an open one
-- the start of its step is not known, so its registration stands in. (No tally key changes.)
ALTER TABLE incident DISABLE TRIGGER USER;
UPDATE incident SET status_since = coalesce(closed_at, reported_at);
ALTER TABLE incident ENABLE TRIGGER USER;
ALTER TABLE incident ALTER COLUMN status_since SET NOT NULL;

-- The plausible window of a recorded moment begins in 2000 (gridmap.core.timewindow; no ledger of
-- the street is older); "not in the future" needs the clock, so the statement trigger checks it.
ALTER TABLE incident
    ADD CONSTRAINT incident_times_in_order CHECK (
        occurred_at >= timestamptz '2000-01-01 00:00+08'
        AND reported_at >= occurred_at
        AND status_since >= occurred_at
        AND (closed_at IS NULL OR closed_at = status_since)
        AND (due_at IS NULL OR due_at > occurred_at)),
    -- The limits of gridmap.intake.rows (the loader's are these or stricter); details are
    -- measured as stored (its text form would cost a conversion a row: 2 s on a million).
    ADD CONSTRAINT incident_text_limits CHECK (
        char_length(title) <= 200
        AND char_length(description) <= 5000
        AND jsonb_typeof(details) = 'object'
        AND pg_column_size(details) <= 16384),
    ADD CONSTRAINT incident_source_key CHECK (
        (source_key IS NULL OR (source IS NOT NULL AND char_length(source_key) <= 100))
        AND (source IS NULL OR char_length(source) BETWEEN 1 AND 200));
-- (That the street exists is the statement check's: a regular expression on every row cost
-- a second of a million-row load.)

-- Identity for the writers to come: a retried submission from a phone, a re-imported ledger.
-- Led by street_code like every key, so partitioning by street needs no schema change; partial,
-- so the bulk loads that carry neither pay nothing for them.
CREATE UNIQUE INDEX incident_client_id_key ON incident (street_code, client_id)
    WHERE client_id IS NOT NULL;
CREATE UNIQUE INDEX incident_source_key_key ON incident (street_code, source, source_key)
    WHERE source_key IS NOT NULL;

-- Every writer says when the case entered its state (status_since) and, for an open case whose
-- step has a rule, its deadline by that rule (gm_due, the one definition; the bulk loader asks
-- it for a million rows in one query). A row trigger filling them in would cost a million-row
-- COPY its batched inserts (PostgreSQL inserts row by row once a table has a BEFORE ROW
-- trigger): measured, 3 s of a 20 s load. So the statement check below refuses an open case
-- without its deadline instead.
-- The statement-level check of new incidents. A million rows are looked at twice, each time
-- with as little work a row as can be:
--   1. grouped by what they share with many others (street, batch, reporter, kind, state,
--      category, closed or not, with a deadline or not), keeping each group's latest moment;
--      the few hundred groups are then checked against the reference data: the street exists,
--      the state belongs to the kind, the category too, a closing time exactly when the state is
--      final, an open case's deadline where its step has a rule, the reporter is a person of the
--      street, the batch exists, nothing lies in the future;
--   2. each row's snapshot against its unit in the published divisions: one hash probe and a
--      comparison of the codes, and the division in force when it happened.
-- Then, for the first untrue row alone, a third query says what is wrong with it. (One query
-- with all those joins a row cost three times as much: 4.2 s against 1.4 s for a million.)
-- The queries are planned for each statement (EXECUTE), and a large statement is joined by
-- hashing: without the reference tables' statistics the planner would look a million rows up
-- one by one (12 s).
CREATE FUNCTION incident_check_insert() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    bad bigint;
    why record;
    nestloop text := current_setting('enable_nestloop');
    horizon timestamptz := clock_timestamp() + interval '10 minutes';  -- "the future"
BEGIN
    IF (SELECT count(*) FROM (SELECT FROM added LIMIT 1001) x) > 1000 THEN
        PERFORM set_config('enable_nestloop', 'off', true);
    END IF;
    EXECUTE $q$
        SELECT (SELECT a.id FROM added a
                 WHERE a.street_code = g.street_code AND a.kind = g.kind
                   AND a.status = g.status AND a.category = g.category
                   AND a.batch_id IS NOT DISTINCT FROM g.batch_id
                   AND a.reported_by IS NOT DISTINCT FROM g.reported_by
                   AND (a.closed_at IS NOT NULL) = g.closed AND (a.due_at IS NULL) = g.no_due
                 ORDER BY greatest(a.occurred_at, a.reported_at, a.closed_at) DESC LIMIT 1)
          FROM (SELECT street_code, batch_id, reported_by, kind, status, category,
                       closed_at IS NOT NULL AS closed, due_at IS NULL AS no_due,
                       max(greatest(occurred_at, reported_at, closed_at)) AS latest
                  FROM added GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) g
          LEFT JOIN street st ON st.code = g.street_code
          LEFT JOIN incident_status s ON s.kind = g.kind AND s.code = g.status
          LEFT JOIN incident_category c ON c.kind = g.kind AND c.code = g.category
          LEFT JOIN deadline_rule r ON r.street_code = g.street_code AND r.kind = g.kind
                                   AND r.status = g.status
          LEFT JOIN person pe ON pe.street_code = g.street_code AND pe.id = g.reported_by
          LEFT JOIN load_batch b ON b.street_code = g.street_code AND b.id = g.batch_id
         WHERE st.code IS NULL OR s.kind IS NULL
            OR (g.category <> '' AND c.kind IS NULL)
            OR s.is_final <> g.closed
            OR (NOT g.closed AND g.no_due AND r.days IS NOT NULL)
            OR (g.reported_by IS NOT NULL AND pe.id IS NULL)
            OR (g.batch_id IS NOT NULL AND b.id IS NULL)
            OR g.latest > $1
         LIMIT 1 $q$ INTO bad USING horizon;
    IF bad IS NULL THEN
        EXECUTE $q$
            WITH snap AS MATERIALIZED (
                -- Every unit of a published division, with what a snapshot must name.
                SELECT u.id AS unit_id, d.street_code, u.division_id, u.grid_id,
                       u.code AS unit_code, g.code AS grid_code, v.code AS village_code,
                       p.code AS package_area_code, lower(d.valid) AS valid_from,
                       coalesce(upper(d.valid), 'infinity') AS valid_to
                  FROM unit u JOIN grid g ON g.id = u.grid_id
                  JOIN village v ON v.id = g.village_id
                  JOIN package_area p ON p.id = v.package_area_id
                  JOIN division d ON d.id = u.division_id AND d.status = 'published')
            SELECT a.id FROM added a LEFT JOIN snap u ON u.unit_id = a.unit_id
             WHERE u.unit_id IS NULL
                OR (u.street_code, u.division_id, u.grid_id, u.unit_code, u.grid_code,
                    u.village_code, u.package_area_code)
                   <> (a.street_code, a.division_id, a.grid_id, a.unit_code, a.grid_code,
                       a.village_code, a.package_area_code)
                OR a.occurred_at < u.valid_from OR a.occurred_at >= u.valid_to
             LIMIT 1 $q$ INTO bad;
    END IF;
    PERFORM set_config('enable_nestloop', nestloop, true);
    IF bad IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE $q$
        SELECT a.id, a.kind, a.status, a.category, a.unit_id, a.street_code, a.reported_by,
               gm_local(a.occurred_at)::timestamp(0) AS occurred,
               CASE
                 WHEN NOT EXISTS (SELECT FROM street t WHERE t.code = a.street_code) THEN 'street'
                 WHEN s.kind IS NULL THEN 'state'
                 WHEN a.category <> '' AND c.kind IS NULL THEN 'category'
                 WHEN (a.closed_at IS NOT NULL) <> s.is_final THEN 'closed'
                 WHEN d.id IS NULL OR u.division_id <> a.division_id OR u.grid_id <> a.grid_id
                   OR u.code <> a.unit_code OR g.code <> a.grid_code OR v.code <> a.village_code
                   OR p.code <> a.package_area_code THEN 'snapshot'
                 WHEN d.street_code <> a.street_code THEN 'street'
                 WHEN NOT d.valid @> a.occurred_at THEN 'period'
                 WHEN a.reported_by IS NOT NULL AND pe.id IS NULL THEN 'reporter'
                 WHEN a.batch_id IS NOT NULL AND b.id IS NULL THEN 'batch'
                 WHEN a.closed_at IS NULL AND a.due_at IS NULL
                  AND EXISTS (SELECT FROM deadline_rule r WHERE r.street_code = a.street_code
                                 AND r.kind = a.kind AND r.status = a.status) THEN 'deadline'
                 ELSE 'future'
               END AS problem
          FROM added a
          LEFT JOIN incident_status s ON s.kind = a.kind AND s.code = a.status
          LEFT JOIN incident_category c ON c.kind = a.kind AND c.code = a.category
          LEFT JOIN unit u ON u.id = a.unit_id
          LEFT JOIN grid g ON g.id = u.grid_id
          LEFT JOIN village v ON v.id = g.village_id
          LEFT JOIN package_area p ON p.id = v.package_area_id
          LEFT JOIN division d ON d.id = u.division_id AND d.status = 'published'
          LEFT JOIN person pe ON pe.street_code = a.street_code AND pe.id = a.reported_by
          LEFT JOIN load_batch b ON b.street_code = a.street_code AND b.id = a.batch_id
         WHERE a.id = $1 $q$ INTO why USING bad;
    RAISE EXCEPTION '%', CASE why.problem
        WHEN 'state' THEN format('事件类型「%s」没有状态「%s」', why.kind, why.status)
        WHEN 'category' THEN format('事件类型「%s」没有分类「%s」', why.kind, why.category)
        WHEN 'closed' THEN format('状态「%s」与结案时间不符：结案状态必须有结案时间，办理中的事件不能有',
                                  why.status)
        WHEN 'snapshot' THEN format('落格快照不一致：单元 %s 不属于所记的已发布区划、网格、村（社区）或片区',
                                    why.unit_id)
        WHEN 'street' THEN format('街道 %s 不存在，或与落格单元所属的街道不符', why.street_code)
        WHEN 'period' THEN format('发生时间 %s 时，所记的区划版本并未生效', why.occurred)
        WHEN 'reporter' THEN format('上报人 %s 不是本街道登记的人员', why.reported_by)
        WHEN 'batch' THEN '所记的导入批次不存在'
        WHEN 'deadline' THEN format('办理中的事件须有本环节的办理期限（按街道规则 gm_due 计算），事件 %s 没有',
                                    why.id)
        ELSE '时间晚于当前时间：不能记录未来发生的事'
    END USING ERRCODE = 'GM400', DETAIL = format('incident id %s', why.id);
END $f$;
CREATE TRIGGER incident_a_check_insert AFTER INSERT ON incident
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION incident_check_insert();

-- Incidents already stored pass the same test (an old database with untrue rows stops here).
DO $$
DECLARE
    bad bigint;
BEGIN
    SELECT i.id INTO bad
      FROM incident i
      LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
      LEFT JOIN unit u ON u.id = i.unit_id
      LEFT JOIN division d ON d.id = u.division_id AND d.status = 'published'
     WHERE s.kind IS NULL OR (i.closed_at IS NOT NULL) <> s.is_final OR d.id IS NULL
        OR u.division_id <> i.division_id OR u.grid_id <> i.grid_id OR u.code <> i.unit_code
        OR NOT d.valid @> i.occurred_at
     LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '已存储的事件 % 不一致（状态、结案时间或落格快照），请先更正', bad;
    END IF;
END $$;

-- Every change of state is an event: who, when, from, to, why. The event log is history: rows
-- are added, never changed or removed.
ALTER TABLE incident_event RENAME COLUMN status TO to_status;
ALTER TABLE incident_event RENAME COLUMN note TO reason;
ALTER TABLE incident_event
    ADD COLUMN kind text NOT NULL DEFAULT 'transition',
    ADD COLUMN from_status text,
    ADD COLUMN due_at timestamptz,            -- the deadline from this event on
    ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now(),
    ALTER COLUMN to_status DROP NOT NULL,
    ADD CONSTRAINT incident_event_kind CHECK (kind IN ('transition', 'extension')),
    ADD CONSTRAINT incident_event_transition CHECK (
        kind <> 'transition'
        OR (from_status IS NOT NULL AND to_status IS NOT NULL AND from_status <> to_status)),
    ADD CONSTRAINT incident_event_extension CHECK (kind <> 'extension' OR due_at IS NOT NULL),
    ADD CONSTRAINT incident_event_reason CHECK (char_length(reason) <= 2000),
    ADD CONSTRAINT incident_event_not_future CHECK (at <= recorded_at + interval '10 minutes'),
    ADD FOREIGN KEY (street_code, by_person) REFERENCES person;
ALTER TABLE incident_event DROP CONSTRAINT incident_event_street_code_incident_id_fkey,
    ADD FOREIGN KEY (street_code, incident_id) REFERENCES incident;
CREATE INDEX incident_event_incident_idx ON incident_event (street_code, incident_id, at);

-- Personal data of parties stays with its incident: removing an incident that has parties is
-- refused rather than cascaded.
ALTER TABLE incident_party DROP CONSTRAINT incident_party_street_code_incident_id_fkey,
    ADD FOREIGN KEY (street_code, incident_id) REFERENCES incident,
    ADD CONSTRAINT incident_party_limits CHECK (
        char_length(name) BETWEEN 1 AND 50 AND char_length(id_number) <= 18
        AND char_length(phone) <= 30 AND char_length(address) <= 200);
CREATE INDEX incident_party_incident_idx ON incident_party (street_code, incident_id);

CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%是历史记录，只能追加，不能修改或删除', TG_ARGV[0] USING ERRCODE = 'GM409';
END $$;
CREATE TRIGGER incident_event_history BEFORE UPDATE OR DELETE ON incident_event
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change('事件流转记录');

-- What an incident is never changes; its state changes only with its event (written by
-- incident_transition or incident_extend in the same transaction).
CREATE FUNCTION incident_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    final boolean;
BEGIN
    IF (NEW.street_code, NEW.id, NEW.kind, NEW.occurred_at, NEW.reported_at, NEW.batch_id,
        NEW.division_id, NEW.unit_id, NEW.grid_id, NEW.unit_code, NEW.grid_code,
        NEW.village_code, NEW.package_area_code, NEW.client_id, NEW.source, NEW.source_key)
       IS DISTINCT FROM
       (OLD.street_code, OLD.id, OLD.kind, OLD.occurred_at, OLD.reported_at, OLD.batch_id,
        OLD.division_id, OLD.unit_id, OLD.grid_id, OLD.unit_code, OLD.grid_code,
        OLD.village_code, OLD.package_area_code, OLD.client_id, OLD.source, OLD.source_key)
       OR NOT ST_Equals(NEW.geom, OLD.geom)
       OR (OLD.reported_by IS NOT NULL AND NEW.reported_by IS DISTINCT FROM OLD.reported_by) THEN
        RAISE EXCEPTION '事件的类型、发生时间、地点、落格快照、上报人和来源记录后不可修改（事件 %）', OLD.id
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.status <> OLD.status THEN
        IF NOT EXISTS (SELECT FROM workflow_transition t
                        WHERE t.kind = NEW.kind AND t.from_status = OLD.status
                          AND t.to_status = NEW.status) THEN
            RAISE EXCEPTION '流程不允许从「%」转为「%」', OLD.status, NEW.status
                USING ERRCODE = 'GM400';
        END IF;
        IF NOT EXISTS (SELECT FROM incident_event e
                        WHERE e.street_code = NEW.street_code AND e.incident_id = NEW.id
                          AND e.kind = 'transition' AND e.from_status = OLD.status
                          AND e.to_status = NEW.status AND e.at = NEW.status_since
                          AND e.recorded_at = now()) THEN
            RAISE EXCEPTION '状态变更必须记录为流转事件（请通过 incident_transition 办理）'
                USING ERRCODE = 'GM409';
        END IF;
    ELSIF NEW.due_at IS DISTINCT FROM OLD.due_at AND NEW.status_since = OLD.status_since THEN
        IF NOT EXISTS (SELECT FROM incident_event e
                        WHERE e.street_code = NEW.street_code AND e.incident_id = NEW.id
                          AND e.kind = 'extension' AND e.due_at = NEW.due_at
                          AND e.recorded_at = now()) THEN
            RAISE EXCEPTION '办理期限的变更必须记录为延期事件（请通过 incident_extend 办理）'
                USING ERRCODE = 'GM409';
        END IF;
    ELSIF (NEW.status_since, NEW.closed_at, NEW.due_at)
          IS DISTINCT FROM (OLD.status_since, OLD.closed_at, OLD.due_at) THEN
        RAISE EXCEPTION '环节开始时间、结案时间和办理期限只随流转事件变更'
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.status <> OLD.status OR NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
        SELECT s.is_final INTO final FROM incident_status s
         WHERE s.kind = NEW.kind AND s.code = NEW.status;
        IF (NEW.closed_at IS NOT NULL) <> final THEN
            RAISE EXCEPTION '状态「%」与结案时间不符', NEW.status USING ERRCODE = 'GM400';
        END IF;
    END IF;
    IF NEW.category <> OLD.category AND NEW.category <> ''
       AND NOT EXISTS (SELECT FROM incident_category c
                        WHERE c.kind = NEW.kind AND c.code = NEW.category) THEN
        RAISE EXCEPTION '事件类型「%」没有分类「%」', NEW.kind, NEW.category
            USING ERRCODE = 'GM400';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER incident_guard BEFORE UPDATE ON incident
    FOR EACH ROW EXECUTE FUNCTION incident_guard();

-- The one way a case changes state: check the workflow, write the event, update the case, in
-- the caller's transaction. ``expected`` is the state the person saw (a stale page is refused
-- rather than overwritten); ``at`` is when it happened (now, or earlier when entered late).
CREATE FUNCTION incident_transition(street text, incident_id bigint, to_status text,
                                    at timestamptz DEFAULT now(), by_person integer DEFAULT NULL,
                                    reason text DEFAULT '', expected text DEFAULT NULL)
RETURNS incident_event
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    i incident;
    t workflow_transition;
    s incident_status;
    due timestamptz;
    ev incident_event;
    allowed text;
BEGIN
    SELECT * INTO i FROM incident x WHERE x.street_code = street AND x.id = incident_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '事件 % 不存在', incident_id USING ERRCODE = 'GM404';
    END IF;
    IF expected IS NOT NULL AND expected <> i.status THEN
        RAISE EXCEPTION '事件已由他人办理，当前状态为「%」，请刷新后再操作',
            (SELECT name FROM incident_status WHERE kind = i.kind AND code = i.status)
            USING ERRCODE = 'GM409';
    END IF;
    IF NOT EXISTS (SELECT FROM incident_status n
                    WHERE n.kind = i.kind AND n.code = incident_transition.to_status) THEN
        RAISE EXCEPTION '「%」没有「%」这个状态',
            (SELECT name FROM incident_kind WHERE code = i.kind), incident_transition.to_status
            USING ERRCODE = 'GM400';
    END IF;
    SELECT * INTO t FROM workflow_transition w
     WHERE w.kind = i.kind AND w.from_status = i.status AND w.to_status = incident_transition.to_status;
    IF NOT FOUND THEN
        SELECT string_agg(format('「%s」', n.name), '、' ORDER BY n.sort) INTO allowed
          FROM workflow_transition w JOIN incident_status n ON n.kind = w.kind AND n.code = w.to_status
         WHERE w.kind = i.kind AND w.from_status = i.status;
        RAISE EXCEPTION '%', format('当前状态「%s」不能转为「%s」。%s',
            (SELECT name FROM incident_status WHERE kind = i.kind AND code = i.status),
            (SELECT name FROM incident_status
              WHERE kind = i.kind AND code = incident_transition.to_status),
            CASE WHEN allowed IS NULL THEN '该事件已办结，流程不允许再变更。'
                 ELSE '可转为：' || allowed || '。' END)
            USING ERRCODE = 'GM400';
    END IF;
    IF t.reason_required AND coalesce(btrim(reason), '') = '' THEN
        RAISE EXCEPTION '「%」须填写理由', t.action USING ERRCODE = 'GM400';
    END IF;
    IF at < i.status_since THEN
        RAISE EXCEPTION '办理时间 % 早于当前环节的开始时间 %', gm_local(at)::timestamp(0),
            gm_local(i.status_since)::timestamp(0) USING ERRCODE = 'GM400';
    END IF;
    IF at > clock_timestamp() + interval '10 minutes' THEN
        RAISE EXCEPTION '办理时间不能晚于当前时间' USING ERRCODE = 'GM400';
    END IF;
    SELECT * INTO s FROM incident_status n WHERE n.kind = i.kind AND n.code = t.to_status;
    IF NOT s.is_final THEN
        due := gm_due(street, i.kind, t.to_status, at, i.reported_at);
    END IF;
    INSERT INTO incident_event (street_code, incident_id, kind, at, from_status, to_status,
                                by_person, reason, due_at)
    VALUES (street, incident_id, 'transition', at, i.status, t.to_status, by_person,
            coalesce(reason, ''), due)
    RETURNING * INTO ev;
    UPDATE incident x
       SET status = t.to_status, status_since = at, due_at = due,
           closed_at = CASE WHEN s.is_final THEN at END
     WHERE x.street_code = street AND x.id = incident_id;
    RETURN ev;
END $$;

-- Extending the current step's deadline, where its rule allows it (a complicated petition:
-- once, by at most 30 days, with the reason told to the petitioner).
CREATE FUNCTION incident_extend(street text, incident_id bigint, days integer,
                                at timestamptz DEFAULT now(), by_person integer DEFAULT NULL,
                                reason text DEFAULT '')
RETURNS incident_event
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    i incident;
    r deadline_rule;
    used integer;
    due timestamptz;
    ev incident_event;
BEGIN
    SELECT * INTO i FROM incident x WHERE x.street_code = street AND x.id = incident_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '事件 % 不存在', incident_id USING ERRCODE = 'GM404';
    END IF;
    IF i.closed_at IS NOT NULL OR i.due_at IS NULL THEN
        RAISE EXCEPTION '该事件当前没有办理期限，无需延期' USING ERRCODE = 'GM400';
    END IF;
    SELECT * INTO r FROM deadline_rule d
     WHERE d.street_code = street AND d.kind = i.kind AND d.status = i.status;
    IF NOT FOUND OR r.extend_times = 0 THEN
        RAISE EXCEPTION '本环节的办理期限不能延长' USING ERRCODE = 'GM400';
    END IF;
    IF days IS NULL OR days < 1 OR days > r.extend_days THEN
        RAISE EXCEPTION '延长天数应为 1～% 天', r.extend_days USING ERRCODE = 'GM400';
    END IF;
    IF coalesce(btrim(reason), '') = '' THEN
        RAISE EXCEPTION '延期须填写理由（并告知当事人）' USING ERRCODE = 'GM400';
    END IF;
    IF at < i.status_since OR at > clock_timestamp() + interval '10 minutes' THEN
        RAISE EXCEPTION '延期时间应在本环节开始之后、当前时间之前' USING ERRCODE = 'GM400';
    END IF;
    IF at >= i.due_at THEN
        RAISE EXCEPTION '办理期限已于 % 届满，届满后不能再延期',
            gm_local(i.due_at)::timestamp(0) USING ERRCODE = 'GM400';
    END IF;
    SELECT count(*) INTO used FROM incident_event e
     WHERE e.street_code = street AND e.incident_id = i.id AND e.kind = 'extension'
       AND e.at >= i.status_since;
    IF used >= r.extend_times THEN
        RAISE EXCEPTION '本环节已延期 % 次，不能再延期', used USING ERRCODE = 'GM409';
    END IF;
    due := gm_deadline(street, i.due_at - interval '1 microsecond', days, r.unit);
    INSERT INTO incident_event (street_code, incident_id, kind, at, from_status, to_status,
                                by_person, reason, due_at)
    VALUES (street, incident_id, 'extension', at, i.status, NULL, by_person, reason, due)
    RETURNING * INTO ev;
    UPDATE incident x SET due_at = due WHERE x.street_code = street AND x.id = incident_id;
    RETURN ev;
END $$;

-- Links between incidents (see link_kind): which rule they follow, and that an escalation
-- comes after what it escalates. A duplicate points at the original, never at another duplicate.
CREATE TABLE incident_link (
    street_code  text NOT NULL,
    id           bigint GENERATED BY DEFAULT AS IDENTITY,
    from_id      bigint NOT NULL,
    to_id        bigint NOT NULL,
    link         text NOT NULL REFERENCES link_kind,
    at           timestamptz NOT NULL DEFAULT now(),
    by_person    integer,
    note         text NOT NULL DEFAULT '',
    PRIMARY KEY (street_code, id),
    UNIQUE (street_code, from_id, to_id, link),
    FOREIGN KEY (street_code, from_id) REFERENCES incident,
    FOREIGN KEY (street_code, to_id) REFERENCES incident,
    FOREIGN KEY (street_code, by_person) REFERENCES person,
    CHECK (from_id <> to_id),
    CHECK (char_length(note) <= 2000)
);
CREATE INDEX incident_link_to_idx ON incident_link (street_code, to_id);
CREATE UNIQUE INDEX incident_link_one_original ON incident_link (street_code, from_id)
    WHERE link = 'duplicate';

CREATE FUNCTION incident_link_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a incident;
    b incident;
BEGIN
    SELECT * INTO a FROM incident WHERE street_code = NEW.street_code AND id = NEW.from_id;
    SELECT * INTO b FROM incident WHERE street_code = NEW.street_code AND id = NEW.to_id;
    IF NOT EXISTS (SELECT FROM link_rule r
                    WHERE r.link = NEW.link AND r.from_kind = a.kind AND r.to_kind = b.kind) THEN
        RAISE EXCEPTION '「%」不能关联「%」（关联类型 %）',
            (SELECT name FROM incident_kind WHERE code = a.kind),
            (SELECT name FROM incident_kind WHERE code = b.kind), NEW.link
            USING ERRCODE = 'GM400';
    END IF;
    IF NEW.link = 'duplicate' THEN
        IF a.reported_at < b.reported_at THEN
            RAISE EXCEPTION '重复上报应关联更早上报的原事件' USING ERRCODE = 'GM400';
        END IF;
        IF EXISTS (SELECT FROM incident_link l WHERE l.street_code = NEW.street_code
                      AND l.from_id = NEW.to_id AND l.link = 'duplicate') THEN
            RAISE EXCEPTION '事件 % 本身是重复上报，请关联其原事件', NEW.to_id
                USING ERRCODE = 'GM400';
        END IF;
    ELSIF b.occurred_at < a.occurred_at THEN
        RAISE EXCEPTION '转办或上交的事件不能早于原事件发生' USING ERRCODE = 'GM400';
    END IF;
    IF NEW.at > clock_timestamp() + interval '10 minutes' THEN
        RAISE EXCEPTION '关联时间不能晚于当前时间' USING ERRCODE = 'GM400';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incident_link_check BEFORE INSERT ON incident_link
    FOR EACH ROW EXECUTE FUNCTION incident_link_check();
CREATE TRIGGER incident_link_history BEFORE UPDATE OR DELETE ON incident_link
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change('事件关联');
