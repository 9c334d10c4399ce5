//! The `fangpin` command: serve, migrate, admin, openapi, demo, divisions.

use std::io::Read;

use clap::{Parser, Subcommand};
use fangpin::config::Settings;
use fangpin::db::models::UserRow;
use fangpin::db::repo;
use fangpin::domain::{DivisionCode, Role};
use fangpin::{startup, telemetry};

#[derive(Parser)]
#[command(name = "fangpin", version, about = "防贫 — poverty-monitoring backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (migrates first; creates the first admin on an empty database).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Manage users.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the OpenAPI document (checked in as openapi/openapi.json).
    Openapi,
    /// Load the demo county 子洲县 (610831) with generated households; idempotent.
    Demo {
        /// Households per demo village (15 villages).
        #[arg(long, default_value_t = 20)]
        per_village: u32,
        /// Instead: bulk-load this many generated households over every village (benchmarks).
        #[arg(long)]
        scale: Option<u32>,
    },
    /// Division codes.
    Divisions {
        #[command(subcommand)]
        command: DivisionCommand,
    },
    /// The object store.
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
    /// Import households and members from the national system's spreadsheet (xlsx, see the
    /// README); writes the row-level error report beside the file as `<file>.errors.xlsx`.
    Import {
        file: std::path::PathBuf,
        /// The division the rows must belong to (default: the demo county 子洲县).
        #[arg(long, default_value = "610831000000")]
        division: String,
    },
    /// Data cleaning 数据清洗.
    Quality {
        #[command(subcommand)]
        command: QualityCommand,
    },
}

