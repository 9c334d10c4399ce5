//! `/docs` (Swagger UI, bundled: county offices may have no internet) and the OpenAPI JSON.

use actix_web::{HttpResponse, get, web};

const INDEX: &str = r##"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>fangpin API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#ui"});</script>
</body></html>"##;

#[get("/docs")]
pub async fn index() -> HttpResponse {
    index_page()
}

#[get("/docs/")]
pub async fn index_slash() -> HttpResponse {
    index_page()
}

fn index_page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(INDEX)
}

#[get("/docs/swagger-ui.css")]
pub async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(include_str!("../../assets/swagger-ui/swagger-ui.css"))
}

#[get("/docs/swagger-ui-bundle.js")]
pub async fn js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(include_str!("../../assets/swagger-ui/swagger-ui-bundle.js"))
}

/// The document, built once at start.
pub async fn openapi_json(doc: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(doc.get_ref().clone())
}
