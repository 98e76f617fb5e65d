//! Custom request headers: the scenario's `[headers]` table and the repeatable
//! `--header 'Name: value'` flag -> one validated [`CustomHeaders`] sent on
//! every request (API gateways in front of GMS want `apikey`, `x-api-key`,
//! `gms_user` or `Authorization`).
//!
//! Values are secrets. A value `env:VAR` is read from the environment, so no
//! secret needs to be written in a file or a command line. No message, report
//! or `Debug` output ever contains a value: errors name the header only.
//! A flag replaces a file entry of the same name (names are case-insensitive).

use super::Src;
use crate::cli::HeaderArg;
use crate::engine::scenario::Scenario;
use crate::error::UsageError;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::collections::HashSet;

/// Headers chatload sets itself (dialect, framing): a custom value would break the run.
const RESERVED: [&str; 5] = [
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
];

/// Validated custom headers. `Debug` lists the names, never the values.
#[derive(Clone, Default, PartialEq)]
pub struct CustomHeaders(HeaderMap);

impl CustomHeaders {
    /// The headers, values marked sensitive.
    pub fn map(&self) -> &HeaderMap {
        &self.0
    }

    /// Header names (lower case), sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.keys().map(|k| k.as_str().to_string()).collect();
        v.sort();
        v
    }

    /// True when no header was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for CustomHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k.as_str(), "<redacted>")))
            .finish()
    }
}

