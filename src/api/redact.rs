//! Request values never reach a 4xx answer or the log: a deserializer's message quotes what it
//! refused (`invalid type: integer `13912395555`, expected a string`, `unknown variant `…``,
//! `invalid value: string "…"`), and that may be an ID or phone number sent in the wrong field.
//! [`deserializer_message`] keeps what the client needs (the kind of error, the type that was
//! sent, what was expected, the field names of our own schema, the position) and drops the value.
//! Messages it does not know become "invalid value": a whitelist, so a new library message
//! cannot leak.

/// The kinds of value serde's `Unexpected` (and serde_json's) names before the quoted value.
const KINDS: [&str; 17] = [
    "boolean", "integer", "floating point", "character", "string", "byte array", "unit value", "Option value",
    "newtype struct", "sequence", "map", "enum", "unit variant", "newtype variant", "tuple variant", "struct variant", "null",
];

/// Fixed messages (no value in them) of the parsers behind our types: chrono's dates and times,
/// the standard integer, float and bool parsers (query strings).
const FIXED: [&str; 13] = [
    "input is out of range",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "invalid digit found in string",
    "number too large to fit in target type",
    "number too small to fit in target type",
    "cannot parse integer from empty string",
    "invalid float literal",
    "provided string was not `true` or `false`",
    "expected value",
];

/// serde_json's position suffix, ` at line L column C`, split off.
fn position(msg: &str) -> (&str, &str) {
    if let Some(i) = msg.rfind(" at line ") {
        let tail = &msg[i + " at line ".len()..];
        let ok = tail.split_once(" column ").is_some_and(|(l, c)| !l.is_empty() && !c.is_empty() && l.bytes().chain(c.bytes()).all(|b| b.is_ascii_digit()));
        if ok {
            return (&msg[..i], &msg[i..]);
        }
    }
    (msg, "")
}

/// A field name of a schema (sent as a key, so it may be anything): kept only if it looks like one.
fn field_name(quoted: &str) -> Option<&str> {
    let name = quoted.strip_prefix('`')?.strip_suffix('`')?;
    let ok = (1..=64).contains(&name.len())
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some(name)
}

/// `<unexpected>, expected <what>` with the unexpected value reduced to its kind.
fn unexpected(rest: &str) -> String {
    let (got, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let kind = got.split(['`', '"']).next().unwrap_or_default().trim();
    let kind = KINDS.iter().find(|k| **k == kind).copied().unwrap_or("another value");
    if expected.is_empty() { kind.to_owned() } else { format!("{kind}, expected {expected}") }
}

/// A deserializer's message without the request's values.
pub fn deserializer_message(msg: &str) -> String {
    let (body, at) = position(msg.trim());
    let described = if let Some(rest) = body.strip_prefix("invalid type: ") {
        format!("invalid type: {}", unexpected(rest))
    } else if let Some(rest) = body.strip_prefix("invalid value: ") {
        format!("invalid value: {}", unexpected(rest))
    } else if let Some(rest) = body.strip_prefix("invalid length ") {
        // A count, not a value.
        let (n, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        if n.bytes().all(|b| b.is_ascii_digit()) { format!("invalid length {n}, expected {expected}") } else { "invalid length".to_owned() }
    } else if let Some(rest) = body.strip_prefix("unknown variant ") {
        match rest.split_once(", ") {
            Some((_, allowed)) => format!("unknown variant, {allowed}"),
            None => "unknown variant".to_owned(),
        }
    } else if let Some(rest) = body.strip_prefix("unknown field ") {
        let (name, allowed) = rest.split_once(", ").unwrap_or((rest, ""));
        let name = field_name(name).map(|n| format!(" `{n}`")).unwrap_or_default();
        if allowed.is_empty() { format!("unknown field{name}") } else { format!("unknown field{name}, {allowed}") }
    } else if let Some(rest) = body.strip_prefix("missing field ").or_else(|| body.strip_prefix("duplicate field ")) {
        let kind = if body.starts_with("missing") { "missing field" } else { "duplicate field" };
        match field_name(rest) {
            Some(n) => format!("{kind} `{n}`"),
            None => kind.to_owned(),
        }
    } else if FIXED.contains(&body) {
        body.to_owned()
    } else {
        "invalid value".to_owned()
    };
    format!("{described}{at}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        phone: Option<String>,
        count: Option<i32>,
        category: Option<Category>,
        date: Option<chrono::NaiveDate>,
        id: Option<uuid::Uuid>,
        tags: Option<Vec<String>>,
        flag: Option<bool>,
        required: Option<String>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "snake_case")]
    enum Category {
        LiftedOut,
    }

    const PHONE: &str = "13912395555";
    const ID: &str = "610831196001010011";

    /// The message of serde_json itself for each wrong value, then what is left of it.
    fn described(json: &str) -> (String, String) {
        let e = serde_json::from_str::<Body>(json).unwrap_err().to_string();
        (e.clone(), deserializer_message(&e))
    }

    #[test]
    fn a_value_quoted_by_serde_is_dropped_and_the_kind_and_position_kept() {
        let cases = [
            (format!(r#"{{"phone": {PHONE}}}"#), "invalid type: integer, expected a string at line 1 column 21"),
            (format!(r#"{{"phone": {PHONE}.5}}"#), "invalid type: floating point, expected a string at line 1 column 23"),
            (format!(r#"{{"count": "{ID}"}}"#), "invalid type: string, expected i32 at line 1 column 30"),
            (format!(r#"{{"count": {ID}}}"#), "invalid value: integer, expected i32 at line 1 column 28"),
            (format!(r#"{{"category": "{PHONE}"}}"#), "unknown variant, expected `lifted_out` at line 1 column 26"),
            (format!(r#"{{"date": "{ID}"}}"#), "input contains invalid characters at line 1 column 29"),
            (format!(r#"{{"id": "{PHONE}"}}"#), "invalid value at line 1 column 20"),
            (format!(r#"{{"tags": "{PHONE}"}}"#), "invalid type: string, expected a sequence at line 1 column 22"),
            (format!(r#"{{"flag": "{PHONE}"}}"#), "invalid type: string, expected a boolean at line 1 column 22"),
            (format!(r#"{{"{PHONE}": 1}}"#), "unknown field, expected one of `phone`, `count`, `category`, `date`, `id`, `tags`, `flag`, `required` at line 1 column 14"),
            (r#"{"required": 1, "required": 2}"#.to_owned(), "invalid type: integer, expected a string at line 1 column 14"),
            (r#"{"nope": 1}"#.to_owned(), "unknown field `nope`, expected one of `phone`, `count`, `category`, `date`, `id`, `tags`, `flag`, `required` at line 1 column 7"),
        ];
        for (json, expected) in cases {
            let (original, kept) = described(&json);
            assert_eq!(kept, expected, "from {original}");
            assert!(!kept.contains(PHONE) && !kept.contains(ID), "{kept}");
        }
    }

    #[test]
    fn unknown_messages_become_invalid_value_and_fixed_ones_stay() {
        assert_eq!(deserializer_message(&format!("unknown relation {PHONE}")), "invalid value");
        assert_eq!(deserializer_message(&format!("invalid value: something {ID}, expected x")), "invalid value: another value, expected x");
        assert_eq!(deserializer_message("invalid digit found in string"), "invalid digit found in string");
        assert_eq!(deserializer_message("missing field `name`"), "missing field `name`");
        assert_eq!(deserializer_message(&format!("missing field `{PHONE}`")), "missing field");
        assert_eq!(deserializer_message(&format!("invalid length {PHONE}x, expected 2")), "invalid length");
    }
}
