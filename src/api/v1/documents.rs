//! The household file 一户一档: documents (scans of the application, the home-visit record, the
//! collection forms, the 明白卡 …) uploaded to a household, its file of a year with its
//! completeness, a document's bytes, and the archive of a household or a village as one zip.

use actix_web::http::header;
use actix_web::web::{self, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::upload::MetaThenFile;
use crate::api::{path_id, utc};
use crate::db::models::DocumentRow;
use crate::domain::DivisionCode;
use crate::domain::document::{DocumentKind, MediaType};
use crate::error::{ApiError, Problem};
use crate::services::documents::{self as service, DocumentMeta, DocumentUpload};
use crate::services::photos::Spooled;
use crate::services::{Caller, Created};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(upload).service(list).service(get_one).service(content).service(household_archive).service(village_archive);
}

/// The multipart body of a document upload: the `meta` part first (JSON), then the `file` part.
#[derive(ToSchema)]
pub struct DocumentUploadBody {
    pub meta: DocumentMetaBody,
    /// The scan or photo: PDF, JPEG or PNG (known by its content).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The `meta` part of a document upload.
#[derive(Deserialize, Validate, ToSchema)]
pub struct DocumentMetaBody {
    #[validate(required)]
    #[schema(value_type = DocumentKind)]
    pub kind: Option<String>,
    /// The statistical year the document belongs to (default: this year).
    pub year: Option<i32>,
}

fn parse_meta(bytes: &[u8]) -> Result<DocumentMeta, ApiError> {
    let (m, mut errs) = crate::api::body::parse_part::<DocumentMetaBody>(bytes, "meta.")?;
    let kind = m.kind.as_deref().and_then(|k| errs.check("meta.kind", DocumentKind::parse(k)));
    match kind {
        Some(kind) if errs.is_empty() => Ok(DocumentMeta { kind, year: m.year }),
        _ => Err(errs.into()),
    }
}

/// A document of a household's file.
#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub household_id: String,
    pub kind: DocumentKind,
    pub year: i32,
    /// `application/pdf`, `image/jpeg` or `image/png`, from the file's content.
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
    /// Where the bytes are: `/api/v1/documents/{id}/content`.
    pub url: String,
}

impl DocumentView {
    pub(crate) fn from_row(r: &DocumentRow) -> Self {
        Self {
            id: r.id.clone(),
            household_id: r.household_id.clone(),
            kind: DocumentKind::parse(&r.kind).unwrap_or(DocumentKind::Other),
            year: r.year,
            media_type: r.media_type.clone(),
            size_bytes: r.size_bytes,
            sha256: r.sha256.clone(),
            uploaded_by: r.uploaded_by_name.clone(),
            created_at: utc(r.created_at),
            url: format!("/api/v1/documents/{}/content", r.id),
        }
    }
}

/// A document upload as the request carries it: the `meta` part, then the scan.
struct MultipartDocument<'a>(MetaThenFile<'a>);

impl DocumentUpload for MultipartDocument<'_> {
    async fn meta(&mut self) -> Result<DocumentMeta, ApiError> {
        parse_meta(&self.0.meta().await?)
    }

    async fn file(self) -> Result<Spooled, ApiError> {
        self.0.file().await
    }
}

/// Add a document to a household's file 一户一档
///
/// Upload a document (multipart: part `meta` JSON first, then part `file`): a scan or photo of the
/// household's application, the home-visit record 入户调查记录, the information-collection form,
/// the 明白卡, a signed commitment, a photo of the posted publicity list, the signed list, the
/// evaluation's minutes, or another paper of the household's file.
///
/// PDF, JPEG or PNG, known by the file's first bytes (a name or a declared type is not believed;
/// anything else is 415); at most `FANGPIN_DOCUMENT_MAX_BYTES` (413, nothing stored). The same
/// file sent again for the household answers the document already filed (200); sent as another
/// kind or year, 409 `filed_already` naming how it is filed. Not for auditors (403).
#[utoipa::path(operation_id = "upload_document", tag = "documents", security(("bearer" = [])), params(("id" = String, Path, description = "household id")),
    request_body(content((DocumentUploadBody = "multipart/form-data", encoding(("meta" = (content_type = "application/json")), ("file" = (content_type = "application/pdf, image/jpeg, image/png"))))), description = "part `meta`: DocumentMetaBody JSON, first; part `file`: the PDF, JPEG or PNG"),
    responses(
        (status = 201, body = DocumentView, headers(("Location" = String, description = "the document's path, `/api/v1/documents/{id}`"))),
        (status = 200, description = "the same file was filed for this household before: that document", body = DocumentView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "filed_already: the same file is filed as another kind or year", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/households/{id}/documents")]
pub async fn upload(state: Data<AppState>, user: Caller, id: Path<String>, req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let household_id = path_id(&id)?;
    let upload = MultipartDocument(MetaThenFile::new(&req, payload, state.settings.data_dir.join("tmp"), state.upload_memory.clone(), state.settings.document_max_bytes, "a document", "the document goes in a part named file"));
    Ok(match service::upload(&state, &user, household_id, upload).await? {
        Created::New(row) => HttpResponse::Created().insert_header(("Location", format!("/api/v1/documents/{}", row.id))).json(DocumentView::from_row(&row)),
        Created::Existing(row) => HttpResponse::Ok().json(DocumentView::from_row(&row)),
    })
}

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    /// Statistical year (default: this year).
    pub year: Option<i32>,
}

/// A household's file of a year and how complete it is.
#[derive(Serialize, ToSchema)]
pub struct HouseholdDocuments {
    pub year: i32,
    /// Every document the household's category needs for the year is present (the checklist
    /// `FANGPIN_DOCUMENT_CHECKLIST`; true when its category needs none).
    pub complete: bool,
    pub required: Vec<DocumentKind>,
    pub missing: Vec<DocumentKind>,
    pub items: Vec<DocumentView>,
}

/// List a household's documents 一户一档
///
/// The household's documents of a year, and the kinds its category still lacks for that year.
#[utoipa::path(operation_id = "list_household_documents", tag = "documents", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), YearQuery), responses(
    (status = 200, body = HouseholdDocuments),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/documents")]
pub async fn list(state: Data<AppState>, user: Caller, id: Path<String>, q: Query<YearQuery>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&state.today()));
    let file = service::of_household(&state, &user, id, year).await?;
    let c = file.completeness;
    Ok(HttpResponse::Ok().json(HouseholdDocuments { year, complete: c.complete, required: c.required, missing: c.missing, items: file.rows.iter().map(DocumentView::from_row).collect() }))
}

