//! Building and running the application from `Settings`: secrets, database, bootstrap, server.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use actix_web_prom::PrometheusMetricsBuilder;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::api;
use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::crypto::{Crypto, random_key_b64};
use crate::db::models::UserRow;
use crate::db::{Db, repo};
use crate::domain::{DivisionCode, Role};
use crate::state::AppState;

/// A secret from configuration, or from `<data_dir>/<file>`, generated (mode 0600) on first use.
fn secret(configured: &Option<String>, dir: &Path, file: &str) -> anyhow::Result<String> {
    if let Some(s) = configured.as_deref().filter(|s| !s.trim().is_empty()) {
        return Ok(s.trim().to_owned());
    }
    let path = dir.join(file);
    if path.exists() {
        crate::private_fs::tighten(&path, 0o600)?;
        return Ok(std::fs::read_to_string(&path)?.trim().to_owned());
    }
    let value = random_key_b64();
    crate::private_fs::write_new(&path, value.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a new secret");
    Ok(value)
}

/// Builds the shared state (creating the data folder and secrets as needed). No database I/O.
pub fn state(settings: Settings) -> anyhow::Result<AppState> {
    crate::private_fs::create_dir(&settings.data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create the data folder {}: {e}", settings.data_dir.display()))?;
    let jwt_secret = secret(&settings.jwt_secret, &settings.data_dir, "jwt.secret")?;
    if jwt_secret.len() < 32 {
        anyhow::bail!("FANGPIN_JWT_SECRET must have at least 32 characters");
    }
    let data_key = Crypto::parse_key(&secret(&settings.data_key, &settings.data_dir, "data.key")?)?;
    if settings.database_url.as_deref().map(str::trim).is_none_or(str::is_empty) {
        // The SQLite file exists 0600 before SQLite opens it (its -wal and -shm files follow).
        crate::private_fs::touch(&settings.data_dir.join("fangpin.db"))?;
    }
    let db = Db::new(
        &settings.database_url(),
        settings.db_pool_size,
        Duration::from_secs(settings.db_timeout_secs),
        Duration::from_secs(settings.db_idle_check_secs),
    );
    crate::private_fs::create_dir(&settings.data_dir.join("tmp"))?;
    let storage = match settings.storage {
        crate::storage::StorageKind::Local => {
            let dir = settings.storage_dir.clone().unwrap_or_else(|| settings.data_dir.join("objects"));
            crate::storage::Storage::local(&dir)?
        }
        crate::storage::StorageKind::S3 => crate::storage::Storage::s3(&settings.s3())?,
        crate::storage::StorageKind::Memory => crate::storage::Storage::memory(),
    };
    /// Photo workers yield the CPU to requests on a saturated machine (nice 10: about a tenth
    /// of the weight of a normal thread while others want the CPU, all of it otherwise).
    const PHOTO_NICE: i32 = 10;
    let passwords = crate::auth::password::Passwords::new(settings.password_workers, Duration::from_secs(settings.password_queue_secs));
    let trusted_proxies = Arc::new(settings.trusted_proxies()?);
    settings.document_checklist.validate().map_err(|e| anyhow::anyhow!("{}", e.message))?;
    settings.screening.validate().map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if !(1..=1_000_000).contains(&settings.report_max_rows) {
        anyhow::bail!("FANGPIN_REPORT_MAX_ROWS is {}: a report holds 1 to 1 000 000 rows", settings.report_max_rows);
    }
    Ok(AppState {
        storage,
        photos: crate::workers::Workers::new("photo", settings.photo_workers, Duration::from_secs(settings.photo_queue_secs), PHOTO_NICE),
        upload_memory: crate::workers::MemoryBudget::new(settings.upload_memory_bytes),
        check_rules: settings.check_rules()?,
        read_log: crate::db::repo::audit::ReadLog::start(db.clone()),
        users: Arc::new(crate::state::UserCache::new(Duration::from_secs(settings.auth_cache_secs))),
        db,
        jwt: JwtKeys::new(jwt_secret.as_bytes(), settings.access_token_ttl_secs),
        crypto: Crypto::new(&data_key, settings.cipher),
        tz: settings.tz()?,
        settings: Arc::new(settings),
        migrated: Arc::new(AtomicBool::new(false)),
        passwords,
        trusted_proxies,
    })
}

/// Migrations, the admin's county divisions and the first admin user.
pub fn bootstrap(state: &AppState) -> anyhow::Result<()> {
    let applied = state.db.migrate()?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let jurisdiction = DivisionCode::parse(crate::demo::admin_jurisdiction(&state.settings))
        .map_err(|e| anyhow::anyhow!("FANGPIN_ADMIN_JURISDICTION: {e}"))?;
    if repo::users::count(&mut conn)? > 0 {
        state.migrated.store(true, Ordering::Release);
        return Ok(());
    }
    if repo::divisions::get(&mut conn, jurisdiction.as_str())?.is_none() {
        let csv = crate::demo::embedded_county(&jurisdiction).ok_or_else(|| {
            anyhow::anyhow!("division {jurisdiction} is unknown: import it first (fangpin divisions import FILE.csv)")
        })?;
        crate::demo::import_divisions(&mut conn, csv)?;
    }
    let (password, generated) = match state.settings.admin_password.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => (p.to_owned(), false),
        None => (generate_password(), true),
    };
    crate::domain::password::check_policy(&password).map_err(|e| anyhow::anyhow!("FANGPIN_ADMIN_PASSWORD: {e}"))?;
    let hash = crate::auth::password::hash(&password)?;
    let admin = UserRow::new("admin", hash, "县级管理员", Role::CountyAdmin.as_str(), jurisdiction.as_str());
    repo::users::insert(&mut conn, &admin).map_err(|e| anyhow::anyhow!("{e}"))?;
    if generated {
        println!("Created the county_admin user `admin` for {jurisdiction} with the password: {password}");
        println!("(shown once; set FANGPIN_ADMIN_PASSWORD to choose it)");
    } else {
        println!("Created the county_admin user `admin` for {jurisdiction} (password from FANGPIN_ADMIN_PASSWORD)");
    }
    state.migrated.store(true, Ordering::Release);
    Ok(())
}

/// A random password that satisfies the policy.
fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let body: String = (0..14).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{body}-7Q")
}

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    /// Held while the server runs: the listener of other servers' changes stops with it.
    running: Arc<()>,
}

