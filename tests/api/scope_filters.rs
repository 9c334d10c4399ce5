//! One scope filter for every table (`db::filters`). A jurisdiction above the county — a city or
//! a province, which the command line's `import --division` and `quality run --division` accept
//! and turn into a scope (`Scope::for_user`) — sees the rows of its counties in every table, by
//! the code prefix, as household lists by division always did; another city sees none of them.
//! Before, only that household list handled such a scope: every other table compared the city's
//! code with a county code and found nothing.

use chrono::Datelike;
use fangpin::db::repo::assistance::pairings::PairingFilter;
use fangpin::db::repo::assistance;
use fangpin::db::repo::households::{self, ListFilter};
use fangpin::db::repo::procedures::{self, CaseFilter};
use fangpin::db::repo::quality::{self, ProblemFilter};
use fangpin::db::repo::sync::{self, Position};
use fangpin::db::schema::sync_tombstones;
use fangpin::db::{DbConnection, filters};
use fangpin::db::repo::{coverage, photos};
use fangpin::domain::household::Counted;
use fangpin::domain::{DivisionCode, Role, Scope};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::photos::{LAT, LON, located_household, meta, phone_photo, upload};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_owned()
}

/// The households whose tombstones the division's filter selects.
fn tombstones(c: &mut DbConnection, d: &DivisionCode) -> Vec<String> {
    use diesel::prelude::*;
    sync_tombstones::table.filter(filters::sync_tombstones::in_division(d)).select(sync_tombstones::household_id).load(c).unwrap()
}

/// The scope the command line builds for `--division code`.
fn scope_of(code: &str) -> Scope {
    Scope::for_user(Role::CountyAdmin, &DivisionCode::parse(code).unwrap(), "")
}

