//! What people read for the values of coded fields (类别 `ordinary` is shown as 一般农户): one
//! table, in Chinese and English, served at `GET /labels` so the console (and any client) never
//! types a label a second time. Rust enums are matched exhaustively (a new variant does not
//! compile without its label); the lists of text values are checked by the tests below.

use super::household::{Category, Relation, RemovalReason, Sex};
use super::member::{JoinReason, NoIdReason};
use super::household_profile::{EliminationWay, HouseholdFlag};
use super::photo::PhotoKind;
use super::document::DocumentKind;

/// A value's label: Chinese (the console's default) and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub zh: &'static str,
    pub en: &'static str,
}

pub(super) const fn l(zh: &'static str, en: &'static str) -> Label {
    Label { zh, en }
}

pub fn category(c: Category) -> Label {
    match c {
        Category::LiftedOut => l("脱贫户", "Lifted out of poverty"),
        Category::MonitoredUnstable => l("脱贫不稳定户", "Monitored: unstable lifted-out household"),
        Category::MonitoredMarginal => l("边缘易致贫户", "Monitored: marginal household at risk"),
        Category::MonitoredHardship => l("突发严重困难户", "Monitored: sudden serious hardship"),
        Category::Ordinary => l("一般农户", "Ordinary household"),
    }
}

pub fn relation(r: Relation) -> Label {
    match r {
        Relation::Head => l("户主", "Head of household"),
        Relation::Spouse => l("配偶", "Spouse"),
        Relation::Child => l("子女", "Child"),
        Relation::ChildInLaw => l("儿媳/女婿", "Child-in-law"),
        Relation::Grandchild => l("孙子女", "Grandchild"),
        Relation::Parent => l("父母", "Parent"),
        Relation::Grandparent => l("祖父母", "Grandparent"),
        Relation::Sibling => l("兄弟姐妹", "Sibling"),
        Relation::Other => l("其他", "Other"),
    }
}

pub fn sex(s: Sex) -> Label {
    match s {
        Sex::Male => l("男", "Male"),
        Sex::Female => l("女", "Female"),
    }
}

pub fn document_kind(k: DocumentKind) -> Label {
    match k {
        DocumentKind::Application => l("农户申请书", "Household's application"),
        DocumentKind::HomeVisitRecord => l("入户调查记录", "Home-visit record"),
        DocumentKind::InformationForm => l("信息采集表", "Information-collection form"),
        DocumentKind::PairingCard => l("明白卡", "Assistance card"),
        DocumentKind::Commitment => l("承诺书", "Signed commitment"),
        DocumentKind::PublicityPhoto => l("公示照片", "Photo of the posted publicity"),
        DocumentKind::PublicityList => l("公示名单", "Signed publicity list"),
        DocumentKind::MeetingMinutes => l("评议会议记录", "Evaluation meeting minutes"),
        DocumentKind::Other => l("其他材料", "Other"),
    }
}

pub fn photo_kind(k: PhotoKind) -> Label {
    match k {
        PhotoKind::DoorWithCadre => l("户主与帮扶干部在门口", "Head and cadre at the door"),
        PhotoKind::StoveWithCadre => l("在灶台", "At the stove"),
        PhotoKind::HallWithCadre => l("在堂屋/客厅", "In the main room"),
        PhotoKind::BedroomWithCadre => l("在卧室", "In the bedroom"),
        PhotoKind::FamilyAtDoor => l("全家在门口", "The whole family at the door"),
        PhotoKind::UnderstandingCard => l("明白卡", "Understanding card"),
    }
}

pub fn household_flag(f: HouseholdFlag) -> Label {
    match f {
        HouseholdFlag::Dibao => l("低保户", "Minimum living allowance"),
        HouseholdFlag::ExtremePoverty => l("特困供养(五保)户", "Supported as extremely poor"),
        HouseholdFlag::Relocated => l("易地扶贫搬迁户", "Relocated for poverty alleviation"),
        HouseholdFlag::HouseRenovation => l("危房改造户", "Dilapidated house rebuilt"),
        HouseholdFlag::Disability => l("残疾人户", "Member with a disability"),
        HouseholdFlag::MilitaryFamily => l("军烈属户", "Family of a soldier or martyr"),
    }
}

