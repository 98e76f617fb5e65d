//! Customer profiles: who each simulated customer is on Request Chat
//! (nickname, names, e-mail, subject, userData) and, optionally, what it writes.
//!
//! `--customers FILE` / `[customer.data]` reads a CSV file (header row) or a
//! JSON Lines file (`.jsonl` / `.ndjson`). Columns / keys: `nickname`
//! (required), `first_name`, `last_name`, `email`, `subject`, any number of
//! `userData.KEY`, and `message` (repeatable, or `message.N`) for the texts the
//! customer sends. JSON Lines also take `"userData": {...}` and `"messages": [...]`.
//!
//! The whole file is validated once at start (the first problem is reported
//! as `file:line:column`, the rule and the fix). Memory stays bounded: only the
//! byte offset of each row is kept (8 bytes a row); a session reads and parses
//! its one row when it starts (`pread`, from the page cache).

mod jsonl;

use rand::Rng;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Longest value accepted in a customer field, in characters (the reference
/// server's `max_message_length` default; longer texts get code 204).
pub(crate) const MAX_VALUE_CHARS: usize = 4096;

/// One customer's data as sent on Request Chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// Nickname.
    pub nickname: String,
    /// First name (default: the nickname).
    pub first_name: String,
    /// Last name (default `Customer`).
    pub last_name: String,
    /// E-mail address (default empty).
    pub email: String,
    /// Subject (default `chatload`).
    pub subject: String,
    /// userData pairs from the file (sent after the widget's defaults, replacing same keys).
    pub user_data: Vec<(String, String)>,
    /// Texts this customer sends, in order (empty: the scenario's `message_text`).
    pub messages: Vec<String>,
}

impl Customer {
    /// The built-in customer (no data file).
    pub fn named(nickname: &str) -> Customer {
        Customer {
            nickname: nickname.to_string(),
            first_name: nickname.to_string(),
            last_name: "Customer".into(),
            email: String::new(),
            subject: "chatload".into(),
            user_data: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// `defaults` (those the customer's own userData does not replace), then its own userData.
    pub fn user_data_over<'a>(
        &'a self,
        defaults: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = (&'a str, &'a str)> {
        defaults
            .iter()
            .filter(|(k, _)| !self.user_data.iter().any(|(own, _)| own == k))
            .copied()
            .chain(self.user_data.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// Which row a new session takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Row after row, wrapping around.
    Sequential,
    /// A random row (from the run's seed).
    Random,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Jsonl,
}

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Nickname,
    FirstName,
    LastName,
    Email,
    Subject,
    UserData(String),
    Message,
}

impl Column {
    fn parse(name: &str) -> Option<Column> {
        Some(match name {
            "nickname" => Column::Nickname,
            "first_name" => Column::FirstName,
            "last_name" => Column::LastName,
            "email" => Column::Email,
            "subject" => Column::Subject,
            "message" => Column::Message,
            n if n.starts_with("message.") => Column::Message,
            n => match n.strip_prefix("userData.") {
                Some(k) if !k.is_empty() => Column::UserData(k.to_string()),
                _ => return None,
            },
        })
    }
}

const COLUMNS_HELP: &str =
    "use nickname, first_name, last_name, email, subject, userData.KEY or message";

/// An indexed customer file.
pub struct CustomerData {
    path: PathBuf,
    file: File,
    format: Format,
    columns: Vec<Column>,
    /// Start of each row, then the end of the file.
    offsets: Vec<u64>,
    order: Order,
}

impl std::fmt::Debug for CustomerData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CustomerData({}, {} rows, {:?})",
            self.path.display(),
            self.rows(),
            self.order
        )
    }
}

impl PartialEq for CustomerData {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.order == other.order && self.offsets == other.offsets
    }
}

/// A problem at a place in the file.
fn at(path: &Path, line: u64, col: u64, rule: impl std::fmt::Display) -> String {
    format!("{}:{line}:{col}: {rule}", path.display())
}

