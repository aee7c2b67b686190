//! Matching target paths against a delegated role's `paths` (spec section 4.5, "PATHPATTERN").
//!
//! The spec: a pattern is matched with shell-style wildcards, where `*` matches any characters
//! except `/` and `?` any single character except `/`. python-tuf (the reference) implements
//! it by splitting pattern and path on `/`, requiring equal counts, and applying Python's
//! `fnmatch` to each pair of components. We do the same: `*`, `?`, and bracket classes
//! `[abc]`, `[a-z]`, `[!abc]`; an unclosed `[` is an ordinary character, as in `fnmatch`.
//!
//! Matching is linear-time in practice (the usual single-backtrack-point algorithm for `*`),
//! so a hostile pattern cannot make it blow up.

/// One element of a compiled path component pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyOne,
    AnyMany,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

fn compile(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::with_capacity(chars.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '*' => {
                // Consecutive stars are one star.
                if tokens.last() != Some(&Token::AnyMany) {
                    tokens.push(Token::AnyMany);
                }
            }
            '?' => tokens.push(Token::AnyOne),
            '[' => match parse_class(&chars, i) {
                Some((token, next)) => {
                    tokens.push(token);
                    i = next;
                }
                None => tokens.push(Token::Literal('[')),
            },
            other => tokens.push(Token::Literal(other)),
        }
    }
    tokens
}

/// Parses a bracket class starting just after `[`, as `fnmatch.translate` does: a `!` negates,
/// a `]` right after the opening (or after `!`) is a member, `a-z` is a range, and a range
/// whose ends are reversed matches nothing. Returns `None` if there is no closing `]`.
fn parse_class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut j = start;
    let negated = chars.get(j) == Some(&'!');
    if negated {
        j += 1;
    }
    if chars.get(j) == Some(&']') {
        j += 1;
    }
    while chars.get(j).is_some_and(|c| *c != ']') {
        j += 1;
    }
    if j >= chars.len() {
        return None;
    }
    let body_start = if negated { start + 1 } else { start };
    let body = chars.get(body_start..j)?;
    let mut ranges = Vec::new();
    let mut k = 0;
    while let Some(&lo) = body.get(k) {
        if body.get(k + 1) == Some(&'-') {
            if let Some(&hi) = body.get(k + 2) {
                if lo <= hi {
                    ranges.push((lo, hi));
                }
                k += 3;
                continue;
            }
        }
        ranges.push((lo, lo));
        k += 1;
    }
    Some((Token::Class { negated, ranges }, j + 1))
}

fn token_matches(token: &Token, c: char) -> bool {
    match token {
        Token::Literal(l) => *l == c,
        Token::AnyOne => true,
        Token::AnyMany => true,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
        }
    }
}

/// Matches one path component against one pattern component.
fn component_matches(tokens: &[Token], text: &[char]) -> bool {
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::AnyMany) => {
                star = Some((p, t));
                p += 1;
            }
            Some(token) if text.get(t).is_some_and(|c| token_matches(token, *c)) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|tok| *tok == Token::AnyMany))
}

/// Whether `target_path` matches the delegation pattern `pattern` (spec section 4.5).
///
/// ```
/// use tuf_metadata::path_pattern::matches;
/// assert!(matches("targets/*.tgz", "targets/foo.tgz"));
/// assert!(!matches("targets/*.tgz", "targets/sub/foo.tgz")); // `*` never crosses `/`
/// assert!(matches("*/?.txt", "dir/a.txt"));
/// assert!(matches("file[0-9].txt", "file7.txt"));
/// ```
pub fn matches(pattern: &str, target_path: &str) -> bool {
    let pattern_parts: Vec<&str> = pattern.split('/').collect();
    let target_parts: Vec<&str> = target_path.split('/').collect();
    if pattern_parts.len() != target_parts.len() {
        return false;
    }
    pattern_parts
        .iter()
        .zip(&target_parts)
        .all(|(pattern, target)| {
            let text: Vec<char> = target.chars().collect();
            component_matches(&compile(pattern), &text)
        })
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn star_and_question_stay_in_their_component() {
        assert!(matches("*", "foo"));
        assert!(!matches("*", "foo/bar"));
        assert!(matches("*/*", "foo/bar"));
        assert!(matches("foo/*", "foo/"));
        assert!(!matches("f?o", "f/o"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
        assert!(matches("a**b", "axxb"));
        assert!(matches("*.txt", ".txt"));
    }

    #[test]
    fn classes_as_fnmatch() {
        assert!(matches("[abc]x", "bx"));
        assert!(!matches("[!abc]x", "bx"));
        assert!(matches("[!abc]x", "dx"));
        assert!(matches("[]]", "]"));
        assert!(matches("[!]]", "a"));
        assert!(matches("[a-]", "-"));
        assert!(!matches("[z-a]", "m"));
        assert!(matches("[", "["));
        assert!(matches("a[b", "a[b"));
    }

    #[test]
    fn hostile_pattern_is_fast() {
        let pattern = "*a".repeat(200) + "b";
        let text = "a".repeat(5000);
        assert!(!matches(&pattern, &text));
    }
}