pub fn elimination_way(w: EliminationWay) -> Label {
    match w {
        EliminationWay::Assisted => l("帮扶消除", "Eliminated by assistance"),
        EliminationWay::Natural => l("自然消除", "Eliminated by itself"),
    }
}

pub fn join_reason(r: JoinReason) -> Label {
    match r {
        JoinReason::Birth => l("出生", "Birth"),
        JoinReason::MarriageIn => l("嫁入", "Married in"),
        JoinReason::MovedIn => l("迁入", "Moved in"),
        JoinReason::Other => l("其他", "Other"),
    }
}

pub fn removal_reason(r: RemovalReason) -> Label {
    match r {
        RemovalReason::Death => l("死亡", "Death"),
        RemovalReason::MarriageOut => l("嫁出", "Married out"),
        RemovalReason::MovedOut => l("迁出", "Moved out"),
        RemovalReason::Imprisoned => l("判刑收监", "Imprisoned"),
        RemovalReason::Other => l("其他", "Other"),
    }
}

pub fn no_id_reason(r: NoIdReason) -> Label {
    match r {
        NoIdReason::NewbornUnregistered => l("新生儿未落户", "Newborn not yet registered"),
        NoIdReason::NoHouseholdRegistration => l("无户籍", "No household registration"),
        NoIdReason::Other => l("其他", "Other reason"),
    }
}

/// Risk types and reasons of falling back ([`super::household::RISK_TYPES`]).
const RISK_TYPES: &[(&str, Label)] = &[
    ("illness", l("因病", "Illness")),
    ("disability", l("因残", "Disability")),
    ("schooling", l("因学", "Schooling costs")),
    ("disaster", l("因灾", "Disaster")),
    ("accident", l("因意外事故", "Accident")),
    ("unstable_work", l("因务工就业不稳", "Unstable work")),
    ("high_expenses", l("因刚性支出过大", "High rigid expenses")),
    ("labour_shortage", l("因缺劳力", "Labour shortage")),
    ("other", l("其他", "Other")),
];

/// Photo statuses ([`super::photo::STATUSES`]).
const PHOTO_STATUSES: &[(&str, Label)] = &[
    ("ok", l("正常", "OK")),
    ("flagged", l("可疑", "Flagged")),
    ("accepted", l("审核通过", "Accepted")),
    ("rejected", l("审核不通过", "Rejected")),
];

/// Problem statuses ([`super::quality::STATUSES`]).
const PROBLEM_STATUSES: &[(&str, Label)] = &[
    ("open", l("待核实", "Open")),
    ("verified", l("已核实", "Verified")),
    ("rectified", l("已整改", "Rectified")),
    ("closed", l("已销号", "Closed")),
    ("dismissed", l("已驳回", "Dismissed")),
    ("resolved_by_data", l("数据已更正", "Resolved by the data")),
];

/// Risk statuses of monitoring objects ([`super::household::RISK_STATUSES`]).
const RISK_STATUSES: &[(&str, Label)] = &[("not_eliminated", l("风险未消除", "Risk not eliminated")), ("eliminated", l("风险已消除", "Risk eliminated"))];

// ── Every other coded value people read (issue 18, item 8): the choices of the yearly record,
// photo checks, captures, roles, levels, quality rules, procedures, measures. Tied to the
// domain's lists by the tests below and to the document's enumerations by tests/api/labels.rs.

/// 文化程度 ([`super::yearly::EDUCATION`]).
const EDUCATION: &[(&str, Label)] = &[
    ("illiterate", l("文盲或半文盲", "Illiterate")),
    ("preschool", l("学前教育", "Preschool")),
    ("primary", l("小学", "Primary school")),
    ("junior", l("初中", "Junior secondary")),
    ("senior", l("高中", "Senior secondary")),
    ("vocational", l("中职/高职", "Vocational")),
    ("college", l("大专及以上", "College or above")),
];

/// 健康状况 ([`super::yearly::HEALTH`]).
const HEALTH: &[(&str, Label)] = &[
    ("healthy", l("健康", "Healthy")),
    ("chronic_illness", l("长期慢性病", "Chronic illness")),
    ("serious_illness", l("患有大病", "Serious illness")),
    ("disabled", l("残疾", "Disabled")),
];

