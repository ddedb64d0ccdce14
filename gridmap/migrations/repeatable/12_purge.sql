-- The purge of a street: the one way a street's record leaves the database (the demo's reload),
-- which only the owner may run. History is guarded by triggers (published divisions, people,
-- cases' events and the audit log refuse deletes), so the purge sets the guards of the street's
-- tables aside for its own statements, deletes every row of the street from each of them, and
-- puts the guards back; no session setting switches a guard off for anyone else.
--
-- The street's tables are listed once, children before parents (each names its street in
-- street_code); a table added to the street is added here.
CREATE OR REPLACE FUNCTION purge_street(target text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    street_tables text[] := ARRAY[
        'incident_handover', 'plan_assignment', 'plan_unit', 'plan_grid_member', 'plan_grid',
        'plan_revision', 'plan', 'api_receipt', 'audit_log', 'incident_supervision',
        'incident_callback', 'incident_referral', 'person_correction', 'assignment', 'account',
        'department', 'incident_note',
        'incident_photo', 'incident_event', 'incident_link', 'incident_party', 'incident',
        'incident_tally', 'incident_bins', 'load_batch', 'person', 'demo_hotspot',
        'unit', 'grid', 'village', 'package_area', 'division', 'deadline_rule',
        'street_calendar', 'street_day'];
    guarded text[];
    t text;
BEGIN
    SELECT coalesce(array_agg(DISTINCT c.relname::text), '{}') INTO guarded
      FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
     WHERE NOT g.tgisinternal AND c.relnamespace = 'public'::regnamespace
       AND c.relname = ANY(street_tables || '{street}'::text[]);
    SET CONSTRAINTS ALL IMMEDIATE;  -- ALTER TABLE refuses a table with pending trigger events
    FOREACH t IN ARRAY guarded LOOP
        EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', t);
    END LOOP;
    FOREACH t IN ARRAY street_tables LOOP
        EXECUTE format('DELETE FROM %I WHERE street_code = $1', t) USING target;
    END LOOP;
    DELETE FROM street WHERE code = target;
    FOREACH t IN ARRAY guarded LOOP
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', t);
    END LOOP;
    SET CONSTRAINTS division_chain DEFERRED;  -- back to its default for the rest of the transaction
END $$;
REVOKE EXECUTE ON FUNCTION purge_street(text) FROM PUBLIC;
