//! Comments next to a key, read from the source text (YAML parsers drop them). Used for
//! descriptions and `# @schema` annotations.

/// Lines of a text, for comment look-ups by line number.
pub struct Lines<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            lines: text.lines().collect(),
        }
    }

    fn get(&self, line: u32) -> Option<&'a str> {
        self.lines.get((line as usize).checked_sub(1)?).copied()
    }

    /// The block of whole-line comments right above `line` (no blank line between), top to
    /// bottom, each trimmed of leading whitespace (the `#` kept).
    pub fn comments_above(&self, line: u32) -> Vec<&'a str> {
        let mut block = Vec::new();
        let mut l = line;
        while l > 1 {
            l -= 1;
            match self.get(l) {
                Some(text) if text.trim_start().starts_with('#') => block.push(text.trim_start()),
                _ => break,
            }
        }
        block.reverse();
        block
    }

    /// Keys commented out at a map's indentation between `first` and `last` line:
    /// `# repository:` or `## nameOverride: x` with the `#` at column `col` (1-based) and at most
    /// one space before the key. Chart authors document optional keys this way. Lines inside a
    /// `# @schema` ... `# @schema` block are schema keywords, not keys, and are skipped.
    pub fn commented_keys(&self, first: u32, last: u32, col: u32) -> Vec<&'a str> {
        let mut keys = Vec::new();
        let mut in_schema_block = false;
        for line in first..=last {
            let Some(text) = self.get(line) else { break };
            if text.trim_start().trim_start_matches('#').trim() == "@schema" {
                in_schema_block = !in_schema_block;
                continue;
            }
            if in_schema_block {
                continue;
            }
            let indent = text.chars().take_while(|c| *c == ' ').count();
            if indent + 1 != col as usize {
                continue;
            }
            let body = text[indent..].trim_start_matches('#');
            if body.len() == text[indent..].len() {
                continue;
            }
            let body = body.strip_prefix(' ').unwrap_or(body);
            if let Some((key, rest)) = body.split_once(':')
                && !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && (rest.is_empty() || rest.starts_with(' '))
            {
                keys.push(key);
            }
        }
        keys
    }

    /// The comment at the end of `line` that starts at or after character column `from_col`
    /// (1-based), outside quotes: `key: value  # comment` gives `# comment`.
    pub fn comment_after(&self, line: u32, from_col: u32) -> Option<&'a str> {
        let text = self.get(line)?;
        // Track quotes over the whole line: a quote opens a scalar only where a token starts.
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for (col, (byte, c)) in text.char_indices().enumerate() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if (c == '"' || c == '\'')
                    && (prev.is_whitespace() || ":[{,-".contains(prev)) =>
                {
                    quote = Some(c)
                }
                None if c == '#' && prev.is_whitespace() && col + 1 >= from_col as usize => {
                    return Some(&text[byte..]);
                }
                None => {}
            }
            prev = c;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_above_stops_at_blank_line() {
        let lines = Lines::new("# unrelated\n\n# -- first\n#  second\nkey: 1\n");
        assert_eq!(lines.comments_above(5), vec!["# -- first", "#  second"]);
        assert!(lines.comments_above(1).is_empty());
    }

    #[test]
    fn commented_out_keys_at_the_map_indentation() {
        let lines = Lines::new(
            "a:\n  x: 1\n  ## repository:\n  # tag: v1\n  #   nested: no\n  # prose here\n# top: no\n",
        );
        assert_eq!(lines.commented_keys(1, 7, 3), vec!["repository", "tag"]);
    }

    #[test]
    fn schema_block_lines_are_not_commented_keys() {
        let lines = Lines::new(
            "# @schema\n# type: array\n# items:\n#   type: object\n# @schema\nlist: []\n# port: 80\n",
        );
        assert_eq!(lines.commented_keys(1, 7, 1), vec!["port"]);
    }

    #[test]
    fn trailing_comment_ignores_hashes_in_quotes_and_words() {
        let lines =
            Lines::new("a: \"x # y\"  # -- real\nb: c#d\nc: \"\" # @schema x\nd: don't # e\n");
        assert_eq!(lines.comment_after(1, 4), Some("# -- real"));
        assert_eq!(lines.comment_after(3, 5), Some("# @schema x"));
        assert_eq!(lines.comment_after(4, 4), Some("# e"));
        assert_eq!(lines.comment_after(2, 4), None);
    }
}
