-- Who answers for a place at a moment: the five named levels of the six-level chain
-- (包片党政领导 → 村书记 → 村干部 → 小组长 → 网格员; the sixth, 农户, is households). One definition,
-- used for a single point (gridmap.data.people) and for every incident (incident_responsible).
-- The scope of each role decides which code it is matched against, because unit and grid codes
-- share one format.

CREATE FUNCTION responsible_people(street text, at timestamptz, package_area text,
                                   village text, unit text, grid text)
RETURNS TABLE (role text, role_name text, level integer, person_id integer, name text,
               title text, phone text)
LANGUAGE sql STABLE AS $$
    SELECT r.code, r.name, r.level, p.id, p.name, p.title, p.phone
      FROM assignment a
      JOIN role r ON r.code = a.role AND r.level IS NOT NULL
      JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
     WHERE a.street_code = street AND a.valid @> at
       AND a.scope_code = CASE r.scope WHEN 'package_area' THEN package_area
                                       WHEN 'village' THEN village
                                       WHEN 'unit' THEN unit
                                       WHEN 'grid' THEN grid END
     ORDER BY r.level, p.id
$$;

-- Each incident with the people who answered for its place when it happened: its snapshot
-- codes and its own time, so a later redrawing or a change of staff never rewrites history.
CREATE VIEW incident_responsible AS
SELECT i.street_code, i.id AS incident_id, rp.*
  FROM incident i
 CROSS JOIN LATERAL responsible_people(i.street_code, i.occurred_at, i.package_area_code,
                                       i.village_code, i.unit_code, i.grid_code) rp;
