//! Changes other servers must know at once (several `fangpin serve` behind a load balancer over
//! one PostgreSQL): a write that changes a user account — disabled, role or jurisdiction changed,
//! password changed, tokens ended — sends `NOTIFY fangpin_users, '<user id>'` in its own
//! transaction (delivered at commit, never for a write rolled back), and every server listens on
//! its own connection and forgets that user at once (its cache would otherwise keep them for
//! `FANGPIN_AUTH_CACHE_SECS`). On SQLite there is one server: nothing to send.

use std::sync::Weak;
use std::time::Duration;

use diesel::prelude::*;

use super::DbConnection;

pub const USERS_CHANNEL: &str = "fangpin_users";
/// How often the listener reads what arrived (a change reaches every server within this).
const POLL: Duration = Duration::from_millis(100);

/// Tells every server that this user changed (PostgreSQL; inside the writing transaction).
pub fn user_changed(c: &mut DbConnection, user_id: &str) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = c {
        diesel::sql_query("SELECT pg_notify($1, $2)").bind::<diesel::sql_types::Text, _>(USERS_CHANNEL).bind::<diesel::sql_types::Text, _>(user_id).execute(pg)?;
    }
    Ok(())
}

/// What a listener tells its server.
pub enum Heard<'a> {
    /// This user changed: forget what is known of them.
    User(&'a str),
    /// The listener was (re)connected: changes sent while it was away are unknown, forget all.
    Everything,
}

/// Listens on `url` (PostgreSQL) on a thread of its own for as long as `running` lives (the
/// server runs), reconnecting after a failure; `on` is called for each change heard.
pub fn listen(url: String, running: Weak<()>, on: impl Fn(Heard) + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new().name("notify-listen".into()).spawn(move || {
        while running.strong_count() > 0 {
            let Ok(mut c) = PgConnection::establish(&url) else {
                std::thread::sleep(Duration::from_secs(1));
                continue;
            };
            if diesel::sql_query(format!("LISTEN {USERS_CHANNEL}")).execute(&mut c).is_err() {
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            on(Heard::Everything);
            'connected: loop {
                std::thread::sleep(POLL);
                if running.strong_count() == 0 {
                    return;
                }
                for heard in c.notifications_iter() {
                    match heard {
                        Ok(n) => on(Heard::User(&n.payload)),
                        // The connection is gone (a restart): listen again on a new one.
                        Err(_) => break 'connected,
                    }
                }
            }
        }
    })?;
    Ok(())
}
