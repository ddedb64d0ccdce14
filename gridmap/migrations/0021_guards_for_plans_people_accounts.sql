-- What the database accepts is true for plans, people, accounts and the audit log, not only
-- for incidents. Tried as a hostile reviewer would, connected as the app's own role, the
-- schema of migration 0020 accepted dozens of untrue writes; this migration adds the
-- constraints that refuse them, and the repeatable files (06_history, 10_accounts, 11_plans,
-- 05_integrity, 04_workflow, 09_bulk_loads, 13_guards) the triggers and functions that check
-- what a constraint cannot.

-- Exclusion constraints on text columns need btree_gist (a trusted extension: the
-- database's owner may create it).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- One person holds one responsibility for one area once at any moment: a second assignment
-- overlapping the first would count their cases twice.
ALTER TABLE assignment ADD CONSTRAINT assignment_no_overlap
    EXCLUDE USING gist (street_code WITH =, person_id WITH =, role WITH =, scope_code WITH =,
                        valid WITH &&);

-- A load's count of rows is a count.
ALTER TABLE load_batch ADD CONSTRAINT load_batch_rows CHECK (rows >= 0);

-- A step's deadline falls after the step began, and within a year and a month of it (the
-- longest rule is 60 working days, plus an extension of 30; a decade is a typing error).
ALTER TABLE incident ADD CONSTRAINT incident_due_in_step CHECK (
    due_at IS NULL OR (due_at >= status_since AND due_at <= status_since + interval '400 days'));

-- Only the bootstrap administrator, made when the street is set up, has no person: every
-- other account is someone's, so that the audit log names a person.
CREATE UNIQUE INDEX account_one_without_person ON account (street_code)
    WHERE person_id IS NULL;

-- A division is published by one plan at most (or by none: the street's first division).
ALTER TABLE plan ADD CONSTRAINT plan_division_once UNIQUE (division_id);

-- A published division has its boundary.
ALTER TABLE division ADD CONSTRAINT division_published_boundary
    CHECK (status = 'draft' OR boundary IS NOT NULL);

-- A street's code is its 9-digit official code (统计用区划代码 to the township level).
ALTER TABLE street ADD CONSTRAINT street_code_official
    CHECK (code ~ '^[1-6][0-9]{8}$');

-- The same keyed hash of an ID number belongs to one number: a key copied onto another
-- party would make two people one repeat petitioner (gridmap.accounts.pii.id_key normalises
-- the number as this expression does).
ALTER TABLE incident_party ADD CONSTRAINT incident_party_id_key_has_number
    CHECK (id_key IS NULL OR id_number IS NOT NULL);
ALTER TABLE incident_party ADD CONSTRAINT incident_party_id_key_one_number
    EXCLUDE USING gist (street_code WITH =, id_key WITH =,
                        (upper(regexp_replace(id_number, '\s', '', 'g'))) WITH <>)
    WHERE (id_key IS NOT NULL);
