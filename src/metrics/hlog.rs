//! The standard HdrHistogram encodings: base64 of the compressed V2 form (summary.json's
//! `histograms`, events.jsonl) and the interval log `latency.hlog`, both with the
//! `hdrhistogram` crate's serializers and log writer/reader.
//!
//! latency.hlog: a `#[StartTime: ..]` and `#[BaseTime: ..]` header (seconds since the epoch,
//! the run's start), the column legend, then per interval and operation one line tagged
//! `Tag=<operation>` (corrected latency, µs) and one tagged `Tag=<operation>.service`
//! (service time, µs). Interval timestamps are seconds since BaseTime. A run with
//! `[[customers]]` profiles adds, after the run's lines, the same two lines per profile and
//! operation tagged `<tag>@<profile>` (`poll@lurker`, `poll.service@lurker`), the name with
//! `%`, commas and white space percent-encoded (tags may not hold them), so any
//! HdrHistogram log reader reads them and selects them by tag.

use super::recorder::{new_histogram, Recorder};
use crate::protocol::Operation;
use base64::Engine;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use std::time::{Duration, SystemTime};

/// Tag suffix of the service-time histograms.
pub const SERVICE_SUFFIX: &str = ".service";
/// Separator of a per-profile tag: `<operation>[.service]@<profile>`.
pub const PROFILE_SEPARATOR: char = '@';
/// The column legend of the Java and Python implementations.
const LEGEND: &str =
    "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";

/// Base64 of the compressed V2 encoding of `h`.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    // Serialising into a Vec cannot fail for histograms of our bounds.
    let _ = V2DeflateSerializer::new().serialize(h, &mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decode [`encode`]'s text (any V2 or V2 compressed histogram), widened to our bounds.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    let h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("not an HdrHistogram V2 encoding: {e:?}"))?;
    let mut out = new_histogram();
    out.add(&h)
        .map_err(|e| format!("values out of range: {e:?}"))?;
    Ok(out)
}

/// The header of latency.hlog for a run that started at `start`.
pub fn header(start: SystemTime) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut ser = V2DeflateSerializer::new();
    let built = IntervalLogWriterBuilder::new()
        .add_comment("chatload latency log: Tag=<operation> corrected latency (µs), Tag=<operation>.service service time (µs), Tag=<operation>[.service]@<profile> per customer profile")
        .with_start_time(start)
        .with_base_time(start)
        .begin_log_with(&mut buf, &mut ser)
        .map(drop);
    debug_assert!(built.is_ok());
    buf.extend_from_slice(LEGEND.as_bytes());
    buf
}

/// The log lines of one interval (`from` seconds after the start, `len` long): both
/// views of every operation recorded in `delta`, operations in [`Operation::ALL`] order,
/// then the same for each profile of `delta` named in `profiles` (by index).
pub fn interval_lines(
    delta: &Recorder,
    profiles: &[String],
    from: Duration,
    len: Duration,
) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut ser = V2DeflateSerializer::new();
    let Ok(mut w) = IntervalLogWriterBuilder::new().begin_log_with(&mut buf, &mut ser) else {
        return Vec::new();
    };
    let named = profiles
        .iter()
        .map(|n| format!("{PROFILE_SEPARATOR}{}", escape(n)));
    let all = std::iter::once((delta, String::new())).chain(delta.profiles.iter().zip(named));
    for (r, profile) in all {
        for op in Operation::ALL {
            let Some(h) = r.op(op) else { continue };
            let corrected = format!("{}{profile}", op.as_str());
            let service = format!("{}{SERVICE_SUFFIX}{profile}", op.as_str());
            for (hist, tag) in [(&h.corrected, corrected), (&h.service, service)] {
                let _ = w.write_histogram(hist, from, len, Tag::new(&tag));
            }
        }
    }
    drop(w);
    buf
}

