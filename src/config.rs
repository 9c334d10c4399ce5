//! Settings: defaults, then an optional TOML file, then `FANGPIN_*` environment variables
//! (and `DATABASE_URL`). Passed by value into the app; no globals.

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Which authenticated cipher protects personal data at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CipherKind {
    /// AES-256-GCM (default).
    Aes256Gcm,
    /// SM4-GCM (GB/T 32907), for offices that must use the national algorithms.
    Sm4Gcm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Debug output redacts the secrets (see the `Debug` impl below): settings may be logged.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Folder for the SQLite file, generated secrets and (by default) photo objects.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; empty for SQLite at `<data_dir>/fangpin.db`.
    pub database_url: Option<String>,
    pub bind: String,
    pub db_pool_size: u32,
    /// Seconds a request waits for a database connection before it gets 503.
    pub db_timeout_secs: u64,
    /// A pooled PostgreSQL connection idle longer than this (seconds) is checked with a round
    /// trip before it is handed out (a restarted server leaves idle sockets dead).
    pub db_idle_check_secs: u64,
    /// On SIGTERM the server stops accepting connections and gives the requests in flight
    /// (uploads included) this many seconds to finish before it drops them and exits.
    pub shutdown_grace_secs: u64,
    pub admin_password: Option<String>,
    /// The first admin's jurisdiction; unset: the demo county (`demo::admin_jurisdiction`).
    pub admin_jurisdiction: Option<String>,
    /// HS256 signing secret; generated into `<data_dir>/jwt.secret` when absent.
    pub jwt_secret: Option<String>,
    /// Base64 of 32 bytes; generated into `<data_dir>/data.key` when absent.
    pub data_key: Option<String>,
    pub cipher: CipherKind,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    pub login_window_secs: i64,
    pub login_max_failures_per_user: i64,
    pub login_max_failures_per_address: i64,
    /// Password checks computed at once (each takes ~19 MiB and tens of ms of CPU).
    pub password_workers: usize,
    /// Seconds a password check waits for a free worker before the request gets 503.
    pub password_queue_secs: u64,
    /// A request body must arrive at this average rate (bytes/s) once the grace period is over,
    /// and no pause between two chunks may be longer than the grace period; else 408.
    pub body_min_rate_bytes: u64,
    pub body_grace_secs: u64,
    /// Bearer token that `/metrics` requires; unset: `/metrics` is not served.
    pub metrics_token: Option<String>,
    /// Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is believed
    /// (comma-separated); from any other peer the header is ignored.
    pub trusted_proxies: String,
    pub log_format: LogFormat,
    /// Seconds an authenticated user is reused without a database read (0: read every request).
    pub auth_cache_secs: u64,
    /// A capture less precise than this never becomes a home (metres).
    pub location_max_accuracy_m: f64,
    /// A capture farther than this from the home is a move to confirm (metres).
    pub location_move_threshold_m: f64,
    /// A capture farther than this from the village centre is flagged (metres).
    pub location_village_radius_m: f64,
    /// Homes a village needs before its median is used as its centre.
    pub location_village_centre_min_homes: usize,
    /// Tolerated phone clock skew into the future (seconds).
    pub location_clock_skew_secs: i64,
    /// A capture older than this on arrival does not become the home (days).
    pub location_max_age_days: i64,
    /// A home captured longer ago than this counts as stale in coverage (days).
    pub location_stale_after_days: i64,
    /// A case waiting longer than this many days at one step is overdue.
    pub case_overdue_days: i64,
    /// The departments a county cross-check 部门信息比对 answers for, each one recorded (TOML list).
    pub cross_check_departments: Vec<String>,
    /// The situations that forbid exit applied at an exit's evaluation, by rule id
    /// (`domain::procedure::eligibility::FORBIDDING_RULES`; all by default).
    pub exit_forbidding_rules: Vec<String>,
    /// Days a township has to settle a problem of the ledger (its deadline).
    pub quality_deadline_days: i64,
    /// Days a problem recorded by people has, by `source.severity`, `source` or `default`
    /// (限时销号; `quality::people::DeadlineDays`).
    pub problem_deadline_days: crate::domain::quality::people::DeadlineDays,
    /// A head's phone shared by more households than this is a problem.
    pub quality_phone_max_households: usize,
    /// `local` (default, `<data_dir>/objects`), `s3` or `memory` (tests).
    pub storage: crate::storage::StorageKind,
    /// Folder of the local object store (default `<data_dir>/objects`).
    pub storage_dir: Option<PathBuf>,
    pub s3_endpoint: Option<String>,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    pub s3_path_style: bool,
    /// Sign requests without the body's SHA-256 (`UNSIGNED-PAYLOAD`): the photo is hashed once,
    /// while it is received, instead of a second time for the signature. Set `false` for a store
    /// reached over plain HTTP across a network you do not trust (TLS protects the body otherwise).
    pub s3_unsigned_payload: bool,
    /// Folder inside the bucket for this deployment's objects.
    pub s3_prefix: Option<String>,
    /// Largest accepted photo upload (bytes).
    pub photo_max_bytes: usize,
    /// Largest accepted photo (pixels), refused from the header before decoding.
    pub photo_max_pixels: u64,
    /// A photo within this distance of the home is "near home" (metres).
    pub photo_near_home_m: f64,
    /// EXIF time and stated time may differ by this much (minutes).
    pub photo_time_tolerance_mins: i64,
    /// Collection window within each year, `MM-DD`, inclusive.
    pub photo_window_start: String,
    pub photo_window_end: String,
    /// Image editors (parts of a software name, any case): a photo naming one was edited.
    pub photo_editors: Vec<String>,
    /// An embedded preview differing from the picture by more bits than this (of 256) does
    /// not match it (see the README for how 24 was chosen).
    pub photo_thumbnail_max_bits: u32,
    /// EXIF time and the GPS clock of a photo may differ by this much (minutes).
    pub photo_gps_time_tolerance_mins: i64,
    /// EXIF GPS and the position the phone reported may be this far apart (metres).
    pub photo_position_mismatch_m: f64,
    /// A photo saved this long after it was taken is shown as modified after capture (minutes).
    pub photo_modified_after_mins: i64,
    /// Photos decoded at once (CPU-bound work on their own threads, at a lower CPU priority so
    /// reads are served first; the rest wait their turn).
    pub photo_workers: usize,
    /// How long an upload waits for a photo worker before it is answered 503 with `Retry-After`.
    pub photo_queue_secs: u64,
    /// Memory the uploads (photos, documents) may hold at once: a body that fits is received
    /// into memory, one that does not (or of unknown length) is spooled to a file (bytes; 0:
    /// always to a file).
    pub upload_memory_bytes: usize,
    /// Poverty lines and exit minimums per province and year (TOML `[[thresholds]]` tables).
    pub thresholds: Vec<crate::domain::yearly::ThresholdRule>,
    /// Service time zone for dates (statistical year, publicity periods).
    pub timezone: String,
    /// Largest accepted document of a household's file (bytes).
    pub document_max_bytes: usize,
    /// Most problems a year's 问题台账 or 整改清单 holds (a report is built whole for its A4
    /// layout): a division with more is asked to narrow to a township or a village (422).
    pub report_max_rows: usize,
    /// The documents each category's file must hold for a year 一户一档 (TOML table
    /// `[document_checklist]`, category = [kinds]; a category not named needs none).
    pub document_checklist: crate::domain::document::Checklist,
    /// The thresholds of the risk screening 集中摸排 (TOML table `[screening]`).
    pub screening: crate::domain::screening::ScreeningRules,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            bind: "127.0.0.1:8080".into(),
            db_pool_size: 16,
            db_timeout_secs: 5,
            db_idle_check_secs: 30,
            shutdown_grace_secs: 30,
            admin_password: None,
            admin_jurisdiction: None,
            jwt_secret: None,
            data_key: None,
            cipher: CipherKind::Aes256Gcm,
            access_token_ttl_secs: 900,
            refresh_token_ttl_days: 30,
            login_window_secs: 900,
            login_max_failures_per_user: 5,
            login_max_failures_per_address: 30,
            password_workers: 2,
            password_queue_secs: 5,
            body_min_rate_bytes: 1024,
            body_grace_secs: 10,
            metrics_token: None,
            trusted_proxies: String::new(),
            log_format: LogFormat::Text,
            auth_cache_secs: 5,
            location_max_accuracy_m: 50.0,
            location_move_threshold_m: 200.0,
            location_village_radius_m: 15_000.0,
            location_village_centre_min_homes: 5,
            location_clock_skew_secs: 300,
            location_max_age_days: 30,
            location_stale_after_days: 1095,
            case_overdue_days: 15,
            cross_check_departments: crate::domain::procedure::steps::DEFAULT_DEPARTMENTS.iter().map(|d| d.to_string()).collect(),
            exit_forbidding_rules: crate::domain::procedure::eligibility::all_rule_ids(),
            quality_deadline_days: 30,
            problem_deadline_days: Default::default(),
            quality_phone_max_households: 3,
            storage: crate::storage::StorageKind::Local,
            storage_dir: None,
            s3_endpoint: None,
            s3_bucket: "fangpin".into(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_path_style: true,
            s3_unsigned_payload: true,
            s3_prefix: None,
            photo_max_bytes: 15 * 1024 * 1024,
            photo_max_pixels: 50_000_000,
            photo_near_home_m: 100.0,
            photo_time_tolerance_mins: 30,
            photo_window_start: "01-01".into(),
            photo_window_end: "12-31".into(),
            photo_editors: crate::domain::photo::DEFAULT_EDITORS.iter().map(|e| (*e).to_owned()).collect(),
            photo_thumbnail_max_bits: crate::photos::preview::DEFAULT_MAX_BITS,
            photo_gps_time_tolerance_mins: 30,
            photo_position_mismatch_m: 150.0,
            photo_modified_after_mins: 60,
            photo_workers: 2,
            photo_queue_secs: 30,
            upload_memory_bytes: 256 * 1024 * 1024,
            thresholds: crate::domain::yearly::default_thresholds(),
            timezone: "Asia/Shanghai".into(),
            document_max_bytes: 20 * 1024 * 1024,
            report_max_rows: 50_000,
            document_checklist: crate::domain::document::Checklist::default(),
            screening: crate::domain::screening::ScreeningRules::default(),
        }
    }
}

