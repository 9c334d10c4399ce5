//! The household file 一户一档 as one zip, for an inspector: per household a folder named by its
//! number with a summary workbook (the record, its members, every yearly record — in the
//! division export's sheets, which the import reads — then its pairings, cases and their steps,
//! problems, and the lists of its documents and photos), its documents (材料/) and its photos
//! (照片/, all but rejected ones). A village's archive is its households' folders in one zip.
//!
//! Streamed: a task reads the households in order, a few ahead (rows, workbook, a few store reads
//! in flight), and hands each file to a thread that writes the zip (`zip`'s stream writer: no
//! seeking, sizes after each entry) into a bounded channel that the answer reads. At most a few
//! objects are in memory at once, whatever the village's size; a client that goes away stops the
//! work at the next chunk.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::{self, BoxFuture, FutureExt};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::Caller;
use super::exports::member;
use crate::db::repo::archive::{self as repo, HouseholdFile};
use crate::db::repo::{divisions, households};
use crate::domain::disclosure::{Subject, full_numbers};
use crate::domain::household_profile::Profile;
use crate::domain::labels;
use crate::domain::yearly::YearRecord;
use crate::domain::{DivisionCode, Level};
use crate::error::ApiError;
use crate::export::{Book, Household};
use crate::state::AppState;
use crate::storage::keys;

/// The zip's bytes as the answer streams them.
pub type Chunks = mpsc::Receiver<Result<Bytes, std::io::Error>>;

/// Households read per page of a village.
const PAGE: i64 = 50;
/// Bytes the zip writer gathers before handing a chunk to the answer.
const CHUNK: usize = 256 * 1024;

/// One household's archive: `(file name, zip)`. 404 outside the jurisdiction. Full ID and phone
/// numbers in its workbook as `GET /households/{id}` would show them (`Subject::Household`); the
/// read is recorded in the read log whoever reads it (its scans).
#[tracing::instrument(skip_all, fields(household = %id))]
pub async fn household(state: &AppState, caller: &Caller, id: String) -> Result<(String, Chunks), ApiError> {
    let scope = caller.read_scope();
    let file = state.db.run(move |c| Ok(repo::household_file(c, &scope, &id)?)).await?;
    let paired = file.pairings.iter().any(|p| p.end_date.is_none() && p.cadre_user_id.as_deref() == Some(caller.id.as_str()));
    let full = full_numbers(caller.role, Subject::Household { paired });
    // Its scans show the numbers on paper whatever the workbook masks: every archive is logged.
    state.read_log.record(&caller.actor(), &file.household.id);
    let name = format!("household-{}.zip", file.household.number);
    let (entries, chunks) = start();
    let state = state.clone();
    tokio::spawn(async move {
        let folder = match county_names(&state, &file.household.village_code).await {
            Ok(names) => folder(&state, file, full, names).await,
            Err(e) => Err(e),
        };
        let steps = stream::iter(match folder {
            Ok(folder) => steps(&state, folder, &budget()),
            Err(e) => vec![future::ready(Err(e)).boxed()],
        });
        write(&entries, steps.buffered(IN_FLIGHT)).await;
    });
    Ok((name, chunks))
}

