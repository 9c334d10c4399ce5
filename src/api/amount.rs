//! An amount of yuan in a request body 金额: read exactly from the JSON number's text, and
//! judged by the body's rules so that a third decimal (`too_precise`), a negative amount or a
//! value that is no number is one more named field error of the same 422.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use validator::ValidationError;

use crate::domain::Money;
use crate::domain::money::MAX_YUAN;
use crate::domain::validation::DomainError;

/// A non-negative amount as sent: the money, or why it is refused (reported by `validate`).
#[derive(Debug, Clone)]
pub struct Amount(Result<Money, DomainError>);

impl Amount {
    /// The money if the body's rules accepted it (they ran before any parse reads it).
    pub fn money(&self) -> Option<Money> {
        self.0.as_ref().ok().copied()
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Ok(Amount(Money::parse_yuan(raw.get()).and_then(Money::non_negative)))
    }
}

/// validator keeps the judged value in a parameter read nowhere (see `api::body`).
impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.money().serialize(s)
    }
}

/// The rule of every `Amount` field: `#[validate(custom(function = "crate::api::amount::check"))]`.
pub fn check(a: &Amount) -> Result<(), ValidationError> {
    match &a.0 {
        Ok(_) => Ok(()),
        Err(e) => Err(ValidationError::new(e.code).with_message(Cow::Owned(e.message.clone()))),
    }
}

/// In the document: a number of yuan, not below 0, with at most two decimals.
impl utoipa::PartialSchema for Amount {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .multiple_of(Some(0.01))
            .minimum(Some(0))
            .maximum(Some(MAX_YUAN))
            .description(Some("金额, yuan (元): at most two decimals (fen 分), a third is refused (`too_precise`); not below 0"))
            .into()
    }
}

impl utoipa::ToSchema for Amount {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Amount")
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use validator::Validate;

    use super::*;

    #[derive(Deserialize, Serialize, Validate)]
    struct Body {
        #[validate(required, custom(function = "check"))]
        wages: Option<Amount>,
    }

    fn errors(json: &str) -> Vec<(String, String)> {
        let body: Body = serde_json::from_str(json).unwrap();
        crate::api::body::field_errors("", body.validate()).0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn an_amount_is_judged_as_a_named_field() {
        assert!(errors(r#"{"wages": 12.34}"#).is_empty());
        assert!(errors(r#"{"wages": 0}"#).is_empty());
        assert_eq!(errors(r#"{"wages": 12.345}"#), [("wages".to_owned(), "too_precise".to_owned())]);
        assert_eq!(errors(r#"{"wages": -1}"#), [("wages".to_owned(), "out_of_range".to_owned())]);
        assert_eq!(errors(r#"{"wages": "12"}"#), [("wages".to_owned(), "invalid_value".to_owned())]);
        assert_eq!(errors(r#"{"wages": null}"#), [("wages".to_owned(), "required".to_owned())]);
        assert_eq!(errors(r#"{}"#), [("wages".to_owned(), "required".to_owned())]);
    }
}
