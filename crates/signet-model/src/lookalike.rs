//! Typographic look-alikes of ASCII characters (seed mistake P26).
//!
//! Commands copied from word processors and PDFs arrive with `—out` instead of `--out`, curly
//! quotes, non-breaking spaces. Such text looks right and fails in confusing ways, so signet finds
//! these characters and suggests the ASCII form.

/// One look-alike character found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookalike {
    /// Character index in the text.
    pub position: usize,
    /// The character found.
    pub found: char,
    /// Its Unicode name, for the message.
    pub name: &'static str,
    /// What it should be in ASCII (empty for invisible characters that should be removed).
    pub ascii: &'static str,
}

const TABLE: &[(char, &str, &str)] = &[
    ('\u{2010}', "HYPHEN", "-"),
    ('\u{2011}', "NON-BREAKING HYPHEN", "-"),
    ('\u{2012}', "FIGURE DASH", "-"),
    ('\u{2013}', "EN DASH", "-"),
    ('\u{2014}', "EM DASH", "-"),
    ('\u{2015}', "HORIZONTAL BAR", "-"),
    ('\u{2212}', "MINUS SIGN", "-"),
    ('\u{FE58}', "SMALL EM DASH", "-"),
    ('\u{FE63}', "SMALL HYPHEN-MINUS", "-"),
    ('\u{FF0D}', "FULLWIDTH HYPHEN-MINUS", "-"),
    ('\u{00AD}', "SOFT HYPHEN", ""),
    ('\u{200B}', "ZERO WIDTH SPACE", ""),
    ('\u{FEFF}', "ZERO WIDTH NO-BREAK SPACE", ""),
    ('\u{00A0}', "NO-BREAK SPACE", " "),
    ('\u{2018}', "LEFT SINGLE QUOTATION MARK", "'"),
    ('\u{2019}', "RIGHT SINGLE QUOTATION MARK", "'"),
    ('\u{201C}', "LEFT DOUBLE QUOTATION MARK", "\""),
    ('\u{201D}', "RIGHT DOUBLE QUOTATION MARK", "\""),
    ('\u{2024}', "ONE DOT LEADER", "."),
    ('\u{FF0E}', "FULLWIDTH FULL STOP", "."),
    ('\u{FF1A}', "FULLWIDTH COLON", ":"),
    ('\u{FF0F}', "FULLWIDTH SOLIDUS", "/"),
];

/// Every look-alike character in `text`, in order.
pub fn find(text: &str) -> Vec<Lookalike> {
    text.chars()
        .enumerate()
        .filter_map(|(position, c)| {
            TABLE.iter().find(|(found, _, _)| *found == c).map(|(found, name, ascii)| Lookalike {
                position,
                found: *found,
                name,
                ascii,
            })
        })
        .collect()
}

/// `text` with every look-alike replaced by its ASCII form.
///
/// A command-line option written with a single typographic dash (`—out`, `–key`) becomes the long
/// option `--out`, because that is what the dash stood for in the printed command.
pub fn to_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let replacement = TABLE.iter().find(|(found, _, _)| *found == c).map(|(_, _, ascii)| *ascii);
        match replacement {
            Some("-") if first && chars.peek().is_some_and(|n| n.is_ascii_alphabetic()) => out.push_str("--"),
            Some(ascii) => out.push_str(ascii),
            None => out.push(c),
        }
        first = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_dashes_from_printed_commands() {
        let found = find("—out");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "EM DASH");
        assert_eq!(to_ascii("—out"), "--out");
        assert_eq!(to_ascii("–getkey"), "--getkey");
        assert_eq!(to_ascii("www\u{2013}1.example.com"), "www-1.example.com");
    }

    #[test]
    fn plain_ascii_is_untouched() {
        assert!(find("--out www.example.com").is_empty());
        assert_eq!(to_ascii("--out"), "--out");
    }

    #[test]
    fn invisible_characters_are_removed() {
        assert_eq!(to_ascii("exa\u{200B}mple.com"), "example.com");
        assert_eq!(find("a\u{00A0}b")[0].ascii, " ");
    }
}
