//! `/labels`: what people read for the values of coded fields, from the one table in
//! `domain/labels.rs` (the console shows 一般农户, never `ordinary`).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::labels;
use crate::error::{ApiError, Problem};
use crate::services::Caller;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list);
}

/// A value's label.
#[derive(Serialize, ToSchema)]
pub struct LabelView {
    /// 中文
    pub zh: &'static str,
    /// English
    pub en: &'static str,
}

/// Field → value → label: `category` 户类型, `relation` 与户主关系, `sex` 性别, `photo_kind`
/// 照片类型, `photo_status`, `problem_status`, `risk_status`, `risk_type` 风险类型 (also the
/// reasons of falling back 返贫原因), `household_flag`, `elimination_way` 消除方式; the yearly
/// record's choices `education` 文化程度, `health` 健康状况, `in_school` 在校生状况,
/// `labour_skill` 劳动技能, `work_status` 务工状况, `housing` 住房, `water` 饮水; `photo_reason`
/// 照片疑点, `position_source`, `location_flag` 定位疑点, `capture_status`, `capture_source`,
/// `crs` 坐标系; `role` 角色, `level` 区划级别, `severity`, `quality_rule` 清洗规则; `case_kind`,
/// `step`, `stage`, `outcome` of the procedures, `exclusion` 九不评, `measure_kind` 帮扶措施,
/// `removal_reason` 减少原因 (a member's `removed_reason`), `join_reason` 增加原因, `no_id_reason`
/// 无身份证号码原因, `tombstone_reason`, `counted`.
#[derive(Serialize, ToSchema)]
#[schema(as = Labels)]
pub struct Labels(pub BTreeMap<&'static str, BTreeMap<&'static str, LabelView>>);

/// Labels of coded values 代码值的中文名称
///
/// What the console and other clients show for the values of coded fields, in Chinese and
/// English — `category` `ordinary` is 一般农户, `relation` `head` is 户主, `photo_kind`
/// `door_with_cadre` is 户主与帮扶干部在门口 —, from the one table the server keeps, so no
/// client types a label a second time.
#[utoipa::path(operation_id = "list_labels", tag = "labels", security(("bearer" = [])), responses(
    (status = 200, body = Labels),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
#[get("/labels")]
pub async fn list(_user: Caller) -> Result<HttpResponse, ApiError> {
    let table = labels::all()
        .iter()
        .map(|(field, values)| (*field, values.iter().map(|(v, l)| (*v, LabelView { zh: l.zh, en: l.en })).collect()))
        .collect();
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, max-age=3600")).json(Labels(table)))
}
