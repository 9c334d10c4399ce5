//! JSON request bodies: the declarative rules of a body type run first, the domain's parsers add
//! their own findings to the same list, and one 422 names every problem.
//!
//! A field a body needs is an `Option` marked `#[validate(required)]`, so serde never stops at a
//! missing field: the refusal names it together with every invalid value of the same body. Its
//! `#[schema(value_type = …)]` is the type without `Option`, which keeps it required (and not
//! nullable) in the OpenAPI document. Lengths, ranges and nested lists are declared on the type
//! too (`#[validate(length(max = …))]`, `range`, `nested`); what needs real parsing (division
//! codes, ID numbers, phones, choices, dates against today) stays with the domain's parsers.
//! (A type nested under a `required` field derives `Serialize` too: validator's error keeps the
//! value it judged, in a parameter read nowhere here.)
//!
//! JSON that cannot be read as the type (malformed, a string where a number belongs) is still
//! refused at once by the JSON extractor's error handler (`api::json_error`). No refusal quotes a
//! value: the messages here are built from the rules (`at most 200 characters`), never from what
//! was sent (validator keeps the value in its `value` parameter, which is never read).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::web::Json;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::domain::{FieldError, FieldErrors};
use crate::error::ApiError;

/// A JSON body whose declarative rules have run: the body as sent (required fields may be
/// absent) and what the rules found. The handler's parse adds the domain's findings to the same
/// list and refuses once, the errors in the order of the body's fields.
pub struct Checked<T> {
    body: T,
    errors: FieldErrors,
}

impl<T> Checked<T> {
    /// The body and the errors its rules found, for a parse that adds its own before refusing.
    pub fn into_parts(self) -> (T, FieldErrors) {
        (self.body, self.errors)
    }
}

impl<T: DeserializeOwned + Validate> Checked<T> {
    /// A body read by other means than the extractor (a size-capped session body): its rules
    /// run as the extractor's would.
    pub fn new(body: T) -> Self {
        let errors = field_errors("", body.validate()).in_order_of(declared_fields::<T>());
        Checked { body, errors }
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Checked<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The same extractor (and `JsonConfig`: limit, error handler) as a plain `Json<T>`.
        let json = Json::<T>::from_request(req, payload);
        Box::pin(async move {
            Ok(Checked::new(json.await?.into_inner()))
        })
    }
}

/// A JSON document that is not the request body (a multipart part): read and checked like one,
/// its fields named under `prefix` (e.g. `meta.`).
pub fn parse_part<T: DeserializeOwned + Validate>(bytes: &[u8], prefix: &str) -> Result<(T, FieldErrors), ApiError> {
    let field = prefix.trim_end_matches('.');
    let body: T = serde_json::from_slice(bytes).map_err(|e| {
        let why = crate::api::redact::deserializer_message(&e.to_string());
        ApiError::invalid(field, "invalid_value", format!("{field} is not valid JSON of the documented shape: {why}"))
    })?;
    let errors = field_errors(prefix, body.validate());
    Ok((body, errors))
}

/// The fields of a struct as declared, which serde tells the deserializer (asked here of one that
/// answers nothing else): a refusal lists its errors in this order.
fn declared_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Error, Visitor, value::Error as Stop};

    struct Fields<'a>(&'a mut &'static [&'static str]);

    impl<'de> serde::Deserializer<'de> for Fields<'_> {
        type Error = Stop;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(self, _: &'static str, fields: &'static [&'static str], _: V) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop::custom("fields read"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

/// One step of a field's path: a name or a list index (ordered as numbers: `[2]` before `[10]`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Name(String),
    Index(usize),
}

/// validator's nested errors as our field errors, named like the body (`members[1].id_number`)
/// and in a stable order (validator keeps them in hash maps): by path, list items by number.
pub fn field_errors(prefix: &str, result: Result<(), ValidationErrors>) -> FieldErrors {
    let Err(errors) = result else { return FieldErrors::new() };
    let mut found = Vec::new();
    walk(&mut Vec::new(), &errors, &mut found);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = FieldErrors::new();
    for (path, e) in found {
        let (code, message) = describe(e);
        out.0.push(FieldError { field: format!("{prefix}{}", name(&path)), code, message });
    }
    out
}

fn walk<'e>(at: &mut Vec<Step>, errors: &'e ValidationErrors, out: &mut Vec<(Vec<Step>, &'e ValidationError)>) {
    for (field, kind) in errors.errors() {
        // `__all__` holds a struct-level rule's errors: they belong to the struct itself.
        let own = field != "__all__";
        if own {
            at.push(Step::Name(field.to_string()));
        }
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| (at.clone(), e))),
            ValidationErrorsKind::Struct(inner) => walk(at, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    at.push(Step::Index(*i));
                    walk(at, inner, out);
                    at.pop();
                }
            }
        }
        if own {
            at.pop();
        }
    }
}