fn check_value(path: &Path, line: u64, col: u64, name: &str, v: &str) -> Result<(), String> {
    let n = v.chars().count();
    if n > MAX_VALUE_CHARS {
        return Err(at(
            path,
            line,
            col,
            format!("{name}: {n} characters, more than the {MAX_VALUE_CHARS} a chat field may hold; shorten it"),
        ));
    }
    Ok(())
}

impl CustomerData {
    /// Read, validate and index a customer file.
    pub fn load(path: &Path, order: Order) -> Result<CustomerData, String> {
        let file = File::open(path).map_err(|e| {
            format!(
                "cannot read customers file '{}': {e}; check the path",
                path.display()
            )
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let format = match ext.as_str() {
            "jsonl" | "ndjson" => Format::Jsonl,
            _ => Format::Csv,
        };
        let reader = file.try_clone().map_err(|e| e.to_string())?;
        let (columns, offsets) = match format {
            Format::Csv => index_csv(path, reader)?,
            Format::Jsonl => (Vec::new(), index_jsonl(path, reader)?),
        };
        if offsets.len() < 2 {
            return Err(format!(
                "{}: no customer rows; add at least one row under the header",
                path.display()
            ));
        }
        Ok(CustomerData {
            path: path.to_path_buf(),
            file,
            format,
            columns,
            offsets,
            order,
        })
    }

    /// Number of customers.
    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The order rows are taken in.
    pub fn order(&self) -> Order {
        self.order
    }

    /// The customer of the session with this ordinal. `fallback` when the
    /// row cannot be read any more (the file changed under the run).
    pub fn customer(&self, ordinal: u64, rng: &mut impl Rng, fallback: &Customer) -> Customer {
        let rows = self.rows() as u64;
        let i = match self.order {
            Order::Sequential => ordinal % rows,
            Order::Random => rng.gen_range(0..rows),
        } as usize;
        let (start, end) = (self.offsets[i], self.offsets[i + 1]);
        let mut buf = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
        if self.file.read_exact_at(&mut buf, start).is_err() {
            return fallback.clone();
        }
        let parsed = match self.format {
            Format::Csv => self.csv_row(&buf),
            Format::Jsonl => jsonl_row(&buf),
        };
        parsed.unwrap_or_else(|| fallback.clone())
    }

    fn csv_row(&self, buf: &[u8]) -> Option<Customer> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(buf);
        let mut rec = csv::StringRecord::new();
        rdr.read_record(&mut rec).ok()?;
        let mut c = Customer::default();
        for (col, v) in self.columns.iter().zip(rec.iter()) {
            set(&mut c, col, v);
        }
        Some(finish(c))
    }
}

fn set(c: &mut Customer, col: &Column, v: &str) {
    match col {
        Column::Nickname => v.clone_into(&mut c.nickname),
        Column::FirstName => v.clone_into(&mut c.first_name),
        Column::LastName => v.clone_into(&mut c.last_name),
        Column::Email => v.clone_into(&mut c.email),
        Column::Subject => v.clone_into(&mut c.subject),
        Column::UserData(k) if !v.is_empty() => c.user_data.push((k.clone(), v.to_string())),
        Column::Message if !v.is_empty() => c.messages.push(v.to_string()),
        Column::UserData(_) | Column::Message => {}
    }
}

/// Defaults for the fields a file left empty.
fn finish(mut c: Customer) -> Customer {
    let d = Customer::named(&c.nickname);
    if c.first_name.is_empty() {
        c.first_name = d.first_name;
    }
    if c.last_name.is_empty() {
        c.last_name = d.last_name;
    }
    if c.subject.is_empty() {
        c.subject = d.subject;
    }
    c
}

fn index_csv(path: &Path, file: File) -> Result<(Vec<Column>, Vec<u64>), String> {
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .buffer_capacity(1 << 20)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let mut rec = csv::ByteRecord::new();
    let csv_err = |e: csv::Error| -> String {
        let (line, rule) = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => (
                pos.as_ref().map_or(0, |p| p.line()),
                format!("{len} fields where the header has {expected_len}; quote values that contain commas"),
            ),
            _ => (e.position().map_or(0, |p| p.line()), e.to_string()),
        };
        at(path, line, 1, rule)
    };
    let got = rdr.read_byte_record(&mut rec).map_err(csv_err)?;
    if !got {
        return Err(format!(
            "{}: the file is empty; a CSV customers file starts with a header row, e.g. nickname,email,userData.segment",
            path.display()
        ));
    }
    let mut columns = Vec::with_capacity(rec.len());
    let mut col = 1u64;
    for (i, raw) in rec.iter().enumerate() {
        let name = std::str::from_utf8(raw).map_err(|_| {
            at(
                path,
                1,
                col,
                "the header is not UTF-8; save the file as UTF-8",
            )
        })?;
        let name = if i == 0 {
            name.trim_start_matches('\u{feff}')
        } else {
            name
        };
        let c = Column::parse(name.trim()).ok_or_else(|| {
            at(
                path,
                1,
                col,
                format!("unknown column '{name}'; {COLUMNS_HELP}"),
            )
        })?;
        columns.push(c);
        col += raw.len() as u64 + 1;
    }
    let Some(nick) = columns.iter().position(|c| *c == Column::Nickname) else {
        return Err(at(
            path,
            1,
            1,
            "no 'nickname' column; every customer needs a nickname, add the column",
        ));
    };
    let mut offsets = Vec::new();
    loop {
        let start = rdr.position().byte();
        if !rdr.read_byte_record(&mut rec).map_err(csv_err)? {
            break;
        }
        let line = rec.position().map_or(0, |p| p.line());
        offsets.push(rec.position().map_or(start, |p| p.byte()));
        let mut col = 1u64;
        for (i, raw) in rec.iter().enumerate() {
            let v = std::str::from_utf8(raw).map_err(|e| {
                at(
                    path,
                    line,
                    col + e.valid_up_to() as u64,
                    "not valid UTF-8; save the file as UTF-8",
                )
            })?;
            let name = column_name(&columns[i]);
            check_value(path, line, col, &name, v)?;
            if i == nick && v.trim().is_empty() {
                return Err(at(
                    path,
                    line,
                    col,
                    "nickname: empty; every customer needs a nickname",
                ));
            }
            col += raw.len() as u64 + 1;
        }
    }
    offsets.push(len);
    Ok((columns, offsets))
}

