//! Village tables 村表: the yearly record of an administrative village 行政村 and of each
//! natural village / group 自然村(组), and the check that the typed household figures agree with
//! the household records ("accounts match accounts" 账账相符).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Category;
use super::money::Money;
use super::validation::DomainError;

/// Households by category as typed into a table (each figure optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CategoryCounts {
    /// 脱贫户
    pub lifted_out: Option<i64>,
    /// 脱贫不稳定户
    pub monitored_unstable: Option<i64>,
    /// 边缘易致贫户
    pub monitored_marginal: Option<i64>,
    /// 突发严重困难户
    pub monitored_hardship: Option<i64>,
    /// 一般农户
    pub ordinary: Option<i64>,
}

impl CategoryCounts {
    pub fn get(&self, c: Category) -> Option<i64> {
        match c {
            Category::LiftedOut => self.lifted_out,
            Category::MonitoredUnstable => self.monitored_unstable,
            Category::MonitoredMarginal => self.monitored_marginal,
            Category::MonitoredHardship => self.monitored_hardship,
            Category::Ordinary => self.ordinary,
        }
    }
}

/// Derived household counts of a place, by category (from the household records).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DerivedCounts {
    pub total: i64,
    pub lifted_out: i64,
    pub monitored_unstable: i64,
    pub monitored_marginal: i64,
    pub monitored_hardship: i64,
    pub ordinary: i64,
}

impl DerivedCounts {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, i64)>) -> Self {
        let mut d = Self::default();
        for (cat, n) in pairs {
            d.total += n;
            match Category::parse(cat) {
                Ok(Category::LiftedOut) => d.lifted_out += n,
                Ok(Category::MonitoredUnstable) => d.monitored_unstable += n,
                Ok(Category::MonitoredMarginal) => d.monitored_marginal += n,
                Ok(Category::MonitoredHardship) => d.monitored_hardship += n,
                Ok(Category::Ordinary) | Err(_) => d.ordinary += n,
            }
        }
        d
    }

    pub fn get(&self, c: Category) -> i64 {
        match c {
            Category::LiftedOut => self.lifted_out,
            Category::MonitoredUnstable => self.monitored_unstable,
            Category::MonitoredMarginal => self.monitored_marginal,
            Category::MonitoredHardship => self.monitored_hardship,
            Category::Ordinary => self.ordinary,
        }
    }
}

/// A typed figure that disagrees with the household records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Discrepancy {
    /// The table field, e.g. `households_by_category.lifted_out`.
    pub field: String,
    pub typed: i64,
    pub derived: i64,
}

/// Every typed household figure that differs from the derived one.
pub fn discrepancies(total: Option<i64>, by_category: &CategoryCounts, derived: &DerivedCounts) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    if let Some(t) = total.filter(|t| *t != derived.total) {
        out.push(Discrepancy { field: "households".into(), typed: t, derived: derived.total });
    }
    for c in Category::ALL {
        if let Some(t) = by_category.get(*c).filter(|t| *t != derived.get(*c)) {
            out.push(Discrepancy { field: format!("households_by_category.{}", c.as_str()), typed: t, derived: derived.get(*c) });
        }
    }
    out
}

/// Infrastructure of a place: roads, water, electricity, broadband.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Infrastructure {
    /// 通硬化路
    pub hardened_road: bool,
    /// 安全饮水
    pub safe_drinking_water: bool,
    /// 自来水入户率, percent
    pub tap_water_pct: Option<f64>,
    /// 通生活用电 / 动力电
    pub grid_electricity: bool,
    /// 通宽带
    pub broadband: bool,
}

/// The village table 村表 of an administrative village for a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VillageRecord {
    /// 是否贫困村
    pub poverty_village: bool,
    /// 摘帽年度: the year a poverty village was lifted out.
    pub lifted_year: Option<i32>,
    /// 总户数 as typed (compared with the household records).
    pub households: Option<i64>,
    /// 户数 by category as typed (compared with the household records).
    #[serde(default)]
    pub households_by_category: CategoryCounts,
    /// 户籍人口
    pub registered_population: Option<i64>,
    /// 常住人口
    pub resident_population: Option<i64>,
    pub infrastructure: Infrastructure,
    /// 村集体经济收入, yuan (exact to the fen)
    pub collective_income: Money,
    /// 党员人数
    pub party_members: i64,
}

/// The lifting year 摘帽年度 of a village's table for `year`: only a poverty village has one,
/// from 2014 (precise poverty registration) to the table's year. `poverty_village` is `None`
/// when the table does not say.
pub fn check_lifted_year(poverty_village: Option<bool>, lifted_year: i32, year: i32) -> Result<(), DomainError> {
    if poverty_village == Some(false) {
        return Err(DomainError::new("not_a_poverty_village", "only a poverty village has a lifting year"));
    }
    if !(2014..=year).contains(&lifted_year) {
        return Err(DomainError::new("out_of_range", format!("between 2014 and {year}")));
    }
    Ok(())
}

