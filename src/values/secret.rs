//! Values never to print: a value under a key that looks secret (password, token, API key…) is
//! masked wherever a report would show it — in messages, in the source lines of a snippet, and
//! in an echoed `--set` argument. Masking keeps every byte offset (one `*` per byte), so spans
//! into the masked text stay valid.

/// Whether a values key names a secret. Errs on the side of hiding: a masked non-secret costs
/// the user a look at their file, a printed secret costs a rotation (and sits in CI logs).
pub fn looks_secret(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const WORDS: [&str; 10] = [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "credential",
        "apikey",
        "privatekey",
        "connectionstring",
        "databaseurl",
    ];
    WORDS.iter().any(|w| key.contains(w)) || (key.ends_with("key") && key != "key")
}

/// `text` (YAML or JSON) with the value of every secret-looking key masked: `key: value` in
/// block or flow style (to the end of the line, or to `,`/`}`/`]` in a flow), `"key": "value"`,
/// and the lines of a block scalar (`key: |`) under such a key.
pub fn mask_yaml(text: &str) -> String {
    let mut out = text.as_bytes().to_vec();
    // The indentation of a secret key whose block scalar is being masked.
    let mut block_under: Option<usize> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        match block_under {
            Some(key_indent) if blank || indent > key_indent => {
                mask(&mut out, start + indent, start + line.trim_end().len());
            }
            _ => {
                block_under = None;
                for (from, to, block) in secret_values(line) {
                    if block {
                        block_under = Some(indent);
                    } else {
                        mask(&mut out, start + from, start + to);
                    }
                }
            }
        }
        start += line.len();
    }
    // Only ASCII bytes were replaced by ASCII bytes at character starts and ends.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Byte ranges of the values of secret-looking keys in one line; `true` for a block scalar
/// indicator (`|`, `>`), whose value is on the lines below.
fn secret_values(line: &str) -> Vec<(usize, usize, bool)> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    for (colon, _) in line.match_indices(':') {
        let after = &line[colon + 1..];
        let quoted_key = colon > 0 && matches!(bytes[colon - 1], b'"' | b'\'');
        if !(quoted_key || after.is_empty() || after.starts_with([' ', '\t', '\r', '\n'])) {
            continue;
        }
        let key_start = line[..colon]
            .rfind([' ', '\t', '{', ',', '['])
            .map_or(0, |i| i + 1);
        let key = line[key_start..colon].trim_matches(['"', '\'', '-']);
        if !looks_secret(key) {
            continue;
        }
        let value_start = colon + 1 + (after.len() - after.trim_start().len());
        let value = &line[value_start..];
        let in_flow = line[..key_start].contains(['{', '[']);
        match value.bytes().next() {
            None | Some(b'#' | b'{' | b'[' | b'&' | b'*' | b'\r' | b'\n') => {}
            Some(b'|' | b'>') => found.push((value_start, value_start, true)),
            Some(quote @ (b'"' | b'\'')) => {
                // To the closing quote (a quote doubled or escaped inside does not end it).
                let mut end = value.len();
                let mut i = 1;
                while i < value.len() {
                    let b = value.as_bytes()[i];
                    if (b == b'\\' && quote == b'"')
                        || (b == b'\''
                            && quote == b'\''
                            && value.as_bytes().get(i + 1) == Some(&b'\''))
                    {
                        i += 2;
                        continue;
                    }
                    if b == quote {
                        end = i + 1;
                        break;
                    }
                    i += 1;
                }
                found.push((value_start, value_start + end, false));
            }
            Some(_) => {
                let stop: &[char] = if in_flow { &[',', '}', ']'] } else { &[] };
                let end = value
                    .find(" #")
                    .into_iter()
                    .chain(value.find(stop))
                    .min()
                    .unwrap_or(value.len());
                let end = value[..end].trim_end().len();
                found.push((value_start, value_start + end, false));
            }
        }
    }
    found
}