/// `members[1].id_number`.
fn name(path: &[Step]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Step::Name(n) if s.is_empty() => s.push_str(n),
            Step::Name(n) => {
                s.push('.');
                s.push_str(n);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Our stable code and a message for one of validator's errors: validator's generic codes
/// (`length`, `range`, `regex`) become the codes the domain's parsers give for the same faults;
/// a rule's own `code` and `message` are kept. Only the rule's bounds go into a message.
fn describe(e: &ValidationError) -> (String, String) {
    let bound = |k: &str| e.params.get(k).map(number);
    let code = match e.code.as_ref() {
        "length" => match (bound("min"), bound("max")) {
            (None, Some(_)) => "too_long",
            (Some(_), None) => "too_short",
            _ => "invalid_length",
        },
        "range" => "out_of_range",
        "regex" => "invalid_value",
        other => other,
    };
    let message = match (&e.message, e.code.as_ref()) {
        (Some(m), _) => m.to_string(),
        (None, "required") => "must be given".to_owned(),
        (None, "length") => match (bound("min"), bound("max"), bound("equal")) {
            (_, _, Some(n)) => format!("exactly {n} characters"),
            (Some(min), Some(max), _) => format!("{min} to {max} characters"),
            (None, Some(max), _) => format!("at most {max} characters"),
            (Some(min), None, _) => format!("at least {min} characters"),
            _ => "invalid length".to_owned(),
        },
        (None, "range") => match (bound("min"), bound("max")) {
            (Some(min), Some(max)) => format!("from {min} to {max}"),
            (Some(min), None) => format!("at least {min}"),
            (None, Some(max)) => format!("at most {max}"),
            _ => "out of range".to_owned(),
        },
        _ => "invalid value".to_owned(),
    };
    (code.to_owned(), message)
}

/// A rule's bound as written (`0`, `12`, `0.5`).
fn number(v: &Value) -> Cow<'static, str> {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Cow::Owned(format!("{}", f as i64)),
            _ => Cow::Owned(n.to_string()),
        },
        _ => Cow::Borrowed("?"),
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use validator::Validate;

    use super::*;

    #[derive(Deserialize, Serialize, Validate)]
    struct Item {
        #[validate(required, length(max = 4))]
        name: Option<String>,
        #[validate(range(min = 0, max = 12))]
        months: Option<i64>,
    }

    #[derive(Deserialize, Validate)]
    struct Outer {
        #[validate(required)]
        category: Option<String>,
        #[validate(required, nested)]
        items: Option<Vec<Item>>,
        #[validate(nested)]
        single: Option<Item>,
    }

    fn errors(json: &str) -> Vec<(String, String, String)> {
        let body: Outer = serde_json::from_str(json).unwrap();
        field_errors("", body.validate()).0.into_iter().map(|e| (e.field, e.code, e.message)).collect()
    }

    #[test]
    fn nested_errors_are_named_like_the_body_in_a_stable_order() {
        let items: Vec<String> = (0..12).map(|i| if i % 5 == 0 { r#"{"months": 13}"#.into() } else { r#"{"name": "ok"}"#.into() }).collect();
        let json = format!(r#"{{"items": [{}], "single": {{"name": "too long"}}}}"#, items.join(","));
        let got = errors(&json);
        let fields: Vec<&str> = got.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            fields,
            ["category", "items[0].months", "items[0].name", "items[5].months", "items[5].name", "items[10].months", "items[10].name", "single.name"]
        );
        assert!(got.contains(&("category".into(), "required".into(), "must be given".into())));
        assert!(got.contains(&("items[0].months".into(), "out_of_range".into(), "from 0 to 12".into())));
        assert!(got.contains(&("single.name".into(), "too_long".into(), "at most 4 characters".into())));
    }

    #[test]
    fn a_message_never_quotes_the_value() {
        let secret = "13912395555";
        let got = errors(&format!(r#"{{"category": "x", "items": [{{"name": "{secret}", "months": {secret}}}]}}"#));
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|(f, c, m)| !f.contains(secret) && !c.contains(secret) && !m.contains(secret)), "{got:?}");
    }

    #[test]
    fn a_body_knows_the_order_of_its_fields() {
        assert_eq!(declared_fields::<Outer>(), ["category", "items", "single"]);
        assert_eq!(declared_fields::<Item>(), ["name", "months"]);
        assert!(declared_fields::<String>().is_empty());
    }

    #[test]
    fn a_part_is_named_under_its_prefix() {
        let (_, errs) = parse_part::<Outer>(br#"{"items": []}"#, "meta.").unwrap();
        assert_eq!(errs.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["meta.category"]);
        let refused = parse_part::<Outer>(br#"{"items": 13912395555}"#, "meta.").err().unwrap();
        let problem = refused.problem();
        assert_eq!(problem.errors[0].field, "meta");
        assert!(!problem.errors[0].message.contains("13912395555"), "{}", problem.errors[0].message);
    }
}
