//! The `--set` family, parsed with the behaviour of Helm's `strvals` package: `a.b=c,d[0]=e`,
//! `{x,y}` lists, backslash escapes, `--set` typing (`true`/`false`/`null`/int64, anything with
//! a leading zero stays a string), applied directly onto the merged user values.

use super::{Kind, Map, SetKind, Value, ValuesError};
use crate::source::{Pos, SourceId, SourceKind, Sources, Span};

/// Helm's limits: list indices and nesting of names.
const MAX_INDEX: usize = 65536;
const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Our limit on the empty items list indices add in one argument (Helm has none): nested
/// indices multiply, and `a[65536][65536]...=1` would take gigabytes.
const MAX_PADDING: usize = 4 * (MAX_INDEX + 1);

/// Apply one `--set`-family argument (the text of source `id`) onto `base`.
pub fn apply(
    base: &mut Map,
    sources: &mut Sources,
    id: SourceId,
    kind: SetKind,
) -> Result<(), ValuesError> {
    let arg = sources.text(id).to_string();
    let mut parser = Parser {
        chars: arg.chars().collect(),
        at: 0,
        source: id,
        kind,
        files: Vec::new(),
        padded: 0,
        depth: 0,
    };
    let result = parser.run(base);
    // --set-file contents become sources of their own, so values point at the file.
    for (path, text) in parser.files.drain(..) {
        sources.add(path, text, SourceKind::SetFile { flag: kind.flag() });
    }
    result.map_err(|(message, at)| {
        // At the end of the argument, the span is empty: there is no character to mark.
        let len = arg.chars().count();
        let at = at.min(len);
        ValuesError::Set {
            flag: kind.flag(),
            arg: arg.clone(),
            message,
            span: Some(parser_span(id, at, (at + 1).min(len))),
        }
    })
}

fn parser_span(source: SourceId, start: usize, end: usize) -> Span {
    let pos = |i: usize| Pos {
        line: 1,
        col: i as u32 + 1,
        index: i,
    };
    Span {
        source,
        start: pos(start),
        end: pos(end.max(start)),
    }
}

type PResult<T> = Result<T, (String, usize)>;

/// Outcome of reading runes up to a stop character.
enum Stop {
    Char(char),
    Eof,
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    source: SourceId,
    kind: SetKind,
    files: Vec<(String, String)>,
    /// Empty items added so far by list indices (see [`MAX_PADDING`]).
    padded: usize,
    /// Lists being filled (see [`Parser::list_item`]).
    depth: usize,
}

impl Parser {
    fn span(&self, start: usize, end: usize) -> Span {
        parser_span(self.source, start, end)
    }

    fn run(&mut self, data: &mut Map) -> PResult<()> {
        loop {
            if self.at >= self.chars.len() {
                return Ok(());
            }
            if !self.key(data, 0)? {
                return Ok(());
            }
        }
    }

    /// Read until an unescaped stop character; a backslash takes the next character literally.
    fn until(&mut self, stops: &[char]) -> (String, Stop, usize) {
        let start = self.at;
        let mut out = String::new();
        while self.at < self.chars.len() {
            let c = self.chars[self.at];
            self.at += 1;
            if c == '\\' {
                if self.at < self.chars.len() {
                    out.push(self.chars[self.at]);
                    self.at += 1;
                }
                continue;
            }
            if stops.contains(&c) {
                return (out, Stop::Char(c), start);
            }
            out.push(c);
        }
        (out, Stop::Eof, start)
    }