/// A village's archive: its households' folders in order of their numbers, numbers masked (a
/// list: `Subject::Many`). 404 for a code that is not a village of the jurisdiction.
///
/// An ordered pipeline: the next [`AHEAD`] households' rows are read and their workbooks built
/// while the store reads of up to [`IN_FLIGHT`] photos and scans are under way; the zip gets
/// every file in order, at the store's pace.
#[tracing::instrument(skip_all, fields(division = %village))]
pub async fn village(state: &AppState, caller: &Caller, village: DivisionCode) -> Result<(String, Chunks), ApiError> {
    // A bulk read: the current jurisdiction (a cadre's former pairings are for single reads).
    let scope = caller.scope();
    let actor = caller.actor();
    if village.level() != Level::Village || !scope.covers(&village) {
        return Err(ApiError::NotFound);
    }
    let names = county_names(state, village.as_str()).await?;
    let name = format!("village-{}.zip", village.as_str());
    let (entries, chunks) = start();
    let st = state.clone();
    let s = scope.clone();
    // Pages of the village's households by number; an error ends the pages after it is passed on.
    let pages = stream::unfold(Some(None::<String>), move |after| {
        let (st, s, v) = (st.clone(), s.clone(), village.clone());
        async move {
            let after = after?;
            match st.db.run(move |c| Ok(households::page_by_number(c, &s, &v, after.as_deref(), PAGE)?)).await {
                Ok(page) => {
                    let next = page.last().map(|h| h.number.clone())?;
                    Some((Ok(page), Some(Some(next))))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    let st = state.clone();
    let folders = pages
        .flat_map(|page| stream::iter(page.map_or_else(|e| vec![Err(e)], |p| p.into_iter().map(Ok).collect())))
        .map(move |h: Result<_, ApiError>| {
            let (st, s, actor, names) = (st.clone(), scope.clone(), actor.clone(), names.clone());
            async move {
                let id = h?.id;
                let file = st.db.run(move |c| Ok(repo::household_file(c, &s, &id)?)).await?;
                // Its scans and photos are in the zip: the read is logged per household.
                st.read_log.record(&actor, &file.household.id);
                folder(&st, file, false, names).await
            }
        })
        .buffered(AHEAD)
        .boxed();
    let (st, budget) = (state.clone(), budget());
    let steps = folders
        .flat_map(move |folder: Result<Folder, ApiError>| -> stream::Iter<std::vec::IntoIter<Step>> {
            stream::iter(match folder {
                Ok(folder) => steps(&st, folder, &budget),
                Err(e) => vec![future::ready(Err(e)).boxed()],
            })
        })
        .buffered(IN_FLIGHT)
        .boxed();
    tokio::spawn(async move {
        // Its turn among the village archives being built (the answer waits meanwhile).
        let Ok(_turn) = VILLAGE_ARCHIVES.acquire().await else { return };
        write(&entries, steps).await
    });
    Ok((name, chunks))
}

/// Households whose rows and workbook are prepared ahead of the zip writer.
const AHEAD: usize = 2;
/// Store reads (photos, scans) under way at once, ahead of the zip writer, within the archive's
/// byte budget ([`BUDGET_KIB`]).
const IN_FLIGHT: usize = 6;

/// One file of the zip, still to be read (or ready: the workbook).
type Step = BoxFuture<'static, Result<Entry, ApiError>>;

/// A household's folder ready to be written: its workbook, and each document and photo with its
/// key in the store and its name in the zip.
struct Folder {
    workbook: Entry,
    /// (key in the store, name in the zip, size in bytes).
    objects: Vec<(String, String, i64)>,
}

/// The names of the county's divisions (the workbook's 县/乡/村 columns), read once per archive.
async fn county_names(state: &AppState, code: &str) -> Result<Arc<HashMap<String, String>>, ApiError> {
    let county = DivisionCode::parse(&format!("{}000000", &code[..6.min(code.len())])).map_err(|e| ApiError::Internal(anyhow::anyhow!("{}", e.message)))?;
    Ok(Arc::new(state.db.run(move |c| Ok(divisions::names_within(c, &county)?)).await?))
}

/// The household's workbook (built on a blocking thread) and the list of its objects.
async fn folder(state: &AppState, file: HouseholdFile, full: bool, division_names: Arc<HashMap<String, String>>) -> Result<Folder, ApiError> {
    let folder = file.household.number.clone();
    let hid = file.household.id.clone();
    let names = file_names(&file);
    let mut objects: Vec<(String, String, i64)> = file.documents.iter().map(|d| (keys::document(&hid, &d.id), format!("{folder}/{}", names.documents[&d.id]), d.size_bytes)).collect();
    objects.extend(file.photos.iter().map(|p| (keys::original(&hid, &p.id), format!("{folder}/{}", names.photos[&p.id]), p.size_bytes)));
    let st = state.clone();
    let workbook = tokio::task::spawn_blocking(move || summary(&st, &file, &names, &division_names, full))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("summary workbook: {e}")))??;
    Ok(Folder { workbook: Entry::File { name: format!("{folder}/{folder}-档案.xlsx"), bytes: Bytes::from(workbook), _held: None }, objects })
}

/// The folder's files as steps: the workbook, then each object read from the store once its
/// size fits in the archive's `budget` (KiB); the bytes keep their share until the zip has them.
/// Steps ask in the order of the zip (the semaphore is first come, first served), so the next
/// file is never kept waiting by later ones.
fn steps(state: &AppState, folder: Folder, budget: &Arc<Semaphore>) -> Vec<Step> {
    let mut steps: Vec<Step> = vec![future::ready(Ok(folder.workbook)).boxed()];
    for (key, name, size) in folder.objects {
        let (st, budget) = (state.clone(), budget.clone());
        steps.push(
            async move {
                let kib = u32::try_from(size.max(0) / 1024 + 1).unwrap_or(u32::MAX).min(BUDGET_KIB);
                let held = budget.acquire_many_owned(kib).await.map_err(|e| ApiError::Internal(e.into()))?;
                Ok(Entry::File { name, bytes: st.storage.get(&key).await?, _held: Some(held) })
            }
            .boxed(),
        );
    }
    steps
}

/// Bytes of photos and scans one archive holds at once, in KiB (a few of the largest allowed
/// files; with 2–4 MB photos, [`IN_FLIGHT`] of them).
const BUDGET_KIB: u32 = 48 * 1024;

/// Village archives built at once; more wait their turn (each holds up to [`BUDGET_KIB`]).
static VILLAGE_ARCHIVES: Semaphore = Semaphore::const_new(2);

fn budget() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(BUDGET_KIB as usize))
}

/// Feeds the zip writer in order; the first error cuts the zip short, a client gone stops the work
/// (dropping the steps under way).
async fn write(entries: &mpsc::Sender<Entry>, steps: impl Stream<Item = Result<Entry, ApiError>>) {
    let mut steps = std::pin::pin!(steps);
    while let Some(step) = steps.next().await {
        match step {
            Ok(entry) => {
                if entries.send(entry).await.is_err() {
                    return;
                }
            }
            Err(e) => return fail(entries, &e.to_string()).await,
        }
    }
}

async fn fail(entries: &mpsc::Sender<Entry>, why: &str) {
    tracing::warn!(error = %why, "archive stopped");
    let _ = entries.send(Entry::Failed(why.to_owned())).await;
}

enum Entry {
    /// A file and its share of the archive's memory budget (given back once written).
    File { name: String, bytes: Bytes, _held: Option<OwnedSemaphorePermit> },
    /// Something failed after the answer began: the zip is cut short (the client sees an error,
    /// never a truncated file that looks whole).
    Failed(String),
}

/// The zip writer on a blocking thread: entries in, the zip's chunks out.
fn start() -> (mpsc::Sender<Entry>, Chunks) {
    let (entries_tx, mut entries_rx) = mpsc::channel::<Entry>(1);
    let (chunks_tx, chunks_rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let out = ChunkWriter { tx: chunks_tx.clone(), buf: Vec::with_capacity(CHUNK) };
        let mut zip = zip::ZipWriter::new_stream(out);
        // Photos, scans and workbooks are compressed already.
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(false);
        let result: Result<(), std::io::Error> = (|| {
            while let Some(entry) = entries_rx.blocking_recv() {
                match entry {
                    Entry::File { name, bytes, .. } => {
                        zip.start_file(name, options).map_err(std::io::Error::other)?;
                        zip.write_all(&bytes)?;
                    }
                    Entry::Failed(why) => return Err(std::io::Error::other(why)),
                }
            }
            let mut out = zip.finish().map_err(std::io::Error::other)?.into_inner();
            out.flush()
        })();
        if let Err(e) = result {
            let _ = chunks_tx.blocking_send(Err(e));
        }
    });
    (entries_tx, chunks_rx)
}

