//! `/cases/{id}/documents`: documents of the household's file attached to a case 程序材料.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::documents::DocumentView;
use crate::api::body::Checked;
use crate::api::{path_id, utc};
use crate::db::models::{CaseDocumentRow, DocumentRow};
use crate::domain::procedure::Step;
use crate::error::{ApiError, Problem};
use crate::services::case_documents as service;
use crate::services::{Caller, Created};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(attach).service(list);
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct AttachBody {
    /// A document of the case's household (`POST /households/{id}/documents`).
    #[validate(required)]
    #[schema(value_type = String)]
    pub document_id: Option<String>,
    /// The recorded step it belongs to (a publicity's posted list, an evaluation's minutes).
    #[schema(value_type = Option<Step>)]
    pub step: Option<String>,
}

/// A document attached to a case.
#[derive(Serialize, ToSchema)]
pub struct CaseDocumentView {
    pub case_id: String,
    pub step: Option<Step>,
    /// The step's date (a publicity: the day the list was posted).
    pub step_date: Option<NaiveDate>,
    /// A JPEG's EXIF date, in the service zone.
    pub exif_taken_on: Option<NaiveDate>,
    /// `taken_before_posting`: a photo of the posted list taken before the posting day.
    pub flag: Option<String>,
    pub linked_by: String,
    pub linked_at: chrono::DateTime<chrono::Utc>,
    pub document: DocumentView,
}

#[derive(Serialize, ToSchema)]
pub struct CaseDocuments {
    pub items: Vec<CaseDocumentView>,
}

fn view((l, d): (CaseDocumentRow, DocumentRow)) -> CaseDocumentView {
    CaseDocumentView {
        case_id: l.case_id,
        step: l.step.as_deref().and_then(|s| Step::parse(s).ok()),
        step_date: l.step_date,
        exif_taken_on: l.exif_taken_on,
        flag: l.flag,
        linked_by: l.linked_by,
        linked_at: utc(l.created_at),
        document: DocumentView::from_row(&d),
    }
}

/// Attach a document to a case 程序材料
///
/// Attach a document of the household's file — the scan of a signed publicity list, the
/// evaluation's minutes, the application, the home-visit record — to the case, and to one of its
/// recorded steps when `step` is given. A photo of the posted publicity list (`publicity_photo`)
/// whose EXIF date falls before the step's date (the posting day) is kept with `flag:
/// taken_before_posting`. Village officer and above (403); another household's document or a step
/// the case has not recorded is 422; attaching the same document again answers the first (200).
#[utoipa::path(operation_id = "attach_case_document", tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "case id")), request_body = AttachBody, responses(
    (status = 201, body = CaseDocumentView),
    (status = 200, description = "attached before: the first attachment", body = CaseDocumentView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/cases/{id}/documents")]
pub async fn attach(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<AttachBody>) -> Result<HttpResponse, ApiError> {
    let case_id = path_id(&id)?;
    let (body, mut errs) = body.into_parts();
    let document_id = body.document_id.as_deref().and_then(|d| errs.check("document_id", uuid::Uuid::parse_str(d.trim()).map(|u| u.to_string()).map_err(|_| crate::domain::validation::DomainError::new("invalid_value", "a document id"))));
    let step = body.step.as_deref().and_then(|s| errs.check("step", Step::parse(s)));
    let Some(document_id) = document_id.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    Ok(match service::link(&state, &user, case_id, document_id, step).await? {
        Created::New(r) => HttpResponse::Created().json(view(r)),
        Created::Existing(r) => HttpResponse::Ok().json(view(r)),
    })
}

/// List a case's documents 程序材料
///
/// The documents attached to the case, oldest first, with their step, dates and flags.
#[utoipa::path(operation_id = "list_case_documents", tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "case id")), responses(
    (status = 200, body = CaseDocuments),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/cases/{id}/documents")]
pub async fn list(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let rows = service::of_case(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(CaseDocuments { items: rows.into_iter().map(view).collect() }))
}
