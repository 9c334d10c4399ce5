//! The demo county 子洲县 (610831): real division codes and generated households with valid ID
//! numbers. Deterministic, so loading twice changes nothing.

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::Settings;
use crate::crypto::Crypto;
use crate::db::models::DivisionRow;
use crate::db::repo::{self, audit::Actor};
use crate::db::{Db, DbConnection};
use crate::domain::household::{NewHousehold, NewMember, household_number};
use crate::domain::household_profile::{HouseholdFlag, Profile};
use crate::domain::{Category, DivisionCode, IdNumber, Level, Relation, Scope, Sex};

pub const DEMO_COUNTY: &str = "610831000000";

/// The first admin's jurisdiction: the configured one, else the demo county, so that a first
/// `serve` and `demo` work together without any setting.
pub fn admin_jurisdiction(settings: &Settings) -> &str {
    settings.admin_jurisdiction.as_deref().unwrap_or(DEMO_COUNTY)
}

/// The two counties shipped with the binary (from the 2023 statistical division codes).
const COUNTIES: &[(&str, &str)] = &[
    ("610831", include_str!("../assets/divisions/county_zizhou_610831.csv")),
    ("340323", include_str!("../assets/divisions/county_guzhen_340323.csv")),
];

/// The embedded CSV of the county containing `code`, if shipped.
pub fn embedded_county(code: &DivisionCode) -> Option<&'static str> {
    COUNTIES.iter().find(|(prefix, _)| code.as_str().starts_with(prefix)).map(|(_, csv)| *csv)
}

/// Parses a division CSV (`code,name,level,…`): every code checked, parents derived from codes.
pub fn parse_divisions(csv_text: &str) -> anyhow::Result<Vec<DivisionRow>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| anyhow::anyhow!("missing column {name}"));
    let (code_i, name_i) = (col("code")?, col("name")?);
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record?;
        let code = DivisionCode::parse(record.get(code_i).unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("line {}: {e}", line + 2))?;
        let level = code.level();
        if level < Level::County {
            continue;
        }
        let parent_code = if level == Level::County { None } else { code.parent().map(|p| p.to_string()) };
        rows.push(DivisionRow {
            code: code.to_string(),
            name: record.get(name_i).unwrap_or_default().trim().to_owned(),
            level: level.as_str().to_owned(),
            parent_code,
            merged_into: None,
        });
    }
    Ok(rows)
}

/// Loads division rows that are missing; returns how many were added.
pub fn import_divisions(c: &mut DbConnection, csv_text: &str) -> anyhow::Result<usize> {
    let rows = parse_divisions(csv_text)?;
    Ok(repo::divisions::insert_missing(c, &rows)?)
}

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "高", "马", "霍", "杨", "郝", "薛", "曹", "苗", "贺", "拓", "艾"];
const GIVEN_MALE: &[&str] = &["建国", "志强", "海军", "文军", "永平", "明", "刚", "保平", "军", "小龙", "成林", "子豪"];
const GIVEN_FEMALE: &[&str] = &["秀英", "桂兰", "玉兰", "丽", "芳", "春梅", "海燕", "小红", "慧", "雅琪", "思雨", "梅"];

fn name(rng: &mut StdRng, surname: &str, sex: Sex) -> String {
    let given = if sex == Sex::Male { GIVEN_MALE } else { GIVEN_FEMALE };
    format!("{surname}{}", given[rng.random_range(0..given.len())])
}

fn person(rng: &mut StdRng, village: &DivisionCode, surname: &str, relation: Relation, sex: Sex, born: (i32, i32)) -> NewMember {
    let year = rng.random_range(born.0..=born.1);
    let birth = NaiveDate::from_ymd_opt(year, rng.random_range(1..=12), rng.random_range(1..=28)).unwrap_or_default();
    let seq: u16 = rng.random_range(0..500) * 2 + if sex == Sex::Male { 1 } else { 0 };
    let id = IdNumber::compose(&village.as_str()[..6], birth, seq);
    NewMember::with_id_number(name(rng, surname, sex), id, relation, None)
}