/// 在校生状况 ([`super::yearly::IN_SCHOOL`]).
const IN_SCHOOL: &[(&str, Label)] = &[
    ("not_in_school", l("非在校生", "Not in school")),
    ("preschool", l("学前教育", "Preschool")),
    ("primary", l("小学", "Primary school")),
    ("junior", l("初中", "Junior secondary")),
    ("senior", l("高中", "Senior secondary")),
    ("vocational", l("中职/高职", "Vocational")),
    ("college", l("大学", "College")),
];

/// 劳动技能 ([`super::yearly::LABOUR_SKILL`]).
const LABOUR_SKILL: &[(&str, Label)] = &[
    ("skilled", l("技能劳动力", "Skilled labour")),
    ("ordinary", l("普通劳动力", "Ordinary labour")),
    ("weak", l("弱劳动力或半劳动力", "Weak labour")),
    ("none", l("丧失劳动力或无劳动力", "No labour")),
];

/// 务工状况 ([`super::yearly::WORK_STATUS`]).
const WORK_STATUS: &[(&str, Label)] = &[
    ("local", l("乡(镇)内务工", "Works locally")),
    ("in_province", l("省内县外务工", "Works in the province")),
    ("out_of_province", l("省外务工", "Works outside the province")),
    ("none", l("未务工", "Not working away")),
];

/// 住房 ([`super::yearly::HOUSING`]).
const HOUSING: &[(&str, Label)] = &[
    ("safe", l("住房安全", "Safe")),
    ("renovated", l("危房已改造", "Renovated")),
    ("relocated", l("易地搬迁安置", "Relocated")),
    ("dangerous", l("危房", "Dangerous")),
];

/// 饮水 ([`super::yearly::WATER`]).
const WATER: &[(&str, Label)] = &[("tap", l("自来水", "Tap water")), ("well", l("井水", "Well")), ("other", l("其他水源", "Other source"))];

/// Why a photo waits for a reviewer (`photo::Reason`).
const PHOTO_REASONS: &[(&str, Label)] = &[
    ("far_from_home", l("离住户过远", "Far from the home")),
    ("no_position", l("无拍摄位置", "No position")),
    ("no_home_location", l("住户未定位", "The household has no home location")),
    ("time_mismatch", l("拍摄时间与填报时间不符", "EXIF time differs from the stated time")),
    ("no_exif_time", l("无 EXIF 拍摄时间", "No EXIF time")),
    ("outside_window", l("不在采集期内", "Outside the collection window")),
    ("duplicate", l("疑似重复照片", "Duplicate of another photo")),
    ("exif_anomaly", l("EXIF 信息异常", "EXIF anomaly")),
    ("edited_software", l("经修图软件编辑", "Edited with an image editor")),
    ("thumbnail_mismatch", l("内嵌缩略图与照片不符", "The embedded preview shows another picture")),
    ("time_inconsistent", l("拍摄时间与卫星时间矛盾", "EXIF time contradicts the GPS clock")),
    ("position_mismatch", l("照片位置与手机定位不符", "EXIF position far from the phone's position")),
    ("modified_after_capture", l("拍摄后再次保存（提示）", "Saved again long after capture (note)")),
    ("no_camera_metadata", l("无相机信息（提示）", "No camera information (note)")),
];

/// Where a photo's position came from.
const POSITION_SOURCES: &[(&str, Label)] = &[("exif", l("照片 EXIF", "Photo EXIF")), ("app", l("手机定位", "The phone's position"))];

/// Why a capture is not simply the home (`location::Flag`).
const LOCATION_FLAGS: &[(&str, Label)] = &[
    ("low_accuracy", l("精度不足", "Low accuracy")),
    ("mock_location", l("模拟定位", "Mock location")),
    ("future_time", l("采集时间在未来", "Captured in the future")),
    ("too_old", l("采集时间过早", "Captured too long ago")),
    ("far_from_village", l("偏离村庄", "Far from the village")),
    ("moved", l("疑似搬迁", "Moved")),
];

/// What became of a capture (`location::CaptureStatus`).
const CAPTURE_STATUSES: &[(&str, Label)] = &[
    ("home", l("住户位置", "Home")),
    ("pending_move", l("待确认搬迁", "Move pending")),
    ("flagged", l("可疑定位", "Flagged")),
    ("confirmed", l("搬迁已确认", "Move confirmed")),
    ("rejected", l("搬迁已驳回", "Move rejected")),
];

