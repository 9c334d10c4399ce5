//! Phone numbers: mainland mobiles (11 digits) and landlines with area code.

use super::validation::DomainError;

#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl Phone {
    /// Accepts `138 1234 5678`, `+86 13812345678`, `0912-1234567`; keeps digits (and one dash for landlines).
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let mut digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_owned();
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::new("invalid_phone", "a phone number has only digits"));
        }
        let mobile = digits.len() == 11 && digits.starts_with('1');
        let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
        if !(mobile || landline) {
            return Err(DomainError::new(
                "invalid_phone",
                "expected an 11-digit mobile number or a landline with its area code",
            ));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// `138****5678`: the first three and last four digits.
pub fn mask_phone(s: &str) -> String {
    if s.len() >= 8 && s.is_ascii() {
        format!("{}{}{}", &s[..3], "*".repeat(s.len() - 7), &s[s.len() - 4..])
    } else {
        "****".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_masks() {
        assert_eq!(Phone::parse("+86 138 1234 5678").unwrap().as_str(), "13812345678");
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
        assert!(Phone::parse("0912-5551234").is_ok());
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("1381234567a").is_err());
    }
}
