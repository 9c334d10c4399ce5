//! Households (户) and their members: categories, relations, and the rules of a valid household.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<Self, super::validation::DomainError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(super::validation::DomainError::new(
                        "invalid_value",
                        format!("must be one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }
    };
}
pub(crate) use text_enum;

/// Household category 户类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 脱贫户 lifted-out household
    LiftedOut,
    /// 脱贫不稳定户 monitoring object: unstable lifted-out household
    MonitoredUnstable,
    /// 边缘易致贫户 monitoring object: marginal household at risk
    MonitoredMarginal,
    /// 突发严重困难户 monitoring object: sudden serious hardship
    MonitoredHardship,
    /// 一般农户 ordinary household
    Ordinary,
}
text_enum!(Category {
    LiftedOut => "lifted_out",
    MonitoredUnstable => "monitored_unstable",
    MonitoredMarginal => "monitored_marginal",
    MonitoredHardship => "monitored_hardship",
    Ordinary => "ordinary",
});

impl Category {
    /// 帮扶对象: lifted-out households and the three kinds of monitoring objects — every category
    /// but 一般农户, the households the campaigns must cover.
    pub fn is_assisted(self) -> bool {
        self != Category::Ordinary
    }
}

/// Which households a coverage figure counts (统计口径).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Counted {
    /// 帮扶对象 (the default): every household whose category [is assisted](Category::is_assisted),
    /// as the photo campaign counts "所有帮扶对象".
    #[default]
    Assisted,
    /// Every household, 一般农户 included.
    All,
}
text_enum!(Counted {
    Assisted => "assisted",
    All => "all",
});

impl Counted {
    /// The values of `?households=`, as the document lists them.
    pub const VALUES: &'static [&'static str] = &["assisted", "all"];

    /// The categories counted (`None`: every household).
    pub fn categories(self) -> Option<Vec<&'static str>> {
        match self {
            Counted::Assisted => Some(Category::ALL.iter().filter(|c| c.is_assisted()).map(|c| c.as_str()).collect()),
            Counted::All => None,
        }
    }
}

/// Relation to the head of household 与户主关系.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// 户主
    Head,
    /// 配偶
    Spouse,
    /// 子女
    Child,
    /// 儿媳/女婿
    ChildInLaw,
    /// 孙子女
    Grandchild,
    /// 父母
    Parent,
    /// 祖父母
    Grandparent,
    /// 兄弟姐妹
    Sibling,
    /// 其他
    Other,
}
text_enum!(Relation {
    Head => "head",
    Spouse => "spouse",
    Child => "child",
    ChildInLaw => "child_in_law",
    Grandchild => "grandchild",
    Parent => "parent",
    Grandparent => "grandparent",
    Sibling => "sibling",
    Other => "other",
});

/// Sex 性别; when given it must agree with the ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}
text_enum!(Sex { Male => "male", Female => "female" });

/// Why a member left the household 减少原因; the record is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// 死亡
    Death,
    /// 嫁出 / 婚出
    MarriageOut,
    /// 迁出
    MovedOut,
    /// 判刑收监
    Imprisoned,
    /// 其他
    Other,
}
text_enum!(RemovalReason { Death => "death", MarriageOut => "marriage_out", MovedOut => "moved_out", Imprisoned => "imprisoned", Other => "other" });

/// Exactly one head: checks the relations of a household's current members.
pub fn check_single_head(relations: &[Relation]) -> Result<(), super::validation::DomainError> {
    match relations.iter().filter(|r| **r == Relation::Head).count() {
        1 => Ok(()),
        0 => Err(super::validation::DomainError::new("no_head", "a household needs exactly one head (户主): none given")),
        n => Err(super::validation::DomainError::new(
            "several_heads",
            format!("a household needs exactly one head (户主): {n} given"),
        )),
    }
}

/// A generated household number 户编号: the village code and a 4-digit sequence.
pub fn household_number(village: &super::DivisionCode, sequence: u32) -> String {
    format!("{}{:04}", village.as_str(), sequence)
}

/// A household number typed by a user: 1–32 digits or Latin letters.
pub fn parse_household_number(s: &str) -> Result<String, super::validation::DomainError> {
    let s = s.trim();
    if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(super::validation::DomainError::new(
            "invalid_value",
            "a household number has 1–32 digits, letters or dashes",
        ));
    }
    Ok(s.to_owned())
}

/// A person's name: required, no digits or Latin letters (a typo in the national system's export).
pub fn parse_person_name(s: &str) -> Result<String, super::validation::DomainError> {
    let name = super::validation::required_text(s, 40)?;
    if name.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(super::validation::DomainError::new("invalid_name", "a name must not contain digits or Latin letters"));
    }
    Ok(name)
}