/// How a position was taken.
const CAPTURE_SOURCES: &[(&str, Label)] = &[("gps", l("卫星定位", "GPS")), ("network", l("网络定位", "Network")), ("map_pick", l("地图选点", "Picked on the map"))];

/// Coordinate systems 坐标系.
const CRS: &[(&str, Label)] = &[
    ("wgs84", l("WGS-84（卫星定位）", "WGS-84 (GPS)")),
    ("gcj02", l("GCJ-02（国测局，高德/腾讯）", "GCJ-02 (Amap, Tencent)")),
    ("bd09", l("BD-09（百度）", "BD-09 (Baidu)")),
];

/// Roles (`role::Role`).
const ROLES: &[(&str, Label)] = &[
    ("county_admin", l("县级管理员", "County administrator")),
    ("township_reviewer", l("乡镇审核员", "Township reviewer")),
    ("village_officer", l("村信息员", "Village officer")),
    ("cadre", l("帮扶责任人", "Assistance cadre")),
    ("auditor", l("督查评估", "Auditor")),
];

/// Levels of divisions (`division::Level`).
const LEVELS: &[(&str, Label)] = &[
    ("province", l("省", "Province")),
    ("city", l("市", "City")),
    ("county", l("县(区)", "County")),
    ("township", l("乡镇(街道)", "Township")),
    ("village", l("行政村(社区)", "Village")),
];

/// Severities of cleaning rules (`quality::Severity`).
const SEVERITIES: &[(&str, Label)] = &[("error", l("错误", "Error")), ("warning", l("疑点", "To verify"))];

/// Kinds of cases (`procedure::CaseKind`).
const CASE_KINDS: &[(&str, Label)] = &[
    ("inclusion", l("识别纳入", "Inclusion")),
    ("reinclusion", l("返贫纳入", "Re-inclusion")),
    ("exit", l("风险消除", "Risk elimination")),
    ("removal", l("清退", "Removal")),
    ("policy_end", l("已脱贫(不再享受政策)", "Lifted out, no longer supported")),
    ("risk_remark", l("风险再标注", "Risk re-marked")),
    ("risk_rollback", l("风险消除回退", "Elimination rolled back")),
];

/// Steps of a case (`procedure::Step`).
const STEPS: &[(&str, Label)] = &[
    ("application", l("农户申请", "Application")),
    ("home_visit", l("入户调查", "Home visit")),
    ("village_evaluation", l("村民主评议", "Village evaluation")),
    ("acknowledgement", l("户认可", "Household acknowledgement")),
    ("first_publicity", l("第一次公示", "First publicity")),
    ("township_review", l("乡镇审核", "Township review")),
    ("second_publicity", l("第二次公示", "Second publicity")),
    ("county_cross_check", l("县级部门信息比对", "County cross-check")),
    ("publicity", l("公示", "Publicity")),
    ("township_spot_check", l("乡镇抽查审核", "Township spot check")),
    ("announcement", l("公告", "Announcement")),
    ("notification", l("告知农户", "Household notified")),
    ("objection", l("异议", "Objection")),
];

/// Where a case stands (`procedure::Stage`).
const STAGES: &[(&str, Label)] = &[
    ("start", l("待申请", "Not started")),
    ("applied", l("已申请", "Applied")),
    ("visited", l("已入户调查", "Visited")),
    ("evaluated", l("已评议", "Evaluated")),
    ("acknowledged", l("农户已认可", "Acknowledged")),
    ("first_publicity", l("第一次公示中", "First publicity")),
    ("reviewed", l("乡镇已审核", "Reviewed")),
    ("second_publicity", l("第二次公示中", "Second publicity")),
    ("suspected", l("比对有疑点", "Suspicion found")),
    ("cross_checked", l("已比对", "Cross-checked")),
    ("reevaluated", l("已第二次评议", "Evaluated again")),
    ("publicity", l("公示中", "Publicity")),
    ("spot_checked", l("乡镇已抽查审核", "Spot-checked")),
    ("announced", l("已公告", "Announced")),
    ("done", l("已办结", "Done")),
    ("rejected", l("未通过", "Rejected")),
];

/// What a step found (`procedure::Outcome`; a department's result is `clear` or `suspicion`).
const OUTCOMES: &[(&str, Label)] = &[
    ("done", l("已完成", "Done")),
    ("approved", l("通过", "Approved")),
    ("rejected", l("不通过", "Rejected")),
    ("clear", l("无疑点", "Clear")),
    ("suspicion", l("有疑点", "Suspicion")),
    ("raised", l("有异议", "Objection raised")),
];