impl Application {
    /// Binds the listener and prepares the server; the database may still be down: bootstrap is
    /// then retried in the background and `/readyz` answers 503 until it succeeds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let bind = settings.bind.clone();
        let state = state(settings)?;
        state.storage.check().await.map_err(|e| anyhow::anyhow!("{e} (check FANGPIN_STORAGE and FANGPIN_S3_*)"))?;
        let st = state.clone();
        let first = actix_web::web::block(move || bootstrap(&st)).await?;
        if let Err(e) = first {
            eprintln!("fangpin: the database is not ready ({e}); serving 503 and retrying every 2 s");
            let st = state.clone();
            std::thread::spawn(move || {
                while !st.is_migrated() {
                    std::thread::sleep(Duration::from_secs(2));
                    match bootstrap(&st) {
                        Ok(()) => tracing::info!("database reachable: bootstrap done"),
                        Err(e) => tracing::warn!(error = %e, "database still not ready"),
                    }
                }
            });
        }
        let running = Arc::new(());
        if state.db.kind() == crate::db::BackendKind::Postgres {
            // Other servers' changes to user accounts reach this one's cache at once.
            use crate::db::notify::{Heard, listen};
            let cache = state.users.clone();
            listen(state.settings.database_url(), Arc::downgrade(&running), move |heard| match heard {
                Heard::User(id) => cache.invalidate(id),
                Heard::Everything => cache.clear(),
            })?;
        }
        let listener = TcpListener::bind(&bind).map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
        let port = listener.local_addr()?.port();
        let server = server(listener, state.clone())?;
        Ok(Self { port, server, state, running })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops the server as SIGTERM does (`stop(true)`: graceful) or at once (`stop(false)`).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped: SIGTERM (or `handle().stop(true)`) stops accepting connections,
    /// lets the requests in flight finish within `shutdown_grace_secs`, then the reads they
    /// logged are written to the audit log before this returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let running = self.running;
        let served = self.server.await;
        drop(running);
        let log = self.state.read_log.clone();
        let flushed = actix_web::web::block(move || log.flush(Duration::from_secs(10))).await.unwrap_or(false);
        if !flushed {
            tracing::warn!("the read log could not be written before stopping");
        }
        tracing::info!("stopped");
        served
    }
}

/// Each HTTP worker builds its routes through utoipa, which generates the whole API document
/// (tens of MB in a debug build) and drops it again: the freed memory stays in the worker
/// thread's malloc arena unless it is handed back. Without this the server at rest held ~20 MB
/// per worker more with every operation added (tests/api/memory.rs measures it).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's arenas to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn server(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let grace = state.settings.shutdown_grace_secs;
    let metrics = PrometheusMetricsBuilder::new("fangpin")
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNKNOWN")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
    let doc = web::Data::new(serde_json::to_string(&api::openapi())?);
    release_free_memory();
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let app = App::new()
            .wrap(actix_web::middleware::from_fn(api::limits::body_deadline))
            .wrap(metrics.clone())
            .wrap(actix_web::middleware::from_fn(api::limits::metrics_guard))
            .wrap(tracing_actix_web::TracingLogger::<crate::telemetry::RequestSpan>::new())
            // Outermost, so every answer has it (API, console, docs, /metrics, errors): a photo or
            // document is never sniffed into HTML or script by the browser.
            .wrap(actix_web::middleware::DefaultHeaders::new().add((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
            .app_data(data.clone())
            .app_data(doc.clone())
            .configure(api::extractor_config)
            .into_utoipa_app()
            .openapi(api::ApiDoc::openapi())
            .service(
                utoipa_actix_web::scope("/api/v1")
                    .wrap(actix_web::middleware::from_fn(api::idempotency::middleware))
                    .configure(api::api_v1)
                    .route("/openapi.json", web::get().to(api::docs::openapi_json)),
            )
            .into_app()
            .service(api::ops::healthz)
            .service(api::ops::readyz)
            .service(api::docs::index)
            .service(api::docs::index_slash)
            .service(api::docs::css)
            .service(api::docs::js)
            .service(api::console::root)
            .service(api::console::index)
            .service(api::console::login)
            .service(api::console::refresh)
            .service(api::console::logout)
            .service(api::console::asset)
            .service(api::console::vendor_asset)
            .configure(api::app::routes)
            .default_service(web::to(api::not_found));
        release_free_memory();
        app
    })
    .listen(listener)?
    // A request head must arrive within 5 s (slow-loris before login); bodies: api::limits.
    .client_request_timeout(Duration::from_secs(5))
    // SIGTERM: graceful (no new connections, requests in flight finish within the grace period).
    .shutdown_timeout(grace)
    .run();
    Ok(server)
}