/// Categories in roughly the proportions of a county after 2020.
fn category(rng: &mut StdRng) -> Category {
    match rng.random_range(0..100) {
        0..=59 => Category::LiftedOut,
        60..=67 => Category::MonitoredUnstable,
        68..=72 => Category::MonitoredMarginal,
        73..=74 => Category::MonitoredHardship,
        _ => Category::Ordinary,
    }
}

/// A profile 户基本情况 as the county's records would have it, drawn from the household number
/// (its own generator: the rest of the demo stays the same).
fn profile(category: Category, number: &str) -> Profile {
    let mut rng = StdRng::seed_from_u64(number.bytes().fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    if category == Category::Ordinary {
        return Profile::default();
    }
    let identified = rng.random_range(2014..=2016);
    let mut p = Profile { identified_year: Some(identified), lifted_out_year: Some(rng.random_range(identified + 1..=2020)), ..Default::default() };
    if category != Category::LiftedOut {
        p.monitoring_included_on = NaiveDate::from_ymd_opt(rng.random_range(2021..=2024), rng.random_range(1..=12), rng.random_range(1..=28));
        p.fallback_reason = Some(["illness", "disability", "schooling", "disaster", "unstable_work"][rng.random_range(0..5)].to_owned());
    }
    for (flag, chance) in [(HouseholdFlag::Dibao, 0.25), (HouseholdFlag::ExtremePoverty, 0.05), (HouseholdFlag::Relocated, 0.1), (HouseholdFlag::HouseRenovation, 0.15), (HouseholdFlag::Disability, 0.1)] {
        if rng.random_bool(chance) {
            p.flags.push(flag);
        }
    }
    if p.flags.contains(&HouseholdFlag::Relocated) {
        p.resettlement_site = Some("县城易地扶贫搬迁安置小区".into());
    }
    p
}

fn household(rng: &mut StdRng, village: &DivisionCode, number: String) -> NewHousehold {
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let head_sex = if rng.random_bool(0.85) { Sex::Male } else { Sex::Female };
    let mut members = vec![person(rng, village, surname, Relation::Head, head_sex, (1950, 1990))];
    if rng.random_bool(0.8) {
        let other = if head_sex == Sex::Male { Sex::Female } else { Sex::Male };
        let spouse_surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
        members.push(person(rng, village, spouse_surname, Relation::Spouse, other, (1952, 1992)));
    }
    for _ in 0..rng.random_range(0..=3) {
        let sex = if rng.random_bool(0.5) { Sex::Male } else { Sex::Female };
        members.push(person(rng, village, surname, Relation::Child, sex, (1995, 2020)));
    }
    if rng.random_bool(0.2) {
        members.push(person(rng, village, surname, Relation::Parent, Sex::Female, (1930, 1950)));
    }
    let category = category(rng);
    let phone = format!("1{}{:08}", rng.random_range(30..=99), rng.random_range(0..100_000_000u32));
    members[0].phone = crate::domain::Phone::parse(&phone).ok();
    let profile = profile(category, &number);
    NewHousehold { village: village.clone(), number: Some(number), address: None, category, members, client_id: None, profile, origin: Some("演示数据 demo data".into()) }
}

/// Loads the demo county and `per_village` households in each of the first villages of three
/// townships (about `5 * 3 * per_village` households). Returns (divisions added, households added).
pub fn load<E>(db: &Db<E>, crypto: &Crypto, per_village: u32) -> anyhow::Result<(usize, usize)> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let c: &mut DbConnection = &mut conn;
    let county = DivisionCode::parse(DEMO_COUNTY).map_err(|e| anyhow::anyhow!("{e}"))?;
    let divisions = import_divisions(c, embedded_county(&county).unwrap_or_default())?;
    let scope = Scope::County(county.clone());
    let actor = Actor::system("demo");
    let mut added = 0;
    let townships = repo::divisions::children(c, DEMO_COUNTY)?;
    for (t, township) in townships.iter().skip(1).take(3).enumerate() {
        let villages = repo::divisions::children(c, &township.code)?;
        for (v, village) in villages.iter().take(5).enumerate() {
            let code = DivisionCode::parse(&village.code).map_err(|e| anyhow::anyhow!("{e}"))?;
            let existing = repo::households::numbers_in_village(c, &village.code)?;
            let mut rng = StdRng::seed_from_u64(2026 * 1000 + (t * 10 + v) as u64);
            for seq in 1..=per_village {
                let new = household(&mut rng, &code, household_number(&code, seq));
                if existing.contains(new.number.as_ref().unwrap_or(&String::new())) {
                    continue;
                }
                match repo::households::create(c, &scope, crypto, &actor, &new) {
                    Ok(_) => added += 1,
                    // A generated ID number that happens to repeat: skip that household.
                    Err(crate::db::DbError::Conflict(_)) => continue,
                    Err(e) => anyhow::bail!("{e}"),
                }
            }
            if existing.is_empty() {
                natural_changes(c, &scope, crypto, &actor, &code, (t * 10 + v) as u64)?;
            }
            pair_village(c, &scope, crypto, &actor, &county, village)?;
            locate_village(c, &scope, &actor, &village.code, (t * 10 + v) as u64)?;
        }
    }
    Ok((divisions, added))
}

