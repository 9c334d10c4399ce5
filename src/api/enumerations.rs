//! Text fields that take one of a list of values, listed in the document from the lists the
//! domain checks them against: a generated client gets an enumeration (a TypeScript union, a
//! Python enum) instead of a free string, and the document cannot list a value the server
//! refuses. Fields whose type is a Rust enum (`PhotoKind`, `Crs`, …) get theirs from utoipa.

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

use crate::api::media::{LEDGER_FORMATS, REPORT_FORMATS};
use crate::domain::{assistance, household, household_profile, location, photo, procedure, quality, screening, yearly};


/// (schema, property, values) for the fields of bodies and views.
const PROPERTIES: &[(&str, &str, &[&str])] = &[
    ("MemberYear", "education", yearly::EDUCATION),
    ("MemberYear", "health", yearly::HEALTH),
    ("MemberYear", "in_school", yearly::IN_SCHOOL),
    ("MemberYear", "labour_skill", yearly::LABOUR_SKILL),
    ("MemberYear", "work_status", yearly::WORK_STATUS),
    ("MemberYearBody", "education", yearly::EDUCATION),
    ("MemberYearBody", "health", yearly::HEALTH),
    ("MemberYearBody", "in_school", yearly::IN_SCHOOL),
    ("MemberYearBody", "labour_skill", yearly::LABOUR_SKILL),
    ("MemberYearBody", "work_status", yearly::WORK_STATUS),
    ("Living", "housing", yearly::HOUSING),
    ("Living", "water", yearly::WATER),
    ("LivingBody", "housing", yearly::HOUSING),
    ("LivingBody", "water", yearly::WATER),
    ("CaptureBody", "source", location::CAPTURE_SOURCES),
    ("PhotoView", "status", photo::STATUSES),
    ("ChecksView", "status", photo::CHECK_STATUSES),
    ("ChecksView", "position_source", photo::POSITION_SOURCES),
    ("ReviewBody", "decision", photo::DECISIONS),
    ("HouseholdView", "risk_status", household::RISK_STATUSES),
    ("ScreeningView", "risk_status", household::RISK_STATUSES),
    ("ScreeningView", "criterion", screening::CRITERION_IDS),
    ("HouseholdProfile", "fallback_reason", household_profile::FALLBACK_REASONS),
    ("ProfileBody", "fallback_reason", household_profile::FALLBACK_REASONS),
    ("Tombstone", "reason", assistance::LEAVING_REASONS),
    ("DepartmentBody", "result", procedure::CHECK_RESULTS),
    ("DepartmentAnswer", "result", procedure::CHECK_RESULTS),
    ("ProblemView", "status", quality::STATUSES),
    ("ProblemChange", "status", quality::SETTABLE_STATUSES),
    ("ProblemView", "source", quality::people::SOURCES),
    ("ProblemView", "category", quality::people::CATEGORIES),
    ("ProblemView", "guarantee", quality::people::GUARANTEES),
];

/// (operationId, query parameter, values).
const PARAMETERS: &[(&str, &str, &[&str])] = &[
    ("photo_review_queue", "status", photo::STATUSES),
    ("list_problems", "status", quality::STATUSES),
    ("list_problems", "format", LEDGER_FORMATS),
    ("export_problems_csv", "status", quality::STATUSES),
    ("export_problems_xlsx", "status", quality::STATUSES),
    ("list_problems", "source", quality::people::SOURCES),
    ("export_problems_csv", "source", quality::people::SOURCES),
    ("export_problems_xlsx", "source", quality::people::SOURCES),
    ("quality_summary", "source", quality::people::SOURCES),
    ("import_households", "format", REPORT_FORMATS),
    ("compare_years", "format", REPORT_FORMATS),
    ("list_natural_changes", "format", REPORT_FORMATS),
    ("get_coverage", "households", household::Counted::VALUES),
    ("list_households_without_home", "households", household::Counted::VALUES),
];

/// Lists the values of every field of the tables above.
pub fn document(doc: &mut OpenApi) {
    for (schema, property, values) in PROPERTIES {
        if let Some(RefOr::T(s)) = property_schema(doc, schema, property) {
            restrict(s, values);
        }
    }
    for (op, param, values) in PARAMETERS {
        let Some(op) = operation(doc, op) else { continue };
        for p in op.parameters.iter_mut().flatten().filter(|p| p.name == *param) {
            if let Some(RefOr::T(s)) = p.schema.as_mut() {
                restrict(s, values);
            }
        }
    }
}

/// The entries of the tables that name no field of `doc` (a renamed type or field): empty
/// when every list reached its field.
pub fn unmatched(doc: &mut OpenApi) -> Vec<String> {
    let mut out = Vec::new();
    for (schema, property, _) in PROPERTIES {
        if property_schema(doc, schema, property).is_none() {
            out.push(format!("{schema}.{property}"));
        }
    }
    for (op_id, param, _) in PARAMETERS {
        let found = operation(doc, op_id).is_some_and(|op| op.parameters.iter().flatten().any(|p| p.name == *param));
        if !found {
            out.push(format!("{op_id} ?{param}"));
        }
    }
    out
}

fn property_schema<'a>(doc: &'a mut OpenApi, schema: &str, property: &str) -> Option<&'a mut RefOr<Schema>> {
    let components = doc.components.as_mut()?;
    match components.schemas.get_mut(schema)? {
        RefOr::T(Schema::Object(o)) => o.properties.get_mut(property),
        _ => None,
    }
}

fn operation<'a>(doc: &'a mut OpenApi, id: &str) -> Option<&'a mut Operation> {
    doc.paths
        .paths
        .values_mut()
        .flat_map(|item| [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten())
        .find(|op| op.operation_id.as_deref() == Some(id))
}

/// Gives a text schema its values. A field that may be null becomes `oneOf` the enumeration
/// and `null`, as utoipa writes an `Option` of a Rust enum: generators make that "enum or
/// None", where a `null` inside the list would give them one class per branch.
fn restrict(schema: &mut Schema, values: &[&str]) {
    let Schema::Object(o) = schema else { return };
    let listed = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.iter().copied()));
    let nullable = matches!(&o.schema_type, SchemaType::Array(types) if types.contains(&Type::Null));
    if !nullable {
        o.enum_values = Some(values.iter().map(|v| serde_json::Value::from(*v)).collect());
        return;
    }
    let one_of = OneOfBuilder::new()
        .item(listed)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(o.description.clone())
        .build();
    *schema = Schema::OneOf(one_of);
}