/// Hands the zip's bytes to the answer in chunks; fails once the answer is gone (the client left).
struct ChunkWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

/// Where each document and photo goes in the household's folder: `材料/2026-农户申请书-1.pdf`,
/// `照片/2026-全家在门口-1.jpg` (numbered within a year and kind, so names never clash).
struct FileNames {
    documents: HashMap<String, String>,
    photos: HashMap<String, String>,
}

fn file_names(file: &HouseholdFile) -> FileNames {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut name = |folder: &str, year: i32, label: String, ext: &str| {
        let stem = format!("{folder}/{year}-{label}");
        let n = seen.entry(stem.clone()).or_insert(0);
        *n += 1;
        format!("{stem}-{n}.{ext}")
    };
    let documents = file
        .documents
        .iter()
        .map(|d| {
            let ext = crate::domain::document::MediaType::from_mime(&d.media_type).map(|m| m.extension()).unwrap_or("bin");
            (d.id.clone(), name("材料", d.year, labels::zh("document_kind", &d.kind), ext))
        })
        .collect();
    let photos = file.photos.iter().map(|p| (p.id.clone(), name("照片", p.year, labels::zh("photo_kind", &p.kind), "jpg"))).collect();
    FileNames { documents, photos }
}

/// The summary workbook: the division export's three sheets for this household (its latest
/// year's member indicators; every year in 年度信息), then its pairings, cases, problems and the
/// lists of its documents and photos.
fn summary(state: &AppState, file: &HouseholdFile, names: &FileNames, division_names: &HashMap<String, String>, full: bool) -> Result<Vec<u8>, ApiError> {
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.into());
    let h = &file.household;
    let mut years: Vec<(i32, YearRecord)> = Vec::new();
    for row in &file.years {
        let record = serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored yearly record: {e}")))?;
        years.push((row.year, record));
    }
    let latest = years.pop();
    let household = Household {
        number: &h.number,
        village_code: &h.village_code,
        category: &h.category,
        head: &h.head_name,
        address: h.address.as_deref(),
        profile: Profile::from_stored(&h.profile),
        members: file.members.iter().map(|m| member(&state.crypto, m, full)).collect(),
        year: latest,
    };
    let current = household.members.iter().filter(|m| m.left_reason.is_none()).count();
    let mut book = Book::in_memory(division_names.clone()).map_err(internal)?;
    for (year, record) in &years {
        book.year_row(&h.number, *year, record, current).map_err(internal)?;
    }
    book.household(&household).map_err(internal)?;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let pairings: Vec<Vec<String>> = file
        .pairings
        .iter()
        .map(|p| vec![p.cadre_name.clone(), p.work_unit.clone(), p.start_date.to_string(), date(p.end_date), p.end_reason.clone().unwrap_or_default()])
        .collect();
    book.table("结对帮扶", &["帮扶责任人", "工作单位", "开始日期", "结束日期", "结束原因"], &pairings).map_err(internal)?;
    let mut steps: Vec<Vec<String>> = Vec::new();
    for (case, case_steps) in &file.cases {
        let head = [labels::zh("case_kind", &case.kind), case.reason.clone(), case.opened_on.to_string(), labels::zh("stage", &case.stage)];
        if case_steps.is_empty() {
            steps.push(head.iter().cloned().chain(std::iter::repeat_n(String::new(), 5)).collect());
        }
        for s in case_steps {
            let signed: Vec<String> = serde_json::from_str::<serde_json::Value>(&s.signatories)
                .ok()
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_owned).unwrap_or_else(|| v.to_string()))
                .collect();
            let row = [labels::zh("step", &s.step), labels::zh("outcome", &s.outcome), s.step_date.to_string(), signed.join("、"), s.note.clone().unwrap_or_default()];
            steps.push(head.iter().cloned().chain(row).collect());
        }
    }
    book.table("程序", &["程序类型", "原因", "开始日期", "当前阶段", "步骤", "结果", "日期", "签字人", "备注"], &steps).map_err(internal)?;
    let problems: Vec<Vec<String>> = file
        .problems
        .iter()
        .map(|p| vec![labels::zh("quality_rule", &p.rule_id), labels::zh("severity", &p.severity), p.detail.clone(), labels::zh("problem_status", &p.status), p.deadline.to_string(), p.created_at.date().to_string()])
        .collect();
    book.table("问题", &["问题", "严重程度", "说明", "状态", "整改期限", "发现日期"], &problems).map_err(internal)?;
    let documents: Vec<Vec<String>> = file
        .documents
        .iter()
        .map(|d| vec![names.documents[&d.id].clone(), labels::zh("document_kind", &d.kind), d.year.to_string(), d.uploaded_by_name.clone(), d.created_at.date().to_string(), d.sha256.clone()])
        .collect();
    book.table("材料清单", &["文件", "材料类型", "年度", "上传人", "上传日期", "SHA-256"], &documents).map_err(internal)?;
    let photos: Vec<Vec<String>> = file
        .photos
        .iter()
        .map(|p| vec![names.photos[&p.id].clone(), labels::zh("photo_kind", &p.kind), p.year.to_string(), p.taken_at.to_string(), labels::zh("photo_status", &p.status), p.uploaded_by_name.clone(), p.sha256.clone()])
        .collect();
    book.table("照片清单", &["文件", "照片类型", "年度", "拍摄时间", "审核状态", "上传人", "SHA-256"], &photos).map_err(internal)?;
    let mut sheets = super::exports::AssistanceSheets::default();
    let names: Vec<(String, String)> = file.members.iter().map(|m| (m.id.clone(), m.name.clone())).collect();
    sheets.add(&h.number, &names, &file.projects, &file.loans, &file.migrant_work);
    sheets.write(&mut book).map_err(internal)?;
    book.into_bytes().map_err(internal)
}
