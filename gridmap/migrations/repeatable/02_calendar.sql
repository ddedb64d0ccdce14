-- Repeatable: calendar.
-- The street's calendar and deadlines: working days rebuilt from its holidays and worked exchange
-- days, a new street's default rules and calendar, the deadline of a step (gm_deadline, gm_due)
-- and the traffic light of an open case (gm_clock), the one definition every page uses.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION street_days_rebuild(street text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM street_day WHERE street_code = street;
    INSERT INTO street_day (street_code, day, workday, workday_no, next_workday)
    SELECT street, d.day, d.workday,
           (sum(d.workday::int) OVER (ORDER BY d.day))::int,
           min(CASE WHEN d.workday THEN d.day END)
               OVER (ORDER BY d.day ROWS BETWEEN CURRENT ROW AND 60 FOLLOWING)
      FROM (SELECT g.day::date AS day,
                   coalesce(c.kind = 'workday', extract(isodow FROM g.day) < 6) AS workday
              FROM generate_series(date '2000-01-01', date '2100-12-31', interval '1 day') AS g(day)
              LEFT JOIN street_calendar c ON c.street_code = street AND c.day = g.day::date) d;
$$;

-- A statement trigger may name only the transition tables its event has: one function for the
-- new rows, one for the old.
CREATE OR REPLACE FUNCTION street_calendar_added() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE s text;
BEGIN
    FOR s IN SELECT DISTINCT street_code FROM changed LOOP PERFORM street_days_rebuild(s); END LOOP;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION street_calendar_removed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE s text;
BEGIN
    FOR s IN SELECT DISTINCT street_code FROM changed_old LOOP PERFORM street_days_rebuild(s); END LOOP;
    RETURN NULL;
END $$;

-- A new street starts with the legal deadline rules, the national calendar and the usual
-- departments it refers cases to.
CREATE OR REPLACE FUNCTION street_defaults() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO deadline_rule (street_code, kind, status, days, unit, counted_from, extend_days,
                               extend_times, basis)
    SELECT NEW.code, kind, status, days, unit, counted_from, extend_days, extend_times, basis
      FROM deadline_rule_default;
    INSERT INTO street_calendar (street_code, day, kind, name)
    SELECT NEW.code, day, kind, name FROM holiday_default;
    INSERT INTO department (street_code, code, name)  -- 联动单位 (migration 0025)
    SELECT NEW.code, code, name FROM department_default ORDER BY sort;
    IF NOT EXISTS (SELECT FROM street_day WHERE street_code = NEW.code) THEN
        PERFORM street_days_rebuild(NEW.code);
    END IF;
    RETURN NULL;
END $$;

-- The deadline of a period of ``days`` (calendar or working) that starts at ``start``: 24:00 of
-- its last day, Beijing time (see deadline_rule above). NULL outside 2000–2100.
CREATE OR REPLACE FUNCTION gm_deadline(street text, start timestamptz, days integer, unit text)
RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT gm_day_start(last.day + 1)
      FROM (SELECT CASE unit
                   WHEN 'calendar' THEN
                       (SELECT d.next_workday FROM street_day d
                         WHERE d.street_code = street AND d.day = gm_day(start) + days)
                   WHEN 'working' THEN
                       (SELECT w.day FROM street_day s JOIN street_day w
                            ON w.street_code = s.street_code AND w.workday
                           AND w.workday_no = s.workday_no + days
                         WHERE s.street_code = street AND s.day = gm_day(start))
                   END AS day) last
$$;

-- The deadline of a case that entered ``status`` at ``since`` and was registered at
-- ``registered``, by the street's rule for that step; NULL when the step has none.
CREATE OR REPLACE FUNCTION gm_due(street text, kind text, status text, since timestamptz,
                       registered timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT gm_deadline(street, CASE r.counted_from WHEN 'case' THEN registered ELSE since END,
                       r.days, r.unit)
      FROM deadline_rule r
     WHERE r.street_code = street AND r.kind = gm_due.kind AND r.status = gm_due.status
$$;

-- The traffic light of an open case at ``at``: green; yellow once 80 % of the step's time has
-- gone; red when overdue. days_left counts calendar days from ``at``'s day to the last day of
-- the period (0: due today; −2: two days overdue). NULL for a closed case or one without a
-- deadline. The one definition every page and the API use.
-- (A one-row table function, so that the planner inlines it into the queries that use it.)
CREATE OR REPLACE FUNCTION gm_clock(since timestamptz, due timestamptz, closed timestamptz, at timestamptz)
RETURNS TABLE (light text, days_left integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 1 AS $$
    SELECT CASE WHEN closed IS NOT NULL OR due IS NULL THEN NULL
                WHEN at >= due THEN 'red'
                WHEN at >= since + (due - since) * 0.8 THEN 'yellow'
                ELSE 'green' END,
           CASE WHEN closed IS NULL AND due IS NOT NULL
                THEN gm_day(due - interval '1 microsecond') - gm_day(at) END
$$;

-- A final state has no deadline.
CREATE OR REPLACE FUNCTION deadline_rule_open_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM incident_status s WHERE s.kind = NEW.kind AND s.code = NEW.status
                                              AND s.is_final) THEN
        RAISE EXCEPTION '「%」是结案状态，没有办理期限', NEW.status USING ERRCODE = 'GM400';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS street_calendar_added ON street_calendar;
CREATE TRIGGER street_calendar_added AFTER INSERT ON street_calendar
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION street_calendar_added();

DROP TRIGGER IF EXISTS street_defaults ON street;
CREATE TRIGGER street_defaults AFTER INSERT ON street
    FOR EACH ROW EXECUTE FUNCTION street_defaults();

DROP TRIGGER IF EXISTS deadline_rule_open_state ON deadline_rule;
CREATE TRIGGER deadline_rule_open_state BEFORE INSERT OR UPDATE ON deadline_rule
    FOR EACH ROW EXECUTE FUNCTION deadline_rule_open_state();

DROP TRIGGER IF EXISTS street_calendar_deleted ON street_calendar;
CREATE TRIGGER street_calendar_deleted AFTER DELETE ON street_calendar
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION street_calendar_removed();

DROP TRIGGER IF EXISTS street_calendar_updated ON street_calendar;
CREATE TRIGGER street_calendar_updated AFTER UPDATE ON street_calendar
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION street_calendar_added();