    /// Parse one `key...=value`. Returns false at the end of input.
    fn key(&mut self, data: &mut Map, level: usize) -> PResult<bool> {
        let (key, stop, key_start) = self.until(&['=', '[', ',', '.']);
        let key_span = self.span(key_start, key_start + key.chars().count());
        match stop {
            Stop::Eof if key.is_empty() => Ok(false),
            Stop::Eof => Err((format!("key {key:?} has no value"), key_start)),
            Stop::Char(',') => {
                set(
                    data,
                    &key,
                    Value::new(Kind::Str(String::new()), Some(key_span)),
                    key_span,
                );
                Err((
                    format!("key {key:?} has no value (cannot end with ,)"),
                    key_start,
                ))
            }
            Stop::Char('[') => {
                let index = self.index()?;
                let list = match data.shift_remove(&key) {
                    Some(Value {
                        kind: Kind::List(items),
                        ..
                    }) => items,
                    _ => Vec::new(),
                };
                let (list, more) = self.list_item(list, index, level)?;
                set(
                    data,
                    &key,
                    Value::new(Kind::List(list), Some(key_span)),
                    key_span,
                );
                Ok(more)
            }
            Stop::Char('.') => {
                if level + 1 > MAX_NESTED_NAME_LEVEL {
                    return Err((
                        format!(
                            "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                        ),
                        key_start,
                    ));
                }
                let mut inner = match data.get(&key) {
                    Some(Value {
                        kind: Kind::Map(m), ..
                    }) => m.clone(),
                    _ => Map::new(),
                };
                let more = self.key(&mut inner, level + 1)?;
                if inner.is_empty() {
                    return Err((format!("key map {key:?} has no value"), key_start));
                }
                let span = data.get(&key).and_then(|v| v.span).unwrap_or(key_span);
                set(
                    data,
                    &key,
                    Value::new(Kind::Map(inner), Some(span)),
                    key_span,
                );
                Ok(more)
            }
            Stop::Char(_) => {
                let (value, more) = self.value()?;
                set(data, &key, value, key_span);
                Ok(more)
            }
        }
    }

    /// After `=`: a `{a,b}` list, JSON for `--set-json`, the rest for `--set-literal`, or a
    /// scalar up to the next `,`. Returns the value and whether input continues.
    fn value(&mut self) -> PResult<(Value, bool)> {
        let start = self.at;
        match self.kind {
            SetKind::Json => return self.json_value(),
            SetKind::Literal => {
                let text: String = self.chars[self.at..].iter().collect();
                self.at = self.chars.len();
                return Ok((
                    Value::new(
                        Kind::Str(text.clone()),
                        Some(self.span(start, start + text.chars().count())),
                    ),
                    false,
                ));
            }
            _ => {}
        }
        if self.at >= self.chars.len() {
            return Ok((
                Value::new(Kind::Str(String::new()), Some(self.span(start, start))),
                false,
            ));
        }
        if self.chars[self.at] == '{' {
            self.at += 1;
            let mut items = Vec::new();
            loop {
                let (text, stop, item_start) = self.until(&[',', '}']);
                match stop {
                    Stop::Eof => return Err(("list must terminate with '}'".into(), start)),
                    Stop::Char('}') => {
                        items.push(self.typed(text, item_start)?);
                        if self.at < self.chars.len() && self.chars[self.at] == ',' {
                            self.at += 1;
                        }
                        return Ok((
                            Value::new(Kind::List(items), Some(self.span(start, self.at))),
                            true,
                        ));
                    }
                    Stop::Char(_) => items.push(self.typed(text, item_start)?),
                }
            }
        }
        let (text, stop, value_start) = self.until(&[',']);
        let value = self.typed(text, value_start)?;
        Ok((value, matches!(stop, Stop::Char(_))))
    }

    fn typed(&mut self, text: String, start: usize) -> PResult<Value> {
        let span = Some(self.span(start, start + text.chars().count()));
        let kind = match self.kind {
            SetKind::Typed => typed_value(&text),
            SetKind::File => {
                let content = std::fs::read_to_string(&text).map_err(|e| {
                    (
                        format!("cannot read file {text:?}: {}", super::io_message(&e)),
                        start,
                    )
                })?;
                self.files.push((text, content.clone()));
                Kind::Str(content)
            }
            _ => Kind::Str(text),
        };
        Ok(Value::new(kind, span))
    }

    /// `--set-json`: one JSON value, then `,` or the end.
    fn json_value(&mut self) -> PResult<(Value, bool)> {
        let start = self.at;
        let rest: String = self.chars[self.at..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<serde_json::Value>();
        let json = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err((format!("invalid JSON value: {e}"), start)),
            None => return Err(("missing JSON value after '='".into(), start)),
        };
        let consumed_chars = rest[..stream.byte_offset()].chars().count();
        self.at += consumed_chars;
        let span = self.span(start, self.at);
        let value = from_json(json, span);
        while self.at < self.chars.len() && self.chars[self.at].is_whitespace() {
            self.at += 1;
        }
        if self.at >= self.chars.len() {
            return Ok((value, false));
        }
        if self.chars[self.at] == ',' {
            self.at += 1;
            return Ok((value, true));
        }
        Err((
            format!("unexpected {:?} after the JSON value", self.chars[self.at]),
            self.at,
        ))
    }

    /// `[N]`: the digits up to `]`.
    fn index(&mut self) -> PResult<usize> {
        let (text, stop, start) = self.until(&[']']);
        if let Stop::Eof = stop {
            return Err(("missing closing ']' of a list index".into(), start));
        }
        let n: i64 = text
            .trim()
            .parse()
            .map_err(|_| (format!("list index {text:?} is not a number"), start))?;
        if n < 0 {
            return Err((format!("negative {n} index not allowed"), start));
        }
        Ok(n as usize)
    }

    /// After `[N]`: what follows the index, set at `index` of `list`. Lists nest at most
    /// [`crate::yaml::MAX_DEPTH`] deep (Helm has no limit, but `a[0][0]...` or `a[0].a[0]...`
    /// as deep as a command line allows would overflow the stack here and everywhere after).
    fn list_item(
        &mut self,
        list: Vec<Value>,
        index: usize,
        level: usize,
    ) -> PResult<(Vec<Value>, bool)> {
        if self.depth >= crate::yaml::MAX_DEPTH {
            return Err((
                format!("lists nested deeper than {} levels", crate::yaml::MAX_DEPTH),
                self.at,
            ));
        }
        self.depth += 1;
        let result = self.list_item_at(list, index, level);
        self.depth -= 1;
        result
    }

    fn list_item_at(
        &mut self,
        mut list: Vec<Value>,
        index: usize,
        level: usize,
    ) -> PResult<(Vec<Value>, bool)> {
        if index > MAX_INDEX {
            return Err((
                format!("index of {index} is greater than maximum supported index of {MAX_INDEX}"),
                self.at,
            ));
        }
        self.padded += (index + 1).saturating_sub(list.len());
        if self.padded > MAX_PADDING {
            return Err((
                format!(
                    "list indices in this argument add more than {MAX_PADDING} empty items; set fewer or smaller indices"
                ),
                self.at,
            ));
        }
        let (text, stop, start) = self.until(&['[', '.', '=']);
        if !text.is_empty() {
            return Err((
                format!("unexpected data at end of array index: {text:?}"),
                start,
            ));
        }
        match stop {
            Stop::Eof => Err(("unexpected end of input after a list index".into(), start)),
            Stop::Char('=') => {
                let (value, more) = self.value()?;
                set_index(&mut list, index, value);
                Ok((list, more))
            }
            Stop::Char('[') => {
                let next = self.index()?;
                let inner = match list.get(index) {
                    Some(Value {
                        kind: Kind::List(items),
                        ..
                    }) => items.clone(),
                    _ => Vec::new(),
                };
                let (inner, more) = self.list_item(inner, next, level)?;
                set_index(
                    &mut list,
                    index,
                    Value::new(Kind::List(inner), Some(self.span(start, start))),
                );
                Ok((list, more))
            }
            Stop::Char(_) => {
                let mut inner = match list.get(index) {
                    Some(Value {
                        kind: Kind::Map(m), ..
                    }) => m.clone(),
                    _ => Map::new(),
                };
                let more = self.key(&mut inner, level)?;
                set_index(
                    &mut list,
                    index,
                    Value::new(Kind::Map(inner), Some(self.span(start, start))),
                );
                Ok((list, more))
            }
        }
    }
}

/// `strvals.typedVal`: only exact `true`/`false`/`null` (any case) and int64 without a leading
/// zero are typed.
pub fn typed_value(text: &str) -> Kind {
    if text.eq_ignore_ascii_case("true") {
        return Kind::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Kind::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Kind::Null;
    }
    if text == "0" {
        return Kind::Int(0);
    }
    if !text.is_empty()
        && !text.starts_with('0')
        && is_go_int(text)
        && let Ok(i) = text.parse::<i64>()
    {
        return Kind::Int(i);
    }
    Kind::Str(text.to_string())
}

/// `strconv.ParseInt(s, 10, 64)` accepts an optional sign and ASCII digits only.
fn is_go_int(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn set(data: &mut Map, key: &str, mut value: Value, key_span: Span) {
    // Helm ignores an empty key.
    if key.is_empty() {
        return;
    }
    value.key_span = Some(key_span);
    data.insert(key.to_string(), value);
}

fn set_index(list: &mut Vec<Value>, index: usize, value: Value) {
    if list.len() <= index {
        list.resize(index + 1, Value::new(Kind::Null, None));
    }
    list[index] = value;
}

/// JSON from `--set-json`: numbers become float64 as Helm's JSON decoding does.
fn from_json(json: serde_json::Value, span: Span) -> Value {
    use serde_json::Value as J;
    let kind = match json {
        J::Null => Kind::Null,
        J::Bool(b) => Kind::Bool(b),
        J::Number(n) => Kind::Float(n.as_f64().unwrap_or(0.0)),
        J::String(s) => Kind::Str(s),
        J::Array(items) => Kind::List(items.into_iter().map(|v| from_json(v, span)).collect()),
        J::Object(m) => Kind::Map(
            m.into_iter()
                .map(|(k, v)| (k, from_json(v, span)))
                .collect(),
        ),
    };
    Value::new(kind, Some(span))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(kind: SetKind, args: &[&str]) -> Result<serde_json::Value, String> {
        let mut sources = Sources::new();
        let mut base = Map::new();
        for arg in args {
            let id = sources.add(
                kind.flag(),
                *arg,
                SourceKind::SetArgument { flag: kind.flag() },
            );
            apply(&mut base, &mut sources, id, kind).map_err(|e| e.to_string())?;
        }
        Ok(Value::new(Kind::Map(base), None).to_json())
    }

    #[test]
    fn an_error_at_the_end_of_the_argument_stays_inside_it() {
        // Found by fuzzing (values_merge): `--set [` pointed one character past the argument.
        for arg in ["[", "a[0", "a={x", "a", "é["] {
            let mut sources = Sources::new();
            let id = sources.add("--set", arg, SourceKind::SetArgument { flag: "--set" });
            let err = apply(&mut Map::new(), &mut sources, id, SetKind::Typed).unwrap_err();
            let span = err.span().unwrap();
            let len = arg.chars().count();
            assert!(
                span.start.index <= span.end.index && span.end.index <= len,
                "{arg}: {span:?}"
            );
            assert!(span.byte_range(arg).end <= arg.len());
        }
    }

    #[test]
    fn nested_large_indices_are_bounded() {
        // Found probing the values_merge target's reach: each `[65536]` level allocated 65537
        // items, so a 700-character argument needed more than 4 GB.
        let arg = format!("a{}=1", "[65536]".repeat(100));
        let err = run(SetKind::Typed, &[arg.as_str()]).unwrap_err();
        assert!(err.contains("empty items"), "{err}");
        // Helm's own maximum index still works, also nested once.
        let v = run(SetKind::Typed, &["a[65536]=1,b[2][65536]=x"]).unwrap();
        assert_eq!(v["a"].as_array().unwrap().len(), 65537);
        assert_eq!(v["b"][2].as_array().unwrap().len(), 65537);
    }

    #[test]
    fn deeply_nested_lists_are_bounded() {
        // Found probing the values_merge target's reach (its arguments are too short): a
        // 3000-level `a[0][0]...=1` overflowed the stack. The CLI runs on the main thread's
        // 8 MiB stack; so does this test (debug frames are large).
        let check = || {
            for arg in [
                format!("a{}=1", "[0]".repeat(40_000)),
                format!("{}=1", "a[0].".repeat(20_000)),
            ] {
                let err = run(SetKind::Typed, &[arg.as_str()]).unwrap_err();
                assert!(err.contains("nested deeper than"), "{err}");
            }
            let v = run(SetKind::Typed, &[&format!("a{}=1", "[0]".repeat(200))]).unwrap();
            assert!(v["a"].is_array());
        };
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(check)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn typing_follows_strvals() {
        let v = run(
            SetKind::Typed,
            &["a=1,b=true,c=FALSE,d=null,e=03,f=0,g=1.5,h=-7,i=+7,j=1e3,k="],
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": 1, "b": true, "c": false, "d": null, "e": "03", "f": 0, "g": "1.5", "h": -7, "i": 7, "j": "1e3", "k": ""})
        );
    }

    #[test]
    fn set_string_never_types() {
        assert_eq!(
            run(SetKind::String, &["a=1,b=true"]).unwrap(),
            json!({"a": "1", "b": "true"})
        );
    }

    #[test]
    fn nesting_lists_and_indices() {
        let v = run(
            SetKind::Typed,
            &[
                "a.b.c=x",
                "l={1,two,true}",
                "m[1].n=3",
                "m[0]=z",
                "o[0][1]=y",
            ],
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": {"b": {"c": "x"}}, "l": [1, "two", true], "m": ["z", {"n": 3}], "o": [[null, "y"]]})
        );
    }

    #[test]
    fn escapes_keep_dots_and_commas() {
        let v = run(SetKind::Typed, &[r"ann.example\.com/x=a\,b"]).unwrap();
        assert_eq!(v, json!({"ann": {"example.com/x": "a,b"}}));
    }

    #[test]
    fn json_values() {
        let v = run(SetKind::Json, &[r#"a={"x":[1,2]},b="s""#]).unwrap();
        assert_eq!(v, json!({"a": {"x": [1, 2]}, "b": "s"}));
        assert!(run(SetKind::Json, &["a={x"]).is_err());
    }

    #[test]
    fn literal_takes_everything() {
        assert_eq!(
            run(SetKind::Literal, &["a=x,y=z"]).unwrap(),
            json!({"a": "x,y=z"})
        );
    }

    #[test]
    fn errors_like_helm() {
        assert!(
            run(SetKind::Typed, &["a"])
                .unwrap_err()
                .contains("has no value")
        );
        assert!(
            run(SetKind::Typed, &["a,b=1"])
                .unwrap_err()
                .contains("cannot end with ,")
        );
        assert!(
            run(SetKind::Typed, &["a[-1]=x"])
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            run(SetKind::Typed, &["a[70000]=x"])
                .unwrap_err()
                .contains("maximum supported index")
        );
        assert!(
            run(SetKind::Typed, &["l={a,b"])
                .unwrap_err()
                .contains("terminate")
        );
    }

    #[test]
    fn value_spans_point_into_the_argument() {
        let mut sources = Sources::new();
        let mut base = Map::new();
        let id = sources.add(
            "--set",
            "a=1,bb=xyz",
            SourceKind::SetArgument { flag: "--set" },
        );
        apply(&mut base, &mut sources, id, SetKind::Typed).unwrap();
        let span = base["bb"].span.unwrap();
        assert_eq!((span.start.col, span.end.col), (8, 11));
    }
}
