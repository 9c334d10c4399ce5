//! 身份证号 parsing: never panics; what it accepts is canonical (18 characters, upper-case X),
//! parses again to itself, was born by today and masks to the same length.
#![no_main]
use chrono::NaiveDate;
use fangpin::domain::IdNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    if let Ok(id) = IdNumber::parse(s, today) {
        assert_eq!(id.as_str().len(), 18);
        assert!(id.as_str().bytes().all(|b| b.is_ascii_digit() || b == b'X'));
        assert!(id.birth_date() <= today);
        assert_eq!(IdNumber::parse(id.as_str(), today).unwrap().as_str(), id.as_str());
        assert_eq!(id.masked().chars().count(), 18);
    }
});
