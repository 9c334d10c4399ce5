//! Password policy: at least 8 characters from at least 3 of 4 classes.

use super::validation::DomainError;

pub fn check_policy(password: &str) -> Result<(), DomainError> {
    let len = password.chars().count();
    if len < 8 {
        return Err(DomainError::new("weak_password", "a password needs at least 8 characters"));
    }
    if len > 128 {
        return Err(DomainError::new("weak_password", "a password has at most 128 characters"));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err(DomainError::new(
            "weak_password",
            "a password needs 3 of: lower-case letters, upper-case letters, digits, symbols",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_policy("Abcdef12").is_ok());
        assert!(check_policy("abcdef1!").is_ok());
        assert!(check_policy("Ab1!").is_err());
        assert!(check_policy("abcdefgh12").is_err());
        assert!(check_policy("ABCDEFGH").is_err());
    }
}
