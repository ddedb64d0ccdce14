-- Repeatable: time.
-- Beijing time in SQL: an instant's local time, day, day start and month, as gridmap.core.clock
-- reads them in Python.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION gm_local(t timestamptz) RETURNS timestamp
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN t AT TIME ZONE 'Asia/Shanghai';

CREATE OR REPLACE FUNCTION gm_day(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN (t AT TIME ZONE 'Asia/Shanghai')::date;

-- 00:00 Beijing time of a day.
CREATE OR REPLACE FUNCTION gm_day_start(d date) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN d::timestamp AT TIME ZONE 'Asia/Shanghai';

CREATE OR REPLACE FUNCTION gm_month(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_trunc('month', t AT TIME ZONE 'Asia/Shanghai')::date;
