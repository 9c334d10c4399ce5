//! Generates the household spreadsheet of the import benchmark (`scripts/bench/quality.sh`):
//! `cargo run --release --example gen_import -- OUT.xlsx HOUSEHOLDS` writes HOUSEHOLDS
//! households of 4 members (one row per member, the national system's Chinese headers) over the
//! villages of 子洲县, with ID numbers of region 610802 (not used by the bulk loader), and
//! `OUT.csv` with the same rows for the reference `COPY`.

use std::io::Write;

use chrono::NaiveDate;
use fangpin::domain::IdNumber;

const HEADERS: [&str; 8] = ["户编号", "行政村代码", "户类型", "姓名", "证件号码", "与户主关系", "性别", "出生日期"];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "import.xlsx".into()));
    let households: u32 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(75_000);
    let county = fangpin::domain::DivisionCode::parse("610831000000").map_err(|e| anyhow::anyhow!("{e}"))?;
    let csv_text = fangpin::demo::embedded_county(&county).ok_or_else(|| anyhow::anyhow!("no embedded county"))?;
    let villages: Vec<String> = fangpin::demo::parse_divisions(csv_text)?.into_iter().filter(|d| d.level == "village").map(|d| d.code).collect();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    let mut csv = std::io::BufWriter::new(std::fs::File::create(out.with_extension("csv"))?);
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    writeln!(csv, "{}", HEADERS.join(","))?;
    let people = [("户主", "1962-03-01", "王建国"), ("配偶", "1964-07-12", "李秀英"), ("之子", "1988-01-20", "王小龙"), ("之女", "1991-11-02", "王雅琪")];
    let categories = ["脱贫户", "一般农户", "边缘易致贫户", "脱贫不稳定户"];
    let mut row = 1u32;
    for h in 0..households {
        let number = format!("IMP{h:07}");
        let village = &villages[h as usize % villages.len()];
        let category = categories[h as usize % categories.len()];
        for (i, (relation, birth, name)) in people.iter().enumerate() {
            let birth = NaiveDate::parse_from_str(birth, "%Y-%m-%d")? + chrono::Duration::days(i64::from(h % 3000));
            let seq = ((h * 4 + i as u32) % 1000) as u16;
            // Within a region code (a block of 3 000 households and one member position) the
            // birth dates differ, so every number is distinct.
            let region = format!("61{:04}", 802 + ((h / 3000) * 4 + i as u32) % 9000);
            let id = IdNumber::compose(&region, birth, seq);
            let sex = if id.sex() == fangpin::domain::Sex::Male { "男" } else { "女" };
            let cells = [number.as_str(), village, category, name, id.as_str(), relation, sex, &birth.to_string()];
            for (c, v) in cells.iter().enumerate() {
                sheet.write_string(row, c as u16, *v)?;
            }
            writeln!(csv, "{}", cells.join(","))?;
            row += 1;
        }
    }
    wb.save(&out)?;
    println!("{} rows in {}", row - 1, out.display());
    Ok(())
}
