-- Finding a case (查找案件, issue 18): the indexes behind the one search box of the center and
-- the chain (gridmap.data.search), so that a search answers from an index at a million
-- incidents instead of reading every one.
--
-- Words of a title or a description are found anywhere inside them (Chinese has no spaces
-- between words, so a run of Chinese is matched as a substring), which a B-tree cannot do:
-- pg_trgm's GIN index of trigrams can (LIKE and ILIKE '%…%', wildcards escaped). pg_trgm is a
-- trusted contrib extension: the database's owner creates it, no superuser needed. In this
-- cluster's C.UTF-8 locale it takes Chinese characters as letters (one run of Chinese is one
-- "word" whose trigrams it hashes), so a term of three characters or more is indexed; one of
-- two characters has no trigram and is found by reading the newest incidents until enough
-- are found (bench/search.py measures both).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The one text the search reads: title and description as one string (the expression must be
-- written the same way in gridmap.data.search for the index to be used).
CREATE INDEX incident_text_trgm_idx ON incident
    USING gin ((title || ' ' || description) gin_trgm_ops);

-- Cases placed in a village, a grid (the incident's snapshot codes) or reported by a person,
-- newest first: a search shows the newest 200, read from these in time order.
CREATE INDEX incident_village_time_idx ON incident (street_code, village_code, occurred_at);

CREATE INDEX incident_grid_time_idx ON incident (street_code, grid_code, occurred_at);

CREATE INDEX incident_reporter_idx ON incident (street_code, reported_by, occurred_at)
    WHERE reported_by IS NOT NULL;

-- The cases a person acted on (a step of the workflow, a note).
CREATE INDEX incident_event_by_person_idx ON incident_event (street_code, by_person)
    WHERE by_person IS NOT NULL;

CREATE INDEX incident_note_by_person_idx ON incident_note (street_code, by_person)
    WHERE by_person IS NOT NULL;

-- A party (当事人, 信访人) by their whole name, exactly: never a fragment, so that the box
-- cannot list people by surname.
CREATE INDEX incident_party_name_idx ON incident_party (street_code, name);