#[derive(Subcommand)]
enum QualityCommand {
    /// Run every cleaning rule over a division and reconcile the problem ledger.
    Run {
        /// County, township or village code.
        #[arg(long)]
        division: String,
        /// Statistical year of the records and photos checked (default: this year).
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Subcommand)]
enum StorageCommand {
    /// Remove photo objects that have no database row (left by a crash between the two).
    Gc {
        /// Leave objects younger than this alone (uploads in flight).
        #[arg(long, default_value_t = 60)]
        grace_minutes: i64,
        /// Only report what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user; the password is read from FANGPIN_NEW_PASSWORD or standard input.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = ["county_admin", "township_reviewer", "village_officer", "cadre", "auditor"])]
        role: String,
        /// 12-digit division code.
        #[arg(long)]
        jurisdiction: String,
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum DivisionCommand {
    /// Import a division CSV (`code,name,level,…`, as in the 2023 statistical codes); adds missing rows.
    Import { file: std::path::PathBuf },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    telemetry::init(settings.log_format);
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&fangpin::api::openapi())?);
            Ok(())
        }
        Command::Migrate => {
            let state = startup::state(settings)?;
            let n = state.db.migrate()?;
            println!("{n} migration(s) applied");
            Ok(())
        }
        Command::Demo { per_village, scale } => {
            let state = startup::state(settings)?;
            startup::bootstrap(&state)?;
            if let Some(total) = scale {
                let added = fangpin::demo::load_scale(&state.db, &state.crypto, total)?;
                println!("bulk-loaded {added} new households into the demo county");
                return Ok(());
            }
            let (divisions, households) = fangpin::demo::load(&state.db, &state.crypto, per_village)?;
            println!("demo county 子洲县 loaded: {divisions} new divisions, {households} new households");
            Ok(())
        }
        Command::Divisions { command: DivisionCommand::Import { file } } => {
            let state = startup::state(settings)?;
            state.db.migrate()?;
            let text = std::fs::read_to_string(&file)?;
            let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
            let n = fangpin::demo::import_divisions(&mut conn, &text)?;
            println!("{n} new division(s) imported from {}", file.display());
            Ok(())
        }
        Command::Storage { command: StorageCommand::Gc { grace_minutes, dry_run } } => {
            let state = startup::state(settings)?;
            state.db.migrate()?;
            state.storage.check().await?;
            let r = fangpin::maintenance::storage_gc(&state, chrono::Duration::minutes(grace_minutes), dry_run)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for key in &r.removed {
                println!("{} {key}", if dry_run { "would remove" } else { "removed" });
            }
            println!(
                "scanned {} objects: {} referenced, {} younger than {grace_minutes} min, {} unreferenced {}",
                r.scanned, r.referenced, r.too_young, r.removed.len(), if dry_run { "(dry run)" } else { "removed" }
            );
            Ok(())
        }
        Command::Import { file, division } => {
            let state = startup::state(settings)?;
            startup::bootstrap(&state)?;
            let division = DivisionCode::parse(&division).map_err(|e| anyhow::anyhow!("{e}"))?;
            let scope = fangpin::auth::Scope::for_user(Role::CountyAdmin, &division, "");
            let mut c = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
            let actor = fangpin::db::repo::audit::Actor::system("import");
            let started = std::time::Instant::now();
            let r = fangpin::import::import_file(&mut c, &scope, &state.crypto, &actor, &file, state.today()).map_err(|e| anyhow::anyhow!("{e}: {}", e.problem().errors.first().map(|f| f.message.clone()).unwrap_or_default()))?;
            println!(
                "{} rows in {:.1} s: {} households imported, {} already present, {} refused ({} errors)",
                r.rows,
                started.elapsed().as_secs_f64(),
                r.households_imported,
                r.households_existing,
                r.households_refused,
                r.errors.len()
            );
            if !r.unknown_columns.is_empty() {
                println!("unknown columns (not read): {}", r.unknown_columns.join(", "));
            }
            if !r.errors.is_empty() {
                let out = file.with_extension("errors.xlsx");
                std::fs::write(&out, fangpin::import::report_xlsx(&r)?)?;
                println!("error report: {}", out.display());
            }
            Ok(())
        }
        Command::Quality { command: QualityCommand::Run { division, year } } => {
            let state = startup::state(settings)?;
            startup::bootstrap(&state)?;
            let division = DivisionCode::parse(&division).map_err(|e| anyhow::anyhow!("{e}"))?;
            let run = fangpin::services::quality::settings(&state, &division, year);
            let mut c = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
            let actor = fangpin::db::repo::audit::Actor::system("quality-run");
            let started = std::time::Instant::now();
            let scope = fangpin::auth::Scope::for_user(Role::CountyAdmin, &division, "");
            let r = fangpin::services::quality::run_on(&mut c, &scope, &state.crypto, &actor, &division, &run).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{} households in {:.1} s: {} hits, {} problems opened, {} reopened, {} resolved by the data",
                r.households,
                started.elapsed().as_secs_f64(),
                r.hits,
                r.opened,
                r.reopened,
                r.resolved
            );
            Ok(())
        }
        Command::Admin { command: AdminCommand::CreateUser { username, role, jurisdiction, display_name } } => {
            let state = startup::state(settings)?;
            startup::bootstrap(&state)?;
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!("{e}"))?;
            let jurisdiction = DivisionCode::parse(&jurisdiction).map_err(|e| anyhow::anyhow!("{e}"))?;
            if !role.jurisdiction_levels().contains(&jurisdiction.level()) {
                anyhow::bail!("a {} needs a jurisdiction at level {:?}", role.as_str(), role.jurisdiction_levels());
            }
            let password = match std::env::var("FANGPIN_NEW_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s.trim_end_matches(['\n', '\r']).to_owned()
                }
            };
            fangpin::domain::password::check_policy(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
            if repo::divisions::get(&mut conn, jurisdiction.as_str())?.is_none() {
                anyhow::bail!("division {jurisdiction} is unknown: import it first");
            }
            let hash = fangpin::auth::password::hash(&password)?;
            let name = display_name.unwrap_or_else(|| username.clone());
            let row = UserRow::new(&username, hash, &name, role.as_str(), jurisdiction.as_str());
            repo::users::insert(&mut conn, &row).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} ({}) for {}", row.username, row.role, row.jurisdiction);
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = startup::Application::build(settings).await?;
    let bind = app.state().settings.bind.clone();
    let backend = match app.state().db.kind() {
        fangpin::db::BackendKind::Sqlite => format!("SQLite at {}", app.state().settings.database_url()),
        fangpin::db::BackendKind::Postgres => "PostgreSQL".to_owned(),
    };
    let host = bind.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
    let base = format!("http://{host}:{}", app.port());
    println!("fangpin serving on {base} ({backend})");
    println!("  review console (township and county offices): {base}/console/");
    println!("  phone app (cadres; phones need HTTPS, see the README): {base}/app/");
    println!("  log in:   curl -s -X POST {base}/api/v1/auth/login -H 'content-type: application/json' -d '{{\"username\":\"admin\",\"password\":\"…\"}}'");
    let metrics = if app.state().settings.metrics_token.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        format!("{base}/metrics (bearer FANGPIN_METRICS_TOKEN)")
    } else {
        "off (set FANGPIN_METRICS_TOKEN)".to_owned()
    };
    println!("  API docs: {base}/docs   health: {base}/readyz   metrics: {metrics}");
    app.run_until_stopped().await?;
    Ok(())
}