#[actix_web::test]
async fn a_city_or_province_scope_sees_its_counties_rows_in_every_table() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // One row of each kind in 子洲县 (county 610831, city 榆林 610800, province 陕西 610000).
    let path = located_household(&app, 1).await;
    let household = path.trim_start_matches("/households/").to_owned();
    let (cadre, cadre_id) = app.cadre("刘帮扶").await;
    let pairing = id(&app.pair(&cadre_id, &household, "2026-01-15").await);
    let res = upload(&cadre, &path, &meta("door_with_cadre"), phone_photo(1, Some((LAT, LON)))).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let photo = id(&res.json().await.unwrap());
    let res = admin.post("/cases", json!({"household_id": household, "kind": "inclusion", "reason": "户主突发重病，医疗支出大", "risk_types": ["illness"], "target_category": "monitored_hardship"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let case = id(&res.json().await.unwrap());
    let team = json!({"village_code": VILLAGE, "name": "驻村工作队", "first_secretary_id": cadre_id, "member_ids": [], "term_start": "2024-03-01"});
    let res = admin.post("/work-teams", team).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let team = id(&res.json().await.unwrap());
    // A household that leaves its village leaves a tombstone for the phones of that division.
    let moved = id(&app.household_in(VILLAGE_2, 2).await);
    let res = admin.post(&format!("/divisions/{VILLAGE_2}/merge"), json!({"into": VILLAGE})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = admin.post(&format!("/quality/runs?division={COUNTY}"), json!({})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let mut c = app.state.db.conn().unwrap();
    let year = chrono::Utc::now().year();
    let stale_before = chrono::Utc::now().naive_utc() - chrono::Duration::days(1095);
    for code in ["610800000000", "610000000000"] {
        let s = scope_of(code);
        let d = s.division().clone();
        let listed = households::list(&mut c, &s, &ListFilter { limit: 50, ..Default::default() }).unwrap();
        assert!(listed.iter().any(|h| h.id == household), "{code}: households");
        assert_eq!(photos::find(&mut c, &s, &photo).unwrap().id, photo, "{code}: photos");
        let counted = photos::coverage(&mut c, &s, &d, Counted::All, year).unwrap();
        assert_eq!(counted.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), [TOWNSHIP], "{code}: photo coverage");
        assert_eq!(procedures::get(&mut c, &s, &case).unwrap().id, case, "{code}: cases");
        let cases = procedures::list(&mut c, &s, &CaseFilter { division: Some(d.clone()), limit: 50, ..Default::default() }).unwrap();
        assert_eq!(cases.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), [case.clone()], "{code}: cases by division");
        assert!(!quality::list(&mut c, &s, &d, &ProblemFilter { limit: 50, ..Default::default() }).unwrap().is_empty(), "{code}: problems");
        let teams = assistance::work_teams::list_teams(&mut c, &s, None, None, 50).unwrap();
        assert_eq!(teams.iter().map(|t| t.id.clone()).collect::<Vec<_>>(), [team.clone()], "{code}: work teams");
        let pairings = assistance::pairings::list_pairings(&mut c, &s, &PairingFilter { limit: 50, ..Default::default() }).unwrap();
        assert_eq!(pairings.iter().map(|(p, _)| p.id.clone()).collect::<Vec<_>>(), [pairing.clone()], "{code}: pairings");
        // (The feed itself leaves this tombstone out: the household is still in the city.)
        assert_eq!(tombstones(&mut c, &d), [moved.clone()], "{code}: sync tombstones");
        let homes = coverage::by_child(&mut c, &s, &d, Counted::All, stale_before).unwrap();
        assert_eq!(homes.iter().map(|(_, n)| n.households).sum::<i64>(), 2, "{code}: location coverage");
    }

    // Another city of the same province sees none of it.
    let s = scope_of("610700000000");
    let d = s.division().clone();
    assert!(households::list(&mut c, &s, &ListFilter { limit: 50, ..Default::default() }).unwrap().is_empty());
    assert!(photos::find(&mut c, &s, &photo).is_err());
    assert!(photos::coverage(&mut c, &s, &d, Counted::All, year).unwrap().is_empty());
    assert!(procedures::get(&mut c, &s, &case).is_err());
    assert!(quality::list(&mut c, &s, &d, &ProblemFilter { limit: 50, ..Default::default() }).unwrap().is_empty());
    assert!(assistance::work_teams::list_teams(&mut c, &s, None, None, 50).unwrap().is_empty());
    assert!(assistance::pairings::list_pairings(&mut c, &s, &PairingFilter { limit: 50, ..Default::default() }).unwrap().is_empty());
    assert!(sync::feed(&mut c, &s, Some(&Position::default()), 100).unwrap().changes.is_empty());
    assert!(tombstones(&mut c, &d).is_empty());
    assert!(coverage::by_child(&mut c, &s, &d, Counted::All, stale_before).unwrap().is_empty());
}

/// The full record's read in one query (`households::find_whole`: the household joined with its
/// members, its current pairing and the cadre) says the same as the three reads it replaces
/// (`find`, `members_of` with removed members, `current_pairings`), for every kind of scope —
/// among them a cadre's, whose filter is a subquery over `pairings` and `cadres` inside a join
/// that names both tables itself.
#[actix_web::test]
async fn the_full_record_in_one_query_is_the_three_reads_for_every_scope() {
    use fangpin::db::repo::assistance::pairings::current_pairings;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = admin.post("/households", household_body(VILLAGE, &[(71, "head"), (72, "spouse"), (73, "child")])).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let family: Value = res.json().await.unwrap();
    let spouse = family["members"].as_array().unwrap().iter().find(|m| m["relation"] == "spouse").unwrap()["id"].as_str().unwrap().to_owned();
    let family = id(&family);
    let res = admin.delete(&format!("/households/{family}/members/{spouse}?reason=marriage_out"), Some("1")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let formerly = id(&app.household_in(VILLAGE, 74).await);
    let unpaired = id(&app.household_in(VILLAGE_2, 75).await);
    let (cadre, cadre_id) = app.cadre("刘帮扶").await;
    let (other_cadre, other_id) = app.cadre("张帮扶").await;
    app.pair(&cadre_id, &family, "2026-01-15").await;
    let ended = id(&app.pair(&cadre_id, &formerly, "2026-01-15").await);
    let res = admin.patch(&format!("/pairings/{ended}"), json!({"end_date": "2026-05-01", "end_reason": "工作调动"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.pair(&other_id, &formerly, "2026-05-01").await;

    let village = |code: &str| DivisionCode::parse(code).unwrap();
    let as_cadre = |user: &str, past: bool| Scope::Cadre { jurisdiction: village(VILLAGE), user_id: user.to_owned(), past };
    let scopes = [
        Scope::County(village(COUNTY)),
        Scope::Township(village(TOWNSHIP)),
        Scope::Village(village(VILLAGE)),
        Scope::Village(village(VILLAGE_2)),
        scope_of("340323000000"),
        as_cadre(&cadre.user_id, false),
        as_cadre(&cadre.user_id, true),
        as_cadre(&other_cadre.user_id, false),
        as_cadre("no-such-user", true),
    ];
    let mut c = app.state.db.conn().unwrap();
    let mut seen = 0;
    for scope in &scopes {
        for household in [&family, &formerly, &unpaired, &"no-such-household".to_owned()] {
            let whole = households::find_whole(&mut c, scope, household).unwrap();
            let three = households::find(&mut c, scope, household).unwrap().map(|h| {
                let members = households::members_of(&mut c, std::slice::from_ref(&h.id), true).unwrap();
                let pairing = current_pairings(&mut c, std::slice::from_ref(&h.id)).unwrap().into_iter().next();
                (h, members, pairing)
            });
            let summary = |w: &Option<households::Whole>| {
                w.as_ref().map(|(h, m, p)| (h.id.clone(), h.version, m.iter().map(|m| (m.id.clone(), m.removed_at.is_some())).collect::<Vec<_>>(), p.as_ref().map(|(p, c)| (p.id.clone(), c.id.clone()))))
            };
            assert_eq!(summary(&whole), summary(&three), "{scope:?} reading {household}");
            seen += usize::from(whole.is_some());
        }
    }
    // Not vacuous: the county sees all three, with three members of the family (one removed) and
    // its pairing; the cadre now only the family, and with past pairings the former one too.
    assert_eq!(seen, 3 + 3 + 2 + 1 + 0 + 1 + 2 + 1 + 0, "households seen by the scopes in turn");
    let (_, members, pairing) = households::find_whole(&mut c, &scopes[0], &family).unwrap().unwrap();
    assert_eq!(members.iter().map(|m| m.removed_at.is_some()).collect::<Vec<_>>(), [false, true, false], "every member in the order added");
    assert_eq!(pairing.map(|(_, cadre)| cadre.id), Some(cadre_id));
    let (_, _, pairing) = households::find_whole(&mut c, &scopes[6], &formerly).unwrap().unwrap();
    assert_eq!(pairing.map(|(_, cadre)| cadre.id), Some(other_id), "the current pairing, not the cadre's own ended one");
}
