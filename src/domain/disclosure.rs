//! Who sees full ID and phone numbers, and where. The one rule behind every view that carries
//! them (households and members, cadres, users, the sync feed); everything it does not allow is
//! masked (`610831********123X`, `138****5678`). Every full answer of a read is recorded in the
//! read log by the handler that gives it.
//!
//! | what is read | full numbers for |
//! |---|---|
//! | a list, a page, an export, GeoJSON | nobody |
//! | the division export asked with `full_numbers=true` (to move a county's data) | county admin |
//! | one household (`GET /households/{id}`) | county admin, township reviewer (in the jurisdiction); the cadre currently paired with it |
//! | the sync feed (`GET /sync`) | a cadre (only their currently paired households are in it) |
//! | one cadre (`GET /cadres/{id}`) | county admin, township reviewer; the cadre whose phone account it is |
//! | one user (`GET /users/{id}`) | county admin, township reviewer (who manage users); the user themselves |
//!
//! Village officers and auditors see masked numbers everywhere, but on their own record.

use super::Role;

/// What a caller is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A list, a page, an export: many records at once.
    Many,
    /// The division export with full numbers asked for (a county moving its data).
    DivisionExport,
    /// One household with its members; `paired`: the caller is the cadre currently paired with it.
    Household { paired: bool },
    /// The sync feed: only a cadre's feed holds exactly their paired households.
    SyncFeed,
    /// One cadre record; `own`: it is linked to the caller's account.
    Cadre { own: bool },
    /// One user account; `own`: the caller's.
    User { own: bool },
}

/// Roles at or above the township reviewer: they review personal data of their jurisdiction.
fn reviews(role: Role) -> bool {
    matches!(role, Role::CountyAdmin | Role::TownshipReviewer)
}

/// Whether `role` gets full (unmasked) ID and phone numbers when reading `subject`.
pub fn full_numbers(role: Role, subject: Subject) -> bool {
    match subject {
        Subject::Many => false,
        Subject::DivisionExport => role == Role::CountyAdmin,
        Subject::Household { paired } => reviews(role) || (role == Role::Cadre && paired),
        Subject::SyncFeed => role == Role::Cadre,
        Subject::Cadre { own } | Subject::User { own } => own || reviews(role),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [Role; 5] = [Role::CountyAdmin, Role::TownshipReviewer, Role::VillageOfficer, Role::Cadre, Role::Auditor];

    #[test]
    fn lists_are_masked_for_everybody() {
        assert!(ROLES.iter().all(|r| !full_numbers(*r, Subject::Many)));
    }

    #[test]
    fn single_records_are_full_for_reviewers_and_the_paired_cadre() {
        for role in ROLES {
            let reviewer = matches!(role, Role::CountyAdmin | Role::TownshipReviewer);
            assert_eq!(full_numbers(role, Subject::Household { paired: false }), reviewer, "{role:?}");
            assert_eq!(full_numbers(role, Subject::Household { paired: true }), reviewer || role == Role::Cadre, "{role:?}");
            assert_eq!(full_numbers(role, Subject::Cadre { own: false }), reviewer, "{role:?}");
            assert_eq!(full_numbers(role, Subject::User { own: false }), reviewer, "{role:?}");
            assert!(full_numbers(role, Subject::Cadre { own: true }) && full_numbers(role, Subject::User { own: true }), "{role:?}");
        }
    }

    #[test]
    fn only_a_cadres_sync_feed_is_full() {
        for role in ROLES {
            assert_eq!(full_numbers(role, Subject::SyncFeed), role == Role::Cadre, "{role:?}");
        }
    }
}
