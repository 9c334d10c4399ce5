// Interface text: Chinese first, English on the toggle (the choice is kept in localStorage;
// nothing else is).
const TEXT = {
  "title": ["防贫入户采集", "fangpin field app"],
  "lang": ["EN", "中文"], "logout": ["退出", "Log out"],
  "nav.today": ["今日待办", "Today"], "nav.all": ["全部农户", "All households"], "nav.queue": ["待发送", "Outbox"],
  "nav.sync": ["同步", "Sync"],
  "net.online": ["在线", "Online"], "net.offline": ["离线", "Offline"], "net.syncing": ["同步中…", "Syncing…"],
  "net.last": ["上次同步", "Last sync"], "net.never": ["尚未同步", "Never synced"],
  "login.title": ["帮扶干部登录", "Cadre login"], "login.username": ["用户名", "Username"], "login.password": ["密码", "Password"],
  "login.submit": ["登录", "Log in"], "login.failed": ["用户名或密码错误", "Wrong username or password"],
  "login.offline": ["首次登录需要网络信号", "The first login needs a signal"],
  "login.unsent": ["此手机上还有未发送的记录，记录人登录后自动发送", "This phone holds unsent records: they are sent when the cadre who made them logs in"],
  "session.ended": ["登录已失效：记录都保存在手机上，重新登录后继续发送", "Your session ended: everything is kept on the phone and sent once you log in again"],
  "logout.pending": ["还有未发送的记录。退出后它们仍保存在手机上，下次登录时发送。确定退出？", "Some records are not sent yet. They stay on the phone and are sent at your next login. Log out?"],
  "logout.offline": ["退出需要网络信号（以便注销服务器上的登录）", "Logging out needs a signal (to end the session on the server)"],
  "search": ["搜索户主姓名或户编号", "Search head's name or household number"],
  "list.empty": ["没有农户", "No household"], "list.today_empty": ["今日没有待办事项", "Nothing left to do today"],
  "list.count": ["户", "households"],
  "todo.no_home": ["未定位", "No home location"], "todo.home_queued": ["定位待发送", "Location waiting to send"],
  "todo.photos": ["照片缺", "Photos missing"], "todo.no_year": ["无年度信息", "No yearly record"],
  "todo.year_queued": ["年度信息待发送", "Yearly record waiting to send"],
  "todo.problems": ["有问题", "Problems"], "todo.move": ["搬迁待确认", "Move to confirm"],
  "hh.members": ["家庭成员", "Members"], "hh.home": ["住户位置", "Home"], "hh.no_home": ["尚未定位", "Not located yet"],
  "hh.photos": ["入户照片", "Photos"], "hh.year": ["年度基础信息", "Yearly record"], "hh.cadre": ["帮扶责任人", "Cadre"],
  "hh.history": ["本机记录", "Recorded on this phone"], "hh.missing": ["缺少", "Missing"], "hh.complete": ["照片齐全", "Photo set complete"],
  "hh.year_none": ["本年度尚未填报", "Not entered for this year"], "hh.year_version": ["版本", "version"],
  "hh.per_capita": ["人均纯收入", "Per-capita net income"], "hh.gone": ["该户已不在您的帮扶名单中", "This household is no longer in your care"],
  "hh.move_pending": ["新采集的位置距原住户较远，需村干部确认搬迁", "The new capture is far from the home: a village officer must confirm the move"],
  "act.locate": ["定位", "Locate"], "act.photos": ["拍照", "Photos"], "act.year": ["年度信息", "Yearly"], "act.member": ["新增成员", "New member"], "act.back": ["返回", "Back"],
  "loc.title": ["采集住户位置", "Capture the home location"], "loc.waiting": ["正在获取位置…", "Getting a position…"],
  "loc.accuracy": ["精度", "Accuracy"], "loc.limit": ["要求", "required"], "loc.ok": ["精度满足要求", "Accurate enough"],
  "loc.low": ["精度不足：请到室外开阔处稍候", "Not accurate enough: step outside and wait a moment"],
  "loc.low_choice": ["精度不足仍然采集（不会直接成为住户位置）", "Capture anyway with low accuracy (it will not become the home by itself)"],
  "loc.capture": ["采集位置", "Capture"], "loc.altitude": ["海拔", "Altitude"], "loc.age": ["秒前", "s ago"],
  "loc.denied": ["无法获取位置：请允许本应用使用定位", "No position: allow this app to use your location"],
  "loc.unavailable": ["无法获取位置", "No position available"],
  "loc.saved": ["位置已保存，有信号时自动发送", "Saved: it is sent as soon as there is signal"],
  "photo.title": ["入户照片", "Household photos"], "photo.kind": ["照片类型", "Kind of photo"],
  "photo.camera": ["拍照", "Take photo"], "photo.gallery": ["从相册选择", "From the gallery"],
  "photo.done": ["已上传", "uploaded"], "photo.queued": ["待发送", "waiting"], "photo.missing": ["缺", "missing"],
  "photo.flagged": ["可疑", "flagged"], "photo.not_jpeg": ["只能上传 JPEG 照片（请在相机设置中选择 JPEG）", "Only JPEG photos (choose JPEG in the camera settings)"],
  "photo.too_large": ["照片太大", "The photo is too large"], "photo.saved": ["照片已保存，有信号时自动上传原图", "Saved: the original is uploaded as soon as there is signal"],
  "photo.no_position": ["暂无定位，照片将只依据照片自带的位置核验", "No position yet: the photo's own GPS will be checked"],
  "year.title": ["年度基础信息", "Yearly record"], "year.previous": ["上年", "Last year"], "year.income": ["家庭收入（元/年）", "Income (yuan a year)"],
  "year.rigid": ["刚性支出（元/年）", "Rigid expenses (yuan a year)"],
  "f.rigid_expenses.medical": ["医疗支出(报销后)", "Medical, after reimbursement"], "f.rigid_expenses.education": ["教育支出", "Education"],
  "f.rigid_expenses.disaster": ["灾害/意外损失", "Disaster or accident losses"], "f.rigid_expenses.other": ["其他刚性支出", "Other rigid expenses"],
  "year.members": ["家庭成员年度情况", "Members this year"], "year.guarantees": ["两不愁三保障", "Two no-worries, three guarantees"],
  "year.living": ["生产生活条件", "Living conditions"], "year.save": ["保存", "Save"], "year.met": ["已保障", "met"],
  "year.reason": ["未保障原因", "Why not met"], "year.saved": ["已保存，有信号时自动发送", "Saved: it is sent as soon as there is signal"],
  "year.period": ["统计期", "Period"], "year.errors": ["服务器未接受，请按提示修改后再保存", "The server refused it: correct the marked fields and save again"],
  "year.yes": ["是", "yes"], "year.no": ["否", "no"],
  "f.income.wages": ["工资性收入", "Wages"], "f.income.production": ["生产经营性收入", "Production income"],
  "f.income.production_costs": ["生产经营性支出", "Production costs"], "f.income.property": ["财产性收入", "Property income"],
  "f.income.transfers": ["转移性收入", "Transfers"],
  "f.education": ["文化程度", "Education"], "f.health": ["健康状况", "Health"], "f.disability_grade": ["残疾等级", "Disability grade"],
  "f.in_school": ["在校生状况", "In school"], "f.labour_skill": ["劳动技能", "Labour skill"], "f.work_status": ["务工状况", "Work"],
  "f.months_away": ["务工时间（月）", "Months away"],
  "f.medical_insurance": ["参加城乡居民基本医疗保险", "Basic medical insurance"], "f.pension_insurance": ["参加城乡居民养老保险", "Pension insurance"],
  "f.work_province": ["务工地点（省）", "Works in (province)"], "f.work_county": ["务工地点（县）", "Works in (county)"],
  "f.food_clothing": ["不愁吃、不愁穿", "Food and clothing"], "f.drinking_water": ["饮水安全", "Safe drinking water"],
  "f.compulsory_education": ["义务教育有保障", "Compulsory education"], "f.basic_medical": ["基本医疗有保障", "Basic medical care"],
  "f.housing_safety": ["住房安全有保障", "Safe housing"],
  "f.housing": ["住房", "Housing"], "f.water": ["饮水", "Water"], "f.electricity": ["通生活用电", "Electricity"],
  "f.paved_road": ["通硬化路", "Paved road"], "f.broadband": ["通宽带", "Broadband"],
  "q.title": ["待发送记录", "Outbox"], "q.empty": ["所有记录都已发送", "Everything has been sent"],
  "q.location": ["住户定位", "Home location"], "q.photo": ["照片", "Photo"], "q.year": ["年度信息", "Yearly record"], "q.member": ["新增成员", "New member"],
  "m.title": ["新增家庭成员（自然增加）", "New member (natural increase)"], "m.name": ["姓名", "Name"], "m.relation": ["与户主关系", "Relation to the head"],
  "m.join_reason": ["增加原因", "Why they joined"], "m.joined_on": ["增加时间", "Joined on"], "m.id_number": ["身份证号（无则留空）", "ID number (blank if none)"],
  "m.no_id": ["无身份证号码（无户籍人口）", "No ID number (not registered)"], "m.no_id_reason": ["原因", "Reason"], "m.sex": ["性别", "Sex"],
  "m.birth_date": ["出生日期", "Birth date"], "m.save": ["保存", "Save"], "m.saved": ["已保存，有信号时上传", "Saved; sent when there is signal"],
  "q.pending": ["待发送", "waiting"], "q.sending": ["发送中", "sending"], "q.done": ["已送达", "arrived"],
  "q.failed": ["被拒绝", "refused"], "q.conflict": ["有冲突", "conflict"], "q.discarded": ["已放弃", "discarded"],
  "q.retry_at": ["稍后重试", "retrying later"], "q.retry": ["重新发送", "Send again"], "q.discard": ["放弃", "Discard"],
  "q.edit": ["修改", "Edit"], "q.redo": ["用我的修改覆盖", "Apply my change again"], "q.keep_server": ["放弃我的修改", "Discard my change"],
  "q.conflict_text": ["这条记录在您修改期间已被他人更改。请对照后选择：", "Someone changed this record while you edited it. Compare and choose:"],
  "q.field": ["项目", "Field"], "q.server": ["服务器当前", "On the server now"], "q.mine": ["我的修改", "My change"],
  "q.became_home": ["已成为住户位置", "became the home"], "q.checks_ok": ["核验通过", "checks passed"],
  "q.recent": ["最近送达", "Recently arrived"], "q.attention": ["需要处理", "Needs attention"],
  "q.discard_confirm": ["确定放弃这条记录？放弃后不会再发送。", "Discard this record? It will not be sent."],
  "err.required": ["必填", "required"], "err.out_of_range": ["超出范围", "out of range"], "err.invalid_value": ["取值无效", "invalid value"],
  "err.not_a_member": ["不是本户现有成员", "not a current member"], "err.duplicate": ["重复", "duplicate"], "err.too_long": ["过长", "too long"],
  "error.generic": ["操作失败", "It did not work"], "loading": ["加载中…", "Loading…"], "unknown": ["未知", "unknown"],
};