/// The `[headers]` table, then the `--header` flags; `env` looks up `env:VAR` values.
pub(super) fn build_headers(
    flags: &[HeaderArg],
    sc: &Scenario,
    src: &Src<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CustomHeaders, UsageError> {
    let mut map = HeaderMap::new();
    let mut seen = HashSet::new();
    // In file order, so a duplicate is reported at its second occurrence.
    let mut entries: Vec<_> = sc.headers.iter().flatten().collect();
    entries.sort_by_key(|(_, v)| v.span().start);
    for (name, value) in entries {
        let field = format!("headers.{name}");
        let entry = header(name, value.get_ref(), env).map_err(|e| src.err(&field, value, &e))?;
        if !seen.insert(entry.0.clone()) {
            return Err(src.err(
                &field,
                value,
                "is given twice (header names ignore case); keep one",
            ));
        }
        map.insert(entry.0, entry.1);
    }
    let mut from_flags = HashSet::new();
    for flag in flags {
        let Some((name, value)) = flag.0.split_once(':') else {
            return Err(UsageError::new(
                "--header: expected 'Name: value' with a colon after the name, e.g. --header 'apikey: env:GMS_APIKEY'",
            ));
        };
        let name = name.trim();
        let entry = header(name, value, env)
            .map_err(|e| UsageError::new(format!("--header {name}: {e}")))?;
        if !from_flags.insert(entry.0.clone()) {
            return Err(UsageError::new(format!(
                "--header {name}: is given twice (header names ignore case); keep one"
            )));
        }
        map.insert(entry.0, entry.1);
    }
    Ok(CustomHeaders(map))
}

/// One validated header. Messages never contain the value.
fn header(
    name: &str,
    raw: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(HeaderName, HeaderValue), String> {
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        format!("'{name}' is not a valid header name; use letters, digits and - _ . ! # $ % & ' * + ^ ` | ~ only")
    })?;
    if RESERVED.contains(&name.as_str()) {
        return Err(format!(
            "'{name}' is set by chatload itself (dialect and connection handling); remove it"
        ));
    }
    let raw = raw.trim();
    let value = match raw.strip_prefix("env:") {
        Some(var) => {
            let var = var.trim();
            if var.is_empty() {
                return Err("env: needs a variable name, e.g. env:GMS_APIKEY".into());
            }
            env(var).ok_or_else(|| {
                format!("environment variable {var} is not set (or not UTF-8); export it before the run")
            })?
        }
        None => raw.to_string(),
    };
    let value = value.trim();
    if value.is_empty() {
        return Err("the value is empty; give a value or env:VAR".into());
    }
    // HeaderValue takes obs-text (bytes 0x80-0xFF): servers decode it differently, so refuse it.
    if !value.is_ascii() {
        return Err("the value contains a non-ASCII character, which a header cannot carry portably; percent-encode it or use ASCII".into());
    }
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        "the value contains a character a header cannot carry (a line break, a control character or non-ASCII); check it".to_string()
    })?;
    value.set_sensitive(true);
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::super::{build, RunArgs};
    use super::*;
    use crate::engine::scenario::ScenarioFile;

    fn env(var: &str) -> Option<String> {
        (var == "CHATLOAD_TEST_KEY").then(|| "s3cret-from-env".to_string())
    }

    fn flags(v: &[&str]) -> Vec<HeaderArg> {
        v.iter().map(|s| HeaderArg(s.to_string())).collect()
    }

    fn from(text: &str, f: &[&str]) -> Result<CustomHeaders, String> {
        let file = ScenarioFile::parse("s.toml", text.to_string()).expect("parses");
        let src = Src { file: Some(&file) };
        build_headers(&flags(f), &file.scenario, &src, &env).map_err(|e| e.to_string())
    }

    #[test]
    fn file_and_flags_merge_and_env_values_resolve() {
        let h = from(
            "[headers]\napikey = \"file-key\"\ngms_user = \"u1\"\n",
            &["APIKEY: env:CHATLOAD_TEST_KEY", "Authorization: Bearer abc"],
        )
        .unwrap();
        assert_eq!(h.names(), vec!["apikey", "authorization", "gms_user"]);
        assert_eq!(h.map()["apikey"], "s3cret-from-env");
        assert_eq!(h.map()["authorization"], "Bearer abc");
        assert!(h.map()["apikey"].is_sensitive());
    }

    #[test]
    fn debug_shows_names_never_values() {
        let h = from("[headers]\nx-api-key = \"s3cret\"\n", &["apikey: hunter2"]).unwrap();
        let dbg = format!("{h:?}");
        assert!(dbg.contains("x-api-key") && dbg.contains("apikey"), "{dbg}");
        assert!(!dbg.contains("s3cret") && !dbg.contains("hunter2"), "{dbg}");
        let args = RunArgs {
            target: crate::cli::TargetArgs {
                headers: flags(&["apikey: hunter2"]),
                ..Default::default()
            },
            ..RunArgs::default()
        };
        let cfg = build(&args, None).unwrap();
        for text in [format!("{args:?}"), format!("{cfg:?}")] {
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn errors_name_the_header_and_never_echo_the_value() {
        let cases: [(&str, &[&str], &str); 8] = [
            (
                "[headers]\napikey = \"env:NOPE_UNSET\"\n",
                &[],
                "s.toml:2:10: headers.apikey: environment variable NOPE_UNSET is not set",
            ),
            (
                "[headers]\n\"bad name\" = \"v4lue\"\n",
                &[],
                "headers.bad name: 'bad name' is not a valid header name",
            ),
            (
                "[headers]\napikey = \"a\"\nAPIKEY = \"b\"\n",
                &[],
                "s.toml:3:10: headers.APIKEY: is given twice",
            ),
            ("", &["apikey=s3cret"], "--header: expected 'Name: value'"),
            (
                "",
                &["apikey: line\u{7}s3cret"],
                "--header apikey: the value contains a character",
            ),
            (
                "",
                &["Content-Type: text/s3cret"],
                "--header Content-Type: 'content-type' is set by chatload",
            ),
            ("", &["apikey:   "], "--header apikey: the value is empty"),
            (
                "[headers]\napikey = \"s3cret-\u{e9}\"\n",
                &[],
                "s.toml:2:10: headers.apikey: the value contains a non-ASCII character",
            ),
        ];
        for (text, f, want) in cases {
            let e = from(text, f).unwrap_err();
            assert!(e.contains(want), "{e}\nwanted: {want}");
            assert!(
                !e.contains("s3cret") && !e.contains("v4lue"),
                "value echoed: {e}"
            );
        }
        let e = from("", &["x: 1", "X: 2"]).unwrap_err();
        assert!(e.contains("--header X: is given twice"), "{e}");
    }
}
