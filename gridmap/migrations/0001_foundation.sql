-- gridmap foundation: the street's boundaries, people, incidents.
--
-- Boundaries are versioned the way mapit versions its areas by "generation": a division
-- (区划版本) is a complete, self-contained copy of the street's package areas, villages, units and
-- grids. A planner loads a new division as a draft beside the one in force, checks it, then
-- publishes it with an effective date. Published divisions never change and never overlap in
-- time, so "which grid was in force when this happened" always has exactly one answer, and an
-- incident keeps the division, grid, village and package area it landed in for ever.
--
-- Tables that grow with activity (incidents, their parties, their history, people and their
-- assignments) carry street_code and lead their primary key with it, so that a city-wide
-- deployment can partition (PostgreSQL LIST partitions) or distribute (Citus) them by street
-- without a schema change. See docs/scaling.md.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE street (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{9}$'),  -- 9-digit 行政区划代码
    name        text NOT NULL,
    synthetic   boolean NOT NULL DEFAULT false                 -- 示意数据: invented geometry
);

CREATE TABLE division (
    id            serial PRIMARY KEY,
    street_code   text NOT NULL REFERENCES street,
    name          text NOT NULL,
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    valid         tstzrange,                     -- when it is in force; NULL while a draft
    boundary      geometry(MultiPolygon, 4326),  -- the street's outline in this division
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    note          text NOT NULL DEFAULT '',
    CHECK ((status = 'draft') = (valid IS NULL)),
    EXCLUDE USING gist (street_code WITH =, valid WITH &&) WHERE (status = 'published')
);

-- 片区: a set of villages that one street leader (包片党政领导) answers for.
CREATE TABLE package_area (
    id           serial PRIMARY KEY,
    division_id  integer NOT NULL REFERENCES division ON DELETE CASCADE,
    street_code  text NOT NULL,
    code         text NOT NULL,   -- stable across divisions; assignments refer to it
    name         text NOT NULL,
    geom         geometry(MultiPolygon, 4326) NOT NULL,
    UNIQUE (division_id, code)
);

-- 村/社区, with its 12-digit official code.
CREATE TABLE village (
    id               serial PRIMARY KEY,
    division_id      integer NOT NULL REFERENCES division ON DELETE CASCADE,
    street_code      text NOT NULL,
    package_area_id  integer NOT NULL REFERENCES package_area ON DELETE CASCADE,
    code             text NOT NULL CHECK (code ~ '^[0-9]{12}$'),
    name             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('村', '社区')),
    geom             geometry(MultiPolygon, 4326) NOT NULL,
    UNIQUE (division_id, code)
);

-- 网格: a set of units inside one village; code = village code + 3-digit serial.
CREATE TABLE grid (
    id           serial PRIMARY KEY,
    division_id  integer NOT NULL REFERENCES division ON DELETE CASCADE,
    street_code  text NOT NULL,
    village_id   integer NOT NULL REFERENCES village ON DELETE CASCADE,
    code         text NOT NULL CHECK (code ~ '^[0-9]{15}$'),
    name         text NOT NULL,
    geom         geometry(MultiPolygon, 4326) NOT NULL,
    UNIQUE (division_id, code)
);

-- The smallest polygons: 村民小组 / 自然湾 in villages, 小区 in communities. Households and
-- people are counted here; grids are made of whole units, so a planner moves a natural village
-- from one grid to another by moving its unit.
CREATE TABLE unit (
    id           serial PRIMARY KEY,
    division_id  integer NOT NULL REFERENCES division ON DELETE CASCADE,
    street_code  text NOT NULL,
    village_id   integer NOT NULL REFERENCES village ON DELETE CASCADE,
    grid_id      integer NOT NULL REFERENCES grid ON DELETE CASCADE,
    code         text NOT NULL CHECK (code ~ '^[0-9]{15}$'),
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('村民小组', '自然湾', '小区')),
    households   integer NOT NULL CHECK (households >= 0),
    population   integer NOT NULL CHECK (population >= 0),
    geom         geometry(MultiPolygon, 4326) NOT NULL,
    UNIQUE (division_id, code)
);

CREATE INDEX package_area_geom_idx ON package_area USING gist (geom);

CREATE INDEX village_geom_idx ON village USING gist (geom);

CREATE INDEX grid_geom_idx ON grid USING gist (geom);

CREATE INDEX unit_geom_idx ON unit USING gist (geom);

CREATE INDEX unit_grid_idx ON unit (grid_id);

-- People and the six-level chain (六级网格架构): 包片党政领导 → 村书记 → 村干部 → 小组长 → 网格员
-- → 农户. The first five are named people; the sixth is the households counted in units.
-- Resources (法律明白人, 调解员, 法律顾问) are people too, set against the hotspots.
CREATE TABLE role (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    level       integer,            -- place in the six-level chain; NULL for resources
    scope       text NOT NULL CHECK (scope IN ('street', 'package_area', 'village', 'unit', 'grid')),
    single      boolean NOT NULL    -- at most one holder per scope at a time
);

INSERT INTO role VALUES
    ('package_leader',    '包片党政领导', 1, 'package_area', true),
    ('village_secretary', '村书记',       2, 'village',      true),
    ('village_cadre',     '村干部',       3, 'village',      false),
    ('group_leader',      '小组长',       4, 'unit',         true),
    ('grid_member',       '网格员',       5, 'grid',         false),
    ('legal_savvy',       '法律明白人',   NULL, 'village',   false),
    ('mediator',          '人民调解员',   NULL, 'village',   false),
    ('legal_adviser',     '法律顾问',     NULL, 'village',   false);

