//! Roles and what each may do.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Level;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县乡村振兴局 / 县扶贫办: manages users and data of the county
    CountyAdmin,
    /// 乡镇工作站: reviews its township
    TownshipReviewer,
    /// 村信息员 / 村两委 / 第一书记: runs the village
    VillageOfficer,
    /// 帮扶责任人: the assistance cadre with a phone
    Cadre,
    /// 督查 / 第三方评估: read-only
    Auditor,
}
super::household::text_enum!(Role {
    CountyAdmin => "county_admin",
    TownshipReviewer => "township_reviewer",
    VillageOfficer => "village_officer",
    Cadre => "cadre",
    Auditor => "auditor",
});

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::CountyAdmin => 4,
            Role::TownshipReviewer => 3,
            Role::VillageOfficer => 2,
            Role::Cadre => 1,
            Role::Auditor => 0,
        }
    }

    /// The level a jurisdiction of this role must have (auditors may hold any).
    pub fn jurisdiction_levels(self) -> &'static [Level] {
        match self {
            Role::CountyAdmin => &[Level::County],
            Role::TownshipReviewer => &[Level::Township],
            Role::VillageOfficer => &[Level::Village],
            // A cadre sees their paired households wherever they are; the jurisdiction is where
            // they work (a county bureau, a township, a village).
            Role::Cadre | Role::Auditor => &[Level::County, Level::Township, Level::Village],
        }
    }

    /// May manage users at all (list, create, change).
    pub fn manages_users(self) -> bool {
        matches!(self, Role::CountyAdmin | Role::TownshipReviewer)
    }

    /// May give `other` to a user: never a role above one's own; auditors only from the county.
    pub fn may_grant(self, other: Role) -> bool {
        if !self.manages_users() {
            return false;
        }
        match other {
            Role::Auditor => self == Role::CountyAdmin,
            _ => other.rank() <= self.rank(),
        }
    }

    /// May create and change households and members.
    pub fn edits_households(self) -> bool {
        matches!(self, Role::CountyAdmin | Role::TownshipReviewer | Role::VillageOfficer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_grants_above_their_own_role() {
        assert!(Role::CountyAdmin.may_grant(Role::CountyAdmin));
        assert!(Role::CountyAdmin.may_grant(Role::Auditor));
        assert!(Role::TownshipReviewer.may_grant(Role::Cadre));
        assert!(!Role::TownshipReviewer.may_grant(Role::CountyAdmin));
        assert!(!Role::TownshipReviewer.may_grant(Role::Auditor));
        assert!(!Role::VillageOfficer.may_grant(Role::Cadre));
        assert!(!Role::Auditor.may_grant(Role::Cadre));
    }
}
