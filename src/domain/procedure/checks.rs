//! Checks beside the procedures: the nine exclusion conditions 九不评 (seed 000), the accuracy of
//! a spot check against its targets and the reproducible sample it is drawn from.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::validation::DomainError;

/// The nine exclusion conditions 九不评 (seed 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// 购买商品房或高档消费
    CommercialHousingOrLuxury,
    /// 拥有汽车、大型农机或工程机械
    VehicleOrMachinery,
    /// 家庭成员为现任村支书或村主任
    VillageLeaderInFamily,
    /// 成员或赡养人有财政供养工作或在大型国企工作十年以上
    StatePaidJob,
    /// 成员经营私营企业、承包工程或雇工
    RunsBusiness,
    /// 隐瞒收入或资产、自费留学、商业养老保险
    HiddenIncomeOrAssets,
    /// 长期无人居住且无法证明居住
    NobodyLivesThere,
    /// 因赌博、吸毒、打架斗殴、邪教受处罚未改正
    PunishedNotReformed,
    /// 举报核实且无法说明
    VerifiedReport,
}
crate::domain::household::text_enum!(Exclusion {
    CommercialHousingOrLuxury => "commercial_housing_or_luxury",
    VehicleOrMachinery => "vehicle_or_machinery",
    VillageLeaderInFamily => "village_leader_in_family",
    StatePaidJob => "state_paid_job",
    RunsBusiness => "runs_business",
    HiddenIncomeOrAssets => "hidden_income_or_assets",
    NobodyLivesThere => "nobody_lives_there",
    PunishedNotReformed => "punished_not_reformed",
    VerifiedReport => "verified_report",
});

/// Identification and data accuracy of a spot check against the targets (98 %, 95 %).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Accuracy {
    pub checked: usize,
    pub identification_correct: usize,
    pub data_correct: usize,
    pub identification_accuracy: Option<f64>,
    pub data_accuracy: Option<f64>,
    pub identification_target: f64,
    pub data_target: f64,
    pub identification_met: Option<bool>,
    pub data_met: Option<bool>,
}

/// Accuracy over the households checked so far (`None` results are not yet checked).
pub fn accuracy(results: &[(Option<bool>, Option<bool>)]) -> Accuracy {
    let ident: Vec<bool> = results.iter().filter_map(|r| r.0).collect();
    let data: Vec<bool> = results.iter().filter_map(|r| r.1).collect();
    let rate = |v: &[bool]| if v.is_empty() { None } else { Some(v.iter().filter(|b| **b).count() as f64 / v.len() as f64) };
    let (ia, da) = (rate(&ident), rate(&data));
    Accuracy {
        checked: results.iter().filter(|r| r.0.is_some() || r.1.is_some()).count(),
        identification_correct: ident.iter().filter(|b| **b).count(),
        data_correct: data.iter().filter(|b| **b).count(),
        identification_accuracy: ia,
        data_accuracy: da,
        identification_target: 0.98,
        data_target: 0.95,
        identification_met: ia.map(|a| a >= 0.98),
        data_met: da.map(|a| a >= 0.95),
    }
}

/// A reproducible sample of `n` of `items` (sorted first, so the order they came in does not
/// matter) from a seeded ChaCha generator.
pub fn sample<T: Clone + Ord>(items: &[T], n: usize, rng: &mut rand::rngs::StdRng) -> Vec<T> {
    let mut sorted = items.to_vec();
    sorted.sort();
    let mut picked: Vec<T> = rand::seq::index::sample(rng, sorted.len(), n.min(sorted.len())).into_iter().map(|i| sorted[i].clone()).collect();
    picked.sort();
    picked
}

pub fn parse_date_not_future(d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    if d > today { Err(DomainError::new("out_of_range", "a date cannot be in the future")) } else { Ok(d) }
}

/// What a department's cross-check 部门比对 found.
pub const CHECK_RESULTS: &[&str] = &["clear", "suspicion"];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn accuracy_is_measured_against_the_targets() {
        let mut r = vec![(Some(true), Some(true)); 49];
        r.push((Some(false), Some(true)));
        r.push((None, None));
        let a = accuracy(&r);
        assert_eq!((a.checked, a.identification_correct), (50, 49));
        assert_eq!(a.identification_accuracy, Some(0.98));
        assert_eq!((a.identification_met, a.data_met), (Some(true), Some(true)));
        assert_eq!(accuracy(&[]).identification_accuracy, None);
    }

    #[test]
    fn the_same_seed_draws_the_same_sample_whatever_the_input_order() {
        let items: Vec<u32> = (0..100).collect();
        let mut reversed = items.clone();
        reversed.reverse();
        let a = sample(&items, 5, &mut rand::rngs::StdRng::seed_from_u64(42));
        let b = sample(&reversed, 5, &mut rand::rngs::StdRng::seed_from_u64(42));
        assert_eq!(a, b);
        assert_ne!(a, sample(&items, 5, &mut rand::rngs::StdRng::seed_from_u64(43)));
        assert_eq!(sample(&items, 500, &mut rand::rngs::StdRng::seed_from_u64(1)).len(), 100);
    }
}