/// Risk types 风险类型 of monitoring objects (and reasons of falling back 返贫原因): 因病, 因残,
/// 因学, 因灾, 因意外事故, 因务工就业不稳, 因刚性支出过大, 因缺劳力, 其他.
pub const RISK_TYPES: &[&str] = &["illness", "disability", "schooling", "disaster", "accident", "unstable_work", "high_expenses", "labour_shortage", "other"];

/// 风险消除 status of a monitoring object, set by completed cases.
pub const RISK_STATUSES: &[&str] = &["not_eliminated", "eliminated"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_household_needs_exactly_one_head() {
        assert!(check_single_head(&[Relation::Head, Relation::Spouse]).is_ok());
        assert_eq!(check_single_head(&[Relation::Spouse]).unwrap_err().code, "no_head");
        assert_eq!(check_single_head(&[Relation::Head, Relation::Head]).unwrap_err().code, "several_heads");
    }

    #[test]
    fn enums_round_trip_through_text() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()).unwrap(), *c);
        }
        assert!(Relation::parse("cousin").is_err());
    }

    #[test]
    fn coverage_counts_every_category_but_ordinary_households_unless_all_are_asked_for() {
        let assisted = Counted::Assisted.categories().unwrap();
        assert_eq!(assisted, ["lifted_out", "monitored_unstable", "monitored_marginal", "monitored_hardship"]);
        assert_eq!(Counted::All.categories(), None);
        assert_eq!(Counted::default(), Counted::Assisted);
        assert_eq!(Counted::VALUES, Counted::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>());
        assert_eq!(Counted::parse("every").unwrap_err().code, "invalid_value");
    }

    #[test]
    fn names_refuse_digits_and_latin_letters() {
        assert_eq!(parse_person_name(" 王建国 ").unwrap(), "王建国");
        assert!(parse_person_name("王建国2").is_err());
        assert!(parse_person_name("Wang").is_err());
        assert!(parse_person_name("  ").is_err());
    }
}

/// A member as entered, parsed and checked.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub name: String,
    /// The ID number, or why there is none (无户籍人口).
    pub identity: super::member::Identity,
    pub relation: Relation,
    pub sex: Sex,
    pub birth_date: chrono::NaiveDate,
    pub phone: Option<super::Phone>,
    /// 增加原因 and 增加时间 of a member joining a recorded household (none for its first members).
    pub joined: Option<super::member::Joined>,
}

impl NewMember {
    /// A member with an ID number, sex and birth date taken from it, who joined with the household.
    pub fn with_id_number(name: String, id: super::IdNumber, relation: Relation, phone: Option<super::Phone>) -> Self {
        Self { name, sex: id.sex(), birth_date: id.birth_date(), identity: super::member::Identity::Number(id), relation, phone, joined: None }
    }

    pub fn id_number(&self) -> Option<&super::IdNumber> {
        self.identity.number()
    }
}

/// A household as entered, parsed and checked (exactly one head among its members).
#[derive(Debug, Clone)]
pub struct NewHousehold {
    pub village: super::DivisionCode,
    pub number: Option<String>,
    pub address: Option<String>,
    pub category: Category,
    pub members: Vec<NewMember>,
    pub client_id: Option<String>,
    /// 识别年度, 纳入监测时间, 脱贫年度, flags …
    pub profile: super::household_profile::Profile,
    /// Where a category other than 一般农户 comes from (data migrated by a county admin, an
    /// import): categories otherwise change only through cases. Recorded in the audit trail.
    pub origin: Option<String>,
}

/// The sex of a member: from the ID number, and if one was given it must agree.
pub fn member_sex(id: &super::IdNumber, given: Option<Sex>) -> Result<Sex, super::validation::DomainError> {
    match given {
        Some(s) if s != id.sex() => Err(super::validation::DomainError::new(
            "sex_mismatch",
            format!("the ID number says {}, not {}", id.sex().as_str(), s.as_str()),
        )),
        _ => Ok(id.sex()),
    }
}

/// The birth date of a member: from the ID number, and if one was given it must agree.
pub fn member_birth_date(
    id: &super::IdNumber,
    given: Option<chrono::NaiveDate>,
) -> Result<chrono::NaiveDate, super::validation::DomainError> {
    match given {
        Some(d) if d != id.birth_date() => Err(super::validation::DomainError::new(
            "birth_date_mismatch",
            "differs from the birth date in the ID number",
        )),
        _ => Ok(id.birth_date()),
    }
}
