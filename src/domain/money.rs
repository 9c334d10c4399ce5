//! Money 金额: whole fen 分 (`i64`), never a binary float. Read from the text of a JSON number
//! of yuan (元) with at most two decimals, written as a JSON number of yuan with at most two.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Add, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

use super::validation::DomainError;

/// The largest amount read: 10¹² yuan (far above any household's or county's money, and exact
/// as a JSON number of yuan with two decimals).
pub const MAX_YUAN: i64 = 1_000_000_000_000;

/// An amount in fen 分 (1 元 = 100 分).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub const fn yuan(yuan: i64) -> Self {
        Money(yuan * 100)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// The text of a JSON number of yuan, exactly: `12`, `12.3`, `12.34`, `-5`, `1e2`, `1.5E1`;
    /// a third decimal is `too_precise`, more than 10¹² yuan `out_of_range`, anything else
    /// (a string, `null`, `true`) `invalid_value`.
    pub fn parse_yuan(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::new("invalid_value", "a number of yuan (元)");
        let too_large = || DomainError::new("out_of_range", "at most 1 000 000 000 000 yuan");
        let t = text.trim();
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (mantissa, exponent) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i64>().map_err(|_| invalid())?),
            None => (t, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits_ok(int) || !digits_ok(frac) || (mantissa.contains('.') && frac.is_empty()) {
            return Err(invalid());
        }
        // All the digits, and where the decimal point falls among them once the exponent moved it.
        let digits: String = format!("{int}{frac}");
        let point = (int.len() as i64).saturating_add(exponent);
        let digits = digits.trim_start_matches('0');
        let lead_zeros = (int.len() + frac.len() - digits.len()) as i64;
        let point = point.saturating_sub(lead_zeros);
        // Decimals beyond the fen must all be zeros.
        let fen_end = point.saturating_add(2);
        let (kept, dropped) = if fen_end <= 0 {
            ("", digits)
        } else if fen_end as usize >= digits.len() {
            (digits, "")
        } else {
            digits.split_at(fen_end as usize)
        };
        if dropped.bytes().any(|b| b != b'0') {
            return Err(DomainError::new("too_precise", "at most two decimals (fen 分)"));
        }
        if kept.is_empty() {
            return Ok(Money(0));
        }
        let pad = fen_end.saturating_sub(kept.len() as i64);
        if (kept.len() as i64).saturating_add(pad) > 16 {
            return Err(too_large());
        }
        let mut fen: i64 = kept.parse().map_err(|_| too_large())?;
        for _ in 0..pad {
            fen = fen.checked_mul(10).ok_or_else(too_large)?;
        }
        if fen > MAX_YUAN * 100 {
            return Err(too_large());
        }
        Ok(Money(if negative { -fen } else { fen }))
    }

    /// Not below zero (the error is the amount's).
    pub fn non_negative(self) -> Result<Self, DomainError> {
        if self.0 < 0 { Err(DomainError::new("out_of_range", "not below 0")) } else { Ok(self) }
    }

    /// This amount shared by `n` (at least 1), rounded half away from zero to the fen.
    pub fn per(self, n: usize) -> Money {
        let n = n.max(1) as i64;
        let (q, r) = (self.0 / n, self.0 % n);
        let up = 2 * r.abs() >= n;
        Money(if up { q + self.0.signum() } else { q })
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0 + o.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0 - o.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// `12000`, `12000.5`, `-3.07`: yuan with the decimals it needs (a cell, a message).
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let (y, c) = (self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100);
        match c {
            0 => write!(f, "{sign}{y}"),
            c if c % 10 == 0 => write!(f, "{sign}{y}.{}", c / 10),
            c => write!(f, "{sign}{y}.{c:02}"),
        }
    }
}

/// A JSON number of yuan: whole yuan as `12000.0` (as the API always answered), others with
/// their one or two decimals (the shortest form of a binary number below 10¹² yuan that reads
/// back as the same fen is the decimal itself).
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_f64((self.0 / 100) as f64)
        } else {
            s.serialize_f64(self.0 as f64 / 100.0)
        }
    }
}

/// Only from `serde_json` (the number's text is read, never a binary float): request bodies
/// and the stored records.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Money::parse_yuan(raw.get()).map_err(|e| serde::de::Error::custom(format!("{}: {}", e.code, e.message)))
    }
}

/// In the document: a number of yuan with at most two decimals.
impl utoipa::PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .multiple_of(Some(0.01))
            .description(Some("金额, yuan (元) with at most two decimals (fen 分); stored exactly as whole fen"))
            .into()
    }
}

