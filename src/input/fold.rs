//! Folding full-width ASCII variants to ASCII.
//!
//! A Chinese input method in full-width mode types `１２３`, `，`, `：` and the
//! ideographic space `U+3000` instead of their ASCII forms. They look alike on
//! screen, so a clerk cannot see why `２０２４-３-５` or `５` was refused. Folding
//! them first lets parsers of codes, numbers and dates accept what the clerk
//! meant, while text that has nothing to fold is not copied.

use std::borrow::Cow;

/// Maps the full-width ASCII variants `U+FF01..=U+FF5E` to `U+0021..=U+007E`
/// and the ideographic space `U+3000` to an ASCII space; every other character
/// is kept.
///
/// Returns the input borrowed when nothing changes, so calling it on every cell
/// of a large sheet costs a scan and no allocation in the common case. Only
/// this block is folded (not half-width katakana, not CJK punctuation such as
/// `、` or `。`): those have no single ASCII meaning.
pub fn fold_width(s: &str) -> Cow<'_, str> {
    match s.char_indices().find(|&(_, c)| fold_char(c) != c) {
        None => Cow::Borrowed(s),
        Some((at, _)) => {
            let mut out = String::with_capacity(s.len());
            out.push_str(&s[..at]);
            out.extend(s[at..].chars().map(fold_char));
            Cow::Owned(out)
        }
    }
}

/// The ASCII form of one full-width character, or the character itself.
fn fold_char(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_text_is_borrowed() {
        assert!(matches!(fold_width("2024-03-05"), Cow::Borrowed(_)));
        assert!(matches!(fold_width("廉洁奉公、无吃拿卡要。"), Cow::Borrowed(_)));
        assert!(matches!(fold_width(""), Cow::Borrowed(_)));
    }

    #[test]
    fn full_width_forms_fold_to_ascii() {
        assert_eq!(fold_width("２０２４－０３－０５"), "2024-03-05");
        assert_eq!(fold_width("ｉｄ：ａ，ｂ"), "id:a,b");
        // Both ends of the block: U+FF01 '！' -> '!', U+FF5E '～' -> '~'.
        assert_eq!(fold_width("！～"), "!~");
        // The ideographic space.
        assert_eq!(fold_width("甲\u{3000}乙"), "甲 乙");
        // Mixed: only the full-width part changes, CJK text is kept.
        assert_eq!(fold_width("满意（１）"), "满意(1)");
    }

    #[test]
    fn neighbours_of_the_block_are_kept() {
        // U+FF00 and U+FF5F lie just outside the folded block; U+FF61 is a
        // half-width katakana punctuation mark.
        assert_eq!(fold_width("\u{FF00}\u{FF5F}\u{FF61}"), "\u{FF00}\u{FF5F}\u{FF61}");
        assert_eq!(fold_width("、。"), "、。");
    }
}
