//! Reconciling the problem ledger 问题台账 with a run's hits: a new hit opens a problem, a
//! problem whose rule stopped firing is `resolved_by_data`, a dismissed problem stays dismissed
//! until the household's data changes (its fingerprint). Pure: the service applies the plan.

use std::collections::HashMap;

use super::Hit;

/// A problem the ledger holds for a household of the batch (open, verified, rectified or
/// dismissed: the ones a run may still change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub id: String,
    pub household_id: String,
    pub rule: String,
    /// The member concerned, or empty for the household.
    pub subject: String,
    pub status: String,
    pub detail: String,
    pub fingerprint: String,
    pub version: i64,
}

/// What the run found in one household: its hits and the fingerprint of its data.
pub struct Found<'a> {
    pub household_id: &'a str,
    pub hits: &'a [Hit],
    pub fingerprint: &'a str,
}

/// One change to the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<'a> {
    /// A new problem for `found[household]`'s hit.
    Open { household: usize, hit: &'a Hit },
    /// A dismissed problem whose household changed since: open again.
    Reopen { held: Held, detail: String, fingerprint: String },
    /// Still firing, saying something else now: the detail and fingerprint are refreshed.
    Refresh { id: String, detail: String, fingerprint: String },
    /// An open or verified problem whose rule no longer fires.
    Resolve { held: Held },
}

/// The changes that bring the ledger of the batch's households in line with what was found.
/// A problem still firing with the same words is left alone: a run over an unchanged county
/// writes nothing. A rectified problem that stopped firing waits for its closing.
pub fn reconcile<'a>(held: Vec<Held>, found: &[Found<'a>]) -> Vec<Change<'a>> {
    let mut known: HashMap<(String, String, String), Held> =
        held.into_iter().map(|e| ((e.household_id.clone(), e.rule.clone(), e.subject.clone()), e)).collect();
    let mut changes = Vec::new();
    for (i, f) in found.iter().enumerate() {
        for hit in f.hits {
            let key = (f.household_id.to_owned(), hit.rule.to_owned(), hit.member_id.clone().unwrap_or_default());
            match known.remove(&key) {
                Some(e) if e.status == "dismissed" && e.fingerprint == f.fingerprint => {}
                Some(e) if e.status == "dismissed" => {
                    changes.push(Change::Reopen { held: e, detail: hit.detail.clone(), fingerprint: f.fingerprint.to_owned() })
                }
                Some(e) if e.detail != hit.detail || e.fingerprint != f.fingerprint => {
                    changes.push(Change::Refresh { id: e.id, detail: hit.detail.clone(), fingerprint: f.fingerprint.to_owned() })
                }
                Some(_) => {}
                None => changes.push(Change::Open { household: i, hit }),
            }
        }
    }
    let mut resolved: Vec<Held> = known.into_values().filter(|e| e.status == "open" || e.status == "verified").collect();
    resolved.sort_by(|a, b| a.id.cmp(&b.id));
    changes.extend(resolved.into_iter().map(|held| Change::Resolve { held }));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(id: &str, rule: &str, status: &str, detail: &str, fingerprint: &str) -> Held {
        Held { id: id.into(), household_id: "h".into(), rule: rule.into(), subject: String::new(), status: status.into(), detail: detail.into(), fingerprint: fingerprint.into(), version: 1 }
    }

    fn hit(rule: &'static str, detail: &str) -> Hit {
        Hit { rule, member_id: None, detail: detail.into() }
    }

    fn kinds(changes: &[Change<'_>]) -> Vec<String> {
        changes
            .iter()
            .map(|c| match c {
                Change::Open { hit, .. } => format!("open {}", hit.rule),
                Change::Reopen { held, .. } => format!("reopen {}", held.id),
                Change::Refresh { id, .. } => format!("refresh {id}"),
                Change::Resolve { held } => format!("resolve {}", held.id),
            })
            .collect()
    }

    #[test]
    fn a_new_hit_opens_and_an_unchanged_one_is_left_alone() {
        let hits = [hit("a", "x"), hit("b", "y")];
        let found = [Found { household_id: "h", hits: &hits, fingerprint: "f1" }];
        let changes = reconcile(vec![held("1", "a", "open", "x", "f1")], &found);
        assert_eq!(kinds(&changes), ["open b"]);
    }

    #[test]
    fn a_changed_detail_or_fingerprint_is_refreshed() {
        let hits = [hit("a", "new words")];
        let found = [Found { household_id: "h", hits: &hits, fingerprint: "f1" }];
        assert_eq!(kinds(&reconcile(vec![held("1", "a", "verified", "x", "f1")], &found)), ["refresh 1"]);
        let hits = [hit("a", "x")];
        let found = [Found { household_id: "h", hits: &hits, fingerprint: "f2" }];
        assert_eq!(kinds(&reconcile(vec![held("1", "a", "open", "x", "f1")], &found)), ["refresh 1"]);
    }

    #[test]
    fn a_dismissed_problem_reopens_only_when_the_data_changed() {
        let hits = [hit("a", "x")];
        let same = [Found { household_id: "h", hits: &hits, fingerprint: "f1" }];
        assert!(reconcile(vec![held("1", "a", "dismissed", "x", "f1")], &same).is_empty());
        let changed = [Found { household_id: "h", hits: &hits, fingerprint: "f2" }];
        assert_eq!(kinds(&reconcile(vec![held("1", "a", "dismissed", "x", "f1")], &changed)), ["reopen 1"]);
    }

    #[test]
    fn what_stopped_firing_is_resolved_unless_rectified_or_dismissed() {
        let found = [Found { household_id: "h", hits: &[], fingerprint: "f1" }];
        let ledger = vec![held("1", "a", "open", "x", "f1"), held("2", "b", "verified", "x", "f1"), held("3", "c", "rectified", "x", "f1"), held("4", "d", "dismissed", "x", "f1")];
        assert_eq!(kinds(&reconcile(ledger, &found)), ["resolve 1", "resolve 2"]);
    }
}