fn column_name(c: &Column) -> String {
    match c {
        Column::Nickname => "nickname".into(),
        Column::FirstName => "first_name".into(),
        Column::LastName => "last_name".into(),
        Column::Email => "email".into(),
        Column::Subject => "subject".into(),
        Column::UserData(k) => format!("userData.{k}"),
        Column::Message => "message".into(),
    }
}

fn index_jsonl(path: &Path, file: File) -> Result<Vec<u64>, String> {
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut offsets = Vec::new();
    let mut buf = Vec::with_capacity(512);
    let mut pos = 0u64;
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
        if n == 0 {
            break;
        }
        line += 1;
        let start = pos;
        pos += n as u64;
        let text = std::str::from_utf8(&buf).map_err(|e| {
            at(
                path,
                line,
                e.valid_up_to() as u64 + 1,
                "not valid UTF-8; save the file as UTF-8",
            )
        })?;
        if text.trim().is_empty() {
            continue;
        }
        check_jsonl(path, line, text)?;
        offsets.push(start);
    }
    offsets.push(pos);
    Ok(offsets)
}

/// Validate one JSON Lines row.
fn check_jsonl(path: &Path, line: u64, text: &str) -> Result<(), String> {
    let row: jsonl::Row = serde_json::from_str(text).map_err(|e| {
            at(
                path,
                line,
                e.column() as u64,
                format!("not a JSON object ({e}); write one object per line, e.g. {{\"nickname\": \"Ann\"}}"),
            )
        })?;
    let col_of = |key: &str| {
        text.find(&format!("\"{key}\""))
            .map_or(1, |i| text[..i].chars().count() as u64 + 1)
    };
    let string = |key: &str, v: &jsonl::Val| -> Result<(), String> {
        match v.as_str() {
            // The column is looked up only for a message (it costs a search of the line).
            Some(s) if s.len() <= MAX_VALUE_CHARS => Ok(()),
            Some(s) => check_value(path, line, col_of(key), key, s),
            None => Err(at(
                path,
                line,
                col_of(key),
                format!("{key}: must be a string; quote the value"),
            )),
        }
    };
    let mut nickname = false;
    for (k, v) in &row.0 {
        match k.as_ref() {
            "userData" => {
                let jsonl::Val::Obj(map) = v else {
                    return Err(at(
                        path,
                        line,
                        col_of(k),
                        "userData: must be an object of strings, e.g. {\"segment\": \"gold\"}",
                    ));
                };
                for (uk, uv) in map {
                    string(uk, uv)?;
                }
            }
            "messages" => {
                let jsonl::Val::Arr(list) = v else {
                    return Err(at(
                        path,
                        line,
                        col_of(k),
                        "messages: must be an array of strings",
                    ));
                };
                for m in list {
                    string(k, m)?;
                }
            }
            other => match Column::parse(other) {
                Some(c) => {
                    string(other, v)?;
                    if c == Column::Nickname {
                        nickname = !v.as_str().unwrap_or("").trim().is_empty();
                    }
                }
                None => {
                    return Err(at(
                        path,
                        line,
                        col_of(other),
                        format!("unknown key '{other}'; {COLUMNS_HELP}, userData or messages"),
                    ))
                }
            },
        }
    }
    if !nickname {
        return Err(at(
            path,
            line,
            1,
            "no 'nickname' (or an empty one); every customer needs a nickname, add \"nickname\": \"...\"",
        ));
    }
    Ok(())
}

