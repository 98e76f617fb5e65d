//! Threshold expression syntax: `METRIC [SELECTOR] OP VALUE`, lexed by hand with byte positions.
//!
//! This layer knows only the shape of an expression, not which metrics exist
//! or which units fit them (that is [`super::metrics`]). Every error carries
//! the byte offset where it was found; [`ExprError::into_usage`] turns it into
//! a 1-based column for the user.
//!
//! ```text
//! threshold := METRIC [SELECTOR] OP VALUE
//! METRIC    := name ('.' name)*          name = [A-Za-z0-9_]+
//! SELECTOR  := '{' 'profile' '=' NAME '}'   NAME = a profile name, or one in double quotes
//! OP        := '<' | '<=' | '>' | '>=' | '==' | '!='
//! VALUE     := NUMBER [UNIT] | NUMBER '%' 'flex' | NUMBER 'flex' | WORD
//! UNIT      := 'us' | 'ms' | 's' | 'm' | '%' | '/s'
//! ```

use crate::error::UsageError;
use std::fmt;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// Whether `observed OP limit` holds.
    pub fn holds(self, observed: f64, limit: f64) -> bool {
        match self {
            CmpOp::Lt => observed < limit,
            CmpOp::Le => observed <= limit,
            CmpOp::Gt => observed > limit,
            CmpOp::Ge => observed >= limit,
            CmpOp::Eq => observed == limit,
            CmpOp::Ne => observed != limit,
        }
    }

    fn parse(s: &str) -> Option<CmpOp> {
        Some(match s {
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            "==" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            _ => return None,
        })
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The right-hand side of a threshold, normalised to base units.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A number without unit.
    Number(f64),
    /// A duration, in milliseconds.
    Duration(f64),
    /// A percentage, as a fraction (`5%` is 0.05).
    Percent(f64),
    /// A rate per second (`5000/s`).
    PerSecond(f64),
    /// A fraction of the flex-disconnect-timeout (`80% flex` is 0.8).
    Flex(f64),
    /// A bare word (`ok`, `overloaded`).
    Word(String),
}

impl Literal {
    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Literal::Number(_) => "a plain number",
            Literal::Duration(_) => "a duration",
            Literal::Percent(_) => "a percentage",
            Literal::PerSecond(_) => "a rate per second",
            Literal::Flex(_) => "a fraction of flex-disconnect-timeout",
            Literal::Word(_) => "a word",
        }
    }
}

/// A `{profile=NAME}` selector after the metric name.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    /// The profile name, trimmed (without its quotes, when quoted).
    pub profile: String,
    /// Byte offset of the `{`.
    pub open_at: usize,
    /// Byte offset of the name.
    pub name_at: usize,
}

/// The selector text for `profile`: `{profile=NAME}`, quoted when the name holds a `}` or
/// spaces at its ends; [`parse_raw`] reads it back as the same name.
pub fn selector_text(profile: &str) -> String {
    if profile.contains('}') || profile.trim() != profile {
        format!("{{profile=\"{profile}\"}}")
    } else {
        format!("{{profile={profile}}}")
    }
}

/// A syntactically valid expression, before its metric and units are checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RawExpr {
    /// Metric name as written.
    pub metric: String,
    /// Byte offset of the metric name.
    pub metric_at: usize,
    /// The `{profile=NAME}` selector, if any.
    pub selector: Option<Selector>,
    /// The operator.
    pub op: CmpOp,
    /// Byte offset of the operator.
    pub op_at: usize,
    /// The value.
    pub value: Literal,
    /// Byte offset of the value.
    pub value_at: usize,
}

/// A syntax or meaning error at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// Byte offset of the offending token.
    pub at: usize,
    /// What is wrong and what is expected.
    pub message: String,
}

impl ExprError {
    /// An error at byte offset `at`.
    pub fn new(at: usize, message: impl Into<String>) -> Self {
        ExprError {
            at,
            message: message.into(),
        }
    }

