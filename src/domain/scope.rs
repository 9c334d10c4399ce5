//! What a caller may see: derived from role and jurisdiction, applied by the repository layer.
//! A domain type (no I/O): `db/` filters by it, `auth/` derives it from the caller.

use super::{DivisionCode, Level, Role};

/// The caller's jurisdiction as a filter over households.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    County(DivisionCode),
    Township(DivisionCode),
    Village(DivisionCode),
    /// A cadre 帮扶责任人: the households currently paired with them; with `past`, also those
    /// paired with them before (single-record reads only, never writes).
    Cadre { jurisdiction: DivisionCode, user_id: String, past: bool },
}

impl Scope {
    pub fn for_user(role: Role, jurisdiction: &DivisionCode, user_id: &str) -> Scope {
        match (role, jurisdiction.level()) {
            (Role::Cadre, _) => Scope::Cadre { jurisdiction: jurisdiction.clone(), user_id: user_id.to_owned(), past: false },
            (_, Level::Village) => Scope::Village(jurisdiction.clone()),
            (_, Level::Township) => Scope::Township(jurisdiction.clone()),
            _ => Scope::County(jurisdiction.clone()),
        }
    }

    /// The division this scope covers.
    pub fn division(&self) -> &DivisionCode {
        match self {
            Scope::County(c) | Scope::Township(c) | Scope::Village(c) => c,
            Scope::Cadre { jurisdiction, .. } => jurisdiction,
        }
    }

    /// The same scope for reading one record: a cadre also reaches formerly paired households.
    pub fn for_reading(self) -> Scope {
        match self {
            Scope::Cadre { jurisdiction, user_id, .. } => Scope::Cadre { jurisdiction, user_id, past: true },
            other => other,
        }
    }

    /// The cadre user whose pairings define this scope, if any.
    pub fn cadre_user(&self) -> Option<&str> {
        match self {
            Scope::Cadre { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    /// Whether a division lies inside the scope.
    pub fn covers(&self, code: &DivisionCode) -> bool {
        self.division().contains(code)
    }

    /// Whether a division may be named to this caller: inside the scope or one of its ancestors.
    pub fn may_view_division(&self, code: &DivisionCode) -> bool {
        self.covers(code) || code.contains(self.division())
    }
}
