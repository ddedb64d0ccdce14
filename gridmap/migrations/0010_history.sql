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

-- People: ended, not deleted.
ALTER TABLE person
    ADD COLUMN left_at timestamptz,   -- 离任: when the person stopped working for the street
    ADD CONSTRAINT person_limits CHECK (
        char_length(name) BETWEEN 1 AND 50 AND char_length(phone) <= 30
        AND char_length(title) <= 100);

ALTER TABLE assignment DROP CONSTRAINT assignment_street_code_person_id_fkey,
    ADD FOREIGN KEY (street_code, person_id) REFERENCES person,
    ADD CONSTRAINT assignment_period CHECK (NOT lower_inf(valid) AND NOT isempty(valid));
