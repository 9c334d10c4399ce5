// Interface text: Chinese first, English on the toggle (kept in localStorage; no tokens are).
const TEXT = {
  "title": ["防贫审核台", "fangpin review console"],
  "nav.coverage": ["覆盖率", "Coverage"], "nav.map": ["地图", "Map"], "nav.photos": ["照片审核", "Photo queue"],
  "nav.ledger": ["问题台账", "Problem ledger"], "nav.moves": ["待确认搬迁", "Pending moves"],
  "logout": ["退出", "Log out"], "lang": ["English", "中文"],
  "login.username": ["用户名", "Username"], "login.password": ["密码", "Password"], "login.submit": ["登录", "Log in"],
  "login.expired": ["登录已过期，请重新登录（筛选条件会保留）", "Your session expired: log in again (your filters are kept)"],
  "login.failed": ["用户名或密码错误", "Wrong username or password"],
  "col.name": ["区划", "Division"], "col.households": ["帮扶对象户数", "Assisted households"], "col.located": ["已定位", "Located %"],
  "col.stale": ["定位过期", "Stale"], "col.low": ["精度不足", "Low accuracy"], "col.moves": ["待确认搬迁", "Pending moves"],
  "col.sets": ["照片齐全", "Photo sets"], "col.files": ["档案齐全", "Files complete"], "col.flagged": ["可疑照片", "Flagged photos"], "col.problems": ["未办结问题", "Open problems"],
  "coverage.missing": ["未定位的帮扶对象", "Assisted households without a location"], "coverage.export": ["导出 CSV", "Export CSV"],
  "coverage.map": ["在地图上查看", "Show on the map"], "coverage.none": ["全部已定位", "All located"],
  "coverage.loans_overdue": ["逾期小额信贷", "Overdue loans"],
  "col.number": ["户编号", "Household no."], "col.head": ["户主", "Head"], "col.category": ["类别", "Category"],
  "map.homes": ["处住户", "homes"], "map.tiles": ["底图", "Tiles"], "map.none": ["无底图（离线）", "None (offline)"],
  "map.custom": ["自定义", "Custom"], "map.located": ["已定位", "Located"], "map.move": ["待确认搬迁", "Pending move"],
  "map.flagged": ["可疑照片", "Flagged photo"], "map.key": ["天地图密钥", "Tianditu key"],
  "map.tianditu": ["天地图", "Tianditu"], "map.amap": ["高德地图", "Amap"],
  "card.profile": ["户基本情况", "Household profile"], "card.identified": ["识别年度", "Identified"],
  "card.included": ["纳入监测", "In monitoring since"], "card.lifted": ["脱贫年度", "Lifted out"],
  "card.eliminated": ["风险消除", "Risk eliminated"], "card.fallback": ["返贫原因", "Fell back because of"],
  "card.risk": ["风险类型", "Risk types"], "card.site": ["安置点", "Resettlement site"],
  "card.members": ["家庭成员", "Members"], "card.joined": ["增加", "Joined"], "card.left": ["减少", "Left"],
  "card.no_id": ["无身份证号码", "No ID number"], "card.photos": ["照片", "Photos"], "card.home": ["住户位置", "Home"],
  "photos.empty": ["没有待审核的照片", "No photo waits for review"], "photos.left": ["张待审", "waiting"],
  "photos.accept": ["通过", "Accept"], "photos.reasons": ["可疑原因", "Why flagged"], "photos.distance": ["距住户", "From the home"],
  "photos.exif": ["EXIF 时间", "EXIF time"], "photos.stated": ["填报时间", "Stated time"], "photos.duplicate": ["疑似重复", "Looks like"],
  "photos.reject1": ["非入户拍摄", "Not taken at the home"], "photos.reject2": ["重复照片", "Duplicate photo"],
  "photos.reject3": ["照片不清晰", "Unclear photo"], "photos.reject4": ["照片类型不符", "Wrong kind of photo"],
  "photos.done": ["已审核", "Reviewed"], "photos.household": ["户", "Household"],
  "photos.editor": ["修图软件", "Edited with"], "photos.preview": ["相机内嵌缩略图", "The camera's embedded preview"],
  "photos.gps_time": ["卫星时间", "GPS clock"], "photos.exif_position": ["照片位置", "Photo position"],
  "photos.app_position": ["手机定位", "Phone position"], "photos.saved_later": ["拍摄后再次保存", "Saved again after"],
  "ledger.severity": ["类型", "Severity"],
  "ledger.rule": ["规则", "Rule"], "ledger.status": ["状态", "Status"], "ledger.overdue": ["仅逾期", "Overdue only"],
  "ledger.all": ["全部", "All"], "ledger.export": ["导出 Excel", "Export xlsx"], "ledger.change": ["变更为", "Change to"],
  "ledger.note": ["说明（驳回必填）", "Note (needed to dismiss)"], "ledger.stale": ["该问题已被他人修改，已重新加载，请再次操作", "Someone else changed this problem: it was reloaded, apply your change again"],
  "ledger.deadline": ["期限", "Deadline"], "ledger.cadre": ["帮扶责任人", "Cadre"], "ledger.description": ["问题", "Problem"],
  "ledger.saved": ["已保存", "Saved"],
  "nav.problems": ["问题整改", "Rectification"], "nav.daily": ["每日整改清单", "Daily list"],
  "problems.new": ["录入问题", "Record a problem"], "problems.village": ["行政村代码", "Village code"],
  "problems.number": ["户编号（整村问题留空）", "Household no. (empty: the whole village)"], "problems.no_household": ["未找到该户", "No such household"],
  "problems.source": ["来源", "Source"], "problems.category": ["问题类别", "Category"], "problems.guarantee": ["未保障项", "Guarantee"],
  "problems.found_on": ["发现日期", "Found on"], "problems.found_by": ["发现人", "Found by"], "problems.photo": ["照片", "Photo"],
  "problems.record": ["保存问题", "Record"], "problems.plan": ["整改方案", "Rectification plan"], "problems.measure": ["整改措施", "Measure"],
  "problems.responsible": ["责任人", "Responsible"], "problems.save": ["保存方案", "Save plan"], "problems.progress": ["整改进展", "Progress"],
  "problems.add": ["添加进展", "Add progress"], "problems.signoffs": ["签字", "Sign-offs"], "problems.signer": ["签字人姓名", "Signer's name"],
  "problems.signs": ["签字", "signs"], "problems.missing": ["尚缺", "Still missing"], "problems.complete": ["整改材料齐全", "The rectification is complete"],
  "problems.dismissed": ["经核实非问题", "Not a problem after all"],
  "daily.opened_today": ["今日新增", "Opened today"], "daily.due_soon": ["三日内到期", "Due within 3 days"],
  "daily.overdue": ["已逾期", "Overdue"], "daily.closed_today": ["今日销号", "Closed today"],
  "moves.empty": ["没有待确认的搬迁", "No pending move"], "moves.old": ["原位置", "Old home"], "moves.new": ["新位置", "New position"],
  "moves.distance": ["相距", "Distance"], "moves.confirm": ["确认搬迁", "Confirm move"], "moves.reject": ["驳回", "Reject"],
  "moves.confirmed": ["已确认", "Confirmed"], "moves.rejected": ["已驳回", "Rejected"],
  "error.generic": ["操作失败", "It did not work"], "loading": ["加载中…", "Loading…"],
};

let lang = localStorage.getItem("fangpin.lang") === "en" ? 1 : 0;

/// A view's own texts, added by its module (key → [Chinese, English]).
export function addText(entries) { Object.assign(TEXT, entries); }

export function t(key) {
  const entry = TEXT[key];
  return entry ? entry[lang] : key;
}

export function language() { return lang === 1 ? "en" : "zh"; }

// What people read for coded values (category `ordinary` → 一般农户): the server's one table,
// GET /api/v1/labels, loaded once after login; an unknown value is shown as sent.
let labels = {};
export function setLabels(table) { labels = table || {}; }
/// The values a coded field may take, in the labels table's order.
export function values(field) { return Object.keys(labels[field] || {}); }
export function label(field, value) {
  const entry = labels[field]?.[value];
  return entry ? (lang === 1 ? entry.en : entry.zh) : (value ?? "");
}

export function toggleLanguage() {
  lang = 1 - lang;
  localStorage.setItem("fangpin.lang", lang === 1 ? "en" : "zh");
  document.documentElement.lang = lang === 1 ? "en" : "zh-CN";
}

/// Fills every element with a data-t attribute below `root`.
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
}