    /// `threshold 'EXPR' at column N: MESSAGE`, N counted in characters from 1.
    pub fn into_usage(self, expr: &str) -> UsageError {
        let at = self.at.min(expr.len());
        let column = expr.get(..at).map_or(at, |s| s.chars().count()) + 1;
        UsageError::new(format!(
            "threshold '{expr}' at column {column}: {}",
            self.message
        ))
    }
}

const UNITS_HINT: &str = "expected us, ms, s, m, %, /s, '% flex' or a plain number";
const SHAPE_HINT: &str = "a threshold is METRIC OP VALUE, e.g. 'poll.p99 < 300ms'";
const SELECTOR_HINT: &str = "a selector is {profile=NAME}, e.g. 'poll.p99{profile=lurker} < 300ms'";

/// A cursor over the expression text.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    /// Consume characters while `keep` holds; return the slice and its start.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> (&'a str, usize) {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        (&self.src[start..self.pos], start)
    }

    /// `'token'`, or `the end`, for "but found ..." messages.
    fn found(&self) -> String {
        match self.peek() {
            None => "the end".to_string(),
            Some(_) => format!("'{}'", self.token_here()),
        }
    }

    /// The rest of the current token, for "found 'x'" messages.
    fn token_here(&self) -> &'a str {
        let rest = &self.src[self.pos..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        &rest[..end.max(rest.chars().next().map_or(0, char::len_utf8))]
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Parse the shape of an expression.
pub fn parse_raw(src: &str) -> Result<RawExpr, ExprError> {
    let mut lx = Lexer { src, pos: 0 };
    lx.skip_ws();
    if lx.peek().is_none() {
        return Err(ExprError::new(0, format!("empty threshold; {SHAPE_HINT}")));
    }
    let (metric, metric_at) = lx.take_while(is_name_char);
    if metric.is_empty() {
        return Err(ExprError::new(
            lx.pos,
            format!(
                "expected a metric name but found '{}'; {SHAPE_HINT}",
                lx.token_here()
            ),
        ));
    }
    lx.skip_ws();
    let selector = parse_selector(&mut lx)?;
    lx.skip_ws();
    let (op_text, op_at) = lx.take_while(|c| matches!(c, '<' | '>' | '=' | '!'));
    if op_text.is_empty() {
        let after = match &selector {
            Some(sel) => format!("{metric}{}", selector_text(&sel.profile)),
            None => metric.to_string(),
        };
        return Err(ExprError::new(
            lx.pos,
            format!(
                "expected a comparison (< <= > >= == !=) after '{after}' but found {}",
                lx.found()
            ),
        ));
    }
    let op = CmpOp::parse(op_text).ok_or_else(|| {
        ExprError::new(
            op_at,
            format!("unknown operator '{op_text}'; expected one of < <= > >= == !="),
        )
    })?;
    lx.skip_ws();
    let value_at = lx.pos;
    let value = parse_value(&mut lx, op)?;
    lx.skip_ws();
    if lx.peek().is_some() {
        return Err(ExprError::new(
            lx.pos,
            format!(
                "unexpected '{}' after the value; {SHAPE_HINT} (one comparison per threshold)",
                &src[lx.pos..]
            ),
        ));
    }
    Ok(RawExpr {
        metric: metric.to_string(),
        metric_at,
        selector,
        op,
        op_at,
        value,
        value_at,
    })
}

/// `{profile=NAME}` at the cursor (spaces allowed inside), or None when no `{` follows.
fn parse_selector(lx: &mut Lexer<'_>) -> Result<Option<Selector>, ExprError> {
    if lx.peek() != Some('{') {
        return Ok(None);
    }
    let open_at = lx.pos;
    lx.bump();
    lx.skip_ws();
    let (label, label_at) = lx.take_while(|c| c.is_alphanumeric() || c == '_');
    if label.is_empty() {
        return Err(ExprError::new(
            lx.pos,
            format!(
                "expected the label 'profile' but found {}; {SELECTOR_HINT}",
                lx.found()
            ),
        ));
    }
    lx.skip_ws();
    if lx.peek() == Some('}') && label != "profile" {
        return Err(ExprError::new(
            label_at,
            format!("a selector names its label: write {{profile={label}}}"),
        ));
    }
    if label != "profile" {
        return Err(ExprError::new(
            label_at,
            format!("unknown label '{label}'; only 'profile' can be selected: {SELECTOR_HINT}"),
        ));
    }
    let (eq, eq_at) = lx.take_while(|c| matches!(c, '=' | '!' | '~'));
    if eq != "=" {
        let found = if eq.is_empty() {
            lx.found()
        } else {
            format!("'{eq}'")
        };
        return Err(ExprError::new(
            eq_at,
            format!("expected '=' after 'profile' but found {found}; {SELECTOR_HINT}"),
        ));
    }
    lx.skip_ws();
    let (profile, name_at) = if lx.peek() == Some('"') {
        lx.bump();
        let (name, at) = lx.take_while(|c| c != '"');
        if lx.peek().is_none() {
            return Err(ExprError::new(
                at - 1,
                "unclosed quote in the profile name; write {profile=\"NAME\"}",
            ));
        }
        lx.bump();
        (name, at)
    } else {
        let (name, at) = lx.take_while(|c| !matches!(c, '}' | ',' | '"'));
        (name.trim_end(), at)
    };
    if profile.is_empty() {
        return Err(ExprError::new(
            name_at,
            format!("the profile name is empty; {SELECTOR_HINT}"),
        ));
    }
    lx.skip_ws();
    match lx.peek() {
        Some('}') => lx.bump(),
        Some(',') => {
            return Err(ExprError::new(
                lx.pos,
                format!("one label per selector; only 'profile' can be selected: {SELECTOR_HINT}"),
            ))
        }
        _ => {
            // Point after the name's first word: `{profile=lurker < 1s` lacks its brace there.
            let word = profile.find(char::is_whitespace).unwrap_or(profile.len());
            return Err(ExprError::new(
                name_at + word,
                format!(
                    "missing '}}' after the profile name '{}'; {SELECTOR_HINT}",
                    &profile[..word]
                ),
            ));
        }
    }
    Ok(Some(Selector {
        profile: profile.to_string(),
        open_at,
        name_at,
    }))
}

fn parse_value(lx: &mut Lexer<'_>, op: CmpOp) -> Result<Literal, ExprError> {
    match lx.peek() {
        None => Err(ExprError::new(
            lx.pos,
            format!("missing value after '{op}'; expected a number like 300ms, 0.5% or 5000/s, or a word like ok"),
        )),
        Some(c) if c.is_ascii_digit() || c == '.' => parse_number(lx),
        Some(c) if c.is_alphabetic() => {
            let (word, _) = lx.take_while(|c| c.is_alphanumeric() || c == '_');
            Ok(Literal::Word(word.to_string()))
        }
        Some(_) => Err(ExprError::new(
            lx.pos,
            format!(
                "expected a value but found '{}'; use a number like 300ms, 0.5% or 5000/s, or a word like ok",
                lx.token_here()
            ),
        )),
    }
}

/// `text` scaled by 10^`exp`, parsed in one step so `0.1%` is exactly `0.001`.
fn scaled(text: &str, exp: i32) -> f64 {
    format!("{text}e{exp}").parse().unwrap_or(f64::NAN)
}

fn parse_number(lx: &mut Lexer<'_>) -> Result<Literal, ExprError> {
    let (text, at) = lx.take_while(|c| c.is_ascii_digit() || c == '.');
    let number: f64 = text
        .parse()
        .map_err(|_| ExprError::new(at, format!("malformed number '{text}'")))?;
    let after_number = lx.pos;
    lx.skip_ws();
    let unit_at = lx.pos;
    let unit = match lx.peek() {
        Some('%') => {
            lx.bump();
            "%"
        }
        Some('/') => {
            lx.bump();
            let (rest, _) = lx.take_while(char::is_alphabetic);
            &lx.src[unit_at..unit_at + 1 + rest.len()]
        }
        Some(c) if c.is_alphabetic() => lx.take_while(char::is_alphanumeric).0,
        _ => "",
    };
    let literal = match unit {
        "" => Literal::Number(number),
        "us" | "µs" => Literal::Duration(scaled(text, -3)),
        "ms" => Literal::Duration(number),
        "s" => Literal::Duration(scaled(text, 3)),
        "m" | "min" => Literal::Duration(number * 60_000.0),
        "%" => Literal::Percent(scaled(text, -2)),
        "/s" => Literal::PerSecond(number),
        "flex" => return Ok(Literal::Flex(number)),
        other => {
            return Err(ExprError::new(
                unit_at,
                format!("unknown unit '{other}'; {UNITS_HINT}"),
            ))
        }
    };
    if unit.is_empty() && unit_at != after_number {
        // Whitespace and then nothing we know: leave it for the trailing-text check.
        lx.pos = after_number;
    }
    if let Literal::Percent(fraction) = literal {
        let before_flex = lx.pos;
        lx.skip_ws();
        if lx.take_while(char::is_alphanumeric).0 == "flex" {
            return Ok(Literal::Flex(fraction));
        }
        lx.pos = before_flex;
    }
    Ok(literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column_of(expr: &str) -> (usize, String) {
        let err = parse_raw(expr).unwrap_err();
        let msg = err.clone().into_usage(expr).0;
        (expr[..err.at].chars().count() + 1, msg)
    }

    #[test]
    fn parses_every_value_form() {
        let v = |s: &str| parse_raw(s).unwrap().value;
        assert_eq!(v("poll.p99 < 300ms"), Literal::Duration(300.0));
        assert_eq!(v("poll.p99 < 1.5s"), Literal::Duration(1500.0));
        assert_eq!(v("poll.p99<250us"), Literal::Duration(0.25));
        assert_eq!(v("gaps.max < 2m"), Literal::Duration(120_000.0));
        assert_eq!(v("errors.rate < 0.1%"), Literal::Percent(0.001));
        assert_eq!(v("requests.rate >= 5000/s"), Literal::PerSecond(5000.0));
        assert_eq!(v("gaps.max < 80% flex"), Literal::Flex(0.8));
        assert_eq!(v("gaps.max < 0.5 flex"), Literal::Flex(0.5));
        assert_eq!(v("sessions.flagged == 0"), Literal::Number(0.0));
        assert_eq!(v("poll.p99 < 300 ms"), Literal::Duration(300.0));
        assert_eq!(
            v("generator.verdict == ok"),
            Literal::Word("ok".to_string())
        );
    }

    #[test]
    fn parses_operators_and_positions() {
        let e = parse_raw("  send.service_time.p999   <=  1s ").unwrap();
        assert_eq!(e.metric, "send.service_time.p999");
        assert_eq!(
            (e.metric_at, e.op, e.op_at, e.value_at),
            (2, CmpOp::Le, 27, 31)
        );
        for (s, op) in [("<", CmpOp::Lt), (">", CmpOp::Gt), (">=", CmpOp::Ge)] {
            assert_eq!(parse_raw(&format!("a {s} 1")).unwrap().op, op);
        }
        assert_eq!(parse_raw("a!=1").unwrap().op, CmpOp::Ne);
        assert_eq!(parse_raw("a==1").unwrap().op, CmpOp::Eq);
    }

    #[test]
    fn errors_carry_their_column() {
        let (col, msg) = column_of("poll.p99 < 30x");
        assert_eq!(col, 14);
        assert_eq!(
            msg,
            "threshold 'poll.p99 < 30x' at column 14: unknown unit 'x'; \
             expected us, ms, s, m, %, /s, '% flex' or a plain number"
        );
        assert_eq!(column_of("poll.p99 = 3ms").0, 10);
        assert!(column_of("poll.p99 = 3ms")
            .1
            .contains("unknown operator '='"));
        assert_eq!(column_of("poll.p99 3ms").0, 10);
        assert_eq!(column_of("poll.p99 <").0, 11);
        assert!(column_of("poll.p99 <")
            .1
            .contains("missing value after '<'"));
        assert_eq!(column_of("poll.p99 < 3ms and x").0, 16);
        assert_eq!(column_of("< 3ms").0, 1);
        assert_eq!(column_of("   ").0, 1);
        assert_eq!(column_of("poll.p99 < 1.2.3ms").0, 12);
        assert_eq!(column_of("poll.p99 < -3ms").0, 12);
        assert_eq!(column_of("poll.p99 < 3/h").0, 13);
        // Columns count characters, not bytes.
        assert_eq!(column_of("é.p99 < 3ms").0, 1);
        assert_eq!(column_of("poll.p99 < 3µm").0, 13);
    }

    #[test]
    fn selectors_parse_with_spaces_and_quotes_and_format_back() {
        let sel = |s: &str| parse_raw(s).unwrap().selector.unwrap();
        let e = parse_raw("poll.p99{profile=lurker} < 300ms").unwrap();
        assert_eq!((e.metric.as_str(), e.op_at), ("poll.p99", 25));
        let s = e.selector.unwrap();
        assert_eq!(
            (s.profile.as_str(), s.open_at, s.name_at),
            ("lurker", 8, 17)
        );
        assert_eq!(
            sel("poll.p99 { profile = night owl } <1s").profile,
            "night owl"
        );
        assert_eq!(sel("poll.p99{profile=\"a}b\"}<1s").profile, "a}b");
        assert_eq!(parse_raw("poll.p99 < 1s").unwrap().selector, None);
        for name in ["lurker", "night owl", "a}b", "é-ü_9", "x{y"] {
            let text = format!("asa{} > 1s", selector_text(name));
            assert_eq!(sel(&text).profile, name, "{text}");
        }
        assert_eq!(selector_text("lurker"), "{profile=lurker}");
        assert_eq!(selector_text("a}b"), "{profile=\"a}b\"}");
    }

    #[test]
    fn selector_errors_carry_their_column() {
        let cases = [
            (
                "poll.p99{region=eu} < 3ms",
                10,
                "unknown label 'region'; only 'profile' can be selected",
            ),
            (
                "poll.p99{lurker} < 3ms",
                10,
                "a selector names its label: write {profile=lurker}",
            ),
            (
                "poll.p99{profile=lurker < 3ms",
                24,
                "missing '}' after the profile name 'lurker'",
            ),
            (
                "poll.p99{profile=lurker",
                24,
                "missing '}' after the profile name 'lurker'",
            ),
            (
                "poll.p99{profile=a,b=c} < 3ms",
                19,
                "one label per selector",
            ),
            (
                "poll.p99{profile==a} < 3ms",
                17,
                "expected '=' after 'profile' but found '=='",
            ),
            (
                "poll.p99{profile!=a} < 3ms",
                17,
                "expected '=' after 'profile' but found '!='",
            ),
            (
                "poll.p99{profile a} < 3ms",
                18,
                "expected '=' after 'profile' but found 'a}'",
            ),
            ("poll.p99{profile=} < 3ms", 18, "the profile name is empty"),
            (
                "poll.p99{profile=\"ab < 3ms",
                18,
                "unclosed quote in the profile name",
            ),
            (
                "poll.p99{} < 3ms",
                10,
                "expected the label 'profile' but found '}'",
            ),
            (
                "poll.p99{",
                10,
                "expected the label 'profile' but found the end",
            ),
            (
                "poll.p99{profile=a} 3ms",
                21,
                "after 'poll.p99{profile=a}' but found '3ms'",
            ),
        ];
        for (expr, col, want) in cases {
            let (got_col, msg) = column_of(expr);
            assert!(msg.contains(want), "{expr}: {msg}");
            assert_eq!(got_col, col, "{expr}: {msg}");
        }
    }
}