/// The yearly table of a natural village / group 自然村(组).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NaturalVillageRecord {
    /// 小组长
    pub group_leader: Option<String>,
    /// 总户数 as typed (compared with the households assigned to the group).
    pub households: Option<i64>,
    #[serde(default)]
    pub households_by_category: CategoryCounts,
    /// 人口
    pub population: Option<i64>,
    pub infrastructure: Infrastructure,
    /// 主导产业 / 生产条件
    pub production_conditions: Option<String>,
    /// 生活条件
    pub living_conditions: Option<String>,
}

/// A line of a natural village's table quoted in its administrative village's table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupLine {
    pub natural_village_id: String,
    pub name: String,
    pub text: String,
}

/// How many natural villages have each piece of infrastructure (of those with a table).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InfrastructureCounts {
    pub hardened_road: i64,
    pub safe_drinking_water: i64,
    pub grid_electricity: i64,
    pub broadband: i64,
}

/// What an administrative village's table of a year takes from its natural villages' tables of
/// that year: sums of the figures the groups hold (given only when every natural village has a
/// table with the figure: a sum over some of them would be a wrong figure), the group leaders
/// 小组长, living and production conditions, and the infrastructure counted by group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FromNaturalVillages {
    /// Natural villages of the village.
    pub natural_villages: i64,
    /// Those without a table of the year, by name.
    pub missing_tables: Vec<String>,
    /// 总户数: the sum of the groups' figures.
    pub households: Option<i64>,
    /// 户数 by category: each the sum of the groups' figures.
    pub households_by_category: CategoryCounts,
    /// 人口: the sum of the groups' populations (compared with 户籍人口).
    pub population: Option<i64>,
    pub group_leaders: Vec<GroupLine>,
    pub living_conditions: Vec<GroupLine>,
    pub production_conditions: Vec<GroupLine>,
    pub infrastructure: InfrastructureCounts,
}

/// A natural village (id, name) with its table of the year, if entered.
pub type Group<'a> = (&'a str, &'a str, Option<&'a NaturalVillageRecord>);

