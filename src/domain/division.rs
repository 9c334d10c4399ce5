//! 12-digit statistical division codes (统计用区划代码): 2+2+2+3+3.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::validation::DomainError;

/// The level of a division, derived from the structure of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省
    Province,
    /// 市
    City,
    /// 县 / 区
    County,
    /// 乡镇 / 街道
    Township,
    /// 行政村 / 社区
    Village,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
        }
    }

    /// Length of the code prefix that identifies a division of this level.
    fn prefix_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Township => 9,
            Level::Village => 12,
        }
    }
}

/// A structurally valid 12-digit division code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DivisionCode(String);

impl DivisionCode {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::new("invalid_division_code", "a division code has exactly 12 digits"));
        }
        let parts = [&s[0..2], &s[2..4], &s[4..6], &s[6..9], &s[9..12]];
        if parts[0] == "00" {
            return Err(DomainError::new("invalid_division_code", "the province part must not be 00"));
        }
        // Once a part is zero, every finer part must be zero too.
        let first_zero = parts.iter().skip(1).position(|p| p.bytes().all(|b| b == b'0'));
        if let Some(z) = first_zero {
            if parts[1 + z..].iter().any(|p| p.bytes().any(|b| b != b'0')) {
                return Err(DomainError::new(
                    "invalid_division_code",
                    "a division code cannot have a finer part under a zero part",
                ));
            }
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        let s = &self.0;
        if &s[9..12] != "000" {
            Level::Village
        } else if &s[6..9] != "000" {
            Level::Township
        } else if &s[4..6] != "00" {
            Level::County
        } else if &s[2..4] != "00" {
            Level::City
        } else {
            Level::Province
        }
    }

    /// The code prefix shared by everything inside this division (`610831` for the county).
    pub fn prefix(&self) -> &str {
        &self.0[..self.level().prefix_len()]
    }

    /// Whether `other` is this division or lies inside it.
    pub fn contains(&self, other: &DivisionCode) -> bool {
        other.0.starts_with(self.prefix())
    }

    /// The enclosing division at `level`, if this code is at that level or below.
    pub fn ancestor(&self, level: Level) -> Option<DivisionCode> {
        if level > self.level() {
            return None;
        }
        let n = level.prefix_len();
        Some(Self(format!("{}{}", &self.0[..n], "0".repeat(12 - n))))
    }

    /// The direct parent (village → township → county → city → province).
    pub fn parent(&self) -> Option<DivisionCode> {
        let up = match self.level() {
            Level::Province => return None,
            Level::City => Level::Province,
            Level::County => Level::City,
            Level::Township => Level::County,
            Level::Village => Level::Township,
        };
        self.ancestor(up)
    }
}

impl std::fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_follow_the_code_structure() {
        assert_eq!(code("610831000000").level(), Level::County);
        assert_eq!(code("610831101000").level(), Level::Township);
        assert_eq!(code("610831101201").level(), Level::Village);
        assert_eq!(code("610800000000").level(), Level::City);
        assert_eq!(code("610000000000").level(), Level::Province);
    }

    #[test]
    fn refuses_malformed_codes() {
        for bad in ["61083110120", "6108311012011", "61083110120a", "000000000000", "610831000201", "610031101000"] {
            assert!(DivisionCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn containment_and_ancestors() {
        let county = code("610831000000");
        let town = code("610831101000");
        let village = code("610831101201");
        assert!(county.contains(&village) && town.contains(&village) && village.contains(&village));
        assert!(!village.contains(&town));
        assert!(!code("610831102000").contains(&village));
        assert_eq!(village.parent(), Some(town.clone()));
        assert_eq!(village.ancestor(Level::County), Some(county.clone()));
        assert_eq!(town.ancestor(Level::Village), None);
    }
}
