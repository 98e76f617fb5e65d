//! A small JSON Schema checker for the keywords `schema/summary.schema.json` uses:
//! `type`, `const`, `enum`, `minimum`, `maximum`, `maxItems`, `required`,
//! `properties`, `additionalProperties`, `items` and local `$ref`s into `$defs`.
//! (A full validator crate would add a large dependency tree for one test.)

use serde_json::Value;

/// The committed schema.
pub fn load() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/summary.schema.json");
    let text = std::fs::read_to_string(path).expect("read schema");
    serde_json::from_str(&text).expect("schema is JSON")
}

/// Every violation of `schema` by `instance`, as `path: problem` lines.
pub fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, instance, "$", &mut errors);
    errors
}

fn resolve<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix("#/$defs/").expect("only local $defs refs");
            root["$defs"]
                .get(name)
                .unwrap_or_else(|| panic!("unknown $ref {r}"))
        }
        None => s,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        other => panic!("unsupported type {other}"),
    }
}

fn check(root: &Value, s: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let s = resolve(root, s);
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type keyword at {path}"),
        };
        if !types.iter().any(|t| type_ok(t, v)) {
            errors.push(format!("{path}: expected {types:?}, got {v}"));
            return;
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errors.push(format!("{path}: expected {c}, got {v}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{path}: {v} not in {e:?}"));
        }
    }
    if let (Some(min), Some(x)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if x < min {
            errors.push(format!("{path}: {x} < minimum {min}"));
        }
    }
    if let (Some(max), Some(x)) = (s.get("maximum").and_then(Value::as_f64), v.as_f64()) {
        if x > max {
            errors.push(format!("{path}: {x} > maximum {max}"));
        }
    }
    if let Some(obj) = v.as_object() {
        for key in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = key.as_str().expect("required keys are strings");
            if !obj.contains_key(key) {
                errors.push(format!("{path}: missing required '{key}'"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, x) in obj {
            let sub_path = format!("{path}.{k}");
            match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                (Some(sub), _) => check(root, sub, x, &sub_path, errors),
                (None, Some(Value::Bool(false))) => errors.push(format!("{sub_path}: not allowed")),
                (None, Some(sub)) if sub.is_object() => check(root, sub, x, &sub_path, errors),
                (None, _) => {}
            }
        }
    }
    if let Some(arr) = v.as_array() {
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
            if arr.len() as u64 > max {
                errors.push(format!("{path}: {} items > maxItems {max}", arr.len()));
            }
        }
        if let Some(items) = s.get("items") {
            for (i, x) in arr.iter().enumerate() {
                check(root, items, x, &format!("{path}[{i}]"), errors);
            }
        }
    }
}

/// Paths of object schemas that do not pin their keys (`required` == all
/// `properties`, `additionalProperties: false`).
pub fn loose_objects(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, "#", &mut out);
    out
}

/// Keys that are optional on purpose, by object path: written only when they apply
/// (an https target, a proxy, a customers file, transport error samples, an open-model
/// run, a merged run's shard verdicts), so older summaries stay valid. Any other optional
/// key is a loose object.
const OPTIONAL: &[(&str, &[&str])] = &[
    (
        "#",
        &[
            "transport_error_samples",
            "open_model",
            "service_level",
            "profiles",
        ],
    ),
    ("#/properties/sessions", &["arrivals_planned", "dropped"]),
    (
        "#/properties/timeline/items",
        &[
            "dropped",
            "joined",
            "joined_within_target",
            "abandoned",
            "queue_wait_max_ms",
        ],
    ),
    (
        "#/properties/scenario",
        &["tls", "cookies", "customers", "proxy", "http"],
    ),
    (
        "#/properties/scenario/properties/tls",
        &["ca_file", "server_name", "client_cert"],
    ),
    (
        "#/$defs/SessionRow",
        &["queue_wait_ms", "first_response_ms", "abandoned", "profile"],
    ),
    ("#/$defs/ProfileFigures", &["service_level"]),
    // Each shard's own verdict, written by `chatload merge` only; requests resent
    // after a stale connection, written only when some were.
    ("#/properties/generator", &["shards", "stale_connection"]),
];

fn walk(s: &Value, path: &str, out: &mut Vec<String>) {
    match s {
        Value::Object(map) => {
            if let Some(props) = map.get("properties").and_then(Value::as_object) {
                let mut required: Vec<&str> = map
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some((_, keys)) = OPTIONAL.iter().find(|(p, _)| *p == path) {
                    // Only summary.schema.json has them; conformance.schema.json shares this walk.
                    required.extend(keys.iter().copied().filter(|k| props.contains_key(*k)));
                }
                required.sort_unstable();
                let mut keys: Vec<&str> = props.keys().map(String::as_str).collect();
                keys.sort_unstable();
                if required != keys || map.get("additionalProperties") != Some(&Value::Bool(false))
                {
                    out.push(path.to_string());
                }
            }
            for (k, v) in map {
                walk(v, &format!("{path}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}