/// Builds a village's [`FromNaturalVillages`] from its groups.
pub fn from_natural_villages(groups: &[Group<'_>]) -> FromNaturalVillages {
    let mut out = FromNaturalVillages { natural_villages: groups.len() as i64, ..Default::default() };
    out.missing_tables = groups.iter().filter(|g| g.2.is_none()).map(|g| g.1.to_owned()).collect();
    let tables: Vec<(&str, &str, &NaturalVillageRecord)> = groups.iter().filter_map(|(id, name, r)| r.map(|r| (*id, *name, r))).collect();
    // A sum only when every group gives the figure.
    let sum = |f: &dyn Fn(&NaturalVillageRecord) -> Option<i64>| -> Option<i64> {
        if groups.is_empty() || !out.missing_tables.is_empty() {
            return None;
        }
        // Checked: absurd typed figures give no sum rather than an overflow.
        tables.iter().try_fold(0i64, |acc, t| acc.checked_add(f(t.2)?))
    };
    out.households = sum(&|r| r.households);
    out.population = sum(&|r| r.population);
    out.households_by_category = CategoryCounts {
        lifted_out: sum(&|r| r.households_by_category.lifted_out),
        monitored_unstable: sum(&|r| r.households_by_category.monitored_unstable),
        monitored_marginal: sum(&|r| r.households_by_category.monitored_marginal),
        monitored_hardship: sum(&|r| r.households_by_category.monitored_hardship),
        ordinary: sum(&|r| r.households_by_category.ordinary),
    };
    let lines = |f: &dyn Fn(&NaturalVillageRecord) -> Option<&String>| -> Vec<GroupLine> {
        tables.iter().filter_map(|(id, name, r)| f(r).filter(|t| !t.trim().is_empty()).map(|t| GroupLine { natural_village_id: (*id).to_owned(), name: (*name).to_owned(), text: t.clone() })).collect()
    };
    out.group_leaders = lines(&|r| r.group_leader.as_ref());
    out.living_conditions = lines(&|r| r.living_conditions.as_ref());
    out.production_conditions = lines(&|r| r.production_conditions.as_ref());
    let count = |f: &dyn Fn(&Infrastructure) -> bool| tables.iter().filter(|t| f(&t.2.infrastructure)).count() as i64;
    out.infrastructure = InfrastructureCounts {
        hardened_road: count(&|i| i.hardened_road),
        safe_drinking_water: count(&|i| i.safe_drinking_water),
        grid_electricity: count(&|i| i.grid_electricity),
        broadband: count(&|i| i.broadband),
    };
    out
}

/// Every figure typed into the village table that disagrees with the sum of its natural
/// villages' tables (`natural_villages.households`, `natural_villages.households_by_category.…`,
/// `natural_villages.registered_population`); figures either side leaves empty are not compared.
pub fn natural_discrepancies(record: &VillageRecord, from: &FromNaturalVillages) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    let mut compare = |field: String, typed: Option<i64>, summed: Option<i64>| {
        if let (Some(typed), Some(derived)) = (typed, summed)
            && typed != derived
        {
            out.push(Discrepancy { field, typed, derived });
        }
    };
    compare("natural_villages.households".into(), record.households, from.households);
    for c in Category::ALL {
        compare(format!("natural_villages.households_by_category.{}", c.as_str()), record.households_by_category.get(*c), from.households_by_category.get(*c));
    }
    compare("natural_villages.registered_population".into(), record.registered_population, from.population);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> VillageRecord {
        VillageRecord {
            poverty_village: true,
            lifted_year: Some(2019),
            households: Some(3),
            households_by_category: CategoryCounts { lifted_out: Some(2), ordinary: Some(1), ..Default::default() },
            registered_population: Some(10),
            resident_population: Some(8),
            infrastructure: Infrastructure::default(),
            collective_income: Money::yuan(120_000),
            party_members: 21,
        }
    }

    #[test]
    fn typed_figures_that_disagree_with_the_records_are_listed() {
        let derived = DerivedCounts::from_pairs([("lifted_out", 2), ("ordinary", 2), ("monitored_marginal", 1)]);
        assert_eq!(derived.total, 5);
        let d = discrepancies(Some(3), &record().households_by_category, &derived);
        let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
        // lifted_out agrees; the total and ordinary do not; untyped figures are not compared.
        assert_eq!(fields, ["households", "households_by_category.ordinary"]);
        assert_eq!((d[1].typed, d[1].derived), (1, 2));
    }

    fn group(households: Option<i64>, lifted_out: Option<i64>, population: Option<i64>, leader: &str) -> NaturalVillageRecord {
        NaturalVillageRecord {
            group_leader: Some(leader.into()),
            households,
            households_by_category: CategoryCounts { lifted_out, ..Default::default() },
            population,
            infrastructure: Infrastructure { hardened_road: true, ..Default::default() },
            production_conditions: None,
            living_conditions: Some("土坯房改造完成".into()),
        }
    }

    #[test]
    fn a_village_takes_its_groups_figures_only_when_every_group_gives_them() {
        let (a, b) = (group(Some(2), Some(1), Some(7), "王一"), group(Some(1), None, Some(3), "李二"));
        let from = from_natural_villages(&[("n1", "一组", Some(&a)), ("n2", "二组", Some(&b))]);
        assert_eq!((from.households, from.population), (Some(3), Some(10)));
        assert_eq!(from.households_by_category.lifted_out, None, "二组 does not say");
        assert_eq!(from.group_leaders.iter().map(|g| g.text.as_str()).collect::<Vec<_>>(), ["王一", "李二"]);
        assert_eq!((from.infrastructure.hardened_road, from.infrastructure.broadband), (2, 0));
        assert_eq!(from.living_conditions.len(), 2);
        // The village typed 3 households and 10 registered people: both agree with the groups.
        assert!(natural_discrepancies(&record(), &from).is_empty());
        let mut typed = record();
        (typed.households, typed.registered_population) = (Some(4), Some(12));
        let d = natural_discrepancies(&typed, &from);
        let d: Vec<(&str, i64, i64)> = d.iter().map(|d| (d.field.as_str(), d.typed, d.derived)).collect();
        assert_eq!(d, [("natural_villages.households", 4, 3), ("natural_villages.registered_population", 12, 10)]);
        // A group without a table: no sums at all, and it is named.
        let from = from_natural_villages(&[("n1", "一组", Some(&a)), ("n2", "二组", None)]);
        assert_eq!((from.households, from.population, from.missing_tables.clone()), (None, None, vec!["二组".to_owned()]));
        assert!(natural_discrepancies(&record(), &from).is_empty());
        assert_eq!(from_natural_villages(&[]).households, None, "no groups, nothing to sum");
        let huge = group(Some(i64::MAX), None, None, "赵三");
        assert_eq!(from_natural_villages(&[("n1", "一组", Some(&huge)), ("n2", "二组", Some(&huge))]).households, None, "no overflow");
    }

    #[test]
    fn a_lifting_year_needs_a_poverty_village_and_a_plausible_year() {
        assert!(check_lifted_year(Some(true), 2019, 2026).is_ok());
        assert!(check_lifted_year(None, 2019, 2026).is_ok(), "not said: only the year is checked");
        assert_eq!(check_lifted_year(Some(false), 2019, 2026).unwrap_err().code, "not_a_poverty_village");
        assert_eq!(check_lifted_year(Some(true), 2027, 2026).unwrap_err().message, "between 2014 and 2026");
        assert_eq!(check_lifted_year(None, 2013, 2026).unwrap_err().code, "out_of_range");
    }
}
