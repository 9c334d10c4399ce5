//! Operations endpoints: liveness and readiness.

use actix_web::{HttpResponse, get, web::Data};
use serde_json::json;

use crate::state::AppState;

/// The process is up.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database is reachable and migrated; 503 otherwise.
#[get("/readyz")]
pub async fn readyz(state: Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let up = actix_web::web::block(move || db.ping()).await.unwrap_or(false);
    if up && state.is_migrated() {
        HttpResponse::Ok().json(json!({"status": "ready", "database": "up"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .content_type("application/problem+json")
            .json(json!({
                "type": "https://fangpin.example/problems/unavailable", "title": "Service Unavailable",
                "status": 503, "code": "unavailable",
                "detail": if up { "the database is reachable but not migrated yet" } else { "the database is unreachable" },
            }))
    }
}