/// Natural increase and decrease 自然增减 in a freshly loaded village, so the ledger has rows in
/// this statistical year and the last: in its first households a newborn (within ~2 months), a
/// bride or a member moving in (嫁入/迁入, ~3–5 months ago) and a member who died or moved out
/// (~1–4 months ago).
fn natural_changes(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, village: &DivisionCode, seed: u64) -> anyhow::Result<()> {
    use crate::db::repo::members::{Leave, add_member, remove_member};
    use crate::domain::member::{JoinReason, Joined};
    use crate::domain::RemovalReason;
    let err = |e: crate::db::DbError| anyhow::anyhow!("{e}");
    let mut rng = StdRng::seed_from_u64(9_000 + seed);
    let today = service_today();
    let ago = |rng: &mut StdRng, from: i64, to: i64| today - chrono::Duration::days(rng.random_range(from..=to));
    let filter = repo::households::ListFilter { division: Some(village.clone()), limit: 3, ..Default::default() };
    let rows = repo::households::list(c, scope, &filter)?;
    for (i, h) in rows.iter().enumerate() {
        let surname: String = h.head_name.chars().take(1).collect();
        let new = match i {
            0 => {
                // Registered already in every other village; elsewhere not yet (无户籍: listed by the
                // cleaning rule until its number is entered).
                let sex = if rng.random_bool(0.5) { Sex::Male } else { Sex::Female };
                let birth = ago(&mut rng, 5, 60);
                let seq: u16 = rng.random_range(0..500) * 2 + if sex == Sex::Male { 1 } else { 0 };
                let id = IdNumber::compose(&village.as_str()[..6], birth, seq);
                let mut baby = NewMember::with_id_number(name(&mut rng, &surname, sex), id, Relation::Grandchild, None);
                if seed % 2 == 1 {
                    baby.identity = crate::domain::member::Identity::Unregistered(crate::domain::member::NoIdReason::NewbornUnregistered);
                }
                baby.joined = Some(Joined::parse(JoinReason::Birth, None, birth, today).map_err(|e| anyhow::anyhow!("{}", e.message))?);
                baby
            }
            _ => {
                let family = SURNAMES[rng.random_range(0..SURNAMES.len())];
                let mut bride = person(&mut rng, village, family, Relation::ChildInLaw, Sex::Female, (1996, 2002));
                bride.joined = Some(Joined { reason: if i == 1 { JoinReason::MarriageIn } else { JoinReason::MovedIn }, on: ago(&mut rng, 90, 150) });
                bride
            }
        };
        match add_member(c, scope, crypto, actor, &h.id, None, &new) {
            Ok(_) | Err(crate::db::DbError::Conflict(_)) => {}
            Err(e) => return Err(err(e)),
        }
        let members = repo::households::members_of(c, std::slice::from_ref(&h.id), false)?;
        if let Some(m) = members.iter().find(|m| m.relation == Relation::Parent.as_str() || (i == 2 && m.relation == Relation::Spouse.as_str())) {
            let reason = if m.relation == Relation::Parent.as_str() { RemovalReason::Death } else { RemovalReason::MovedOut };
            let leave = Leave { reason, on: Some(ago(&mut rng, 30, 120)), today };
            remove_member(c, scope, crypto, actor, &h.id, &m.id, None, leave).map_err(err)?;
        }
    }
    Ok(())
}