/// The nine exclusion conditions 九不评 (`procedure::Exclusion`).
const EXCLUSIONS: &[(&str, Label)] = &[
    ("commercial_housing_or_luxury", l("购买商品房或高档消费", "Bought commercial housing or luxuries")),
    ("vehicle_or_machinery", l("拥有汽车、大型农机或工程机械", "Owns a car or large machinery")),
    ("village_leader_in_family", l("家庭成员为现任村支书或村主任", "A member leads the village")),
    ("state_paid_job", l("有财政供养或大型国企工作人员", "A member has a state-paid job")),
    ("runs_business", l("经营私营企业、承包工程或雇工", "Runs a business")),
    ("hidden_income_or_assets", l("隐瞒收入或资产", "Hides income or assets")),
    ("nobody_lives_there", l("长期无人居住", "Nobody lives there")),
    ("punished_not_reformed", l("受处罚未改正", "Punished and not reformed")),
    ("verified_report", l("举报核实且无法说明", "A verified report")),
];

/// Kinds of assistance measures 帮扶措施 (`assistance::MeasureKind`).
const MEASURE_KINDS: &[(&str, Label)] = &[
    ("industry", l("产业帮扶", "Industry")),
    ("micro_credit", l("小额信贷", "Micro-credit")),
    ("employment", l("就业帮扶", "Employment")),
    ("public_welfare_job", l("公益岗位", "Public-welfare job")),
    ("education", l("教育帮扶", "Education")),
    ("health", l("健康帮扶", "Health")),
    ("housing", l("住房安全", "Housing")),
    ("relocation", l("易地搬迁", "Relocation")),
    ("social_security", l("兜底保障", "Social security")),
    ("other", l("其他", "Other")),
];

/// Categories of assistance projects (`projects::ProjectCategory`).
const PROJECT_CATEGORIES: &[(&str, Label)] = &[
    ("industry", l("产业", "Industry")),
    ("employment", l("就业", "Employment")),
    ("infrastructure", l("基础设施", "Infrastructure")),
    ("education", l("教育", "Education")),
    ("health", l("健康", "Health")),
    ("housing", l("住房", "Housing")),
    ("drinking_water", l("饮水", "Drinking water")),
    ("other", l("其他", "Other")),
];

/// Where a project stands (`projects::ProjectStatus`).
const PROJECT_STATUSES: &[(&str, Label)] = &[
    ("planned", l("计划", "Planned")),
    ("in_progress", l("实施中", "In progress")),
    ("completed", l("已完工", "Completed")),
    ("accepted", l("已验收", "Accepted")),
    ("cancelled", l("已取消", "Cancelled")),
];

/// Repayment status of a microcredit loan (`projects::LoanStatus`).
const LOAN_STATUSES: &[(&str, Label)] = &[
    ("outstanding", l("未到期", "Outstanding")),
    ("repaid", l("已还清", "Repaid")),
    ("overdue", l("逾期", "Overdue")),
    ("extended", l("展期", "Extended")),
];

/// Why a household left a phone's list (sync tombstones).
const TOMBSTONE_REASONS: &[(&str, Label)] = &[
    ("re_paired", l("已改派其他帮扶责任人", "Paired with another cadre")),
    ("unpaired", l("已解除结对", "Unpaired")),
    ("cadre_relinked", l("干部账号已变更", "Cadre account changed")),
    ("village_merged", l("所在村已合并", "Village merged")),
];

/// Which households a coverage figure counts (`household::Counted`).
const COUNTED: &[(&str, Label)] = &[("assisted", l("帮扶对象", "Assisted households")), ("all", l("全部农户", "All households"))];

/// What a screening row proposes (`screening::Proposal`).
const SCREENING_PROPOSALS: &[(&str, Label)] = &[
    ("inclusion", l("纳入监测", "Include in monitoring")),
    ("rollback", l("风险消除回退", "Roll back the eliminated risk")),
    ("elimination", l("风险消除", "Eliminate the risk")),
];