/// A profile name as a tag may hold it: `%`, `,` and white space as `%XX` (UTF-8 bytes).
fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c == '%' || c == ',' || c.is_whitespace() {
            let mut b = [0; 4];
            for byte in c.encode_utf8(&mut b).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The name [`escape`] encoded (a malformed escape is kept as it is).
fn unescape(tag: &str) -> String {
    let bytes = tag.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A tag split into its operation tag (`poll`, `poll.service`) and profile name, if any.
pub fn split_tag(tag: &str) -> (&str, Option<String>) {
    match tag.split_once(PROFILE_SEPARATOR) {
        Some((op, profile)) => (op, Some(unescape(profile))),
        None => (tag, None),
    }
}

/// One decoded interval histogram of a log.
#[derive(Debug)]
pub struct LogInterval {
    /// Tag (`poll`, `poll.service`, ...; empty when untagged).
    pub tag: String,
    /// Start, seconds since BaseTime.
    pub start: Duration,
    /// Length.
    pub len: Duration,
    /// The histogram.
    pub hist: Histogram<u64>,
}

/// Every interval histogram of a log. A torn last line (the process died while writing
/// it) ends the read without error; any other damage is an error naming the line.
pub fn read_log(text: &[u8]) -> Result<Vec<LogInterval>, String> {
    let complete = match text.iter().rposition(|&b| b == b'\n') {
        Some(i) => &text[..=i],
        None => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for (i, entry) in IntervalLogIterator::new(complete).enumerate() {
        match entry {
            Ok(LogEntry::Interval(h)) => {
                let hist = decode(h.encoded_histogram())
                    .map_err(|e| format!("histogram {}: {e}", i + 1))?;
                out.push(LogInterval {
                    tag: h.tag().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    start: h.start_timestamp(),
                    len: h.duration(),
                    hist,
                });
            }
            Ok(_) => {}
            Err(e) => return Err(format!("entry {}: {e:?}", i + 1)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Outcome;

    #[test]
    fn encode_decode_round_trip_is_exact() {
        let mut h = new_histogram();
        for v in [1, 7, 999, 50_000, 3_000_000, 3_600_000_000] {
            h.record(v).unwrap();
        }
        assert_eq!(decode(&encode(&h)).unwrap(), h);
        assert!(decode("not base64!").unwrap_err().contains("base64"));
        assert!(decode("AAAA").is_err());
    }

    #[test]
    fn the_log_reads_back_with_tags_and_counts() {
        let ok = Outcome::Response {
            http_status: 200,
            status_code: Some(0),
            chat_ended: Some(false),
        };
        let mut r = Recorder::new();
        for i in 0..100 {
            r.record_request(Operation::Poll, 1000 + i, 500 + i, &ok, false);
        }
        r.record_request(Operation::Send, 20_000, 10_000, &ok, false);
        let mut log = header(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        log.extend(interval_lines(
            &r,
            &[],
            Duration::from_secs(3),
            Duration::from_secs(1),
        ));
        let text = String::from_utf8(log.clone()).unwrap();
        assert!(text.contains("#[StartTime: 1700000000.000"), "{text}");
        assert!(text.contains("#[BaseTime: 1700000000.000"), "{text}");
        assert!(text.contains("\"StartTimestamp\",\"Interval_Length\""));
        let back = read_log(&log).unwrap();
        let tags: Vec<_> = back
            .iter()
            .map(|i| (i.tag.as_str(), i.hist.len()))
            .collect();
        assert_eq!(
            tags,
            [
                ("poll", 100),
                ("poll.service", 100),
                ("send", 1),
                ("send.service", 1)
            ]
        );
        assert_eq!(back[0].start, Duration::from_secs(3));
        assert_eq!(back[0].hist, r.op(Operation::Poll).unwrap().corrected);
        // A torn last line is ignored.
        let torn = &log[..log.len() - 10];
        assert_eq!(read_log(torn).unwrap().len(), 3);
    }

    #[test]
    fn profile_lines_are_tagged_with_the_escaped_name_and_read_back() {
        let ok = Outcome::Response {
            http_status: 200,
            status_code: Some(0),
            chat_ended: Some(false),
        };
        let mut r = Recorder::new();
        r.record_request(Operation::Poll, 1000, 500, &ok, false);
        for _ in 0..3 {
            r.profile_mut(1)
                .record_request(Operation::Poll, 1000, 500, &ok, false);
        }
        let names = ["a".to_string(), "idle 50%,x".to_string()];
        let lines = interval_lines(&r, &names, Duration::ZERO, Duration::from_secs(1));
        let text = String::from_utf8(lines.clone()).unwrap();
        assert!(text.contains("Tag=poll@idle%2050%25%2Cx,"), "{text}");
        assert!(
            text.contains("Tag=poll.service@idle%2050%25%2Cx,"),
            "{text}"
        );
        let back = read_log(&lines).unwrap();
        let tags: Vec<_> = back
            .iter()
            .map(|i| (split_tag(&i.tag), i.hist.len()))
            .collect();
        let idle = Some("idle 50%,x".to_string());
        assert_eq!(
            tags,
            [
                (("poll", None), 1),
                (("poll.service", None), 1),
                (("poll", idle.clone()), 3),
                (("poll.service", idle), 3),
            ]
        );
        assert_eq!(unescape("100%"), "100%");
        assert_eq!(unescape("%e2%80%83"), "\u{2003}");
    }
}
