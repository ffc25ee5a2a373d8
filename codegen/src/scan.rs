//! A quick pass over an event file's text that blanks out function bodies and comments.
//!
//! Reading a configuration needs only the items of a file, and lexing and parsing function
//! bodies (and the doc comments that become attributes) is most of the cost of reading an
//! event file. This pass finds every `fn` body and every comment with a small scanner that
//! knows Rust's comments, strings and character literals, and replaces them with spaces
//! (keeping newlines), so that every byte offset stays where it was. Syntax errors inside
//! bodies are left to rustc, which reports them at the event file's line.

/// The text with every comment and the inside of every `fn` body blanked, or `None` when
/// the scanner is unsure (an unbalanced delimiter, an unterminated literal or comment), in
/// which case the caller lexes the original text and reports the problem precisely.
pub(crate) fn blank_bodies_and_comments(text: &str) -> Option<String> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: 0,
        blanks: Vec::new(),
    };
    scanner.items()?;
    if scanner.blanks.is_empty() {
        return Some(text.to_owned());
    }

    let mut blanked = text.as_bytes().to_vec();
    for (start, end) in scanner.blanks {
        for byte in &mut blanked[start..end] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    // Only whole characters inside bodies were replaced, each byte by an ASCII space.
    String::from_utf8(blanked).ok()
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Byte ranges to blank: comments, and body contents between the braces.
    blanks: Vec<(usize, usize)>,
}

impl Scanner<'_> {
    /// Scans the whole text, recording the bodies that follow `fn` at any depth outside
    /// another body.
    fn items(&mut self) -> Option<()> {
        let mut stack: Vec<u8> = Vec::new();
        let mut after_fn = false;

        while self.at < self.bytes.len() {
            let byte = self.bytes[self.at];
            match byte {
                b'{' if after_fn => {
                    let start = self.at + 1;
                    self.at = start;
                    let end = self.close(b'}')?;
                    self.blanks.push((start, end));
                    after_fn = false;
                    continue;
                }
                b'(' | b'[' | b'{' => stack.push(closing(byte)),
                b')' | b']' | b'}' => {
                    if stack.pop() != Some(byte) {
                        return None;
                    }
                    after_fn &= byte != b'}';
                }
                b';' => after_fn = false,
                _ => {
                    if let Some(word) = self.skip_token()? {
                        after_fn |= word == b"fn";
                    }
                    continue;
                }
            }
            self.at += 1;
        }
        stack.is_empty().then_some(())
    }

    /// Skips to the delimiter that closes the one just passed, and returns its position.
    fn close(&mut self, close: u8) -> Option<usize> {
        let mut stack = vec![close];
        while self.at < self.bytes.len() {
            let byte = self.bytes[self.at];
            match byte {
                b'(' | b'[' | b'{' => stack.push(closing(byte)),
                b')' | b']' | b'}' => {
                    if stack.pop() != Some(byte) {
                        return None;
                    }
                    if stack.is_empty() {
                        let end = self.at;
                        self.at += 1;
                        return Some(end);
                    }
                }
                _ => {
                    self.skip_token()?;
                    continue;
                }
            }
            self.at += 1;
        }
        None
    }

    /// Skips one comment, literal, identifier or other character, returning the word when it
    /// was an identifier or keyword.
    fn skip_token(&mut self) -> Option<Option<&[u8]>> {
        let bytes = self.bytes;
        let start = self.at;
        let rest = &bytes[start..];

        if rest.starts_with(b"//") {
            self.at += rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            self.blanks.push((start, self.at));
        } else if rest.starts_with(b"/*") {
            self.block_comment()?;
            self.blanks.push((start, self.at));
        } else if rest[0] == b'"' {
            self.at += 1;
            self.string()?;
        } else if rest[0] == b'\'' {
            self.quote();
        } else if is_ident_start(rest[0]) {
            if self.raw_or_prefixed_literal()? {
                return Some(None);
            }
            while self.at < bytes.len() && is_ident_continue(bytes[self.at]) {
                self.at += 1;
            }
            return Some(Some(&bytes[start..self.at]));
        } else {
            self.at += 1;
        }
        Some(None)
    }

    /// Skips a possibly nested block comment.
    fn block_comment(&mut self) -> Option<()> {
        let mut depth = 0usize;
        while self.at < self.bytes.len() {
            let rest = &self.bytes[self.at..];
            if rest.starts_with(b"/*") {
                depth += 1;
                self.at += 2;
            } else if rest.starts_with(b"*/") {
                depth -= 1;
                self.at += 2;
                if depth == 0 {
                    return Some(());
                }
            } else {
                self.at += 1;
            }
        }
        None
    }

    /// Skips the rest of a string literal after its opening quote.
    fn string(&mut self) -> Option<()> {
        while self.at < self.bytes.len() {
            match self.bytes[self.at] {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                _ => self.at += 1,
            }
        }
        None
    }

    /// Skips a character literal, or only the quote of a lifetime or label.
    fn quote(&mut self) {
        let rest = &self.bytes[self.at + 1..];
        if rest.first() == Some(&b'\\') {
            // The escaped character may itself be a quote: search after it.
            let close = rest
                .get(2..)
                .and_then(|tail| tail.iter().position(|b| *b == b'\''));
            self.at += close.map_or(rest.len() + 1, |index| index + 4);
            return;
        }
        let width = rest.first().map_or(1, |b| utf8_width(*b));
        if rest.get(width) == Some(&b'\'') {
            self.at += width + 2;
        } else {
            self.at += 1;
        }
    }

    /// Skips a raw string (`r"…"`, `r#"…"#`), a byte or C string, or a byte character,
    /// if one starts here.
    fn raw_or_prefixed_literal(&mut self) -> Option<bool> {
        let rest = &self.bytes[self.at..];
        let prefix = match rest {
            [b'b' | b'c', b'r', ..] => 2,
            [b'r', b'"' | b'#', ..] => 1,
            [b'b' | b'c', b'"', ..] => {
                self.at += 2;
                return self.string().map(|()| true);
            }
            [b'b', b'\'', ..] => {
                self.at += 1;
                self.quote();
                return Some(true);
            }
            _ => return Some(false),
        };

        let hashes = rest[prefix..].iter().take_while(|b| **b == b'#').count();
        if rest.get(prefix + hashes) != Some(&b'"') {
            return Some(false);
        }
        let mut closing = vec![b'"'];
        closing.extend(std::iter::repeat_n(b'#', hashes));
        let body = prefix + hashes + 1;
        let end = rest[body..]
            .windows(closing.len())
            .position(|window| window == closing.as_slice())?;
        self.at += body + end + closing.len();
        Some(true)
    }
}