/// The figures a screening criterion fired on ([`super::screening::FIGURES`]).
const SCREENING_FIGURES: &[(&str, Label)] = &[
    ("per_capita", l("人均纯收入", "Per-capita net income")),
    ("monitoring_line", l("监测线", "Monitoring line")),
    ("rigid_expenses", l("刚性支出", "Rigid expenses")),
    ("net_income", l("家庭纯收入", "Net income")),
    ("share", l("占比", "Share")),
    ("newly_ill", l("新增大病人数", "Newly seriously ill")),
    ("newly_disabled", l("新增残疾人数", "Newly disabled")),
    ("disaster_expenses", l("灾害支出", "Disaster expenses")),
    ("last_year", l("上年人均纯收入", "Last year's per-capita income")),
    ("drop", l("下降幅度", "Fall")),
    ("transfers", l("转移性收入", "Transfers")),
    ("exit_minimum", l("退出标准", "Exit minimum")),
];

/// Where a problem comes from (`quality::people::ProblemSource`).
const PROBLEM_SOURCES: &[(&str, Label)] = &[
    ("cleaning", l("数据清洗", "Cleaning rules")),
    ("self_check", l("自查", "Self-check")),
    ("audit", l("审计", "Audit")),
    ("inspection", l("交叉检查/督查", "Cross-inspection")),
    ("third_party", l("第三方评估", "Third-party evaluation")),
    ("complaint", l("信访/12317", "Complaint")),
];

/// What kind of problem it is (`quality::people::ProblemCategory`).
const PROBLEM_CATEGORIES: &[(&str, Label)] = &[
    ("income_below_line", l("收入不达标", "Income below the line")),
    ("guarantee_unmet", l("两不愁三保障未保障", "A basic guarantee unmet")),
    ("inaccurate_data", l("信息不准确", "Inaccurate data")),
    ("assistance_lacking", l("帮扶措施不到位", "Assistance lacking")),
    ("procedure_irregular", l("程序不规范", "Irregular procedure")),
    ("other", l("其他问题", "Other")),
];

/// Which guarantee is unmet (`quality::people::Guarantee`).
const GUARANTEES: &[(&str, Label)] = &[
    ("food", l("不愁吃", "Food")),
    ("clothing", l("不愁穿", "Clothing")),
    ("education", l("义务教育", "Compulsory education")),
    ("medical", l("基本医疗", "Basic medical care")),
    ("housing", l("住房安全", "Safe housing")),
    ("drinking_water", l("饮水安全", "Safe drinking water")),
];

/// Who signs a rectification off (`quality::people::SignoffRole`).
const SIGNOFF_ROLES: &[(&str, Label)] = &[("village_secretary", l("村支书", "Village secretary")), ("team_leader", l("驻村工作队长", "Work-team leader"))];

/// What a piece of evidence shows (`quality::people::EvidencePurpose`).
const EVIDENCE_PURPOSES: &[(&str, Label)] = &[("finding", l("问题佐证", "What was found")), ("completion", l("整改佐证", "The rectification done"))];

/// What a piece of evidence is (`quality::people::EvidenceKind`).
const EVIDENCE_KINDS: &[(&str, Label)] = &[("photo", l("照片", "Photo")), ("document", l("材料", "Document"))];

/// The tables of this block, in the order `/labels` lists them.
const MORE: &[(&str, &[(&str, Label)])] = &[
    ("screening_proposal", SCREENING_PROPOSALS),
    ("screening_figure", SCREENING_FIGURES),
    ("education", EDUCATION),
    ("health", HEALTH),
    ("in_school", IN_SCHOOL),
    ("labour_skill", LABOUR_SKILL),
    ("work_status", WORK_STATUS),
    ("housing", HOUSING),
    ("water", WATER),
    ("photo_reason", PHOTO_REASONS),
    ("position_source", POSITION_SOURCES),
    ("location_flag", LOCATION_FLAGS),
    ("capture_status", CAPTURE_STATUSES),
    ("capture_source", CAPTURE_SOURCES),
    ("crs", CRS),
    ("role", ROLES),
    ("level", LEVELS),
    ("severity", SEVERITIES),
    ("case_kind", CASE_KINDS),
    ("step", STEPS),
    ("stage", STAGES),
    ("outcome", OUTCOMES),
    ("exclusion", EXCLUSIONS),
    ("measure_kind", MEASURE_KINDS),
    ("project_category", PROJECT_CATEGORIES),
    ("project_status", PROJECT_STATUSES),
    ("loan_status", LOAN_STATUSES),
    ("tombstone_reason", TOMBSTONE_REASONS),
    ("counted", COUNTED),
    ("problem_source", PROBLEM_SOURCES),
    ("problem_category", PROBLEM_CATEGORIES),
    ("guarantee", GUARANTEES),
    ("signoff_role", SIGNOFF_ROLES),
    ("evidence_purpose", EVIDENCE_PURPOSES),
    ("evidence_kind", EVIDENCE_KINDS),
];