CREATE TABLE person (
    street_code  text NOT NULL REFERENCES street,
    id           integer GENERATED BY DEFAULT AS IDENTITY,
    name         text NOT NULL,
    gender       text CHECK (gender IN ('男', '女')),
    phone        text,
    title        text NOT NULL DEFAULT '',   -- job title, e.g. 街道党工委副书记
    home         geometry(Point, 4326),      -- where a resource person can be found
    PRIMARY KEY (street_code, id)
);

-- Who answers for what, and when. Scopes are referred to by their stable codes, not by the row
-- of one division, so an assignment outlives a redrawing of the boundaries.
CREATE TABLE assignment (
    street_code  text NOT NULL,
    id           integer GENERATED BY DEFAULT AS IDENTITY,
    person_id    integer NOT NULL,
    role         text NOT NULL REFERENCES role,
    scope_code   text NOT NULL,
    valid        tstzrange NOT NULL,
    PRIMARY KEY (street_code, id),
    FOREIGN KEY (street_code, person_id) REFERENCES person ON DELETE CASCADE,
    EXCLUDE USING gist (street_code WITH =, role WITH =, scope_code WITH =, valid WITH &&)
        WHERE (role IN ('package_leader', 'village_secretary', 'group_leader'))
);

CREATE INDEX assignment_scope_idx ON assignment (street_code, scope_code, role);

-- Kinds of incidents, their categories and the states of their workflows.
CREATE TABLE incident_kind (
    code  text PRIMARY KEY,
    name  text NOT NULL,
    sort  integer NOT NULL
);

CREATE TABLE incident_status (
    kind      text NOT NULL REFERENCES incident_kind,
    code      text NOT NULL,
    name      text NOT NULL,
    is_final  boolean NOT NULL,
    sort      integer NOT NULL,
    PRIMARY KEY (kind, code)
);

CREATE TABLE incident_category (
    kind  text NOT NULL REFERENCES incident_kind,
    code  text NOT NULL,
    name  text NOT NULL,
    PRIMARY KEY (kind, code)
);

-- Batches of bulk loads: what was loaded, from where, by whom; every incident of a load points
-- to its batch, so a load can be traced (and undone) as a whole.
CREATE TABLE load_batch (
    street_code  text NOT NULL REFERENCES street,
    id           integer GENERATED BY DEFAULT AS IDENTITY,
    source       text NOT NULL,
    rows         integer NOT NULL,
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (street_code, id)
);

-- Incidents. The columns after "where it landed" are a snapshot taken when the incident is
-- placed: the division in force at occurred_at and the unit, grid, village and package area of
-- that division that contain the point. They are never recomputed when boundaries change.
-- This table takes bulk loads of millions of rows, so it has no foreign keys: integrity comes
-- from gridmap.data.incidents, which validates kinds and states and attributes every row against
-- a published (hence immutable) division before it writes.
CREATE TABLE incident (
    street_code        text NOT NULL,
    id                 bigint GENERATED BY DEFAULT AS IDENTITY,
    kind               text NOT NULL,
    category           text NOT NULL DEFAULT '',
    status             text NOT NULL,
    title              text NOT NULL DEFAULT '',
    description        text NOT NULL DEFAULT '',
    details            jsonb NOT NULL DEFAULT '{}',  -- kind-specific: petition channel, legal basis, …
    geom               geometry(Point, 4326) NOT NULL,
    occurred_at        timestamptz NOT NULL,
    reported_at        timestamptz NOT NULL DEFAULT now(),
    reported_by        integer,                 -- person id (a grid member, usually)
    due_at             timestamptz,             -- deadline of the current step
    closed_at          timestamptz,
    batch_id           integer,
    -- where it landed
    division_id        integer NOT NULL,
    unit_id            integer NOT NULL,
    grid_id            integer NOT NULL,
    unit_code          text NOT NULL,
    grid_code          text NOT NULL,
    village_code       text NOT NULL,
    package_area_code  text NOT NULL,
    PRIMARY KEY (street_code, id)
);

CREATE INDEX incident_time_idx ON incident (street_code, occurred_at);

CREATE INDEX incident_geom_idx ON incident USING gist (geom);

-- Personal data of parties and petitioners (PIPL), kept apart from the incident so that access
-- to it can be restricted and audited without touching the map's tables.
CREATE TABLE incident_party (
    street_code  text NOT NULL,
    id           bigint GENERATED BY DEFAULT AS IDENTITY,
    incident_id  bigint NOT NULL,
    role         text NOT NULL CHECK (role IN ('当事人', '信访人', '被申请人')),
    name         text NOT NULL,
    id_number    text,
    phone        text,
    address      text,
    PRIMARY KEY (street_code, id),
    FOREIGN KEY (street_code, incident_id) REFERENCES incident ON DELETE CASCADE
);

-- Every change of state, with who made it: the workflow's history and its deadlines.
CREATE TABLE incident_event (
    street_code  text NOT NULL,
    id           bigint GENERATED BY DEFAULT AS IDENTITY,
    incident_id  bigint NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    status       text NOT NULL,
    by_person    integer,
    note         text NOT NULL DEFAULT '',
    PRIMARY KEY (street_code, id),
    FOREIGN KEY (street_code, incident_id) REFERENCES incident ON DELETE CASCADE
);

-- Ground truth of the demo street's planted hotspots, so tests can check that analyses find them.
CREATE TABLE demo_hotspot (
    street_code  text NOT NULL REFERENCES street ON DELETE CASCADE,
    name         text NOT NULL,
    pattern      text NOT NULL,       -- persistent, new, intensifying, diminishing, …
    kind         text NOT NULL,
    category     text NOT NULL,
    grid_codes   text[] NOT NULL,
    months       integer[] NOT NULL,  -- months (1–12) in which it is active
    PRIMARY KEY (street_code, name)
);
