//! Plain-scalar resolution exactly as Helm reads values: go-yaml v2 (YAML 1.1) rules, then the
//! trip through JSON that turns every number into a float64.

/// A resolved scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Number(f64),
    Str,
}

/// Resolve an unquoted, untagged scalar the way go-yaml v2 does.
pub fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Scalar::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Scalar::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Number(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Number(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Number(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !matches!(first, b'-' | b'+' | b'.' | b'0'..=b'9') {
        return Scalar::Str;
    }
    // go-yaml v2 drops every underscore before trying the number parsers.
    let plain: String = text.chars().filter(|c| *c != '_').collect();
    if let Some(n) = go_parse_int_base0(&plain) {
        return Scalar::Number(n);
    }
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        return Scalar::Number(f);
    }
    Scalar::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)` / `ParseUint(s, 0, 64)`: sign, then `0x`, `0o`, `0b` or a
/// leading `0` (octal) prefix, else decimal. Returns the value as Helm later sees it (float64).
fn go_parse_int_base0(s: &str) -> Option<f64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if negative {
        // ParseInt accepts down to -2^63; ParseUint rejects any sign.
        if magnitude > (i64::MAX as u64) + 1 {
            return None;
        }
        Some(-(magnitude as f64))
    } else {
        Some(magnitude as f64)
    }
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// How Go's `strconv.FormatFloat(f, 'g', -1, 64)`-style key formatting looks for the common
/// cases: whole numbers print without a fraction, others in shortest form.
pub fn format_number_key(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i128)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> f64 {
        match resolve_plain(s) {
            Scalar::Number(n) => n,
            other => panic!("{s:?} resolved to {other:?}"),
        }
    }

    #[test]
    fn yaml11_booleans_as_go_yaml_v2() {
        for t in [
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(resolve_plain(t), Scalar::Bool(true), "{t}");
        }
        for f in [
            "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(resolve_plain(f), Scalar::Bool(false), "{f}");
        }
        // Mixed case outside the table stays a string.
        assert_eq!(resolve_plain("yEs"), Scalar::Str);
        assert_eq!(resolve_plain("tRUE"), Scalar::Str);
    }

    #[test]
    fn nulls() {
        for n in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(n), Scalar::Null);
        }
        assert_eq!(resolve_plain("nULL"), Scalar::Str);
    }

    #[test]
    fn integers_octal_hex_binary_underscores() {
        assert_eq!(num("0777"), 511.0);
        assert_eq!(num("-0777"), -511.0);
        assert_eq!(num("0o17"), 15.0);
        assert_eq!(num("0x1F"), 31.0);
        assert_eq!(num("0b101"), 5.0);
        assert_eq!(num("1_000"), 1000.0);
        assert_eq!(num("+12"), 12.0);
        assert_eq!(num("0"), 0.0);
        // Not valid octal, but go-yaml v2 then tries its float pattern: 9.
        assert_eq!(num("09"), 9.0);
        // Too big for int64 and uint64: a float.
        assert_eq!(num("99999999999999999999"), 1e20);
        // float64 loses precision past 2^53, as Helm does.
        assert_eq!(num("9007199254740993"), 9007199254740992.0);
    }

    #[test]
    fn floats() {
        assert_eq!(num("1.5"), 1.5);
        assert_eq!(num("1e3"), 1000.0);
        assert_eq!(num(".5"), 0.5);
        assert_eq!(num("1."), 1.0);
        assert_eq!(num("-2.5E-1"), -0.25);
        assert!(num(".inf").is_infinite());
        assert!(num(".nan").is_nan());
    }

    #[test]
    fn strings_that_look_almost_like_numbers() {
        for s in [
            "1e", "1.2.3", "0x", "--1", "1a", "e3", "1,000", "1Gi", "100m", "v1.2", "+", "-", ".",
        ] {
            assert_eq!(resolve_plain(s), Scalar::Str, "{s}");
        }
    }

    #[test]
    fn number_keys() {
        assert_eq!(format_number_key(3.0), "3");
        assert_eq!(format_number_key(1.5), "1.5");
    }
}