/// Get a document
///
/// A document of a household's file: its kind, year, sniffed type, size, SHA-256 and uploader.
#[utoipa::path(operation_id = "get_document", tag = "documents", security(("bearer" = [])), params(("id" = String, Path, description = "document id")), responses(
    (status = 200, body = DocumentView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/documents/{id}")]
pub async fn get_one(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let row = service::get(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(DocumentView::from_row(&row)))
}

/// Download a document
///
/// The file as uploaded, as an attachment, its `Content-Type` the one sniffed on upload
/// (`application/pdf`, `image/jpeg` or `image/png`, as the document's `media_type` says); a PDF is
/// never run inside the console's origin (`Content-Security-Policy: sandbox`).
#[utoipa::path(operation_id = "get_document_content", tag = "documents", security(("bearer" = [])), params(("id" = String, Path, description = "document id")), responses(
    (status = 200, description = "the file, in its type (`media_type`)", content((inline(crate::api::media::Binary) = "*/*"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/documents/{id}/content")]
pub async fn content(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let (row, stream) = service::content(&state, &user, path_id(&id)?).await?;
    let ext = MediaType::from_mime(&row.media_type).map(|m| m.extension()).unwrap_or("bin");
    Ok(HttpResponse::Ok()
        .content_type(row.media_type.as_str())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"document-{}.{ext}\"", row.id)))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .streaming(stream.map(|r| r.map_err(|e| actix_web::Error::from(ApiError::from(e))))))
}

fn zip_answer(name: String, chunks: crate::services::archive::Chunks) -> HttpResponse {
    let body = futures_util::stream::unfold(chunks, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body)
}

/// Download a household's file 一户一档 as a zip
///
/// One folder named by the household's number: `<number>-档案.xlsx` (the record in the sheets of
/// the division export — 户信息, 家庭成员, 年度信息 with every year — then 结对帮扶, 程序 with each
/// step, 问题, 材料清单 and 照片清单), the documents under `材料/` and the photos (all but rejected
/// ones) under `照片/`, named by year and kind. ID and phone numbers as `GET /households/{id}`
/// shows them to the caller (a full read is recorded in the read log). Streamed.
#[utoipa::path(operation_id = "get_household_archive", tag = "documents", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses(
    (status = 200, description = "the zip", content((inline(crate::api::media::Binary) = "application/zip"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/archive.zip")]
pub async fn household_archive(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let (name, chunks) = crate::services::archive::household(&state, &user, path_id(&id)?).await?;
    Ok(zip_answer(name, chunks))
}

/// Download a village's household files as one zip
///
/// Every household of the village in order of its number, each folder as in
/// `GET /households/{id}/archive.zip`, ID and phone numbers masked. Streamed one household at a
/// time (memory does not grow with the village). A code that is not a village of the jurisdiction is 404.
#[utoipa::path(operation_id = "get_village_archive", tag = "documents", security(("bearer" = [])), params(("code" = String, Path, description = "village code (12 digits)")), responses(
    (status = 200, description = "the zip", content((inline(crate::api::media::Binary) = "application/zip"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/villages/{code}/archive.zip")]
pub async fn village_archive(state: Data<AppState>, user: Caller, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let village = DivisionCode::parse(&code).map_err(|_| ApiError::NotFound)?;
    let (name, chunks) = crate::services::archive::village(&state, &user, village).await?;
    Ok(zip_answer(name, chunks))
}