fn closing(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_ident_continue(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// How many bytes the UTF-8 character starting with `first` takes.
fn utf8_width(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blanks `body` by hand: spaces for every byte but newlines.
    fn blank(body: &str) -> String {
        body.bytes()
            .map(|b| if b == b'\n' { '\n' } else { ' ' })
            .collect()
    }

    #[test]
    fn blanks_function_bodies_and_keeps_offsets() {
        // (before the body's `{`, the body, after its `}`)
        let cases = [
            ("fn a() ", " x ", ""),
            ("fn a() ", "\n    x;\n", ""),
            ("impl A { fn b(&self) -> u8 ", " 1 ", " }"),
            ("fn a() ", " \"}\" ", ""),
            ("fn a() ", " '}' ", ""),
            ("fn a<'a>(x: &'a u8) ", " '\\'' ", ""),
            ("fn a() ", " r#\"}\"# ", ""),
            ("fn a() ", " b'}' ", ""),
            ("fn a() ", " /* } /* } */ */ ", ""),
            ("fn b() ", " é ", ""),
            ("fn a() -> Vec<u8> where u8: Copy ", " x ", ""),
            ("async fn run(ctx: C) -> R ", " 'outer: loop {} ", ""),
            (
                "type F = fn(u8); fn a() ",
                " { 1 } ",
                " const C: u8 = { 1 };",
            ),
        ];

        for (before, body, after) in cases {
            let text = format!("{before}{{{body}}}{after}");
            let expected = format!("{before}{{{}}}{after}", blank(body));

            let blanked = blank_bodies_and_comments(&text);

            assert_eq!(
                blanked.as_deref(),
                Some(expected.as_str()),
                "blanking {text:?}"
            );
        }
    }

    #[test]
    fn leaves_files_without_function_bodies_alone() {
        let texts = [
            "struct S { f: u8 }",
            "type F = fn(u8); const C: u8 = { 1 };",
            "struct S { f: fn() -> u8 } impl S {}",
            "const X: &str = \"fn a() { x }\";",
            "trait T { fn a(&self); }",
            "const S: &str = \"// not a comment\";",
        ];

        for text in texts {
            assert_eq!(
                blank_bodies_and_comments(text).as_deref(),
                Some(text),
                "blanking {text:?}"
            );
        }
    }

    #[test]
    fn blanks_comments_but_not_strings_that_look_like_them() {
        let text =
            "//! Doc.\n/// Item doc.\nconst A: &str = \"/* no */\"; /* a /* nested */ one */";

        let blanked = blank_bodies_and_comments(text).unwrap();

        let expected = format!(
            "{}\n{}\nconst A: &str = \"/* no */\"; {}",
            blank("//! Doc."),
            blank("/// Item doc."),
            blank("/* a /* nested */ one */")
        );
        assert_eq!(blanked, expected);
    }

    #[test]
    fn gives_up_where_the_lexer_must_report_the_problem() {
        let texts = [
            "fn a() { x",
            "fn a() { ) }",
            "struct S { a: (u8] }",
            "fn a() { \"open }",
            "/* open",
            "fn a() { r#\"open }",
            "}",
        ];

        for text in texts {
            assert_eq!(blank_bodies_and_comments(text), None, "blanking {text:?}");
        }
    }
}