let lang = localStorage.getItem("fangpin.lang") === "en" ? 1 : 0;

export function t(key) {
  const entry = TEXT[key];
  return entry ? entry[lang] : key;
}

// What people read for coded values (photo kinds, relations, the yearly record's choices …):
// the server's one table, GET /api/v1/labels, fetched when online and kept on the phone (meta
// `labels`) for offline use. A value the table does not have (or before it was ever fetched)
// is shown as sent.
let labels = {};
export function setLabels(table) { labels = table || {}; }

/// The label of `value` of `field` (a field of the labels table, or a prefix of TEXT such as
/// `err`), else the value itself.
export function label(field, value) {
  const shared = labels[field]?.[value];
  if (shared) return lang === 1 ? shared.en : shared.zh;
  const entry = TEXT[`${field}.${value}`];
  return entry ? entry[lang] : String(value ?? "");
}

export function language() { return lang === 1 ? "en" : "zh"; }

export function toggleLanguage() {
  lang = 1 - lang;
  localStorage.setItem("fangpin.lang", lang === 1 ? "en" : "zh");
  document.documentElement.lang = lang === 1 ? "en" : "zh-CN";
}

/// Fills every element with a data-t attribute below `root`.
export function translate(root = document) {
  document.documentElement.lang = lang === 1 ? "en" : "zh-CN";
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of root.querySelectorAll("[data-t-placeholder]")) node.placeholder = t(node.dataset.tPlaceholder);
}
