//! The household file 一户一档: documents kept per household (scans of the application, the
//! home-visit record, the collection forms, the 明白卡, signed commitments, publicity photos …),
//! what kind of file each is (sniffed from its bytes, never trusted from a name), and the
//! checklist of the documents each category must have for a year, which gives a household's
//! completeness.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::household::{Category, text_enum};
use super::validation::DomainError;

/// What a document is 材料类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 农户申请书 the household's own written application
    Application,
    /// 入户调查记录 the home-visit record, signed by the household
    HomeVisitRecord,
    /// 信息采集表 the year's information-collection form
    InformationForm,
    /// 明白卡 the pairing / assistance card
    PairingCard,
    /// 承诺书 a signed commitment (e.g. to the truth of the declared income)
    Commitment,
    /// 公示照片 a photo of a posted publicity list
    PublicityPhoto,
    /// 公示名单 the signed publicity or announcement list
    PublicityList,
    /// 评议会议记录 minutes of the village evaluation meeting
    MeetingMinutes,
    /// 其他
    Other,
}
text_enum!(DocumentKind {
    Application => "application",
    HomeVisitRecord => "home_visit_record",
    InformationForm => "information_form",
    PairingCard => "pairing_card",
    Commitment => "commitment",
    PublicityPhoto => "publicity_photo",
    PublicityList => "publicity_list",
    MeetingMinutes => "meeting_minutes",
    Other => "other",
});

/// The file types a document may be, known by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Pdf,
    Jpeg,
    Png,
}

impl MediaType {
    /// The type the bytes begin with, if it is one of ours (the name and the declared type of an
    /// upload are not believed).
    pub fn sniff(head: &[u8]) -> Option<MediaType> {
        if head.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(MediaType::Png)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
        }
    }

    pub fn from_mime(mime: &str) -> Option<MediaType> {
        [MediaType::Pdf, MediaType::Jpeg, MediaType::Png].into_iter().find(|m| m.mime() == mime)
    }

    /// The file name extension used in archives.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Pdf => "pdf",
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
        }
    }
}

/// The documents each category must have in its file for a year (the 一户一档 checklist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist(pub BTreeMap<String, Vec<DocumentKind>>);

impl Default for Checklist {
    /// Monitoring objects: the application, the home-visit record, the year's collection form, the
    /// 明白卡 and the signed commitment; lifted-out households: the collection form and the 明白卡;
    /// ordinary households: nothing.
    fn default() -> Self {
        use DocumentKind::*;
        let monitored = vec![Application, HomeVisitRecord, InformationForm, PairingCard, Commitment];
        let mut map = BTreeMap::new();
        for c in [Category::MonitoredUnstable, Category::MonitoredMarginal, Category::MonitoredHardship] {
            map.insert(c.as_str().to_owned(), monitored.clone());
        }
        map.insert(Category::LiftedOut.as_str().to_owned(), vec![InformationForm, PairingCard]);
        Checklist(map)
    }
}

impl Checklist {
    /// Refuses a checklist naming a category that does not exist (a typo would silently make a
    /// category's files complete).
    pub fn validate(&self) -> Result<(), DomainError> {
        for category in self.0.keys() {
            Category::parse(category).map_err(|_| DomainError::new("invalid_value", format!("document checklist: no category {category}")))?;
        }
        Ok(())
    }

    pub fn required(&self, category: Category) -> &[DocumentKind] {
        self.0.get(category.as_str()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The household's file for a year against the checklist of its category.
    pub fn completeness(&self, category: Category, present: &[DocumentKind]) -> Completeness {
        let required = self.required(category).to_vec();
        let missing: Vec<DocumentKind> = required.iter().copied().filter(|k| !present.contains(k)).collect();
        Completeness { complete: missing.is_empty(), required, missing }
    }
}

/// Whether a document attached to a case's step is suspect: a photo of the posted publicity list
/// taken (EXIF, when it says) before the day the list was posted cannot show it posted.
pub fn posting_flag(kind: DocumentKind, taken_on: Option<chrono::NaiveDate>, posted_on: Option<chrono::NaiveDate>) -> Option<&'static str> {
    match (kind, taken_on, posted_on) {
        (DocumentKind::PublicityPhoto, Some(taken), Some(posted)) if taken < posted => Some("taken_before_posting"),
        _ => None,
    }
}

/// How far a household's file of a year is complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Completeness {
    /// Every required document is present (true when nothing is required).
    pub complete: bool,
    pub required: Vec<DocumentKind>,
    pub missing: Vec<DocumentKind>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_are_known_by_their_first_bytes() {
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n%\xE2\xE3"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16]), Some(MediaType::Jpeg));
        assert_eq!(MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(MediaType::Png));
        for other in [&b"PK\x03\x04 a docx"[..], b"GIF89a", b"<html>%PDF-", b"", b"%PDF", b"\x89PNG\r\n"] {
            assert_eq!(MediaType::sniff(other), None, "{other:?}");
        }
        for m in [MediaType::Pdf, MediaType::Jpeg, MediaType::Png] {
            assert_eq!(MediaType::from_mime(m.mime()), Some(m));
        }
    }

    #[test]
    fn a_monitored_household_needs_its_five_documents_an_ordinary_one_none() {
        let list = Checklist::default();
        assert!(list.validate().is_ok());
        let partial = list.completeness(Category::MonitoredMarginal, &[DocumentKind::Application, DocumentKind::Other, DocumentKind::PairingCard]);
        assert!(!partial.complete);
        assert_eq!(partial.missing, vec![DocumentKind::HomeVisitRecord, DocumentKind::InformationForm, DocumentKind::Commitment]);
        let lifted = list.completeness(Category::LiftedOut, &[DocumentKind::InformationForm, DocumentKind::PairingCard]);
        assert!(lifted.complete && lifted.missing.is_empty() && lifted.required.len() == 2);
        let ordinary = list.completeness(Category::Ordinary, &[]);
        assert!(ordinary.complete && ordinary.required.is_empty());
    }

    #[test]
    fn a_checklist_naming_an_unknown_category_is_refused() {
        let mut list = Checklist::default();
        list.0.insert("monitored".into(), vec![DocumentKind::Application]);
        assert!(list.validate().is_err());
    }

    #[test]
    fn a_publicity_photo_taken_before_the_posting_day_is_flagged() {
        let d = |day| chrono::NaiveDate::from_ymd_opt(2026, 11, day);
        assert_eq!(posting_flag(DocumentKind::PublicityPhoto, d(10), d(11)), Some("taken_before_posting"));
        assert_eq!(posting_flag(DocumentKind::PublicityPhoto, d(11), d(11)), None, "the posting day itself");
        assert_eq!(posting_flag(DocumentKind::PublicityPhoto, None, d(11)), None, "no EXIF date: nothing to say");
        assert_eq!(posting_flag(DocumentKind::PublicityPhoto, d(10), None), None, "not attached to a step");
        assert_eq!(posting_flag(DocumentKind::MeetingMinutes, d(1), d(11)), None, "only photos of the posted list");
    }

    #[test]
    fn kinds_round_trip_through_their_text() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()).unwrap(), *k);
        }
    }
}
