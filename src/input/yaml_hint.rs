//! Pointing at full-width punctuation typed into YAML.
//!
//! Survey and plan files are YAML written by people on a Chinese keyboard, where
//! the input method types `：，【】（）` for `:,[]()`. They look almost the same,
//! but YAML does not know them: `id：x` is a plain string, not a key, and
//! `【a, b】` is not a list, so the load fails at a confusing place or a later
//! check says a field is missing. When a YAML file fails to load,
//! [`fullwidth_hints`] lists the suspicious characters so the message can say
//! "line 5, column 7: full-width '：' (U+FF1A); type the ASCII ':'".
//!
//! The same characters are ordinary punctuation in Chinese values
//! (`zh: 廉洁奉公，无吃拿卡要`), so the scan is a heuristic that looks only
//! where YAML syntax is expected, to keep false alarms rare:
//!
//! - text inside quoted scalars, comments and block scalars (`|`, `>`) is
//!   never flagged;
//! - `：` is flagged in key position: before any ASCII `:` on its line, or
//!   after a separator inside a flow collection (`{id: a, zh：b}`);
//! - `【` is flagged where a value starts (after `: `, `- `, a flow opener or
//!   separator, or at the start of a line) when what it encloses looks like a
//!   list (it holds a comma or colon, ASCII or full-width, or only ASCII) or
//!   it is not closed on its line; `【重要】通知` is a title, not a list. A
//!   `】` is flagged when it closes a flagged `【` or an ASCII `[`;
//! - `，` is flagged inside a flow collection (`{…}`, `[…]` or a flagged `【…】`)
//!   when an ASCII key follows it (`， zh:`), and anywhere inside a flagged
//!   `【…】`;
//! - `（` and `）` only on `near_line`, the line the parser complained about,
//!   since they are common in Chinese values.
//!
//! A known blind spot: a continuation line of a multi-line plain scalar is
//! read as a new line, so a `：` early on such a line is flagged.

use std::fmt;

/// One suspicious full-width character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FullWidthHint {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters (as editors count), not bytes.
    pub column: usize,
    /// The character found.
    pub ch: char,
    /// The ASCII character that was probably meant.
    pub ascii: char,
}

impl fmt::Display for FullWidthHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: full-width '{}' (U+{:04X}); type the ASCII '{}'",
            self.line, self.column, self.ch, self.ch as u32, self.ascii
        )
    }
}

/// Lists the full-width `：，【】（）` in `text` that are probably meant as YAML
/// syntax (see the module documentation for the rules).
///
/// `near_line` is the 1-based line a parse or validation error points at:
/// its hints come first (they most likely explain the error), then the rest
/// in document order; `（）` are only reported on that line.
pub fn fullwidth_hints(text: &str, near_line: Option<usize>) -> Vec<FullWidthHint> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut scan = Scan::default();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        scan.line(number, line, near_line == Some(number));
    }
    let mut hints = scan.hints;
    // Stable: document order is kept within each group.
    hints.sort_by_key(|h| Some(h.line) != near_line);
    hints
}

/// State carried from line to line.
#[derive(Default)]
struct Scan {
    /// The quote of a quoted scalar still open at the end of the last line.
    quote: Option<char>,
    /// Open flow collections: `{`, `[`, or a flagged `【`.
    flow: Vec<char>,
    /// The indentation of the line that started a block scalar, while its
    /// content lines (indented deeper) are being skipped.
    block_indent: Option<usize>,
    /// Hints found so far, in document order.
    hints: Vec<FullWidthHint>,
}

