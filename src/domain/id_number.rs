//! Resident identity numbers (居民身份证号码) per GB 11643-1999.

use chrono::{Datelike, NaiveDate};

use super::household::Sex;
use super::validation::DomainError;

/// Province-level prefixes of GB/T 2260 (plus 71 Taiwan, 81/82 Hong Kong/Macau residence permits).
const PROVINCES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    "83",
];
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// A valid 18-character ID number, normalised (upper-case `X`, no spaces).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    // Never print a full ID number into logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::new("invalid_id_number", message)
}

/// The MOD 11-2 check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK[(sum % 11) as usize] as char
}

impl IdNumber {
    /// Parses an ID number as a person types it, relative to `today` (for the birth-date check).
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, DomainError> {
        let s: String = input.trim().to_ascii_uppercase();
        if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "15-digit first-generation ID numbers are not accepted: enter the 18-digit number",
            ));
        }
        if s.chars().count() != 18 {
            return Err(invalid(format!("an ID number has 18 characters, this one has {}", s.chars().count())));
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(invalid("an ID number is 17 digits followed by a digit or X"));
        }
        if !PROVINCES.contains(&&s[..2]) {
            return Err(invalid("the first two digits are not a province code"));
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
            .map_err(|_| invalid("digits 7 to 14 are not a real birth date"))?;
        if birth > today {
            return Err(invalid("the birth date lies in the future"));
        }
        if birth.year() < 1890 {
            return Err(invalid("the birth date is before 1890"));
        }
        let expected = check_char(&b[..17]);
        if b[17] as char != expected {
            return Err(invalid("the check character does not match (MOD 11-2): the number has a typo"));
        }
        Ok(Self(s))
    }

    /// Builds a valid number from a region code, birth date and 3-digit sequence (demo data, tests).
    pub fn compose(region: &str, birth: NaiveDate, sequence: u16) -> Self {
        let first17 = format!("{region:.6}{}{:03}", birth.format("%Y%m%d"), sequence % 1000);
        let c = check_char(first17.as_bytes());
        Self(format!("{first17}{c}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Checked in `parse`; `compose` takes a NaiveDate.
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").unwrap_or_default()
    }

    /// Odd sequence digit: male; even: female.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    /// `610831********123X`: region and the last four characters.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// Masks any stored ID text the same way as [`IdNumber::masked`].
pub fn mask_id_number(s: &str) -> String {
    if s.len() == 18 && s.is_ascii() {
        format!("{}********{}", &s[..6], &s[14..])
    } else {
        "******************".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn accepts_a_valid_number_and_derives_birth_and_sex() {
        let id = IdNumber::compose("610831", NaiveDate::from_ymd_opt(1968, 3, 5).unwrap(), 123);
        let parsed = IdNumber::parse(id.as_str(), today()).unwrap();
        assert_eq!(parsed.birth_date(), NaiveDate::from_ymd_opt(1968, 3, 5).unwrap());
        assert_eq!(parsed.sex(), Sex::Male);
        assert_eq!(parsed.masked(), format!("610831********{}", &id.as_str()[14..]));
    }

    #[test]
    fn known_reference_number_with_x_check_character() {
        // GB 11643 worked example: 11010519491231002X.
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(IdNumber::parse(" 11010519491231002x ", today()).unwrap(), id);
    }

    #[test]
    fn refuses_a_wrong_check_character() {
        let e = IdNumber::parse("110105194912310021", today()).unwrap_err();
        assert_eq!(e.code, "invalid_id_number");
        assert!(e.message.contains("check character"));
    }

    #[test]
    fn refuses_fifteen_digit_numbers_with_a_clear_message() {
        let e = IdNumber::parse("110105491231002", today()).unwrap_err();
        assert!(e.message.contains("15-digit"));
    }

    #[test]
    fn refuses_impossible_or_future_birth_dates() {
        let bad_day = IdNumber::compose("610831", NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(), 1)
            .as_str()
            .replacen("19900101", "19900230", 1);
        assert!(IdNumber::parse(&bad_day, today()).unwrap_err().message.contains("birth date"));
        let future = IdNumber::compose("610831", NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), 1);
        assert!(IdNumber::parse(future.as_str(), today()).unwrap_err().message.contains("future"));
    }

    #[test]
    fn refuses_wrong_length_letters_and_unknown_provinces() {
        assert!(IdNumber::parse("61083119680305123", today()).is_err());
        assert!(IdNumber::parse("6108311968030512A5", today()).is_err());
        let unknown = IdNumber::compose("991234", NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(), 5);
        assert!(IdNumber::parse(unknown.as_str(), today()).unwrap_err().message.contains("province"));
    }

    #[test]
    fn no_refusal_repeats_the_number_or_a_part_of_it() {
        let good = IdNumber::compose("610831", NaiveDate::from_ymd_opt(1968, 3, 5).unwrap(), 123).as_str().to_owned();
        let wrong_check = format!("{}{}", &good[..17], if good.ends_with('0') { '1' } else { '0' });
        let cases = [
            wrong_check,
            good.replacen("19680305", "19681305", 1),
            good.replacen("61", "99", 1),
            good.replacen("19680305", "20990305", 1),
            good[..17].to_owned(),
            format!("{}A", &good[..17]),
            good[..15].to_owned(),
        ];
        for bad in &cases {
            let e = IdNumber::parse(bad, today()).unwrap_err();
            for part in [bad.as_str(), &bad[..6.min(bad.len())], bad.get(6..14).unwrap_or("-")] {
                assert!(!e.message.contains(part), "{:?} repeats {part}", e.message);
            }
        }
    }

    #[test]
    fn debug_output_is_masked() {
        let id = IdNumber::compose("610831", NaiveDate::from_ymd_opt(1968, 3, 5).unwrap(), 123);
        assert!(!format!("{id:?}").contains("19680305"));
    }
}
