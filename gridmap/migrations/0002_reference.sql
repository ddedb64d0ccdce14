-- Reference data: the kinds of incidents the street records, their categories, and the states
-- of each workflow (final states close a case). Names are what the pages show.
INSERT INTO incident_kind (code, name, sort) VALUES
    ('dispute',              '矛盾纠纷',     1),
    ('mediation',            '人民调解案件', 2),
    ('petition',             '信访',         3),
    ('enforcement',          '行政执法',     4),
    ('legal_consultation',   '法律咨询',     5),
    ('legal_checkup',        '法治体检',     6),
    ('legal_publicity',      '普法宣传',     7),
    ('enforcement_training', '执法培训',     8);

INSERT INTO incident_status (kind, code, name, is_final, sort) VALUES
    ('dispute',     'found',        '排查发现', false, 1),
    ('dispute',     'mediating',    '调处中',   false, 2),
    ('dispute',     'resolved',     '已化解',   true,  3),
    ('dispute',     'referred',     '已移交',   true,  4),
    ('mediation',   'accepted',     '已受理',   false, 1),
    ('mediation',   'mediating',    '调解中',   false, 2),
    ('mediation',   'agreement',    '调解成功', true,  3),
    ('mediation',   'no_agreement', '调解不成', true,  4),
    ('petition',    'registered',   '已登记',   false, 1),
    ('petition',    'accepted',     '已受理',   false, 2),
    ('petition',    'handled',      '已办理',   false, 3),
    ('petition',    'closed',       '已办结',   true,  4),
    ('enforcement', 'opened',       '已立案',   false, 1),
    ('enforcement', 'investigated', '调查取证', false, 2),
    ('enforcement', 'decided',      '已决定',   false, 3),
    ('enforcement', 'closed',       '已结案',   true,  4),
    ('legal_consultation',   'done', '已完成', true, 1),
    ('legal_checkup',        'done', '已完成', true, 1),
    ('legal_publicity',      'done', '已完成', true, 1),
    ('enforcement_training', 'done', '已完成', true, 1);

INSERT INTO incident_category (kind, code, name)
SELECT k.kind, c.code, c.name
FROM (VALUES ('dispute'), ('mediation'), ('legal_consultation')) AS k(kind),
     (VALUES ('neighbour',   '邻里纠纷'),
             ('land',        '土地纠纷'),
             ('family',      '婚姻家庭纠纷'),
             ('labour',      '劳资纠纷'),
             ('contract',    '合同纠纷'),
             ('acquisition', '征拆还纠纷'),
             ('damage',      '损害赔偿纠纷'),
             ('other',       '其他')) AS c(code, name);

INSERT INTO incident_category (kind, code, name) VALUES
    ('petition',    'acquisition',      '征地拆迁'),
    ('petition',    'rural_affairs',    '农村土地与集体事务'),
    ('petition',    'social_security',  '社会保障'),
    ('petition',    'construction',     '城乡建设'),
    ('petition',    'environment',      '环境保护'),
    ('petition',    'law',              '涉法涉诉'),
    ('petition',    'other',            '其他'),
    ('enforcement', 'city_management',  '城市管理'),
    ('enforcement', 'work_safety',      '安全生产'),
    ('enforcement', 'environment',      '生态环境'),
    ('legal_checkup',        'village',      '村（社区）法治体检'),
    ('legal_publicity',      'civil_code',   '民法典宣传'),
    ('legal_publicity',      'constitution', '宪法宣传'),
    ('legal_publicity',      'anti_fraud',   '反诈宣传'),
    ('legal_publicity',      'other',        '其他'),
    ('enforcement_training', 'training',     '执法人员培训');