impl Scan {
    /// Scans one line.
    fn line(&mut self, number: usize, line: &str, near: bool) {
        let chars: Vec<char> = line.chars().collect();
        let indent = chars.iter().take_while(|c| **c == ' ').count();
        if let Some(block) = self.block_indent {
            if line.trim().is_empty() || indent > block {
                return;
            }
            self.block_indent = None;
        }
        let mut flag = |column: usize, ch: char, ascii: char| {
            self.hints.push(FullWidthHint {
                line: number,
                column,
                ch,
                ascii,
            });
        };
        // No ASCII ':' yet since the line or the last flow separator began.
        let mut key_pos = true;
        // At a place where a token (key, value, quote, list) may begin.
        let mut token_start = true;
        // Unflagged `【` on this line (text), so their `】` are text too.
        let mut text_brackets = 0_usize;
        let mut comment_at = chars.len();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if let Some(q) = self.quote {
                match c {
                    '\\' if q == '"' => i += 1,
                    '\'' if q == '\'' && chars.get(i + 1) == Some(&'\'') => i += 1,
                    _ if c == q => {
                        self.quote = None;
                        token_start = false;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            match c {
                ' ' | '\t' | '\u{3000}' => {}
                '#' if i == 0 || chars[i - 1].is_whitespace() => {
                    comment_at = i;
                    break;
                }
                '"' | '\'' if token_start => self.quote = Some(c),
                ':' => {
                    key_pos = false;
                    token_start = true;
                }
                '：' if key_pos => {
                    flag(i + 1, c, ':');
                    key_pos = false;
                    token_start = true;
                }
                ',' if !self.flow.is_empty() => {
                    key_pos = true;
                    token_start = true;
                }
                '，' if self.flow.last() == Some(&'【') || (!self.flow.is_empty() && key_follows(&chars[i + 1..])) => {
                    flag(i + 1, c, ',');
                    key_pos = true;
                    token_start = true;
                }
                '{' | '[' if token_start => {
                    self.flow.push(c);
                    key_pos = true;
                }
                // A closer pops only its own opener: `a[1]` in a value never
                // opened a collection, so its `]` must not close one.
                '}' | ']' => {
                    let opener = if c == '}' { '{' } else { '[' };
                    if self.flow.last() == Some(&opener) || (c == ']' && self.flow.last() == Some(&'【')) {
                        self.flow.pop();
                    }
                    token_start = false;
                }
                '【' if token_start && opens_list(&chars[i + 1..]) => {
                    flag(i + 1, c, '[');
                    self.flow.push(c);
                    key_pos = true;
                }
                '【' => {
                    text_brackets += 1;
                    token_start = false;
                }
                '】' if text_brackets > 0 => {
                    text_brackets -= 1;
                    token_start = false;
                }
                '】' if matches!(self.flow.last(), Some('【' | '[')) => {
                    flag(i + 1, c, ']');
                    self.flow.pop();
                    token_start = false;
                }
                '（' | '）' if near => {
                    flag(i + 1, c, if c == '（' { '(' } else { ')' });
                    token_start = false;
                }
                // A sequence entry's `- ` leaves the place open for a token.
                '-' if token_start && chars.get(i + 1).is_none_or(|n| n.is_whitespace()) => {}
                _ => token_start = false,
            }
            i += 1;
        }
        if self.quote.is_none() && self.flow.is_empty() && starts_block_scalar(&chars[..comment_at]) {
            self.block_indent = Some(indent);
        }
    }
}

/// Whether `rest` (after a `，`) starts with an ASCII key and a colon:
/// `zh: `, ` en：`.
fn key_follows(rest: &[char]) -> bool {
    let mut it = rest.iter().skip_while(|c| matches!(c, ' ' | '\u{3000}')).peekable();
    match it.next() {
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {}
        _ => return false,
    }
    let mut it = it.skip_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    it.find(|c| **c != ' ').is_some_and(|c| matches!(c, ':' | '：'))
}

/// Whether a `【` followed by `rest` opens a list: it is not closed on the
/// line, or it encloses a comma or colon (ASCII or full-width) or only ASCII,
/// and nothing but spaces, a comment or flow punctuation follows its `】`.
fn opens_list(rest: &[char]) -> bool {
    let mut depth = 0_usize;
    let mut close = None;
    for (j, c) in rest.iter().enumerate() {
        match c {
            '【' => depth += 1,
            '】' if depth == 0 => {
                close = Some(j);
                break;
            }
            '】' => depth -= 1,
            _ => {}
        }
    }
    let Some(close) = close else { return true };
    let inside = &rest[..close];
    let listy = inside.iter().any(|c| matches!(c, ',' | '，' | ':' | '：')) || inside.iter().all(char::is_ascii);
    let after = rest[close + 1..].iter().find(|c| !matches!(c, ' ' | '\t' | '\u{3000}'));
    listy && after.is_none_or(|c| matches!(c, '#' | ',' | '，' | '}' | ']' | '】'))
}

/// Whether a line (without its comment) ends in a block scalar indicator:
/// `key: |`, `- >-`, `|2`.
fn starts_block_scalar(content: &[char]) -> bool {
    let s: String = content.iter().collect();
    let s = s.trim_end();
    // The last whitespace may be wider than a byte (U+3000, U+2000).
    let (before, token) = match s.rsplit_once(char::is_whitespace) {
        Some((before, token)) => (before.trim_end(), token),
        None => ("", s),
    };
    let mut t = token.chars();
    matches!(t.next(), Some('|' | '>'))
        && t.all(|c| matches!(c, '+' | '-' | '1'..='9'))
        && (before.is_empty() || before.ends_with(':') || before.ends_with('-') || before.ends_with('：'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_scalar_after_a_wide_space_is_found_without_a_panic() {
        // Found by the `survey_plan` fuzz target (2026-12-04): the last space of
        // the line was U+2000 (3 bytes) and the token was sliced one byte after
        // it, inside the character. U+3000 is the full-width space a Chinese
        // keyboard types.
        let chars = |s: &str| s.chars().collect::<Vec<char>>();
        assert!(starts_block_scalar(&chars("note:\u{3000}|")));
        assert!(starts_block_scalar(&chars("note:\u{2000}>-")));
        assert!(!starts_block_scalar(&chars("note:\u{2000}x")));
        assert!(!starts_block_scalar(&chars("\u{2000}\u{2000}")));
    }

    fn hint(line: usize, column: usize, ch: char, ascii: char) -> FullWidthHint {
        FullWidthHint {
            line,
            column,
            ch,
            ascii,
        }
    }

    #[test]
    fn display_names_position_character_and_fix() {
        assert_eq!(
            hint(5, 7, '：', ':').to_string(),
            "line 5, column 7: full-width '：' (U+FF1A); type the ASCII ':'"
        );
        assert_eq!(
            hint(1, 2, '，', ',').to_string(),
            "line 1, column 2: full-width '，' (U+FF0C); type the ASCII ','"
        );
    }

    #[test]
    fn colon_in_key_position() {
        assert_eq!(fullwidth_hints("id：x\n", None), vec![hint(1, 3, '：', ':')]);
        // Columns count characters, after the indentation and a `- `.
        assert_eq!(
            fullwidth_hints("items:\n  - 代码：1\n", None),
            vec![hint(2, 7, '：', ':')]
        );
        // After an ASCII colon, a full-width one is part of the value.
        assert_eq!(fullwidth_hints("note: 时间：上午\n", None), vec![]);
    }

    #[test]
    fn no_false_alarm_on_chinese_values() {
        let yaml = "\
# 说明：本文件（示例），【注意】
id: san-fuwu
zh: 廉洁奉公，无吃拿卡要
title: {zh: “服务群众、服务发展”测评表, en: \"Serve: the public\"}
items:
  - {id: sq1, zh: 为群众服务态度端正，无“门难进、脸难看、事难办”, en: \"Proper, attitude\"}   # ~ outcomes：x
  - {id: int1, zh: 廉洁治校（优质服务）, weight: 1}
  - {id: x, zh: '引号里：id：a，zh：b 【a, b】'}
  - {id: y, zh: \"双引号\\\"里：【a, b】\"}
headline: 【重要】通知，请周知
desc: |
  第一条：廉洁。
  第二条：【a, b】，zh：c
en: Tackles the public's most urgent concerns
";
        assert_eq!(fullwidth_hints(yaml, None), vec![]);
    }

    #[test]
    fn comma_and_colon_in_flow_mappings() {
        // `{id: a， zh: b}`: the comma is followed by a key.
        assert_eq!(
            fullwidth_hints("- {id: a， zh: b}\n", None),
            vec![hint(1, 9, '，', ',')]
        );
        // Both wrong: the second key position starts after the flagged comma.
        assert_eq!(
            fullwidth_hints("- {id：a，zh：b}\n", None),
            vec![hint(1, 6, '：', ':'), hint(1, 8, '，', ','), hint(1, 11, '：', ':')]
        );
        // A comma followed by Chinese text is punctuation in the value.
        assert_eq!(fullwidth_hints("- {id: a, zh: 好，很好}\n", None), vec![]);
        // Outside a flow collection a key-like tail is still just text.
        assert_eq!(fullwidth_hints("zh: 好， en: x\n", None), vec![]);
    }

    #[test]
    fn lenticular_brackets_as_lists() {
        assert_eq!(
            fullwidth_hints("units: 【a, b】\n", None),
            vec![hint(1, 8, '【', '['), hint(1, 13, '】', ']')]
        );
        // Inside 【…】 every full-width comma is a separator.
        assert_eq!(
            fullwidth_hints("units: 【城管，民政】\n", None),
            vec![hint(1, 8, '【', '['), hint(1, 11, '，', ','), hint(1, 14, '】', ']')]
        );
        // At the start of a line, after `- `, and spread over lines.
        assert_eq!(
            fullwidth_hints("- 【sq1】\nunits: 【\n  a,\n  b\n】\n", None),
            vec![
                hint(1, 3, '【', '['),
                hint(1, 7, '】', ']'),
                hint(2, 8, '【', '['),
                hint(5, 1, '】', ']')
            ]
        );
        // An ASCII list closed with a full-width bracket.
        assert_eq!(fullwidth_hints("units: [a, b】\n", None), vec![hint(1, 13, '】', ']')]);
        // Inside a value, not at its start: text.
        assert_eq!(fullwidth_hints("title: 通知【a, b】\n", None), vec![]);
    }

    #[test]
    fn parentheses_only_near_the_error() {
        let yaml = "a: 甲（乙）\nb: 丙（丁）\n";
        assert_eq!(fullwidth_hints(yaml, None), vec![]);
        assert_eq!(
            fullwidth_hints(yaml, Some(2)),
            vec![hint(2, 5, '（', '('), hint(2, 7, '）', ')')]
        );
    }

    #[test]
    fn near_line_hints_come_first() {
        let yaml = "id：x\nversion: 1\nname：y\nscale：z\n";
        assert_eq!(
            fullwidth_hints(yaml, Some(3)),
            vec![hint(3, 5, '：', ':'), hint(1, 3, '：', ':'), hint(4, 6, '：', ':')]
        );
    }

    #[test]
    fn block_scalar_ends_at_dedent() {
        let yaml = "desc: >-\n  a：b\n\n  c：d\nnext：1\n";
        assert_eq!(fullwidth_hints(yaml, None), vec![hint(5, 5, '：', ':')]);
    }

    #[test]
    fn byte_order_mark_and_crlf_do_not_shift_columns() {
        assert_eq!(
            fullwidth_hints("\u{feff}id：x\r\nzh：y\r\n", None),
            vec![hint(1, 3, '：', ':'), hint(2, 3, '：', ':')]
        );
    }
}
