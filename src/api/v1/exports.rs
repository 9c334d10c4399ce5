//! `/exports/households.xlsx`: the division export 户信息导出, the workbook the import reads back.

use actix_web::web::{Data, Query};
use actix_web::{HttpResponse, get};
use chrono::Datelike;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::DivisionCode;
use crate::domain::yearly::StatYear;
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::exports as service;
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(households);
}

#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// A division inside the jurisdiction: county, township or village (default: all of it).
    pub division: Option<String>,
    /// Statistical year of the yearly records and members' indicators (default: this year).
    pub year: Option<i32>,
    /// Full ID and phone numbers (county administrator only, each household recorded in the read
    /// log): what a re-import needs. Default: masked.
    #[serde(default)]
    pub full_numbers: bool,
}

/// Export a division's households 户信息导出
///
/// A workbook of every household of the division with Chinese column headers, households in
/// order of their numbers: **户信息** (one row per household: number, county, township, village
/// and its code, category 户类型, head, size, address and the profile 识别年度 … 安置点),
/// **家庭成员** (one row per current member, the household's columns repeated as in the national
/// 花名册, then 姓名, 证件号码, 与户主关系, 性别, 出生日期, 联系电话 and the member's indicators of the
/// year 年度, 文化程度, 健康状况, 残疾等级, 在校生状况, 劳动技能, 务工状况, 务工时间) and **年度信息**
/// (the household's yearly record of the year: income parts and rigid expenses as numbers of
/// yuan, the guarantees 两不愁三保障 with their reasons, living conditions, then 家庭纯收入,
/// 人均纯收入 and 扣除刚性支出后人均收入, computed). Values are Chinese labels (是/否 for yes/no).
///
/// `POST /imports` reads this workbook back: exported with `full_numbers=true` and imported into
/// an empty database, a second export gives the same cells. Not for cadres (403); a division
/// outside the jurisdiction is 404.
#[utoipa::path(operation_id = "export_households", tag = "households", security(("bearer" = [])), params(ExportQuery), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/exports/households.xlsx")]
pub async fn households(state: Data<AppState>, user: Caller, q: Query<ExportQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let division = q.division.as_deref().map(|d| DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))).transpose()?;
    let today = state.today();
    let year = StatYear::parse(q.year.unwrap_or(today.year()), today).map_err(|e| ApiError::invalid("year", e.code, e.message))?;
    let (file, len) = service::households_workbook(&state, &user, division, year, q.full_numbers).await?;
    // Streamed from the temporary file in chunks, never whole in memory.
    let file = tokio::fs::File::from_std(file);
    let chunks = futures_util::stream::try_unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        let n = f.read(&mut buf).await?;
        buf.truncate(n);
        Ok::<_, std::io::Error>((n > 0).then(|| (bytes::Bytes::from(buf), f)))
    });
    Ok(HttpResponse::Ok()
        .content_type(crate::api::media::XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"households-{}.xlsx\"", year.value())))
        .body(actix_web::body::SizedStream::new(len, chunks)))
}