/// Homes for the demo villages, so coverage and the console's map have something to show: a
/// village-dependent share (55–100 %) of its households get a home within ~600 m of a centre
/// placed in 子洲县, and every fourth village one household a capture 1 km away (a pending move).
/// Idempotent: households that have a home are left alone.
fn locate_village(c: &mut DbConnection, scope: &Scope, actor: &Actor, village: &str, seed: u64) -> anyhow::Result<()> {
    use crate::services::locations::{NewCapture, record};
    use crate::geo::LatLon;
    let mut rng = StdRng::seed_from_u64(7_000 + seed);
    let centre = LatLon { lat: 37.45 + rng.random_range(0.0..0.3), lon: 109.85 + rng.random_range(0.0..0.4) };
    let share = 0.55 + 0.45 * rng.random_range(0.0..1.0f64);
    let rules = crate::domain::location::CaptureRules::default();
    let filter = repo::households::ListFilter { division: DivisionCode::parse(village).ok(), limit: 1000, ..Default::default() };
    let rows = repo::households::list(c, scope, &filter)?;
    let n = rows.len();
    let capture = |h: &crate::db::models::HouseholdRow, p: LatLon, minutes_ago: i64| NewCapture {
        household_id: h.id.clone(),
        client_id: uuid::Uuid::now_v7().to_string(),
        point: p,
        original: p,
        crs: crate::geo::Crs::Wgs84,
        accuracy_m: 6.0,
        altitude_m: Some(1100.0),
        captured_at: chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
        source: "gps".into(),
        mock_location: false,
    };
    // The household that moved is one the campaigns cover (it has a file to keep).
    let mover = rows.iter().position(|h| h.category != crate::domain::Category::Ordinary.as_str()).unwrap_or(0);
    for (i, h) in rows.iter().enumerate() {
        if h.has_location || ((i as f64) >= share * n as f64 && i != mover) {
            continue;
        }
        let p = LatLon { lat: centre.lat + rng.random_range(-0.005..0.005), lon: centre.lon + rng.random_range(-0.006..0.006) };
        record(c, h, scope, actor, &rules, &capture(h, p, 30)).map_err(|e| anyhow::anyhow!("{e}"))?;
        if seed % 4 == 0 && i == mover {
            let fresh = repo::households::get(c, scope, &h.id).map_err(|e| anyhow::anyhow!("{e}"))?;
            let moved = LatLon { lat: p.lat + 0.009, lon: p.lon };
            record(c, &fresh, scope, actor, &rules, &capture(&fresh, moved, 10)).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(())
}

/// One cadre 帮扶责任人 per demo village, paired with its helped (not ordinary) households that
/// have no cadre yet; idempotent.
fn pair_village(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, county: &DivisionCode, village: &crate::db::models::DivisionRow) -> anyhow::Result<()> {
    use crate::db::repo::assistance::cadres::{self, CadreInput};
    use crate::db::repo::assistance::pairings::{self, PairingInput};
    use crate::db::repo::assistance::Created;
    let err = |e: crate::db::DbError| anyhow::anyhow!("{e}");
    let name = format!("{}帮扶干部", village.name.trim_end_matches("村委会").trim_end_matches("居委会"));
    let cadre = match cadres::list_cadres(c, county, Some(&name), None, 1)?.into_iter().next() {
        Some(existing) => existing,
        None => match cadres::create_cadre(c, county, crypto, actor, &CadreInput { name, work_unit: "子洲县乡村振兴局".into(), ..Default::default() }).map_err(err)? {
            Created::New(r) | Created::Existing(r) => r,
        },
    };
    let code = DivisionCode::parse(&village.code).map_err(|e| anyhow::anyhow!("{e}"))?;
    let filter = repo::households::ListFilter { division: Some(code), limit: 500, ..Default::default() };
    let start = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap_or_default();
    for h in repo::households::list(c, scope, &filter)?.into_iter().filter(|h| h.category != Category::Ordinary.as_str()) {
        if pairings::current_pairing(c, &h.id)?.is_none() {
            let input = PairingInput { household_id: h.id.clone(), cadre_id: cadre.id.clone(), start_date: start, client_id: None };
            pairings::create_pairing(c, scope, actor, &input, start.max(service_today())).map_err(err)?;
        }
    }
    Ok(())
}

/// Sequence numbers of bulk households start here, clear of the hand-sized demo (1..=per_village).
const BULK_FIRST_SEQUENCE: u32 = 1001;

/// A member of the bulk set: ID numbers unique by construction for up to 900 000 members
/// (`k` ↦ sequence `k % 1000`, region `6108xx` from `k / 1000 % 90`, birth day shifted by `k / 90 000`).
fn bulk_member(k: u32, relation: Relation, sex: Sex, birth_year: i32, surname: &str, rng: &mut StdRng) -> NewMember {
    let region = format!("6108{:02}", (k / 1000) % 90 + 10);
    let base = NaiveDate::from_ymd_opt(birth_year, 1, 1).unwrap_or_default();
    let birth = base + chrono::Duration::days(i64::from(k / 90_000));
    let parity = if sex == Sex::Male { 1 } else { 0 };
    let seq = ((k % 1000) as u16 / 2) * 2 + parity;
    let seq = if seq >= 1000 { seq - 2 } else { seq };
    let id = IdNumber::compose(&region, birth, seq);
    NewMember::with_id_number(name(rng, surname, sex), id, relation, None)
}

/// Loads `total` generated households spread over every village of the demo county with bulk
/// inserts (benchmarks). Idempotent per village. Returns the number of households added.
pub fn load_scale<E>(db: &Db<E>, crypto: &Crypto, total: u32) -> anyhow::Result<usize> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let c: &mut DbConnection = &mut conn;
    let county = DivisionCode::parse(DEMO_COUNTY).map_err(|e| anyhow::anyhow!("{e}"))?;
    import_divisions(c, embedded_county(&county).unwrap_or_default())?;
    let mut villages = Vec::new();
    for township in repo::divisions::children(c, DEMO_COUNTY)? {
        villages.extend(repo::divisions::children(c, &township.code)?.into_iter().map(|v| v.code));
    }
    let per_village = total.div_ceil(villages.len().max(1) as u32);
    let actor = Actor::system("bulk-load");
    let mut rng = StdRng::seed_from_u64(7);
    let mut added = 0;
    let mut k: u32 = 0;
    for (vi, village) in villages.iter().enumerate() {
        let code = DivisionCode::parse(village).map_err(|e| anyhow::anyhow!("{e}"))?;
        let count = per_village.min(total.saturating_sub(vi as u32 * per_village));
        let existing = repo::households::numbers_in_village(c, village)?;
        let first = household_number(&code, BULK_FIRST_SEQUENCE);
        if existing.contains(&first) || count == 0 {
            k += count * 4;
            continue;
        }
        let (mut rows, mut members) = (Vec::new(), Vec::new());
        for seq in 0..count {
            let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
            let mut people = vec![bulk_member(k, Relation::Head, Sex::Male, 1960, surname, &mut rng)];
            people.push(bulk_member(k + 1, Relation::Spouse, Sex::Female, 1962, SURNAMES[(k as usize) % SURNAMES.len()], &mut rng));
            if seq % 2 == 0 {
                people.push(bulk_member(k + 2, Relation::Child, Sex::Male, 1990, surname, &mut rng));
            }
            if seq % 3 == 0 {
                people.push(bulk_member(k + 3, Relation::Child, Sex::Female, 1993, surname, &mut rng));
            }
            k += 4;
            let number = household_number(&code, BULK_FIRST_SEQUENCE + seq);
            let row = crate::db::models::HouseholdRow::new(&code, number, category(&mut rng).as_str(), &people[0].name, "bulk-load");
            members.extend(people.iter().map(|m| repo::households::member_row(crypto, &row.id, m)));
            rows.push(row);
        }
        repo::households::insert_bulk(c, &rows, &members, &actor).map_err(|e| anyhow::anyhow!("{e}"))?;
        added += rows.len();
    }
    Ok(added)
}

/// Today in the demo county's time zone (Beijing time; the UTC day is yesterday until 08:00).
fn service_today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}
