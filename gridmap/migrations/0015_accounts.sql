-- Accounts, what each kind of account may do, and the audit log.
--
-- An account belongs to a person (the bootstrap administrator aside, who is an office, not a
-- person). What a 'chain' account may see is not stored here: it is the person's assignments in
-- the six-level chain at the moment of asking (gridmap.data.accounts.scope_of), so that ending
-- an assignment or redrawing a grid changes it with no second list to keep in step.
--
-- The audit log is append-only for everyone: who signed in, who saw a party's personal data
-- unmasked (which incident, which fields, from where), who changed an account or assignment.
-- The app's role may add to it and read it, never change or remove a line.
CREATE TABLE account_role (
    code         text PRIMARY KEY,
    name         text NOT NULL,
    description  text NOT NULL
);

INSERT INTO account_role VALUES
    ('chain',   '责任链人员', '按当前任职（包片领导、村书记、村干部、小组长、网格员）查看和办理本片事件'),
    ('center',  '综治中心',   '查看和办理全街道事件，调度人员'),
    ('planner', '规划人员',   '编辑和发布网格划分'),
    ('admin',   '系统管理员', '管理账号、人员和任职'),
    ('auditor', '审计员',     '查阅登录与个人信息访问记录');

CREATE TABLE account (
    id                 integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    street_code        text NOT NULL REFERENCES street,
    username           text NOT NULL,
    person_id          integer,
    role               text NOT NULL REFERENCES account_role,
    -- argon2id (argon2-cffi), never a password itself. Set by the person: an administrator only
    -- issues a one-time password, and must_set_password makes the next sign-in choose a new one.
    password_hash      text NOT NULL,
    must_set_password  boolean NOT NULL DEFAULT true,
    failed_attempts    integer NOT NULL DEFAULT 0,
    locked_until       timestamptz,
    disabled_at        timestamptz,
    -- Bumped by a disable or a reset: every session signed with an older value is over.
    session_epoch      integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    password_set_at    timestamptz,
    FOREIGN KEY (street_code, person_id) REFERENCES person (street_code, id),
    CONSTRAINT account_username_format CHECK (username ~ '^[a-z0-9][a-z0-9_.-]{2,31}$'),
    CONSTRAINT account_has_person CHECK (person_id IS NOT NULL OR role = 'admin'),
    CONSTRAINT account_failed_attempts CHECK (failed_attempts >= 0),
    CONSTRAINT account_password_hash CHECK (password_hash LIKE '$argon2id$%')
);

CREATE UNIQUE INDEX account_username_key ON account (street_code, username);

CREATE UNIQUE INDEX account_person_role_key ON account (street_code, person_id, role)
    WHERE person_id IS NOT NULL;

CREATE TABLE audit_action (
    code  text PRIMARY KEY,
    name  text NOT NULL
);

INSERT INTO audit_action VALUES
    ('sign_in',            '登录'),
    ('sign_in_failed',     '登录失败'),
    ('locked',             '多次失败，账号暂时锁定'),
    ('sign_out',           '退出登录'),
    ('password_set',       '设置密码'),
    ('view_personal',      '查看个人信息（未遮蔽）'),
    ('account_created',    '创建账号'),
    ('account_disabled',   '停用账号'),
    ('account_enabled',    '启用账号'),
    ('password_reset',     '重置密码'),
    ('person_created',     '新增人员'),
    ('person_changed',     '修改人员'),
    ('assignment_created', '新增任职'),
    ('assignment_ended',   '结束任职');

CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    street_code  text NOT NULL REFERENCES street,
    at           timestamptz NOT NULL DEFAULT now(),
    account_id   integer REFERENCES account,  -- NULL: a sign-in under a name that is not known
    username     text NOT NULL,               -- as held, or as typed (at most 64 characters)
    action       text NOT NULL REFERENCES audit_action,
    incident_id  bigint,
    fields       text[] NOT NULL DEFAULT '{}',
    detail       text NOT NULL DEFAULT '',
    remote_addr  text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    CONSTRAINT audit_log_sizes CHECK (length(username) <= 64 AND length(detail) <= 2000
        AND length(remote_addr) <= 64 AND length(user_agent) <= 512),
    CONSTRAINT audit_log_view_names_fields CHECK (action <> 'view_personal'
        OR (incident_id IS NOT NULL AND cardinality(fields) > 0))
);

CREATE INDEX audit_log_at_idx ON audit_log (street_code, at DESC);

CREATE INDEX audit_log_incident_idx ON audit_log (street_code, incident_id) WHERE incident_id IS NOT NULL;