/// The cleaning rules by id, with the text the rule itself carries (`quality::RULES`).
fn quality_rules() -> Table {
    super::quality::RULES.iter().map(|r| (r.id, l(r.zh, r.en))).collect()
}

fn screening_criteria() -> Table {
    super::screening::CRITERIA.iter().map(|c| (c.id, l(c.zh, c.en))).collect()
}

/// The label of `value` of `field` in Chinese, or the value itself when it has none.
pub fn zh(field: &str, value: &str) -> String {
    all().iter().find(|(f, _)| *f == field).and_then(|(_, t)| t.iter().find(|(v, _)| *v == value)).map_or_else(|| value.to_owned(), |(_, l)| l.zh.to_owned())
}
// ── end of the block


/// The value of `field` a cell names: its code, or its label in Chinese or English (as the
/// forms and exports write it).
pub fn value_of(field: &str, text: &str) -> Option<&'static str> {
    let text = text.trim();
    all().iter().find(|(f, _)| *f == field)?.1.iter().find(|(v, l)| *v == text || l.zh == text || l.en.eq_ignore_ascii_case(text)).map(|(v, _)| *v)
}

/// A field's values with their labels.
pub type Table = Vec<(&'static str, Label)>;

/// Every labelled field: (field, [(value, label)]), in a fixed order; built once (an import
/// looks labels up cell by cell).
pub fn all() -> &'static [(&'static str, Table)] {
    static ALL: std::sync::LazyLock<Vec<(&'static str, Table)>> = std::sync::LazyLock::new(build);
    &ALL
}

fn build() -> Vec<(&'static str, Table)> {
    fn of<T: Copy>(values: &[T], text: fn(T) -> &'static str, label: fn(T) -> Label) -> Vec<(&'static str, Label)> {
        values.iter().map(|v| (text(*v), label(*v))).collect()
    }
    vec![
        ("category", of(Category::ALL, Category::as_str, category)),
        ("relation", of(Relation::ALL, Relation::as_str, relation)),
        ("sex", of(Sex::ALL, Sex::as_str, sex)),
        ("photo_kind", of(PhotoKind::ALL, PhotoKind::as_str, photo_kind)),
        ("photo_status", PHOTO_STATUSES.to_vec()),
        ("problem_status", PROBLEM_STATUSES.to_vec()),
        ("risk_status", RISK_STATUSES.to_vec()),
        ("risk_type", RISK_TYPES.to_vec()),
        ("household_flag", of(HouseholdFlag::ALL, HouseholdFlag::as_str, household_flag)),
        ("elimination_way", of(EliminationWay::ALL, EliminationWay::as_str, elimination_way)),
        ("join_reason", of(JoinReason::ALL, JoinReason::as_str, join_reason)),
        ("removal_reason", of(RemovalReason::ALL, RemovalReason::as_str, removal_reason)),
        ("no_id_reason", of(NoIdReason::ALL, NoIdReason::as_str, no_id_reason)),
        ("document_kind", of(DocumentKind::ALL, DocumentKind::as_str, document_kind)),
    ]
    .into_iter()
    .chain(MORE.iter().map(|(f, t)| (*f, t.to_vec())))
    .chain([("quality_rule", quality_rules()), ("screening_criterion", screening_criteria())])
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{photo, quality};

    fn values(table: &[(&'static str, Label)]) -> Vec<&'static str> {
        table.iter().map(|(v, _)| *v).collect()
    }

    #[test]
    fn every_listed_value_has_a_label_and_no_label_names_a_value_that_does_not_exist() {
        assert_eq!(values(PHOTO_STATUSES), photo::STATUSES);
        assert_eq!(values(PROBLEM_STATUSES), quality::STATUSES);
        assert_eq!(values(RISK_STATUSES), super::super::household::RISK_STATUSES);
        assert_eq!(values(RISK_TYPES), super::super::household::RISK_TYPES);
    }

    #[test]
    fn the_choices_of_the_domain_are_the_labelled_ones() {
        use crate::domain::{assistance, household, procedure, role, yearly};
        fn texts<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(|v| f(*v)).collect()
        }
        assert_eq!(values(EDUCATION), yearly::EDUCATION);
        assert_eq!(values(HEALTH), yearly::HEALTH);
        assert_eq!(values(IN_SCHOOL), yearly::IN_SCHOOL);
        assert_eq!(values(LABOUR_SKILL), yearly::LABOUR_SKILL);
        assert_eq!(values(WORK_STATUS), yearly::WORK_STATUS);
        assert_eq!(values(HOUSING), yearly::HOUSING);
        assert_eq!(values(WATER), yearly::WATER);
        assert_eq!(values(ROLES), texts(role::Role::ALL, role::Role::as_str));
        assert_eq!(values(CASE_KINDS), texts(procedure::CaseKind::ALL, procedure::CaseKind::as_str));
        assert_eq!(values(STEPS), texts(procedure::Step::ALL, procedure::Step::as_str));
        assert_eq!(values(STAGES), texts(procedure::Stage::ALL, procedure::Stage::as_str));
        assert_eq!(values(OUTCOMES), texts(procedure::Outcome::ALL, procedure::Outcome::as_str));
        assert_eq!(values(EXCLUSIONS), texts(procedure::Exclusion::ALL, procedure::Exclusion::as_str));
        assert_eq!(values(MEASURE_KINDS), texts(assistance::MeasureKind::ALL, assistance::MeasureKind::as_str));
        use crate::domain::projects as pr;
        assert_eq!(values(PROJECT_CATEGORIES), texts(pr::ProjectCategory::ALL, pr::ProjectCategory::as_str));
        assert_eq!(values(PROJECT_STATUSES), texts(pr::ProjectStatus::ALL, pr::ProjectStatus::as_str));
        assert_eq!(values(LOAN_STATUSES), texts(pr::LoanStatus::ALL, pr::LoanStatus::as_str));
        assert_eq!(values(COUNTED), household::Counted::VALUES);
        use crate::domain::quality::people as pp;
        assert_eq!(values(PROBLEM_SOURCES), texts(pp::ProblemSource::ALL, pp::ProblemSource::as_str));
        assert_eq!(values(PROBLEM_CATEGORIES), texts(pp::ProblemCategory::ALL, pp::ProblemCategory::as_str));
        assert_eq!(values(GUARANTEES), texts(pp::Guarantee::ALL, pp::Guarantee::as_str));
        assert_eq!(values(SIGNOFF_ROLES), texts(pp::SignoffRole::ALL, pp::SignoffRole::as_str));
        assert_eq!(values(EVIDENCE_PURPOSES), texts(pp::EvidencePurpose::ALL, pp::EvidencePurpose::as_str));
        assert_eq!(values(EVIDENCE_KINDS), texts(pp::EvidenceKind::ALL, pp::EvidenceKind::as_str));
        assert_eq!(values(&quality_rules()), quality::RULES.iter().map(|r| r.id).collect::<Vec<_>>());
    }

    #[test]
    fn a_cell_may_name_a_value_by_its_code_or_either_label() {
        assert_eq!(value_of("household_flag", "低保户"), Some("dibao"));
        assert_eq!(value_of("household_flag", " dibao "), Some("dibao"));
        assert_eq!(value_of("elimination_way", "eliminated by assistance"), Some("assisted"));
        assert_eq!(value_of("risk_type", "因病"), Some("illness"));
        assert_eq!(value_of("risk_type", "因穷"), None);
        assert_eq!(value_of("no_such_field", "x"), None);
    }

    #[test]
    fn labels_are_written_out_in_both_languages_and_tell_values_apart() {
        for (field, table) in all() {
            let mut seen = std::collections::HashSet::new();
            for (value, label) in table {
                assert!(!label.zh.is_empty() && !label.en.is_empty(), "{field}.{value}");
                assert!(label.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{field}.{value}: Chinese label");
                assert_ne!(label.en, *value, "{field}.{value}: the English label is not the code");
                assert!(seen.insert(label.zh), "{field}: two values read {}", label.zh);
            }
        }
    }
}
