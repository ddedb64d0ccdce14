"""The database's own refusals, as gridmap's errors.

The database refuses what can never be true whoever writes (migrations 0009–0012), with a
message meant for a person, in Chinese, under SQLSTATE codes of gridmap's own class "GM":
GM400 bad input, GM403 not this person's to do, GM404 not found, GM409 a conflict with
history or with another writer, GM001 a frozen (published) division. :func:`refusals` turns
them into the errors every entry point already knows how to show; other database errors pass
unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg

from gridmap.core.errors import BadInput, Conflict, Forbidden, GridmapError, NotFound

_BY_CODE = {
    "GM400": BadInput,
    "GM403": Forbidden,
    "GM404": NotFound,
    "GM409": Conflict,
    "GM001": Conflict,
}
# CHECK constraints a person can run into by typing, in their words.
CHECKS = {
    "deadline_rule_days": "办理期限应为 1～366 天",
    "deadline_rule_unit": "期限单位只能是 calendar（自然日）或 working（工作日）",
    "deadline_rule_counted_from": "起算方式只能是 step（自进入本环节起）或 case（自立案/受理起）",
    "deadline_rule_extension": "延期天数应为 0～366 天、次数 0～3 次，且两者须同时为零或同时不为零",
    "street_calendar_kind": "日历类型只能是 holiday（放假）或 workday（调休上班）",
    "street_calendar_range": "日期应在 2000 年至 2100 年之间",
    "street_calendar_workday_on_weekend": "调休上班日应为周六或周日（工作日本来就上班）",
    "street_calendar_name": "节日名称应为 1～50 个字",
    "incident_times_in_order": (
        "时间先后不合理：上报、结案等时间不能早于发生时间，也不能早于 2000 年"
    ),
    "incident_text_limits": (
        "标题不超过 200 字、描述不超过 5000 字，详情为不超过 16 KB 的 JSON 对象"
    ),
    "person_limits": "姓名 1～50 字、电话不超过 30 字、职务不超过 100 字",
    "incident_party_limits": "当事人姓名 1～50 字、身份证号不超过 18 位、电话不超过 30 字",
    "incident_event_reason": "理由不超过 2000 字",
    "assignment_period": "任职须有开始时间",
    "assignment_correction_reason": "更正须写明原因（4～500 字）",
    "person_correction_reason": "更正须写明原因（4～500 字）",
    "account_username_format": ("用户名应为 3～32 位小写字母、数字或 . _ -，并以字母或数字开头"),
    "account_has_person": "账号必须属于一名人员（只有系统管理员账号可以不属于人员）",
    "incident_note_body": "跟进记录应为 1～2000 字",
    "plan_name": "方案名称应为 1～100 字",
    "plan_note": "方案说明不超过 2000 字",
    "plan_grid_name": "网格名称应为 1～50 字",
    "plan_unit_name": "单元名称应为 1～50 字",
    "plan_grid_code": "网格代码应为 15 位数字，并以所属村（社区）的 12 位代码开头",
    "plan_unit_code": "单元代码应为 15 位数字，并以所属村（社区）的 12 位代码开头",
    "plan_unit_geom": "单元边界无效（自相交或为空）",
    "load_batch_rows": "导入批次的行数不能为负数",
    "incident_due_in_step": "办理期限应在本环节开始之后、一年零一个月之内",
    "division_published_boundary": "已发布的区划版本必须有街道边界",
    "street_code_official": "街道代码应为 9 位统计用区划代码",
    "incident_party_id_key_has_number": "当事人的身份证号摘要必须对应其身份证号",
    "street_closure_review": "办结审核只能由 center（综治中心）或 village（村（社区））进行",
    "incident_supervision_kind": "督办类型只能是督办或催办",
    "incident_supervision_note": "督办内容应为 2～500 字",
    "incident_supervision_answer_by": "答复期限应在督办之后、60 天之内",
    "incident_supervision_answered": "答复应为 2～1000 字",
    "incident_callback_result": "回访结果只能是满意、基本满意或不满意",
    "incident_callback_note": "回访情况不超过 1000 字",
    "incident_callback_after_closing": "回访须在办结之后",
    "account_department": "联动单位账号须指明所属单位；其他账号不属于联动单位",
    "incident_referral_note": "转办说明应为 2～1000 字",
    "incident_referral_reply_by": "答复期限应在转办之后、60 天之内",
    "incident_referral_replied": "答复应为 2～2000 字",
    "department_code": "单位代码应为 2～31 位小写字母、数字或下划线，并以字母开头",
    "department_name": "单位名称应为 2～30 字",
}
# Unique and exclusion constraints a write can run into, in a person's words.
KEYS = {
    "assignment_no_overlap": "同一人员在同一范围的同一职责任期不能重叠",
    "assignment_single_holder": "这一范围的这一职责同一时间只能一人担任，与另一任职的任期重叠",
    "assignment_corrected_once": "这条任职记录已被更正过，请更正最新的那一条",
    "incident_party_id_key_one_number": (
        "身份证号摘要与另一位当事人的身份证号不符：不同的人不能共用摘要"
    ),
    "account_one_without_person": (
        "只有街道初建时的系统管理员账号可以不属于人员；其他账号必须属于一名人员"
    ),
    "plan_division_once": "一个区划版本只能由一个方案发布",
    "account_person_role_key": "这名人员已有同一类型的账号：一人每种账号只能有一个",
}
# Foreign keys a form can miss by typing a number or a code that names nothing.
MISSING = {
    "account_street_code_person_id_fkey": "没有这名人员（人员编号不存在）",
    "account_role_fkey": "未知的账号类型",
    "assignment_street_code_person_id_fkey": "没有这名人员（人员编号不存在）",
    "assignment_role_fkey": "未知的职责（应为六级网格中的一种职务或法律资源）",
    "incident_event_street_code_by_person_fkey": "没有这名办理人（人员编号不存在）",
    "incident_link_street_code_by_person_fkey": "没有这名办理人（人员编号不存在）",
    "incident_note_street_code_by_person_fkey": "没有这名人员（人员编号不存在）",
    "plan_grid_member_street_code_person_id_fkey": "方案中的网格员不是本街道的人员",
    "account_department_fkey": "没有这个联动单位",
    "incident_referral_department_fkey": "没有这个联动单位",
}


def translate(exc: psycopg.Error) -> GridmapError | None:
    """The GridmapError for one of the database's own refusals, else None."""
    kind = _BY_CODE.get(exc.sqlstate or "")
    if kind is not None:
        return kind(exc.diag.message_primary or str(exc))
    if isinstance(exc, psycopg.errors.CheckViolation) and exc.diag.constraint_name in CHECKS:
        return BadInput(CHECKS[exc.diag.constraint_name] + "；未保存。")
    if isinstance(exc, psycopg.errors.IntegrityError) and exc.diag.constraint_name in KEYS:
        return Conflict(KEYS[exc.diag.constraint_name] + "；未保存。")
    if isinstance(exc, psycopg.errors.ForeignKeyViolation) and exc.diag.constraint_name in MISSING:
        return BadInput(MISSING[exc.diag.constraint_name] + "；未保存。")
    return None


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        error = translate(exc)
        if error is None:
            raise
        raise error from exc
