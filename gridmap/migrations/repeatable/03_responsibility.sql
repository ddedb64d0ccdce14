-- Repeatable: responsibility.
-- Who answered for a place at a moment (responsible_people), and for every incident when it
-- happened (incident_responsible).
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION responsible_people(street text, at timestamptz, package_area text,
                                              village text, unit text, grid text)
RETURNS TABLE (role text, role_name text, level integer, person_id integer, name text,
               title text, phone text)
LANGUAGE sql STABLE AS $$
    SELECT r.code, r.name, r.level, p.id, p.name, p.title, p.phone
      FROM (VALUES ('package_area', package_area), ('village', village), ('unit', unit),
                   ('grid', grid)) AS s(scope, code)
      JOIN role r ON r.scope = s.scope AND r.level IS NOT NULL
      JOIN assignment_standing a ON a.street_code = street AND a.scope_code = s.code
                       AND a.role = r.code AND a.valid @> at
      JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
     ORDER BY r.level, p.id
$$;

-- Each incident with the people who answered for its place when it happened: its snapshot
-- codes and its own time, so a later redrawing or a change of staff never rewrites history.
CREATE OR REPLACE VIEW incident_responsible AS
SELECT i.street_code, i.id AS incident_id, rp.*
  FROM incident i
 CROSS JOIN LATERAL responsible_people(i.street_code, i.occurred_at, i.package_area_code,
                                       i.village_code, i.unit_code, i.grid_code) rp;