fn jsonl_row(buf: &[u8]) -> Option<Customer> {
    let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(buf).ok()?;
    let mut c = Customer::default();
    for (k, v) in &obj {
        match (k.as_str(), v) {
            ("userData", serde_json::Value::Object(m)) => {
                for (uk, uv) in m {
                    if let Some(s) = uv.as_str() {
                        c.user_data.push((uk.clone(), s.to_string()));
                    }
                }
            }
            ("messages", serde_json::Value::Array(list)) => {
                c.messages
                    .extend(list.iter().filter_map(|m| m.as_str().map(str::to_string)));
            }
            (other, serde_json::Value::String(s)) => {
                if let Some(col) = Column::parse(other) {
                    set(&mut c, &col, s);
                }
            }
            _ => {}
        }
    }
    Some(finish(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn write(name: &str, text: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    fn err(name: &str, text: &[u8]) -> String {
        let (_d, p) = write(name, text);
        let e = CustomerData::load(&p, Order::Sequential).unwrap_err();
        let shown = p.display().to_string();
        e.strip_prefix(&shown).unwrap_or(&e).to_string()
    }

    fn rng() -> rand::rngs::SmallRng {
        rand::rngs::SmallRng::seed_from_u64(1)
    }

    #[test]
    fn csv_rows_are_taken_in_order_and_wrap() {
        let (_d, p) = write(
            "c.csv",
            b"nickname,email,userData.segment,message,message\nAnn,ann@x.test,gold,hi,\"a, b\"\nBob,,,,\n",
        );
        let data = CustomerData::load(&p, Order::Sequential).unwrap();
        assert_eq!(data.rows(), 2);
        let fb = Customer::named("x");
        let ann = data.customer(0, &mut rng(), &fb);
        assert_eq!(ann.nickname, "Ann");
        assert_eq!(ann.first_name, "Ann");
        assert_eq!(ann.email, "ann@x.test");
        assert_eq!(ann.user_data, [("segment".into(), "gold".into())]);
        assert_eq!(ann.messages, ["hi", "a, b"]);
        let bob = data.customer(1, &mut rng(), &fb);
        assert_eq!((bob.nickname.as_str(), bob.user_data.len()), ("Bob", 0));
        assert_eq!(data.customer(2, &mut rng(), &fb).nickname, "Ann");
    }

    #[test]
    fn jsonl_rows_read_nested_and_flat_keys() {
        let (_d, p) = write(
            "c.jsonl",
            b"{\"nickname\":\"Ann\",\"userData\":{\"segment\":\"gold\"},\"userData.lang\":\"fr\",\"messages\":[\"hi\"]}\n\n{\"nickname\":\"Bob\",\"subject\":\"billing\"}\n",
        );
        let data = CustomerData::load(&p, Order::Random).unwrap();
        assert_eq!(data.rows(), 2);
        let fb = Customer::named("x");
        let mut r = rng();
        let seen: std::collections::BTreeSet<String> = (0..50)
            .map(|i| data.customer(i, &mut r, &fb).nickname)
            .collect();
        assert_eq!(seen.len(), 2, "random order reaches every row");
        let data = CustomerData::load(&p, Order::Sequential).unwrap();
        let ann = data.customer(0, &mut rng(), &fb);
        assert_eq!(ann.user_data.len(), 2);
        assert_eq!(ann.messages, ["hi"]);
        assert_eq!(data.customer(1, &mut rng(), &fb).subject, "billing");
    }

    #[test]
    fn bad_csv_files_name_the_place() {
        assert!(err("c.csv", b"email\nx\n").starts_with(":1:1: no 'nickname' column"));
        let e = err("c.csv", b"nickname,phone\nAnn,1\n");
        assert!(e.starts_with(":1:10: unknown column 'phone'"), "{e}");
        let e = err("c.csv", b"nickname,email\nAnn,a\xff\n");
        assert!(e.starts_with(":2:6: not valid UTF-8"), "{e}");
        let long = format!(
            "nickname,subject\nAnn,{}\n",
            "x".repeat(MAX_VALUE_CHARS + 1)
        );
        let e = err("c.csv", long.as_bytes());
        assert!(e.starts_with(":2:5: subject: 4097 characters"), "{e}");
        let e = err("c.csv", b"nickname,email\nAnn\n");
        assert!(
            e.starts_with(":2:1: 1 fields where the header has 2"),
            "{e}"
        );
        let e = err("c.csv", b"nickname\n\"\"\n");
        assert!(e.contains("nickname: empty"), "{e}");
        assert!(err("c.csv", b"nickname\n").contains("no customer rows"));
    }

    #[test]
    fn bad_jsonl_files_name_the_place() {
        let e = err(
            "c.jsonl",
            b"{\"nickname\":\"a\"}\n{\"nickname\":\"b\",\"phone\":\"1\"}\n",
        );
        assert!(e.starts_with(":2:17: unknown key 'phone'"), "{e}");
        let e = err("c.jsonl", b"{\"nickname\":\"a\",\n");
        assert!(e.starts_with(":1:"), "{e}");
        assert!(e.contains("not a JSON object"), "{e}");
        let e = err("c.jsonl", b"{\"email\":\"a\"}\n");
        assert!(e.contains("no 'nickname'"), "{e}");
        let e = err("c.jsonl", b"{\"nickname\":\"a\",\"subject\":3}\n");
        assert!(e.starts_with(":1:17: subject: must be a string"), "{e}");
        let e = err("c.jsonl", b"{\"nickname\":\"\xc3\"}\n");
        assert!(e.starts_with(":1:14: not valid UTF-8"), "{e}");
        let e = err("missing.csv", b"");
        assert!(e.contains("the file is empty"), "{e}");
    }
}