/// A `--set`-family argument (`a.b=1,auth.password=x`) with the value of every pair whose last
/// key looks secret masked.
pub fn mask_set_argument(arg: &str) -> String {
    let mut out = arg.as_bytes().to_vec();
    for (from, to) in set_pairs(arg) {
        let pair = &arg[from..to];
        if let Some(eq) = pair.find('=') {
            let key = pair[..eq].rsplit('.').next().unwrap_or("");
            let key = key.split('[').next().unwrap_or(key);
            if looks_secret(key) {
                mask(&mut out, from + eq + 1, to);
            } else {
                // `--set-json` values hold keys of their own.
                let masked = mask_yaml(&pair[eq + 1..]);
                out[from + eq + 1..to].copy_from_slice(masked.as_bytes());
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| arg.to_string())
}

/// The pair of a `--set` argument that holds byte `at`, masked: what a report echoes of the
/// argument, never its siblings.
pub fn set_pair_at(arg: &str, at: usize) -> String {
    let (from, to) = set_pairs(arg)
        .into_iter()
        .find(|&(from, to)| from <= at && at <= to)
        .unwrap_or((0, arg.len()));
    mask_set_argument(&arg[from..to])
}

/// Byte ranges of the comma-separated pairs of a `--set` argument, as `strvals` splits them:
/// `\,` escapes a comma, `{…}` lists and JSON values keep theirs.
fn set_pairs(arg: &str) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut from) = (0i32, false, false, 0);
    for (i, c) in arg.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '{' | '[' if !quoted => depth += 1,
            '}' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth <= 0 => {
                pairs.push((from, i));
                from = i + 1;
            }
            _ => {}
        }
    }
    pairs.push((from, arg.len()));
    pairs
}

fn mask(bytes: &mut [u8], from: usize, to: usize) {
    for b in bytes.iter_mut().take(to).skip(from) {
        *b = b'*';
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for k in [
            "password",
            "redisPassword",
            "auth-token",
            "apiKey",
            "masterKey",
            "existingSecret",
            "client_secret",
            "DATABASE_URL",
            "privateKey",
        ] {
            assert!(looks_secret(k), "{k}");
        }
        for k in [
            "key",
            "name",
            "replicaCount",
            "host",
            "monkey_count",
            "keys",
        ] {
            assert!(!looks_secret(k), "{k}");
        }
    }

    #[test]
    fn yaml_values_under_secret_keys_are_masked_in_place() {
        let text = "auth:\n  password: S3CRET # keep\n  user: admin\nflow: {token: abc, size: 1}\n\"apiKey\": \"k,1\"\ncert:\n  privateKey: |\n    line one\n\n    line two\n  next: ok\nlist:\n- password: 'it''s'\n";
        let masked = mask_yaml(text);
        assert_eq!(masked.len(), text.len());
        assert_eq!(
            masked,
            "auth:\n  password: ****** # keep\n  user: admin\nflow: {token: ***, size: 1}\n\"apiKey\": *****\ncert:\n  privateKey: |\n    ********\n\n    ********\n  next: ok\nlist:\n- password: *******\n"
        );
        for secret in ["S3CRET", "abc", "k,1", "line one", "it''s"] {
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
    }

    #[test]
    fn json_values_under_secret_keys_are_masked() {
        let masked = mask_yaml(r#"{"auth":{"password":"x y","port":1},"token":"t"}"#);
        assert_eq!(
            masked,
            r#"{"auth":{"password":*****,"port":1},"token":***}"#
        );
    }

    #[test]
    fn set_arguments_echo_one_pair_masked() {
        let arg = "redis.auth.password=S3CRET,redis.replicaCount=abc,list={a,b}";
        assert_eq!(
            mask_set_argument(arg),
            "redis.auth.password=******,redis.replicaCount=abc,list={a,b}"
        );
        let at = arg.find("abc").unwrap();
        assert_eq!(set_pair_at(arg, at), "redis.replicaCount=abc");
        assert_eq!(set_pair_at(arg, 3), "redis.auth.password=******");
        assert_eq!(set_pair_at(arg, arg.len()), "list={a,b}");
        assert_eq!(
            mask_set_argument(r#"cfg={"token":"t","n":1}"#),
            r#"cfg={"token":***,"n":1}"#
        );
        assert_eq!(mask_set_argument("a\\,password=x"), "a\\,password=*");
    }
}