impl utoipa::ToSchema for Money {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Money")
    }
}

/// A configured amount (TOML thresholds): an integer or a number with at most two decimals as
/// written (TOML numbers are read as binary; their shortest decimal form is what was written).
pub fn from_config<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Money;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number of yuan with at most two decimals")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Money, E> {
            Money::parse_yuan(&v.to_string()).map_err(|e| E::custom(e.message))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Money, E> {
            Money::parse_yuan(&v.to_string()).map_err(|e| E::custom(e.message))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Money, E> {
            if !v.is_finite() {
                return Err(E::custom("a finite number"));
            }
            Money::parse_yuan(&v.to_string()).map_err(|e| E::custom(e.message))
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(s: &str) -> Result<i64, &'static str> {
        Money::parse_yuan(s).map(Money::fen).map_err(|e| e.code)
    }

    #[test]
    fn yuan_with_up_to_two_decimals_are_read_exactly() {
        assert_eq!(fen("0"), Ok(0));
        assert_eq!(fen("12"), Ok(1200));
        assert_eq!(fen("12.3"), Ok(1230));
        assert_eq!(fen("12.34"), Ok(1234));
        assert_eq!(fen("12.340"), Ok(1234), "trailing zeros are not a third decimal");
        assert_eq!(fen("0.01"), Ok(1));
        assert_eq!(fen("1e2"), Ok(10000));
        assert_eq!(fen("1.5E1"), Ok(1500));
        assert_eq!(fen("1234e-2"), Ok(1234));
        assert_eq!(fen("-5.07"), Ok(-507));
        assert_eq!(fen("0.30000000000000004"), Err("too_precise"), "no binary-float rounding decides");
    }

    #[test]
    fn a_third_decimal_or_garbage_is_refused() {
        assert_eq!(fen("12.345"), Err("too_precise"));
        assert_eq!(fen("0.001"), Err("too_precise"));
        assert_eq!(fen("1e-3"), Err("too_precise"));
        assert_eq!(fen("\"12\""), Err("invalid_value"));
        assert_eq!(fen("null"), Err("invalid_value"));
        assert_eq!(fen("12."), Err("invalid_value"));
        assert_eq!(fen(".5"), Err("invalid_value"));
        assert_eq!(fen("1e"), Err("invalid_value"));
    }

    #[test]
    fn huge_values_are_out_of_range() {
        assert_eq!(fen("1000000000000"), Ok(100_000_000_000_000));
        assert_eq!(fen("1000000000000.01"), Err("out_of_range"));
        assert_eq!(fen("1e300"), Err("out_of_range"));
        assert_eq!(fen("99999999999999999999999"), Err("out_of_range"));
        assert_eq!(fen("1e-300"), Err("too_precise"));
        assert_eq!(fen("0e300"), Ok(0));
    }

    #[test]
    fn negative_where_refused() {
        assert!(Money::parse_yuan("-0.01").unwrap().non_negative().is_err());
        assert!(Money::parse_yuan("0").unwrap().non_negative().is_ok());
    }

    #[test]
    fn json_round_trip_keeps_every_fen() {
        for s in ["0", "12", "12.3", "12.34", "-7.05", "10000.01", "999999999999.99", "3333.33"] {
            let m: Money = serde_json::from_str(s).unwrap();
            let back = serde_json::to_string(&m).unwrap();
            let again: Money = serde_json::from_str(&back).unwrap();
            assert_eq!(m, again, "{s} → {back}");
            assert_eq!(Money::parse_yuan(s).unwrap(), m);
        }
        assert_eq!(serde_json::to_string(&Money::yuan(12000)).unwrap(), "12000.0");
        assert_eq!(serde_json::to_string(&Money::from_fen(1234)).unwrap(), "12.34");
        assert!(serde_json::from_str::<Money>("12.345").is_err());
    }

    #[test]
    fn per_capita_rounds_half_away_from_zero_to_the_fen() {
        assert_eq!(Money::from_fen(1_000_001).per(3), Money::from_fen(333_334), "10000.01 / 3 = 3333.336…");
        assert_eq!(Money::from_fen(1_000_000).per(3), Money::from_fen(333_333));
        assert_eq!(Money::from_fen(5).per(2), Money::from_fen(3), "a half fen goes up");
        assert_eq!(Money::from_fen(-5).per(2), Money::from_fen(-3));
        assert_eq!(Money::from_fen(7).per(0), Money::from_fen(7));
        assert_eq!(Money::from_fen(1_000_001).to_string(), "10000.01");
        assert_eq!(Money::from_fen(-150).to_string(), "-1.5");
    }
}
