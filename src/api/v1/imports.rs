//! `POST /imports`: the national system's household spreadsheet (xlsx), streamed to disk and
//! imported in bounded memory; the answer is the report, or with `?format=xlsx` the row-level
//! error report as a workbook.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web::{self, Data, Query}};
use actix_multipart::Multipart;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::upload::{next_part, spool};
use crate::api::media::{self, Binary};
use crate::error::{ApiError, Problem};
use crate::import::{Report, report_xlsx};
use crate::services::{Caller, imports as service};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import).service(import_xlsx);
}

/// The largest spreadsheet accepted.
const MAX_BYTES: usize = 200 * 1024 * 1024;

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// `json` (default): the report; `xlsx`: the row-level error report (row, column, problem).
    pub format: Option<String>,
}

/// The multipart body of an import.
#[derive(ToSchema)]
pub struct ImportUpload {
    /// The workbook (xlsx, at most 200 MB), in a part named `file`.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Import households from a workbook
///
/// Import households and members (village officer and above, into their jurisdiction). Multipart
/// with a part `file`: the xlsx, one row per member, Chinese headers as exported by the national
/// system (户编号, 行政村代码, 户类型, 姓名, 证件号码, 与户主关系; optional 性别, 出生日期, 联系电话, 地址). Valid households are
/// imported; a number already present is left unchanged, so the same file imported again changes
/// nothing.
///
/// `format=xlsx` answers the row-level error report as a workbook; a generated client asks
/// `import_households_xlsx` for it instead.
#[utoipa::path(operation_id = "import_households", tag = "quality", security(("bearer" = [])), params(ImportQuery),
    request_body(content((ImportUpload = "multipart/form-data", encoding(("file" = (content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))))), description = "part `file`: the xlsx"),
    responses(
        (status = 200, description = "the report: JSON, or a workbook with ?format=xlsx", content(
            (Report = "application/json"),
            (inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "not a spreadsheet, a zip bomb, required columns missing", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/imports")]
pub async fn import(state: Data<AppState>, user: Caller, req: HttpRequest, q: Query<ImportQuery>, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let xlsx = media::format(q.format.as_deref(), media::REPORT_FORMATS)? == "xlsx";
    run(state, user, req, payload, xlsx).await
}

/// Import households, answering a workbook
///
/// The import of `import_households`, answering the row-level error report (row, column,
/// problem) as a workbook to hand back to whoever filled the sheet (what `import_households`
/// answers with `format=xlsx`, as an operation of its own so a generated client downloads it as
/// a file).
#[utoipa::path(operation_id = "import_households_xlsx", tag = "quality", security(("bearer" = [])),
    request_body(content((ImportUpload = "multipart/form-data", encoding(("file" = (content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))))), description = "part `file`: the xlsx"),
    responses(
        (status = 200, description = "the error report", content((inline(Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "not a spreadsheet, a zip bomb, required columns missing", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/imports.xlsx")]
pub async fn import_xlsx(state: Data<AppState>, user: Caller, req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    run(state, user, req, payload, true).await
}

async fn run(state: Data<AppState>, user: Caller, req: HttpRequest, payload: web::Payload, xlsx: bool) -> Result<HttpResponse, ApiError> {
    user.require(user.role.edits_households(), "import households")?;
    let is_multipart = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType("send multipart/form-data with the workbook in a part named file".into()));
    }
    let mut mp = Multipart::new(req.headers(), payload);
    let mut part = next_part(&mut mp, "file", "the workbook goes in a part named file").await?;
    let tmp = state.settings.data_dir.join("tmp");
    let (spooled, _) = spool(&mut part, &tmp, MAX_BYTES, "a spreadsheet").await?;
    drop(part);
    let report = service::import(&state, &user, spooled).await?;
    if xlsx {
        let bytes = report_xlsx(&report).map_err(|e| ApiError::Internal(e.into()))?;
        return Ok(HttpResponse::Ok()
            .content_type(media::XLSX)
            .insert_header(("Content-Disposition", "attachment; filename=\"import-errors.xlsx\""))
            .body(bytes));
    }
    Ok(HttpResponse::Ok().json(report))
}