/// Settings whose values are secrets: `Debug` prints `[redacted]` for them.
const SECRET_SETTINGS: [&str; 5] = ["admin_password", "jwt_secret", "data_key", "s3_secret_access_key", "metrics_token"];

impl std::fmt::Debug for Settings {
    /// Every setting, from their serialised form (so a new setting is never forgotten here), with
    /// the secrets and the password of a database URL redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut value = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
        if let Some(map) = value.as_object_mut() {
            for key in SECRET_SETTINGS {
                if let Some(v) = map.get_mut(key).filter(|v| !v.is_null()) {
                    *v = "[redacted]".into();
                }
            }
            if let Some(url) = self.database_url.as_deref() {
                map.insert("database_url".into(), redact_url(url).into());
            }
        }
        write!(f, "Settings {value}")
    }
}

/// A URL without the password of its user part (`postgres://user:[redacted]@host/db`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((user_info, host)) = rest.rsplit_once('@') else { return url.to_owned() };
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:[redacted]@{host}"),
        None => url.to_owned(),
    }
}

impl Settings {
    /// Reads `FANGPIN_CONFIG` (or `./fangpin.toml` if present) and the environment.
    pub fn load() -> anyhow::Result<Self> {
        let file = std::env::var("FANGPIN_CONFIG").unwrap_or_else(|_| "fangpin.toml".into());
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("FANGPIN_").ignore(&["CONFIG", "TEST_DATABASE_URL"]))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .extract()?;
        Ok(settings)
    }

    /// The database URL actually used.
    pub fn database_url(&self) -> String {
        match self.database_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_owned(),
            _ => self.data_dir.join("fangpin.db").to_string_lossy().into_owned(),
        }
    }

    pub fn capture_rules(&self) -> crate::domain::location::CaptureRules {
        crate::domain::location::CaptureRules {
            max_accuracy_m: self.location_max_accuracy_m,
            move_threshold_m: self.location_move_threshold_m,
            village_radius_m: self.location_village_radius_m,
            village_centre_min_homes: self.location_village_centre_min_homes,
            clock_skew: chrono::Duration::seconds(self.location_clock_skew_secs),
            max_age: chrono::Duration::days(self.location_max_age_days),
        }
    }

    pub fn s3(&self) -> crate::storage::S3Settings {
        crate::storage::S3Settings {
            endpoint: self.s3_endpoint.clone(),
            bucket: self.s3_bucket.clone(),
            region: self.s3_region.clone(),
            access_key_id: self.s3_access_key_id.clone(),
            secret_access_key: self.s3_secret_access_key.clone(),
            path_style: self.s3_path_style,
            unsigned_payload: self.s3_unsigned_payload,
            prefix: self.s3_prefix.clone(),
        }
    }

    /// The photo checks' thresholds; the window must be valid `MM-DD` dates.
    pub fn check_rules(&self) -> anyhow::Result<crate::domain::photo::CheckRules> {
        let md = |s: &str| -> anyhow::Result<(u32, u32)> {
            let (m, d) = s.split_once('-').ok_or_else(|| anyhow::anyhow!("{s}: expected MM-DD"))?;
            let (m, d) = (m.parse()?, d.parse()?);
            chrono::NaiveDate::from_ymd_opt(2024, m, d).ok_or_else(|| anyhow::anyhow!("{s}: no such day"))?;
            Ok((m, d))
        };
        Ok(crate::domain::photo::CheckRules {
            near_home_m: self.photo_near_home_m,
            time_tolerance: chrono::Duration::minutes(self.photo_time_tolerance_mins),
            window: (md(&self.photo_window_start)?, md(&self.photo_window_end)?),
            editors: self.photo_editors.iter().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect(),
            thumbnail_max_bits: self.photo_thumbnail_max_bits,
            gps_time_tolerance: chrono::Duration::minutes(self.photo_gps_time_tolerance_mins),
            position_mismatch_m: self.photo_position_mismatch_m,
            modified_after: chrono::Duration::minutes(self.photo_modified_after_mins),
        })
    }

    /// The proxies named in `trusted_proxies`.
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| anyhow::anyhow!("FANGPIN_TRUSTED_PROXIES: {s} is neither an address nor a CIDR range"))
            })
            .collect()
    }

    pub fn tz(&self) -> anyhow::Result<chrono_tz::Tz> {
        self.timezone.parse().map_err(|e| anyhow::anyhow!("unknown time zone {}: {e}", self.timezone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_the_secrets() {
        let s = Settings {
            admin_password: Some("Admin-pass-1".into()),
            jwt_secret: Some("jwt-secret-0123456789abcdef0123456789".into()),
            data_key: Some("ZGF0YS1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=".into()),
            s3_secret_access_key: Some("s3-secret-key".into()),
            metrics_token: Some("scrape-token-0123456789".into()),
            database_url: Some("postgres://fangpin:db-password@127.0.0.1:5432/fangpin".into()),
            ..Settings::default()
        };
        let shown = format!("{s:?}");
        for secret in ["Admin-pass-1", "jwt-secret-0123", "ZGF0YS1rZXkt", "s3-secret-key", "scrape-token", "db-password"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        assert!(shown.contains("postgres://fangpin:[redacted]@127.0.0.1:5432/fangpin"), "{shown}");
        assert!(shown.contains("\"bind\":\"127.0.0.1:8080\""), "the other settings are shown: {shown}");
        assert!(format!("{:?}", Settings::default()).contains("\"metrics_token\":null"), "an unset secret shows as unset");
    }

    #[test]
    fn thresholds_are_money_with_at_most_two_decimals() {
        let read = |toml: &str| Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(toml)).extract::<Settings>().map_err(|e| e.to_string());
        let s = read("[[thresholds]]\nfrom_year = 2020\npoverty_line = 3015.5\nexit_minimum = 4000\n").unwrap();
        assert_eq!((s.thresholds[0].poverty_line.fen(), s.thresholds[0].exit_minimum.fen()), (301_550, 400_000));
        assert!(read("[[thresholds]]\nfrom_year = 2020\npoverty_line = 3015.555\nexit_minimum = 4000\n").is_err());
        assert_eq!(Settings::default().thresholds[1].poverty_line.fen(), 301_500, "the defaults survive the round through figment");
        assert_eq!(read("").unwrap().thresholds, Settings::default().thresholds);
    }

    #[test]
    fn urls_lose_only_their_password() {
        assert_eq!(redact_url("postgres://u:p@h:5432/d?x=1"), "postgres://u:[redacted]@h:5432/d?x=1");
        assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redact_url("/data/fangpin.db"), "/data/fangpin.db");
    }
}
